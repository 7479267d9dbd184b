"""Signing in with the stock rules, and the signed-in person loaded from the cache.

Every signed-in request loads its person (``django.contrib.auth.get_user``); that one query
was a third of a cached page's cost. The person is kept in the shared cache for
``USER_SECONDS`` and dropped whenever the row is saved or deleted (the signals below, now
and again on commit), so a password change, a deactivation or a profile edit takes effect
on the next request in every worker. Django still checks the session's password hash
against the loaded person on every request.

Writes that bypass ``save()`` (``QuerySet.update``) must call ``person_changed``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.models import User
from accounts.selectors import PEOPLE_SCOPE, inbox_scope, person_scope, unread_key
from hitrecord import fragments, prefetch
from hitrecord.templatetags.site_chrome import header_key, header_keys, header_sections

USER_SECONDS = 60


def _key(user_id: Any) -> str:
    return f"auth-user:{user_id}"


class CachedModelBackend(ModelBackend):
    """``ModelBackend`` whose ``get_user`` reads the shared cache first."""

    def get_user(self, user_id: Any) -> Any:
        key = _key(user_id)
        user = prefetch.get(key)
        if user is None:
            user = super().get_user(user_id)  # None for an unknown or inactive person
            if user is None:
                return None
            cache.set(key, user, USER_SECONDS)
        return user if self.user_can_authenticate(user) else None


def prefetch_keys(user_id: Any, request: HttpRequest) -> list[str]:
    """What a signed-in request reads for its person, fetched with its session
    (``hitrecord.prefetch``): the person, their header for this page, and the version
    tokens of the lists every signed-in page may show (theirs and everyone's)."""
    from projects.selectors import PROJECTS_SCOPE  # projects imports accounts

    return [
        _key(user_id),
        header_key(user_id, **header_sections(request.path)),
        unread_key(user_id),  # the badge, read where the header is not cached
        *fragments.token_keys(
            person_scope(user_id), inbox_scope(user_id), PEOPLE_SCOPE, PROJECTS_SCOPE
        ),
    ]


def person_changed(user_id: Any) -> None:
    """Drop the cached person now and once the transaction commits (a request in between
    may have cached the old row), and bump their profile's version."""
    keys = [_key(user_id), *header_keys(user_id)]  # their header shows their name
    prefetch.drop(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))
    fragments.bump(person_scope(user_id))


@receiver(post_save, sender=User, dispatch_uid="accounts.backends.saved")
@receiver(post_delete, sender=User, dispatch_uid="accounts.backends.deleted")
def _user_written(sender: type[User], instance: User, **kwargs: Any) -> None:
    person_changed(instance.pk)
