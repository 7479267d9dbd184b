"""Abuse limits for signing in and signing up, kept in the Django cache.

One place for both the HTML pages and the API, so a limit cannot be dodged by switching
between them. Works on any Django cache that has atomic ``add`` and ``incr`` (the in-process
memory cache of the embedded mode and Redis at scale).

**Sign-in** is limited per (account, client address) pair: each attempt is counted
*before* the password is checked, so a pair that has used its attempts cannot probe
passwords any more, even with many requests in parallel. After ``SIGNIN_FAILURE_LIMIT``
failures (5) within ``SIGNIN_FAILURE_WINDOW`` seconds (15 minutes, counted from the first
failure), that pair waits until the window ends. Another address can still sign in to the
same account, so nobody can lock an artist out from elsewhere; the same address can still
sign in to other accounts. A successful sign-in clears the pair's counter.

**Sign-up** is limited per client address, by the DRF ``signup`` throttle rate in
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (e.g. ``"20/hour"``); every sign-up attempt
counts, through the page or the API.

**The client address** is ``REMOTE_ADDR``. Headers such as ``X-Forwarded-For`` are
written by the client and would let anyone pick a fresh address per request, so they are
ignored, with one exception: behind the compose reverse proxy (Caddy), ``REMOTE_ADDR`` is
the proxy's own address for everyone, and the real client is the last entry Caddy appends
to ``X-Forwarded-For``. That entry is used only when the connection comes from an address
in ``settings.TRUSTED_PROXY_IPS`` (addresses or networks such as ``"172.16.0.0/12"``;
empty by default, so nothing is trusted unless deployment says so).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.settings import api_settings

SIGNIN_FAILURE_LIMIT = 5
SIGNIN_FAILURE_WINDOW = 15 * 60
SIGNUP_RATE_DEFAULT = "20/hour"

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may go ahead; if not, how many seconds until it may."""

    allowed: bool
    retry_after: int = 0

    @property
    def retry_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))

    def wait_phrase(self) -> str:
        minutes = self.retry_minutes
        return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


def _trusted_proxy(address: str) -> bool:
    networks = getattr(settings, "TRUSTED_PROXY_IPS", None) or []
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(str(net), strict=False) for net in networks)


def client_address(request: Any) -> str:
    """The address the request came from: ``REMOTE_ADDR``, or, only when that is a trusted
    proxy, the last ``X-Forwarded-For`` entry that proxy added (see the module docstring)."""
    remote = str(request.META.get("REMOTE_ADDR") or "unknown")
    if _trusted_proxy(remote):
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return remote


def _digest(*parts: str) -> str:
    # Hashed so any username is a safe cache key and no usernames sit in the cache.
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:40]


def _take(key: str, *, limit: int, window: int) -> Verdict:
    """Count one attempt against ``key`` and say whether it is within ``limit`` for the
    window that began with the key's first attempt. Atomic: ``incr`` is."""
    now = time.time()
    cache.add(f"{key}:start", now, window)
    cache.add(f"{key}:n", 0, window)
    try:
        count = cache.incr(f"{key}:n")
    except ValueError:  # the window ended between add and incr: this is a fresh one
        cache.set(f"{key}:start", now, window)
        cache.set(f"{key}:n", 1, window)
        count = 1
    if count <= limit:
        return Verdict(allowed=True)
    start = cache.get(f"{key}:start")
    start = float(start) if start is not None else now
    return Verdict(allowed=False, retry_after=max(1, math.ceil(start + window - now)))


def _signin_key(username: str, address: str) -> str:
    return "throttle:signin:" + _digest(username.strip().lower(), address)


def signin_limit() -> int:
    return int(getattr(settings, "SIGNIN_FAILURE_LIMIT", SIGNIN_FAILURE_LIMIT))


def signin_window() -> int:
    return int(getattr(settings, "SIGNIN_FAILURE_WINDOW", SIGNIN_FAILURE_WINDOW))


def signin_attempt(*, username: str, address: str) -> Verdict:
    """Count a sign-in attempt for this (account, address) pair before the password is
    checked. Refused once the pair has used its attempts; call ``signin_succeeded`` when
    the password was right."""
    return _take(_signin_key(username, address), limit=signin_limit(), window=signin_window())


def signin_succeeded(*, username: str, address: str) -> None:
    """The pair signed in: forget its failures."""
    key = _signin_key(username, address)
    cache.delete_many([f"{key}:start", f"{key}:n"])


def signin_refused_message(verdict: Verdict) -> str:
    return (
        "Too many failed sign-ins for this account from your address. "
        f"Try again in {verdict.wait_phrase()}."
    )


def signup_rate() -> tuple[int, int]:
    """``(attempts, seconds)`` from the DRF ``signup`` throttle rate."""
    rate = api_settings.DEFAULT_THROTTLE_RATES.get("signup") or SIGNUP_RATE_DEFAULT
    count, period = str(rate).split("/")
    return int(count), _PERIODS[period.strip()[0]]


def signup_attempt(*, address: str) -> Verdict:
    """Count a sign-up attempt from this address; refused past the ``signup`` rate."""
    limit, window = signup_rate()
    return _take("throttle:signup:" + _digest(address), limit=limit, window=window)


def signup_refused_message(verdict: Verdict) -> str:
    return (
        "Too many sign-ups from your address in a short time. "
        f"Try again in {verdict.wait_phrase()}."
    )
