"""Reads about final cuts and credits that pages and the API share, shaped for batch loading."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.core.cache import cache
from django.db.models import Count, Prefetch

from accounts.models import User
from contributions.lineage import UpstreamGraph, upstream_graph
from contributions.models import Contribution
from payouts import split
from payouts.models import CutVersion, CutVersionItem, FinalCut, FinalCutItem
from projects.models import Project


def latest_version(*, project: Project) -> CutVersion | None:
    """The project's latest locked version, or None before the first lock."""
    return CutVersion.objects.filter(project=project, sealed=True).order_by("-number").first()


def cut_scope(project_id: int) -> str:
    """The version scope of a project's curation page (``hitrecord.fragments``): bumped by
    every draft save and every lock (``payouts.services``)."""
    return f"cut:{project_id}"


def draft_of(*, project: Project) -> FinalCut | None:
    """The draft, without creating it."""
    return FinalCut.objects.filter(project=project).first()


def draft_items(*, cut: FinalCut | None) -> list[FinalCutItem]:
    """The draft's items in order, with their contribution and its author (one query)."""
    if cut is None:
        return []
    return list(
        FinalCutItem.objects.filter(cut=cut)
        .select_related("contribution__author", "contribution__project")
        .order_by("position", "pk")
    )


def version_list(*, project: Project) -> list[CutVersion]:
    """Every locked version, newest first, with items and who locked it (two queries)."""
    return list(
        CutVersion.objects.filter(project=project, sealed=True)
        .select_related("locked_by")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=CutVersionItem.objects.select_related("contribution").order_by(
                    "position", "pk"
                ),
            )
        )
        .order_by("-number")
    )


@dataclass(frozen=True)
class ItemChange:
    contribution_id: int
    title: str
    before: str | None  # weight in the older version, None when added
    after: str | None  # weight in the newer version, None when removed


@dataclass(frozen=True)
class VersionDiff:
    """What changed from one version to the next: added, removed and reweighted items."""

    added: list[ItemChange] = field(default_factory=list)
    removed: list[ItemChange] = field(default_factory=list)
    reweighted: list[ItemChange] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.reweighted)


def version_diff(older: CutVersion | None, newer: CutVersion) -> VersionDiff:
    """The difference between two versions' items (their prefetched ``items``)."""

    def key(item: CutVersionItem) -> tuple[str, str | None]:
        share = None if item.upstream_share is None else str(item.upstream_share)
        return str(item.weight), share

    before = {i.contribution_id: i for i in older.items.all()} if older else {}
    after = {i.contribution_id: i for i in newer.items.all()}
    diff = VersionDiff()
    for cid, item in after.items():
        if cid not in before:
            diff.added.append(ItemChange(cid, item.contribution.title, None, str(item.weight)))
        elif key(before[cid]) != key(item):
            diff.reweighted.append(
                ItemChange(cid, item.contribution.title, str(before[cid].weight), str(item.weight))
            )
    for cid, item in before.items():
        if cid not in after:
            diff.removed.append(ItemChange(cid, item.contribution.title, str(item.weight), None))
    return diff


def used_in_cuts(contribution_ids: Iterable[int]) -> dict[int, int]:
    """How many projects' locked cuts hold each contribution directly ("used in K final
    cuts"), for a whole page of cards in one query."""
    ids = list(contribution_ids)
    if not ids:
        return {}
    rows = (
        CutVersionItem.objects.filter(contribution_id__in=ids, version__sealed=True)
        .values("contribution_id")
        .annotate(k=Count("version__project", distinct=True))
        .values_list("contribution_id", "k")
    )
    return dict(rows)


@dataclass(frozen=True)
class CreditEntry:
    """One person in the credits, with the contributions of theirs that reached the cut."""

    person_id: int
    name: str
    username: str
    medium: str
    contributions: list[dict[str, object]]


@dataclass(frozen=True)
class Credits:
    version: CutVersion | None
    entries: list[CreditEntry]

    def by_medium(self) -> list[tuple[str, list[CreditEntry]]]:
        """Grouped by medium as an end roll is, in the order each medium first appears."""
        groups: dict[str, list[CreditEntry]] = {}
        for entry in self.entries:
            groups.setdefault(entry.medium, []).append(entry)
        return list(groups.items())


MEDIUM_LABELS: dict[str, str] = {
    Contribution.Kind.TEXT: "Writing",
    Contribution.Kind.IMAGE: "Images",
    Contribution.Kind.AUDIO: "Sound",
    Contribution.Kind.VIDEO: "Video",
}


def _credit_rank(graph: UpstreamGraph, item_ids: Sequence[int]) -> dict[int, tuple[int, int, int]]:
    """Each node's place in the credits: ``(depth, cut position, id)``. The items come in
    the cut's order (depth 0); then each level upstream, a node following the earliest
    item it is reached from at its shortest depth (so the sources of the first item roll
    before those of the second), and the id settles the rest. A breadth-first search
    level by level: O(nodes + links), whatever the number of paths."""
    rank: dict[int, tuple[int, int, int]] = {}
    frontier = [(position, cid) for position, cid in enumerate(item_ids) if cid in graph.nodes]
    depth = 0
    while frontier:
        frontier.sort()
        for position, cid in frontier:
            rank[cid] = (depth, position, cid)
        found: dict[int, int] = {}
        for position, cid in frontier:  # in position order: the first to reach wins
            for source_id, _weight in graph.nodes[cid].sources:
                if source_id in graph.nodes and source_id not in rank:
                    found.setdefault(source_id, position)
        frontier = [(position, cid) for cid, position in found.items()]
        depth += 1
    return rank


