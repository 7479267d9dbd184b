"""The payout rule (DESIGN.md "The payout rule"), by worked examples computed by hand."""

from __future__ import annotations

import json
import re
import sys
from fractions import Fraction as F

import pytest

from payouts.split import (
    CutItem,
    Node,
    allocate,
    credits,
    decimal_share,
    pool_of,
)

HALF = F(1, 2)


def graph_of(*nodes: Node) -> dict[int, Node]:
    return {node.contribution_id: node for node in nodes}


def shares_of(items, graph, u=HALF):
    return credits(items, graph, upstream_share=u).shares()


# --- credit -----------------------------------------------------------------------------


def test_one_item_gets_everything():
    graph = graph_of(Node(1, author_id=10, title="Solo"))
    result = credits([CutItem(1, 1500)], graph, upstream_share=HALF)

    assert result.shares() == {10: F(1)}
    person = result.people[10]
    assert person.share == "1.000000000000"
    assert person.share_exact == "1/1"
    assert result.explanation(10) == [
        {
            "contribution": {"id": 1, "title": "Solo"},
            "kept": "1.000000000000",
            "received": [{"from": "cut", "weight": "1.500", "share": "1.000000000000"}],
        }
    ]
    assert allocate(result.shares(), 999) == {10: 999}


def test_a_chain_of_three_remixes():
    # 4 remixes 3, which remixes 2, which remixes 1; u = 1/3: each keeps 2/3 of what it holds.
    graph = graph_of(
        Node(4, 40, "top", ((3, 1000),)),
        Node(3, 30, "mid", ((2, 1000),)),
        Node(2, 20, "low", ((1, 1000),)),
        Node(1, 10, "root"),
    )
    result = credits([CutItem(4, 1000)], graph, upstream_share=F(1, 3))

    assert result.shares() == {40: F(2, 3), 30: F(2, 9), 20: F(2, 27), 10: F(1, 27)}
    assert result.people[20].share_exact == "2/27"
    assert result.people[40].share == "0.666666666667"
    assert result.explanation(10)[0]["received"] == [{"from": 2, "share": "0.037037037037"}]
    assert allocate(result.shares(), 2700) == {10: 100, 20: 200, 30: 600, 40: 1800}


def diamond() -> dict[int, Node]:
    # A uses B (weight 1) and C (weight 3); B and C both use D.
    return graph_of(
        Node(1, 1, "A", ((2, 1000), (3, 3000))),
        Node(2, 2, "B", ((4, 500),)),
        Node(3, 3, "C", ((4, 2000),)),
        Node(4, 4, "D"),
    )


def test_a_diamond_sums_both_paths():
    result = credits([CutItem(1, 1000)], diamond(), upstream_share=HALF)

    # A keeps 1/2; B gets 1/8 and keeps 1/16; C gets 3/8 and keeps 3/16;
    # D gets 1/16 + 3/16 and keeps all of it.
    assert result.shares() == {1: F(1, 2), 2: F(1, 16), 3: F(3, 16), 4: F(1, 4)}
    assert result.explanation(4) == [
        {
            "contribution": {"id": 4, "title": "D"},
            "kept": "0.250000000000",
            "received": [
                {"from": 2, "share": "0.062500000000"},
                {"from": 3, "share": "0.187500000000"},
            ],
        }
    ]


def test_an_upstream_share_of_0_mid_chain_still_lets_other_paths_through():
    # Items A and B (weight 1 each); A uses B and C; B (override u = 0) uses C and D.
    graph = graph_of(
        Node(1, 1, "A", ((2, 1000), (3, 1000))),
        Node(2, 2, "B", ((3, 1000), (4, 1000))),
        Node(3, 3, "C"),
        Node(4, 4, "D"),
    )
    items = [CutItem(1, 1000), CutItem(2, 1000, upstream_share=F(0))]
    result = credits(items, graph, upstream_share=HALF)

    # A holds 1/2, keeps 1/4, passes 1/8 to B and 1/8 to C. B holds 1/2 + 1/8 and keeps
    # it all. C gets 1/8 through A only; D, behind B's 0, gets nothing.
    assert result.shares() == {1: F(1, 4), 2: F(5, 8), 3: F(1, 8)}
    assert result.explanation(3)[0]["received"] == [{"from": 1, "share": "0.125000000000"}]
    assert result.explanation(2)[0]["received"] == [
        {"from": "cut", "weight": "1.000", "share": "0.500000000000"},
        {"from": 1, "share": "0.125000000000"},
    ]
    # D is still in the lineage (artistic credit), without a line.
    assert 4 in result.reached
    assert 4 in result.reached_authors
    assert 4 not in result.people
    assert result.explanation(4) == []


