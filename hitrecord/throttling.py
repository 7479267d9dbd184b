"""Rate limits for every page and API endpoint: one counter, one client address, one 429.

**The counter** is a fixed window per key in the Django cache: the window opens with the
key's first hit and lasts the rate's period; ``add`` and ``incr`` are atomic on the
in-process memory cache and on Redis, so parallel requests cannot slip past a limit. With
several web processes the cache must be shared (``CACHE_URL``): ``check --deploy`` warns
otherwise (``hitrecord.checks``), because each process would count on its own.

**The client address** is ``REMOTE_ADDR``. Headers such as ``X-Forwarded-For`` are written
by the client and would let anyone pick a fresh address per request, so they are ignored,
with one exception: behind the compose reverse proxy (Caddy), ``REMOTE_ADDR`` is the proxy's
own address for everyone, and the real client is the last entry the proxy appends to
``X-Forwarded-For``. That entry is used only when the connection comes from an address in
``settings.TRUSTED_PROXY_IPS`` (addresses or networks such as ``"172.16.0.0/12"``; empty by
default, so nothing is trusted unless deployment says so). An IPv6 client is counted by its
/64 network: one home or one server gets a whole /64 and can pick any address inside it.

**Who uses it.** Sign-in, sign-up and password-reset mail (``accounts.throttle``); the DRF
throttles below (``get_ident`` is the address rule above), so the scoped rates such as
``lineage`` cannot be dodged with a made-up header; and the per-person limits on writes
(``limit_action``), called from the services so a page and the API share one budget. A
service raises ``hitrecord.errors.RateLimited``; the API's exception handler answers 429
with Retry-After, and ``RateLimitMiddleware`` renders the friendly ``429.html`` page.
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
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework import throttling as drf_throttling
from rest_framework.settings import api_settings

from hitrecord.errors import RateLimited

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# The per-person write limits: action -> (setting holding its rate, what is counted).
ACTIONS = {
    "comment": ("THROTTLE_COMMENT", "comments"),
    "contribution": ("THROTTLE_CONTRIBUTION", "contributions"),
    "project": ("THROTTLE_PROJECT", "projects"),
}


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may go ahead; if not, how many seconds until it may, and which
    limit refused it (``reason``, for the message)."""

    allowed: bool
    retry_after: int = 0
    reason: str = ""

    @property
    def retry_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))

    def wait_phrase(self) -> str:
        minutes = self.retry_minutes
        return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


def parse_rate(rate: str, *, name: str = "rate") -> tuple[int, int]:
    """``"30/hour"`` -> ``(30, 3600)``: a count per second, minute, hour or day."""
    try:
        count, period = str(rate).split("/")
        return int(count), _PERIODS[period.strip()[0].lower()]
    except (ValueError, KeyError, IndexError):
        raise ImproperlyConfigured(
            f"{name} must look like '30/hour' (a count per second, minute, hour or day); "
            f"got {rate!r}"
        ) from None


def digest(*parts: str) -> str:
    """A cache-safe key part; hashed so no username or email sits in the cache."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:40]


# --- the counter ----------------------------------------------------------------------------


def hit(key: str, *, window: int) -> tuple[int, int]:
    """Count one hit against ``key``; return ``(hits in this window, seconds it has left)``.
    Atomic: ``incr`` is."""
    now = time.time()
    cache.add(f"{key}:start", now, window)
    cache.add(f"{key}:n", 0, window)
    try:
        count = cache.incr(f"{key}:n")
    except ValueError:  # the window ended between add and incr: this is a fresh one
        cache.set(f"{key}:start", now, window)
        cache.set(f"{key}:n", 1, window)
        count = 1
    return count, _left(key, window=window, now=now)


def peek(key: str, *, window: int) -> tuple[int, int]:
    """``(hits in this window, seconds it has left)`` without counting one."""
    count = cache.get(f"{key}:n")
    if not count:
        return 0, 0
    return int(count), _left(key, window=window, now=time.time())


def forget(key: str) -> None:
    cache.delete_many([f"{key}:start", f"{key}:n"])


def _left(key: str, *, window: int, now: float) -> int:
    start = cache.get(f"{key}:start")
    start = float(start) if start is not None else now
    return max(1, math.ceil(start + window - now))


def take(key: str, *, limit: int, window: int, reason: str = "") -> Verdict:
    """Count one attempt against ``key`` and say whether it is within ``limit`` for the
    window that began with the key's first attempt."""
    count, left = hit(key, window=window)
    if count <= limit:
        return Verdict(allowed=True)
    return Verdict(allowed=False, retry_after=left, reason=reason)


