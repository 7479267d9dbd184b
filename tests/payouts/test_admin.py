"""The payouts admin, used as staff use it: record revenue in the currency's units, propose,
approve, answer claims, export a batch, download its files, and mark lines paid or failed.
Everything goes through the services (audited); non-staff get nothing."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEntry
from contributions.models import Source
from payouts import distributions as money
from payouts.models import Claim, Distribution, DistributionLine, PaymentBatch, Revenue
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory
from tests.payouts.payadmin_support import accepted_claim, computed, open_claim, payout_world
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db
Status = Distribution.Status
Payment = DistributionLine.Payment
ADD = "/admin/payouts/revenue/add/"


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    return payout_world(django_capture_on_commit_callbacks)


def _record(client, world, capture, **fields):
    data = {
        "project": world["project"].pk,
        "version": "",
        "amount": "12.50",
        "currency": "USD",
        "reference": "",
        "note": "",
        "received_on": "2025-03-01",
        **fields,
    }
    with capture(execute=True):
        return client.post(ADD, data, follow=True)


def _act(client, model, action, ids, **data):
    return client.post(
        f"/admin/payouts/{model}/",
        {"action": action, ACTION_CHECKBOX_NAME: [str(i) for i in ids], **data},
        follow=True,
    )


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _past_deadline(distribution):
    Distribution.objects.filter(pk=distribution.pk).update(
        claim_deadline=timezone.now() - datetime.timedelta(seconds=1)
    )


# --- recording revenue ----------------------------------------------------------------------


def test_the_record_form_lists_only_projects_with_a_locked_cut(staff_client, world):
    ProjectFactory(title="Nothing locked yet")
    page = staff_client.get(ADD).content.decode()
    assert "Record revenue" in page
    assert "Harbour" in page
    assert "Nothing locked yet" not in page


def test_staff_record_12_50_usd_as_1250_cents_and_it_is_computed(
    staff_client, staff, world, django_capture_on_commit_callbacks
):
    response = _record(staff_client, world, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    revenue = Revenue.objects.get()
    assert (revenue.amount_minor, revenue.currency, revenue.recorded_by) == (1250, "USD", staff)
    assert revenue.received_on == datetime.date(2025, 3, 1)
    assert any("Recorded 12.50 USD" in m for m in _messages(response))
    assert "12.50 USD" in response.content.decode()  # the revenue page, in units
    assert Distribution.objects.get(revenue=revenue).status == Status.COMPUTED
    assert AuditEntry.objects.filter(action="revenue.record", actor=staff).exists()


def test_jpy_has_no_decimals(staff_client, world, django_capture_on_commit_callbacks):
    _record(staff_client, world, django_capture_on_commit_callbacks, amount="1250", currency="JPY")
    assert Revenue.objects.get().amount_minor == 1250
    response = _record(
        staff_client, world, django_capture_on_commit_callbacks, amount="12.5", currency="JPY"
    )
    assert "JPY amounts have no decimals" in response.content.decode()
    assert Revenue.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("12.505", "USD amounts have at most 2 decimal places."),
        ("0", "The amount must be above 0."),
        ("-3", "The amount must be above 0."),
        ("twelve", "The amount must be a number"),
        ("1e30", "That amount is too large."),
        ("NaN", "The amount must be above 0."),
    ],
)
def test_a_bad_amount_is_refused_with_the_error_shown(
    staff_client, world, django_capture_on_commit_callbacks, amount, message
):
    response = _record(staff_client, world, django_capture_on_commit_callbacks, amount=amount)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Revenue.objects.exists()


def test_a_project_without_a_locked_cut_gets_a_clear_error(
    staff_client, world, django_capture_on_commit_callbacks
):
    bare = ProjectFactory(title="Bare")
    response = _record(staff_client, world, django_capture_on_commit_callbacks, project=bare.pk)
    assert response.status_code == 200
    assert "no locked cut yet" in response.content.decode()
    assert not Revenue.objects.exists()


def test_a_version_of_another_project_is_refused(
    staff_client, world, django_capture_on_commit_callbacks
):
    other = payout_world(django_capture_on_commit_callbacks, title="Other")
    response = _record(
        staff_client, world, django_capture_on_commit_callbacks, version=other["version"].pk
    )
    assert "belongs to another project" in response.content.decode()
    assert not Revenue.objects.exists()


def test_a_reference_recorded_twice_is_already_recorded_or_a_conflict(
    staff_client, world, django_capture_on_commit_callbacks
):
    _record(staff_client, world, django_capture_on_commit_callbacks, reference="INV-7")
    again = _record(staff_client, world, django_capture_on_commit_callbacks, reference="INV-7")
    assert any("already recorded" in m for m in _messages(again))
    changed = _record(
        staff_client, world, django_capture_on_commit_callbacks, reference="INV-7", amount="13"
    )
    assert "already recorded with other fields" in changed.content.decode()
    assert Revenue.objects.count() == 1
    assert Distribution.objects.count() == 1


def test_revenue_cannot_be_changed_or_deleted_in_the_admin(
    staff_client, staff, world, django_capture_on_commit_callbacks
):
    distribution = computed(world, django_capture_on_commit_callbacks, by=staff)
    revenue = distribution.revenue
    url = f"/admin/payouts/revenue/{revenue.pk}/change/"
    assert staff_client.get(url).status_code == 200  # read-only view
    staff_client.post(url, {"amount_minor": "1"})
    assert staff_client.post(f"/admin/payouts/revenue/{revenue.pk}/delete/").status_code == 403
    revenue.refresh_from_db()
    assert revenue.amount_minor == 1001
    for path in (
        "/admin/payouts/distribution/add/",
        f"/admin/payouts/distribution/{distribution.pk}/delete/",
    ):
        assert staff_client.get(path).status_code == 403


# --- distributions --------------------------------------------------------------------------


def test_the_distribution_list_filters_and_searches(
    staff_client, staff, world, django_capture_on_commit_callbacks
):
    usd = computed(world, django_capture_on_commit_callbacks, by=staff, reference="INV-USD")
    other = payout_world(django_capture_on_commit_callbacks, title="Lighthouse")
    with django_capture_on_commit_callbacks(execute=True):
        revenue, _ = money.revenue_record(
            project=other["project"], amount_minor=1250, currency="JPY", by=staff
        )
    jpy = Distribution.objects.get(revenue=revenue)
    money.distribution_propose(distribution=jpy, by=staff)

    def listed(query: str) -> set[int]:
        response = staff_client.get(f"/admin/payouts/distribution/{query}")
        assert response.status_code == 200
        return {d.pk for d in response.context["cl"].result_list}

    page = staff_client.get("/admin/payouts/distribution/").content.decode()
    assert "10.01 USD" in page
    assert "5.00 USD" in page
    assert "625 JPY" in page
    assert listed("") == {usd.pk, jpy.pk}
    assert listed("?status__exact=proposed") == {jpy.pk}
    assert listed("?currency__exact=USD") == {usd.pk}
    assert listed(f"?revenue__project__id__exact={other['project'].pk}") == {jpy.pk}
    assert listed("?q=Lighthouse") == {jpy.pk}
    assert listed("?q=INV-USD") == {usd.pk}
    today = timezone.now()
    assert listed(f"?created_at__year={today.year}") == {usd.pk, jpy.pk}
    assert (
        staff_client.get("/admin/payouts/distribution/?created_at__year=99999999999999").status_code
        == 302
    )


def test_a_distribution_page_shows_its_lines_and_explanations(
    staff_client, staff, world, django_capture_on_commit_callbacks
):
    distribution = computed(world, django_capture_on_commit_callbacks, by=staff)
    page = staff_client.get(f"/admin/payouts/distribution/{distribution.pk}/change/")
    text = page.content.decode()
    ana, ben, cy = world["people"]
    poem, song, film = world["works"]
    for person in (ana, ben, cy):
        assert person.display_name in text
    assert "2.50 USD" in text
    assert "1.25 USD" in text
    assert "50% (1/2)" in text
    assert "25% (1/4)" in text
    # film kept half of the whole, from the cut; poem received a quarter from song.
    film_words = f"“Film” (#{film.pk}) kept 50% of the whole; it received 100% from the cut"
    poem_words = f"“Poem” (#{poem.pk}) kept 25% of the whole; it received 25% from remix #{song.pk}"
    assert film_words in text
    assert poem_words in text
    assert 'name="lines-0-amount_minor"' not in text  # nothing editable
    assert "Save" not in text


def test_propose_approve_export_and_pay_from_the_admin(
    staff_client, staff, world, django_capture_on_commit_callbacks
):
    distribution = computed(world, django_capture_on_commit_callbacks, by=staff)
    ask = _act(staff_client, "distribution", "propose", [distribution.pk], index="0")
    assert 'name="claim_days"' in ask.content.decode()
    assert 'value="14"' in ask.content.decode()
    _act(staff_client, "distribution", "propose", [distribution.pk], apply="1", claim_days="7")
    distribution.refresh_from_db()
    assert distribution.status == Status.PROPOSED
    assert (distribution.claim_deadline - distribution.proposed_at) == datetime.timedelta(days=7)

    early = _act(staff_client, "distribution", "approve", [distribution.pk], index="0")
    assert any("claim window is open until" in m for m in _messages(early))
    distribution.refresh_from_db()
    assert distribution.status == Status.PROPOSED

    _past_deadline(distribution)
    _act(staff_client, "distribution", "approve", [distribution.pk], index="0")
    distribution.refresh_from_db()
    assert distribution.status == Status.APPROVED
    assert distribution.approved_by == staff

    export = staff_client.post(
        "/admin/payouts/paymentbatch/export/", {"currency": "USD"}, follow=True
    )
    batch = PaymentBatch.objects.get()
    assert any(f"Batch {batch.pk}: 3 USD line(s)" in m for m in _messages(export))
    page = export.content.decode()
    assert f"/admin/payouts/paymentbatch/{batch.pk}/csv/" in page
    assert "PayPal bulk file, part 1 of 1" in page

    ana, ben, cy = world["people"]
    lines = {line.person_id: line for line in distribution.lines.all()}
    rows = list(
        csv.reader(
            io.StringIO(
                staff_client.get(f"/admin/payouts/paymentbatch/{batch.pk}/csv/").content.decode()
            )
        )
    )
    assert rows[0] == [
        "line id",
        "payee",
        "payout email",
        "amount",
        "currency",
        "project",
        "distribution",
    ]
    assert sorted(rows[1:]) == sorted(
        [
            str(lines[p.pk].pk),
            f"Payee {p.username}",
            f"pay-{p.username}@example.com",
            amount,
            "USD",
            "Harbour",
            str(distribution.pk),
        ]
        for p, amount in ((cy, "2.50"), (ben, "1.25"), (ana, "1.25"))
    )
    paypal = staff_client.get(f"/admin/payouts/paymentbatch/{batch.pk}/paypal/?part=1")
    assert paypal["Content-Disposition"].startswith("attachment;")
    paypal_rows = list(csv.reader(io.StringIO(paypal.content.decode())))
    assert len(paypal_rows) == 3
    assert all(len(r) == 5 for r in paypal_rows)
    assert sorted(paypal_rows) == sorted(
        [f"pay-{p.username}@example.com", amount, "USD", str(lines[p.pk].pk), "hitrecord: Harbour"]
        for p, amount in ((cy, "2.50"), (ben, "1.25"), (ana, "1.25"))
    )
    assert (
        staff_client.get(f"/admin/payouts/paymentbatch/{batch.pk}/paypal/?part=2").status_code
        == 400
    )
    assert (
        staff_client.get(f"/admin/payouts/paymentbatch/{batch.pk}/paypal/?part=x").status_code
        == 400
    )

    again = staff_client.post(
        "/admin/payouts/paymentbatch/export/", {"currency": "USD"}, follow=True
    )
    assert any("nothing to export" in m for m in _messages(again))
    assert PaymentBatch.objects.count() == 1

    # One line fails: it leaves the batch's files and goes into the next export.
    failed = lines[ana.pk]
    ask = _act(staff_client, "distributionline", "mark_failed", [failed.pk], index="0")
    assert 'name="reason"' in ask.content.decode()
    _act(staff_client, "distributionline", "mark_failed", [failed.pk], apply="1", reason="Closed")
    failed.refresh_from_db()
    assert (failed.payment_status, failed.failure_reason) == (Payment.FAILED, "Closed")
    assert (
        len(
            staff_client.get(f"/admin/payouts/paymentbatch/{batch.pk}/paypal/")
            .content.decode()
            .splitlines()
        )
        == 2
    )

    ask = _act(staff_client, "paymentbatch", "mark_paid", [batch.pk], index="0")
    assert 'name="reference"' in ask.content.decode()
    _act(staff_client, "paymentbatch", "mark_paid", [batch.pk], apply="1", reference="PP-1")
    distribution.refresh_from_db()
    assert distribution.status == Status.APPROVED  # ana's line is not paid yet
    staff_client.post("/admin/payouts/paymentbatch/export/", {"currency": "USD"})
    second = PaymentBatch.objects.exclude(pk=batch.pk).get()
    assert list(second.lines.values_list("pk", flat=True)) == [failed.pk]
    _act(staff_client, "paymentbatch", "mark_paid", [second.pk], apply="1", reference="PP-2")
    distribution.refresh_from_db()
    assert distribution.status == Status.PAID
    assert set(distribution.lines.values_list("payment_reference", flat=True)) == {"PP-1", "PP-2"}
    assert AuditEntry.objects.filter(action="line.paid", actor=staff).count() == 3
    assert AuditEntry.objects.filter(action="distribution.approve", actor=staff).exists()


def test_a_distribution_can_be_proposed_only_once_and_errors_are_shown(
    staff_client, staff, world, django_capture_on_commit_callbacks
):
    distribution = computed(world, django_capture_on_commit_callbacks, by=staff)
    bad = _act(
        staff_client, "distribution", "propose", [distribution.pk], apply="1", claim_days="-1"
    )
    assert "greater than or equal to 0" in bad.content.decode()
    _act(staff_client, "distribution", "propose", [distribution.pk], apply="1", claim_days="14")
    again = _act(
        staff_client, "distribution", "propose", [distribution.pk], apply="1", claim_days="14"
    )
    assert any("Only a computed distribution is proposed" in m for m in _messages(again))


def test_a_cancelled_distribution_is_recomputed_on_a_chosen_version(
    staff_client, staff, world, django_capture_on_commit_callbacks
):
    claim = accepted_claim(world, django_capture_on_commit_callbacks, by=staff)
    cancelled = claim.distribution
    cancelled.refresh_from_db()
    assert cancelled.status == Status.CANCELLED
    ask = _act(staff_client, "distribution", "recompute", [cancelled.pk], index="0")
    assert "Harbour: version 1" in ask.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        _act(
            staff_client,
            "distribution",
            "recompute",
            [cancelled.pk],
            apply="1",
            version=str(world["version"].pk),
        )
    fresh = Distribution.objects.exclude(pk=cancelled.pk).get()
    assert fresh.status == Status.COMPUTED
    assert fresh.revenue_id == cancelled.revenue_id
    refused = _act(staff_client, "distribution", "recompute", [fresh.pk], apply="1", version="")
    assert any("Only a failed or cancelled distribution" in m for m in _messages(refused))


# --- claims ---------------------------------------------------------------------------------


def test_claims_are_accepted_or_rejected_with_a_written_answer(
    staff_client, staff, world, django_capture_on_commit_callbacks
):
    claim = open_claim(world, django_capture_on_commit_callbacks, by=staff)
    listed = staff_client.get("/admin/payouts/claim/?status__exact=open")
    assert [c.pk for c in listed.context["cl"].result_list] == [claim.pk]
    empty = _act(staff_client, "claim", "reject", [claim.pk], apply="1", answer="  ")
    assert "This field is required" in empty.content.decode()
    _act(staff_client, "claim", "reject", [claim.pk], apply="1", answer="Not in the cut.")
    claim.refresh_from_db()
    assert (claim.status, claim.answer, claim.answered_by) == ("rejected", "Not in the cut.", staff)
    again = _act(staff_client, "claim", "accept", [claim.pk], apply="1", answer="Changed my mind")
    assert any("already answered" in m for m in _messages(again))

    other = money.claim_file(distribution=claim.distribution, by=world["people"][1], text="Me too")
    _act(staff_client, "claim", "accept", [other.pk], apply="1", answer="Yes: we add it.")
    other.refresh_from_db()
    assert other.status == "accepted"
    assert Distribution.objects.get(pk=claim.distribution_id).status == Status.CANCELLED


def test_an_accepted_claim_is_settled_by_adding_an_older_missing_source(
    staff_client, staff, world, django_capture_on_commit_callbacks
):
    claim = accepted_claim(world, django_capture_on_commit_callbacks, by=staff)
    poem, song, film = world["works"]
    newer = ContributionFactory(title="Newer")

    def add(remix, source, weight="1"):
        return _act(
            staff_client,
            "claim",
            "add_missing_source",
            [claim.pk],
            apply="1",
            remix=str(remix),
            source=str(source),
            weight=weight,
        )

    refused = add(film.pk, newer.pk).content.decode()
    assert "newer than the remix" in refused
    assert not Source.objects.filter(source=newer).exists()
    assert "No contribution has that id" in add(film.pk, 999999).content.decode()
    assert "at most 10" in add(film.pk, poem.pk, weight="11").content.decode()
    assert "already a source" in add(song.pk, poem.pk).content.decode()

    done = add(film.pk, poem.pk, weight="0.5")
    assert any("is now built from" in m for m in _messages(done))
    link = Source.objects.get(contribution=film, source=poem)
    assert str(link.weight) == "0.500"
    entry = AuditEntry.objects.get(action="contribution.source_add_missing")
    assert entry.actor == staff
    assert entry.details["claim"] == claim.pk


def test_a_missing_source_needs_an_accepted_claim(
    staff_client, staff, world, django_capture_on_commit_callbacks
):
    claim = open_claim(world, django_capture_on_commit_callbacks, by=staff)
    poem, _song, film = world["works"]
    response = _act(
        staff_client,
        "claim",
        "add_missing_source",
        [claim.pk],
        apply="1",
        remix=str(film.pk),
        source=str(poem.pk),
        weight="1",
    )
    assert "Only an accepted claim" in response.content.decode()
    assert not Source.objects.filter(contribution=film, source=poem).exists()


def test_odd_batch_ids_and_parts_are_a_4xx(staff_client, staff, world):
    for path in (
        "/admin/payouts/paymentbatch/99999999999999999999999/csv/",
        "/admin/payouts/paymentbatch/abc/paypal/",
        "/admin/payouts/paymentbatch/12345/csv/",
    ):
        assert staff_client.get(path).status_code == 404, path
    for model in ("distribution", "claim", "paymentbatch", "distributionline"):
        response = _act(staff_client, model, "mark_paid", ["99999999999999999999999", "x"])
        assert response.status_code == 200
        assert "those are not row ids" in " ".join(_messages(response))
    odd = staff_client.post("/admin/payouts/paymentbatch/export/", {"currency": "ZZZ"})
    assert odd.status_code == 200
    assert "Select a valid choice" in odd.content.decode()
    assert not PaymentBatch.objects.exists()


# --- who may see it ---------------------------------------------------------------------------


def test_people_who_are_not_staff_get_no_admin_access(
    user_client, staff, world, django_capture_on_commit_callbacks
):
    distribution = computed(world, django_capture_on_commit_callbacks, by=staff)
    money.distribution_propose(distribution=distribution, by=staff)
    _past_deadline(distribution)
    money.distribution_approve(distribution=distribution, by=staff)
    batch = money.payment_batch_export(currency="USD", by=staff)
    for path in (
        "/admin/payouts/distribution/",
        f"/admin/payouts/distribution/{distribution.pk}/change/",
        ADD,
        "/admin/payouts/paymentbatch/export/",
        f"/admin/payouts/paymentbatch/{batch.pk}/csv/",
        f"/admin/payouts/paymentbatch/{batch.pk}/paypal/",
        "/admin/payouts/distributionline/",
    ):
        response = user_client.get(path)
        assert response.status_code == 302, path
        assert "/admin/login/" in response["Location"], path
    response = user_client.post("/admin/payouts/paymentbatch/export/", {"currency": "USD"})
    assert response.status_code == 302
    assert PaymentBatch.objects.count() == 1


def test_staff_without_the_payouts_permissions_cannot_run_actions(
    world, staff, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Permission

    distribution = computed(world, django_capture_on_commit_callbacks, by=staff)
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_distribution", "view_paymentbatch"])
    )
    client = Client()
    client.force_login(viewer)
    page = client.get("/admin/payouts/distribution/")
    assert page.status_code == 200
    assert 'value="propose"' not in page.content.decode()
    _act(client, "distribution", "propose", [distribution.pk], apply="1", claim_days="14")
    distribution.refresh_from_db()
    assert distribution.status == Status.COMPUTED
    assert client.get("/admin/payouts/paymentbatch/export/").status_code == 403


# --- query counts -----------------------------------------------------------------------------


def _count(client, path: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(queries)


LISTS = [
    "/admin/payouts/revenue/",
    "/admin/payouts/distribution/",
    "/admin/payouts/distribution/?status__exact=proposed&q=Harbour",
    "/admin/payouts/claim/",
    "/admin/payouts/paymentbatch/",
    "/admin/payouts/distributionline/",
]


def _one_more(world, staff, capture, n):
    """A revenue with its distribution proposed, a claim on it, and its lines in a batch."""
    distribution = computed(world, capture, by=staff, amount=1000 + n)
    money.distribution_propose(distribution=distribution, by=staff)
    money.claim_file(distribution=distribution, by=world["people"][n % 3], text="Missing")
    Claim.objects.filter(distribution=distribution).update(status=Claim.Status.REJECTED)
    _past_deadline(distribution)
    money.distribution_approve(distribution=distribution, by=staff)
    money.payment_batch_export(currency="USD", by=staff)


def test_the_payout_lists_cost_the_same_queries_for_1_and_30_distributions(
    staff_client, staff, world, django_capture_on_commit_callbacks
):
    _one_more(world, staff, django_capture_on_commit_callbacks, 0)
    one = {path: _count(staff_client, path) for path in LISTS}
    for n in range(1, 30):
        _one_more(world, staff, django_capture_on_commit_callbacks, n)
    assert Distribution.objects.count() == 30
    thirty = {path: _count(staff_client, path) for path in LISTS}
    assert one == thirty


def test_a_payout_email_changed_before_approval_is_flagged_on_the_distribution_page(
    staff_client, staff, world, django_capture_on_commit_callbacks
):
    from accounts.services import audit_record

    distribution = computed(world, django_capture_on_commit_callbacks, by=staff)
    page = staff_client.get(f"/admin/payouts/distribution/{distribution.pk}/change/")
    assert "payout details changed lately" in page.content.decode().lower()
    from payouts.models import PayeeDetails

    line = distribution.lines.order_by("pk").first()
    details, _ = PayeeDetails.objects.get_or_create(person=line.person)
    # what payouts.payee.payee_details_set writes when the payout email changes
    audit_record(actor=line.person, action="payee.change", target=details, details={})
    page = staff_client.get(f"/admin/payouts/distribution/{distribution.pk}/change/")
    assert f"{line.person.username} on" in page.content.decode()
