"""Issue 8 point 8, the walk alone: ``payouts.split.credits`` on the benchmark graph.

Pure Python, no database: a seeded generator builds the graph of the issue (100,000
contributions by 10,000 authors, each with exactly 3 sources among the 1,000 before it,
link weights 1 to 5, the version's upstream share 1/2, a cut of the 50 newest), then

- ``credits()``            : the walk (exact credits of every person), median of 5;
- ``+ explanations()``     : the walk and every person's explanation, median of 5;
- ``preview``              : the walk, every ``share`` and ``Credits.allocate`` (no
  reduction to lowest terms: what the draft's projected split needs);
- ``+ share_exact``        : the walk and every credit reduced to lowest terms (one gcd
  per person: what storing a locked version's credits needs);
- ``allocate()``           : splitting a pool of 1,000,000.00 by the reduced credits;
- ``Fraction walk``        : the same rule with ``fractions.Fraction`` per contribution, in
  the same topological order (the textbook version, for comparison; ``--no-fraction``
  skips it);
- peak memory of ``credits()`` + explanations (tracemalloc, a separate run: tracing slows
  it down) and the process's max RSS.

Run: ``.venv/bin/python bench/split_walk.py [--runs 5] [--no-fraction] [--small]``.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from payouts.split import CutItem, Node, allocate, credits  # noqa: E402

SEED = 8
CONTRIBUTIONS = 100_000
AUTHORS = 10_000
SOURCES = 3
WINDOW = 1_000
CUT = 50
UPSTREAM_SHARE = Fraction(1, 2)


def benchmark_graph(
    *, contributions: int = CONTRIBUTIONS, seed: int = SEED
) -> tuple[list[CutItem], dict[int, Node]]:
    """The issue's graph: ids 1..N, each with ``min(3, id - 1)`` distinct sources among the
    1,000 contributions before it, link weights 1 to 5 (one scale per contribution), an
    author among 10,000, and a cut of the 50 newest with weights 1.000 to 5.000."""
    rng = random.Random(seed)
    graph: dict[int, Node] = {}
    for cid in range(1, contributions + 1):
        window = range(max(1, cid - WINDOW), cid)
        picked = rng.sample(window, min(SOURCES, len(window)))
        graph[cid] = Node(
            contribution_id=cid,
            author_id=rng.randrange(1, AUTHORS + 1),
            title=f"contribution {cid}",
            sources=tuple(sorted((s, rng.randint(1, 5)) for s in picked)),
        )
    items = [
        CutItem(contribution_id=cid, weight=rng.randint(1, 5) * 1000)
        for cid in range(contributions, contributions - CUT, -1)
    ]
    return items, graph


def fraction_walk(items: list[CutItem], graph: dict[int, Node]) -> dict[int, Fraction]:
    """The rule with one Fraction per contribution (no validation), for comparison."""
    total = sum(item.weight for item in items)
    held: dict[int, Fraction] = {}
    indegree: dict[int, int] = {}
    seen = {item.contribution_id for item in items}
    queue = list(seen)
    while queue:
        node = graph[queue.pop()]
        for source_id, _ in node.sources:
            indegree[source_id] = indegree.get(source_id, 0) + 1
            if source_id not in seen:
                seen.add(source_id)
                queue.append(source_id)
    for item in items:
        held[item.contribution_id] = Fraction(item.weight, total)
    stack = [item.contribution_id for item in items if not indegree.get(item.contribution_id)]
    people: dict[int, Fraction] = {}
    while stack:
        node = graph[stack.pop()]
        x = held.pop(node.contribution_id, Fraction(0))
        link_total = sum(weight for _, weight in node.sources)
        if node.sources:
            unit = x * UPSTREAM_SHARE / link_total
            people[node.author_id] = people.get(node.author_id, Fraction(0)) + x - unit * link_total
            for source_id, weight in node.sources:
                held[source_id] = held.get(source_id, Fraction(0)) + unit * weight
                indegree[source_id] -= 1
                if not indegree[source_id]:
                    stack.append(source_id)
        else:
            people[node.author_id] = people.get(node.author_id, Fraction(0)) + x
    return people


def timed(function: Callable[[], object], runs: int) -> tuple[float, object]:
    times = []
    result: object = None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-fraction", action="store_true", help="skip the Fraction walk")
    parser.add_argument("--small", action="store_true", help="10,000 contributions")
    args = parser.parse_args()
    size = 10_000 if args.small else CONTRIBUTIONS

    started = time.perf_counter()
    items, graph = benchmark_graph(contributions=size)
    print(
        f"graph: {len(graph):,} contributions, "
        f"{sum(len(n.sources) for n in graph.values()):,} links, cut of {len(items)}, "
        f"u = {UPSTREAM_SHARE}; generated in {time.perf_counter() - started:.1f} s"
    )

    def walk() -> object:
        return credits(items, graph, upstream_share=UPSTREAM_SHARE)

    def walk_explained() -> object:
        result = credits(items, graph, upstream_share=UPSTREAM_SHARE)
        result.explanations()
        return result

    seconds, result = timed(walk, args.runs)
    assert not isinstance(result, type(None))
    split = credits(items, graph, upstream_share=UPSTREAM_SHARE)
    longest = max(len(person.share_exact) for person in split.people.values())
    print(
        f"credits()                    {seconds:6.3f} s  (median of {args.runs}; "
        f"{len(split.people):,} people, {len(split.reached):,} contributions reached, "
        f"longest share_exact {longest:,} chars)"
    )
    seconds, _ = timed(walk_explained, args.runs)
    explained = split.explanations()
    receipts = sum(len(e["received"]) for entries in explained.values() for e in entries)
    print(
        f"credits() + explanations()   {seconds:6.3f} s  (median of {args.runs}; "
        f"{receipts:,} receipts)"
    )

    def preview() -> object:
        result = credits(items, graph, upstream_share=UPSTREAM_SHARE)
        return result.allocate(100_000_000), [p.share for p in result.people.values()]

    seconds, _ = timed(preview, args.runs)
    print(
        f"preview: credits() + share + Credits.allocate  {seconds:6.3f} s  (median of {args.runs})"
    )

    def stored() -> object:
        result = credits(items, graph, upstream_share=UPSTREAM_SHARE)
        return [p.share_exact for p in result.people.values()]

    seconds, _ = timed(stored, args.runs)
    print(
        f"credits() + every share_exact (lowest terms)  {seconds:6.3f} s  (median of {args.runs})"
    )
    shares = split.shares()
    seconds, amounts = timed(lambda: allocate(shares, 100_000_000), args.runs)
    assert isinstance(amounts, dict)
    assert sum(amounts.values()) == 100_000_000
    print(f"allocate(pool=100,000,000)   {seconds:6.3f} s  (median of {args.runs})")

    if not args.no_fraction:
        seconds, baseline = timed(lambda: fraction_walk(items, graph), 1)
        assert isinstance(baseline, dict)
        same = {a: c for a, c in baseline.items() if c} == shares
        print(f"Fraction walk (1 run)        {seconds:6.3f} s  (same credits: {same})")

    del split, explained, shares, amounts
    shares = {}
    tracemalloc.start()
    traced = credits(items, graph, upstream_share=UPSTREAM_SHARE)
    after_walk = tracemalloc.get_traced_memory()
    traced.explanations()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"memory: credits() peak {after_walk[1] / 2**20:.0f} MiB (held after: "
        f"{after_walk[0] / 2**20:.0f} MiB); with explanations peak {peak / 2**20:.0f} MiB "
        f"(held: {current / 2**20:.0f} MiB); process max RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB "
        f"(graph included)"
    )


if __name__ == "__main__":
    main()
