"""The demo projects: a dozen across every medium, drawn covers, members, calls; idempotent."""

from __future__ import annotations

import pytest
from PIL import Image

from accounts import demo as accounts_demo
from accounts.models import Medium
from projects import demo
from projects.demo import PROJECTS
from projects.models import Call, Membership, Project


@pytest.mark.django_db
def test_demo_seed_makes_projects_with_covers_people_and_calls_once():
    world: dict = {}
    accounts_demo.seed(world)
    demo.seed(world)
    assert set(world["projects"]) == {slug for slug, *_ in PROJECTS}
    projects = list(Project.objects.all())
    assert len(projects) == len(PROJECTS) >= 12
    assert {slug for slug, *_ in PROJECTS} == {p.slug for p in projects}
    assert set().union(*(p.mediums for p in projects)) == set(Medium.values)
    assert all(p.cover and p.cover_thumbnail for p in projects)
    covers = set()
    for project in projects:
        with project.cover.open("rb") as handle, Image.open(handle) as image:
            covers.add(image.tobytes()[::997])
    assert len(covers) == len(projects)  # every cover is different
    director_of = Membership.objects.filter(role="director", user__username="director")
    assert director_of.count() > len(projects) / 2
    assert Membership.objects.filter(role="member").count() >= 20
    assert Call.objects.filter(is_open=True, good_first=True).exists()
    assert {p.status for p in projects} == set(Project.Status.values)

    counts = (Project.objects.count(), Membership.objects.count(), Call.objects.count())
    again: dict = {}
    accounts_demo.seed(again)
    demo.seed(again)
    assert {s: p.pk for s, p in again["projects"].items()} == {
        s: p.pk for s, p in world["projects"].items()
    }
    assert (Project.objects.count(), Membership.objects.count(), Call.objects.count()) == counts
