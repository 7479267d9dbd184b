"""Reads about people that pages and the API share."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Notification, User


def notification_list(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def person_by_username(*, username: str) -> User | None:
    """The active, not anonymised person with this username (any case), or None."""
    return User.objects.filter(
        username__iexact=username, is_active=True, is_anonymised=False
    ).first()
