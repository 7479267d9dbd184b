"""The reads behind ``/search/`` and ``GET /api/search/``: one search over projects,
contributions and people.

Shaped in two steps so its cost does not grow with the number of results: a ranked list
of ``(id, rank)`` rows per type (``fulltext.ranked``: one index scan, ranked, sliced to
the page), then the page's cards, loaded with the apps' own card selectors in one query
per type (plus directors for projects, and "used in K cuts" for contributions on the
page). The "all" listing of the API merges the three ranked lists with ``UNION ALL``,
so it pages like any other list.

Who is found is decided here and in the partial indexes alike: projects all; only the
contributions browsing shows (ready, not withdrawn, not taken down); only active people
who have not deleted their account (an anonymised person is not found by an old name,
and their new name is not searchable either).

Like the other views' code, this module reads the selectors of several apps (pages may);
no app's models, services or selectors import it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import CharField, QuerySet, Value
from django.utils.html import strip_tags

from accounts.models import User
from contributions import selectors as contribution_selectors
from contributions.models import Contribution
from hitrecord.search import fulltext
from hitrecord.search.fulltext import RANK, Terms
from payouts.selectors import used_in_cuts
from projects import selectors as project_selectors
from projects.models import Project

TYPES = ("all", "projects", "contributions", "people")
# The single-type name a result carries (the API's ``type``), by listing.
RESULT_TYPE = {"projects": "project", "contributions": "contribution", "people": "person"}
Q_MAX = 200
PAGE_SIZE = 24
# How many of each type the "all" page shows before "see all".
ALL_LIMITS = {"projects": 6, "contributions": 8, "people": 8}
SNIPPET_WORDS = 30
PERSON_FIELDS = (
    "id",
    "username",
    "first_name",
    "last_name",
    "bio",
    "mediums",
    "avatar_thumbnail",
    "is_anonymised",
)


@dataclass(frozen=True)
class Hit:
    """One result: ``item`` is a card-ready Project, Contribution or User; ``snippet`` the
    visible text around the first matching word, as ``(text, matched)`` parts."""

    type: str
    rank: float
    item: Any
    snippet: tuple[tuple[str, bool], ...]

    @property
    def snippet_text(self) -> str:
        return "".join(part for part, _ in self.snippet)


# --- ranked ids -------------------------------------------------------------------------


def _visible_contributions() -> QuerySet[Contribution]:
    return Contribution.objects.filter(
        status=Contribution.Status.READY, withdrawn=False, removed=False
    )


def _found_people() -> QuerySet[User]:
    return User.objects.filter(is_active=True, is_anonymised=False)


def ranked_projects(terms: Terms) -> QuerySet[Any]:
    """``(id, rank)`` of the matching projects, best first, newest among equals."""
    found = fulltext.ranked(
        Project.objects.all(), fulltext.PROJECT, terms, then=("-created_at", "-pk")
    )
    return found.values_list("pk", RANK)


def ranked_contributions(terms: Terms) -> QuerySet[Any]:
    """``(id, rank)`` of the matching visible contributions, best first, newest among
    equals."""
    found = fulltext.ranked(
        _visible_contributions(), fulltext.CONTRIBUTION, terms, then=("-created_at", "-pk")
    )
    return found.values_list("pk", RANK)


def ranked_people(terms: Terms) -> QuerySet[Any]:
    """``(id, rank)`` of the matching people, best first, then by username."""
    found = fulltext.ranked(_found_people(), fulltext.PERSON, terms, then=("username", "pk"))
    return found.values_list("pk", RANK)


RANKED = {
    "projects": ranked_projects,
    "contributions": ranked_contributions,
    "people": ranked_people,
}


def ranked_all(terms: Terms) -> QuerySet[Any]:
    """``(type, id, rank)`` of every match of the three types, best first: one
    ``UNION ALL`` of the three ranked lists, each served by its own index, so the API's
    "all" listing counts and pages in the database like any list."""
    branches = []
    for listing, ranked_ids in RANKED.items():
        branch = (
            ranked_ids(terms)
            .order_by()
            .annotate(result_type=Value(RESULT_TYPE[listing], output_field=CharField()))
            .values_list("result_type", "pk", RANK)
        )
        branches.append(branch)
    first, *others = branches
    merged = first.union(*others, all=True).order_by(f"-{RANK}", "result_type", "-pk")
    return cast("QuerySet[Any]", merged)


# --- cards ----------------------------------------------------------------------------------


def _words_pattern(terms: Terms) -> re.Pattern[str] | None:
    if not terms.words:
        return None
    alternatives = "|".join(re.escape(word) for word in sorted(terms.words, key=len, reverse=True))
    return re.compile(rf"(?<![^\W_])(?:{alternatives})[^\W_]*", re.IGNORECASE)


def snippet(
    texts: Iterable[str], terms: Terms, *, words: int = SNIPPET_WORDS
) -> tuple[tuple[str, bool], ...]:
    """About ``words`` words of the first of ``texts`` (visible text, no markup) that
    holds a matching word, around that word, with the matching words marked; the start
    of the first non-empty text when none holds one (the match was in the title)."""
    pattern = _words_pattern(terms)
    candidates = [" ".join(text.split()) for text in texts]
    candidates = [text for text in candidates if text]
    if not candidates:
        return ()
    chosen, at = candidates[0], 0
    for text in candidates:
        found = pattern.search(text) if pattern else None
        if found:
            chosen, at = text, found.start()
            break
    tokens = chosen.split(" ")
    # The word index of the match: a few words of context before it.
    index = len(chosen[:at].split(" ")) - 1 if at else 0
    start = max(0, index - words // 4)
    window = " ".join(tokens[start : start + words])
    prefix = "… " if start else ""
    suffix = " …" if start + words < len(tokens) else ""
    parts: list[tuple[str, bool]] = []
    cursor = 0
    text = prefix + window + suffix
    for found in pattern.finditer(text) if pattern else ():
        if found.start() > cursor:
            parts.append((text[cursor : found.start()], False))
        parts.append((found.group(0), True))
        cursor = found.end()
    if cursor < len(text):
        parts.append((text[cursor:], False))
    return tuple(parts)


def _visible_text(markup: str) -> str:
    return html.unescape(strip_tags(markup))


def _order(rows: Sequence[tuple[int, float]], found: dict[int, Any]) -> list[tuple[Any, float]]:
    """The loaded items in the ranked order, leaving out any that vanished in between."""
    return [(found[pk], rank) for pk, rank in rows if pk in found]


def project_hits(rows: Sequence[tuple[int, float]], terms: Terms) -> list[Hit]:
    """Project cards (with counts and directors) for ranked ``(id, rank)`` rows: two
    queries, none when there are no rows."""
    ids = [pk for pk, _ in rows]
    if not ids:
        return []
    queryset = Project.objects.filter(pk__in=ids).only(*project_selectors.CARD_FIELDS, "brief_html")
    found = {p.pk: p for p in project_selectors.with_counts(queryset)}
    return [
        Hit("project", rank, p, snippet([_visible_text(p.brief_html)], terms))
        for p, rank in _order(rows, found)
    ]


def contribution_hits(rows: Sequence[tuple[int, float]], terms: Terms) -> list[Hit]:
    """Contribution cards (author, project, "remixed N times", "used in K cuts") for
    ranked ``(id, rank)`` rows: two queries, none when there are no rows."""
    ids = [pk for pk, _ in rows]
    if not ids:
        return []
    found = {c.pk: c for c in contribution_selectors.contribution_list().filter(pk__in=ids)}
    counts = used_in_cuts(found.keys())
    hits = []
    for c, rank in _order(rows, found):
        c.used_in_cuts = counts.get(c.pk, 0)
        texts = [c.description, _visible_text(c.text_html)]
        hits.append(Hit("contribution", rank, c, snippet(texts, terms)))
    return hits


def person_hits(rows: Sequence[tuple[int, float]], terms: Terms) -> list[Hit]:
    """People (avatar, name, bio) for ranked ``(id, rank)`` rows: one query, none when
    there are no rows."""
    ids = [pk for pk, _ in rows]
    if not ids:
        return []
    found = _found_people().only(*PERSON_FIELDS).in_bulk(ids)
    return [Hit("person", rank, u, snippet([u.bio], terms)) for u, rank in _order(rows, found)]


HITS = {"projects": project_hits, "contributions": contribution_hits, "people": person_hits}


def hits_for(rows: Sequence[tuple[str, int, float]], terms: Terms) -> list[Hit]:
    """Cards for a page of the merged listing (``ranked_all`` rows), in its order: at most
    one load per type present on the page."""
    by_type: dict[str, Hit] = {}
    for listing, load in HITS.items():
        wanted = RESULT_TYPE[listing]
        for hit in load([(pk, rank) for kind, pk, rank in rows if kind == wanted], terms):
            by_type[f"{wanted}:{hit.item.pk}"] = hit
    return [by_type[key] for kind, pk, _ in rows if (key := f"{kind}:{pk}") in by_type]


@dataclass(frozen=True)
class Section:
    """One type on the "all" page: its first hits and whether there are more."""

    listing: str
    hits: list[Hit]
    more: bool


def search_overview(terms: Terms) -> list[Section]:
    """The "all" page: the best few of each type, and whether each has more; a fixed
    number of queries (at most eight) whatever the number of matches."""
    sections = []
    for listing, ranked_ids in RANKED.items():
        limit = ALL_LIMITS[listing]
        rows = list(ranked_ids(terms)[: limit + 1]) if terms else []
        sections.append(Section(listing, HITS[listing](rows[:limit], terms), len(rows) > limit))
    return sections


def ranked_for(listing: str, terms: Terms) -> QuerySet[Any]:
    """The ranked rows of one listing (a type, or "all"), ready to be paged."""
    if listing == "all":
        return ranked_all(terms)
    return RANKED[listing](terms)


def hits_for_listing(listing: str, rows: Sequence[Any], terms: Terms) -> list[Hit]:
    """Cards for a page of ``ranked_for(listing, terms)``."""
    if listing == "all":
        return hits_for(rows, terms)
    return HITS[listing](rows, terms)