def test_an_upstream_share_of_0_for_the_whole_version_walks_on():
    graph = graph_of(Node(1, 1, "A", ((2, 1000),)), Node(2, 2, "B", ((3, 1000),)), Node(3, 3, "C"))
    result = credits([CutItem(1, 1000)], graph, upstream_share=F(0))

    assert result.shares() == {1: F(1)}
    assert result.reached == {1, 2, 3}


def test_one_person_with_several_contributions():
    # Author 7 made A (an item, weight 2) and C, two steps upstream of A; E (weight 1) is
    # by author 8; B, between them, by author 9.
    graph = graph_of(
        Node(1, 7, "A", ((2, 1000),)),
        Node(2, 9, "B", ((3, 1000),)),
        Node(3, 7, "C"),
        Node(5, 8, "E"),
    )
    result = credits([CutItem(5, 1000), CutItem(1, 2000)], graph, upstream_share=HALF)

    # A: 2/3, keeps 1/3; B: 1/3, keeps 1/6; C: 1/6. E: 1/3.
    assert result.shares() == {7: F(1, 3) + F(1, 6), 8: F(1, 3), 9: F(1, 6)}
    entries = result.explanation(7)
    assert [e["contribution"]["id"] for e in entries] == [1, 3]
    assert [e["kept"] for e in entries] == ["0.333333333333", "0.166666666667"]
    assert result.people[7].share == "0.500000000000"


def test_item_overrides_replace_u_for_that_contribution_only():
    # A (override 1/4) uses B; B (no override: the version's 1/2) uses C.
    graph = graph_of(Node(1, 1, "A", ((2, 1000),)), Node(2, 2, "B", ((3, 1000),)), Node(3, 3, "C"))
    result = credits([CutItem(1, 1000, upstream_share=F(1, 4))], graph, upstream_share=HALF)

    assert result.shares() == {1: F(3, 4), 2: F(1, 8), 3: F(1, 8)}


def test_an_override_of_1_passes_everything_on_and_the_flow_stays_followable():
    graph = graph_of(Node(1, 1, "A", ((2, 1000),)), Node(2, 2, "B"))
    result = credits([CutItem(1, 1000, upstream_share=F(1))], graph, upstream_share=HALF)

    assert result.shares() == {2: F(1)}
    assert result.explanation(1) == []  # kept nothing: no line, no entry
    flows = result.contribution_flows()
    assert flows[1]["kept"] == "0.000000000000"
    assert flows[2]["received"] == [{"from": 1, "share": "1.000000000000"}]


def test_an_item_upstream_of_another_item_holds_both():
    graph = graph_of(Node(1, 1, "A", ((2, 1000),)), Node(2, 2, "B"))
    result = credits([CutItem(1, 1000), CutItem(2, 3000)], graph, upstream_share=HALF)

    # A: 1/4, keeps 1/8, passes 1/8 to B; B: 3/4 + 1/8.
    assert result.shares() == {1: F(1, 8), 2: F(7, 8)}


