"""Properties of the payout rule over random lineages (hypothesis, derandomized for CI).

Random DAGs where sources always have smaller ids (as in the database: a source is older),
random item and link weights, upstream shares and overrides. On small graphs the result
must equal ``naive_split``'s, which enumerates every path with ``fractions.Fraction``.
"""

from __future__ import annotations

import random
from fractions import Fraction as F

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payouts.split import CutItem, Node, allocate, credits, decimal_share
from tests.payouts.naive_split import naive_allocate, naive_credits

# Deterministic: the same examples on every run and machine.
CI = settings(
    derandomize=True,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

shares = st.one_of(
    st.sampled_from([F(0), F(1), F(1, 2)]),
    st.fractions(min_value=0, max_value=1, max_denominator=12),
)


@st.composite
def lineages(draw, *, max_nodes: int = 8, max_sources: int = 3, max_authors: int = 4):
    count = draw(st.integers(1, max_nodes))
    authors = draw(st.integers(1, max_authors))
    graph: dict[int, Node] = {}
    for cid in range(1, count + 1):
        chosen = (
            draw(st.lists(st.integers(1, cid - 1), unique=True, max_size=max_sources))
            if cid > 1
            else []
        )
        sources = tuple((source, draw(st.integers(1, 5000))) for source in chosen)
        graph[cid] = Node(cid, draw(st.integers(1, authors)), f"c{cid}", sources)
    item_ids = draw(st.lists(st.integers(1, count), unique=True, min_size=1, max_size=4))
    items = [
        CutItem(cid, draw(st.integers(1, 10_000)), draw(st.none() | shares)) for cid in item_ids
    ]
    return items, graph, draw(shares)


pools = st.one_of(st.integers(0, 1000), st.integers(0, 10**15))


def shuffled(items, graph, rng: random.Random):
    items = list(items)
    rng.shuffle(items)
    entries = list(graph.items())
    rng.shuffle(entries)
    shuffled_graph = {}
    for cid, node in entries:
        sources = list(node.sources)
        rng.shuffle(sources)
        shuffled_graph[cid] = Node(cid, node.author_id, node.title, tuple(sources))
    return items, shuffled_graph


@CI
@given(lineage=lineages())
def test_credits_equal_the_path_enumeration(lineage):
    items, graph, u = lineage
    result = credits(items, graph, upstream_share=u)
    naive = naive_credits(items, graph, upstream_share=u)

    assert result.shares() == naive.people
    assert sum(result.shares().values()) == 1
    for person in result.people.values():
        assert person.share == decimal_share(person.credit)
        assert F(person.share_exact) == person.credit

    # every explanation number is the naive amount, rounded half-even to 12 places
    flows = result.contribution_flows()
    reached_with_credit = {cid for cid, got in naive.received.items() if sum(got.values())}
    assert set(flows) == reached_with_credit
    weights = {item.contribution_id: item.weight for item in items}
    for cid, entry in flows.items():
        assert entry["contribution"] == {"id": cid, "title": graph[cid].title}
        assert entry["kept"] == decimal_share(naive.kept[cid])
        expected = []
        got = naive.received[cid]
        if "cut" in got:
            weight = weights[cid]
            expected.append(
                {
                    "from": "cut",
                    "weight": f"{weight // 1000}.{weight % 1000:03d}",
                    "share": decimal_share(got["cut"]),
                }
            )
        expected += [
            {"from": remix, "share": decimal_share(amount)}
            for remix, amount in sorted((k, v) for k, v in got.items() if k != "cut" and v)
        ]
        assert entry["received"] == expected

    explanations = result.explanations()
    assert list(explanations) == sorted(naive.people)
    for author_id, entries in explanations.items():
        assert [e["contribution"]["id"] for e in entries] == sorted(
            cid for cid, kept in naive.kept.items() if kept and graph[cid].author_id == author_id
        )


@CI
@given(lineage=lineages(), pool=pools)
def test_amounts_sum_to_the_pool_each_within_one_unit(lineage, pool):
    items, graph, u = lineage
    result = credits(items, graph, upstream_share=u)
    shares_ = result.shares()
    amounts = allocate(shares_, pool)

    assert sum(amounts.values()) == pool
    assert set(amounts) == set(shares_)  # a line for everyone with credit, even of 0
    for author_id, amount in amounts.items():
        assert abs(amount - pool * shares_[author_id]) < 1
    assert amounts == naive_allocate(shares_, pool)
    assert result.allocate(pool) == amounts


@CI
@given(lineage=lineages(max_nodes=40, max_authors=12), pool=pools, seed=st.integers(0, 2**32))
def test_the_result_does_not_depend_on_input_order(lineage, pool, seed):
    items, graph, u = lineage
    result = credits(items, graph, upstream_share=u)
    other_items, other_graph = shuffled(items, graph, random.Random(seed))
    other = credits(other_items, other_graph, upstream_share=u)

    assert other.shares() == result.shares()
    assert other.explanations() == result.explanations()
    assert other.contribution_flows() == result.contribution_flows()
    assert other.allocate(pool) == result.allocate(pool)
    assert allocate(dict(reversed(list(other.shares().items()))), pool) == result.allocate(pool)
    assert other.reached == result.reached
    assert sum(result.shares().values()) == 1


@CI
@given(
    credits_=st.lists(st.integers(0, 50), min_size=1, max_size=12).filter(any),
    pool=pools,
    seed=st.integers(0, 2**32),
)
def test_allocate_on_any_credits(credits_, pool, seed):
    # credits with unrelated denominators (not from one walk): the exact tie-breaking path
    total = sum(credits_)
    ids = list(range(1, len(credits_) + 1))
    random.Random(seed).shuffle(ids)
    shares_ = {author_id: F(c, total) for author_id, c in zip(ids, credits_, strict=True)}
    amounts = allocate(shares_, pool)

    assert sum(amounts.values()) == pool
    assert amounts == naive_allocate(shares_, pool)
    for author_id, amount in amounts.items():
        assert abs(amount - pool * shares_[author_id]) < 1
