"""Sessions: Django's cached-database store, read from the request's prefetch.

``SESSION_ENGINE = "accounts.sessions"``. The same rows and cache entries as
``django.contrib.sessions.backends.cached_db`` (the cache key prefix is Django's), so
switching engines signs nobody out. ``load`` first takes the value
``hitrecord.prefetch.PrefetchMiddleware`` fetched with the person and header, and tells the
prefetch which person this session key names, for the next request.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

from hitrecord import prefetch


class SessionStore(CachedDBStore):
    def load(self) -> dict[str, Any]:
        hit, data = prefetch.take(self.cache_key)
        if not hit or data is None:
            data = super().load()  # the cache again, then the database
        user_id = data.get(SESSION_KEY)
        if user_id is not None and self.session_key:
            prefetch.session_person_seen(self.session_key, user_id)
        return data  # type: ignore[no-any-return]
