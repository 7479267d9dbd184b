"""The project pages as a person sees them: home, the list, a project, creating, editing."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import AuditEntry
from projects import services
from projects.models import Call, Membership, Project
from tests.accounts.factories import UserFactory
from tests.projects.factories import CallFactory, MembershipFactory, ProjectFactory
from tests.projects.images import bomb_upload, png_upload, text_upload

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


# --- home ---------------------------------------------------------------------------------


def test_home_says_what_this_is_and_shows_open_calls_by_medium_then_projects(client):
    project = ProjectFactory(title="Rain on Tin Roofs")
    CallFactory(project=project, title="Field recordings of rain", medium="audio", good_first=True)
    CallFactory(project=project, title="A closed call", is_open=False)
    html = client.get("/").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Make things together." in text
    assert "open studio" in text
    assert "Field recordings of rain" in text
    assert "A closed call" not in text
    assert text.index("Open calls") < text.index("Projects in progress")
    assert text.index("Field recordings of rain") < text.index("Projects in progress")
    assert 'id="calls-audio"' in html
    assert "Good first call" in text
    assert "Rain on Tin Roofs" in text
    assert "/contributions/new/?project=rain-on-tin-roofs&amp;call=" in html
    assert "Open calls that need your skills" not in text  # signed out


def test_home_shows_a_signed_in_artist_the_calls_in_their_mediums():
    artist = UserFactory(mediums=["audio"])
    project = ProjectFactory()
    CallFactory(project=project, title="A cello line", medium="audio")
    CallFactory(project=project, title="A storyboard", medium="image")
    html = _client(artist).get("/").content.decode()
    yours = html.split('id="your-calls"')[1].split("</section>")[0]
    assert "A cello line" in yours
    assert "A storyboard" not in yours


# --- list ---------------------------------------------------------------------------------


def test_list_searches_filters_and_pages(client):
    ProjectFactory(title="Storm Over Water", mediums=["audio"])
    for n in range(25):
        ProjectFactory(title=f"Quiet thing {n}", mediums=["image"])
    first = client.get("/projects/")
    assert first.status_code == 200
    assert "26 projects" in _text(first)
    assert first.content.decode().count('class="card project-card"') == 24
    second = client.get("/projects/?page=2")
    assert second.content.decode().count('class="card project-card"') == 2
    found = client.get("/projects/?search=storm")
    assert "Storm Over Water" in _text(found)
    assert "Quiet thing" not in _text(found)
    audio = client.get("/projects/?medium=audio")
    assert "1 project" in _text(audio)


def test_list_card_shows_directors_mediums_members_and_open_calls_but_no_likes(client):
    director = UserFactory(username="dana", first_name="Dana", last_name="Reyes")
    project = ProjectFactory(title="The Card", created_by=director, mediums=["text", "video"])
    MembershipFactory.create_batch(2, project=project)
    CallFactory(project=project)
    text = _text(client.get("/projects/"))
    assert "by Dana Reyes" in text
    assert "3 members" in text
    assert "1 open call" in text
    assert "Text" in text  # the medium chips, labelled as everywhere on the site
    assert "Video" in text
    assert "like" not in text.lower()
    assert "follower" not in text.lower()


@pytest.mark.parametrize(
    "query",
    ["medium=smell", "status=finished", "ordering=popular", "search=" + "x" * 300],
)
def test_list_refuses_unknown_filters_with_a_message(client, query):
    response = client.get(f"/projects/?{query}")
    assert response.status_code == 400
    assert "Select a valid choice" in _text(response) or "at most 200" in _text(response)


def test_list_survives_absurd_page_numbers(client):
    ProjectFactory(title="Only one")
    for page in ("99999999999999999999", "-1", "abc", "0"):
        response = client.get(f"/projects/?page={page}")
        assert response.status_code == 200
        assert "Only one" in _text(response)


# --- a project ----------------------------------------------------------------------------


def test_project_page_shows_brief_sanitised_people_calls_and_gallery(client):
    director = UserFactory(username="dana")
    member = UserFactory(username="mira")
    project = services.project_create(
        by=director,
        title="Paper Boats",
        brief="# Wishes\n\nFold a **boat**.\n\n"
        "<script>alert('x')</script><img src=x onerror=alert(1)>",
        mediums=["image"],
    )
    services.project_join(project=project, user=member)
    open_call = services.call_create(
        project=project, by=director, title="Watercolour boats", medium="image", good_first=True
    )
    closed = services.call_create(project=project, by=director, title="Old ask", medium="text")
    services.call_update(call=closed, by=director, is_open=False)

    response = client.get(f"/projects/{project.slug}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>boat</strong>" in html
    assert "<script>alert" not in html
    assert "onerror" not in html
    assert "Directed by" in _text(response)
    assert "dana" in html
    assert "mira" in html
    assert "Watercolour boats" in html
    assert "Old ask" not in html
    assert f"/contributions/new/?project=paper-boats&amp;call={open_call.pk}" in html
    assert "Answer this call" in html
    assert "No contributions yet" in html  # the gallery's empty state
    assert "Sign in to join" in html


def test_join_and_leave_through_the_page():
    project = ProjectFactory()
    artist = UserFactory()
    client = _client(artist)
    page = client.get(f"/projects/{project.slug}/").content.decode()
    assert f'action="/projects/{project.slug}/join/"' in page
    response = client.post(f"/projects/{project.slug}/join/", follow=True)
    assert "You are a member." in _text(response)
    assert Membership.objects.filter(project=project, user=artist).exists()
    response = client.post(f"/projects/{project.slug}/leave/", follow=True)
    assert "Join project" in _text(response)
    assert not Membership.objects.filter(project=project, user=artist).exists()


def test_the_last_director_cannot_leave_and_is_told_why():
    project = ProjectFactory()
    response = _client(project.created_by).post(f"/projects/{project.slug}/leave/")
    assert response.status_code == 409
    assert "only director" in _text(response)
    assert project.memberships.filter(role="director").exists()


def test_joining_needs_a_sign_in_and_a_post(client):
    project = ProjectFactory()
    response = client.post(f"/projects/{project.slug}/join/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert _client(UserFactory()).get(f"/projects/{project.slug}/join/").status_code == 405
    assert project.memberships.count() == 1


def test_archived_project_page_says_read_only_and_refuses_joins():
    project = ProjectFactory(status="archived")
    client = _client(UserFactory())
    assert "archived: it is read-only" in _text(client.get(f"/projects/{project.slug}/"))
    response = client.post(f"/projects/{project.slug}/join/")
    assert response.status_code == 409
    assert "archived" in _text(response)


def test_unknown_project_is_404(client):
    assert client.get("/projects/nothing-here/").status_code == 404


# --- creating -----------------------------------------------------------------------------


def test_new_project_page_needs_a_sign_in(client):
    response = client.get("/projects/new/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_create_a_project_with_a_cover_through_the_form():
    artist = UserFactory()
    client = _client(artist)
    form = client.get("/projects/new/").content.decode()
    assert 'name="contributor_share"' not in form  # staff only
    response = client.post(
        "/projects/new/",
        {
            "title": "Songs for Slow Trains",
            "brief": "A *folk* cycle.",
            "mediums": ["audio", "text"],
            "status": "open",
            "remix_upstream_share": "0.4",
            "cover": png_upload(),
        },
    )
    project = Project.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{project.slug}/"
    assert project.slug == "songs-for-slow-trains"
    assert project.mediums == ["text", "audio"]
    assert project.remix_upstream_share == Decimal("0.4")
    assert project.cover
    assert project.cover_thumbnail
    page = client.get(response["Location"]).content.decode()
    assert project.cover.url in page
    assert "You direct this project." in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "This field is required."),
        ({"remix_upstream_share": "1.5"}, "less than or equal to 1"),
        ({"remix_upstream_share": "-1"}, "greater than or equal to 0"),
        ({"remix_upstream_share": "lots"}, "Enter a number."),
        ({"mediums": ["smell"]}, "Select a valid choice"),
        ({"status": "finished"}, "Select a valid choice"),
        ({"brief": "x" * 20_001}, "at most 20000 characters"),
        ({"cover": "text"}, "text document"),
        ({"cover": "bomb"}, "megapixels"),
    ],
)
def test_create_form_errors_say_what_to_fix_and_save_nothing(fields, message):
    client = _client(UserFactory())
    data = {"title": "Fine", "status": "open", "remix_upstream_share": "0.5", **fields}
    if data.get("cover") == "text":
        data["cover"] = text_upload()
    elif data.get("cover") == "bomb":
        data["cover"] = bomb_upload()
    response = client.post("/projects/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Project.objects.exists()


def test_staff_set_the_contributor_share_in_the_form(staff_client):
    response = staff_client.post(
        "/projects/new/",
        {
            "title": "House",
            "status": "open",
            "remix_upstream_share": "0.5",
            "contributor_share": "0.8",
        },
    )
    assert response.status_code == 302
    assert Project.objects.get().contributor_share == Decimal("0.8")


# --- editing, calls and directors ---------------------------------------------------------


def test_only_directors_reach_the_edit_page():
    project = ProjectFactory()
    assert _client(project.created_by).get(f"/projects/{project.slug}/edit/").status_code == 200
    response = _client(UserFactory()).get(f"/projects/{project.slug}/edit/")
    assert response.status_code == 403
    assert "Only this project's directors" in _text(response)
    assert Client().get(f"/projects/{project.slug}/edit/").status_code == 302


def test_director_edits_but_cannot_touch_the_contributor_share():
    project = ProjectFactory(title="Before")
    client = _client(project.created_by)
    page = client.get(f"/projects/{project.slug}/edit/").content.decode()
    assert 'name="remix_upstream_share"' in page
    assert 'name="contributor_share"' not in page
    response = client.post(
        f"/projects/{project.slug}/edit/",
        {
            "title": "After",
            "brief": "new",
            "status": "in_production",
            "remix_upstream_share": "0.3",
            "contributor_share": "0.9",  # ignored: not in a director's form
        },
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.title, project.slug, project.status) == ("After", project.slug, "in_production")
    assert project.remix_upstream_share == Decimal("0.3")
    assert project.contributor_share == Decimal("0.5")
    assert AuditEntry.objects.filter(action="project.remix_upstream_share").exists()


def test_edit_errors_show_and_change_nothing():
    project = ProjectFactory(title="Before")
    response = _client(project.created_by).post(
        f"/projects/{project.slug}/edit/",
        {"title": "After", "status": "open", "remix_upstream_share": "2"},
    )
    assert response.status_code == 400
    assert "less than or equal to 1" in response.content.decode()
    project.refresh_from_db()
    assert project.title == "Before"


def test_archived_edit_offers_only_the_status():
    project = ProjectFactory(status="archived", title="Done")
    client = _client(project.created_by)
    page = client.get(f"/projects/{project.slug}/edit/").content.decode()
    assert 'name="title"' not in page
    assert 'name="status"' in page
    response = client.post(f"/projects/{project.slug}/edit/", {"status": "open", "title": "X"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.status, project.title) == ("open", "Done")


def test_directors_open_close_and_reopen_calls_on_the_edit_page():
    project = ProjectFactory()
    client = _client(project.created_by)
    response = client.post(
        f"/projects/{project.slug}/calls/",
        {"call-title": "A cello line", "call-medium": "audio", "call-good_first": "on"},
    )
    assert response.status_code == 302
    call = Call.objects.get()
    assert (call.title, call.medium, call.good_first, call.is_open) == (
        "A cello line",
        "audio",
        True,
        True,
    )
    client.post(f"/projects/{project.slug}/calls/{call.pk}/open/", {"open": "0"})
    call.refresh_from_db()
    assert call.is_open is False
    page = client.get(f"/projects/{project.slug}/edit/").content.decode()
    assert "Reopen this call" in page
    client.post(f"/projects/{project.slug}/calls/{call.pk}/open/", {"open": "1"})
    call.refresh_from_db()
    assert call.is_open is True


def test_call_form_errors_and_strangers_are_refused():
    project = ProjectFactory()
    response = _client(project.created_by).post(
        f"/projects/{project.slug}/calls/", {"call-title": "", "call-medium": "smell"}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Call.objects.exists()
    call = CallFactory(project=project)
    stranger = _client(UserFactory())
    assert stranger.post(f"/projects/{project.slug}/calls/", {"call-title": "x"}).status_code == 403
    assert (
        stranger.post(f"/projects/{project.slug}/calls/{call.pk}/open/", {"open": "0"}).status_code
        == 403
    )
    huge = _client(project.created_by).post(
        f"/projects/{project.slug}/calls/{2**70}/open/", {"open": "0"}
    )
    assert huge.status_code == 404
    call.refresh_from_db()
    assert call.is_open is True


def test_directors_add_a_co_director_from_the_members():
    project = ProjectFactory()
    member = MembershipFactory(project=project).user
    client = _client(project.created_by)
    page = client.get(f"/projects/{project.slug}/edit/").content.decode()
    assert member.username in page.split('id="directors-manage"')[1]
    for bad in (str(2**70), str(UserFactory().pk), "abc"):
        response = client.post(f"/projects/{project.slug}/directors/", {"director-user": bad})
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()
    response = client.post(f"/projects/{project.slug}/directors/", {"director-user": member.pk})
    assert response.status_code == 302
    assert Membership.objects.get(project=project, user=member).role == "director"
    assert AuditEntry.objects.filter(action="project.director_add").count() == 1
