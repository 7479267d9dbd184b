"""The projects API, row by row: shapes, permissions (401 / 403 with a message), bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import AuditEntry
from projects.models import Call, Membership, Project
from tests.accounts.factories import UserFactory
from tests.projects.factories import CallFactory, MembershipFactory, ProjectFactory
from tests.projects.images import bomb_upload, png_upload, text_upload

pytestmark = pytest.mark.django_db


def _api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _message(response) -> str:
    return str(response.json())


# --- GET /api/projects/ -------------------------------------------------------------------


def test_list_is_paginated_with_the_project_shape():
    project = ProjectFactory(title="The Storm", mediums=["audio", "video"])
    MembershipFactory(project=project)
    CallFactory(project=project)
    response = _api().get("/api/projects/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    (item,) = body["results"]
    assert set(item) == {
        "slug",
        "title",
        "brief",
        "brief_html",
        "mediums",
        "status",
        "cover",
        "cover_thumbnail",
        "contributor_share",
        "remix_upstream_share",
        "directors",
        "member_count",
        "open_call_count",
        "created_at",
        "updated_at",
    }
    assert item["slug"] == "the-storm"
    assert item["mediums"] == ["audio", "video"]
    assert item["contributor_share"] == "0.5000"  # decimals as strings
    assert item["directors"] == [
        {"id": project.created_by.pk, "username": project.created_by.username}
    ]
    assert (item["member_count"], item["open_call_count"]) == (2, 1)
    assert item["cover"] is None


def test_list_filters_and_orders():
    storm = ProjectFactory(title="Storm", mediums=["audio"])
    calm = ProjectFactory(title="Calm", mediums=["image"], status="in_production")
    CallFactory(project=calm, good_first=True)
    api = _api()

    def slugs(query: str) -> list[str]:
        response = api.get(f"/api/projects/?{query}")
        assert response.status_code == 200, response.content
        return [p["slug"] for p in response.json()["results"]]

    assert slugs("search=storm") == [storm.slug]
    assert slugs("medium=image") == [calm.slug]
    assert slugs("status=in_production") == [calm.slug]
    assert slugs("has_calls=true") == [calm.slug]
    assert slugs("has_calls=false") == [storm.slug]
    assert slugs("good_first=true") == [calm.slug]
    assert slugs("ordering=newest") == [calm.slug, storm.slug]
    assert slugs("ordering=active&medium=&status=") == [calm.slug, storm.slug]
    assert slugs("page=1") == [calm.slug, storm.slug]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("ordering=popular", "ordering"),
        ("medium=smell", "medium"),
        ("status=finished", "status"),
        ("has_calls=maybe", "has_calls"),
        ("good_first=2", "good_first"),
    ],
)
def test_list_refuses_unknown_values_with_a_message(query, field):
    response = _api().get(f"/api/projects/?{query}")
    assert response.status_code == 400
    assert field in response.json()
    if field == "ordering":
        assert "newest" in response.json()["ordering"][0]


def test_list_page_too_large_is_a_4xx_not_a_500():
    ProjectFactory()
    for page in ("99999999999999999999", "0", "x"):
        response = _api().get(f"/api/projects/?page={page}")
        assert response.status_code == 404
        assert "page" in _message(response).lower()


# --- POST /api/projects/ ------------------------------------------------------------------


def test_create_makes_the_caller_director_and_returns_the_slug(user):
    response = _api(user).post(
        "/api/projects/",
        {
            "title": "Letters to a Future City",
            "brief": "Write **one**.",
            "mediums": ["text", "audio"],
            "status": "open",
            "remix_upstream_share": "0.3",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "letters-to-a-future-city"
    assert body["remix_upstream_share"] == "0.3000"
    assert body["brief_html"].strip() == "<p>Write <strong>one</strong>.</p>"
    assert body["directors"] == [{"id": user.pk, "username": user.username}]
    assert body["member_count"] == 1
    assert Membership.objects.get().role == "director"


def test_create_accepts_multipart_with_a_cover(user):
    response = _api(user).post(
        "/api/projects/",
        {"title": "Covered", "mediums": ["image", "text"], "cover": png_upload()},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["mediums"] == ["text", "image"]
    assert body["cover"].startswith("http://testserver/media/covers/")
    assert body["cover_thumbnail"].startswith("http://testserver/media/covers/thumbs/")
    cover = _api().get(body["cover"].removeprefix("http://testserver"))
    assert cover.status_code == 200
    cover.close()


def test_anonymous_create_is_401_with_a_message():
    response = _api().post("/api/projects/", {"title": "x"}, format="json")
    assert response.status_code == 401
    assert "Sign in" in response.json()["detail"]
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "ok", "remix_upstream_share": "1.01"}, "remix_upstream_share"),
        ({"title": "ok", "remix_upstream_share": "-0.5"}, "remix_upstream_share"),
        ({"title": "ok", "remix_upstream_share": "a lot"}, "remix_upstream_share"),
        ({"title": "ok", "remix_upstream_share": "1e400"}, "remix_upstream_share"),
        ({"title": "ok", "mediums": ["text", "smell"]}, "mediums"),
        ({"title": "ok", "status": "finished"}, "status"),
        ({"title": "ok", "brief": "x" * 20_001}, "brief"),
    ],
)
def test_create_refuses_bad_input_and_saves_nothing(user, body, field):
    response = _api(user).post("/api/projects/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    ("upload", "words"), [(text_upload, "text document"), (bomb_upload, "megapixels")]
)
def test_create_refuses_a_cover_that_is_not_an_image_or_a_bomb(user, upload, words):
    response = _api(user).post(
        "/api/projects/", {"title": "ok", "cover": upload()}, format="multipart"
    )
    assert response.status_code == 400
    assert words in response.json()["cover"][0]
    assert not Project.objects.exists()


def test_only_staff_create_with_a_contributor_share(user, staff):
    response = _api(user).post(
        "/api/projects/", {"title": "ok", "contributor_share": "0.9"}, format="json"
    )
    assert response.status_code == 403
    assert "Only staff" in response.json()["detail"]
    response = _api(staff).post(
        "/api/projects/", {"title": "ok", "contributor_share": "0.9"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["contributor_share"] == "0.9000"


# --- GET / PATCH /api/projects/{slug}/ ----------------------------------------------------


def test_anyone_reads_one_project_and_unknown_is_404():
    project = ProjectFactory()
    assert _api().get(f"/api/projects/{project.slug}/").json()["slug"] == project.slug
    assert _api().get("/api/projects/nope/").status_code == 404


def test_directors_patch_others_get_403_and_visitors_401():
    project = ProjectFactory(title="Before")
    url = f"/api/projects/{project.slug}/"
    response = _api().patch(url, {"title": "x"}, format="json")
    assert response.status_code == 401
    member = MembershipFactory(project=project).user
    response = _api(member).patch(url, {"title": "x"}, format="json")
    assert response.status_code == 403
    assert "directors" in response.json()["detail"]
    response = _api(project.created_by).patch(
        url, {"title": "After", "remix_upstream_share": "0.2", "status": "released"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["slug"], body["status"]) == ("After", project.slug, "released")
    assert body["remix_upstream_share"] == "0.2000"
    assert AuditEntry.objects.filter(action="project.remix_upstream_share").count() == 1


def test_contributor_share_is_staff_only_on_patch(staff):
    project = ProjectFactory()
    url = f"/api/projects/{project.slug}/"
    response = _api(project.created_by).patch(url, {"contributor_share": "0.5"}, format="json")
    assert response.status_code == 403
    assert "Only staff" in response.json()["detail"]
    response = _api(staff).patch(url, {"contributor_share": "0.65"}, format="json")
    assert response.status_code == 200
    assert response.json()["contributor_share"] == "0.6500"
    project.refresh_from_db()
    assert project.contributor_share == Decimal("0.65")
    assert AuditEntry.objects.get(action="project.contributor_share").actor == staff


@pytest.mark.parametrize(
    "body",
    [
        {"title": ""},
        {"remix_upstream_share": "2"},
        {"remix_upstream_share": "NaN"},
        {"mediums": ["taste"]},
        {"status": "gone"},
        {"brief": "x" * 20_001},
    ],
)
def test_patch_refuses_bad_input_and_changes_nothing(body):
    project = ProjectFactory(title="Before")
    response = _api(project.created_by).patch(f"/api/projects/{project.slug}/", body, format="json")
    assert response.status_code == 400
    assert set(body) <= set(response.json())
    project.refresh_from_db()
    assert (project.title, project.remix_upstream_share, project.status) == (
        "Before",
        Decimal("0.5"),
        "open",
    )


def test_patch_an_archived_project_changes_only_its_status():
    project = ProjectFactory(status="archived")
    url = f"/api/projects/{project.slug}/"
    api = _api(project.created_by)
    response = api.patch(url, {"title": "New"}, format="json")
    assert response.status_code == 409
    assert "archived" in response.json()["detail"]
    assert api.patch(url, {"status": "open"}, format="json").status_code == 200


def test_patch_a_cover_that_is_not_an_image_is_refused():
    project = ProjectFactory()
    response = _api(project.created_by).patch(
        f"/api/projects/{project.slug}/", {"cover": text_upload()}, format="multipart"
    )
    assert response.status_code == 400
    assert "cover" in response.json()
    project.refresh_from_db()
    assert not project.cover


# --- join / leave -------------------------------------------------------------------------


def test_join_201_then_200_and_leave_204(user):
    project = ProjectFactory()
    url = f"/api/projects/{project.slug}/join/"
    first = _api(user).post(url)
    assert first.status_code == 201
    assert first.json()["role"] == "member"
    assert first.json()["user"] == {"id": user.pk, "username": user.username}
    assert _api(user).post(url).status_code == 200
    assert Membership.objects.filter(project=project, user=user).count() == 1
    assert _api(user).delete(url).status_code == 204
    assert not Membership.objects.filter(project=project, user=user).exists()


def test_join_needs_a_sign_in_and_an_unarchived_project(user):
    project = ProjectFactory()
    response = _api().post(f"/api/projects/{project.slug}/join/")
    assert response.status_code == 401
    assert "Sign in" in response.json()["detail"]
    assert _api().delete(f"/api/projects/{project.slug}/join/").status_code == 401
    archived = ProjectFactory(status="archived")
    response = _api(user).post(f"/api/projects/{archived.slug}/join/")
    assert response.status_code == 409
    assert "archived" in response.json()["detail"]


def test_the_last_director_cannot_leave():
    project = ProjectFactory()
    response = _api(project.created_by).delete(f"/api/projects/{project.slug}/join/")
    assert response.status_code == 409
    assert "only director" in response.json()["detail"]
    assert project.memberships.filter(user=project.created_by).exists()


# --- directors ----------------------------------------------------------------------------


def test_directors_add_a_member_as_co_director():
    project = ProjectFactory()
    member = MembershipFactory(project=project).user
    url = f"/api/projects/{project.slug}/directors/"
    response = _api(project.created_by).post(url, {"user": member.pk}, format="json")
    assert response.status_code == 201
    assert response.json()["role"] == "director"
    assert _api(project.created_by).post(url, {"user": member.pk}, format="json").status_code == 200
    assert AuditEntry.objects.filter(action="project.director_add").count() == 1


def test_directors_endpoint_permissions_and_bad_input():
    project = ProjectFactory()
    member = MembershipFactory(project=project).user
    outsider = UserFactory()
    url = f"/api/projects/{project.slug}/directors/"
    assert _api().post(url, {"user": member.pk}, format="json").status_code == 401
    response = _api(member).post(url, {"user": member.pk}, format="json")
    assert response.status_code == 403
    assert "directors" in response.json()["detail"]
    director = _api(project.created_by)
    response = director.post(url, {"user": outsider.pk}, format="json")
    assert response.status_code == 400
    assert "not a member" in response.json()["user"][0]
    for bad in (2**70, "abc", None, 0):
        response = director.post(url, {"user": bad}, format="json")
        assert response.status_code == 400, bad
        assert "user" in response.json()
    assert project.memberships.filter(role="director").count() == 1


# --- calls --------------------------------------------------------------------------------


def test_anyone_lists_calls_open_first():
    project = ProjectFactory()
    closed = CallFactory(project=project, is_open=False)
    open_call = CallFactory(project=project, good_first=True)
    response = _api().get(f"/api/projects/{project.slug}/calls/")
    assert response.status_code == 200
    body = response.json()
    assert [c["id"] for c in body] == [open_call.pk, closed.pk]
    assert set(body[0]) == {
        "id",
        "project",
        "title",
        "description",
        "medium",
        "good_first",
        "open",
        "created_at",
        "updated_at",
    }
    assert (body[0]["open"], body[0]["good_first"], body[0]["project"]) == (
        True,
        True,
        project.slug,
    )


def test_directors_open_calls_others_cannot():
    project = ProjectFactory()
    url = f"/api/projects/{project.slug}/calls/"
    body = {"title": "A cello line", "description": "Slow.", "medium": "audio", "good_first": True}
    assert _api().post(url, body, format="json").status_code == 401
    response = _api(UserFactory()).post(url, body, format="json")
    assert response.status_code == 403
    assert "directors" in response.json()["detail"]
    response = _api(project.created_by).post(url, body, format="json")
    assert response.status_code == 201
    assert response.json()["open"] is True
    assert Call.objects.get().title == "A cello line"


@pytest.mark.parametrize(
    "body",
    [
        {"title": "", "medium": "audio"},
        {"title": "x", "medium": "smell"},
        {"title": "x"},
        {"title": "x", "medium": "text", "description": "d" * 5001},
    ],
)
def test_call_create_bad_input(body):
    project = ProjectFactory()
    response = _api(project.created_by).post(
        f"/api/projects/{project.slug}/calls/", body, format="json"
    )
    assert response.status_code == 400
    assert not Call.objects.exists()


def test_no_new_calls_on_an_archived_project():
    project = ProjectFactory(status="archived")
    response = _api(project.created_by).post(
        f"/api/projects/{project.slug}/calls/", {"title": "x", "medium": "text"}, format="json"
    )
    assert response.status_code == 409
    assert not Call.objects.exists()


def test_directors_close_and_reopen_a_call():
    call = CallFactory()
    url = f"/api/projects/{call.project.slug}/calls/{call.pk}/"
    api = _api(call.project.created_by)
    response = api.patch(url, {"open": False}, format="json")
    assert response.status_code == 200
    assert response.json()["open"] is False
    response = api.patch(url, {"open": True, "title": "Renamed", "good_first": True}, format="json")
    assert (response.json()["open"], response.json()["title"]) == (True, "Renamed")
    call.refresh_from_db()
    assert (call.is_open, call.title, call.good_first) == (True, "Renamed", True)


def test_call_patch_permissions_and_bad_ids():
    call = CallFactory()
    other = CallFactory()
    slug = call.project.slug
    assert (
        _api().patch(f"/api/projects/{slug}/calls/{call.pk}/", {"open": False}).status_code == 401
    )
    response = _api(UserFactory()).patch(
        f"/api/projects/{slug}/calls/{call.pk}/", {"open": False}, format="json"
    )
    assert response.status_code == 403
    director = _api(call.project.created_by)
    for bad_id in (2**70, other.pk, 0):
        response = director.patch(
            f"/api/projects/{slug}/calls/{bad_id}/", {"open": False}, format="json"
        )
        assert response.status_code == 404
        assert "call" in response.json()["detail"]
    response = director.patch(
        f"/api/projects/{slug}/calls/{call.pk}/", {"medium": "smell"}, format="json"
    )
    assert response.status_code == 400
    response = director.patch(
        f"/api/projects/{slug}/calls/{call.pk}/", {"open": "perhaps"}, format="json"
    )
    assert response.status_code == 400
    call.refresh_from_db()
    other.refresh_from_db()
    assert call.is_open
    assert other.is_open
    assert call.medium == "audio"


# --- schema -------------------------------------------------------------------------------


def test_every_projects_endpoint_is_in_the_schema_with_shapes(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    paths = schema["paths"]
    expected = {
        "/api/projects/": {"get", "post"},
        "/api/projects/{slug}/": {"get", "patch"},
        "/api/projects/{slug}/join/": {"post", "delete"},
        "/api/projects/{slug}/directors/": {"post"},
        "/api/projects/{slug}/calls/": {"get", "post"},
        "/api/projects/{slug}/calls/{call_id}/": {"patch"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    post = paths["/api/projects/"]["post"]
    assert {"application/json", "multipart/form-data"} <= set(post["requestBody"]["content"])
    assert "201" in post["responses"]
    params = {p["name"] for p in paths["/api/projects/"]["get"]["parameters"]}
    assert {"search", "medium", "status", "has_calls", "good_first", "ordering", "page"} <= params
    project = schema["components"]["schemas"]["Project"]["properties"]
    assert project["contributor_share"]["type"] == "string"
    assert "directors" in project
    assert "open_call_count" in project
