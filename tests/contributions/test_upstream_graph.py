"""The upstream graph of a set of contributions: what the split of a final cut reads."""

from __future__ import annotations

from decimal import Decimal

import pytest

from contributions.lineage import upstream_graph
from tests.accounts.factories import UserFactory
from tests.contributions.factories import (
    ContributionFactory,
    SimpleProjectFactory,
    bulk_contributions,
    bulk_sources,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def studio():
    author = UserFactory()
    return SimpleProjectFactory(created_by=author), author


def test_a_set_of_items_collects_every_reachable_node_once_with_its_author_and_weights(studio):
    project, author = studio
    other_author = UserFactory()
    other_project = SimpleProjectFactory()
    a, b, c, d = bulk_contributions(4, project=project, author=author)
    elsewhere = ContributionFactory(project=other_project, author=other_author)
    lonely = ContributionFactory(project=project, author=author)
    # d <- b, c ; b <- a (2.5) ; c <- a, elsewhere (0.125)
    bulk_sources(
        [
            (b, d),
            (c, d, Decimal("3")),
            (a, b, Decimal("2.5")),
            (a, c),
            (elsewhere, c, Decimal("0.125")),
        ]
    )

    graph = upstream_graph([d.pk, lonely.pk])

    assert set(graph.nodes) == {a.pk, b.pk, c.pk, d.pk, elsewhere.pk, lonely.pk}
    assert graph.missing == ()
    assert graph.nodes[d.pk].sources == ((b.pk, 1000), (c.pk, 3000))
    assert graph.nodes[c.pk].sources == tuple(sorted([(a.pk, 1000), (elsewhere.pk, 125)]))
    assert graph.nodes[b.pk].sources == ((a.pk, 2500),)
    assert graph.nodes[a.pk].sources == ()
    assert graph.nodes[elsewhere.pk].author_id == other_author.pk
    assert graph.nodes[elsewhere.pk].title == elsewhere.title
    assert graph.depths([d.pk, lonely.pk]) == {
        d.pk: 0,
        lonely.pk: 0,
        b.pk: 1,
        c.pk: 1,
        a.pk: 2,
        elsewhere.pk: 2,
    }


def test_withdrawn_and_taken_down_work_stays_in_the_graph(studio):
    project, author = studio
    source = ContributionFactory(project=project, author=author, withdrawn=True)
    removed = ContributionFactory(project=project, author=author, removed=True)
    remix = ContributionFactory(project=project, author=author)
    bulk_sources([(source, remix), (removed, remix)])

    graph = upstream_graph([remix.pk])

    assert graph.nodes[source.pk].withdrawn is True
    assert graph.nodes[removed.pk].removed is True


def test_unknown_and_out_of_range_ids_are_reported_not_raised(studio):
    project, author = studio
    known = ContributionFactory(project=project, author=author)

    graph = upstream_graph([known.pk, 987_654_321, 2**70, -3])

    assert set(graph.nodes) == {known.pk}
    assert graph.missing == (987_654_321,)
    assert upstream_graph([]).nodes == {}


def test_one_query_whatever_the_size_even_on_a_ladder_of_diamonds(
    studio, django_assert_num_queries
):
    project, author = studio

    def ladder(rungs):
        nodes = bulk_contributions(3 * rungs + 1, project=project, author=author)
        links = []
        for i in range(rungs):
            top, left, right, bottom = nodes[3 * i : 3 * i + 4]
            links += [(left, top), (right, top), (bottom, left), (bottom, right)]
        bulk_sources(links)
        return nodes

    small = ladder(2)
    with django_assert_num_queries(1):
        assert len(upstream_graph([small[0].pk]).nodes) == 7

    big = ladder(30)  # 2**30 paths from the top to the bottom
    with django_assert_num_queries(1):
        graph = upstream_graph([big[0].pk, small[0].pk])
    assert len(graph.nodes) == 91 + 7
    assert graph.depths([big[0].pk])[big[-1].pk] == 60
