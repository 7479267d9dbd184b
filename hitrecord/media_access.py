"""Who may fetch a local media file: policies that the domain apps register.

``hitrecord`` is the bottom layer and imports no domain app, yet only the apps know whose
file a stored name is and who may see it. So each app registers a *media access policy*
for the storage prefix it owns (``contributions/`` for contributions, from their
``AppConfig.ready``), and the media view asks ``media_access`` before it serves a file.
The dependency points the allowed way (apps -> hitrecord), and the decision itself stays
in the app's own access module.

A policy is ``(viewer, name) -> MediaAccess | None``: None means "not one of mine", and the
file is served publicly as before (the view's own path and type checks still apply).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any


class MediaAccess(enum.Enum):
    PUBLIC = "public"  # anyone; shared caches may keep it
    PRIVATE = "private"  # this viewer only; never kept by a shared cache
    DENIED = "denied"  # answered 404, as if there were no such file


MediaPolicy = Callable[[Any, str], "MediaAccess | None"]

_policies: dict[str, MediaPolicy] = {}


def register_media_policy(prefix: str, policy: MediaPolicy) -> None:
    """Let ``policy`` decide about every stored name under ``prefix`` (e.g.
    ``"contributions/"``). Registering the same prefix again replaces the policy, so an
    app's ``ready()`` may run twice harmlessly."""
    _policies[prefix] = policy


def media_access(viewer: Any, name: str) -> MediaAccess:
    """The decision for ``name`` (a normalised storage name), from the policy of the
    longest registered prefix it starts with; PUBLIC when no policy claims it."""
    for prefix in sorted(_policies, key=len, reverse=True):
        if name.startswith(prefix):
            decision = _policies[prefix](viewer, name)
            return MediaAccess.PUBLIC if decision is None else decision
    return MediaAccess.PUBLIC
