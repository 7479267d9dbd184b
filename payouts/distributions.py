"""Every write about money: recording revenue, computing, proposing, approving and
recomputing distributions, claims, and paying lines through batches.

The same house rules as ``payouts.services``: keyword-only, atomic, permission checks
(``PermissionDenied``), validation before anything is written (``ValidationError``), wrong
states are ``ConflictError`` (409), every change of state is audited. Rows that hold money
are locked in a fixed order (``select_for_update().order_by("pk")``) and uniqueness is a
database constraint. The computation reads the version's stored credits (computing them
first when needed) and does its work outside any transaction; its result is committed in a
short transaction that locks the distribution and checks its state again, so running it
twice, concurrently or after a worker died leaves one set of lines.
"""

from __future__ import annotations

import datetime
from fractions import Fraction
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Notification, User
from accounts.services import audit_record, notify_many
from hitrecord.errors import ConflictError
from payouts import split
from payouts.models import (
    Claim,
    CutVersion,
    Distribution,
    DistributionLine,
    LinePayee,
    PayeeDetails,
    PaymentBatch,
    PersonCredit,
    Revenue,
    VersionCredits,
)
from payouts.money import AMOUNT_MAX_MINOR, clean_currency, format_minor
from payouts.money_versions import money_changed
from payouts.payee import payee_changes_before
from payouts.selectors import latest_version
from payouts.services import version_credits_compute
from projects.models import Project

CLAIM_DAYS_DEFAULT = 14
CLAIM_DAYS_MAX = 90
Status = Distribution.Status
Payment = DistributionLine.Payment


def _require_staff(by: Any) -> None:
    if not getattr(by, "is_authenticated", False) or not by.is_staff:
        raise PermissionDenied("Only staff run payouts.")


def _locked(distribution_id: int) -> Distribution:
    return (
        Distribution.objects.select_for_update().select_related("revenue").get(pk=distribution_id)
    )


# --- revenue ------------------------------------------------------------------------------


def revenue_record(
    *,
    project: Project,
    amount_minor: int,
    currency: str,
    by: User,
    version: CutVersion | None = None,
    reference: str | None = None,
    note: str = "",
    received_on: datetime.date | None = None,
) -> tuple[Revenue, bool]:
    """Record revenue against a locked version of ``project``'s cut (the latest by
    default) and create its distribution, ``pending``, in the same transaction; the
    computation is enqueued once it commits. Returns ``(revenue, created)``.

    Staff only. ``amount_minor`` is a positive integer of the currency's minor units; the
    currency an active ISO 4217 code. A ``reference`` seen before with the same fields
    returns the first revenue (``created`` False); with different fields, ``ConflictError``.
    Audited."""
    _require_staff(by)
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise ValidationError({"amount_minor": "Send the amount as a whole number of minor units."})
    if amount_minor <= 0:
        raise ValidationError({"amount_minor": "The amount must be above 0."})
    if amount_minor > AMOUNT_MAX_MINOR:
        raise ValidationError({"amount_minor": "That amount is too large."})
    code = clean_currency(currency)
    reference = (reference or "").strip() or None
    if reference is not None and len(reference) > 200:
        raise ValidationError({"reference": "Keep the reference under 200 characters."})
    if len(note) > 2000:
        raise ValidationError({"note": "Keep the note under 2,000 characters."})
    if version is None:
        version = latest_version(project=project)
        if version is None:
            raise ValidationError(
                {"project": "This project has no locked cut yet: its directors lock one first."}
            )
    elif version.project_id != project.pk or not version.sealed:
        raise ValidationError({"version": "That version belongs to another project's cut."})
    received = received_on or timezone.localdate()
    if reference is not None:
        existing = Revenue.objects.filter(reference=reference).first()
        if existing is not None:
            return _same_revenue(existing, project, amount_minor, code, version), False
    try:
        with transaction.atomic():
            revenue = Revenue.objects.create(
                project=project,
                version=version,
                amount_minor=amount_minor,
                currency=code,
                reference=reference,
                note=note,
                received_on=received,
                recorded_by=by,
            )
            distribution = Distribution.objects.create(
                revenue=revenue,
                version=version,
                currency=code,
                amount_minor=amount_minor,
            )
            money_changed(projects=[project.pk])
            audit_record(
                actor=by,
                action="revenue.record",
                target=revenue,
                details={
                    "project": project.pk,
                    "version": version.number,
                    "amount_minor": amount_minor,
                    "currency": code,
                    "reference": reference,
                },
            )
            _enqueue_compute(distribution.pk)
    except IntegrityError:
        existing = Revenue.objects.filter(reference=reference).first() if reference else None
        if existing is None:
            raise
        return _same_revenue(existing, project, amount_minor, code, version), False
    return revenue, True


