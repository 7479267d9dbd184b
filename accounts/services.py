"""Every write about people: accounts, profiles, the audit log and notifications."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from rest_framework.authtoken.models import Token

from accounts import usernames
from accounts.backends import person_changed
from accounts.models import (
    PERSON_TARGET_TYPES,
    AuditEntry,
    Medium,
    Notification,
    RetiredUsername,
    User,
)
from accounts.selectors import PEOPLE_SCOPE, inbox_changed_keys
from hitrecord import fragments, prefetch
from hitrecord.media import check_image, generated_name, image_thumbnail


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the audit log. Call it inside the write's own transaction,
    so the entry exists exactly when the change does.

    The log is append-only (a trigger refuses UPDATE), so it must never hold what a person
    may later ask to be forgotten: a target that names a person (a user, a membership, a
    comment) is written as ``user #<id>``, and ``details`` carry ids, never names. Pages show
    a person's current name through the id, which is "former member" once they are deleted.
    """
    target_repr = ""
    if target is not None:
        label = target._meta.label_lower
        target_repr = (
            f"{target._meta.model_name} #{target.pk}"
            if label in PERSON_TARGET_TYPES
            else str(target)[:200]
        )
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=target_repr,
        details=details or {},
    )


def notify(
    *, recipient: User, kind: str, message: str, url: str = "", actor: User | None = None
) -> Notification | None:
    """Tell one person something happened to their work (``notify_many`` for one
    recipient): in-app now, by email once the surrounding transaction commits. Returns
    None when nobody is told (an anonymised person, or the actor themself)."""
    made = notify_many(recipients=[recipient], kind=kind, message=message, url=url, actor=actor)
    return made[0] if made else None


def notify_many(
    *,
    recipients: Iterable[User],
    kind: str,
    message: str | Callable[[User], str],
    url: str = "",
    actor: User | None = None,
) -> list[Notification]:
    """Tell many people the same thing: one bulk insert (a fixed number of queries for any
    number of recipients), then, once the surrounding transaction commits, ONE fan-out
    task that emails them in chunks. Each person is told once; anonymised people and the
    actor themself are skipped. A message naming the actor says ``{actor}`` (the first
    occurrence is the placeholder) and is shown with the actor's name as it is when read
    (``Notification.text``), so a deleted account's former name never reappears. Only
    verified addresses get mail (checked again when it is sent). ``message`` may be a
    function of the recipient, for a text that names each person's own work."""
    seen: set[int] = set()
    rows: list[Notification] = []
    for person in recipients:
        if person.pk in seen or person.is_anonymised:
            continue
        if actor is not None and person.pk == actor.pk:
            continue
        seen.add(person.pk)
        rows.append(
            Notification(
                recipient=person,
                actor=actor,
                kind=kind,
                message=(message(person) if callable(message) else message)[:500],
                url=url[:500],
            )
        )
    if not rows:
        return []
    made = Notification.objects.bulk_create(rows)
    inbox_changed([n.recipient_id for n in made])
    to_email = [n.pk for n in made if n.recipient.email_verified]
    if to_email:
        from accounts.tasks import notification_emails_fan_out

        transaction.on_commit(partial(notification_emails_fan_out.delay, to_email))
    return made


def notify_project_directors(
    *,
    project_id: int,
    kind: str,
    message: str | Callable[[User], str],
    url: str = "",
    actor: User | None = None,
) -> list[Notification]:
    """Tell the directors of a project something (``notify_many``: never the actor, nor
    anyone anonymised or deactivated). One query finds them however many there are."""
    from projects.models import Membership  # projects builds on accounts, not the reverse

    directors = User.objects.filter(
        memberships__project_id=project_id,
        memberships__role=Membership.Role.DIRECTOR,
        is_active=True,
    )
    return notify_many(recipients=directors, kind=kind, message=message, url=url, actor=actor)


