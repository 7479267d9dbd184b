"""The lineage of a contribution: what it was built from (ancestors) and what was built from
it (descendants), with the shortest number of remix steps to each.

How it stays fast whatever the shape of the graph
-------------------------------------------------
The remix graph can be diamond-heavy: on a "ladder" of 30 diamonds (A -> B1, B2 -> C -> D1,
D2 -> E ...) there are 2**30 paths from top to bottom. A recursive CTE that carries a depth
per row enumerates paths and never finishes. So the work is split:

1. ONE statement with one recursive CTE per direction collects the *set of node ids*. Its
   recursive terms are joined with ``UNION`` (never ``UNION ALL``) and carry nothing but the
   id, so both SQLite and PostgreSQL discard a row that was produced before: every node
   enters the working table once, and the recursion costs one index lookup per node and
   one row per link, whatever the number of paths (it even terminates on a cycle, which
   the data model forbids anyway). The same statement returns the links of those nodes,
   ``(source_id, remix_id, weight)``, each found by an index lookup from a node. Every step
   is forced to be such a lookup (``_links_of``: a fenced LATERAL subquery on PostgreSQL,
   whose planner otherwise may scan the whole link table once per level; a CROSS JOIN on
   SQLite), so a 2,000-level chain costs 2,000 lookups, not 2,000 table scans.
2. Python runs a breadth-first search over those links from the focus, which gives the
   shortest depth of every node in O(nodes + links), then keeps the nearest ``limit`` nodes
   per side (smallest depth first, then id) and counts the rest.
3. ONE more query loads what the picture and the API show for the kept nodes (title,
   author, project, flags, thumbnail).

That is two queries, always, whatever the depth or size of the lineage. Links are followed
regardless of status: withdrawn, removed, processing or rejected contributions stay in the
lineage (their credit still counts), and sources may be in any project.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.db.models.expressions import RawSQL

from contributions.models import Contribution, Source
from hitrecord.gcpause import pausing
from hitrecord.ids import fits_id

DEFAULT_LIMIT = 60
# Above this many kept ids the detail query joins the CTE again instead of sending an
# ``IN (...)`` list, so no backend limit on bound parameters can be reached.
_IN_LIST_MAX = 500
_WEIGHT_PLACES = Decimal("0.001")

_Row = tuple[int, int, Decimal]  # (source_id, remix_id, weight)


@dataclass(frozen=True)
class LineageNode:
    """One contribution in a lineage. ``depth`` is the shortest number of remix steps from
    the focus (0 for the focus itself, positive in both directions)."""

    id: int
    title: str
    author_id: int
    author_username: str
    depth: int
    kind: str
    status: str
    withdrawn: bool
    removed: bool
    thumbnail_url: str
    project_slug: str
    # What pages show for the author (``User.display_name``): the full name, else the
    # username, "former member" once anonymised. Empty when built by hand without it.
    author_name: str = ""


@dataclass(frozen=True)
class LineageEdge:
    """A remix link among the returned nodes: ``remix_id`` was built from ``source_id``."""

    source_id: int
    remix_id: int
    weight: Decimal


@dataclass(frozen=True)
class Lineage:
    """The nearest part of a contribution's lineage.

    ``ancestors`` and ``descendants`` are ordered by (depth, id); ``more_ancestors`` and
    ``more_descendants`` count the nodes left out by ``limit``; ``edges`` are the links whose
    two ends are both returned (focus included), ordered by (source_id, remix_id).
    ``focus`` is None when the contribution does not exist."""

    focus: LineageNode | None
    ancestors: tuple[LineageNode, ...] = ()
    descendants: tuple[LineageNode, ...] = ()
    edges: tuple[LineageEdge, ...] = ()
    more_ancestors: int = 0
    more_descendants: int = 0

    @property
    def ancestor_count(self) -> int:
        """Every ancestor, shown or not."""
        return len(self.ancestors) + self.more_ancestors

    @property
    def descendant_count(self) -> int:
        """Every descendant, shown or not."""
        return len(self.descendants) + self.more_descendants

    @property
    def is_empty(self) -> bool:
        """True when nothing was built from it and it was built from nothing."""
        return not self.ancestors and not self.descendants


# --- SQL --------------------------------------------------------------------------------


def _source_table() -> str:
    return connection.ops.quote_name(Source._meta.db_table)


def _links_of(alias: str, column: str) -> str:
    """``FROM <cte> <alias>`` + this: the links whose ``column`` is the node ``alias.id``,
    each node probing the index on ``column``, so a step costs its own links, not the table.

    Both databases would accept a plain ``JOIN ... ON`` but do not promise that plan:
    PostgreSQL's planner, on a small or unanalysed table, picks a hash join that scans the
    whole table once per recursion step (quadratic on a deep lineage), so there a LATERAL
    subquery fenced with ``OFFSET 0`` forces the per-node index lookup; SQLite has no
    LATERAL, and its ``CROSS JOIN`` keeps the CTE as the outer loop."""
    src = _source_table()
    if connection.vendor == "postgresql":
        # table and column names are constants of this module, never data
        return (
            "CROSS JOIN LATERAL (SELECT source_id, contribution_id, weight "  # noqa: S608
            f"FROM {src} WHERE {column} = {alias}.id OFFSET 0) s"
        )
    return f"CROSS JOIN {src} s ON s.{column} = {alias}.id"


def _nodes_cte(
    focus_id: int | Sequence[int], *, up: bool, down: bool, with_nodes: bool = False
) -> tuple[str, list[int]]:
    """``WITH RECURSIVE lineage_up(id), lineage_down(id)``: every id reachable in the asked
    directions from the focus (one id, or a set of seed ids such as a cut's items), and
    with ``with_nodes`` also ``lineage_nodes(id)``, their union with the seeds. Only ids
    travel through the recursion and ``UNION`` drops repeats, so each node is visited once
    (see the module docstring)."""
    seeds = [focus_id] if isinstance(focus_id, int) else list(focus_id)
    marks = ", ".join(["%s"] * len(seeds))
    src = _source_table()
    ctes: list[str] = []
    params: list[int] = []
    members = [" UNION ".join(["SELECT %s"] * len(seeds))]
    node_params: list[int] = list(seeds)
    if up:
        ctes.append(
            "lineage_up(id) AS ("  # noqa: S608 - only the seed ids are data, bound as %s
            f"SELECT s.source_id FROM {src} s WHERE s.contribution_id IN ({marks}) "
            "UNION "
            f"SELECT s.source_id FROM lineage_up u {_links_of('u', 'contribution_id')})"
        )
        params += seeds
        members.append("SELECT id FROM lineage_up")
    if down:
        ctes.append(
            "lineage_down(id) AS ("  # noqa: S608 - only the seed ids are data, bound as %s
            f"SELECT s.contribution_id FROM {src} s WHERE s.source_id IN ({marks}) "
            "UNION "
            f"SELECT s.contribution_id FROM lineage_down d {_links_of('d', 'source_id')})"
        )
        params += seeds
        members.append("SELECT id FROM lineage_down")
    if with_nodes:
        ctes.append(f"lineage_nodes(id) AS ({' UNION '.join(members)})")
        params += node_params
    return "WITH RECURSIVE " + ", ".join(ctes), params


def _fetch_edges(focus_id: int, *, up: bool, down: bool) -> tuple[list[_Row], list[_Row]]:
    """Query 1: the links of the lineage as ``(source_id, remix_id, weight)``, split into

    - up: the sources of the focus and of every ancestor (all of them ancestors);
    - down: the sources of every descendant. Most are the focus or descendants; the others
      are ancestors (a shortcut past the focus, kept for the picture) or outside the
      lineage (dropped in Python).

    Every part is driven by an index lookup from a node of the CTE (``_links_of``), never by
    a membership test against it, which SQLite turns into nodes x nodes probes. The weight travels
    as text so no float is involved (SQLite stores decimals as REAL or INTEGER)."""
    src = _source_table()
    with_sql, params = _nodes_cte(focus_id, up=up, down=down)
    columns = "s.source_id, s.contribution_id, CAST(s.weight AS TEXT)"
    parts: list[str] = []
    if up:
        parts.append(f"SELECT 'u', {columns} FROM {src} s WHERE s.contribution_id = %s")  # noqa: S608
        params.append(focus_id)
        parts.append(
            f"SELECT 'u', {columns} FROM lineage_up u {_links_of('u', 'contribution_id')}"  # noqa: S608
        )
    if down:
        parts.append(
            f"SELECT 'd', {columns} FROM lineage_down d {_links_of('d', 'contribution_id')}"  # noqa: S608
        )
    with connection.cursor() as cursor:
        cursor.execute(f"{with_sql} {' UNION ALL '.join(parts)}", params)
        rows = cursor.fetchall()
    up_rows: list[_Row] = []
    down_rows: list[_Row] = []
    for tag, source_id, remix_id, weight in rows:
        row = (int(source_id), int(remix_id), Decimal(str(weight)).quantize(_WEIGHT_PLACES))
        (up_rows if tag == "u" else down_rows).append(row)
    return up_rows, down_rows


_DETAIL_FIELDS = (
    "id",
    "title",
    "author_id",
    "author__username",
    "author__is_anonymised",
    "author__first_name",
    "author__last_name",
    "kind",
    "status",
    "withdrawn",
    "removed",
    "thumbnail",
    "project__slug",
)


def _fetch_details(
    focus_id: int, ids: set[int], *, up: bool, down: bool
) -> dict[int, tuple[object, ...]]:
    """Query 2: what is shown of each kept node. A short id list goes as ``IN (...)``; a
    long one (``limit=None`` on a big lineage) joins the same CTE instead, so the statement
    never carries thousands of parameters."""
    qs = Contribution.objects.order_by()
    if len(ids) <= _IN_LIST_MAX:
        qs = qs.filter(pk__in=sorted(ids))
    else:
        with_sql, params = _nodes_cte(focus_id, up=up, down=down, with_nodes=True)
        nodes_sql = f"{with_sql} SELECT id FROM lineage_nodes"  # noqa: S608 - ids bound as %s
        qs = qs.filter(pk__in=RawSQL(nodes_sql, params))  # noqa: S611
    rows = qs.values_list(*_DETAIL_FIELDS)
    return {row[0]: row for row in rows if row[0] in ids}


# --- graph walking ----------------------------------------------------------------------


def _shortest_depths(focus_id: int, neighbours: dict[int, list[int]]) -> dict[int, int]:
    """Breadth-first search: the shortest number of steps from the focus to each node."""
    depths = {focus_id: 0}
    queue = deque([focus_id])
    while queue:
        node = queue.popleft()
        next_depth = depths[node] + 1
        for other in neighbours.get(node, ()):
            if other not in depths:
                depths[other] = next_depth
                queue.append(other)
    del depths[focus_id]
    return depths


def _nearest(depths: dict[int, int], limit: int | None) -> tuple[list[tuple[int, int]], int]:
    ordered = sorted(((depth, node) for node, depth in depths.items()))
    if limit is None or len(ordered) <= limit:
        return ordered, 0
    return ordered[:limit], len(ordered) - limit


def _thumbnail_url(name: str, removed: bool) -> str:
    # A taken-down contribution shows no media anywhere, whatever is left in storage.
    if not name or removed:
        return ""
    storage = Contribution._meta.get_field("thumbnail").storage
    return str(storage.url(name))


def _node(row: tuple[object, ...], depth: int) -> LineageNode:
    (
        node_id,
        title,
        author_id,
        username,
        anonymised,
        first_name,
        last_name,
        kind,
        status,
        withdrawn,
        removed,
        thumbnail,
        slug,
    ) = row
    return LineageNode(
        id=int(node_id),  # type: ignore[call-overload]
        title=str(title),
        author_id=int(author_id),  # type: ignore[call-overload]
        author_username="former member" if anonymised else str(username),
        # the rule of User.display_name, on the values already loaded (no query per node)
        author_name="former member"
        if anonymised
        else f"{first_name or ''} {last_name or ''}".strip() or str(username),
        depth=depth,
        kind=str(kind),
        status=str(status),
        withdrawn=bool(withdrawn),
        removed=bool(removed),
        thumbnail_url=_thumbnail_url(str(thumbnail or ""), bool(removed)),
        project_slug=str(slug),
    )


def _valid_id(contribution_id: int) -> int | None:
    try:
        value = int(contribution_id)
    except (TypeError, ValueError):
        return None
    return value if fits_id(value) else None


def _check_limit(limit: int | None) -> None:
    if limit is not None and limit < 0:
        raise ValueError("limit must be None or a non-negative number of nodes")


def _walk(
    contribution_id: int, *, limit: int | None, up: bool, down: bool
) -> tuple[Lineage, list[_Row]]:
    focus_id = _valid_id(contribution_id)
    if focus_id is None:
        return Lineage(focus=None), []
    up_rows, down_rows = _fetch_edges(focus_id, up=up, down=down)
    sources_of: dict[int, list[int]] = {}
    for source_id, remix_id, _weight in up_rows:
        sources_of.setdefault(remix_id, []).append(source_id)
    down_side = {focus_id, *(remix_id for _, remix_id, _ in down_rows)}
    up_side = {source_id for source_id, _, _ in up_rows}
    remixes_of: dict[int, list[int]] = {}
    edges = list(up_rows)
    for row in down_rows:
        source_id, remix_id, _weight = row
        if source_id in down_side:
            remixes_of.setdefault(source_id, []).append(remix_id)
            edges.append(row)
        elif source_id in up_side:  # an ancestor used again further down
            edges.append(row)
    up_depths = _shortest_depths(focus_id, sources_of) if up else {}
    down_depths = _shortest_depths(focus_id, remixes_of) if down else {}
    kept_up, more_up = _nearest(up_depths, limit)
    kept_down, more_down = _nearest(down_depths, limit)
    ids = {focus_id, *(n for _, n in kept_up), *(n for _, n in kept_down)}
    details = _fetch_details(focus_id, ids, up=up, down=down)
    focus_row = details.get(focus_id)
    if focus_row is None:
        return Lineage(focus=None), []
    lineage = Lineage(
        focus=_node(focus_row, 0),
        ancestors=tuple(_node(details[n], d) for d, n in kept_up if n in details),
        descendants=tuple(_node(details[n], d) for d, n in kept_down if n in details),
        more_ancestors=more_up,
        more_descendants=more_down,
    )
    return lineage, edges


def _edges_among(edges: Iterable[_Row], ids: set[int]) -> tuple[LineageEdge, ...]:
    kept = (
        LineageEdge(source_id=s, remix_id=r, weight=w) for s, r, w in edges if s in ids and r in ids
    )
    return tuple(sorted(kept, key=lambda e: (e.source_id, e.remix_id)))


# --- public reads -----------------------------------------------------------------------


def ancestors(contribution_id: int, *, limit: int | None = None) -> list[LineageNode]:
    """Everything the contribution was built from, directly or through remixes, ordered by
    (shortest depth, id); the nearest ``limit`` when given. Two queries whatever the size;
    an unknown id gives an empty list."""
    _check_limit(limit)
    lineage, _ = _walk(contribution_id, limit=limit, up=True, down=False)
    return list(lineage.ancestors)


def descendants(contribution_id: int, *, limit: int | None = None) -> list[LineageNode]:
    """Everything built from the contribution, directly or through remixes, ordered by
    (shortest depth, id); the nearest ``limit`` when given. Two queries whatever the size;
    an unknown id gives an empty list."""
    _check_limit(limit)
    lineage, _ = _walk(contribution_id, limit=limit, up=False, down=True)
    return list(lineage.descendants)


def lineage(contribution_id: int, *, limit: int | None = DEFAULT_LIMIT) -> Lineage:
    """Both directions, for the picture and the API: the nearest ``limit`` ancestors and
    ``limit`` descendants (``None`` for all), the counts left out, and the links among the
    returned nodes with their weights. Two queries whatever the size; an unknown id gives a
    Lineage whose ``focus`` is None."""
    _check_limit(limit)
    result, edges = _walk(contribution_id, limit=limit, up=True, down=True)
    if result.focus is None:
        return result
    ids = {result.focus.id, *(n.id for n in result.ancestors), *(n.id for n in result.descendants)}
    return Lineage(
        focus=result.focus,
        ancestors=result.ancestors,
        descendants=result.descendants,
        edges=_edges_among(edges, ids),
        more_ancestors=result.more_ancestors,
        more_descendants=result.more_descendants,
    )


# --- the upstream graph of a set of contributions (a cut's items) -----------------------


class GraphNode(NamedTuple):
    """One contribution of an upstream graph: who made it and what it was built from.

    ``sources`` are ``(source id, link weight in thousandths)`` in source-id order: the
    weights are relative to each other, so integers on one scale are all the split needs,
    and no Decimal is built per link. A named tuple, not a frozen dataclass: a cut's graph
    holds one per contribution it reaches, and a tuple is built in a quarter of the time."""

    contribution_id: int
    author_id: int
    title: str
    kind: str
    withdrawn: bool
    removed: bool
    sources: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class UpstreamGraph:
    """Everything a set of contributions was built from, directly or through remixes.

    ``nodes`` holds every reachable contribution, the seeds included, by id; ``missing``
    lists the seed ids that name no contribution."""

    nodes: dict[int, GraphNode]
    missing: tuple[int, ...] = ()

    def depths(self, seeds: Sequence[int]) -> dict[int, int]:
        """The shortest number of remix steps from any seed to each node (0 for a seed),
        by breadth-first search over the collected nodes: O(nodes + links)."""
        depths = {seed: 0 for seed in seeds if seed in self.nodes}
        queue = deque(depths)
        while queue:
            node_id = queue.popleft()
            next_depth = depths[node_id] + 1
            for source_id, _weight in self.nodes[node_id].sources:
                if source_id not in depths and source_id in self.nodes:
                    depths[source_id] = next_depth
                    queue.append(source_id)
        return depths


def upstream_graph_sql(seed_ids: Sequence[int]) -> tuple[str, list[int]]:
    """The one statement ``upstream_graph`` runs, exposed so the benchmark can time the
    same SQL through a raw cursor. Rows are tagged: ``('n', id, author_id, NULL, title,
    kind, withdrawn, removed)`` for each node and ``('e', remix_id, source_id,
    weight_thousandths, NULL...)`` for each of their links."""
    with_sql, params = _nodes_cte(list(seed_ids), up=True, down=False, with_nodes=True)
    table = connection.ops.quote_name(Contribution._meta.db_table)
    sql = (
        f"{with_sql} "  # noqa: S608 - table names are constants; ids are bound as %s
        "SELECT 'n', c.id, c.author_id, NULL, c.title, c.kind, c.withdrawn, c.removed "
        f"FROM lineage_nodes n JOIN {table} c ON c.id = n.id "
        "UNION ALL "
        "SELECT 'e', s.contribution_id, s.source_id, CAST(ROUND(s.weight * 1000) AS INTEGER), "
        "NULL, NULL, NULL, NULL "
        f"FROM lineage_nodes n {_links_of('n', 'contribution_id')}"
    )
    return sql, params


def upstream_graph(contribution_ids: Iterable[int]) -> UpstreamGraph:
    """The whole upstream graph of a set of contributions (a final cut's items): every
    contribution reachable through remix links, with its author and its sources with their
    link weights, whatever project each is in and whatever its status (withdrawn and
    taken-down work keeps its credit).

    ONE query at any size: the recursive CTE collects node ids (never paths, so diamond
    ladders cost one visit per node), and the same statement returns each node's row and
    its links. Works on SQLite and PostgreSQL."""
    seeds = sorted({value for value in (_valid_id(i) for i in contribution_ids) if value})
    if not seeds:
        return UpstreamGraph(nodes={}, missing=())
    sql, params = upstream_graph_sql(seeds)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    nodes = _graph_nodes(rows)
    return UpstreamGraph(nodes=nodes, missing=tuple(i for i in seeds if i not in nodes))


@pausing  # tens of thousands of small tuples, no cycles: see hitrecord.gcpause
def _graph_nodes(rows: list[tuple[Any, ...]]) -> dict[int, GraphNode]:
    """The nodes of ``upstream_graph_sql``'s tagged rows."""
    heads: dict[int, tuple[int, str, str, bool, bool]] = {}
    links: dict[int, list[tuple[int, int]]] = {}
    links_of = links.get
    for tag, node_id, other, weight, title, kind, withdrawn, removed in rows:
        if tag == "n":
            heads[node_id] = (other, title, kind, withdrawn, removed)
        else:
            # the weight is CAST to an integer by the SQL itself
            found = links_of(node_id)
            if found is None:
                links[node_id] = [(other, weight)]
            else:
                found.append((other, weight))
    no_links: list[tuple[int, int]] = []
    nodes = {
        node_id: GraphNode(
            node_id,
            author_id,
            title,
            kind,
            bool(withdrawn),
            bool(removed),
            tuple(sorted(links_of(node_id, no_links))),
        )
        for node_id, (author_id, title, kind, withdrawn, removed) in heads.items()
    }
    return nodes
