"""Lineage queries: shortest depths, both directions, fixed query counts, big diamond graphs."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from contributions import lineage as lineage_module
from contributions.lineage import LineageEdge, ancestors, descendants, lineage
from contributions.models import Contribution
from tests.accounts.factories import UserFactory
from tests.contributions.factories import (
    ContributionFactory,
    SimpleProjectFactory,
    SourceFactory,
    bulk_contributions,
    bulk_sources,
)

pytestmark = pytest.mark.django_db


def depths(nodes):
    return [(n.id, n.depth) for n in nodes]


@pytest.fixture
def studio():
    """A project and an author for graphs built in bulk."""
    author = UserFactory()
    return SimpleProjectFactory(created_by=author), author


def chain(studio, length: int) -> list[Contribution]:
    """c0 <- c1 <- ... : each one built from the one before."""
    project, author = studio
    nodes = bulk_contributions(length, project=project, author=author)
    bulk_sources(zip(nodes, nodes[1:], strict=False))
    return nodes


def ladder(studio, rungs: int) -> list[Contribution]:
    """top -> (b1, b2) -> c -> (d1, d2) -> e ...: ``rungs`` diamonds in a row, 3*rungs+1
    nodes and 2**rungs paths from the top to the bottom."""
    project, author = studio
    nodes = bulk_contributions(3 * rungs + 1, project=project, author=author)
    links = []
    for i in range(rungs):
        top, left, right, bottom = nodes[3 * i : 3 * i + 4]
        links += [(top, left), (top, right), (left, bottom), (right, bottom)]
    bulk_sources(links)
    return nodes


# --- shapes -----------------------------------------------------------------------------


def test_chain_in_both_directions(studio):
    a, b, c, d = chain(studio, 4)

    assert depths(ancestors(d.pk)) == [(c.pk, 1), (b.pk, 2), (a.pk, 3)]
    assert descendants(d.pk) == []
    assert depths(descendants(a.pk)) == [(b.pk, 1), (c.pk, 2), (d.pk, 3)]
    assert ancestors(a.pk) == []

    both = lineage(b.pk)
    assert both.focus is not None
    assert both.focus.id == b.pk
    assert both.focus.depth == 0
    assert depths(both.ancestors) == [(a.pk, 1)]
    assert depths(both.descendants) == [(c.pk, 1), (d.pk, 2)]
    assert [(e.source_id, e.remix_id) for e in both.edges] == [
        (a.pk, b.pk),
        (b.pk, c.pk),
        (c.pk, d.pk),
    ]
    assert (both.more_ancestors, both.more_descendants) == (0, 0)


def test_fan_in_lists_every_source_at_depth_one_by_id():
    remix = ContributionFactory()
    sources = [ContributionFactory() for _ in range(3)]
    for weight, source in zip(("0.5", "2", "10"), sources, strict=True):
        SourceFactory(contribution=remix, source=source, weight=Decimal(weight))

    assert depths(ancestors(remix.pk)) == [(s.pk, 1) for s in sources]
    assert depths(descendants(sources[1].pk)) == [(remix.pk, 1)]
    weights = {e.source_id: e.weight for e in lineage(remix.pk).edges}
    assert weights == {
        sources[0].pk: Decimal("0.500"),
        sources[1].pk: Decimal("2.000"),
        sources[2].pk: Decimal("10.000"),
    }


def test_fan_out_lists_every_remix():
    original = ContributionFactory()
    remixes = [SourceFactory(source=original).contribution for _ in range(4)]

    assert depths(descendants(original.pk)) == [(r.pk, 1) for r in remixes]
    for remix in remixes:
        assert depths(ancestors(remix.pk)) == [(original.pk, 1)]


def test_diamond_with_a_shortcut_gets_the_shortest_depth():
    # a -> b -> c -> d, and d also built directly from a: a is one step from d, not three.
    a, b, c, d = (ContributionFactory() for _ in range(4))
    for source, remix in [(a, b), (b, c), (c, d), (a, d)]:
        SourceFactory(source=source, contribution=remix)

    assert depths(ancestors(d.pk)) == [(a.pk, 1), (c.pk, 1), (b.pk, 2)]
    assert depths(descendants(a.pk)) == [(b.pk, 1), (d.pk, 1), (c.pk, 2)]


def test_plain_diamond_counts_the_shared_node_once():
    top, left, right, bottom = (ContributionFactory() for _ in range(4))
    for source, remix in [(top, left), (top, right), (left, bottom), (right, bottom)]:
        SourceFactory(source=source, contribution=remix)

    assert depths(ancestors(bottom.pk)) == [(left.pk, 1), (right.pk, 1), (top.pk, 2)]
    assert depths(descendants(top.pk)) == [(left.pk, 1), (right.pk, 1), (bottom.pk, 2)]


def test_ladder_of_thirty_diamonds_is_fast_and_exact(studio, django_assert_num_queries):
    nodes = ladder(studio, 30)
    top, bottom = nodes[0], nodes[-1]

    started = time.perf_counter()
    with django_assert_num_queries(2):
        up = ancestors(bottom.pk)
    with django_assert_num_queries(2):
        down = descendants(top.pk)
    with django_assert_num_queries(2):
        middle = lineage(nodes[45].pk, limit=None)
    elapsed = time.perf_counter() - started

    assert elapsed < 1.0, f"three lineage reads took {elapsed:.2f}s"
    assert len(up) == len(down) == 90
    # Each rung is two steps: the top is 60 steps above the bottom, the rung's middles
    # 1 step below its top, whichever of the 2**30 paths one takes.
    assert up[-1].id == top.pk
    assert up[-1].depth == 60
    assert down[-1].id == bottom.pk
    assert down[-1].depth == 60
    assert {n.depth for n in up if n.id in (nodes[88].pk, nodes[89].pk)} == {1}
    assert [n.depth for n in up] == sorted(n.depth for n in up)
    assert len(middle.ancestors) == 45
    assert len(middle.descendants) == 45
    assert len(middle.edges) == 4 * 30


def test_query_count_does_not_grow_with_depth(studio, django_assert_num_queries):
    short = chain(studio, 3)
    long = chain(studio, 40)

    for nodes in (short, long):
        with django_assert_num_queries(2):
            found = ancestors(nodes[-1].pk)
        assert len(found) == len(nodes) - 1
        with django_assert_num_queries(2):
            found = descendants(nodes[0].pk)
        assert len(found) == len(nodes) - 1
        with django_assert_num_queries(2):
            both = lineage(nodes[1].pk)
        assert len(both.ancestors) + len(both.descendants) == len(nodes) - 1
    assert lineage(long[-1].pk).ancestors[-1].depth == 39


def test_sources_in_other_projects_are_followed():
    theirs = ContributionFactory(title="Cello line")
    mine = ContributionFactory(title="Song")
    SourceFactory(source=theirs, contribution=mine)
    assert theirs.project_id != mine.project_id

    (node,) = ancestors(mine.pk)
    assert node.id == theirs.pk
    assert node.project_slug == theirs.project.slug
    assert node.title == "Cello line"
    assert node.author_id == theirs.author_id
    assert node.author_username == theirs.author.username
    assert node.kind == "text"


def test_withdrawn_removed_and_unready_nodes_stay_and_are_flagged():
    original = ContributionFactory(withdrawn=True)
    taken_down = ContributionFactory(removed=True, thumbnail="contributions/thumbs/gone.jpg")
    rejected = ContributionFactory(status=Contribution.Status.REJECTED)
    remix = ContributionFactory()
    later = ContributionFactory(status=Contribution.Status.PROCESSING)
    # the chain passes *through* the withdrawn and removed nodes
    SourceFactory(source=original, contribution=taken_down)
    SourceFactory(source=taken_down, contribution=remix)
    SourceFactory(source=rejected, contribution=remix)
    SourceFactory(source=remix, contribution=later)

    found = {n.id: n for n in ancestors(later.pk)}
    assert set(found) == {original.pk, taken_down.pk, rejected.pk, remix.pk}
    assert found[original.pk].withdrawn
    assert not found[original.pk].removed
    assert found[original.pk].depth == 3
    assert found[taken_down.pk].removed
    assert found[taken_down.pk].thumbnail_url == ""
    assert found[rejected.pk].status == "rejected"
    assert [n.id for n in descendants(original.pk)] == [taken_down.pk, remix.pk, later.pk]
    assert descendants(original.pk)[-1].status == "processing"


def test_thumbnail_url_and_former_members():
    gone = UserFactory(is_anonymised=True)
    pictured = ContributionFactory(thumbnail="contributions/thumbs/cover.jpg", author=gone)
    remix = ContributionFactory()
    SourceFactory(source=pictured, contribution=remix)

    (node,) = ancestors(remix.pk)
    assert node.thumbnail_url == "/media/contributions/thumbs/cover.jpg"
    assert node.author_username == "former member"
    assert lineage(remix.pk).focus.thumbnail_url == ""


def test_limit_keeps_the_nearest_and_counts_the_rest(studio, django_assert_num_queries):
    project, author = studio
    focus, *rest = bulk_contributions(17, project=project, author=author)
    parents, grandparents = rest[:5], rest[5:10]
    children, grandchildren = rest[10:13], rest[13:16]
    bulk_sources(
        [(p, focus) for p in parents]
        + [(g, parents[0]) for g in grandparents]
        + [(focus, c) for c in children]
        + [(children[-1], g) for g in grandchildren]
    )

    with django_assert_num_queries(2):
        near = lineage(focus.pk, limit=7)

    # nearest first: every parent (depth 1), then the two grandparents with the lowest ids
    assert [n.id for n in near.ancestors] == [p.pk for p in parents] + [
        g.pk for g in grandparents[:2]
    ]
    assert near.more_ancestors == 3
    assert near.ancestor_count == 10
    assert [n.id for n in near.descendants] == [n.pk for n in children + grandchildren]
    assert near.more_descendants == 0
    assert near.descendant_count == 6
    # no edge points at a node that was left out
    shown = {focus.pk} | {n.id for n in near.ancestors} | {n.id for n in near.descendants}
    assert all(e.source_id in shown and e.remix_id in shown for e in near.edges)
    assert len(near.edges) == 5 + 2 + 3 + 3

    assert [n.id for n in ancestors(focus.pk, limit=2)] == [parents[0].pk, parents[1].pk]
    assert [n.id for n in descendants(focus.pk, limit=1)] == [children[0].pk]
    nothing = lineage(focus.pk, limit=0)
    assert nothing.is_empty
    assert (nothing.more_ancestors, nothing.more_descendants) == (10, 6)
    with pytest.raises(ValueError, match="limit"):
        lineage(focus.pk, limit=-1)


def test_whole_lineage_of_many_nodes_in_two_queries(studio, django_assert_num_queries):
    # more kept nodes than the id-list threshold: the detail query joins the CTE instead
    project, author = studio
    count = lineage_module._IN_LIST_MAX + 100
    original, *remixes = bulk_contributions(count + 1, project=project, author=author)
    bulk_sources((original, r) for r in remixes)

    with django_assert_num_queries(2):
        whole = lineage(original.pk, limit=None)
    assert [n.id for n in whole.descendants] == [r.pk for r in remixes]
    assert all(n.title.startswith("Part ") and n.depth == 1 for n in whole.descendants)
    assert len(whole.edges) == count


def test_edge_from_an_ancestor_to_a_descendant_is_kept():
    # a -> focus -> d, and d also built from a directly
    a, focus, d = (ContributionFactory() for _ in range(3))
    SourceFactory(source=a, contribution=focus)
    SourceFactory(source=focus, contribution=d, weight=Decimal("1.25"))
    SourceFactory(source=a, contribution=d, weight=Decimal("0.125"))

    found = lineage(focus.pk)
    assert set(found.edges) == {
        LineageEdge(source_id=a.pk, remix_id=focus.pk, weight=Decimal("1.000")),
        LineageEdge(source_id=focus.pk, remix_id=d.pk, weight=Decimal("1.250")),
        LineageEdge(source_id=a.pk, remix_id=d.pk, weight=Decimal("0.125")),
    }


def test_unknown_or_out_of_range_ids_give_an_empty_lineage():
    alone = ContributionFactory()
    assert ancestors(alone.pk + 1000) == []
    assert descendants(alone.pk + 1000) == []
    missing = lineage(alone.pk + 1000)
    assert missing.focus is None
    assert missing.is_empty
    assert lineage(2**70).focus is None
    assert lineage(0).focus is None

    single = lineage(alone.pk)
    assert single.focus is not None
    assert single.focus.title == alone.title
    assert single.is_empty
    assert single.edges == ()
