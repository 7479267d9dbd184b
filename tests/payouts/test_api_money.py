"""The money API: who may do what (anonymous, artist, member, line holder, director, staff),
wrong states as 409, and bad input as a 4xx that says what to fix and stores nothing."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEntry
from payouts import distributions as money
from payouts.models import (
    Claim,
    Distribution,
    DistributionLine,
    PayeeDetails,
    PaymentBatch,
    Revenue,
)
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory, SourceFactory
from tests.payouts.factories import lock
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db
Status = Distribution.Status
Payment = DistributionLine.Payment


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    project = ProjectFactory(title="Harbour")
    director = project.created_by
    ana, ben, cy = UserFactory(), UserFactory(), UserFactory()
    poem = ContributionFactory(project=project, author=ana, title="Poem")
    song = ContributionFactory(project=project, author=ben, title="Song")
    film = ContributionFactory(project=project, author=cy, title="Film")
    SourceFactory(contribution=song, source=poem)
    SourceFactory(contribution=film, source=song)
    with django_capture_on_commit_callbacks(execute=True):
        version = lock(project, director, [(film, "1")])
    for person in (ana, ben, cy):
        PayeeDetails.objects.create(
            person=person,
            payout_email=f"pay-{person.username}@example.com",
            payee_name=person.username,
            email_verified_at=timezone.now(),
        )
    member = UserFactory()
    MembershipFactory(project=project, user=member)
    return {
        "project": project,
        "version": version,
        "director": director,
        "staff": UserFactory(is_staff=True),
        "people": (ana, ben, cy),
        "artist": UserFactory(),
        "member": member,
    }


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def revenue_body(world, **overrides):
    return {"project": world["project"].slug, "amount_minor": 1001, "currency": "USD", **overrides}


def computed(world, django_capture_on_commit_callbacks, **kwargs) -> Distribution:
    with django_capture_on_commit_callbacks(execute=True):
        revenue, _ = money.revenue_record(
            project=world["project"],
            amount_minor=kwargs.pop("amount", 1001),
            currency=kwargs.pop("currency", "USD"),
            by=world["staff"],
            **kwargs,
        )
    return Distribution.objects.get(revenue=revenue)


def proposed(world, django_capture_on_commit_callbacks, **kwargs) -> Distribution:
    distribution = computed(world, django_capture_on_commit_callbacks, **kwargs)
    money.distribution_propose(distribution=distribution, by=world["staff"])
    distribution.refresh_from_db()
    return distribution


def past_deadline(distribution: Distribution) -> None:
    Distribution.objects.filter(pk=distribution.pk).update(
        claim_deadline=timezone.now() - datetime.timedelta(seconds=1)
    )


def approved(world, django_capture_on_commit_callbacks, **kwargs) -> Distribution:
    distribution = proposed(world, django_capture_on_commit_callbacks, **kwargs)
    past_deadline(distribution)
    money.distribution_approve(distribution=distribution, by=world["staff"])
    distribution.refresh_from_db()
    return distribution


def non_staff(world):
    """Everyone signed in who is not staff: an artist, a member, a line holder, a director."""
    return [world["artist"], world["member"], world["people"][0], world["director"]]


# --- revenue --------------------------------------------------------------------------------


def test_staff_record_revenue_and_its_distribution_is_computed(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world["staff"]).post(
            "/api/revenues/", revenue_body(world, reference="INV-7", note="Festival"), format="json"
        )
    assert response.status_code == 201, response.content
    body = response.json()
    distribution = Distribution.objects.get(pk=body["distribution"]["id"])
    assert body["id"] == distribution.revenue_id
    assert body["version"] == world["version"].number
    assert distribution.status == Status.COMPUTED
    assert sum(distribution.lines.values_list("amount_minor", flat=True)) == 500


def test_a_reference_seen_again_returns_the_first_revenue_or_409(world):
    client = client_for(world["staff"])
    first = client.post("/api/revenues/", revenue_body(world, reference="INV-1"), format="json")
    again = client.post("/api/revenues/", revenue_body(world, reference="INV-1"), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    clash = client.post(
        "/api/revenues/", revenue_body(world, reference="INV-1", amount_minor=5), format="json"
    )
    assert clash.status_code == 409
    assert "other fields" in clash.json()["detail"]
    assert Revenue.objects.count() == 1


def test_recording_revenue_is_for_staff_only(world):
    anonymous = client_for().post("/api/revenues/", revenue_body(world), format="json")
    assert anonymous.status_code == 401
    for person in non_staff(world):
        response = client_for(person).post("/api/revenues/", revenue_body(world), format="json")
        assert response.status_code == 403, person
        assert "staff" in response.json()["detail"]
    assert not Revenue.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount_minor": 0}, "amount_minor"),
        ({"amount_minor": -5}, "amount_minor"),
        ({"amount_minor": "12.5"}, "amount_minor"),
        ({"amount_minor": 12.5}, "amount_minor"),
        ({"amount_minor": 12.0}, "amount_minor"),
        ({"amount_minor": "12"}, "amount_minor"),
        ({"amount_minor": True}, "amount_minor"),
        ({"amount_minor": None}, "amount_minor"),
        ({"amount_minor": 2**63}, "amount_minor"),
        ({"amount_minor": 10**40}, "amount_minor"),
        ({"currency": "ZZZ"}, "currency"),
        ({"currency": "DEM"}, "currency"),
        ({"currency": "XAU"}, "currency"),
        ({"currency": ""}, "currency"),
        ({"project": "no-such-project"}, "project"),
        ({"version": 2}, "version"),
        ({"version": "1"}, "version"),
        ({"version": 2**63}, "version"),
        ({"received_on": "yesterday"}, "received_on"),
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_bad_revenue_says_what_to_fix_and_stores_nothing(world, overrides, field):
    response = client_for(world["staff"]).post(
        "/api/revenues/", revenue_body(world, **overrides), format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Revenue.objects.exists()
    assert not AuditEntry.objects.filter(action="revenue.record").exists()


def test_amounts_sent_as_text_are_refused_with_the_reason(world):
    response = client_for(world["staff"]).post(
        "/api/revenues/", revenue_body(world, amount_minor="12"), format="json"
    )
    assert "JSON integer" in response.json()["amount_minor"][0]


def test_a_version_only_another_project_has_is_refused(world, django_capture_on_commit_callbacks):
    other = ProjectFactory()
    work = ContributionFactory(project=other)
    with django_capture_on_commit_callbacks(execute=True):
        lock(other, other.created_by, [(work, "1")])
        work2 = ContributionFactory(project=other)
        lock(other, other.created_by, [(work2, "1")])  # other has version 2; ours does not
    response = client_for(world["staff"]).post(
        "/api/revenues/", revenue_body(world, version=2), format="json"
    )
    assert response.status_code == 400
    assert "no locked version 2" in response.json()["version"][0]
    assert not Revenue.objects.exists()


def test_revenue_for_a_project_without_a_locked_cut_is_refused(world):
    bare = ProjectFactory()
    response = client_for(world["staff"]).post(
        "/api/revenues/", revenue_body(world, project=bare.slug), format="json"
    )
    assert response.status_code == 400
    assert "no locked cut" in response.json()["project"][0]
    assert not Revenue.objects.exists()


# --- distributions --------------------------------------------------------------------------


def test_a_distribution_is_staff_only_until_proposed(world, django_capture_on_commit_callbacks):
    distribution = computed(world, django_capture_on_commit_callbacks, reference="INV-secret")
    url = f"/api/distributions/{distribution.pk}/"
    staff_view = client_for(world["staff"]).get(url)
    assert staff_view.status_code == 200
    assert staff_view.json()["revenue"]["reference"] == "INV-secret"
    for client in [client_for(), *map(client_for, non_staff(world))]:
        assert client.get(url).status_code == 404


def test_a_proposed_distribution_is_public_without_reference_or_note(
    world, django_capture_on_commit_callbacks
):
    distribution = proposed(
        world, django_capture_on_commit_callbacks, reference="INV-secret", note="Internal memo"
    )
    ana, ben, cy = world["people"]
    response = client_for().get(f"/api/distributions/{distribution.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert "INV-secret" not in response.content.decode()
    assert "Internal memo" not in response.content.decode()
    assert "revenue" not in body
    assert "failure_reason" not in body
    assert (body["status"], body["pool_minor"], body["house_minor"], body["currency"]) == (
        "proposed",
        500,
        501,
        "USD",
    )
    assert body["version"] == world["version"].number
    assert body["claims_open"]
    lines = {line["user"]["id"]: line for line in body["lines"]}
    assert lines[cy.pk]["amount_minor"] == 250
    assert lines[cy.pk]["share_exact"] == "1/2"
    assert lines[cy.pk]["share"] == "0.500000000000"
    assert lines[cy.pk]["payment_status"] == "unpaid"
    assert lines[ana.pk]["explanation"][0]["contribution"]["title"] == "Poem"
    assert lines[ben.pk]["user"]["username"] == ben.username


@pytest.mark.parametrize("raw", ["0", "abc", str(2**63), "-1", "١"])
def test_odd_distribution_ids_are_404(world, raw):
    assert client_for(world["staff"]).get(f"/api/distributions/{raw}/").status_code == 404


def test_state_changes_are_for_staff_only(world, django_capture_on_commit_callbacks):
    distribution = computed(world, django_capture_on_commit_callbacks)
    for action in ("propose", "approve", "recompute"):
        url = f"/api/distributions/{distribution.pk}/{action}/"
        assert client_for().post(url, {}, format="json").status_code == 401
        for person in non_staff(world):
            assert client_for(person).post(url, {}, format="json").status_code == 403
    distribution.refresh_from_db()
    assert distribution.status == Status.COMPUTED


def test_propose_approve_and_wrong_states(world, django_capture_on_commit_callbacks):
    staff = client_for(world["staff"])
    distribution = computed(world, django_capture_on_commit_callbacks)
    base = f"/api/distributions/{distribution.pk}"
    assert staff.post(f"{base}/approve/").status_code == 409
    assert staff.post(f"{base}/recompute/", {}, format="json").status_code == 409
    for bad in ("7", -1, 91, 7.5, True):
        assert staff.post(f"{base}/propose/", {"claim_days": bad}, format="json").status_code == 400
    response = staff.post(f"{base}/propose/", {"claim_days": 7}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "proposed"
    deadline = datetime.datetime.fromisoformat(response.json()["claim_deadline"])
    assert (
        datetime.timedelta(days=6, hours=23)
        < deadline - timezone.now()
        <= datetime.timedelta(days=7)
    )
    assert staff.post(f"{base}/propose/", {}, format="json").status_code == 409
    early = staff.post(f"{base}/approve/")
    assert early.status_code == 409
    assert "claim window" in early.json()["detail"]
    past_deadline(distribution)
    done = staff.post(f"{base}/approve/")
    assert done.status_code == 200
    assert done.json()["status"] == "approved"
    assert staff.post(f"{base}/approve/").status_code == 409


def test_recompute_a_cancelled_distribution_makes_a_new_one(
    world, django_capture_on_commit_callbacks
):
    staff = client_for(world["staff"])
    distribution = proposed(world, django_capture_on_commit_callbacks)
    claim = money.claim_file(distribution=distribution, by=world["people"][0], text="Missing")
    money.claim_answer(claim=claim, by=world["staff"], accept=True, answer="Yes.")
    url = f"/api/distributions/{distribution.pk}/recompute/"
    assert staff.post(url, {"version": 9}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url, {"version": world["version"].number}, format="json")
    assert response.status_code == 201, response.content
    fresh = Distribution.objects.get(pk=response.json()["id"])
    assert fresh.pk != distribution.pk
    assert fresh.status == Status.COMPUTED


# --- claims ---------------------------------------------------------------------------------


def test_claims(world, django_capture_on_commit_callbacks):
    distribution = computed(world, django_capture_on_commit_callbacks)
    url = f"/api/distributions/{distribution.pk}/claims/"
    artist = client_for(world["artist"])
    assert client_for().post(url, {"text": "Mine"}, format="json").status_code == 401
    assert artist.post(url, {"text": "Mine"}, format="json").status_code == 404  # not proposed
    money.distribution_propose(distribution=distribution, by=world["staff"])
    unverified = client_for(UserFactory(unverified=True)).post(url, {"text": "x"}, format="json")
    assert unverified.status_code == 403
    assert "Verify your email" in unverified.json()["detail"]
    assert artist.post(url, {"text": "   "}, format="json").status_code == 400
    assert artist.post(url, {}, format="json").status_code == 400
    filed = artist.post(url, {"text": "My sketch is missing."}, format="json")
    assert filed.status_code == 201
    assert filed.json()["status"] == "open"
    assert filed.json()["distribution"] == distribution.pk
    second = artist.post(url, {"text": "Again"}, format="json")
    assert second.status_code == 409
    assert "already" in second.json()["detail"]
    past_deadline(distribution)
    late = client_for(world["people"][1]).post(url, {"text": "Late"}, format="json")
    assert late.status_code == 409
    assert "closed" in late.json()["detail"]
    assert Claim.objects.count() == 1


# --- batches and lines ----------------------------------------------------------------------


def test_payment_batches(world, django_capture_on_commit_callbacks):
    staff = client_for(world["staff"])
    assert client_for().post("/api/payment-batches/", {"currency": "USD"}).status_code == 401
    for person in non_staff(world):
        assert (
            client_for(person).post("/api/payment-batches/", {"currency": "USD"}).status_code == 403
        )
    nothing = staff.post("/api/payment-batches/", {"currency": "USD"}, format="json")
    assert nothing.status_code == 409
    assert "nothing to export" in nothing.json()["detail"]
    assert (
        staff.post("/api/payment-batches/", {"currency": "ZZZ"}, format="json").status_code == 400
    )
    distribution = approved(world, django_capture_on_commit_callbacks)
    response = staff.post("/api/payment-batches/", {"currency": "usd"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["currency"] == "USD"
    assert body["total_minor"] == 500
    assert sorted(line["payout_email"] for line in body["lines"]) == sorted(
        f"pay-{p.username}@example.com" for p in world["people"]
    )
    assert all(line["payment_status"] == "in_batch" for line in body["lines"])
    assert PaymentBatch.objects.count() == 1
    assert (
        staff.post("/api/payment-batches/", {"currency": "USD"}, format="json").status_code == 409
    )

    detail_url = f"/api/payment-batches/{body['id']}/"
    assert client_for().get(detail_url).status_code == 401
    assert client_for(world["people"][0]).get(detail_url).status_code == 403
    detail = staff.get(detail_url).json()
    assert detail["lines"] == body["lines"]
    assert detail["files"]["csv"].endswith(f"/admin/payouts/paymentbatch/{body['id']}/csv/")
    assert len(detail["files"]["paypal"]) == 1
    assert detail["files"]["paypal"][0].endswith("?part=1")
    csv_text = staff.get(detail["files"]["api_csv"]).content.decode()
    assert csv_text.splitlines()[0].startswith("line id,payee,payout email")
    assert "2.50,USD,Harbour" in csv_text
    paypal = staff.get(detail["files"]["api_paypal"][0]).content.decode().splitlines()
    assert len(paypal) == 3
    assert paypal[0].split(",")[2] == "USD"
    assert staff.get(f"/api/payment-batches/{body['id']}/paypal?part=2").status_code == 400
    assert client_for(world["people"][0]).get(detail["files"]["api_csv"]).status_code == 403
    assert distribution.lines.filter(payment_status=Payment.IN_BATCH).count() == 3


def test_settling_lines(world, django_capture_on_commit_callbacks):
    staff = client_for(world["staff"])
    distribution = approved(world, django_capture_on_commit_callbacks)
    lines = list(distribution.lines.order_by("pk"))
    first = lines[0]
    # Not in a batch yet: a wrong state.
    assert (
        staff.post(f"/api/distribution-lines/{first.pk}/paid/", {"reference": "P"}).status_code
        == 409
    )
    money.payment_batch_export(currency="USD", by=world["staff"])
    assert (
        client_for()
        .post(f"/api/distribution-lines/{first.pk}/paid/", {"reference": "P"})
        .status_code
        == 401
    )
    holder = client_for(first.person)
    assert (
        holder.post(f"/api/distribution-lines/{first.pk}/paid/", {"reference": "P"}).status_code
        == 403
    )
    assert (
        staff.post(
            f"/api/distribution-lines/{first.pk}/paid/", {"reference": " "}, format="json"
        ).status_code
        == 400
    )
    assert (
        staff.post(f"/api/distribution-lines/{first.pk}/failed/", {}, format="json").status_code
        == 400
    )
    assert staff.post("/api/distribution-lines/99999/paid/", {"reference": "P"}).status_code == 404
    failed = staff.post(
        f"/api/distribution-lines/{first.pk}/failed/", {"reason": "Account closed"}, format="json"
    )
    assert failed.status_code == 200
    assert failed.json()["payment_status"] == "failed"
    for line in lines[1:]:
        paid = staff.post(
            f"/api/distribution-lines/{line.pk}/paid/", {"reference": "PAY-1"}, format="json"
        )
        assert paid.status_code == 200
        assert paid.json()["payment_reference"] == "PAY-1"
    assert paid.json()["distribution"]["status"] == "approved"  # one line still failed
    money.payment_batch_export(currency="USD", by=world["staff"])
    last = staff.post(
        f"/api/distribution-lines/{first.pk}/paid/", {"reference": "PAY-2"}, format="json"
    )
    assert last.json()["distribution"]["status"] == "paid"


# --- earnings -------------------------------------------------------------------------------


def test_earnings_are_the_callers_public_lines_with_totals(
    world, django_capture_on_commit_callbacks
):
    ana, ben, cy = world["people"]
    assert client_for().get("/api/me/earnings/").status_code == 401
    computed(world, django_capture_on_commit_callbacks, amount=2000)  # not proposed: hidden
    first = approved(world, django_capture_on_commit_callbacks, amount=1001)
    money.payment_batch_export(currency="USD", by=world["staff"])
    money.line_mark_paid(line=first.lines.get(person=cy), by=world["staff"], reference="P")
    proposed(world, django_capture_on_commit_callbacks, amount=100, currency="JPY")
    response = client_for(cy).get("/api/me/earnings/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["next"] is None
    assert body["totals"] == [
        {"currency": "JPY", "amount_minor": 25, "paid_minor": 0},
        {"currency": "USD", "amount_minor": 250, "paid_minor": 250},
    ]
    newest = body["results"][0]
    assert newest["currency"] == "JPY"
    assert newest["distribution"]["status"] == "proposed"
    assert newest["project"] == {"slug": world["project"].slug, "title": "Harbour"}
    assert newest["share_exact"] == "1/2"
    assert newest["explanation"][0]["contribution"]["title"] == "Film"
    assert body["results"][1]["payment_status"] == "paid"
    stranger = client_for(world["artist"]).get("/api/me/earnings/").json()
    assert stranger["count"] == 0
    assert stranger["totals"] == []


def _earnings_queries(person) -> int:
    client = client_for(person)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/me/earnings/").status_code == 200
    return len(queries)


def test_earnings_take_the_same_queries_for_one_line_or_many(
    world, django_capture_on_commit_callbacks
):
    cy = world["people"][2]
    proposed(world, django_capture_on_commit_callbacks)
    one = _earnings_queries(cy)
    for amount in (300, 400, 500, 600):
        proposed(world, django_capture_on_commit_callbacks, amount=amount)
    assert _earnings_queries(cy) == one


def test_earnings_pages_hold_24(world, django_capture_on_commit_callbacks):
    for amount in range(100, 125):
        proposed(world, django_capture_on_commit_callbacks, amount=amount)
    client = client_for(world["people"][2])
    first = client.get("/api/me/earnings/").json()
    assert first["count"] == 25
    assert len(first["results"]) == 24
    assert first["next"]
    cy_lines = DistributionLine.objects.filter(person=world["people"][2])
    assert first["totals"][0]["amount_minor"] == sum(
        cy_lines.values_list("amount_minor", flat=True)
    )
    assert len(client.get("/api/me/earnings/?page=2").json()["results"]) == 1
    assert client.get("/api/me/earnings/?page=9").status_code == 404


# --- payee details --------------------------------------------------------------------------


def verify_token_in(body: str) -> str:
    """The token at the end of the emailed link (whatever the page's path)."""
    link = next(line for line in body.splitlines() if line.startswith("http"))
    return link.rstrip("/").rsplit("/", 1)[1]


def test_payee_details_through_the_api(world, django_capture_on_commit_callbacks):
    assert client_for().get("/api/me/payee/").status_code == 401
    assert client_for().put("/api/me/payee/", {}, format="json").status_code == 401
    person = world["artist"]
    client = client_for(person)
    assert client.get("/api/me/payee/").json() == {
        "payout_email": "",
        "payee_name": "",
        "email_verified": False,
        "payable": False,
        "changed_at": None,
    }
    bad = client.put("/api/me/payee/", {"payout_email": "nope", "payee_name": "A"}, format="json")
    assert bad.status_code == 400
    assert "payout_email" in bad.json()
    with django_capture_on_commit_callbacks(execute=True):
        first = client.put(
            "/api/me/payee/", {"payout_email": "me@pay.example", "payee_name": "Me"}, format="json"
        )
    assert first.status_code == 200, first.content
    assert first.json()["email_verified"] is False
    assert first.json()["payout_email"] == "me@pay.example"
    sent = [m for m in mail.outbox if "payout email" in m.subject]
    assert [m.to for m in sent] == [["me@pay.example"]]
    token = verify_token_in(sent[0].body)
    assert (
        client_for().post("/api/me/payee/verify/", {"token": "bad"}, format="json").status_code
        == 400
    )
    assert (
        client_for().post("/api/me/payee/verify/", {"token": token}, format="json").status_code
        == 200
    )
    assert client.get("/api/me/payee/").json()["payable"] is True

    change = {"payout_email": "new@pay.example", "payee_name": "Me"}
    missing = client.put("/api/me/payee/", change, format="json")
    assert missing.status_code == 400
    assert "password" in missing.json()
    wrong = client.put("/api/me/payee/", {**change, "password": "wrong"}, format="json")
    assert wrong.status_code == 400
    assert "password" in wrong.json()
    assert client.get("/api/me/payee/").json()["payout_email"] == "me@pay.example"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.put(
            "/api/me/payee/", {**change, "password": "correct-horse-battery"}, format="json"
        )
    assert done.status_code == 200
    assert done.json()["payout_email"] == "new@pay.example"
    assert not done.json()["email_verified"]
    assert sorted(m.to[0] for m in mail.outbox) == ["me@pay.example", "new@pay.example"]
    assert "password" not in json.dumps(done.json())


def test_the_schema_names_every_money_endpoint(world):
    schema = client_for().get("/api/schema/?format=json").json()
    operations = {
        op["operationId"]
        for path in schema["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert {
        "revenue_create",
        "distribution_retrieve",
        "distribution_propose",
        "distribution_approve",
        "distribution_recompute",
        "distribution_claim_create",
        "payment_batch_create",
        "payment_batch_retrieve",
        "payment_batch_csv",
        "payment_batch_paypal",
        "distribution_line_paid",
        "distribution_line_failed",
        "me_earnings",
        "me_payee_retrieve",
        "me_payee_update",
    } <= operations
    earnings = schema["components"]["schemas"]["PaginatedEarningList"]
    assert "totals" in earnings["properties"]
