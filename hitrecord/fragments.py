"""Cached fragments of pages, keyed by what changes.

A page asks for its expensive part (a project's gallery, a lineage picture, a person's
inbox) by a key made of version tokens, one per thing the fragment shows, plus the
viewer's role where the fragment differs by role. A service that changes one of those
things bumps its token (``bump``), so the next request renders afresh; nothing is ever
deleted by pattern. Fragments expire after ``FRAGMENT_SECONDS`` whatever happens, which
bounds how late counts and descendant lists may be where no token covers them.

Three rules keep a cached fragment safe to hand to anyone its key names:

- it is rendered without the request: no ``user``, no messages, no session (templates
  get what they show from the context the view passes, and the role in the key);
- it never holds a CSRF token: forms inside render a placeholder that is swapped for the
  requesting person's own token when the fragment is served (``serve``);
- media URLs inside outlive the fragment: presigned S3 URLs are signed for far longer
  than ``FRAGMENT_SECONDS`` (``settings.MEDIA_URL_SECONDS``).

Two levels. A key made of version tokens names one value for good: when what it shows
changes, the token and so the key change. So such values (``local=True``) are also kept
in this process (``LOCAL_MAX_BYTES``, least recently used first out, with the same
expiry), and a repeat view reads only the tokens from the shared cache, in one round
trip, instead of every fragment too. Keys that are dropped rather than renewed (the
header, a session, a person) never go in the process.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from hitrecord import prefetch

FRAGMENT_SECONDS = 60
# Per process: a thousand contribution pages with their lineage pictures (~90 KB each) and
# the smaller pages beside them. Kept as they are, not compressed: unpacking a picture cost
# 0.2 ms a view, more than fetching it from the shared cache.
LOCAL_MAX_BYTES = 128 * 1024 * 1024


def _csrf_placeholder() -> str:
    # Derived from the secret key: the same in every worker (fragments are shared), and
    # not something a person could type into a title to get a token echoed back.
    digest = hashlib.sha256(f"fragment-csrf:{settings.SECRET_KEY}".encode()).hexdigest()
    return f"csrf-placeholder-{digest[:32]}"


CSRF_PLACEHOLDER = _csrf_placeholder()


# --- version tokens -------------------------------------------------------------------------


def _token_key(scope: str) -> str:
    return f"v:{scope}"


def token_keys(*scopes: str) -> list[str]:
    """The cache keys of these scopes' tokens (for ``hitrecord.prefetch``)."""
    return [_token_key(scope) for scope in scopes]


def versions(*scopes: str) -> str:
    """One token made of the current token of each scope ("project:12", "people", ...),
    read in one cache round trip (none when the request's prefetch holds them all). A
    scope never bumped (or evicted) gets a fresh token. What it reads is held for the rest
    of the request, as the prefetch's tokens are."""
    keys = [_token_key(scope) for scope in scopes]
    found: dict[str, Any] = {}
    for key in keys:
        value = prefetch.peek(key)
        if value is not None:
            found[key] = value
    rest = [key for key in keys if key not in found]
    if rest:
        read = cache.get_many(rest)
        missing = {key: uuid.uuid4().hex[:12] for key in rest if key not in read}
        if missing:
            cache.set_many(missing, None)
        read.update(missing)
        prefetch.hold(read)  # later reads in this request peek them
        found.update(read)
    return ".".join(str(found[key]) for key in keys)


def bump(*scopes: str) -> None:
    """The things named by ``scopes`` changed: new tokens now, and again once the
    surrounding transaction commits (a fragment rendered from the old rows in between is
    cached under the first token and dropped by the second)."""
    if not scopes:
        return

    def renew() -> None:
        cache.set_many({_token_key(scope): uuid.uuid4().hex[:12] for scope in scopes}, None)

    prefetch.forget(token_keys(*scopes))  # this request reads the new ones from now on
    renew()
    transaction.on_commit(renew)


def bump_many(prefix: str, ids: Iterable[object]) -> None:
    """``bump`` for one scope per id: ``bump_many("inbox", [3, 4])``."""
    bump(*(f"{prefix}:{pk}" for pk in dict.fromkeys(ids)))


# --- fragments ------------------------------------------------------------------------------


def render(template_name: str, context: Mapping[str, Any]) -> str:
    """A fragment's HTML, rendered without the request and with the CSRF placeholder."""
    return render_to_string(template_name, {**context, "csrf_token": CSRF_PLACEHOLDER})


def cached(
    key: str, build: Callable[[], str], timeout: int = FRAGMENT_SECONDS, *, local: bool = False
) -> str:
    """The fragment stored under ``key``, built and stored on a miss."""
    return str(cached_value(key, build, timeout, local=local))


T = TypeVar("T")


