""" "Used in K final cuts": on the contribution page, on gallery cards (project page and
profile) and in the API detail; shown only when K > 0, and one query for a page of cards."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory
from tests.payouts.factories import lock, save_draft
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def used():
    """``song`` is in the locked cuts of two projects (twice locked in one of them), ``poem``
    in one, ``sketch`` only in a draft, ``draft_only`` in none."""
    home = ProjectFactory()
    other = ProjectFactory()
    author = UserFactory(username="maker")
    song = ContributionFactory(project=home, author=author, title="Song")
    poem = ContributionFactory(project=home, author=author, title="Poem")
    sketch = ContributionFactory(project=home, author=author, title="Sketch")
    lock(home, home.created_by, [(song, "1"), (poem, "1")])
    lock(home, home.created_by, [(song, "2"), (poem, "1")])  # a second version: same project
    lock(other, other.created_by, [(song, "1")])
    return {"home": home, "author": author, "song": song, "poem": poem, "sketch": sketch}


def _card(html: str, title: str) -> str:
    start = html.index(f">{title}</a></h3>")
    return html[start : html.index("</article>", start)]


def test_the_contribution_page_says_how_many_final_cuts_use_it(client, used):
    html = client.get(f"/contributions/{used['song'].pk}/").content.decode()
    assert "Used in 2 final cuts" in html
    html = client.get(f"/contributions/{used['poem'].pk}/").content.decode()
    assert "Used in 1 final cut<" in html
    html = client.get(f"/contributions/{used['sketch'].pk}/").content.decode()
    assert "final cut" not in html


def test_gallery_cards_on_the_project_page_and_the_profile(client, used):
    for path in (f"/projects/{used['home'].slug}/", "/u/maker/"):
        html = client.get(path).content.decode()
        assert "used in 2 final cuts" in _card(html, "Song"), path
        assert "used in 1 final cut<" in _card(html, "Poem"), path
        assert "final cut" not in _card(html, "Sketch"), path


def test_a_draft_alone_is_not_a_final_cut(client):
    project = ProjectFactory()
    work = ContributionFactory(project=project)
    save_draft(project, project.created_by, [(work, "1")])
    assert "final cut" not in client.get(f"/contributions/{work.pk}/").content.decode()


def test_the_api_detail_has_used_in_cuts(used):
    client = APIClient()
    song = client.get(f"/api/contributions/{used['song'].pk}/").json()
    assert song["used_in_cuts"] == 2
    assert client.get(f"/api/contributions/{used['sketch'].pk}/").json()["used_in_cuts"] == 0


def _count(client, path: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(queries)


@pytest.mark.parametrize("page", ["project", "profile"])
def test_a_gallery_costs_the_same_queries_for_1_and_24_cards_in_cuts(page):
    client = Client()
    project = ProjectFactory()
    author = UserFactory(username="prolific")
    path = f"/projects/{project.slug}/" if page == "project" else "/u/prolific/"
    first = ContributionFactory(project=project, author=author)
    lock(project, project.created_by, [(first, "1")])
    one = _count(client, path)
    rest = ContributionFactory.create_batch(23, project=project, author=author)
    for n, work in enumerate(rest):
        other = ProjectFactory()
        lock(other, other.created_by, [(work, str(n + 1))])
    many = _count(client, path)
    html = client.get(path).content.decode()
    assert html.count("used in 1 final cut<") == 24
    assert one == many
