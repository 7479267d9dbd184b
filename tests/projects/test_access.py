"""Who sees and changes what of a project, on the pages and the API alike.

Projects are public, archived ones included: every role reads the page, the API detail,
the calls and the lists. Changing a project (its edit page, PATCH, new calls) is for its
directors and staff, through ``projects.selectors.project_for_director``: anonymous
people are sent to sign in (401 from the API), others get 403 with a message, and an
unknown project is a 404. An archived project is read-only (409), even for its directors.
"""

from __future__ import annotations

import pytest
from django.test import Client

from projects.models import Call, Membership, Project
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory
from tests.projects.factories import CallFactory, MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "artist", "member", "author", "director", "staff")
DIRECTS = {"director", "staff"}
STATUSES = (Project.Status.OPEN, Project.Status.ARCHIVED)


def _client(role: str, project: Project) -> Client:
    client = Client()
    if role == "anonymous":
        return client
    if role == "director":
        person = project.created_by
    elif role == "staff":
        person = UserFactory(is_staff=True)
    else:
        person = UserFactory()
        if role in {"member", "author"}:
            MembershipFactory(project=project, user=person)
        if role == "author":
            ContributionFactory(project=project, author=person)
    client.force_login(person)
    return client


def _project(status: str) -> Project:
    project = ProjectFactory(title="Harbour film", status=status)
    CallFactory(project=project, title="We need gulls")
    return project


READS = {
    "page": "/projects/{slug}/",
    "api detail": "/api/projects/{slug}/",
    "api calls": "/api/projects/{slug}/calls/",
}


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("read", list(READS))
def test_every_role_reads_a_project(read, role, status):
    project = _project(status)
    response = _client(role, project).get(READS[read].format(slug=project.slug))
    assert response.status_code == 200, (read, role, status)
    assert "Harbour film" in response.content.decode() or read == "api calls"


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_finds_a_project_in_the_lists(role, status):
    project = _project(status)
    client = _client(role, project)
    assert "Harbour film" in client.get("/projects/").content.decode()
    slugs = [p["slug"] for p in client.get("/api/projects/").json()["results"]]
    assert project.slug in slugs


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("role", ROLES)
def test_only_directors_and_staff_open_the_edit_page(role, status):
    project = _project(status)
    response = _client(role, project).get(f"/projects/{project.slug}/edit/")
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    elif role in DIRECTS:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert "directors can do that" in response.content.decode()


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("role", ROLES)
def test_only_directors_and_staff_change_a_project_through_the_api(role, status):
    project = _project(status)
    response = _client(role, project).patch(
        f"/api/projects/{project.slug}/", {"title": "Renamed"}, content_type="application/json"
    )
    expected = {"anonymous": 401}.get(role, 403)
    if role in DIRECTS:
        expected = 409 if status == Project.Status.ARCHIVED else 200
    assert response.status_code == expected, (role, status)
    project.refresh_from_db()
    assert (project.title == "Renamed") is (expected == 200)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("role", ROLES)
def test_only_directors_and_staff_open_calls(role, status):
    project = _project(status)
    client = _client(role, project)
    api = client.post(
        f"/api/projects/{project.slug}/calls/",
        {"title": "We need rain", "medium": "audio"},
        content_type="application/json",
    )
    page = client.post(
        f"/projects/{project.slug}/calls/", {"call-title": "Rain, page", "call-medium": "audio"}
    )
    if role == "anonymous":
        assert (api.status_code, page.status_code) == (401, 302)
    elif role not in DIRECTS:
        assert (api.status_code, page.status_code) == (403, 403)
    elif status == Project.Status.ARCHIVED:
        assert (api.status_code, page.status_code) == (409, 409)
    else:
        assert (api.status_code, page.status_code) == (201, 302)
    opened = Call.objects.filter(project=project).exclude(title="We need gulls").count()
    assert opened == (2 if role in DIRECTS and status == Project.Status.OPEN else 0)


@pytest.mark.parametrize("role", ROLES)
def test_an_unknown_project_is_a_404_for_every_read(role):
    project = _project(Project.Status.OPEN)
    client = _client(role, project)
    for path in READS.values():
        assert client.get(path.format(slug="no-such-project")).status_code == 404, path
    edit = client.get("/projects/no-such-project/edit/")
    assert edit.status_code == (302 if role == "anonymous" else 404)


def test_a_member_promoted_to_director_may_edit():
    project = _project(Project.Status.OPEN)
    person = UserFactory()
    MembershipFactory(project=project, user=person, role=Membership.Role.DIRECTOR)
    client = Client()
    client.force_login(person)
    assert client.get(f"/projects/{project.slug}/edit/").status_code == 200
