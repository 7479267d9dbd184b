from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image

from accounts.models import AuditEntry, User
from projects.models import Membership, Project
from tests.accounts.factories import SVG_BYTES, UserFactory, image_bytes, png_bomb_bytes


def media_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()}


def join(person: User, title: str, role: str = Membership.Role.MEMBER) -> Project:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    project = Project.objects.create(title=title, slug=slug, created_by=person)
    Membership.objects.create(project=project, user=person, role=role)
    return project


def profile_form(**changes):
    data = {"first_name": "Mira", "last_name": "Okafor", "bio": "Ink and gouache.", "mediums": []}
    data.update(changes)
    return data


@pytest.mark.django_db
def test_the_profile_shows_bio_mediums_and_projects(client):
    person = UserFactory(
        username="mira", first_name="Mira", last_name="Okafor", mediums=["image", "text"]
    )
    person.bio = "Illustrator.\nToo many sketchbooks."
    person.save()
    join(person, "The Lighthouse Keeper", Membership.Role.DIRECTOR)
    join(person, "Rain Songs")
    join(UserFactory(), "Not Hers")

    page = client.get("/u/MIRA/")  # any case
    assert page.status_code == 200
    html = page.content.decode()
    assert '<h1 id="profile-name">Mira Okafor</h1>' in html
    assert "@mira" in html
    assert "Illustrator.<br>Too many sketchbooks." in html
    assert '<span class="chip chip--medium-image">Image</span>' in html
    assert '<span class="chip chip--medium-text">Text</span>' in html
    assert 'href="/projects/the-lighthouse-keeper/">The Lighthouse Keeper</a>' in html
    assert "Director" in html
    assert "Rain Songs" in html
    assert "Not Hers" not in html
    assert "No contributions yet" in html
    assert "Edit your profile" not in html  # not hers to edit


@pytest.mark.django_db
def test_an_empty_profile_says_what_to_do(client):
    person = UserFactory(username="newcomer")
    owner = Client()
    owner.force_login(person)
    html = owner.get("/u/newcomer/").content.decode()
    assert "Not in any project yet." in html
    assert "Find a project to join" in html
    assert "Edit your profile" in html


@pytest.mark.django_db
def test_unknown_and_anonymised_people_have_no_profile(client):
    assert client.get("/u/nobody/").status_code == 404
    from accounts.services import user_anonymise

    person = UserFactory(username="gone")
    user_anonymise(user=person, by=person)
    assert client.get("/u/gone/").status_code == 404
    assert client.get(f"/u/former-member-{person.pk}/").status_code == 404


