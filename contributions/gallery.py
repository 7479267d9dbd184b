"""The contributions gallery, shared by the project page and the profile page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest

from contributions import selectors
from contributions.models import Contribution
from hitrecord.params import parse_page
from payouts.selectors import used_in_cuts

GALLERY_PAGE_SIZE = 24


def gallery_context(
    request: HttpRequest, *, project_id: int | None = None, author_id: int | None = None
) -> dict[str, Any]:
    """Context for ``contributions/_gallery.html``: a page of visible contributions filtered
    by ``?kind=`` and ``?needs_remix=1``. Unknown values are ignored rather than failing."""
    kind = request.GET.get("kind") or ""
    if kind not in Contribution.Kind.values:
        kind = ""
    needs_remix = request.GET.get("needs_remix") in {"1", "on", "true"}
    queryset = selectors.contribution_list(
        project_id=project_id, author_id=author_id, kind=kind or None, needs_remix=needs_remix
    )
    page = Paginator(queryset, GALLERY_PAGE_SIZE).get_page(_page_number(request))
    # "used in K final cuts" for the whole page in one query (none for an empty page).
    # This module is view-level code, so it may read payouts' selectors.
    cards = list(page.object_list)
    counts = used_in_cuts(c.pk for c in cards)
    for card in cards:
        card.used_in_cuts = counts.get(card.pk, 0)
    page.object_list = cards
    query = urlencode(
        {k: v for k, v in {"kind": kind, "needs_remix": "1" if needs_remix else ""}.items() if v}
    )
    return {
        "gallery_page": page,
        "gallery_kind": kind,
        "gallery_needs_remix": needs_remix,
        "gallery_query": query,
        "gallery_kinds": Contribution.Kind.choices,
    }


def gallery_params(request: HttpRequest) -> str:
    """What of the request picks the gallery's page, normalised: part of a cached
    fragment's key (unknown values count as absent, as ``gallery_context`` ignores them)."""
    kind = request.GET.get("kind") or ""
    if kind not in Contribution.Kind.values:
        kind = ""
    needs_remix = request.GET.get("needs_remix") in {"1", "on", "true"}
    return f"{kind}|{int(needs_remix)}|{_page_number(request)}"


def _page_number(request: HttpRequest) -> int:
    return parse_page(request.GET.get("page"))
