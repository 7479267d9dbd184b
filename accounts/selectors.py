"""Reads about people that pages and the API share."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from accounts.models import Notification, User
from hitrecord import fragments, prefetch


def notification_list(*, user: User) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=user)
        .select_related("actor")  # Notification.text names the actor
        .order_by("-created_at", "-pk")
    )


INBOX_SECONDS = 60  # a new notification shows within this even if a bump were missed


def inbox_scope(user_id: int) -> str:
    """The version scope of one person's notifications (``hitrecord.fragments``): bumped
    by ``accounts.services`` whenever one is made, read or deleted."""
    return f"inbox:{user_id}"


def unread_key(user_id: int) -> str:
    return f"inbox:{user_id}:unread"


def notification_unread_count(*, user: User) -> int:
    """The header's badge, on every signed-in page: from the cache, dropped by the
    services whenever the person's notifications change."""
    key = unread_key(user.pk)
    count = prefetch.get(key)  # fetched with the session (accounts.backends.prefetch_keys)
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        cache.set(key, count, INBOX_SECONDS)
    return int(count)


def inbox_changed_keys(user_ids: list[int]) -> list[str]:
    """What ``accounts.services`` drops when these people's notifications change: their
    badge count and their cached headers, which show it."""
    from hitrecord.templatetags.site_chrome import header_keys

    return [key for pk in user_ids for key in (unread_key(pk), *header_keys(pk))]


def person_by_username(*, username: str) -> User | None:
    """The active, not anonymised person with this username (any case), or None."""
    return User.objects.filter(
        username__iexact=username, is_active=True, is_anonymised=False
    ).first()


def _person_id_key(username: str) -> str:
    digest = hashlib.sha256(username.lower().encode()).hexdigest()[:32]
    return f"person-id:{digest}"


def known_person_id(username: str) -> int | None:
    """The id ``username`` names if this process has seen it, without a query or a round
    trip (for ``hitrecord.prefetch`` hints), else None."""
    if len(username) > MAX_USERNAME_KEY:
        return None
    person_id = fragments.remembered(_person_id_key(username))
    return None if person_id is None else int(person_id)


def profile_page_scopes(kwargs: dict[str, Any]) -> list[str]:
    """The version scope of the profile at ``/u/<username>/`` when its person is known,
    fetched with the session (``hitrecord.prefetch.scopes``)."""
    person_id = known_person_id(str(kwargs.get("username", "")))
    return [] if person_id is None else [person_scope(person_id)]


def person_by_username_cached(
    *, username: str, with_keys: Callable[[int], list[str]] | None = None
) -> User | None:
    """``person_by_username`` for the profile page, from the cache: which id a username
    names never changes (a deleted account's username is retired, never reused), and the
    person is kept under their own version, which every save of their row renews, so a
    deactivated or deleted account is gone at once."""
    if len(username) > MAX_USERNAME_KEY:
        return None
    name_key = _person_id_key(username)
    person_id = fragments.remembered(name_key) or cache.get(name_key)
    if person_id is None:
        found = person_by_username(username=username)
        if found is None:
            return None
        cache.set(name_key, found.pk, None)
        person_id = found.pk
    fragments.remember(name_key, person_id)
    token = fragments.versions(person_scope(person_id))
    key = f"person:{person_id}:{token}"
    # with what the page reads next (``with_keys``), in one round trip
    fragments.preload(key, *(with_keys(int(person_id)) if with_keys else ()))

    def load() -> User | bool:
        # False, not None, marks "no such person now", so it is cached too.
        person = User.objects.filter(pk=person_id, is_active=True, is_anonymised=False).first()
        return person if person is not None else False

    person = fragments.cached_value(key, load, local=True)
    return person if isinstance(person, User) else None


MAX_USERNAME_KEY = 150  # a longer name is no username (the column's length)


PEOPLE_SCOPE = "people"


def person_scope(user_id: int) -> str:
    """The version scope of one person's profile page (``hitrecord.fragments``): bumped
    when their row is saved (``accounts.backends``), when they join or leave a project and
    when their contributions change."""
    return f"person:{user_id}"


def people_version() -> str:
    """A cheap token that changes whenever a person's public name changes (a profile edit,
    a deleted account). Cached pages that show names include it in their key, so a deleted
    person's former name is never served from a cache."""
    return fragments.versions(PEOPLE_SCOPE)
