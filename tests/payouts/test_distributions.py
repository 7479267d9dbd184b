"""Revenue to paid: distributions computed from stored credits, proposed, claimed,
approved, exported in batches and paid; and the database guard on approved money."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.models import AuditEntry, Notification
from hitrecord.errors import ConflictError
from payouts import distributions as money
from payouts.models import (
    Claim,
    Distribution,
    DistributionLine,
    LinePayee,
    PayeeDetails,
    Revenue,
)
from payouts.money import format_minor, units_to_minor
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory, SourceFactory
from tests.payouts.factories import lock
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db
Status = Distribution.Status
Payment = DistributionLine.Payment


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    project = ProjectFactory()
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
    return {
        "project": project,
        "version": version,
        "staff": UserFactory(is_staff=True),
        "people": (ana, ben, cy),
    }


def record(world, amount=1001, currency="USD", **kwargs):
    return money.revenue_record(
        project=world["project"],
        amount_minor=amount,
        currency=currency,
        by=world["staff"],
        **kwargs,
    )


def test_recording_revenue_computes_lines_that_follow_the_split_rule(
    world, django_capture_on_commit_callbacks
):
    ana, ben, cy = world["people"]
    with django_capture_on_commit_callbacks(execute=True):
        revenue, created = record(world, amount=1001)
    assert created
    distribution = Distribution.objects.get(revenue=revenue)
    assert distribution.status == Status.COMPUTED
    # pool = floor(1001 / 2) = 500: film keeps 1/2 (250), song 1/4 (125), poem 1/4 (125).
    assert (distribution.pool_minor, distribution.house_minor) == (500, 501)
    lines = {line.person_id: line for line in distribution.lines.all()}
    assert {p: line.amount_minor for p, line in lines.items()} == {
        cy.pk: 250,
        ben.pk: 125,
        ana.pk: 125,
    }
    assert lines[cy.pk].credit.share_exact == "1/2"
    assert sum(line.amount_minor for line in lines.values()) == distribution.pool_minor
    assert AuditEntry.objects.filter(action="revenue.record").count() == 1


def test_computing_twice_leaves_one_set_of_lines(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        revenue, _ = record(world)
    distribution = Distribution.objects.get(revenue=revenue)
    money.distribution_compute(distribution_id=distribution.pk)
    Distribution.objects.filter(pk=distribution.pk).update(status=Status.PENDING)
    money.distribution_compute(distribution_id=distribution.pk)
    assert distribution.lines.count() == 3


def test_a_reference_seen_again_returns_the_first_revenue_or_409(world):
    first, created = record(world, amount=500, reference="INV-1")
    again, created_again = record(world, amount=500, reference="INV-1")
    assert created
    assert not created_again
    assert again.pk == first.pk
    with pytest.raises(ConflictError, match="other fields"):
        record(world, amount=501, reference="INV-1")
    assert Revenue.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": 0}, "amount_minor"),
        ({"amount": -5}, "amount_minor"),
        ({"amount": 10**20}, "amount_minor"),
        ({"amount": "12"}, "amount_minor"),
        ({"amount": True}, "amount_minor"),
        ({"currency": "ZZZ"}, "currency"),
        ({"currency": "XAU"}, "currency"),
        ({"currency": "DEM"}, "currency"),
    ],
)
def test_bad_revenue_says_what_to_fix_and_stores_nothing(world, kwargs, field):
    with pytest.raises(ValidationError) as error:
        record(world, **kwargs)
    assert field in error.value.message_dict
    assert not Revenue.objects.exists()


def test_revenue_needs_a_locked_cut_and_a_version_of_the_same_project(world):
    other = ProjectFactory()
    with pytest.raises(ValidationError, match="no locked cut"):
        money.revenue_record(project=other, amount_minor=5, currency="USD", by=world["staff"])
    with pytest.raises(ValidationError, match="another project"):
        money.revenue_record(
            project=other,
            amount_minor=5,
            currency="USD",
            by=world["staff"],
            version=world["version"],
        )
    with pytest.raises(PermissionDenied):
        money.revenue_record(
            project=world["project"], amount_minor=5, currency="USD", by=world["people"][0]
        )


def test_amounts_in_the_currency_units():
    assert units_to_minor("12.50", "USD") == 1250
    assert units_to_minor("1250", "JPY") == 1250
    assert units_to_minor("1.234", "KWD") == 1234
    assert format_minor(1250, "USD") == "12.50 USD"
    assert format_minor(1250, "JPY") == "1,250 JPY"
    with pytest.raises(ValidationError, match="no decimals"):
        units_to_minor("12.5", "JPY")
    with pytest.raises(ValidationError, match="2 decimal places"):
        units_to_minor("12.505", "USD")


def _computed(world, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        revenue, _ = record(world, **kwargs)
    return Distribution.objects.get(revenue=revenue)


def _past_deadline(distribution):
    Distribution.objects.filter(pk=distribution.pk).update(
        claim_deadline=timezone.now() - datetime.timedelta(seconds=1)
    )


def test_from_proposal_to_paid(world, django_capture_on_commit_callbacks):
    staff = world["staff"]
    ana, ben, cy = world["people"]
    distribution = _computed(world, django_capture_on_commit_callbacks)
    with pytest.raises(ConflictError):
        money.distribution_approve(distribution=distribution, by=staff)
    money.distribution_propose(distribution=distribution, by=staff, claim_days=14)
    assert Notification.objects.filter(kind=Notification.Kind.PROPOSED).count() == 3
    with pytest.raises(ConflictError, match="claim window"):
        money.distribution_approve(distribution=distribution, by=staff)

    claim = money.claim_file(distribution=distribution, by=ana, text="My sketch is missing.")
    with pytest.raises(ConflictError, match="already"):
        money.claim_file(distribution=distribution, by=ana, text="Again")
    _past_deadline(distribution)
    with pytest.raises(ConflictError, match="claim is open"):
        money.distribution_approve(distribution=distribution, by=staff)
    money.claim_answer(claim=claim, by=staff, accept=False, answer="The sketch is not in the cut.")
    assert Notification.objects.filter(recipient=ana, kind=Notification.Kind.CLAIM).exists()
    with pytest.raises(ConflictError, match="closed"):
        money.claim_file(distribution=distribution, by=ben, text="Late")

    # ben changes his payout email after approval: the line keeps the old one.
    approved = money.distribution_approve(distribution=distribution, by=staff)
    assert approved.status == Status.APPROVED
    PayeeDetails.objects.filter(person=ben).update(payout_email="thief@example.com")
    batch = money.payment_batch_export(currency="USD", by=staff)
    assert sorted(batch.lines.values_list("payee__payout_email", flat=True)) == sorted(
        f"pay-{p.username}@example.com" for p in (ana, ben, cy)
    )
    with pytest.raises(ConflictError, match="nothing to export"):
        money.payment_batch_export(currency="USD", by=staff)

    lines = list(batch.lines.order_by("pk"))
    money.line_mark_failed(line=lines[0], by=staff, reason="Account closed")
    second = money.payment_batch_export(currency="USD", by=staff)
    assert list(second.lines.values_list("pk", flat=True)) == [lines[0].pk]
    for line in DistributionLine.objects.filter(distribution=distribution):
        money.line_mark_paid(line=line, by=staff, reference=f"PAY-{line.pk}")
    distribution.refresh_from_db()
    assert distribution.status == Status.PAID
    assert Notification.objects.filter(kind=Notification.Kind.PAID).count() == 3


def test_accepting_a_claim_cancels_and_recompute_makes_a_new_distribution(
    world, django_capture_on_commit_callbacks
):
    staff = world["staff"]
    distribution = _computed(world, django_capture_on_commit_callbacks)
    money.distribution_propose(distribution=distribution, by=staff)
    claim = money.claim_file(distribution=distribution, by=world["people"][0], text="Missing")
    money.claim_answer(claim=claim, by=staff, accept=True, answer="Right; we add the source.")
    distribution.refresh_from_db()
    assert distribution.status == Status.CANCELLED
    with django_capture_on_commit_callbacks(execute=True):
        fresh = money.distribution_recompute(distribution=distribution, by=staff)
    fresh.refresh_from_db()
    assert fresh.pk != distribution.pk
    assert fresh.status == Status.COMPUTED
    with pytest.raises(ConflictError):
        money.distribution_recompute(distribution=fresh, by=staff)


def test_a_claim_needs_a_verified_email(world, django_capture_on_commit_callbacks):
    distribution = _computed(world, django_capture_on_commit_callbacks)
    money.distribution_propose(distribution=distribution, by=world["staff"])
    unverified = UserFactory(email_verified_at=None)
    with pytest.raises(PermissionDenied, match="Verify"):
        money.claim_file(distribution=distribution, by=unverified, text="Hello")
    assert not Claim.objects.exists()


def test_deleted_accounts_and_zero_lines_are_not_payable(world, django_capture_on_commit_callbacks):
    from accounts.services import user_anonymise

    ana = world["people"][0]
    user_anonymise(user=ana, by=ana)
    distribution = _computed(world, django_capture_on_commit_callbacks, amount=3)
    statuses = {
        line.person_id: (line.amount_minor, line.payment_status)
        for line in distribution.lines.all()
    }
    assert statuses[ana.pk][1] == Payment.NOT_PAYABLE
    assert sum(a for a, _ in statuses.values()) == distribution.pool_minor == 1
    zero = [s for a, s in statuses.values() if a == 0]
    assert zero
    assert all(s == Payment.NOT_PAYABLE for s in zero)


# --- the database refuses changes to approved money -----------------------------------------


def _raw(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_raw_sql_cannot_change_approved_distributions_or_lines(
    world, django_capture_on_commit_callbacks
):
    staff = world["staff"]
    distribution = _computed(world, django_capture_on_commit_callbacks)
    money.distribution_propose(distribution=distribution, by=staff)
    _past_deadline(distribution)
    money.distribution_approve(distribution=distribution, by=staff)
    line = distribution.lines.order_by("pk").first()
    refused = [
        ("UPDATE payouts_distribution SET pool_minor = 1 WHERE id = %s", [distribution.pk]),
        ("UPDATE payouts_distribution SET status = 'computed' WHERE id = %s", [distribution.pk]),
        ("DELETE FROM payouts_distribution WHERE id = %s", [distribution.pk]),
        ("UPDATE payouts_distributionline SET amount_minor = 999 WHERE id = %s", [line.pk]),
        ("UPDATE payouts_distributionline SET payment_status = 'paid' WHERE id = %s", [line.pk]),
        ("DELETE FROM payouts_distributionline WHERE id = %s", [line.pk]),
        (
            "INSERT INTO payouts_distributionline (distribution_id, person_id, credit_id, "
            "amount_minor, payment_status, payment_reference, failure_reason) "
            "VALUES (%s, %s, %s, 1, 'unpaid', '', '')",
            [distribution.pk, staff.pk, line.credit_id],
        ),
        (
            "UPDATE payouts_linepayee SET payout_email = 'x@example.com' WHERE line_id = %s",
            [line.pk],
        ),
    ]
    for sql, params in refused:
        with pytest.raises(DatabaseError):
            _raw(sql, params)
    # The payment columns may move along their path, and kept details may be redacted.
    _raw("UPDATE payouts_distributionline SET payment_status = 'in_batch' WHERE id = %s", [line.pk])
    _raw(
        "UPDATE payouts_linepayee SET payout_email = '', payee_name = '', redacted = %s "
        "WHERE line_id = %s",
        [True, line.pk],
    )
    line.refresh_from_db()
    assert line.payment_status == Payment.IN_BATCH
    assert LinePayee.objects.get(line=line).redacted
    assert Decimal(line.amount_minor) == line.amount_minor


def test_a_claim_window_of_0_days_lets_staff_approve_at_once_and_takes_no_claim(
    world, django_capture_on_commit_callbacks
):
    staff = world["staff"]
    distribution = _computed(world, django_capture_on_commit_callbacks)
    money.distribution_propose(distribution=distribution, by=staff, claim_days=0)
    with pytest.raises(ConflictError, match="closed"):
        money.claim_file(distribution=distribution, by=world["people"][0], text="Missing")
    assert money.distribution_approve(distribution=distribution, by=staff).status == Status.APPROVED
    with pytest.raises(ValidationError):
        money.distribution_propose(distribution=distribution, by=staff, claim_days=-1)
