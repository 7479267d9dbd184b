"""Who sees what of a contribution, for every read, on the pages and the API alike.

The matrix: six roles (anonymous, an artist signed in but not a member, a member of the
project, the contribution's author, the project's director, staff) x five states (ready,
processing, rejected, withdrawn, taken down). Unfinished work (processing, rejected) is
seen only by its author and staff; everyone else gets 404 from every read, its files
included, and lists leave it out. Withdrawn and taken-down work keep their page; lists
leave them out; taken-down work shows no media, text or description.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from accounts.models import User
from contributions.models import Comment, Contribution, Source
from projects.models import Project
from tests import media_samples as samples
from tests.accounts.factories import UserFactory
from tests.contributions.conftest import join, make_project
from tests.contributions.factories import ContributionFactory

ROLES = ("anonymous", "artist", "member", "author", "director", "staff")
STATES = ("ready", "processing", "rejected", "withdrawn", "removed")
# Who may open the contribution itself (page, API detail, lineage, comments).
SEES = {
    "ready": set(ROLES),
    "processing": {"author", "staff"},
    "rejected": {"author", "staff"},
    "withdrawn": set(ROLES),
    "removed": set(ROLES),
}
# Who may fetch its stored file and thumbnail.
FETCHES = {**SEES, "removed": {"staff"}}
SECRET_REASON = "Your file ended early at byte 1234"
DESCRIPTION = "Shot on the roof at dawn"


@dataclass
class World:
    project: Project
    people: dict[str, User | None]
    contribution: Contribution

    def client(self, role: str) -> Client:
        client = Client()
        person = self.people[role]
        if person is not None:
            client.force_login(person)
        return client


def _stored(folder: str, data: bytes, suffix: str) -> str:
    return default_storage.save(f"{folder}/access{suffix}", ContentFile(data))


def _contribution(*, project: Project, author: User, state: str, **fields) -> Contribution:
    values: dict = {
        "kind": Contribution.Kind.IMAGE,
        "text": "",
        "text_html": "",
        "description": DESCRIPTION,
        "file": _stored("contributions", samples.png_bytes(), ".png"),
        "thumbnail": _stored("contributions/thumbs", samples.jpeg_bytes(), ".jpg"),
        "status": Contribution.Status.READY,
        **fields,
    }
    if state == "processing":
        values["status"] = Contribution.Status.PROCESSING
    elif state == "rejected":
        values.update(status=Contribution.Status.REJECTED, rejection_reason=SECRET_REASON)
    elif state == "withdrawn":
        values.update(withdrawn=True, withdrawn_at=timezone.now())
    elif state == "removed":
        # As a take-down leaves it, with the stored files not yet gone (deleted on commit;
        # a store that failed to delete them must still not serve them).
        values.update(removed=True, removed_at=timezone.now(), removed_reason="Rights complaint")
    return ContributionFactory(project=project, author=author, **values)


def _world(state: str, **fields) -> World:
    director = UserFactory(username="thedirector")
    project = make_project(director=director, title="Rooftops", slug="rooftops")
    author = UserFactory(username="theauthor")
    member = UserFactory(username="themember")
    join(project, author)
    join(project, member)
    people: dict[str, User | None] = {
        "anonymous": None,
        "artist": UserFactory(username="theartist"),
        "member": member,
        "author": author,
        "director": director,
        "staff": UserFactory(username="thestaff", is_staff=True),
    }
    contribution = _contribution(
        project=project, author=author, state=state, title="Dawn over rooftops", **fields
    )
    Comment.objects.create(contribution=contribution, author=member, body="Lovely light")
    return World(project=project, people=people, contribution=contribution)


READS = {
    "page": "/contributions/{pk}/",
    "api detail": "/api/contributions/{pk}/",
    "api lineage": "/api/contributions/{pk}/lineage/",
    "api comments": "/api/contributions/{pk}/comments/",
}


@pytest.mark.django_db
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("read", list(READS))
def test_every_read_of_one_contribution_answers_by_role_and_state(read, role, state):
    world = _world(state)
    response = world.client(role).get(READS[read].format(pk=world.contribution.pk))
    expected = 200 if role in SEES[state] else 404
    assert response.status_code == expected, (read, role, state)
    if expected == 404:
        assert b"Dawn over rooftops" not in response.content
        assert SECRET_REASON.encode() not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("field", ["file", "thumbnail"])
def test_stored_files_are_served_only_to_who_may_see_them(field, role, state):
    world = _world(state)
    name = getattr(world.contribution, field).name
    response = world.client(role).get(f"/media/{name}")
    expected = 200 if role in FETCHES[state] else 404
    assert response.status_code == expected, (field, role, state)
    if expected == 200:
        public = state in {"ready", "withdrawn"}
        assert response["Cache-Control"].startswith("public" if public else "private")
        b"".join(response.streaming_content)  # closes the file, keeps the db connection


@pytest.mark.django_db
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_lists_show_only_ready_work_to_everyone(role, state):
    world = _world(state)
    client = world.client(role)
    listed = client.get("/api/contributions/?project=rooftops").json()["results"]
    by_author = client.get(f"/api/contributions/?author={world.people['author'].pk}").json()
    in_lists = state == "ready"
    assert (world.contribution.pk in [c["id"] for c in listed]) is in_lists
    assert (world.contribution.pk in [c["id"] for c in by_author["results"]]) is in_lists
    for page in ("/projects/rooftops/", "/u/theauthor/"):
        html = client.get(page).content.decode()
        assert ("Dawn over rooftops" in html) is in_lists, (page, role, state)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_rejection_reason_is_for_its_author_and_staff_only(role):
    # Even on work everyone may see (a reason left from an earlier state, say).
    world = _world("ready", rejection_reason=SECRET_REASON)
    client = world.client(role)
    body = client.get(f"/api/contributions/{world.contribution.pk}/").json()
    listed = client.get("/api/contributions/?project=rooftops").json()["results"][0]
    expected = SECRET_REASON if role in {"author", "staff"} else ""
    assert body["rejection_reason"] == expected
    assert listed["rejection_reason"] == expected


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["author", "staff"])
def test_the_author_and_staff_see_the_reason_of_rejected_work(role):
    world = _world("rejected")
    client = world.client(role)
    body = client.get(f"/api/contributions/{world.contribution.pk}/").json()
    assert body["rejection_reason"] == SECRET_REASON
    page = client.get(f"/contributions/{world.contribution.pk}/").content.decode()
    assert SECRET_REASON in page


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_taken_down_work_keeps_its_page_but_shows_no_media_text_or_description(role):
    world = _world("removed")
    client = world.client(role)
    page = client.get(f"/contributions/{world.contribution.pk}/").content.decode()
    assert "taken down" in page
    assert world.contribution.file.name not in page
    assert world.contribution.thumbnail.name not in page
    assert DESCRIPTION not in page
    body = client.get(f"/api/contributions/{world.contribution.pk}/").json()
    assert body["removed"] is True
    assert body["file_url"] is None
    assert body["thumbnail_url"] is None
    assert body["description"] == body["text"] == body["text_html"] == ""


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_withdrawn_work_keeps_its_page_and_says_so(role):
    world = _world("withdrawn")
    page = world.client(role).get(f"/contributions/{world.contribution.pk}/").content.decode()
    assert "Withdrawn by its author" in page


# --- unfinished work inside someone else's lineage --------------------------------------


def _source_with_unfinished_remix(state: str) -> tuple[World, Contribution]:
    """A ready source by the director, remixed by the author into work in ``state``."""
    world = _world(state)
    source = _contribution(
        project=world.project,
        author=world.people["director"],
        state="ready",
        title="The original sketch",
    )
    Source.objects.create(contribution=world.contribution, source=source)
    return world, source


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["processing", "rejected"])
@pytest.mark.parametrize("role", ROLES)
def test_unfinished_remixes_are_left_out_of_the_sources_lineage(role, state):
    world, source = _source_with_unfinished_remix(state)
    client = world.client(role)
    sees = role in SEES[state]
    lineage = client.get(f"/api/contributions/{source.pk}/lineage/").json()
    assert ([n["id"] for n in lineage["descendants"]] == [world.contribution.pk]) is sees
    if not sees:
        assert lineage["descendants"] == []
    page = client.get(f"/contributions/{source.pk}/").content.decode()
    assert ("Dawn over rooftops" in page) is sees, (role, state)
    card = client.get("/api/contributions/?project=rooftops").json()["results"][0]
    assert card["id"] == source.pk
    assert card["remix_count"] == 0  # nobody is told about a remix not ready yet


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["withdrawn", "removed"])
def test_withdrawn_and_removed_remixes_stay_in_the_lineage_for_everyone(state):
    world, source = _source_with_unfinished_remix(state)
    lineage = Client().get(f"/api/contributions/{source.pk}/lineage/").json()
    (node,) = lineage["descendants"]
    assert node["id"] == world.contribution.pk
    assert node[state] is True


# --- acting on a contribution -------------------------------------------------------------

# What each signed-in role gets when acting as the author: 404 when they may not see the
# contribution, 403 when they may see it but are not its author.


def _author_only(role: str, state: str) -> int:
    if role not in SEES[state]:
        return 404
    return 0 if role == "author" else 403


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["ready", "processing", "rejected"])
@pytest.mark.parametrize("role", ROLES)
def test_withdraw_through_the_api_and_the_page(role, state):
    world = _world(state)
    pk = world.contribution.pk
    api = world.client(role).post(f"/api/contributions/{pk}/withdraw/")
    page = world.client(role).post(f"/contributions/{pk}/withdraw/")
    if role == "anonymous":
        assert api.status_code == 401
        assert page.status_code == 302
        assert page["Location"].startswith("/accounts/login/")
    else:
        expected = _author_only(role, state)
        assert api.status_code == (expected or 200), (role, state)
        assert page.status_code == (expected or 302), (role, state)
    world.contribution.refresh_from_db()
    assert world.contribution.withdrawn is (role == "author")


@pytest.mark.django_db
@pytest.mark.parametrize("via", ["api", "page"])
@pytest.mark.parametrize("state", ["ready", "processing", "rejected"])
@pytest.mark.parametrize("role", ROLES)
def test_delete_through_the_api_and_the_page(role, state, via):
    world = _world(state)
    pk = world.contribution.pk
    client = world.client(role)
    if via == "api":
        response = client.delete(f"/api/contributions/{pk}/")
        deleted_code = 204
    else:
        response = client.post(f"/contributions/{pk}/delete/")
        deleted_code = 302
    if role == "anonymous":
        assert response.status_code == (401 if via == "api" else 302)
    else:
        expected = _author_only(role, state)
        assert response.status_code == (expected or deleted_code), (role, state, via)
    assert Contribution.objects.filter(pk=pk).exists() is (role != "author")


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["ready", "processing", "rejected", "withdrawn"])
@pytest.mark.parametrize("role", ROLES)
def test_comment_through_the_api_and_the_page(role, state):
    world = _world(state)
    pk = world.contribution.pk
    client = world.client(role)
    api = client.post(
        f"/api/contributions/{pk}/comments/", {"body": "API"}, content_type="application/json"
    )
    page = client.post(f"/contributions/{pk}/comments/", {"body": "Page"})
    if role == "anonymous":
        assert api.status_code == 401
        assert page.status_code == 302
        assert page["Location"].startswith("/accounts/login/")
        assert Comment.objects.filter(contribution_id=pk).count() == 1
    elif role in SEES[state]:
        assert api.status_code == 201
        assert page.status_code == 302
        assert set(Comment.objects.filter(contribution_id=pk).values_list("body", flat=True)) == {
            "Lovely light",
            "API",
            "Page",
        }
    else:
        assert api.status_code == 404
        assert page.status_code == 404
        assert Comment.objects.filter(contribution_id=pk).count() == 1


# --- a taken-down contribution cannot be deleted to hide the record ---------------------


@pytest.mark.django_db
def test_the_author_cannot_delete_taken_down_work_through_the_api():
    world = _world("removed")
    response = world.client("author").delete(f"/api/contributions/{world.contribution.pk}/")
    assert response.status_code == 409
    assert "taken down" in response.json()["detail"]
    assert Contribution.objects.filter(pk=world.contribution.pk, removed=True).exists()


@pytest.mark.django_db
def test_the_author_cannot_delete_taken_down_work_from_the_page():
    world = _world("removed")
    client = world.client("author")
    response = client.post(f"/contributions/{world.contribution.pk}/delete/", follow=True)
    assert response.redirect_chain[0][1] == 303
    page = response.content.decode()
    assert "taken down by staff" in page
    assert "cannot be deleted" in page
    assert Contribution.objects.filter(pk=world.contribution.pk, removed=True).exists()


@pytest.mark.django_db
def test_the_page_of_taken_down_work_offers_its_author_no_delete_button():
    world = _world("removed")
    page = world.client("author").get(f"/contributions/{world.contribution.pk}/")
    assert f"/contributions/{world.contribution.pk}/delete/" not in page.content.decode()


# --- ids that cannot exist ------------------------------------------------------------------


HUGE = "99999999999999999999"


@pytest.mark.django_db
@pytest.mark.parametrize("path", list(READS.values()))
def test_reading_an_id_too_large_for_the_database_is_a_404(path):
    staff = Client()
    staff.force_login(UserFactory(is_staff=True))
    assert staff.get(path.format(pk=HUGE)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/contributions/{pk}/withdraw/",
        "/contributions/{pk}/delete/",
        "/contributions/{pk}/comments/",
        "/api/contributions/{pk}/withdraw/",
        "/api/contributions/{pk}/comments/",
    ],
)
def test_acting_on_an_id_too_large_for_the_database_is_a_404(path):
    client = Client()
    client.force_login(UserFactory())
    assert client.post(path.format(pk=HUGE), {"body": "hi"}).status_code == 404


@pytest.mark.django_db
def test_remix_form_does_not_prefill_or_reveal_unfinished_work(client):
    from tests.accounts.factories import UserFactory
    from tests.contributions.factories import ContributionFactory

    hidden = ContributionFactory(status="processing", title="Secret unfinished song")
    visible = ContributionFactory(title="Open song")
    client.force_login(UserFactory())
    response = client.get(f"/contributions/new/?remix={hidden.pk},{visible.pk}")
    html = response.content.decode()
    assert "Secret unfinished song" not in html
    assert "Open song" in html
