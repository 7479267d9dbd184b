"""System checks for deployment (``manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

# Caches that live inside one process: every web process would keep its own counts.
PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
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
            "The cache is in-process memory: with several web processes each one counts "
            "sign-in attempts and rate limits on its own, multiplying every limit.",
            hint="Set CACHE_URL to a Redis shared by all web processes, e.g. redis://redis:6379/1.",
            obj=backend,
            id="hitrecord.W001",
        )
    ]
