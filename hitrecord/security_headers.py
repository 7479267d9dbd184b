"""django-csp's middleware, with the site's one policy built once per process.

Every response carries ``Content-Security-Policy`` from ``settings.CONTENT_SECURITY_POLICY``.
django-csp rebuilds that header from the settings on every response (the policy and the
report-only one), about 4% of a cached page's time. No page here uses a nonce or a
per-view policy (``csp_update``, ``csp_replace``, ``csp_exempt``...), so the header is the
same string every time: this subclass builds it once (again when a test changes the
settings) and sets it directly on a response that has nothing of its own. Anything else,
and any settings with ``EXCLUDE_URL_PREFIXES``, goes through django-csp unchanged.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as StockCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

_OWN_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt",
    "_csp_exempt_ro",
)
_SETTINGS = ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")


@cache
def _headers() -> tuple[str, str] | None:
    """The policy and the report-only policy, as django-csp builds them; None when the
    settings exclude some addresses (then every response takes django-csp's path)."""
    policies = (settings.CONTENT_SECURITY_POLICY, settings.CONTENT_SECURITY_POLICY_REPORT_ONLY)
    if any((policy or {}).get("EXCLUDE_URL_PREFIXES") for policy in policies):
        return None
    return build_policy(), build_policy(report_only=True)


@receiver(setting_changed, dispatch_uid="hitrecord.security_headers.changed")
def _settings_changed(setting: str, **kwargs: Any) -> None:
    if setting in _SETTINGS or setting == "DEBUG":
        _headers.cache_clear()


class CSPMiddleware(StockCSPMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        headers = _headers()
        if (
            headers is None
            or settings.DEBUG  # django-csp leaves Django's debug pages alone
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _OWN_POLICY)
        ):
            return super().process_response(request, response)
        policy, report_only = headers
        if policy and HEADER not in response:
            response[HEADER] = policy
        if report_only and HEADER_REPORT_ONLY not in response:
            response[HEADER_REPORT_ONLY] = report_only
        # as django-csp does: a nonce asked for once the header is written is an error
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