def test_explanations_are_json_linear_and_lead_back_to_the_cut():
    # A ladder of 20 diamonds: 2**20 paths, 61 contributions, 80 links.
    nodes = []
    top = 1
    next_id = 2
    for _ in range(20):
        left, right, bottom = next_id, next_id + 1, next_id + 2
        nodes.append(Node(top, top % 5, f"c{top}", ((left, 1000), (right, 2000))))
        nodes.append(Node(left, left % 5, f"c{left}", ((bottom, 1000),)))
        nodes.append(Node(right, right % 5, f"c{right}", ((bottom, 1000),)))
        top, next_id = bottom, next_id + 3
    nodes.append(Node(top, top % 5, f"c{top}"))
    graph = graph_of(*nodes)
    result = credits([CutItem(1, 1000)], graph, upstream_share=F(1, 3))

    explanations = result.explanations()
    json.dumps(explanations)  # JSON-ready: plain dicts, lists, str and int
    assert sum(result.shares().values()) == 1
    receipts = sum(len(e["received"]) for es in explanations.values() for e in es)
    assert receipts <= 80 + 1  # one per link, plus the cut's, never one per path

    flows = result.contribution_flows()
    for entry in flows.values():
        for step in entry["received"]:
            assert step["from"] == "cut" or step["from"] in flows
    for entries in explanations.values():
        for entry in entries:
            assert set(entry) == {"contribution", "kept", "received"}
            assert set(entry["contribution"]) == {"id", "title"}
            # follow the first receipt of each step back until the cut
            current_id, current = entry["contribution"]["id"], entry
            for _ in range(len(graph)):
                step = current["received"][0]
                if step["from"] == "cut":
                    assert current_id == 1
                    assert step["weight"] == "1.000"
                    break
                remix_id = step["from"]
                assert current_id in dict(graph[remix_id].sources)
                current_id, current = remix_id, flows[remix_id]
            else:
                pytest.fail("the from steps never reached the cut")


def test_a_receipt_exactly_between_two_12th_places_rounds_to_even():
    # Half of the item goes to two sources in the ratio 1 : 10**12 - 1, so the receipts
    # are 1/(2 * 10**12) and (10**12 - 1)/(2 * 10**12): both exactly halfway between two
    # 12th places, the case the explanations' fixed point hands to an exact division.
    scale = 10**12
    graph = graph_of(
        Node(1, author_id=10, title="Remix", sources=((2, 1), (3, scale - 1))),
        Node(2, author_id=20, title="Small"),
        Node(3, author_id=30, title="Large"),
    )
    result = credits([CutItem(1, 1000)], graph, upstream_share=HALF)

    flows = result.contribution_flows()
    assert flows[2]["received"] == [{"from": 1, "share": "0.000000000000"}]  # ...0|5 -> even 0
    assert flows[3]["received"] == [{"from": 1, "share": "0.500000000000"}]  # ...9|5 -> even
    assert flows[2]["received"][0]["share"] == decimal_share(F(1, 2 * scale))
    assert flows[3]["received"][0]["share"] == decimal_share(F(scale - 1, 2 * scale))
    assert result.people[20].credit == F(1, 2 * scale)


def test_receipts_just_off_a_tie_round_to_the_nearer_side():
    # 1/(2 * 10**12) plus or minus one part in 10**30: within the fixed point's guard
    # bits of the tie, so only the exact division can tell the two apart.
    scale = 10**12
    off = 10**18
    for small, expected in ((off + 1, "0.000000000001"), (off - 1, "0.000000000000")):
        total = scale * off * 2  # the link weights sum to this; u = 1/2 halves it again
        graph = graph_of(
            Node(1, author_id=10, title="Remix", sources=((2, small), (3, total - small))),
            Node(2, author_id=20, title="Small"),
            Node(3, author_id=30, title="Large"),
        )
        flows = credits([CutItem(1, 1000)], graph, upstream_share=F(1, 1)).contribution_flows()
        assert flows[2]["received"] == [{"from": 1, "share": expected}]
        assert expected == decimal_share(F(small, total))


def test_the_order_of_inputs_does_not_matter():
    graph = diamond()
    reordered = {
        k: Node(n.contribution_id, n.author_id, n.title, tuple(reversed(n.sources)))
        for k, n in reversed(graph.items())
    }
    items = [CutItem(1, 1000), CutItem(3, 500)]
    one = credits(items, graph, upstream_share=HALF)
    two = credits(list(reversed(items)), reordered, upstream_share=HALF)

    assert one.shares() == two.shares()
    assert one.explanations() == two.explanations()
    assert list(one.people) == sorted(one.people)


def test_deep_chains_need_no_recursion():
    depth = sys.getrecursionlimit() * 5
    graph = graph_of(
        *(Node(i, i % 7, f"c{i}", ((i - 1, 1000),) if i > 1 else ()) for i in range(1, depth + 1))
    )
    result = credits([CutItem(depth, 1000)], graph, upstream_share=F(1, 10**6))

    assert sum(result.shares().values()) == 1
    assert len(result.reached) == depth


