"""Lists cost the same number of queries with 1 project as with 50 (each with members and
calls), and at most 10: measured with the cache cleared, so nothing is served from it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory
from tests.projects.factories import CallFactory, MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10


def _project_with_people_and_calls(**kwargs):
    project = ProjectFactory(mediums=["text", "audio", "image"], **kwargs)
    MembershipFactory.create_batch(2, project=project)
    MembershipFactory(project=project, role="director")
    CallFactory(project=project, medium="audio", good_first=True)
    CallFactory(project=project, medium="text")
    CallFactory(project=project, medium="image", is_open=False)
    return project


def _count(client, path: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(queries)


@pytest.mark.parametrize("path", ["/", "/projects/", "/projects/?ordering=active&has_calls=1"])
@pytest.mark.parametrize("signed_in", [False, True])
def test_pages_make_as_many_queries_for_50_projects_as_for_1(path, signed_in):
    client = Client()
    if signed_in:
        client.force_login(UserFactory(mediums=["audio", "text"]))
    _project_with_people_and_calls()
    one = _count(client, path)
    for _ in range(49):
        _project_with_people_and_calls()
    fifty = _count(client, path)
    assert one == fifty
    assert fifty <= MAX_QUERIES


@pytest.mark.parametrize("signed_in", [False, True])
def test_project_page_queries_do_not_grow_with_members_and_calls(signed_in):
    client = Client()
    viewer = UserFactory()
    if signed_in:
        client.force_login(viewer)
    project = _project_with_people_and_calls()
    one = _count(client, f"/projects/{project.slug}/")
    MembershipFactory.create_batch(40, project=project)
    CallFactory.create_batch(40, project=project)
    for _ in range(49):
        _project_with_people_and_calls()
    many = _count(client, f"/projects/{project.slug}/")
    assert one == many
    # cold, as _count measures: the id and the viewer's role that a repeat view reads from
    # the cache cost one query more than the list pages
    assert many <= MAX_QUERIES + 1


def test_api_list_makes_as_many_queries_for_50_projects_as_for_1():
    client = APIClient()
    _project_with_people_and_calls()
    one = _count(client, "/api/projects/")
    for _ in range(49):
        _project_with_people_and_calls()
    fifty = _count(client, "/api/projects/?ordering=active")
    assert one == fifty
    assert fifty <= MAX_QUERIES