def notification_email(notification: Notification) -> tuple[str, str]:
    """The subject and body of a notification's email. Mail is read outside the site, so
    every link in it is absolute, on ``settings.SITE_URL``; a stored url that is not a
    path of this site gets no link (the notifications page is linked in every mail)."""
    text = notification.text
    subject = f"hitrecord: {' '.join(text.split())[:120]}"  # a header takes no newline
    lines = [text]
    link = _site_link(notification.url)
    if link:
        lines += ["", link]
    lines += [
        "",
        "--",
        f"All your notifications: {absolute_url(reverse('accounts:notifications'))}",
    ]
    return subject, "\n".join(lines)


def _site_link(url: str) -> str:
    """``url`` as an absolute link on this site, or "" when it is not one of its pages."""
    site = settings.SITE_URL.rstrip("/")
    if url.startswith(f"{site}/"):
        return url
    if url.startswith("/") and not url.startswith("//"):
        return absolute_url(url)
    return ""


def notification_email_send(*, notification_id: int) -> bool:
    """Email one notification to its recipient's verified address, at most once per
    success, and mark it ``emailed_at``. Returns whether this call sent a mail.

    No lock and no transaction is held while the mail server is talked to. Delivery is
    *at least once*: the mail is sent first, then marked with a conditional
    ``UPDATE ... WHERE emailed_at IS NULL``; so a mail is never lost to a crash, and a
    second copy can only follow a crash in the instant between the server accepting it
    and the mark. A short lease in the cache keeps two workers from sending the same
    notification at the same time (a retry or a redelivered chunk); an already marked
    notification is skipped. Mail errors propagate so the task can retry; the in-app
    notification exists either way."""
    notification = (
        Notification.objects.select_related("recipient", "actor")
        .filter(pk=notification_id, emailed_at__isnull=True)
        .first()
    )
    if notification is None:
        return False
    recipient = notification.recipient
    if recipient.is_anonymised or not recipient.email_verified:
        return False
    lease = f"notification-email:{notification_id}"
    if not cache.add(lease, "sending", timeout=NOTIFICATION_EMAIL_LEASE_SECONDS):
        return False  # another worker is sending it right now
    try:
        subject, body = notification_email(notification)
        send_mail(
            subject=subject,
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[recipient.email],
        )
        Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
    finally:
        cache.delete(lease)
    return True


# Longer than a mail server's timeout: a crashed sender's lease lapses before the
# message is redelivered (the broker's visibility timeout is an hour).
NOTIFICATION_EMAIL_LEASE_SECONDS = 600


def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark the person's notifications read (all, or only ``ids``); returns how many changed."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    changed = unread.update(read_at=timezone.now())
    if changed:
        inbox_changed([user.pk])
    return changed


def inbox_changed(user_ids: list[int]) -> None:
    """These people's notifications changed: their badge count and cached inbox pages are
    dropped now and again on commit (the read in between saw the old rows)."""
    keys = inbox_changed_keys(user_ids)

    prefetch.drop(keys)  # and from what this request fetched: it may show the header next
    transaction.on_commit(lambda: cache.delete_many(keys))
    fragments.bump_many("inbox", user_ids)


def absolute_url(path: str) -> str:
    """``path`` as a link that works from an email: ``settings.SITE_URL`` in front of a
    site path (``/projects/``); anything else (already absolute, or empty) unchanged."""
    if path.startswith("/") and not path.startswith("//"):
        return f"{settings.SITE_URL.rstrip('/')}{path}"
    return path


_absolute = absolute_url  # the old private name, until every caller uses absolute_url


EMAIL_TAKEN = (
    "That email address already belongs to an account (addresses ignore case). Sign in, "
    "or reset your password if you forgot it."
)


def email_taken(email: str) -> bool:
    """Whether an account already has ``email``, in any case (the database's rule too)."""
    return bool(email) and User.objects.filter(email__iexact=email.strip()).exists()


def username_retired(username: str) -> bool:
    """Whether ``username`` (any case) belonged to a deleted account."""
    return RetiredUsername.objects.filter(username=usernames.canonical(username)).exists()


