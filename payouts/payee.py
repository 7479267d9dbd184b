"""Where people are paid: their payee details, the link that confirms a payout email, the
flag staff see when details changed just before an approval, and redaction when an account
is deleted.

Money follows the payout email, so it is guarded like a password: changing an existing one
asks for the password, the new address is unconfirmed until its person follows the signed
link sent to it (``distribution_approve`` keeps an email only when ``PayeeDetails.payable``,
and ``payment_batch_export`` exports only lines with a kept email), and the old address is
told. Every change is in the append-only audit log (with flags, never the addresses), which
is what ``payee_recently_changed`` reads: a later change cannot hide an earlier one.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import AuditEntry, User
from accounts.services import absolute_url, audit_record
from hitrecord.errors import RateLimited
from hitrecord.throttling import hit, peek
from payouts.models import Distribution, DistributionLine, LinePayee, PayeeDetails
from payouts.money_versions import money_changed

_VERIFY_SALT = "payouts.payee-verify"
EMAIL_MAX_LENGTH = 254
NAME_MAX_LENGTH = 200
# A change of payee details this many days before an approval is flagged to staff.
RECENT_CHANGE_DAYS = 7
# Wrong passwords allowed per person per hour when changing the payout email.
PASSWORD_TRIES = 10
PASSWORD_WINDOW = 3600
CHANGE_ACTIONS = ("payee.set", "payee.change")
PAYEE_TARGET_TYPE = "payouts.payeedetails"

PAYEE_LINK_INVALID = (
    "That link to confirm your payout email does not work: it is damaged, or it was sent "
    "for an address that is no longer your payout email. Ask for a new one on your payee page."
)
PAYEE_LINK_EXPIRED = (
    "That link to confirm your payout email has expired (links work for a few days). Ask "
    "for a new one on your payee page."
)
PASSWORD_NEEDED = "Enter your password to change your payout email."  # noqa: S105
PASSWORD_WRONG = "That password is not right; enter the one you sign in with."  # noqa: S105


@dataclass(frozen=True)
class PayeeView:
    """A person's payee details as the page and the API show them (blank when unset)."""

    payout_email: str
    payee_name: str
    email_verified: bool
    changed_at: datetime.datetime | None

    @property
    def payable(self) -> bool:
        return bool(self.payout_email) and self.email_verified


def payee_details_of(*, person: User) -> PayeeView:
    """The person's payee details (blank ones when never set). One query."""
    details = PayeeDetails.objects.filter(person_id=person.pk).first()
    if details is None:
        return PayeeView(payout_email="", payee_name="", email_verified=False, changed_at=None)
    return PayeeView(
        payout_email=details.payout_email,
        payee_name=details.payee_name,
        email_verified=details.email_verified_at is not None,
        changed_at=details.changed_at,
    )


def _clean_email(raw: object) -> str:
    email = str(raw or "").strip()
    if not email:
        raise ValidationError({"payout_email": "Enter the email address you are paid at."})
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationError(
            {"payout_email": f"Keep the email address under {EMAIL_MAX_LENGTH} characters."}
        )
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            {"payout_email": "Enter a valid email address, e.g. name@example.com."}
        ) from None
    return BaseUserManager.normalize_email(email)


def _clean_name(raw: object) -> str:
    name = " ".join(str(raw or "").split())
    if not name:
        raise ValidationError(
            {"payee_name": "Enter the name you are paid under (as your payment account has it)."}
        )
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"payee_name": f"Keep the name under {NAME_MAX_LENGTH} characters."})
    return name