def _same_revenue(
    existing: Revenue, project: Project, amount_minor: int, currency: str, version: CutVersion
) -> Revenue:
    same = (
        existing.project_id == project.pk
        and existing.amount_minor == amount_minor
        and existing.currency == currency
        and existing.version_id == version.pk
    )
    if not same:
        raise ConflictError(
            "That reference was already recorded with other fields (project, amount, "
            "currency or version): use a new reference, or correct the first revenue."
        )
    return existing


def _enqueue_compute(distribution_id: int) -> None:
    from payouts.tasks import distribution_compute

    transaction.on_commit(lambda: distribution_compute.delay(distribution_id))


# --- computing ----------------------------------------------------------------------------


def _credits_for(version: CutVersion) -> VersionCredits:
    stored = VersionCredits.objects.filter(version=version, sealed=True).first()
    return stored or version_credits_compute(version_id=version.pk)


def distribution_compute(*, distribution_id: int) -> Distribution | None:
    """Compute a pending distribution's lines from its version's stored credits.

    Idempotent: a distribution no longer pending is returned as it is, so running twice,
    concurrently or after a worker died leaves one set of lines. The amounts are worked
    out with no transaction open; then one short transaction locks the row, checks it is
    still pending and has no lines, and writes every line (a database constraint keeps a
    person to one line). People with zero credit get no line; lines of 0 and of deleted
    accounts are ``not_payable``."""
    distribution = Distribution.objects.filter(pk=distribution_id).first()
    if distribution is None or distribution.status != Status.PENDING:
        return distribution
    version = distribution.version
    credits = _credits_for(version)
    people = list(PersonCredit.objects.filter(credits=credits).order_by("person_id"))
    pool, house = split.pool_of(distribution.amount_minor, Fraction(version.contributor_share))
    amounts = (
        split.allocate({p.person_id: Fraction(p.share_exact) for p in people}, pool)
        if people
        else {}
    )
    if not people:
        pool, house = 0, distribution.amount_minor
    anonymised = set(
        User.objects.filter(pk__in=amounts, is_anonymised=True).values_list("pk", flat=True)
    )
    with transaction.atomic():
        locked = _locked(distribution_id)
        if locked.status != Status.PENDING or locked.lines.exists():
            return locked
        DistributionLine.objects.bulk_create(
            DistributionLine(
                distribution=locked,
                person_id=p.person_id,
                credit=p,
                amount_minor=amounts[p.person_id],
                payment_status=Payment.NOT_PAYABLE
                if amounts[p.person_id] == 0 or p.person_id in anonymised
                else Payment.UNPAID,
            )
            for p in people
        )
        locked.pool_minor = pool
        locked.house_minor = house
        locked.status = Status.COMPUTED
        locked.computed_at = timezone.now()
        locked.failure_reason = ""
        locked.save(
            update_fields=["pool_minor", "house_minor", "status", "computed_at", "failure_reason"]
        )
        money_changed(distribution_ids=[locked.pk])
        audit_record(
            actor=None,
            action="distribution.compute",
            target=locked,
            details={"pool_minor": pool, "house_minor": house, "lines": len(people)},
        )
    return locked


def distribution_fail(*, distribution_id: int, reason: str) -> None:
    """The computation gave up: the distribution ends ``failed`` with ``reason`` (staff can
    recompute it). Only a pending distribution fails."""
    with transaction.atomic():
        locked = _locked(distribution_id)
        if locked.status != Status.PENDING:
            return
        locked.status = Status.FAILED
        locked.failure_reason = reason[:500]
        locked.save(update_fields=["status", "failure_reason"])
        money_changed(distribution_ids=[locked.pk])
        audit_record(
            actor=None, action="distribution.fail", target=locked, details={"reason": reason}
        )


