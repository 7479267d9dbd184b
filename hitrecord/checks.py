"""System checks for deployment (``manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

# Caches that live inside one process, or on one machine (the embedded default's files):
# web processes elsewhere would keep their own counts, sessions and page versions.
PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
    "hitrecord.filecache.SharedFileCache",
}


@register(Tags.caches, Tags.security, deploy=True)
def shared_cache_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """With debug off, the cache holding the sign-in and rate-limit counters must be shared
    by every web process; an in-process cache lets each process count on its own."""
    if settings.DEBUG:
        return []
    backend = settings.CACHES["default"]["BACKEND"]
    if backend not in PER_PROCESS_CACHES:
        return []
    return [
        Warning(
            "The cache is kept by this machine alone (in memory or in files): web processes "
            "on other machines would each count sign-in attempts and rate limits on their "
            "own, and keep their own sessions and cached pages.",
            hint="Set CACHE_URL to a Redis shared by all web processes, e.g. redis://redis:6379/1.",
            obj=backend,
            id="hitrecord.W001",
        )
    ]