def test_only_the_reachable_part_of_the_graph_counts():
    graph = diamond()
    graph[9] = Node(9, 9, "elsewhere", ((4, 1000),))
    assert shares_of([CutItem(1, 1000)], graph) == shares_of([CutItem(1, 1000)], diamond())


def test_large_and_odd_denominators_stay_exact():
    graph = graph_of(Node(1, 1, "A", ((2, 1009 * 1013), (3, 7))), Node(2, 2, "B"), Node(3, 3, "C"))
    u = F(10**40 + 1, 10**40 + 7)
    result = credits([CutItem(1, 997)], graph, upstream_share=u)
    link_total = 1009 * 1013 + 7

    assert result.shares() == {
        1: 1 - u,
        2: u * 1009 * 1013 / link_total,
        3: u * 7 / link_total,
    }


# --- money ------------------------------------------------------------------------------


def test_ties_in_the_leftover_units_go_to_the_lower_user_id():
    third = F(1, 3)
    assert allocate({9: third, 3: third, 5: third}, 100) == {3: 34, 5: 33, 9: 33}
    assert allocate({9: third, 3: third, 5: third}, 101) == {3: 34, 5: 34, 9: 33}
    # ideals 0.5, 1.5, 3: one unit left, a tie between 1 and 2
    assert allocate({2: F(3, 10), 1: F(1, 10), 3: F(6, 10)}, 5) == {1: 1, 2: 1, 3: 3}
    # ideals 2.1, 0.7, 4.2: the larger fractional part first, whatever the ids
    assert allocate({1: F(3, 10), 2: F(1, 10), 3: F(6, 10)}, 7) == {1: 2, 2: 1, 3: 4}


def test_a_revenue_smaller_than_the_number_of_people():
    quarter = F(1, 4)
    credits_ = {40: quarter, 10: quarter, 30: quarter, 20: quarter}
    pool, house = pool_of(3, HALF)
    assert (pool, house) == (1, 2)
    # every person with credit keeps a line, even of 0
    assert allocate(credits_, pool) == {10: 1, 20: 0, 30: 0, 40: 0}
    assert allocate(credits_, 3) == {10: 1, 20: 1, 30: 1, 40: 0}
    assert allocate(credits_, 0) == {10: 0, 20: 0, 30: 0, 40: 0}


def test_a_currency_without_minor_units():
    # JPY has exponent 0: 7 yen are 7 minor units; the pool is floor(7 * 1/2) = 3 yen.
    pool, house = pool_of(7, HALF)
    assert (pool, house) == (3, 4)
    assert allocate({1: F(1, 3), 2: F(2, 3)}, pool) == {1: 1, 2: 2}


def test_pool_is_the_floor_and_the_house_keeps_the_rest():
    assert pool_of(1999, F(1, 2)) == (999, 1000)
    assert pool_of(100, F(0)) == (0, 100)
    assert pool_of(100, F(1)) == (100, 0)
    assert pool_of(10**30 + 1, F(2, 3)) == (
        (2 * 10**30 + 2) // 3,
        10**30 + 1 - (2 * 10**30 + 2) // 3,
    )


def test_people_with_zero_credit_get_no_line():
    assert allocate({1: F(1), 2: F(0)}, 10) == {1: 10}


def test_credits_allocate_matches_allocate():
    result = credits([CutItem(1, 1000)], diamond(), upstream_share=F(2, 7))
    for pool in (0, 1, 2, 3, 17, 10**9 + 7):
        assert result.allocate(pool) == allocate(result.shares(), pool)
        assert sum(result.allocate(pool).values()) == pool