def distribution_recompute(
    *, distribution: Distribution, by: User, version: CutVersion | None = None
) -> Distribution:
    """Compute a failed or cancelled distribution again, optionally on another (newer)
    locked version of the same project. A failed one goes back to ``pending``; a cancelled
    one stays for the record and a new distribution of the same revenue is made. Staff
    only; any other state is ``ConflictError``. Audited; the computation is enqueued."""
    _require_staff(by)
    revenue = distribution.revenue
    if version is not None and (version.project_id != revenue.project_id or not version.sealed):
        raise ValidationError({"version": "That version belongs to another project's cut."})
    with transaction.atomic():
        locked = _locked(distribution.pk)
        if locked.status not in {Status.FAILED, Status.CANCELLED}:
            raise ConflictError(
                "Only a failed or cancelled distribution is recomputed; "
                f"this one is {locked.status}."
            )
        target_version = version or locked.version
        if locked.status == Status.FAILED:
            locked.status = Status.PENDING
            locked.version = target_version
            locked.failure_reason = ""
            locked.save(update_fields=["status", "version", "failure_reason"])
            fresh = locked
        else:
            try:
                with transaction.atomic():
                    fresh = Distribution.objects.create(
                        revenue=revenue,
                        version=target_version,
                        currency=locked.currency,
                        amount_minor=locked.amount_minor,
                    )
            except IntegrityError:
                raise ConflictError(
                    "This revenue already has a distribution that is not cancelled."
                ) from None
        money_changed(distribution_ids=[locked.pk, fresh.pk])
        audit_record(
            actor=by,
            action="distribution.recompute",
            target=fresh,
            details={"from": locked.pk, "version": target_version.number},
        )
        _enqueue_compute(fresh.pk)
    return fresh


# --- proposing, claims, approving ---------------------------------------------------------


def distribution_propose(
    *, distribution: Distribution, by: User, claim_days: int = CLAIM_DAYS_DEFAULT
) -> Distribution:
    """Propose a computed distribution: it and its lines become public, a claim window of
    ``claim_days`` days opens (0 skips it: nobody can claim, and it can be approved at
    once; staff choose that only when everyone with a line has agreed), and everyone with
    a line is notified. Staff only; any state
    but ``computed`` is ``ConflictError``. Audited."""
    _require_staff(by)
    if (
        isinstance(claim_days, bool)
        or not isinstance(claim_days, int)
        or not (0 <= claim_days <= CLAIM_DAYS_MAX)
    ):
        raise ValidationError(
            {"claim_days": f"The claim window is 0 to {CLAIM_DAYS_MAX} days (0: no claims)."}
        )
    with transaction.atomic():
        locked = _locked(distribution.pk)
        if locked.status != Status.COMPUTED:
            raise ConflictError(
                f"Only a computed distribution is proposed; this one is {locked.status}."
            )
        now = timezone.now()
        locked.status = Status.PROPOSED
        locked.proposed_at = now
        locked.claim_deadline = now + datetime.timedelta(days=claim_days)
        locked.save(update_fields=["status", "proposed_at", "claim_deadline"])
        money_changed(distribution_ids=[locked.pk])
        audit_record(
            actor=by,
            action="distribution.propose",
            target=locked,
            details={"claim_days": claim_days},
        )
        project = locked.revenue.project
        people = User.objects.filter(
            pk__in=locked.lines.values("person_id"), is_active=True, is_anonymised=False
        )
        notify_many(
            recipients=people,
            kind=Notification.Kind.PROPOSED,
            message=(
                f"A distribution of {format_minor(locked.amount_minor, locked.currency)} for "
                f"“{project.title}” was proposed; claims are open until "
                f"{locked.claim_deadline:%Y-%m-%d}."
            ),
            url="/me/earnings/",
        )
    return locked


def claim_file(*, distribution: Distribution, by: User, text: str) -> Claim:
    """File a claim on a proposed distribution ("my work is missing"): signed in with a
    verified email, until the deadline, once per person. Locks the distribution's row, so a
    claim filed during an approval is either refused or blocks it. Audited."""
    if not getattr(by, "is_authenticated", False):
        raise PermissionDenied("Sign in first.")
    if not by.email_verified:
        raise PermissionDenied("Verify your email address first: claims need a verified address.")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Say what is wrong: which work is missing, or why."})
    if len(text) > 5000:
        raise ValidationError({"text": "Keep the claim under 5,000 characters."})
    with transaction.atomic():
        locked = _locked(distribution.pk)
        if locked.status != Status.PROPOSED:
            raise ConflictError("Claims are open only while a distribution is proposed.")
        if locked.claim_deadline is None or timezone.now() >= locked.claim_deadline:
            raise ConflictError("The claim window has closed.")
        if Claim.objects.filter(distribution=locked, claimant=by).exists():
            raise ConflictError("You already filed a claim on this distribution.")
        claim = Claim.objects.create(distribution=locked, claimant=by, text=text)
        money_changed(people=[by.pk])
        audit_record(
            actor=by, action="claim.file", target=claim, details={"distribution": locked.pk}
        )
    return claim