def user_register(*, username: str, email: str, password: str) -> User:
    """Create an account (already validated by the caller's form or serializer), welcome it
    and send the link that confirms its email address (once the account is committed).

    Atomic. A name that belonged to a deleted account is refused. Two people racing for the
    same name or email (in any case) cannot both get it: the database's case-insensitive
    constraints decide, and the loser gets a ``ValidationError`` on ``username`` or
    ``email``, never an ``IntegrityError``.
    """
    if username_retired(username):
        raise ValidationError({"username": [usernames.USERNAME_RETIRED]})
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
            audit_record(actor=user, action="user.register", target=user)
            notify(
                recipient=user,
                kind=Notification.Kind.WELCOME,
                message="Welcome to hitrecord. Join a project and answer an open call.",
                url="/projects/",
            )
    except IntegrityError as error:
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": [usernames.USERNAME_TAKEN]}) from error
        if email_taken(email):
            raise ValidationError({"email": [EMAIL_TAKEN]}) from error
        raise
    transaction.on_commit(
        lambda: email_verification_send(user=user), robust=True
    )  # a mail server that is down must not undo the sign-up: the person can resend
    return user


# --- email verification ---------------------------------------------------------------------

_VERIFY_SALT = "accounts.email-verify"
EMAIL_LINK_INVALID = (
    "That link to confirm your email does not work: it is damaged, or it was sent for an "
    "address that is no longer on the account. Sign in and ask for a new one."
)
EMAIL_LINK_EXPIRED = (
    "That link to confirm your email has expired (links work for a few days). Sign in and "
    "ask for a new one."
)


def _email_digest(email: str) -> str:
    # Keyed, so the token (whose payload anyone can read) does not reveal the address.
    return salted_hmac(_VERIFY_SALT, email.strip().lower()).hexdigest()[:24]


def email_verification_token(*, user: User) -> str:
    """A signed, timestamped token naming the person and the address it confirms. It works
    for ``settings.EMAIL_VERIFICATION_MAX_AGE`` seconds and only while that address is the
    person's: changing the email makes older links useless."""
    return signing.dumps({"u": user.pk, "e": _email_digest(user.email)}, salt=_VERIFY_SALT)


