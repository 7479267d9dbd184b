"""Payee details: a payout email is confirmed before anything is exported to it, changing
it asks for the password and tells the old address, a change just before an approval is
flagged, and deleting the account redacts what lines kept."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditEntry
from accounts.services import user_anonymise
from hitrecord.errors import ConflictError, RateLimited
from payouts import distributions as money
from payouts import payee
from payouts.models import Distribution, DistributionLine, LinePayee, PayeeDetails
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory
from tests.payouts.factories import lock
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db
Payment = DistributionLine.Payment
PASSWORD = "correct-horse-battery"


def token_in(message) -> str:
    link = next(line for line in message.body.splitlines() if line.startswith("http"))
    return link.rstrip("/").rsplit("/", 1)[1]


def set_details(person, email, name="Ana Payee", password=None, *, capture):
    with capture(execute=True):
        return payee.payee_details_set(
            person=person, payout_email=email, payee_name=name, password=password
        )


@pytest.fixture
def ana(db):
    return UserFactory(username="ana")


def test_a_new_payout_email_is_unconfirmed_until_its_link_is_followed(
    ana, django_capture_on_commit_callbacks
):
    details = set_details(ana, " Ana@Pay.EXAMPLE ", capture=django_capture_on_commit_callbacks)
    assert details.payout_email == "Ana@pay.example"  # the domain's case is dropped
    assert not details.payable
    assert details.changed_at is not None
    assert [m.to for m in mail.outbox] == [["Ana@pay.example"]]
    assert "confirm your payout email" in mail.outbox[0].subject
    assert mail.outbox[0].body.count("http://") == 1  # an absolute link
    confirmed = payee.payee_email_verify(token=token_in(mail.outbox[0]))
    assert confirmed.payable
    assert payee.payee_email_verify(token=token_in(mail.outbox[0])).payable  # idempotent
    assert AuditEntry.objects.filter(action="payee.email_verify").count() == 1
    assert AuditEntry.objects.filter(action="payee.set").count() == 1
    # The audit log never holds the address.
    assert "pay.example" not in str(list(AuditEntry.objects.values_list("details", flat=True)))


def test_links_are_refused_when_damaged_expired_or_for_an_old_address(
    ana, settings, django_capture_on_commit_callbacks
):
    set_details(ana, "old@pay.example", capture=django_capture_on_commit_callbacks)
    old_token = token_in(mail.outbox[0])
    with pytest.raises(ValidationError, match="does not work"):
        payee.payee_email_verify(token=old_token[:-2] + "xx")
    settings.EMAIL_VERIFICATION_MAX_AGE = -1
    with pytest.raises(ValidationError, match="expired"):
        payee.payee_email_verify(token=old_token)
    settings.EMAIL_VERIFICATION_MAX_AGE = 3600
    set_details(
        ana, "new@pay.example", password=PASSWORD, capture=django_capture_on_commit_callbacks
    )
    with pytest.raises(ValidationError, match="no longer your payout email"):
        payee.payee_email_verify(token=old_token)
    assert not PayeeDetails.objects.get(person=ana).payable


def test_changing_the_email_asks_for_the_password_and_tells_the_old_address(
    ana, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    set_details(ana, "old@pay.example", capture=capture)
    payee.payee_email_verify(token=token_in(mail.outbox[0]))
    mail.outbox.clear()
    for password, message in ((None, "Enter your password"), ("wrong", "not right")):
        with pytest.raises(ValidationError, match=message) as error:
            set_details(ana, "new@pay.example", password=password, capture=capture)
        assert "password" in error.value.message_dict
    kept = PayeeDetails.objects.get(person=ana)
    assert (kept.payout_email, kept.payable) == ("old@pay.example", True)
    assert not mail.outbox

    # A new name alone needs no password and keeps the confirmation.
    renamed = set_details(ana, "old@pay.example", name="Ana B.", capture=capture)
    assert renamed.payable
    assert renamed.payee_name == "Ana B."
    assert not mail.outbox

    changed = set_details(ana, "new@pay.example", password=PASSWORD, capture=capture)
    assert (changed.payout_email, changed.payable) == ("new@pay.example", False)
    to = {m.to[0]: m for m in mail.outbox}
    assert set(to) == {"new@pay.example", "old@pay.example"}
    assert "was changed" in to["old@pay.example"].subject
    assert "new@pay.example" not in to["old@pay.example"].body  # never tell where it went
    assert "confirm" in to["new@pay.example"].subject


def test_bad_details_say_what_to_fix_and_store_nothing(ana, django_capture_on_commit_callbacks):
    for email, name, field in (
        ("", "Ana", "payout_email"),
        ("not-an-email", "Ana", "payout_email"),
        ("a@" + "x" * 260 + ".com", "Ana", "payout_email"),
        ("ana@pay.example", "  ", "payee_name"),
        ("ana@pay.example", "x" * 201, "payee_name"),
    ):
        with pytest.raises(ValidationError) as error:
            set_details(ana, email, name=name, capture=django_capture_on_commit_callbacks)
        assert field in error.value.message_dict
    assert not PayeeDetails.objects.filter(payout_email__gt="").exists()
    assert not mail.outbox


def test_wrong_passwords_are_limited(ana, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    set_details(ana, "old@pay.example", capture=capture)
    for _ in range(payee.PASSWORD_TRIES):
        with pytest.raises(ValidationError):
            set_details(ana, "new@pay.example", password="wrong", capture=capture)
    with pytest.raises(RateLimited):
        set_details(ana, "new@pay.example", password=PASSWORD, capture=capture)
    assert PayeeDetails.objects.get(person=ana).payout_email == "old@pay.example"


def test_resending_the_link_waits_a_minute(ana, django_capture_on_commit_callbacks):
    set_details(ana, "old@pay.example", capture=django_capture_on_commit_callbacks)
    mail.outbox.clear()
    assert payee.payee_email_verification_send(person=ana)
    with pytest.raises(RateLimited):
        payee.payee_email_verification_send(person=ana)
    assert len(mail.outbox) == 1


# --- approval, export, flags and deleted accounts --------------------------------------------


@pytest.fixture
def proposed(django_capture_on_commit_callbacks):
    """A proposed distribution with lines for ana (verified payout email), ben (unverified)
    and cy (none): returns ``(distribution, staff, people)``."""
    project = ProjectFactory()
    ana, ben, cy = UserFactory(), UserFactory(), UserFactory()
    items = [(ContributionFactory(project=project, author=p), "1") for p in (ana, ben, cy)]
    staff = UserFactory(is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        lock(project, project.created_by, items)
        revenue, _ = money.revenue_record(
            project=project, amount_minor=3000, currency="EUR", by=staff
        )
    PayeeDetails.objects.create(
        person=ana,
        payout_email="ana@pay.example",
        payee_name="Ana",
        email_verified_at=timezone.now(),
    )
    PayeeDetails.objects.create(person=ben, payout_email="ben@pay.example", payee_name="Ben")
    distribution = Distribution.objects.get(revenue=revenue)
    money.distribution_propose(distribution=distribution, by=staff)
    return distribution, staff, (ana, ben, cy)


def _approve(distribution, staff):
    Distribution.objects.filter(pk=distribution.pk).update(
        claim_deadline=timezone.now() - datetime.timedelta(seconds=1)
    )
    return money.distribution_approve(distribution=distribution, by=staff)


def test_only_a_confirmed_payout_email_is_kept_and_exported(proposed):
    distribution, staff, (ana, ben, cy) = proposed
    _approve(distribution, staff)
    kept = {p.line.person_id: p.payout_email for p in LinePayee.objects.select_related("line")}
    assert kept == {ana.pk: "ana@pay.example", ben.pk: "", cy.pk: ""}
    batch = money.payment_batch_export(currency="EUR", by=staff)
    assert list(batch.lines.values_list("person_id", flat=True)) == [ana.pk]
    # ana changes her payout email after approval: her kept one is never replaced.
    PayeeDetails.objects.filter(person=ana).update(payout_email="elsewhere@pay.example")
    # ben confirms after approval: nothing was kept for him, so the first verified address
    # is kept now and his line goes into the next batch (a first destination, not a
    # redirect); cy still has none and waits.
    PayeeDetails.objects.filter(person=ben).update(email_verified_at=timezone.now())
    second = money.payment_batch_export(currency="EUR", by=staff)
    assert list(second.lines.values_list("person_id", flat=True)) == [ben.pk]
    kept = {p.line.person_id: p.payout_email for p in LinePayee.objects.select_related("line")}
    assert kept == {ana.pk: "ana@pay.example", ben.pk: "ben@pay.example", cy.pk: ""}
    with pytest.raises(ConflictError, match="nothing to export"):
        money.payment_batch_export(currency="EUR", by=staff)


def test_a_change_just_before_approval_is_flagged(proposed, django_capture_on_commit_callbacks):
    distribution, staff, (ana, ben, cy) = proposed
    lines = {line.person_id: line for line in distribution.lines.select_related("distribution")}
    assert payee.payee_recently_changed_lines(lines.values()) == set()  # created directly
    set_details(
        ana,
        "ana2@pay.example",
        name="Ana",
        password=PASSWORD,
        capture=django_capture_on_commit_callbacks,
    )
    assert payee.payee_recently_changed(lines[ana.pk])
    assert not payee.payee_recently_changed(lines[ben.pk])
    _approve(distribution, staff)
    approved_lines = list(distribution.lines.select_related("distribution"))
    assert payee.payee_recently_changed_lines(approved_lines) == {lines[ana.pk].pk}
    # A change long before the approval is not flagged, nor one after it.
    later = timezone.now() + datetime.timedelta(days=payee.RECENT_CHANGE_DAYS + 1)
    assert payee.payee_changes_before(person_ids=[ana.pk], at=later) == {}
    set_details(
        ben,
        "ben2@pay.example",
        name="Ben",
        password=PASSWORD,
        capture=django_capture_on_commit_callbacks,
    )
    assert payee.payee_recently_changed_lines(approved_lines) == {lines[ana.pk].pk}


def test_deleting_an_account_redacts_its_payee_details(
    proposed, django_capture_on_commit_callbacks
):
    distribution, staff, (ana, ben, cy) = proposed
    _approve(distribution, staff)
    # A second, still proposed distribution of the same project with a line for ana.
    with django_capture_on_commit_callbacks(execute=True):
        revenue, _ = money.revenue_record(
            project=distribution.revenue.project, amount_minor=600, currency="EUR", by=staff
        )
    open_one = Distribution.objects.get(revenue=revenue)
    money.distribution_propose(distribution=open_one, by=staff)

    user_anonymise(user=ana, by=ana)

    assert not PayeeDetails.objects.filter(person=ana).exists()
    kept = LinePayee.objects.get(line__person=ana)
    assert (kept.payout_email, kept.payee_name, kept.redacted) == ("", "", True)
    approved_line = distribution.lines.get(person=ana)
    # approved lines may move unpaid -> not_payable (the database allows just that), so a
    # deleted account's line never blocks its distribution from being paid
    assert approved_line.payment_status == Payment.NOT_PAYABLE
    assert approved_line.amount_minor == 500  # the amounts still sum to the pool
    assert open_one.lines.get(person=ana).payment_status == Payment.NOT_PAYABLE
    with pytest.raises(ConflictError, match="nothing to export"):
        money.payment_batch_export(currency="EUR", by=staff)
    assert AuditEntry.objects.filter(action="payee.redact", target_id=str(ana.pk)).exists()
    user_anonymise(user=ana, by=ana)  # idempotent
    assert AuditEntry.objects.filter(action="payee.redact").count() == 1


def test_deleting_an_account_with_no_payee_details_changes_nothing_else(db):
    person = UserFactory()
    user_anonymise(user=person, by=person)
    assert not AuditEntry.objects.filter(action="payee.redact").exists()


def test_a_deleted_account_does_not_keep_a_distribution_from_being_paid(proposed):
    distribution, staff, (ana, ben, cy) = proposed
    _approve(distribution, staff)
    # ben and cy had no verified payout email at approval: once they verify one, the next
    # export keeps it for their line (the first destination, not a redirect).
    PayeeDetails.objects.filter(person=ben).update(email_verified_at=timezone.now())
    PayeeDetails.objects.create(
        person=cy, payout_email="cy@pay.example", payee_name="Cy", email_verified_at=timezone.now()
    )
    batch = money.payment_batch_export(currency=distribution.currency, by=staff)
    assert batch.lines.count() == 3
    assert LinePayee.objects.get(line__person=cy).payout_email == "cy@pay.example"
    for line in batch.lines.exclude(person=ana):
        money.line_mark_paid(line=line, by=staff, reference=f"P-{line.pk}")
    # ana's line is in the batch: staff settle it from the provider's answer ...
    ana_line = batch.lines.get(person=ana)
    money.line_mark_failed(line=ana_line, by=staff, reason="Account closed")
    distribution.refresh_from_db()
    assert distribution.status == Distribution.Status.APPROVED
    # ... and once ana deletes her account, nothing is left to pay: the distribution is paid.
    user_anonymise(user=ana, by=ana)
    distribution.refresh_from_db()
    ana_line.refresh_from_db()
    assert ana_line.payment_status == Payment.NOT_PAYABLE
    assert distribution.status == Distribution.Status.PAID
