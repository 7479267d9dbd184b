"""The demo's final cut (``seed_demo``): two locked versions on the main project, the
second reweighting the first, over a remix chain that crosses projects, with credits."""

from __future__ import annotations

from fractions import Fraction
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client

from contributions.lineage import upstream_graph
from contributions.models import Contribution
from payouts.demo import MAIN_PROJECT
from payouts.models import CutVersion, PersonCredit, VersionCredits
from payouts.selectors import version_diff, version_list
from projects.models import Project

pytestmark = pytest.mark.django_db


def _snapshot() -> dict[str, object]:
    counts: dict[str, object] = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"accounts", "projects", "contributions", "payouts"}
    }
    counts["versions"] = list(
        CutVersion.objects.order_by("pk").values_list("pk", "number", "fingerprint")
    )
    counts["credits"] = list(
        PersonCredit.objects.order_by("pk").values_list("pk", "person_id", "share_exact")
    )
    return counts


def test_the_demo_has_a_locked_cut_reweighted_in_a_second_version_with_credits(
    client: Client,
) -> None:
    call_command("seed_demo", stdout=StringIO())
    first = _snapshot()

    newer, older = version_list(project=Project.objects.get(slug=MAIN_PROJECT))
    assert newer.project.slug == MAIN_PROJECT
    assert (older.number, newer.number) == (1, 2)
    assert older.sealed
    assert newer.sealed
    assert older.locked_by.username == newer.locked_by.username == "director"

    # The second version reweights the first: same items, other weights.
    diff = version_diff(older, newer)
    assert not diff.added
    assert not diff.removed
    assert len(diff.reweighted) == len(older.items.all()) == 3

    # The cut stands on a remix chain that crosses projects.
    item_ids = [item.contribution_id for item in older.items.all()]
    graph = upstream_graph(item_ids)
    depths = graph.depths(item_ids)
    assert max(depths.values()) >= 3
    projects = set(
        Contribution.objects.filter(pk__in=graph.nodes).values_list("project__slug", flat=True)
    )
    assert MAIN_PROJECT in projects
    assert len(projects) >= 2

    # Credits are stored with each version, sum to exactly 1, and follow the weights.
    shares = {}
    for version in (older, newer):
        stored = VersionCredits.objects.get(version=version)
        assert stored.sealed
        assert stored.node_count == len(graph.nodes)
        exact = dict(stored.people.values_list("person__username", "share_exact"))
        assert sum(Fraction(value) for value in exact.values()) == 1
        assert {"mira", "tomas", "lena", "june"} <= set(exact)  # lena and june: upstream
        shares[version.number] = exact
    assert shares[1] != shares[2]

    # The public credits list the upstream people of the other project too.
    response = client.get(f"/api/projects/{MAIN_PROJECT}/final-cut/credits/")
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert {"june", "lena"} <= {row["user"]["username"] for row in response.json()["credits"]}

    # Running the command again changes nothing.
    call_command("seed_demo", stdout=StringIO())
    assert _snapshot() == first