def _profile_queries(client: Client, username: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/u/{username}/")
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_profile_takes_the_same_queries_for_1_and_20_projects(client):
    person = UserFactory(username="busy")
    join(person, "Project 0")
    one = _profile_queries(client, "busy")
    for i in range(1, 20):
        join(person, f"Project {i}")
    twenty = _profile_queries(client, "busy")
    assert client.get("/u/busy/").content.decode().count('class="profile-project"') == 20
    assert one == twenty

    # Signed in (session, header counts) the count is also flat.
    signed_in = Client()
    signed_in.force_login(UserFactory())
    before = _profile_queries(signed_in, "busy")
    join(person, "Project 20")
    assert _profile_queries(signed_in, "busy") == before


# --- editing -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_editing_needs_sign_in(client):
    response = client.get("/me/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/me/profile/")


@pytest.mark.django_db
def test_editing_names_bio_and_mediums(user, user_client):
    page = user_client.get("/me/profile/")
    assert page.status_code == 200
    assert 'type="checkbox" name="mediums" value="audio"' in page.content.decode()
    response = user_client.post(
        "/me/profile/", profile_form(bio="Cellist.", mediums=["audio", "text"])
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.bio) == ("Mira", "Okafor", "Cellist.")
    assert user.mediums == ["text", "audio"]
    html = Client().get(f"/u/{user.username}/").content.decode()
    assert "Cellist." in html
    assert '<span class="chip chip--medium-audio">Audio</span>' in html


@pytest.mark.django_db
def test_a_bio_too_long_and_an_unknown_medium_are_errors_next_to_the_field(user, user_client):
    response = user_client.post("/me/profile/", profile_form(bio="x" * 2001, mediums=["dance"]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ensure this value has at most 2000 characters (it has 2001)." in html
    assert "Select a valid choice. dance is not one of the available choices." in html
    user.refresh_from_db()
    assert user.bio == "Makes things."


@pytest.mark.django_db
def test_uploading_an_avatar_stores_it_and_a_thumbnail(
    user, user_client, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("My Face.png", image_bytes((800, 600)), content_type="image/png")
    response = user_client.post("/me/profile/", profile_form(avatar=upload))
    assert response.status_code == 302
    user.refresh_from_db()
    # Stored under a generated name, not the uploaded one.
    assert re.fullmatch(r"avatars/[0-9a-f]{32}\.png", user.avatar.name)
    assert user.avatar_thumbnail.name.startswith("avatars/thumbs/")
    with user.avatar.open("rb") as original, Image.open(original) as image:
        assert image.size == (800, 600)
    with user.avatar_thumbnail.open("rb") as thumb, Image.open(thumb) as image:
        assert max(image.size) <= 192
        assert image.size[0] >= 150
    entry = AuditEntry.objects.get(action="user.profile_update", target_id=str(user.pk))
    assert entry.details == {"avatar": "replaced"}

    html = Client().get(f"/u/{user.username}/").content.decode()
    assert f'src="/media/{user.avatar_thumbnail.name}"' in html
    served = Client().get(f"/media/{user.avatar_thumbnail.name}")
    assert served.status_code == 200
    body = b"".join(served.streaming_content)  # consuming it closes the file properly
    with Image.open(BytesIO(body)) as image:
        assert image.size == (192, 144)

    # Replacing it removes the old files once saved; removing it clears both fields.
    old = [Path(user.avatar.path), Path(user.avatar_thumbnail.path)]
    again = SimpleUploadedFile("b.jpg", image_bytes((300, 300), "#123456", "JPEG"))
    with django_capture_on_commit_callbacks(execute=True):
        assert user_client.post("/me/profile/", profile_form(avatar=again)).status_code == 302
    user.refresh_from_db()
    assert user.avatar.name.endswith(".jpg")
    assert not any(p.exists() for p in old)
    current = [Path(user.avatar.path), Path(user.avatar_thumbnail.path)]
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post("/me/profile/", profile_form(remove_avatar="on"))
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.avatar
    assert not user.avatar_thumbnail
    assert not any(p.exists() for p in current)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("drawing.svg", SVG_BYTES, "image"),
        ("bomb.png", png_bomb_bytes(), "pixels"),
        ("notes.png", b"these are not the bytes of a picture" * 10, "image"),
    ],
    ids=["svg", "decompression-bomb", "not-an-image"],
)
def test_a_refused_avatar_is_an_error_next_to_the_field_and_nothing_is_saved(
    user, user_client, name, content, says
):
    before = media_files()
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    response = user_client.post("/me/profile/", profile_form(first_name="Changed", avatar=upload))
    assert response.status_code == 400
    html = response.content.decode()
    error = re.search(r'<p class="field__error" role="alert">([^<]+)</p>', html)
    assert error is not None
    assert says in error.group(1)
    # The error sits in the avatar field's block.
    avatar_block = html[html.index('for="id_avatar"') :]
    assert error.group(1) in avatar_block[: avatar_block.index("</div>")]
    user.refresh_from_db()
    assert user.first_name != "Changed"
    assert not user.avatar
    assert not user.avatar_thumbnail
    assert media_files() == before
    assert not AuditEntry.objects.filter(action="user.profile_update").exists()
