"""Issue 8 point 8 on PostgreSQL: the worker behind ``bench/bench_30_split.py``.

Two phases, each run in its own process by the row (so that the measuring process's
RSS high-water mark is not the seeder's):

``seed``
    In the (throw-away, freshly migrated) database named by ``DATABASE_URL``: 10,000
    authors (``bulk_create``), then the graph of ``bench/split_walk.py`` (the same seeded
    recipe, so the two benches measure one graph): 100,000 contributions, each with exactly
    3 distinct sources among the 1,000 before it (the first few have fewer), link weights
    1 to 5, written with ``COPY``; one project with ``remix_upstream_share`` 1/2 whose
    director saves a draft of the 50 newest and locks it through ``payouts.services``
    (sealed, audited, everyone reached notified, credits stored by the in-process task).

``measure``
    Prints one JSON object: the raw cursor's time for ``upstream_graph_sql`` (execute +
    fetchall), the cold credit computation, their ratio, the parts of the computation, the
    queries it takes on this graph and on a 1,000-contribution one, its peak memory, a check
    that it equals the stored credits, and both previews' latency through the test client.

Run by the row; by hand: ``DATABASE_URL=... DJANGO_SETTINGS_MODULE=bench.settings
DJANGO_DEBUG=0 DJANGO_SECURE_SSL_REDIRECT=0 HITRECORD_DATA_DIR=/tmp/x
.venv/bin/python bench/split_pg.py seed|measure``.
"""

from __future__ import annotations

import io
import json
import os
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import django

RUNS = 5  # the ratio's two medians
PART_RUNS = 3  # the parts of the computation and the cold previews, each a full compute
PROJECT_SLUG = "bench-split"
DIRECTOR = "bench-split-director"
AUTHOR_PREFIX = "bench-split-author-"
AMOUNT_MINOR = 100_000_000  # 1,000,000.00
SMALL = 1_000  # the small graph: the first 1,000 contributions (their sources are older)


def _median_seconds(function: Callable[[], object], runs: int = RUNS) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def _size(default: int) -> int:
    """``BENCH_SPLIT_CONTRIBUTIONS``: a smaller graph for a quick check of the row itself."""
    raw = os.environ.get("BENCH_SPLIT_CONTRIBUTIONS", "")
    return int(raw) if raw.isdigit() and int(raw) >= SMALL else default


# --- seed --------------------------------------------------------------------------------


def _copy(cursor: Any, table: str, columns: list[str], rows: Any) -> None:
    """``COPY table (columns) FROM STDIN`` in text format, streamed in 8 MB chunks."""
    raw = cursor.cursor  # psycopg2's own cursor under Django's wrapper
    buffer = io.StringIO()

    def flush() -> None:
        buffer.seek(0)
        raw.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
        buffer.seek(0)
        buffer.truncate()

    for row in rows:
        buffer.write("\t".join(_text(value) for value in row))
        buffer.write("\n")
        if buffer.tell() > 8_000_000:
            flush()
    flush()