def claim_answer(*, claim: Claim, by: User, accept: bool, answer: str) -> Claim:
    """Staff accept or reject an open claim with a written answer. Accepting cancels the
    distribution (kept for the record; staff recompute it). The claimant is notified.
    Audited."""
    _require_staff(by)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": "Write an answer: the claimant reads it."})
    with transaction.atomic():
        locked = _locked(claim.distribution_id)
        fresh = Claim.objects.select_for_update().get(pk=claim.pk)
        if fresh.status != Claim.Status.OPEN:
            raise ConflictError("That claim was already answered.")
        fresh.status = Claim.Status.ACCEPTED if accept else Claim.Status.REJECTED
        fresh.answer = answer
        fresh.answered_by = by
        fresh.answered_at = timezone.now()
        fresh.save(update_fields=["status", "answer", "answered_by", "answered_at"])
        money_changed(people=[fresh.claimant_id])
        if accept and locked.status == Status.PROPOSED:
            locked.status = Status.CANCELLED
            locked.save(update_fields=["status"])
            money_changed(distribution_ids=[locked.pk])
            audit_record(actor=by, action="distribution.cancel", target=locked, details={})
        audit_record(
            actor=by,
            action="claim.accept" if accept else "claim.reject",
            target=fresh,
            details={"answer": answer},
        )
        notify_many(
            recipients=[fresh.claimant],
            kind=Notification.Kind.CLAIM,
            message=f"Your claim was {fresh.status}: {answer[:300]}",
            url="/me/earnings/",
        )
    return fresh


def distribution_approve(*, distribution: Distribution, by: User) -> Distribution:
    """Approve a proposed distribution once its claim window has closed and no claim is
    open. Each line keeps the payee details in force now (a later change cannot redirect
    it). Staff only; refused (``ConflictError``) before the deadline, while a claim is open
    or in any other state. From here on it never changes. Audited."""
    _require_staff(by)
    with transaction.atomic():
        locked = _locked(distribution.pk)
        if locked.status != Status.PROPOSED:
            raise ConflictError(
                f"Only a proposed distribution is approved; this one is {locked.status}."
            )
        if locked.claim_deadline is None or timezone.now() < locked.claim_deadline:
            raise ConflictError(
                f"The claim window is open until {locked.claim_deadline:%Y-%m-%d %H:%M} UTC: "
                "approve after it closes."
            )
        if locked.claims.filter(status=Claim.Status.OPEN).exists():
            raise ConflictError("A claim is open: answer it before approving.")
        lines = list(locked.lines.select_for_update().order_by("pk"))
        details = {
            d.person_id: d
            for d in PayeeDetails.objects.filter(person_id__in=[line.person_id for line in lines])
        }
        LinePayee.objects.bulk_create(
            LinePayee(
                line=line,
                payout_email=details[line.person_id].payout_email
                if line.person_id in details and details[line.person_id].payable
                else "",
                payee_name=details[line.person_id].payee_name if line.person_id in details else "",
            )
            for line in lines
        )
        flagged = payee_changes_before(
            person_ids=[line.person_id for line in lines], at=timezone.now()
        )
        locked.status = Status.APPROVED
        locked.approved_at = timezone.now()
        locked.approved_by = by
        locked.save(update_fields=["status", "approved_at", "approved_by"])
        money_changed(distribution_ids=[locked.pk])
        audit_record(
            actor=by,
            action="distribution.approve",
            target=locked,
            details={"payee_recently_changed": sorted(flagged)},
        )
    return locked


# --- paying -------------------------------------------------------------------------------


