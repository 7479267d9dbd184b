"""What a director can add to the final cut, for the curation page: the answers to each
open call (an inbox per call), the project's own work, the lineage of what is already in
the cut, and a title search over everything.

Every list costs a fixed number of queries, whatever its length: contributions come with
their author and project in the same query, the inboxes are one windowed query for all
calls at once (``ROW_NUMBER() OVER (PARTITION BY call)``) plus one count, and the lineage
is one ``upstream_graph`` call plus one load. Only work that could join the cut is offered
(ready, not withdrawn, not taken down).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from contributions.lineage import upstream_graph
from contributions.models import Contribution
from payouts.models import CutVersion
from projects.models import Call, Project

INBOX_LIMIT = 12
PROJECT_LIMIT = 24
LINEAGE_LIMIT = 24
SEARCH_LIMIT = 24
SEARCH_MAX_LENGTH = 100


def _usable() -> Q:
    return Q(status=Contribution.Status.READY, withdrawn=False, removed=False)


def _cards(queryset: QuerySet[Contribution]) -> QuerySet[Contribution]:
    return queryset.select_related("author", "project")


def contributions_by_id(ids: Iterable[int]) -> dict[int, Contribution]:
    """Contributions by id with their author and project (one query), whatever their
    state: the rows of a cut being edited may hold work withdrawn since it was locked."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    return {c.pk: c for c in _cards(Contribution.objects.filter(pk__in=wanted))}


@dataclass
class Inbox:
    """One open call and its newest answers (at most ``INBOX_LIMIT``) out of ``total``."""

    call: Call
    answers: list[Contribution] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return self.total - len(self.answers)


def call_inboxes(*, project: Project) -> list[Inbox]:
    """Each open call of the project, newest call first, with its newest answers (ready,
    not withdrawn), newest first. Three queries, whatever the number of calls or answers."""
    calls = list(project.calls.filter(is_open=True).order_by("-created_at", "-pk"))
    if not calls:
        return []
    inboxes = {call.pk: Inbox(call=call) for call in calls}
    answers = _usable() & Q(call_id__in=list(inboxes))
    ranked = (
        _cards(Contribution.objects.filter(answers))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("call_id")],
                order_by=[F("created_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=INBOX_LIMIT)
        .order_by("call_id", "-created_at", "-pk")
    )
    for contribution in ranked:
        assert contribution.call_id is not None  # noqa: S101 - filtered on call_id above
        inboxes[contribution.call_id].answers.append(contribution)
    totals = (
        Contribution.objects.filter(answers)
        .order_by()
        .values("call_id")
        .annotate(n=Count("pk"))
        .values_list("call_id", "n")
    )
    for call_id, total in totals:
        inboxes[call_id].total = total
    return list(inboxes.values())


def project_contributions(*, project: Project) -> list[Contribution]:
    """The project's own usable work, newest first (one query)."""
    queryset = Contribution.objects.filter(_usable(), project=project)
    return list(_cards(queryset).order_by("-created_at", "-pk")[:PROJECT_LIMIT])


@dataclass(frozen=True)
class LineageCandidates:
    """What the cut's items were built from (nearest first), and how many more there are."""

    contributions: list[Contribution]
    more: int


def lineage_candidates(*, item_ids: Sequence[int]) -> LineageCandidates:
    """The usable contributions upstream of the items (not the items themselves), nearest
    first: two queries at any depth (the upstream graph, then the cards)."""
    if not item_ids:
        return LineageCandidates(contributions=[], more=0)
    graph = upstream_graph(item_ids)
    depths = graph.depths(list(item_ids))
    seeds = set(item_ids)
    upstream = sorted(
        (cid for cid in graph.nodes if cid not in seeds),
        key=lambda cid: (depths.get(cid, 0), -cid),
    )
    if not upstream:
        return LineageCandidates(contributions=[], more=0)
    found = {c.pk: c for c in _cards(Contribution.objects.filter(_usable(), pk__in=upstream))}
    usable = [found[cid] for cid in upstream if cid in found]
    return LineageCandidates(
        contributions=usable[:LINEAGE_LIMIT], more=max(0, len(usable) - LINEAGE_LIMIT)
    )


def search(*, query: str) -> list[Contribution]:
    """Usable contributions from any project whose title holds every word of ``query``,
    newest first, at most ``SEARCH_LIMIT`` (one query); nothing for an empty query."""
    words = query.split()
    if not words:
        return []
    queryset = Contribution.objects.filter(_usable())
    for word in words:
        queryset = queryset.filter(title__icontains=word)
    return list(_cards(queryset).order_by("-created_at", "-pk")[:SEARCH_LIMIT])


@dataclass(frozen=True)
class LockPlan:
    """What locking the saved draft would do, for the confirmation step."""

    number: int  # the version that would be made (or the identical one when ``identical``)
    items: int
    contributor_share: Decimal
    remix_upstream_share: Decimal
    people: int  # everyone whose work reaches the cut, upstream included
    identical: bool  # the draft equals the latest version: locking makes nothing new
    empty: bool


def lock_plan(
    *,
    project: Project,
    rows: Sequence[tuple[int, Decimal, Decimal | None]],
    latest: CutVersion | None,
) -> LockPlan:
    """What ``final_cut_lock`` would do with the draft ``rows`` now (reads only)."""
    identical = False
    if latest is not None and rows:
        locked = [
            (i.contribution_id, i.weight, i.upstream_share)
            for i in latest.items.order_by("position", "pk")
        ]
        identical = (
            locked == list(rows)
            and latest.contributor_share == project.contributor_share
            and latest.remix_upstream_share == project.remix_upstream_share
        )
    graph = upstream_graph([cid for cid, _, _ in rows]) if rows else None
    people = len({n.author_id for n in graph.nodes.values()}) if graph else 0
    if identical and latest is not None:
        number = latest.number
    else:
        number = (latest.number + 1) if latest else 1
    return LockPlan(
        number=number,
        items=len(rows),
        contributor_share=project.contributor_share,
        remix_upstream_share=project.remix_upstream_share,
        people=people,
        identical=identical,
        empty=not rows,
    )
