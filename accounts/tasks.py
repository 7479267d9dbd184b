"""Thin Celery wrappers around accounts services: notification email.

Failure policy: ``hitrecord.tasks.ReliableTask`` (its module docstring has the table).
Mail to many people goes out as one fan-out task that enqueues chunks of
``EMAIL_CHUNK_SIZE``; each chunk sends its mails one by one, each marked ``emailed_at``
when sent, so a retried or redelivered chunk skips what already went out.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from accounts import services
from hitrecord.tasks import ReliableTask, is_transient_error, is_transient_smtp_error

logger = logging.getLogger(__name__)

EMAIL_CHUNK_SIZE = 100


class NotificationEmailTask(ReliableTask):
    """Mail is worth retrying for about a day (a mail server down for hours is common);
    when retries run out, or the error is final (a 5xx answer), the notifications stay
    in-app only: ``emailed_at`` stays empty and the reason is logged (there is no field
    for it, and none is needed: the person reads the notification in the app)."""

    max_retries = 8
    retry_backoff = 60
    retry_backoff_max = 3 * 3600

    def is_transient(self, exc: BaseException) -> bool:
        return is_transient_error(exc) or is_transient_smtp_error(exc)

    def on_give_up(
        self, exc: BaseException, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> int:
        logger.error(
            "%s[%s] gave up on email (%s: %s); the notifications %s stay in-app only",
            self.name,
            task_id,
            type(exc).__name__,
            exc,
            args or kwargs,
        )
        return 0


@shared_task(base=NotificationEmailTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def notification_emails_fan_out(self: NotificationEmailTask, notification_ids: list[int]) -> int:
    """Enqueue the email of many notifications as tasks of ``EMAIL_CHUNK_SIZE`` each.
    Idempotent (a chunk skips mails already sent), so enqueueing again after a broker error
    or a lost worker is harmless. Returns how many chunks were enqueued."""
    ids = [int(pk) for pk in notification_ids]
    chunks = [ids[i : i + EMAIL_CHUNK_SIZE] for i in range(0, len(ids), EMAIL_CHUNK_SIZE)]
    for chunk in chunks:
        notification_emails_send.delay(chunk)
    return len(chunks)


@shared_task(base=NotificationEmailTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def notification_emails_send(self: NotificationEmailTask, notification_ids: list[int]) -> int:
    """Email each notification of one chunk, each at most once per success (see
    ``services.notification_email_send``). A transient mail error retries the chunk
    (already sent mails are skipped); a final error for one address (its server refused
    it) leaves that notification in-app only and goes on with the others. Idempotent;
    returns how many mails this run sent."""
    sent = 0
    for notification_id in notification_ids:
        try:
            sent += services.notification_email_send(notification_id=int(notification_id))
        except Exception as exc:
            if self.is_transient(exc):
                raise
            logger.warning(
                "notification %s not emailed (%s: %s); it stays in-app only",
                notification_id,
                type(exc).__name__,
                exc,
            )
    return sent


@shared_task(base=NotificationEmailTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def notification_email_send(self: NotificationEmailTask, notification_id: int) -> bool:
    """Email one notification (kept for messages queued before the fan-out existed; new
    code calls ``notify``/``notify_many``). Idempotent: an emailed notification is
    skipped. Retries transient mail errors for about a day, then stays in-app only."""
    return services.notification_email_send(notification_id=notification_id)