def take_rate(key: str, *, rate: str, name: str, reason: str = "") -> Verdict:
    limit, window = parse_rate(rate, name=name)
    return take(key, limit=limit, window=window, reason=reason)


# --- the client address ---------------------------------------------------------------------


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted_proxy(address: str) -> bool:
    networks = settings.TRUSTED_PROXY_IPS
    ip = _ip(address)
    if not networks or ip is None:
        return False
    return any(ip in ipaddress.ip_network(str(net), strict=False) for net in networks)


def client_address(request: Any) -> str:
    """The address the request came from: ``REMOTE_ADDR``, or, only when that is a trusted
    proxy, the last ``X-Forwarded-For`` entry that proxy added (see the module docstring)."""
    remote = str(request.META.get("REMOTE_ADDR") or "unknown")
    if _trusted_proxy(remote):
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops and _ip(hops[-1]) is not None:
            return hops[-1]
    return remote


def address_key(address: str) -> str:
    """What a client address is counted as: an IPv4 address itself, an IPv6 address by its
    /64 network (an IPv4-mapped one as its IPv4 address)."""
    ip = _ip(address)
    if ip is None:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def client_key(request: Any) -> str:
    """``address_key(client_address(request))``: the one identity an anonymous client has."""
    return address_key(client_address(request))


# --- per-person write limits ----------------------------------------------------------------


def limit_action(*, action: str, user: Any) -> None:
    """Count one ``action`` (``comment``, ``contribution``, ``project``) by ``user`` against
    its rate (``settings.THROTTLE_<ACTION>``); raise ``RateLimited`` past it. The same
    budget is spent through the pages and the API, because the services call this."""
    setting, what = ACTIONS[action]
    rate = getattr(settings, setting)  # the name comes from ACTIONS: every one is declared
    limit, window = parse_rate(rate, name=setting)
    verdict = take(f"throttle:{action}:{user.pk}", limit=limit, window=window)
    if not verdict.allowed:
        raise RateLimited(
            f"You have made {limit} {what} in a short time, the most we take at once. "
            f"Try again in {verdict.wait_phrase()}.",
            verdict.retry_after,
        )


# --- DRF ------------------------------------------------------------------------------------


class CountedRateThrottle(drf_throttling.SimpleRateThrottle):
    """DRF's rate throttles on the shared atomic counter, the rates read when the request
    comes (so settings changes apply), and the client identified by the trusted-proxy rule
    with IPv6 by /64, never by a header the client writes."""

    verdict: Verdict | None = None
    num_requests: int | None
    duration: int | None

    def get_ident(self, request: Any) -> str:
        return client_key(request)

    def get_rate(self) -> str | None:
        rates = api_settings.DEFAULT_THROTTLE_RATES
        if self.scope not in rates:
            raise ImproperlyConfigured(f"No default throttle rate set for {self.scope!r} scope")
        rate = rates[self.scope]
        return None if rate is None else str(rate)

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.verdict = take(
            "throttle:drf:" + digest(self.key),
            limit=int(self.num_requests or 0),
            window=int(self.duration or 1),
        )
        return self.verdict.allowed

    def wait(self) -> float | None:
        if self.verdict is None or self.verdict.allowed:
            return None
        return float(self.verdict.retry_after)


class ScopedRateThrottle(drf_throttling.ScopedRateThrottle, CountedRateThrottle):
    """``throttle_scope = "lineage"`` on a view: that scope's rate per person or address."""


class AnonRateThrottle(drf_throttling.AnonRateThrottle, CountedRateThrottle):
    """The ``anon`` rate per client address, for anonymous requests."""


class UserRateThrottle(drf_throttling.UserRateThrottle, CountedRateThrottle):
    """The ``user`` rate per person (per address when anonymous)."""


# --- pages ----------------------------------------------------------------------------------


class RateLimitMiddleware:
    """Turns ``RateLimited`` raised by a page's service call into a friendly 429 page with
    its message and Retry-After (the API answers it in ``hitrecord.api``)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, RateLimited):
            return None
        return rate_limited_response(request, exception)


def rate_limited_response(request: HttpRequest, limited: RateLimited) -> HttpResponse:
    response = render(request, "429.html", {"message": limited.message}, status=429)
    response["Retry-After"] = str(limited.retry_after)
    return response