# --- decimals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (F(1, 3), 12, "0.333333333333"),
        (F(2, 3), 12, "0.666666666667"),
        (F(1, 2 * 10**12), 12, "0.000000000000"),  # a tie: to the even 0
        (F(3, 2 * 10**12), 12, "0.000000000002"),  # a tie: to the even 2
        (F(5, 2 * 10**12), 12, "0.000000000002"),
        (F(1), 12, "1.000000000000"),
        (F(0), 12, "0.000000000000"),
        (F(5, 2), 0, "2"),
        (F(7, 2), 0, "4"),
        (F(-1, 3), 3, "-0.333"),
        (F(-1, 10**6), 3, "0.000"),
    ],
)
def test_decimal_share_rounds_half_even(value, places, text):
    assert decimal_share(value, places) == text


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "graph", "message"),
    [
        ([], diamond(), "no items"),
        ([CutItem(1, 0)], diamond(), "weight must be a positive int"),
        ([CutItem(1, -5)], diamond(), "weight must be a positive int"),
        ([CutItem(1, True)], diamond(), "weight must be a positive int"),
        ([CutItem(1, 1.5)], diamond(), "weight must be a positive int"),  # type: ignore[arg-type]
        ([CutItem(1, 1000), CutItem(1, 2000)], diamond(), "contribution 1 is in the cut twice"),
        ([CutItem(1, 1000, upstream_share=F(3, 2))], diamond(), "must be in [0, 1]"),
        ([CutItem(1, 1000, upstream_share=0.5)], diamond(), "must be a fractions.Fraction"),  # type: ignore[arg-type]
        ([CutItem(99, 1000)], diamond(), "item 99 is not in the graph"),
        (
            [CutItem(1, 1000)],
            graph_of(Node(1, 1, "A", ((2, 1000),))),
            "contribution 1: source 2 is not in the graph",
        ),
        (
            [CutItem(1, 1000)],
            graph_of(Node(1, 1, "A", ((2, 0),)), Node(2, 2, "B")),
            "link weight of source 2 must be a positive int",
        ),
        (
            [CutItem(1, 1000)],
            graph_of(Node(1, 1, "A", ((2, 1000), (2, 500))), Node(2, 2, "B")),
            "contribution 1 lists a source twice",
        ),
        (
            [CutItem(1, 1000)],
            graph_of(Node(1, 1, "A", ((2, 1000),)), Node(2, 2, "B", ((1, 1000),))),
            "cycle",
        ),
        ([CutItem(1, 1000)], {1: Node(2, 1, "A")}, "graph[1] holds contribution 2"),
    ],
)
def test_bad_credit_input_is_refused_with_a_clear_message(items, graph, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        credits(items, graph, upstream_share=HALF)


def test_a_cycle_below_the_cut_is_refused():
    graph = graph_of(
        Node(1, 1, "A", ((2, 1000),)), Node(2, 2, "B", ((3, 1000),)), Node(3, 3, "C", ((2, 1000),))
    )
    with pytest.raises(ValueError, match=r"cycle through contributions \[2, 3\]"):
        credits([CutItem(1, 1000)], graph, upstream_share=HALF)


@pytest.mark.parametrize("u", [F(-1, 2), F(3, 2), 0.5, None, True])
def test_a_bad_upstream_share_is_refused(u):
    with pytest.raises(ValueError, match="upstream_share"):
        credits([CutItem(1, 1000)], diamond(), upstream_share=u)


@pytest.mark.parametrize(
    ("credits_", "pool", "message"),
    [
        ({1: F(1)}, -1, "pool must be an int >= 0"),
        ({1: F(1)}, 1.0, "pool must be an int >= 0"),
        ({1: F(1, 2)}, 10, "must sum to exactly 1, they sum to 1/2"),
        ({1: F(1, 2), 2: F(2, 3)}, 10, "must sum to exactly 1"),
        ({1: 0.5, 2: F(1, 2)}, 10, "must be a fractions.Fraction"),
        ({1: F(3, 2), 2: F(-1, 2)}, 10, "must be in [0, 1]"),
        ({}, 10, "no credit to allocate"),
    ],
)
def test_bad_allocate_input_is_refused(credits_, pool, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        allocate(credits_, pool)


@pytest.mark.parametrize(
    ("revenue", "share", "message"),
    [(-1, HALF, "revenue"), (10, F(3, 2), "contributor_share"), (10, 0.5, "contributor_share")],
)
def test_bad_pool_input_is_refused(revenue, share, message):
    with pytest.raises(ValueError, match=message):
        pool_of(revenue, share)
