"""The list and home fragments are cached under a "projects changed" version; every
service that changes a project, a membership or a call bumps it, so nobody sees stale
cards."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from projects import services
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def _cards(client: Client, path: str = "/projects/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_a_repeat_visit_is_served_without_queries(client):
    services.project_create(by=UserFactory(), title="Cached")
    _cards(client)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/projects/")
    assert "Cached" in response.content.decode()
    assert len(queries) == 0
    assert "Cookie" in response["Vary"]


def test_every_change_shows_up_on_the_list_and_home(client, django_capture_on_commit_callbacks):
    director, artist = UserFactory(), UserFactory()
    assert "No projects" in _cards(client)

    with django_capture_on_commit_callbacks(execute=True):
        project = services.project_create(by=director, title="Fresh Paint")
    assert "Fresh Paint" in _cards(client)
    assert "1 member<" in _cards(client)

    with django_capture_on_commit_callbacks(execute=True):
        services.project_join(project=project, user=artist)
    assert "2 members" in _cards(client)

    with django_capture_on_commit_callbacks(execute=True):
        call = services.call_create(project=project, by=director, title="Blue", medium="image")
    assert "1 open call<" in _cards(client)
    assert "Blue" in _cards(client, "/")

    with django_capture_on_commit_callbacks(execute=True):
        services.call_update(call=call, by=director, is_open=False)
    assert "0 open calls" in _cards(client)
    assert "Blue" not in _cards(client, "/")

    with django_capture_on_commit_callbacks(execute=True):
        services.project_add_director(project=project, by=director, user_id=artist.pk)
    assert f"by {director.display_name}, {artist.display_name}" in _cards(client)

    with django_capture_on_commit_callbacks(execute=True):
        services.project_update(project=project, by=director, title="Dry Paint")
    assert "Dry Paint" in _cards(client)
    assert "Fresh Paint" not in _cards(client, "/")

    with django_capture_on_commit_callbacks(execute=True):
        services.project_leave(project=project, user=director)
    assert f"by {artist.display_name}<" in _cards(client)
    assert "1 member<" in _cards(client)


def test_each_query_gets_its_own_cached_fragment(client):
    director = UserFactory()
    services.project_create(by=director, title="Storm", mediums=["audio"])
    services.project_create(by=director, title="Calm", mediums=["image"])
    assert "Calm" not in _cards(client, "/projects/?medium=audio")
    assert "Storm" not in _cards(client, "/projects/?medium=image")
    assert "Storm" in _cards(client, "/projects/")
    assert "Calm" in _cards(client, "/projects/")


def test_a_signed_in_person_never_gets_the_visitors_cached_page(client):
    services.project_create(by=UserFactory(), title="Shared")
    assert "Sign in" in _cards(client)
    person = UserFactory(username="signedin")
    mine = Client()
    mine.force_login(person)
    page = _cards(mine)
    assert "Shared" in page
    assert 'href="/u/signedin/"' in page
    assert "Sign out" in page


def test_an_invalid_query_is_never_cached(client):
    assert client.get("/projects/?medium=smell").status_code == 400
    assert client.get("/projects/?medium=smell").status_code == 400
