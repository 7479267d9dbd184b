"""Browsing: search, each filter, both orderings, and the counts a card shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from contributions.models import Contribution
from projects import selectors
from projects.models import Project
from tests.projects.factories import CallFactory, MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _slugs(queryset) -> list[str]:
    return [p.slug for p in queryset]


def test_search_matches_every_word_in_title_or_brief():
    storm = ProjectFactory(title="The Storm", brief="A cello and a lighthouse.")
    ProjectFactory(title="Paper Boats", brief="Watercolour.")
    lighthouse = ProjectFactory(title="Lighthouse Songs", brief="Folk.")
    assert set(_slugs(selectors.project_list(search="lighthouse"))) == {
        storm.slug,
        lighthouse.slug,
    }
    assert _slugs(selectors.project_list(search="STORM cello")) == [storm.slug]
    assert _slugs(selectors.project_list(search="storm boats")) == []


def test_filters_by_medium_status_open_calls_and_good_first_calls():
    audio = ProjectFactory(mediums=["audio"], status="open")
    video = ProjectFactory(mediums=["image", "video"], status="in_production")
    CallFactory(project=audio, good_first=False)
    CallFactory(project=video, good_first=True)
    closed = ProjectFactory(mediums=["text"])
    CallFactory(project=closed, good_first=True, is_open=False)

    assert _slugs(selectors.project_list(medium="video")) == [video.slug]
    assert _slugs(selectors.project_list(medium="audio")) == [audio.slug]
    assert _slugs(selectors.project_list(status="in_production")) == [video.slug]
    assert set(_slugs(selectors.project_list(has_calls=True))) == {audio.slug, video.slug}
    assert _slugs(selectors.project_list(has_calls=False)) == [closed.slug]
    assert _slugs(selectors.project_list(good_first=True)) == [video.slug]


def test_newest_first_and_most_active_in_the_last_30_days():
    quiet = ProjectFactory(title="Quiet")
    busy = ProjectFactory(title="Busy")
    old_busy = ProjectFactory(title="Was busy")
    newest = ProjectFactory(title="Newest")
    now = timezone.now()

    def contribute(project, n, *, days_ago=1, status="ready", withdrawn=False):
        for i in range(n):
            c = Contribution.objects.create(
                project=project,
                author=project.created_by,
                title=f"c{i}",
                kind="text",
                status=status,
                withdrawn=withdrawn,
                terms_version="t",
                terms_accepted_at=now,
            )
            Contribution.objects.filter(pk=c.pk).update(created_at=now - timedelta(days=days_ago))

    contribute(busy, 3)
    contribute(quiet, 1)
    contribute(old_busy, 5, days_ago=40)  # outside the window
    contribute(newest, 4, status="processing")  # not ready: not counted
    contribute(newest, 4, withdrawn=True)  # withdrawn: not counted

    assert _slugs(selectors.project_list()) == [newest.slug, old_busy.slug, busy.slug, quiet.slug]
    active = list(selectors.project_list(ordering="active"))
    assert [p.slug for p in active] == [busy.slug, quiet.slug, newest.slug, old_busy.slug]
    assert [p.recent_contributions for p in active] == [3, 1, 0, 0]
    with pytest.raises(ValueError, match="ordering"):
        selectors.project_list(ordering="popular")


def test_counts_and_directors_come_with_each_project():
    project = ProjectFactory()
    MembershipFactory.create_batch(2, project=project)
    MembershipFactory(project=project, role="director")
    CallFactory.create_batch(2, project=project)
    CallFactory(project=project, is_open=False)
    (loaded,) = selectors.project_list()
    assert loaded.member_count == 4
    assert loaded.open_call_count == 2
    assert len(loaded.director_memberships) == 2
    assert loaded.director_memberships[0].user == project.created_by


def test_open_calls_skip_archived_projects_and_group_by_medium_good_first_first():
    live = ProjectFactory()
    archived = ProjectFactory(status=Project.Status.ARCHIVED)
    text = CallFactory(project=live, medium="text")
    audio = CallFactory(project=live, medium="audio")
    audio_first = CallFactory(project=live, medium="audio", good_first=True)
    CallFactory(project=archived, medium="text")
    CallFactory(project=live, medium="image", is_open=False)
    groups = selectors.calls_by_medium(selectors.open_call_list())
    assert [(medium, [c.pk for c in calls]) for medium, _, calls in groups] == [
        ("text", [text.pk]),
        ("audio", [audio_first.pk, audio.pk]),
    ]
    assert [c.pk for c in selectors.open_call_list(mediums=["text"])] == [text.pk]
