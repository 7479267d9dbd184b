"""The search page, ``/search/?q=&type=&page=``: thin; the form checks the input, the
selectors find and load."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.selectors import PEOPLE_SCOPE
from hitrecord import fragments
from hitrecord.params import parse_page
from hitrecord.search import fulltext, selectors
from hitrecord.search.forms import SearchForm
from projects.selectors import PROJECTS_SCOPE

TABS = (
    ("all", "All"),
    ("projects", "Projects"),
    ("contributions", "Contributions"),
    ("people", "People"),
)


def search(request: HttpRequest) -> HttpResponse:
    """Empty ``q``: the form alone. ``type=all`` (the default): the best few of each type,
    each section linking to its own listing; one type: its results, 24 a page. Input too
    long or an unknown type: the form with its error, 400."""
    form = SearchForm(request.GET)
    if not form.is_valid():
        return render(request, "search/search.html", {"form": form, "tabs": TABS}, status=400)
    q = form.cleaned_data["q"].strip()
    listing = form.cleaned_data["type"] or "all"
    context: dict[str, Any] = {"form": form, "q": q, "listing": listing, "tabs": TABS}
    if not q:
        return render(request, "search/search.html", context)
    number = parse_page(request.GET.get("page"))
    # Only public things are found, so one query's results are the same for everyone: a
    # fragment per query, type and page, new when a project list or a name changes, and
    # at most FRAGMENT_SECONDS late on new contributions.
    digest = hashlib.sha256(q.encode()).hexdigest()[:32]
    token = fragments.versions(PROJECTS_SCOPE, PEOPLE_SCOPE)
    key = f"search-page:{digest}:{listing}:{number}:{token}"
    context["results"] = fragments.fragment(
        request, key, "search/_results.html", lambda: _results(context, q, listing, number)
    )
    return render(request, "search/search.html", context)


def _results(base: dict[str, Any], q: str, listing: str, number: int) -> dict[str, Any]:
    context = {**base, "terms": fulltext.parse(q)}
    terms = context["terms"]
    if listing == "all":
        context["sections"] = selectors.search_overview(terms)
        context["found"] = any(section.hits for section in context["sections"])
    else:
        paginator = Paginator(selectors.ranked_for(listing, terms), selectors.PAGE_SIZE)
        page = paginator.get_page(number)
        context["page"] = page
        context["hits"] = selectors.hits_for_listing(listing, list(page.object_list), terms)
        context["found"] = bool(context["hits"])
        context["query"] = urlencode({"q": q, "type": listing})
    context["tab_query"] = urlencode({"q": q})
    return context