def _check_password(person: User, password: str | None) -> None:
    if not password:
        raise ValidationError({"password": PASSWORD_NEEDED})
    key = f"payee-password:{person.pk}"
    wrong, left = peek(key, window=PASSWORD_WINDOW)
    if wrong >= PASSWORD_TRIES:
        minutes = max(1, -(-left // 60))
        plural = "s" if minutes != 1 else ""
        raise RateLimited(f"Too many wrong passwords: try again in {minutes} minute{plural}.", left)
    if not person.check_password(password):
        hit(key, window=PASSWORD_WINDOW)
        raise ValidationError({"password": PASSWORD_WRONG})


def payee_details_set(
    *, person: User, payout_email: str, payee_name: str, password: str | None = None
) -> PayeeDetails:
    """Set where ``person`` is paid. Atomic, audited (flags only, never addresses).

    A new payout email (the first one or a change) is unconfirmed until its person follows
    the link sent to it once this commits; until then no line is exported to it. Changing an
    existing payout email needs the person's ``password`` (``ValidationError`` on
    ``password`` when missing or wrong; ``RateLimited`` after many wrong ones) and tells the
    old address. ``changed_at`` records when the email or name last changed. Saving the same
    details again changes nothing. Deleted or inactive accounts are refused."""
    if not getattr(person, "is_authenticated", False) or person.is_anonymised:
        raise PermissionDenied("Sign in first.")
    if not person.is_active:
        raise PermissionDenied("This account is not active.")
    email = _clean_email(payout_email)
    name = _clean_name(payee_name)
    with transaction.atomic():
        PayeeDetails.objects.get_or_create(person=person)
        details = PayeeDetails.objects.select_for_update().get(person=person)
        old_email = details.payout_email
        email_changed = email.lower() != old_email.lower()
        name_changed = name != details.payee_name
        if not email_changed and not name_changed:
            return details
        if email_changed and old_email:
            _check_password(person, password)
        now = timezone.now()
        details.payout_email = email
        details.payee_name = name
        details.changed_at = now
        if email_changed:
            details.email_verified_at = None
        details.save()
        money_changed(people=[person.pk])  # the earnings page shows where one is paid
        audit_record(
            actor=person,
            action="payee.change" if old_email else "payee.set",
            target=details,
            details={"email_changed": email_changed, "name_changed": name_changed},
        )
        if email_changed:
            person_id = person.pk
            transaction.on_commit(lambda: payee_verification_send(person_id=person_id), robust=True)
            if old_email:
                transaction.on_commit(
                    lambda: _tell_old_address(person_id=person_id, old_email=old_email),
                    robust=True,
                )
    return details


def _email_digest(email: str) -> str:
    # Keyed, so the token (whose payload anyone can read) does not reveal the address.
    return salted_hmac(_VERIFY_SALT, email.strip().lower()).hexdigest()[:24]


def payee_verification_token(*, details: PayeeDetails) -> str:
    """A signed, timestamped token naming the person and the payout email it confirms; it
    stops working when the payout email changes or after
    ``settings.EMAIL_VERIFICATION_MAX_AGE`` seconds."""
    return signing.dumps(
        {"p": details.person_id, "e": _email_digest(details.payout_email)}, salt=_VERIFY_SALT
    )


def payee_verify_path(token: str) -> str:
    """The page that confirms a payout email (the payee pages' ``payouts:payee_verify``;
    ``/me/payee/verify/<token>/`` until that route exists)."""
    for name in ("payouts:payee_verify", "payouts:payee-verify"):
        try:
            return reverse(name, kwargs={"token": token})
        except NoReverseMatch:
            continue
    return f"/me/payee/verify/{token}/"


def payee_verification_send(*, person_id: int) -> bool:
    """Email the person's unconfirmed payout email the link that confirms it. Returns False,
    sending nothing, when there is no payout email, it is confirmed, or the account is gone.
    Mail errors propagate."""
    details = (
        PayeeDetails.objects.select_related("person")
        .filter(person_id=person_id, person__is_active=True, person__is_anonymised=False)
        .first()
    )
    if details is None or not details.payout_email or details.email_verified_at is not None:
        return False
    link = absolute_url(payee_verify_path(payee_verification_token(details=details)))
    days = max(1, settings.EMAIL_VERIFICATION_MAX_AGE // 86400)
    send_mail(
        subject="hitrecord: confirm your payout email",
        message=(
            f"Hello {details.person.username},\n\n"
            "This address was given as the payout email of your hitrecord account: the "
            "address your earnings are sent to. To confirm it is yours, open this link:\n\n"
            f"{link}\n\n"
            f"The link works for {days} day{'s' if days != 1 else ''}. Nothing is paid to this "
            "address until it is confirmed. If you did not ask for this, ignore this email.\n\n"
            "hitrecord: make things together.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[details.payout_email],
    )
    return True


RESEND_COOLDOWN = 60


def payee_email_verification_send(*, person: User) -> bool:
    """Send the link that confirms the person's payout email again, at most once a minute
    (``RateLimited`` sooner). Returns False when there is nothing to confirm."""
    if not cache.add(f"payee-verify-resend:{person.pk}", 1, RESEND_COOLDOWN):
        raise RateLimited(
            "A link was sent less than a minute ago; check that inbox first.", RESEND_COOLDOWN
        )
    return payee_verification_send(person_id=person.pk)


def _tell_old_address(*, person_id: int, old_email: str) -> None:
    person = User.objects.filter(pk=person_id).first()
    name = person.username if person is not None else "there"
    send_mail(
        subject="hitrecord: your payout email was changed",
        message=(
            f"Hello {name},\n\n"
            "The payout email of your hitrecord account was changed from this address to "
            "another one. Your earnings will be sent there once it is confirmed.\n\n"
            "If you did not make this change, sign in, change your password and set your "
            f"payout email back at {absolute_url('/me/payee/')}, and tell us: reply to "
            "this email.\n\n"
            "hitrecord: make things together.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[old_email],
    )


def payee_email_verify(*, token: str) -> PayeeDetails:
    """Confirm the payout email the token names and return the details. Idempotent (a mail
    client prefetching the link is harmless). ``ValidationError`` with a message for the
    person when the token is damaged, expired, or names an address that is no longer the
    payout email. Audited."""
    try:
        payload = signing.loads(
            str(token), salt=_VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE
        )
    except signing.SignatureExpired as error:
        raise ValidationError(PAYEE_LINK_EXPIRED) from error
    except signing.BadSignature as error:
        raise ValidationError(PAYEE_LINK_INVALID) from error
    if not isinstance(payload, dict) or not isinstance(payload.get("p"), int):
        raise ValidationError(PAYEE_LINK_INVALID)
    with transaction.atomic():
        details = (
            PayeeDetails.objects.select_for_update()
            .filter(person_id=payload["p"], person__is_active=True, person__is_anonymised=False)
            .first()
        )
        if (
            details is None
            or not details.payout_email
            or payload.get("e") != _email_digest(details.payout_email)
        ):
            raise ValidationError(PAYEE_LINK_INVALID)
        if details.email_verified_at is None:
            details.email_verified_at = timezone.now()
            details.save(update_fields=["email_verified_at"])
            money_changed(people=[details.person_id])
            audit_record(
                actor=details.person, action="payee.email_verify", target=details, details={}
            )
    return details


# --- changes just before an approval --------------------------------------------------------


def payee_changes_before(
    *, person_ids: Iterable[int], at: datetime.datetime, days: int = RECENT_CHANGE_DAYS
) -> dict[int, datetime.datetime]:
    """For each of ``person_ids`` whose payee details were set or changed in the ``days``
    before ``at`` (up to ``at``), the time of the latest such change. Read from the audit
    log, so a later change never hides it. Two queries, whatever the number of people."""
    ids = set(person_ids)
    if not ids:
        return {}
    by_details = dict(PayeeDetails.objects.filter(person_id__in=ids).values_list("pk", "person_id"))
    if not by_details:
        return {}
    entries = AuditEntry.objects.filter(
        target_type=PAYEE_TARGET_TYPE,
        target_id__in=[str(pk) for pk in by_details],
        action__in=CHANGE_ACTIONS,
        created_at__gte=at - datetime.timedelta(days=days),
        created_at__lte=at,
    ).values_list("target_id", "created_at")
    latest: dict[int, datetime.datetime] = {}
    for target_id, created_at in entries:
        person_id = by_details[int(target_id)]
        if person_id not in latest or created_at > latest[person_id]:
            latest[person_id] = created_at
    return latest


def payee_recently_changed_lines(
    lines: Iterable[DistributionLine], *, days: int = RECENT_CHANGE_DAYS
) -> set[int]:
    """The ids of ``lines`` whose person changed their payee details in the ``days`` before
    their distribution's approval (or before now, while it is not approved): what staff are
    shown as a warning, and what the approval writes in its audit entry. It never blocks.
    Lines must come with their distribution loaded (``select_related("distribution")``) to
    keep the count of queries fixed."""
    groups: dict[datetime.datetime, list[DistributionLine]] = {}
    now = timezone.now()
    for line in lines:
        at = line.distribution.approved_at or now
        groups.setdefault(at, []).append(line)
    flagged: set[int] = set()
    for at, group in groups.items():
        changed = payee_changes_before(person_ids={ln.person_id for ln in group}, at=at, days=days)
        flagged.update(ln.pk for ln in group if ln.person_id in changed)
    return flagged


def payee_recently_changed(line: DistributionLine, *, days: int = RECENT_CHANGE_DAYS) -> bool:
    """Whether ``line``'s person changed their payee details in the ``days`` before its
    distribution's approval (before now, while it is not approved)."""
    return line.pk in payee_recently_changed_lines([line], days=days)


# --- deleted accounts -----------------------------------------------------------------------


def _settle_paid_distributions(person: User) -> None:
    """An approved distribution whose every line is now paid or not payable is paid."""
    Status, Payment = Distribution.Status, DistributionLine.Payment
    ids = sorted(
        set(
            DistributionLine.objects.filter(
                person_id=person.pk, distribution__status=Status.APPROVED
            ).values_list("distribution_id", flat=True)
        )
    )
    for distribution in Distribution.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        if distribution.lines.exclude(
            payment_status__in=[Payment.PAID, Payment.NOT_PAYABLE]
        ).exists():
            continue
        distribution.status = Status.PAID
        distribution.paid_at = timezone.now()
        distribution.save(update_fields=["status", "paid_at"])
        audit_record(actor=None, action="distribution.paid", target=distribution, details={})


def payee_redact_for(person: User) -> None:
    """Forget where a deleted account was paid: its payee details are deleted and the
    details its lines kept at approval are blanked (``redacted``; the database allows only
    that change on approved lines). Its unpaid lines become ``not_payable`` (the amounts
    still sum to the pool); on approved distributions the database allows that move, and
    and become ``not_payable`` too, unless already in a batch (staff settle those). Runs inside
    ``accounts.services.user_anonymise``'s transaction (registered as an anonymise hook by
    ``payouts.apps``). Idempotent; audited."""
    with transaction.atomic():
        details_deleted, _ = PayeeDetails.objects.filter(person_id=person.pk).delete()
        redacted = LinePayee.objects.filter(line__person_id=person.pk, redacted=False).update(
            payout_email="", payee_name="", redacted=True
        )
        # Lines not yet in a batch can never be paid now; the database allows this move
        # on approved lines too. A line already in a batch is settled from the provider.
        unpayable = DistributionLine.objects.filter(
            person_id=person.pk,
            payment_status__in=[DistributionLine.Payment.UNPAID, DistributionLine.Payment.FAILED],
        ).update(payment_status=DistributionLine.Payment.NOT_PAYABLE)
        _settle_paid_distributions(person)
        money_changed(
            people=[person.pk],
            distribution_ids=DistributionLine.objects.filter(person_id=person.pk)
            .values_list("distribution_id", flat=True)
            .distinct(),
        )
        if details_deleted or redacted or unpayable:
            audit_record(
                actor=None,
                action="payee.redact",
                target=person,
                details={"kept_details_redacted": redacted, "lines_not_payable": unpayable},
            )
