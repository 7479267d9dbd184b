"""Reads about people that pages and the API share."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet

from accounts.models import Notification, User


def notification_list(*, user: User) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=user)
        .select_related("actor")  # Notification.text names the actor
        .order_by("-created_at", "-pk")
    )


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def person_by_username(*, username: str) -> User | None:
    """The active, not anonymised person with this username (any case), or None."""
    return User.objects.filter(
        username__iexact=username, is_active=True, is_anonymised=False
    ).first()


PEOPLE_VERSION_KEY = "accounts:people-version"


def people_version() -> str:
    """A cheap token that changes whenever a person's public name changes (a profile edit,
    a deleted account). Cached pages that show names include it in their key, so a deleted
    person's former name is never served from a cache."""
    version = cache.get(PEOPLE_VERSION_KEY)
    if version is None:
        cache.add(PEOPLE_VERSION_KEY, "0", None)
        version = cache.get(PEOPLE_VERSION_KEY, "0")
    return str(version)
