"""Rough edges a new director met in the demo (issue 11): leaving as the only director, the
member count beside the member list, a call's medium, and editing a call once it is open."""

from __future__ import annotations

import html
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from projects import services
from projects.models import Call, Membership, Project
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory
from tests.projects.factories import CallFactory, MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def _people(response) -> str:
    """The page's "People" column, as text."""
    aside = response.content.decode().split('id="people"')[1].split("</aside>")[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", aside)))


# --- 1. a sole director is not offered "Leave project" ------------------------------------


def test_a_sole_director_is_told_why_they_cannot_leave_and_where_to_appoint_another():
    project = ProjectFactory()
    response = _client(project.created_by).get(f"/projects/{project.slug}/")
    page = response.content.decode()
    assert "Leave project" not in page
    assert f'action="/projects/{project.slug}/leave/"' not in page
    assert "You are its only director, so you cannot leave yet" in _text(response)
    link = f'href="/projects/{project.slug}/edit/#directors-manage"'
    assert link in page
    # The link leads to the place where a member is made co-director.
    member = MembershipFactory(project=project).user
    edit = _client(project.created_by).get(f"/projects/{project.slug}/edit/").content.decode()
    assert member.username in edit.split('id="directors-manage"')[1]


def test_with_a_co_director_each_director_may_leave_and_members_always_may():
    project = ProjectFactory()
    co = MembershipFactory(project=project, role=Membership.Role.DIRECTOR).user
    member = MembershipFactory(project=project).user
    for person in (project.created_by, co, member):
        page = _client(person).get(f"/projects/{project.slug}/").content.decode()
        assert "Leave project" in page
        assert "cannot leave yet" not in page
    response = _client(co).post(f"/projects/{project.slug}/leave/", follow=True)
    assert f"You left {project.title}." in _text(response)
    # Now the creator is the only director again and loses the button.
    page = _client(project.created_by).get(f"/projects/{project.slug}/").content.decode()
    assert "Leave project" not in page


# --- 2. the member count and the member list agree ----------------------------------------


def test_a_new_project_counts_its_creator_and_lists_them_as_its_director():
    creator = UserFactory(first_name="Dana", last_name="Reyes")
    client = _client(creator)
    response = client.post(
        "/projects/new/", {"title": "Paper Boats", "status": "open", "remix_upstream_share": "0.5"}
    )
    assert response.status_code == 302
    project = Project.objects.get(title="Paper Boats")
    response = client.get(f"/projects/{project.slug}/")
    text = _text(response)
    assert "1 member · 0 open calls" in text
    people = _people(response)
    assert "1 member" in people
    assert "Dana Reyes Director" in people
    assert "No members yet" not in text
    assert "No one else has joined yet" in people
    # A visitor sees the same count and the same list.
    visitor = Client().get(f"/projects/{project.slug}/")
    assert "1 member" in _people(visitor)
    assert "Dana Reyes Director" in _people(visitor)
    assert "Join and be the first" in _people(visitor)


def test_the_list_grows_with_the_count_directors_first():
    director = UserFactory(first_name="Dana", last_name="Reyes")
    project = ProjectFactory(created_by=director)
    artist = UserFactory(first_name="Mira", last_name="Okafor")
    services.project_join(project=project, user=artist)
    response = Client().get(f"/projects/{project.slug}/")
    assert "2 members ·" in _text(response)
    people = _people(response)
    assert "2 members" in people
    assert people.index("Dana Reyes Director") < people.index("Mira Okafor")
    assert "Mira Okafor Director" not in people
    assert "No one else has joined yet" not in people


# --- 3. a call's medium: a real placeholder and a clear error ------------------------------


def test_the_call_medium_starts_at_choose_a_medium_and_forgetting_it_says_so():
    project = ProjectFactory()
    client = _client(project.created_by)
    page = client.get(f"/projects/{project.slug}/edit/").content.decode()
    select = page.split('name="call-medium"')[1].split("</select>")[0]
    assert "---------" not in page
    first = re.findall(r"<option[^>]*>([^<]*)</option>", select)[0]
    assert first == "Choose a medium"
    assert re.search(r'<option value="" selected>Choose a medium</option>', select)
    response = client.post(
        f"/projects/{project.slug}/calls/", {"call-title": "A cello line", "call-medium": ""}
    )
    assert response.status_code == 400
    assert "Choose the medium this call asks for: text, image, audio or video." in _text(response)
    assert not Call.objects.exists()
    response = client.post(
        f"/projects/{project.slug}/calls/", {"call-title": "A cello line", "call-medium": "audio"}
    )
    assert response.status_code == 302
    assert Call.objects.get().medium == "audio"


# --- 4. editing an open call --------------------------------------------------------------


def test_a_director_edits_an_open_calls_title_and_description():
    project = ProjectFactory()
    call = CallFactory(project=project, title="A cello", description="Short.", medium="audio")
    client = _client(project.created_by)
    edit = client.get(f"/projects/{project.slug}/edit/").content.decode()
    assert f'href="/projects/{project.slug}/calls/{call.pk}/edit/"' in edit
    form = client.get(f"/projects/{project.slug}/calls/{call.pk}/edit/")
    assert form.status_code == 200
    assert 'value="A cello"' in form.content.decode()
    response = client.post(
        f"/projects/{project.slug}/calls/{call.pk}/edit/",
        {
            "title": "A cello line for the storm",
            "description": "Two minutes, slow.",
            "medium": "audio",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/projects/{project.slug}/edit/#call-{call.pk}"
    assert "Saved “A cello line for the storm”." in _text(response)
    call.refresh_from_db()
    assert (call.title, call.description, call.is_open) == (
        "A cello line for the storm",
        "Two minutes, slow.",
        True,
    )
    shown = _text(Client().get(f"/projects/{project.slug}/"))
    assert "A cello line for the storm" in shown
    assert "Two minutes, slow." in shown


def test_the_medium_changes_until_a_contribution_answers_then_it_is_fixed():
    project = ProjectFactory()
    call = CallFactory(project=project, medium="audio")
    client = _client(project.created_by)
    url = f"/projects/{project.slug}/calls/{call.pk}/edit/"
    client.post(url, {"title": call.title, "medium": "image"})
    call.refresh_from_db()
    assert call.medium == "image"

    ContributionFactory(project=project, call=call)
    page = client.get(url)
    select = re.search(r'<select name="medium"[^>]*>', page.content.decode())
    assert select is not None
    assert " disabled" in select.group(0)
    assert "Contributions answered this call, so its medium stays as it is" in _text(page)
    # A hand-made POST cannot change it either; the text still changes.
    response = client.post(url, {"title": "Storyboard, frame two", "medium": "video"})
    assert response.status_code == 302
    call.refresh_from_db()
    assert (call.title, call.medium) == ("Storyboard, frame two", "image")
    # The service refuses too, with the reason on the field.
    with pytest.raises(ValidationError) as refused:
        services.call_update(call=call, by=project.created_by, medium="video")
    assert refused.value.message_dict == {
        "medium": [
            "Contributions already answered this call, so its medium stays image; open a "
            "new call for another medium."
        ]
    }


def test_only_directors_edit_calls_and_bad_input_is_shown_next_to_the_field():
    project = ProjectFactory()
    call = CallFactory(project=project, title="A cello line")
    url = f"/projects/{project.slug}/calls/{call.pk}/edit/"
    member = MembershipFactory(project=project).user
    assert _client(member).get(url).status_code == 403
    assert _client(member).post(url, {"title": "Mine now", "medium": "audio"}).status_code == 403
    assert Client().get(url).status_code == 302  # to the sign-in page
    other = CallFactory()
    assert (
        _client(project.created_by)
        .get(f"/projects/{project.slug}/calls/{other.pk}/edit/")
        .status_code
        == 404
    )
    response = _client(project.created_by).post(url, {"title": "  ", "medium": "audio"})
    assert response.status_code == 400
    assert "Say what the call asks for" in _text(response)
    call.refresh_from_db()
    assert call.title == "A cello line"


def test_an_archived_projects_calls_are_not_edited():
    project = ProjectFactory(status=Project.Status.ARCHIVED)
    call = CallFactory(project=project, title="Old ask")
    client = _client(project.created_by)
    url = f"/projects/{project.slug}/calls/{call.pk}/edit/"
    edit = client.get(f"/projects/{project.slug}/edit/").content.decode()
    assert url not in edit
    assert "archived and read-only" in _text(client.get(url))
    response = client.post(url, {"title": "New ask", "medium": "audio"})
    assert response.status_code == 409
    call.refresh_from_db()
    assert call.title == "Old ask"
