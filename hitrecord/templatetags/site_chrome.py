"""The parts of ``base.html`` around every page, made cheap for signed-in people.

``{% load site_chrome %}`` gives:

- ``{% site_header %}``: the header. Signed in, it is a cached fragment of that person's
  own (``hitrecord.fragments``), keyed by their id and which section link is current, and
  dropped whenever their row or their notifications change (``header_keys``); its
  sign-out forms carry a CSRF placeholder that becomes the person's own token when
  served. Signed out, it is rendered as it is (the signed-out
  pages themselves are cached whole).
- ``{% asset "css/site.css" %}``: ``{% static %}`` remembered per process; the storage's
  URL of a name does not change while the process runs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.safestring import SafeString

from hitrecord import fragments

register = template.Library()

HEADER = "includes/header.html"


def header_key(user_id: int, *, at_projects: bool, at_earnings: bool) -> str:
    return f"header:{user_id}:{int(at_projects)}{int(at_earnings)}"


def header_keys(user_id: int) -> list[str]:
    """Every cached header of a person: ``accounts`` drops them when the person's row or
    their notifications change (their name, their unread count)."""
    both = (False, True)
    return [header_key(user_id, at_projects=p, at_earnings=e) for p in both for e in both]


def header_sections(path: str) -> dict[str, bool]:
    """Which of the header's links is the current page's (part of the header's key)."""
    return {"at_projects": path.startswith("/projects/"), "at_earnings": path == "/me/earnings/"}


@register.simple_tag(takes_context=True)
def site_header(context: template.Context) -> SafeString | str:
    request = context.get("request")
    user = context.get("user")
    path = getattr(request, "path", "")
    sections = header_sections(path)
    if request is None or user is None or not user.is_authenticated:
        return render_to_string(HEADER, {"user": user, "request": request, **sections})
    key = header_key(user.pk, **sections)

    def header_context() -> dict[str, Any]:
        # accounts' context processor gives a lazy count (a SimpleLazyObject: no int())
        unread = int(str(context.get("unread_notifications") or 0))
        return {"user": user, "unread_notifications": unread, **sections}

    # dropped on change, not renewed: never kept in the process (``local=False``)
    return fragments.fragment(request, key, HEADER, header_context, local=False)


@lru_cache(maxsize=256)
def _asset(name: str) -> str:
    return static(name)


@register.simple_tag
def asset(name: str) -> str:
    return _asset(name)
