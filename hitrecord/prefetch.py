"""One shared-cache round trip for what every signed-in request reads first.

A signed-in page used to read, one after the other, its session, then its person (whose id
is in the session), then its header, then its fragments' version tokens: four round trips
(each ~0.15 ms here, more than a bare view costs) before the fragments themselves, which
come from the process (``fragments``). A session key names one person for good (Django
cycles the key at every login and flushes it at logout), so each process remembers which
person a session key named the last time, and ``PrefetchMiddleware`` asks for all of them
in one ``get_many`` once the URL is resolved: the session, the person, their header, the
tokens every signed-in page reads (``people``, ``projects``, their profile and inbox) and
those the view declares (``scopes``). The session store, the authentication backend, the
header and ``fragments.versions`` then take their value from what was fetched.

Nothing here can serve the wrong value:

- values are stored under their own cache keys: a wrong guess only means the keys read
  later were not fetched, and are read as before;
- each value but a version token is taken once (a second read in the request goes to the
  cache); tokens are read with ``peek`` as often as the request needs them;
- ``drop`` deletes keys from the cache and from what this request fetched, and
  ``fragments.bump`` forgets the tokens it renews, so a write made by the request itself (a
  profile edit, notifications marked read, a saved draft) is seen by the rest of it;
- the fetched values live for one request only (a context variable, cleared at the end).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.sessions.backends.cached_db import KEY_PREFIX as SESSION_KEY_PREFIX
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

_FETCHED: ContextVar[dict[str, Any] | None] = ContextVar("hitrecord_prefetched", default=None)
_ABSENT = object()
_SESSION_PERSON = "session-person:"
_SESSION_ENGINE = "accounts.sessions"  # the store that reads the fetch
V = TypeVar("V", bound=Callable[..., Any])


def fetch(keys: Iterable[str]) -> None:
    """Read ``keys`` in one round trip, for this request's later ``take``."""
    wanted = list(dict.fromkeys(keys))
    found = cache.get_many(wanted)
    _FETCHED.set({key: found.get(key, _ABSENT) for key in wanted})


def more(keys: Iterable[str], *, skip: Callable[[str], bool] | None = None) -> None:
    """Read in one round trip those of ``keys`` this request has not fetched yet (and,
    with ``skip``, that ``skip(key)`` does not rule out: a value the process holds), for
    later ``take``: a page that will read several cached values, or a likely one, once its
    tokens are known. A key fetched in vain costs nothing but its bytes."""
    fetched = _FETCHED.get()
    if fetched is None:  # outside a request (a task, a shell): nothing to keep it in
        return
    wanted = [
        key for key in dict.fromkeys(keys) if key not in fetched and (skip is None or not skip(key))
    ]
    if not wanted:
        return
    found = cache.get_many(wanted)
    fetched.update({key: found.get(key, _ABSENT) for key in wanted})


def hold(values: dict[str, Any]) -> None:
    """Keep ``values`` this request read or wrote itself (version tokens) for its later
    ``peek``: a token is read from the cache once a request, however many reads ask."""
    fetched = _FETCHED.get()
    if fetched is not None:
        fetched.update(values)


def take(key: str) -> tuple[bool, Any]:
    """``(True, value or None)`` if this request fetched ``key`` and has not taken it yet,
    else ``(False, None)``: then read the cache as usual."""
    fetched = _FETCHED.get()
    if not fetched or key not in fetched:
        return False, None
    value = fetched.pop(key)
    return True, None if value is _ABSENT else value


def peek(key: str) -> Any:
    """The value this request fetched under ``key`` (None if absent or not fetched),
    left for later reads too: for version tokens, which only ``forget`` may invalidate
    (``fragments.bump`` does, for the request that bumps them)."""
    fetched = _FETCHED.get()
    if not fetched:
        return None
    value = fetched.get(key)
    return None if value is _ABSENT else value


def get(key: str) -> Any:
    """``cache.get(key)``, served from this request's fetch when it holds ``key``."""
    hit, value = take(key)
    return value if hit else cache.get(key)


def forget(keys: Iterable[str]) -> None:
    """This request changed ``keys``: what it fetched of them must not be used."""
    fetched = _FETCHED.get()
    if fetched:
        for key in keys:
            fetched.pop(key, None)


def drop(keys: list[str]) -> None:
    """Delete ``keys`` from the cache and from this request's fetch."""
    forget(keys)
    cache.delete_many(keys)


# --- which person a session key names ------------------------------------------------------


def session_person_seen(session_key: str, user_id: Any) -> None:
    """Called by the session store when it loads a signed-in session."""
    from hitrecord import fragments

    fragments.remember(_SESSION_PERSON + session_key, user_id)


def _session_person(session_key: str) -> Any:
    from hitrecord import fragments

    return fragments.remembered(_SESSION_PERSON + session_key)


# What to fetch beside a signed-in session, given its person's id and the request:
# ``accounts`` registers its person, header and token keys here when the app is ready.
_WITH_PERSON: list[Callable[[Any, HttpRequest], list[str]]] = []


def with_person(keys_of: Callable[[Any, HttpRequest], list[str]]) -> None:
    """Register what a signed-in request reads for its person (``keys_of(user_id,
    request)``), to be fetched with the session."""
    _WITH_PERSON.append(keys_of)


def scopes(scopes_of: Callable[[dict[str, Any]], list[str]]) -> Callable[[V], V]:
    """Declare which version scopes a page view reads (``scopes_of(view kwargs)``), so that
    their tokens come in the same round trip as the session. Best effort: a scope it
    cannot name without a query (a project not seen yet) is simply left out."""

    def decorate(view: V) -> V:
        view.prefetch_scopes = scopes_of  # type: ignore[attr-defined]
        return view

    return decorate


class PrefetchMiddleware:
    """Once the URL is resolved (``process_view``), fetches in one round trip a signed-in
    request's session, the person and header it names, and the version tokens its view
    declared (``scopes``). Goes before ``SessionMiddleware`` and before anything that
    reads the session or the person; does nothing without a session cookie."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _FETCHED.set({})  # inside a request: ``more`` may add to it
        try:
            return self.get_response(request)
        finally:
            _FETCHED.reset(token)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponse],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not session_key or settings.SESSION_ENGINE != _SESSION_ENGINE:
            return
        keys = [SESSION_KEY_PREFIX + session_key]
        user_id = _session_person(session_key)
        if user_id is not None:
            for keys_of in _WITH_PERSON:
                keys.extend(keys_of(user_id, request))
        scopes_of = getattr(view, "prefetch_scopes", None)
        if scopes_of is not None:
            from hitrecord import fragments

            keys.extend(fragments.token_keys(*scopes_of(kwargs)))
        fetch(keys)