def _text(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[no-any-return]
    if hasattr(value, "adapted") and hasattr(value, "dumps"):
        # A JSONField's value as Django prepares it (psycopg2's Json adapter, whose str()
        # is SQL, not COPY text): the JSON document itself.
        value = value.dumps(value.adapted)
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def seed() -> dict[str, object]:
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from bench.split_walk import AUTHORS, CONTRIBUTIONS, benchmark_graph
    from contributions.models import Contribution, Source
    from payouts import services
    from payouts.models import CutVersion
    from projects.models import Membership, Project

    started = time.perf_counter()
    if Project.objects.filter(slug=PROJECT_SLUG).exists():
        return {"seeded": False}
    unusable = make_password(None)
    director = User.objects.create(
        username=DIRECTOR, email=f"{DIRECTOR}@bench.invalid", password=unusable
    )
    authors = User.objects.bulk_create(
        (
            User(
                username=f"{AUTHOR_PREFIX}{n:05d}",
                email=f"{AUTHOR_PREFIX}{n:05d}@bench.invalid",
                password=unusable,
            )
            for n in range(1, AUTHORS + 1)
        ),
        batch_size=2_000,
    )
    project = Project.objects.create(
        title="Bench split",
        slug=PROJECT_SLUG,
        created_by=director,
        remix_upstream_share=Decimal("0.5"),
        contributor_share=Decimal("0.5"),
    )
    Membership.objects.create(project=project, user=director, role=Membership.Role.DIRECTOR)
    items, graph = benchmark_graph(contributions=_size(CONTRIBUTIONS))
    people_at = time.perf_counter()

    # One template row gives every column its value as Django would write it; each row
    # then changes only its id, author and title.
    now = timezone.now()
    template = Contribution(
        project=project,
        author=director,
        title="",
        kind=Contribution.Kind.TEXT,
        status=Contribution.Status.READY,
        terms_version="bench",
        terms_accepted_at=now,
        created_at=now,
        updated_at=now,
    )
    fields = [f for f in Contribution._meta.concrete_fields]
    base = {
        f.column: f.get_db_prep_save(f.pre_save(template, add=True), connection) for f in fields
    }
    columns = [f.column for f in fields]
    author_pk = [0] + [user.pk for user in authors]

    def contribution_rows() -> Any:
        for cid, node in graph.items():
            row = dict(base, id=cid, author_id=author_pk[node.author_id], title=node.title)
            yield [row[column] for column in columns]

    link_fields = [f for f in Source._meta.concrete_fields if f.column != "id"]
    link_base = {
        f.column: f.get_db_prep_save(f.pre_save(Source(created_at=now), add=True), connection)
        for f in link_fields
    }
    link_columns = [f.column for f in link_fields]

    def link_rows() -> Any:
        for cid, node in graph.items():
            for source_id, weight in node.sources:
                row = dict(link_base, contribution_id=cid, source_id=source_id, weight=weight)
                yield [row[column] for column in link_columns]

    contributions_table = Contribution._meta.db_table
    with connection.cursor() as cursor:
        _copy(cursor, contributions_table, columns, contribution_rows())
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM "  # noqa: S608
            f"{contributions_table}))",
            [contributions_table],
        )
        _copy(cursor, Source._meta.db_table, link_columns, link_rows())
        cursor.execute(f"ANALYZE {contributions_table}")
        cursor.execute(f"ANALYZE {Source._meta.db_table}")
    graph_at = time.perf_counter()

    specs = [
        services.ItemSpec(contribution_id=item.contribution_id, weight=Decimal(item.weight) / 1000)
        for item in items
    ]
    services.final_cut_save(project=project, by=director, revision=0, items=specs)
    version, _created = services.final_cut_lock(project=project, by=director)
    locked_at = time.perf_counter()
    version = CutVersion.objects.get(pk=version.pk)
    return {
        "seeded": True,
        "people_seconds": people_at - started,
        "graph_seconds": graph_at - people_at,
        "lock_and_store_seconds": locked_at - graph_at,
        "seconds": locked_at - started,
        "contributions": Contribution.objects.count(),
        "links": Source.objects.count(),
        "sealed": version.sealed,
        "people_stored": version.credits.people.count(),
    }


# --- measure -----------------------------------------------------------------------------


def _compute(rows: list[Any], share: Decimal) -> tuple[int, int]:
    """What version_credits_compute does before its write: the lineage, the walk, and
    every person's share, share_exact and explanation."""
    from payouts.selectors import credits_of_items

    result = credits_of_items(rows, upstream_share=share)
    people = 0
    entries = 0
    for author_id, person in result.people.items():
        person.share  # noqa: B018 - read as the service reads it
        person.share_exact  # noqa: B018
        entries += len(result.explanation(author_id))
        people += 1
    return people, entries