def email_verification_send(*, user: User) -> bool:
    """Email the person a link that confirms their address. Returns False (sending nothing)
    when there is no address, it is already confirmed, or the account is gone. Mail errors
    propagate to the caller."""
    person = User.objects.filter(pk=user.pk, is_active=True, is_anonymised=False).first()
    if person is None or not person.email or person.email_verified:
        return False
    path = reverse("accounts:email-verify", kwargs={"token": email_verification_token(user=person)})
    days = max(1, settings.EMAIL_VERIFICATION_MAX_AGE // 86400)
    send_mail(
        subject="hitrecord: confirm your email address",
        message=(
            f"Hello {person.username},\n\n"
            "To confirm that this address is yours, so hitrecord may email you news about "
            "your work, open this link:\n\n"
            f"{absolute_url(path)}\n\n"
            f"The link works for {days} day{'s' if days != 1 else ''}. If you did not sign up "
            "to hitrecord, ignore this email: nothing will be sent to you.\n\n"
            "hitrecord: make things together.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[person.email],
    )
    return True


def email_verify(*, token: str) -> User:
    """Mark the address the token names as confirmed and return its person.

    Idempotent (a second visit changes nothing). Raises ``ValidationError`` with a message
    for the person when the token is damaged, expired, or for an address the account no
    longer has. Audited.
    """
    try:
        payload = signing.loads(
            token, salt=_VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE
        )
    except signing.SignatureExpired as error:
        raise ValidationError(EMAIL_LINK_EXPIRED) from error
    except signing.BadSignature as error:
        raise ValidationError(EMAIL_LINK_INVALID) from error
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise ValidationError(EMAIL_LINK_INVALID)
    with transaction.atomic():
        person = (
            User.objects.select_for_update()
            .filter(pk=payload["u"], is_active=True, is_anonymised=False)
            .first()
        )
        if person is None or not person.email or payload.get("e") != _email_digest(person.email):
            raise ValidationError(EMAIL_LINK_INVALID)
        if person.email_verified_at is None:
            person.email_verified_at = timezone.now()
            person.save(update_fields=["email_verified_at"])
            audit_record(actor=person, action="user.email_verify", target=person)
    return person


def user_email_changed(*, user: User, by: User | None) -> User:
    """Call after ``user.email`` was changed and saved: the new address is not confirmed
    until its person follows the link this sends (once committed). Atomic, audited."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(email_verified_at=None)
        person_changed(user.pk)
        user.email_verified_at = None
        audit_record(actor=by, action="user.email_change", target=user)
    transaction.on_commit(lambda: email_verification_send(user=user), robust=True)
    return user


# --- passwords and API tokens ---------------------------------------------------------------


def user_password_set(*, user: User, password: str | None, by: User | None = None) -> User:
    """Give the person a new password (``None``: no usable password, staff only) and revoke
    their API tokens, in one transaction.

    Every way of changing a password goes through here (the reset link, the signed-in
    change page, staff in admin), so a token obtained with an old password never outlives
    it. Other sessions stop working by Django's own rule (a session is tied to the password
    hash); the caller keeps the current one with ``update_session_auth_hash``. Audited, with
    ``by`` (default: the person themself) as the actor.
    """
    with transaction.atomic():
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save(update_fields=["password"])
        revoked = Token.objects.filter(user=user).delete()[0]
        audit_record(
            actor=by or user,
            action="user.password_change",
            target=user,
            details={"tokens_revoked": revoked, "usable": password is not None},
        )
    return user


def auth_token_get(*, user: User) -> Token:
    """The person's API token, created the first time (idempotent: one token per person)."""
    token, _created = Token.objects.get_or_create(user=user)
    return token


def auth_token_revoke(*, user: User) -> bool:
    """Delete the person's API token (signing the API out everywhere); returns whether there
    was one. Idempotent; the next ``auth_token_get`` makes a new key."""
    return Token.objects.filter(user=user).delete()[0] > 0


AVATAR_THUMBNAIL_SIZE = (192, 192)


@dataclass(frozen=True)
class _StoredAvatar:
    original: str
    thumbnail: str


def _avatar_store(*, user: User, file: Any) -> _StoredAvatar:
    """Check ``file`` with the shared media checks and store it and its thumbnail under
    generated names, without saving ``user``. Raises ``MediaRejected`` before storing
    anything when the file is refused."""
    info = check_image(file)
    # The checked bytes (metadata and anything after the image's end stripped), not the upload.
    checked = ContentFile(info.content if info.content is not None else file.read())
    thumbnail = image_thumbnail(checked, max_size=AVATAR_THUMBNAIL_SIZE)
    checked.seek(0)
    user.avatar.save(generated_name(info.extension), checked, save=False)
    try:
        user.avatar_thumbnail.save(thumbnail.name or generated_name(".png"), thumbnail, save=False)
    except Exception:
        user.avatar.storage.delete(user.avatar.name)
        raise
    return _StoredAvatar(original=user.avatar.name, thumbnail=user.avatar_thumbnail.name)


def _files_delete_on_commit(storage: Any, names: list[str]) -> None:
    """Remove replaced media once the change that replaced them is committed."""

    def delete() -> None:
        for name in names:
            if name:
                storage.delete(name)

    transaction.on_commit(delete)


def user_profile_update(
    *,
    user: User,
    first_name: str,
    last_name: str,
    bio: str,
    mediums: list[str],
    avatar: Any = None,
    remove_avatar: bool = False,
) -> User:
    """Change a person's public profile; with ``avatar``, replace their picture.

    The avatar goes through the shared media checks first: a refused file raises
    ``MediaRejected`` (its ``message`` is for the person) and nothing is saved. The
    original is stored under a generated name, with a thumbnail of at most 192 x 192.
    Atomic; the replaced files are removed once the change is committed.
    """
    unknown = sorted(set(mediums) - set(Medium.values))
    if unknown:
        raise ValidationError({"mediums": [f"Unknown medium: {', '.join(unknown)}."]})
    old_files = [user.avatar.name, user.avatar_thumbnail.name]
    stored = _avatar_store(user=user, file=avatar) if avatar else None
    try:
        with transaction.atomic():
            user.first_name = first_name
            user.last_name = last_name
            user.bio = bio
            user.mediums = [m for m in Medium.values if m in set(mediums)]
            if remove_avatar and stored is None:
                user.avatar = ""
                user.avatar_thumbnail = ""
            user.save(
                update_fields=[
                    "first_name",
                    "last_name",
                    "bio",
                    "mediums",
                    "avatar",
                    "avatar_thumbnail",
                ]
            )
            changed = stored is not None or (remove_avatar and any(old_files))
            audit_record(
                actor=user,
                action="user.profile_update",
                target=user,
                details={"avatar": "replaced" if stored else "removed" if changed else "kept"},
            )
            if changed:
                _files_delete_on_commit(user.avatar.storage, old_files)
            _people_changed()
    except Exception:
        if stored is not None:
            user.avatar.storage.delete(stored.original)
            user.avatar.storage.delete(stored.thumbnail)
        raise
    return user


def user_avatar_set(*, user: User, avatar: Any) -> User:
    """Replace only the person's avatar (same checks and storage as ``user_profile_update``)."""
    return user_profile_update(
        user=user,
        first_name=user.first_name,
        last_name=user.last_name,
        bio=user.bio,
        mediums=list(user.mediums),
        avatar=avatar,
    )


def _people_changed() -> None:
    """A person's public name changed: cached pages that show names are keyed by the
    people version, bumped now and again on commit (``hitrecord.fragments.bump``)."""
    fragments.bump(PEOPLE_SCOPE)


def anonymised_username(user_id: int) -> str:
    return f"former-member-{user_id}"


# Apps to the left of accounts (which accounts must not import) forget what they keep about
# a person here: each hook is called with the person inside ``user_anonymise``'s
# transaction. Registered once from an ``AppConfig.ready`` (payouts redacts payee details).
ANONYMISE_HOOKS: list[Callable[[User], None]] = []


def user_anonymise(*, user: User, by: User) -> User:
    """Delete an account the way DESIGN.md asks: anonymise it, keep the row.

    The username becomes ``former-member-<id>`` and the old one is retired (never given out
    again, see ``RetiredUsername``); names, bio, mediums, email and avatar are
    cleared; the password becomes unusable; the person is inactive with no staff rights; their
    API token and notifications are deleted. Every session they had stops working (Django ties
    a session to the password hash, which changed, and inactive people cannot sign in). The row
    stays, so contributions keep their lineage and paid lines stay in the ledger; everywhere it
    shows as "former member". Atomic, audited, idempotent (anonymising twice changes nothing).
    ``by`` is the person themself or a staff member.
    """
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=user.pk)
        if person.is_anonymised:
            return person
        old_files = [person.avatar.name, person.avatar_thumbnail.name]
        # The old name is never given to anyone else, so nothing that named it (a
        # notification, a credit, a link) ever points at a newcomer.
        RetiredUsername.objects.get_or_create(username=usernames.canonical(person.username))
        username = anonymised_username(person.pk)
        if User.objects.filter(username__iexact=username).exclude(pk=person.pk).exists():
            username = f"{username}-{uuid.uuid4().hex[:8]}"
        person.username = username
        person.first_name = ""
        person.last_name = ""
        person.email = ""
        person.email_verified_at = None
        person.bio = ""
        person.mediums = []
        person.avatar = ""
        person.avatar_thumbnail = ""
        person.set_unusable_password()
        person.is_active = False
        person.is_staff = False
        person.is_superuser = False
        person.is_anonymised = True
        person.save()
        person.groups.clear()
        person.user_permissions.clear()
        Token.objects.filter(user=person).delete()
        Notification.objects.filter(recipient=person).delete()
        inbox_changed([person.pk])
        for hook in ANONYMISE_HOOKS:
            hook(person)
        audit_record(
            actor=by,
            action="user.anonymise",
            target=person,
            details={"by_self": by.pk == person.pk},
        )
        _files_delete_on_commit(person.avatar.storage, [n for n in old_files if n])
        _people_changed()
    user.refresh_from_db()
    return person
