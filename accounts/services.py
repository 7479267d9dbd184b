"""Every write about people: the audit log, notifications, and (later) accounts themselves."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import models, transaction
from django.utils import timezone

from accounts.models import AuditEntry, Notification, User


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


@transaction.atomic
def user_register(*, username: str, email: str, password: str) -> User:
    """Create an account (validated by the caller's form or serializer) and welcome it."""
    user = User.objects.create_user(username=username, email=email, password=password)
    audit_record(actor=user, action="user.register", target=user)
    notify(
        recipient=user,
        kind=Notification.Kind.WELCOME,
        message="Welcome to hitrecord. Join a project and answer an open call.",
        url="/projects/",
    )
    return user