def measure() -> dict[str, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from contributions.lineage import upstream_graph, upstream_graph_sql
    from contributions.models import Contribution
    from payouts import split
    from payouts.models import PersonCredit
    from payouts.selectors import cut_items_for_split, latest_version
    from projects.models import Project

    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    project = Project.objects.get(slug=PROJECT_SLUG)
    version = latest_version(project=project)
    assert version is not None
    share = version.remix_upstream_share
    rows = list(
        version.items.order_by("position", "pk").values_list(
            "contribution_id", "weight", "upstream_share"
        )
    )
    seeds = sorted({cid for cid, _, _ in rows})
    sql, params = upstream_graph_sql(seeds)

    def raw() -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return len(cursor.fetchall())

    fetched = raw()  # warm-up: the database's buffers and plan cache
    raw_median, raw_times = _median_seconds(raw)

    first_started = time.perf_counter()
    people, entries = _compute(rows, share)
    first_seconds = time.perf_counter() - first_started
    compute_median, compute_times = _median_seconds(lambda: _compute(rows, share))

    # Where the time goes: the same three parts, timed apart.
    graph_median, _ = _median_seconds(lambda: upstream_graph(seeds), PART_RUNS)
    graph = upstream_graph(seeds)
    cut_items = cut_items_for_split(rows)
    walk_median, _ = _median_seconds(
        lambda: split.credits(cut_items, graph.nodes, upstream_share=Fraction(share)),
        PART_RUNS,
    )

    def explain() -> None:
        result = split.credits(cut_items, graph.nodes, upstream_share=Fraction(share))
        for author_id, person in result.people.items():
            person.share_exact  # noqa: B018
            result.explanation(author_id)

    walk_explain_median, _ = _median_seconds(explain, PART_RUNS)

    with CaptureQueriesContext(connection) as big:
        _compute(rows, share)
    small_rows = [(cid, Decimal(1), None) for cid in range(SMALL, SMALL - 50, -1)]
    small_nodes = len(upstream_graph([cid for cid, _, _ in small_rows]).nodes)
    with CaptureQueriesContext(connection) as small:
        _compute(small_rows, share)

    tracemalloc.start()
    _compute(rows, share)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # Exactness: the same credits as the ones the lock's task stored.
    result = split.credits(cut_items, graph.nodes, upstream_share=Fraction(share))
    stored = dict(
        PersonCredit.objects.filter(credits__version=version).values_list(
            "person_id", "share_exact"
        )
    )
    same = stored == {a: p.share_exact for a, p in result.people.items()}
    digits = max(len(p.share_exact) for p in result.people.values())
    rss_end = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    return {
        "contributions_reached": len(graph.nodes),
        "links_reached": sum(len(n.sources) for n in graph.nodes.values()),
        "rows_fetched": fetched,
        "people": people,
        "explanation_entries": entries,
        "raw_seconds": raw_median,
        "raw_times": raw_times,
        "compute_seconds": compute_median,
        "compute_times": compute_times,
        "compute_first_seconds": first_seconds,
        "ratio": compute_median / raw_median,
        "upstream_graph_seconds": graph_median,
        "walk_seconds": walk_median,
        "walk_and_explanations_seconds": walk_explain_median,
        "queries": len(big.captured_queries),
        "queries_small": len(small.captured_queries),
        "small_nodes": small_nodes,
        "tracemalloc_peak_bytes": peak,
        "rss_start_kb": rss_start,
        "rss_peak_kb": rss_end,
        "matches_stored_credits": same,
        "contributions": Contribution.objects.count(),
        "share_exact_max_chars": digits,
        "previews": _previews(project, rows),
    }


def cut_ratio(slug: str) -> dict[str, object]:
    """The same ratio as ``measure`` for the latest locked version of project ``slug``, on
    whatever database Django is set up on (the bench's world, in the bench process): the
    raw cursor on ``upstream_graph_sql`` (warm, median of 5) against the cold computation
    (median of 5), and whether it equals the credits the version stored."""
    from django.db import connection

    from contributions.lineage import upstream_graph_sql
    from payouts.models import PersonCredit
    from payouts.selectors import credits_of_items, latest_version
    from projects.models import Project

    version = latest_version(project=Project.objects.get(slug=slug))
    if version is None:
        raise RuntimeError(f"{slug} has no locked version")
    share = version.remix_upstream_share
    rows = list(
        version.items.order_by("position", "pk").values_list(
            "contribution_id", "weight", "upstream_share"
        )
    )
    sql, params = upstream_graph_sql(sorted({cid for cid, _, _ in rows}))

    def raw() -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return len(cursor.fetchall())

    fetched = raw()  # warm-up
    raw_median, raw_times = _median_seconds(raw)
    compute_median, compute_times = _median_seconds(lambda: _compute(rows, share))
    people, entries = _compute(rows, share)
    result = credits_of_items(rows, upstream_share=share)
    stored = dict(
        PersonCredit.objects.filter(credits__version=version).values_list(
            "person_id", "share_exact"
        )
    )
    return {
        "slug": slug,
        "version": version.number,
        "items": len(rows),
        "contributions_reached": len(result.reached),
        "rows_fetched": fetched,
        "people": people,
        "explanation_entries": entries,
        "raw_seconds": raw_median,
        "raw_times": raw_times,
        "compute_seconds": compute_median,
        "compute_times": compute_times,
        "ratio": compute_median / raw_median if raw_median else None,
        "credits_stored": bool(stored),
        "matches_stored_credits": stored == {a: p.share_exact for a, p in result.people.items()},
        "vendor": connection.vendor,
    }


def _previews(project: Any, rows: list[Any]) -> dict[str, object]:
    """Both previews through the test client, as the director: cold (cache cleared before
    each call; median of 3) and warm (the same call again, cached by the items' hash;
    median of 3)."""
    from django.core.cache import cache
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(project.created_by)
    base = f"/api/projects/{project.slug}/final-cut/split/"
    # The edited items: the draft with its first weight changed, so its hash is new.
    edited = [
        {"contribution": cid, "weight": str(weight + (1 if n == 0 else 0))}
        for n, (cid, weight, _share) in enumerate(rows)
    ]
    body = json.dumps({"items": edited, "amount_minor": AMOUNT_MINOR})
    calls: dict[str, Callable[[], Any]] = {
        "get_draft": lambda: client.get(base, {"amount_minor": AMOUNT_MINOR}),
        "post_edited": lambda: client.post(base, body, content_type="application/json"),
    }
    results: dict[str, object] = {}
    for name, call in calls.items():
        statuses: set[int] = set()
        lines = 0

        def cold(call: Callable[[], Any] = call, statuses: set[int] = statuses) -> None:
            cache.clear()
            statuses.add(call().status_code)

        def warm(call: Callable[[], Any] = call, statuses: set[int] = statuses) -> None:
            statuses.add(call().status_code)

        cold_median, _ = _median_seconds(cold, PART_RUNS)
        response = call()  # cached now
        if response.status_code == 200:
            lines = len(response.json()["lines"])
        warm_median, _ = _median_seconds(warm, PART_RUNS)
        results[name] = {
            "cold_seconds": cold_median,
            "warm_seconds": warm_median,
            "statuses": sorted(statuses),
            "lines": lines,
        }
    cache.clear()
    return results


def main() -> int:
    phase = sys.argv[1] if len(sys.argv) > 1 else ""
    if phase not in ("seed", "measure"):
        print("usage: split_pg.py seed|measure", file=sys.stderr)
        return 2
    django.setup()
    result = seed() if phase == "seed" else measure()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    # As a script, Python puts bench/ first on the path: put the project root there.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
    sys.exit(main())
