"""Thin Celery wrappers around accounts services."""

from __future__ import annotations

import smtplib

from celery import shared_task

from accounts import services


@shared_task(
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def notification_email_send(notification_id: int) -> bool:
    """Email a notification once. Retries mail-server errors for about a day with backoff;
    when retries run out the notification stays in-app only (``emailed_at`` stays empty)."""
    return services.notification_email_send(notification_id=notification_id)