def cached_value(
    key: str,
    build: Callable[[], T],
    timeout: int = FRAGMENT_SECONDS,
    *,
    local: bool = False,
    usable: Callable[[T], bool] | None = None,
    seconds: Callable[[T], int | None] | None = None,
) -> T:
    """Whatever ``build()`` gives (picklable: a fragment and its page title, a small row),
    stored under ``key`` for ``timeout`` seconds and built only on a miss. ``local`` (for
    keys made of version tokens or another exact version, see the module's docstring)
    keeps it in this process too, whichever worker built it.

    Two hooks for values whose life depends on what they hold: ``usable(value)`` False
    makes a stored value a miss (a money page past a claim deadline it shows), and
    ``seconds(value)`` replaces ``timeout``, None meaning "serve it, store it nowhere"
    (a page that came out as an error)."""

    def ok(value: Any) -> bool:
        return value is not None and (usable is None or usable(value))

    if local:
        found = _LOCAL.get(key)
        if ok(found):
            return cast(T, found)
    value = prefetch.get(key)  # fetched with the session, or by ``preload``
    built = not ok(value)
    if built:
        value = build()
    keep = timeout if seconds is None else seconds(value)
    if keep is None:
        return cast(T, value)
    if built:
        cache.set(key, value, keep)
    if local:
        _LOCAL.put(key, value, keep)
    return cast(T, value)


def preload(*keys: str) -> None:
    """Fetch, in one round trip, those of ``keys`` this process holds no copy of, for the
    ``cached_value`` calls that follow in this request: a page that reads several cached
    values (or a likely one) asks once instead of once each."""
    prefetch.more(keys, skip=lambda key: _LOCAL.get(key) is not None)


class _LocalValues:
    """This process's copies of values under versioned keys: an LRU bounded in bytes
    (strings by their length, anything else counted as 1 KB), each with its expiry."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[str, tuple[float, Any, int]] = OrderedDict()
        self._lock = threading.Lock()  # runserver serves requests on threads

    def get(self, key: str) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] <= time.monotonic():
                self._drop(key)
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key: str, value: Any, timeout: int) -> None:
        size = 1024
        if isinstance(value, str):
            size = len(value)
        elif isinstance(value, dict):
            size = sum(len(v) for v in value.values() if isinstance(v, str)) or 1024
        with self._lock:
            self._drop(key)
            self._items[key] = (time.monotonic() + timeout, value, size)
            self.size += size
            while self.size > self.max_bytes and self._items:
                self._drop(next(iter(self._items)))

    def _drop(self, key: str) -> None:
        item = self._items.pop(key, None)
        if item is not None:
            self.size -= item[2]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0


_LOCAL = _LocalValues(LOCAL_MAX_BYTES)


def local_get(key: str) -> Any:
    """This process's copy of the value under a versioned ``key``, or None."""
    return _LOCAL.get(key)


def local_put(key: str, value: Any, timeout: int) -> None:
    """Keep ``value`` under a versioned ``key`` in this process for ``timeout`` seconds."""
    _LOCAL.put(key, value, timeout)


def forget_local() -> None:
    """Drop this process's copies (tests do, with every ``cache.clear()``: a new test's
    database may reuse what an old key named)."""
    _LOCAL.clear()
    _IMMUTABLE.clear()


# Facts that never change once true (a project's id for its slug): kept in the process.
_IMMUTABLE: dict[str, Any] = {}


def remembered(key: str) -> Any:
    return _IMMUTABLE.get(key)


def remember(key: str, value: Any) -> None:
    if len(_IMMUTABLE) > 100_000:
        _IMMUTABLE.clear()
    _IMMUTABLE[key] = value


def _token(request: HttpRequest) -> str:
    """One masked CSRF token per request for all its fragments (masking costs a random
    string each time)."""
    token = getattr(request, "_fragment_csrf_token", None)
    if token is None:
        token = get_token(request)
        request._fragment_csrf_token = token  # type: ignore[attr-defined]
    return str(token)


def serve(request: HttpRequest, html: str) -> SafeString:
    """A cached fragment made ready for this request: its CSRF placeholders become the
    requesting person's own token (which also makes the response set the CSRF cookie)."""
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, _token(request))
    return mark_safe(html)  # noqa: S308 - rendered by our templates, autoescaped


def fragment(
    request: HttpRequest,
    key: str,
    template_name: str,
    context: Callable[[], Mapping[str, Any]],
    timeout: int = FRAGMENT_SECONDS,
    *,
    local: bool = True,
) -> SafeString:
    """``template_name`` rendered with ``context()`` (called only on a miss), cached under
    ``key`` and served to ``request``. ``key`` is made of version tokens unless ``local``
    is False (see the module's docstring)."""
    html = cached(key, lambda: render(template_name, context()), timeout, local=local)
    return serve(request, html)
