"""Every write about people: accounts, profiles, the audit log and notifications."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import AuditEntry, Medium, Notification, User
from hitrecord.media import check_image, generated_name, image_thumbnail


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the audit log. Call it inside the write's own transaction,
    so the entry exists exactly when the change does."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        details=details or {},
    )


def notify(*, recipient: User, kind: str, message: str, url: str = "") -> Notification | None:
    """Tell a person something happened to their work: in-app now, by email once the
    surrounding transaction commits. Anonymised people are not notified."""
    if recipient.is_anonymised:
        return None
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, message=message[:500], url=url
    )
    if recipient.email:
        from accounts.tasks import notification_email_send

        transaction.on_commit(lambda: notification_email_send.delay(notification.pk))
    return notification


def notification_email_send(*, notification_id: int) -> bool:
    """Email one notification to its recipient, at most once (idempotent: a notification
    already emailed is skipped). Returns whether a mail was sent. Mail errors propagate so
    the task can retry; the in-app notification exists either way."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if notification is None or not notification.recipient.email:
            return False
        send_mail(
            subject=f"hitrecord: {notification.message[:120]}",
            message=(
                f"{notification.message}\n\n{_absolute(notification.url)}"
                if notification.url
                else notification.message
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[notification.recipient.email],
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark the person's notifications read (all, or only ``ids``); returns how many changed."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def _absolute(url: str) -> str:
    base = getattr(settings, "SITE_URL", "")
    return f"{base}{url}" if url.startswith("/") else url


def user_register(*, username: str, email: str, password: str) -> User:
    """Create an account (already validated by the caller's form or serializer) and welcome it.

    Atomic. Two people racing for the same name (in any case) cannot both get it: the
    database's case-insensitive constraint decides, and the loser gets a ``ValidationError``
    on ``username``, never an ``IntegrityError``.
    """
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
            raise ValidationError(
                {"username": ["That username is taken (names ignore case); pick another."]}
            ) from error
        raise
    return user


def auth_token_get(*, user: User) -> Token:
    """The person's API token, created the first time (idempotent: one token per person)."""
    token, _created = Token.objects.get_or_create(user=user)
    return token


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
    file.seek(0)
    thumbnail = image_thumbnail(file, max_size=AVATAR_THUMBNAIL_SIZE)
    file.seek(0)
    user.avatar.save(generated_name(info.extension), file, save=False)
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


def anonymised_username(user_id: int) -> str:
    return f"former-member-{user_id}"


def user_anonymise(*, user: User, by: User) -> User:
    """Delete an account the way DESIGN.md asks: anonymise it, keep the row.

    The username becomes ``former-member-<id>``; names, bio, mediums, email and avatar are
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
        username = anonymised_username(person.pk)
        if User.objects.filter(username__iexact=username).exclude(pk=person.pk).exists():
            username = f"{username}-{uuid.uuid4().hex[:8]}"
        person.username = username
        person.first_name = ""
        person.last_name = ""
        person.email = ""
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
        audit_record(
            actor=by,
            action="user.anonymise",
            target=person,
            details={"by_self": by.pk == person.pk},
        )
        _files_delete_on_commit(person.avatar.storage, [n for n in old_files if n])
    user.refresh_from_db()
    return person