def credits_of(*, project: Project) -> Credits:
    """Everyone whose work reached the latest locked version, directly or upstream, in the
    cut's order, then upstream by depth; one entry per person and medium, no shares or
    amounts (credits are not a leaderboard). A fixed number of queries at any size."""
    version = latest_version(project=project)
    if version is None:
        return Credits(version=None, entries=[])
    items = list(version.items.order_by("position", "pk"))
    overrides = {i.contribution_id: i.upstream_share for i in items}
    item_ids = [i.contribution_id for i in items]
    graph = upstream_graph(item_ids)
    order = {cid: index for index, cid in enumerate(item_ids)}
    rank = _credit_rank(graph, item_ids)
    depths = {cid: depth for cid, (depth, _, _) in rank.items()}
    ranked = sorted(graph.nodes.values(), key=lambda n: rank[n.contribution_id])
    people = User.objects.in_bulk({n.author_id for n in ranked})
    entries: dict[tuple[int, str], CreditEntry] = {}
    for node in ranked:
        person = people[node.author_id]
        key = (node.author_id, node.kind)
        if key not in entries:
            entries[key] = CreditEntry(
                person_id=person.pk,
                name=person.display_name,
                username="" if person.is_anonymised else person.username,
                medium=MEDIUM_LABELS.get(node.kind, node.kind),
                contributions=[],
            )
        share = overrides.get(node.contribution_id)
        entries[key].contributions.append(
            {
                "id": node.contribution_id,
                "title": node.title,
                "depth": depths.get(node.contribution_id, 0),
                "in_cut": node.contribution_id in order,
                "upstream_share": None if share is None else str(share),
                "withdrawn": node.withdrawn,
                "removed": node.removed,
            }
        )
    return Credits(version=version, entries=list(entries.values()))


# --- the split rule over stored rows ------------------------------------------------------

ItemRow = tuple[int, Decimal, Decimal | None]  # (contribution id, weight, upstream override)
PREVIEW_CACHE_SECONDS = 600


def cut_items_for_split(rows: Sequence[ItemRow]) -> list[split.CutItem]:
    """Items as the split rule takes them: weights in thousandths, overrides exact."""
    return [
        split.CutItem(
            contribution_id=cid,
            weight=int((weight * 1000).to_integral_value()),
            upstream_share=None if share is None else Fraction(share),
        )
        for cid, weight, share in rows
    ]


def credits_of_items(rows: Sequence[ItemRow], *, upstream_share: Decimal) -> split.Credits:
    """The split rule's credits of these items over their whole upstream graph: one query
    to load the graph, then pure computation. Writes nothing."""
    graph = upstream_graph([cid for cid, _, _ in rows])
    return split.credits(
        cut_items_for_split(rows), graph.nodes, upstream_share=Fraction(upstream_share)
    )


@dataclass(frozen=True)
class SplitLine:
    user: User
    share: str
    share_exact: str
    amount_minor: int


@dataclass(frozen=True)
class SplitPreview:
    """A projected split of ``amount_minor``: nothing of it is stored."""

    amount_minor: int
    pool_minor: int
    house_minor: int
    lines: list[SplitLine]


def items_hash(rows: Sequence[ItemRow], *, upstream_share: Decimal) -> str:
    """What a preview's credits depend on: the items (in order), weights, overrides, u."""
    payload = [
        [[cid, str(weight), None if share is None else str(share)] for cid, weight, share in rows],
        str(upstream_share),
    ]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def _people_credits(
    rows: Sequence[ItemRow], *, upstream_share: Decimal
) -> dict[int, tuple[str, str, Fraction]]:
    """Each person's (share, share_exact, credit) for these items, cached by their hash:
    directors typing into the curation page ask for the same items again and again, and
    only the revenue changes between a page's previews."""
    key = f"payouts:split:{items_hash(rows, upstream_share=upstream_share)}"
    people: dict[int, tuple[str, str, Fraction]] | None = cache.get(key)
    if people is None:
        result = credits_of_items(rows, upstream_share=upstream_share)
        people = {
            author_id: (person.share, person.share_exact, person.credit)
            for author_id, person in result.people.items()
        }
        cache.set(key, people, PREVIEW_CACHE_SECONDS)
    return people


def split_preview(*, project: Project, rows: Sequence[ItemRow], amount_minor: int) -> SplitPreview:
    """The projected split of a revenue over ``rows`` with the project's shares in force:
    each person's exact share and amount, largest first. Writes nothing."""
    if not rows:
        return SplitPreview(amount_minor, 0, amount_minor, [])
    people = _people_credits(rows, upstream_share=project.remix_upstream_share)
    pool, house = split.pool_of(amount_minor, Fraction(project.contributor_share))
    amounts = split.allocate({a: credit for a, (_, _, credit) in people.items()}, pool)
    users = User.objects.in_bulk(list(people))
    order = sorted(people, key=lambda a: (-people[a][2], a))
    lines = [
        SplitLine(
            user=users[a], share=people[a][0], share_exact=people[a][1], amount_minor=amounts[a]
        )
        for a in order
    ]
    return SplitPreview(amount_minor=amount_minor, pool_minor=pool, house_minor=house, lines=lines)


def draft_rows(*, project: Project) -> list[ItemRow]:
    cut = draft_of(project=project)
    if cut is None:
        return []
    return list(
        FinalCutItem.objects.filter(cut=cut)
        .order_by("position", "pk")
        .values_list("contribution_id", "weight", "upstream_share")
    )


def split_preview_of_draft(*, project: Project, amount_minor: int) -> SplitPreview:
    """The projected split of the saved draft (what members see)."""
    return split_preview(
        project=project, rows=draft_rows(project=project), amount_minor=amount_minor
    )