def payment_batch_export(*, currency: str, by: User) -> PaymentBatch:
    """Put every payable unpaid line of ``currency`` (approved distributions, a verified
    payout email kept at approval) in a new batch: those lines move to ``in_batch``, so no
    later export repeats them and nobody is paid twice. Lines that failed before go back
    in. Staff only; ``ConflictError`` when nothing is payable. Audited."""
    _require_staff(by)
    code = clean_currency(currency)
    with transaction.atomic():
        _fill_missing_payees(code)
        lines = list(
            DistributionLine.objects.select_for_update(of=("self",))
            .filter(
                distribution__currency=code,
                distribution__status=Status.APPROVED,
                payment_status__in=[Payment.UNPAID, Payment.FAILED],
                amount_minor__gt=0,
            )
            .filter(payee__payout_email__gt="")
            .order_by("pk")
        )
        if not lines:
            raise ConflictError(f"No payable unpaid {code} lines: nothing to export.")
        batch = PaymentBatch.objects.create(currency=code, created_by=by)
        ids = [line.pk for line in lines]
        DistributionLine.objects.filter(pk__in=ids, payment_status=Payment.FAILED).update(
            payment_status=Payment.UNPAID
        )
        DistributionLine.objects.filter(pk__in=ids).update(
            payment_status=Payment.IN_BATCH, batch=batch
        )
        money_changed(
            distribution_ids=DistributionLine.objects.filter(pk__in=ids)
            .values_list("distribution_id", flat=True)
            .distinct()
        )
        audit_record(
            actor=by, action="batch.export", target=batch, details={"lines": ids, "currency": code}
        )
    return batch


def _fill_missing_payees(currency: str) -> None:
    """Lines approved while their person had no verified payout email kept none; once the
    person has verified one, it is kept for them now (the first destination, never a
    redirect: a kept email is never replaced). Audited per line."""
    waiting = (
        LinePayee.objects.select_for_update(of=("self",))
        .filter(
            payout_email="",
            redacted=False,
            line__distribution__currency=currency,
            line__distribution__status=Status.APPROVED,
            line__payment_status__in=[Payment.UNPAID, Payment.FAILED],
        )
        .select_related("line")
        .order_by("pk")
    )
    for kept in waiting:
        details = PayeeDetails.objects.filter(person_id=kept.line.person_id).first()
        if details is None or not details.payable:
            continue
        kept.payout_email = details.payout_email
        kept.payee_name = details.payee_name
        kept.save(update_fields=["payout_email", "payee_name"])
        audit_record(
            actor=None,
            action="line.payee_kept",
            target=kept.line,
            details={"person": kept.line.person_id},
        )


def line_mark_paid(*, line: DistributionLine, by: User, reference: str) -> DistributionLine:
    """A line of a batch was paid (``reference`` from the provider). When every line of its
    distribution is paid or not payable, the distribution is ``paid``. The person is
    notified. Staff only; audited."""
    _require_staff(by)
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError({"reference": "Give the payment reference from the provider."})
    with transaction.atomic():
        locked = _locked(line.distribution_id)
        fresh = DistributionLine.objects.select_for_update().get(pk=line.pk)
        if fresh.payment_status != Payment.IN_BATCH:
            raise ConflictError(
                f"Only a line in a batch is marked paid; this one is {fresh.payment_status}."
            )
        fresh.payment_status = Payment.PAID
        fresh.payment_reference = reference[:200]
        fresh.paid_at = timezone.now()
        fresh.save(update_fields=["payment_status", "payment_reference", "paid_at"])
        money_changed(distribution_ids=[fresh.distribution_id])
        audit_record(actor=by, action="line.paid", target=fresh, details={"reference": reference})
        if not locked.lines.exclude(
            payment_status__in=[Payment.PAID, Payment.NOT_PAYABLE]
        ).exists():
            locked.status = Status.PAID
            locked.paid_at = timezone.now()
            locked.save(update_fields=["status", "paid_at"])
            audit_record(actor=by, action="distribution.paid", target=locked, details={})
        notify_many(
            recipients=[fresh.person],
            kind=Notification.Kind.PAID,
            message=f"You were paid {format_minor(fresh.amount_minor, locked.currency)} for "
            f"“{locked.revenue.project.title}”.",
            url="/me/earnings/",
        )
    return fresh


def line_mark_failed(*, line: DistributionLine, by: User, reason: str) -> DistributionLine:
    """A line of a batch could not be paid: it is ``failed`` with ``reason``, and the next
    export of its currency takes it again. Staff only; audited."""
    _require_staff(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the payment failed."})
    with transaction.atomic():
        _locked(line.distribution_id)
        fresh = DistributionLine.objects.select_for_update().get(pk=line.pk)
        if fresh.payment_status != Payment.IN_BATCH:
            raise ConflictError(
                f"Only a line in a batch is marked failed; this one is {fresh.payment_status}."
            )
        fresh.payment_status = Payment.FAILED
        fresh.failure_reason = reason[:500]
        fresh.save(update_fields=["payment_status", "failure_reason"])
        money_changed(distribution_ids=[fresh.distribution_id])
        audit_record(actor=by, action="line.failed", target=fresh, details={"reason": reason})
    return fresh
