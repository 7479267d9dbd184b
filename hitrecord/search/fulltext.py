"""How typed words match and rank, the same for the search page, its API and browsing.

Why it scales
-------------
On PostgreSQL each searchable table has a GIN index on exactly the weighted ``tsvector``
expression ``Document.vector()`` builds (migrations ``projects 0002_search_index``,
``contributions 0004_search_index``, ``accounts 0007_search_index`` create it, on
PostgreSQL only, and ``tests/hitrecord/test_search.py`` asserts the planner uses it). A
search is ``vector @@ query``: a bitmap scan of that index, whatever the table's size.
Ranking reads only the names (``Document.name_vector``): the index stores no vector to
read back, and recomputing the whole vector for every match is what would not scale.

The indexes are partial where some rows are never shown: contributions only when ready,
not withdrawn and not taken down; people only when active and not anonymised. The text
indexed is the visible one: rendered briefs and texts (``brief_html``, ``text_html``;
PostgreSQL's parser skips tags and attributes, so link targets are not indexed).

Words, prefixes and the 'simple' configuration
----------------------------------------------
Every word typed must begin a word of the document: "rain" finds "Rain" and "raining",
"rai" finds "rain", and "rain" never finds "Trains". The configuration is ``simple``
(lower-casing, no stemming, no stop words) rather than ``english``: names and titles are
not English prose, and prefixes stay predictable (``english`` stems "running" to "run",
so the prefix "runn" would find nothing, and it drops words such as "the" or "who").

Input never reaches tsquery syntax
----------------------------------
The matching query is built here from words taken with a strict pattern (letters and
digits only, ``WORD``): ``'rain':* & 'storm':*``, and ``!'storm'`` for a word typed with
a leading ``-``. Nothing else of the input gets in, so no quote, backslash, operator or
NUL can change its meaning or break it. Ranking adds PostgreSQL's own
``websearch_to_tsquery`` of the input (which accepts any text), so exact words and
"quoted phrases" rank above mere prefixes.

On SQLite (the embedded mode) the same words match the start of a word, approximately:
at the start of a field or after a space or punctuation; titles rank above the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections
from django.db.models import Case, FloatField, Model, Q, QuerySet, Value, When
from django.db.models.expressions import CombinedExpression

CONFIG = "simple"
# A word: letters and digits of any script; ``-`` right before it (at the start or after a
# space) leaves out what contains it.
WORD = re.compile(r"(?:(?<!\S)(-))?([^\W_]+)")
MAX_WORDS = 16
MAX_WORD_CHARS = 64
# What PostgreSQL's websearch parser sees for ranking: bounded, so a long input costs little.
MAX_INPUT_CHARS = 1000
# Where a word begins in the SQLite fallback: what comes before it.
_WORD_STARTS = (" ", "\n", "\t", ">", "(", '"', "'", "-", "/", "*", "_", "#", "[")

RANK = "search_rank"
ModelT = TypeVar("ModelT", bound=Model)


@dataclass(frozen=True)
class Terms:
    """What a search asks for: ``words`` each begin a word of the match, ``excluded``
    appear in none, ``text`` is the input cleaned for ranking. False when nothing is
    asked (empty input, punctuation only, or only exclusions)."""

    words: tuple[str, ...]
    excluded: tuple[str, ...]
    text: str

    def __bool__(self) -> bool:
        return bool(self.words)

    def tsquery(self) -> str:
        """The matching query in tsquery syntax; safe since every word is letters and
        digits only."""
        parts = [f"'{word}':*" for word in self.words]
        parts += [f"!'{word}'" for word in self.excluded]
        return " & ".join(parts)


def parse(raw: str) -> Terms:
    """The words of ``raw``, lower-cased, each once, at most ``MAX_WORDS`` (the rest are
    ignored), each cut to ``MAX_WORD_CHARS`` (a longer word still begins with it)."""
    text = raw.replace("\x00", "")[:MAX_INPUT_CHARS]
    words: dict[str, None] = {}
    excluded: dict[str, None] = {}
    for match in WORD.finditer(text):
        word = match.group(2).lower()[:MAX_WORD_CHARS]
        (excluded if match.group(1) else words)[word] = None
        if len(words) + len(excluded) >= MAX_WORDS:
            break
    return Terms(
        words=tuple(words), excluded=tuple(w for w in excluded if w not in words), text=text
    )


@dataclass(frozen=True)
class Document:
    """A searchable table: the fields weighted A (its name) and B (what it says)."""

    a_fields: tuple[str, ...]
    b_fields: tuple[str, ...]

    def vector(self) -> CombinedExpression:
        """The weighted tsvector; the GIN index of the table is on this exact expression
        (each migration copies it; the index test fails when the two drift apart)."""
        return SearchVector(*self.a_fields, weight="A", config=CONFIG) + SearchVector(
            *self.b_fields, weight="B", config=CONFIG
        )

    def name_vector(self) -> SearchVector:
        """The A part alone: what ranking reads. Ranking the whole vector recomputes it
        for every matching row (the index holds no vector to read back): a word found in
        half of 100,000 long texts then takes 20 s to rank, against 0.3 s for titles."""
        return SearchVector(*self.a_fields, weight="A", config=CONFIG)


PROJECT = Document(a_fields=("title",), b_fields=("brief_html",))
CONTRIBUTION = Document(a_fields=("title",), b_fields=("description", "text_html"))
PERSON = Document(a_fields=("username",), b_fields=("first_name", "last_name", "bio"))


def _is_postgresql(queryset: QuerySet[Any]) -> bool:
    return connections[queryset.db].vendor == "postgresql"


def _starts_a_word(fields: tuple[str, ...], word: str) -> Q:
    """SQLite: ``word`` begins a word of one of ``fields`` (approximately)."""
    found = Q()
    for field in fields:
        found |= Q(**{f"{field}__istartswith": word})
        for before in _WORD_STARTS:
            found |= Q(**{f"{field}__icontains": before + word})
    return found


def _fallback_filter(
    queryset: QuerySet[ModelT], document: Document, terms: Terms
) -> QuerySet[ModelT]:
    fields = document.a_fields + document.b_fields
    for word in terms.words:
        queryset = queryset.filter(_starts_a_word(fields, word))
    for word in terms.excluded:
        queryset = queryset.exclude(_starts_a_word(fields, word))
    return queryset


def _query(terms: Terms) -> SearchQuery:
    return SearchQuery(terms.tsquery(), search_type="raw", config=CONFIG)


def matching(queryset: QuerySet[ModelT], document: Document, terms: Terms) -> QuerySet[ModelT]:
    """``queryset`` narrowed to the rows matching ``terms`` (none when nothing is asked),
    its ordering untouched. One condition on PostgreSQL, served by the GIN index."""
    if not terms:
        return queryset.none()
    if not _is_postgresql(queryset):
        return _fallback_filter(queryset, document, terms)
    found = queryset.alias(search_vector=document.vector()).filter(search_vector=_query(terms))
    return cast("QuerySet[ModelT]", found)


def ranked(
    queryset: QuerySet[ModelT], document: Document, terms: Terms, *, then: tuple[str, ...]
) -> QuerySet[ModelT]:
    """The rows matching ``terms``, best first (then by ``then``), annotated ``search_rank``:
    ``ts_rank`` of the name (title, username: the A fields) against the prefix query or
    the websearch query, so a match in the name ranks above a match in the text alone,
    an exact word above a word it begins; matches in the text alone rank equal (0),
    newest first. On SQLite: 2.0 when every word begins a word of the name, else 1.0."""
    found = matching(queryset, document, terms)
    if not terms:
        return cast("QuerySet[ModelT]", found.annotate(**{RANK: Value(0.0)}))
    if _is_postgresql(queryset):
        exact = SearchQuery(terms.text, search_type="websearch", config=CONFIG)
        rank: Any = SearchRank(document.name_vector(), _query(terms) | exact)
    else:
        in_title = Q()
        for word in terms.words:
            in_title &= _starts_a_word(document.a_fields, word)
        rank = Case(When(in_title, then=Value(2.0)), default=Value(1.0), output_field=FloatField())
    return cast("QuerySet[ModelT]", found.annotate(**{RANK: rank}).order_by(f"-{RANK}", *then))
