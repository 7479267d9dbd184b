"""A deliberately naive second implementation of the payout rule, for the tests only.

It follows DESIGN.md word by word and enumerates every path from the cut with
``fractions.Fraction`` (exponential on diamonds: small graphs only), so it shares no idea
with ``payouts.split``: no topological order, no common denominator, no integers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from payouts.split import CutItem, Node


class NaiveResult:
    def __init__(self) -> None:
        self.people: dict[int, Fraction] = {}
        self.kept: dict[int, Fraction] = {}  # contribution -> what its author kept
        # contribution -> {"cut" or remix id -> what reached it from there}
        self.received: dict[int, dict[int | str, Fraction]] = {}


def naive_credits(
    items: Sequence[CutItem], graph: Mapping[int, Node], *, upstream_share: Fraction
) -> NaiveResult:
    result = NaiveResult()
    total = sum(item.weight for item in items)
    overrides = {
        item.contribution_id: item.upstream_share
        for item in items
        if item.upstream_share is not None
    }

    def visit(contribution_id: int, amount: Fraction, came_from: int | str) -> None:
        node = graph[contribution_id]
        received = result.received.setdefault(contribution_id, {})
        received[came_from] = received.get(came_from, Fraction(0)) + amount
        u = overrides.get(contribution_id, upstream_share)
        if not node.sources:
            keep = amount
        else:
            keep = amount * (1 - u)
            link_total = sum(weight for _, weight in node.sources)
            for source_id, weight in node.sources:
                visit(source_id, amount * u * weight / link_total, contribution_id)
        result.kept[contribution_id] = result.kept.get(contribution_id, Fraction(0)) + keep
        result.people[node.author_id] = result.people.get(node.author_id, Fraction(0)) + keep

    for item in items:
        visit(item.contribution_id, Fraction(item.weight, total), "cut")
    result.people = {a: c for a, c in result.people.items() if c}
    return result


def naive_allocate(credits: Mapping[int, Fraction], pool: int) -> dict[int, int]:
    ideal = {a: pool * c for a, c in credits.items() if c}
    amounts = {a: int(value // 1) for a, value in ideal.items()}
    left = pool - sum(amounts.values())
    by_fraction = sorted(ideal, key=lambda a: (-(ideal[a] - amounts[a]), a))
    for author_id in by_fraction[:left]:
        amounts[author_id] += 1
    return dict(sorted(amounts.items()))
