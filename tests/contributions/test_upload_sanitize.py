"""What an uploader sends is not what the world downloads: the served original has no GPS,
camera or XMP, nothing after its end, the same pixels and the right orientation; and an
image too big to decode is refused from its header, on the API and on the page."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable

import av
import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image, ImageFile

from accounts.services import user_profile_update
from contributions.models import Contribution
from projects.services import project_create
from tests import media_samples as plain
from tests import sanitize_samples as samples
from tests.accounts.factories import UserFactory
from tests.contributions.conftest import s3_keys, stored_files

DIRTY: list[tuple[str, Callable[[], bytes], str, int]] = [
    ("photo.jpg", samples.phone_jpeg, "image/jpeg", 6),
    ("shot.png", samples.phone_png, "image/png", 8),
    ("still.webp", samples.phone_webp, "image/webp", 3),
    ("loop.gif", samples.commented_gif, "image/gif", 1),
]


def _post(client: Client, project, **fields):
    data = {"project": project.slug, "title": "My part", "terms_accepted": "true", **fields}
    return client.post("/api/contributions/", data)


def _served(url: str) -> bytes:
    response = Client().get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


def assert_clean(served: bytes, uploaded: bytes, orientation: int) -> None:
    for secret in samples.SECRETS:
        assert secret not in served
    with Image.open(io.BytesIO(served)) as im:
        exif = im.getexif()
    assert exif.get_ifd(0x8825) == {}  # GPS
    assert 0x010F not in exif
    assert 0x0110 not in exif
    assert exif.get(0x0112, 1) == orientation
    pixels = samples.frames_pixels(served)
    assert pixels == samples.frames_pixels(uploaded)[: len(pixels)]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "make", "content_type", "orientation"), DIRTY)
def test_the_served_original_is_clean_and_shows_the_same_picture(
    member_client,
    project,
    django_capture_on_commit_callbacks,
    name,
    make,
    content_type,
    orientation,
):
    data = make()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(member_client, project, kind="image", file=plain.uploaded(name, data))
    assert response.status_code == 201, response.content
    contribution = Contribution.objects.get()
    assert contribution.status == Contribution.Status.READY, contribution.rejection_reason
    detail = Client().get(f"/api/contributions/{contribution.pk}/").json()
    served = _served(detail["file_url"])
    assert_clean(served, data, orientation)
    # What the row says is what is stored: the sanitized copy the processing task made.
    assert contribution.sha256 == hashlib.sha256(served).hexdigest()
    assert contribution.size_bytes == len(served) < len(data)
    assert contribution.detected_type == content_type


@pytest.mark.django_db
def test_a_phone_video_is_served_without_where_it_was_filmed_or_on_what(
    member_client, project, django_capture_on_commit_callbacks
):
    data = plain.mov_bytes(rotation=90)
    tells = (plain.ISO6709.encode(), b"iPhone 15", b"com.apple.quicktime", b"2024-06-01T12")
    assert all(tell in data for tell in tells)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(member_client, project, kind="video", file=plain.uploaded("IMG.MOV", data))
    assert response.status_code == 201, response.content
    contribution = Contribution.objects.get()
    assert contribution.status == Contribution.Status.READY, contribution.rejection_reason
    detail = Client().get(f"/api/contributions/{contribution.pk}/").json()
    served = _served(detail["file_url"])
    assert contribution.sha256 == hashlib.sha256(served).hexdigest()
    assert contribution.size_bytes == len(served) < len(data)
    assert contribution.detected_type == "video/quicktime"
    # Held upright, stored sideways: the page shows it upright.
    assert (contribution.width, contribution.height) == (120, 160)
    with contribution.rendition.open("rb") as rendition:
        played = rendition.read()
    for copy in (served, played):
        for tell in tells:
            assert tell not in copy
        with av.open(io.BytesIO(copy)) as container:
            assert not any("location" in key or "apple" in key for key in container.metadata)
            assert container.streams.video[0].codec_context.name == "h264"


@pytest.mark.django_db
def test_html_after_the_end_of_an_image_is_never_served(
    member_client, project, django_capture_on_commit_callbacks
):
    for maker, name in ((plain.gif_bytes, "a.gif"), (plain.jpeg_bytes, "a.jpg")):
        data = maker() + samples.SCRIPT
        with django_capture_on_commit_callbacks(execute=True):
            response = _post(member_client, project, kind="image", file=plain.uploaded(name, data))
        assert response.status_code == 201, response.content
        served = _served(
            Client().get(f"/api/contributions/{response.json()['id']}/").json()["file_url"]
        )
        assert served == maker()


@pytest.fixture
def no_pillow(monkeypatch):
    """Records every time Pillow opens or decodes an image."""
    calls: list[str] = []
    real_open, real_load = Image.open, ImageFile.ImageFile.load
    monkeypatch.setattr(Image, "open", lambda *a, **k: calls.append("open") or real_open(*a, **k))
    monkeypatch.setattr(
        ImageFile.ImageFile, "load", lambda self: calls.append("load") or real_load(self)
    )
    return calls


@pytest.mark.django_db
def test_a_deep_png_is_refused_quickly_on_the_api(member_client, project, no_pillow):
    bomb = samples.deep_png()
    before = stored_files()
    started = time.monotonic()
    response = _post(
        member_client, project, kind="image", file=plain.uploaded("deep.png", bomb, "image/png")
    )
    assert time.monotonic() - started < 1.0
    assert response.status_code == 400
    message = response.json()["file"][0]
    assert "7071 x 7071 pixels" in message
    assert "at most 256 MB" in message
    assert no_pillow == []
    assert not Contribution.objects.exists()
    assert stored_files() == before


@pytest.mark.django_db
def test_a_deep_png_is_refused_quickly_on_the_page(
    member_client, project, no_pillow, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            "/contributions/new/",
            {
                "project": project.slug,
                "title": "Deep",
                "terms": "on",
                "kind": "image",
                "file": plain.uploaded("deep.png", samples.deep_png(), "image/png"),
            },
        )
    assert time.monotonic() - started < 1.0
    assert response.status_code == 400
    assert "7071 x 7071 pixels" in response.content.decode()
    assert no_pillow == []
    assert not Contribution.objects.exists()


@pytest.mark.django_db
def test_avatars_and_covers_are_stored_clean(django_capture_on_commit_callbacks):
    person = UserFactory()
    data = samples.phone_jpeg()
    user_profile_update(
        user=person,
        first_name="Mira",
        last_name="",
        bio="",
        mediums=[],
        avatar=SimpleUploadedFile("me.jpg", data, content_type="image/jpeg"),
    )
    with person.avatar.open("rb") as stored:
        assert_clean(stored.read(), data, 6)
    with person.avatar_thumbnail.open("rb") as thumb, Image.open(thumb) as im:
        assert im.width < im.height  # made upright from the kept orientation
    project = project_create(
        by=person, title="Clean", cover=SimpleUploadedFile("c.png", samples.phone_png())
    )
    with project.cover.open("rb") as stored:
        assert_clean(stored.read(), samples.phone_png(), 8)


@pytest.mark.django_db
def test_a_direct_upload_to_s3_is_stored_clean(
    s3, member_client, project, django_capture_on_commit_callbacks
):
    ask = member_client.post(
        "/api/contributions/uploads/", {"kind": "image"}, content_type="application/json"
    )
    assert ask.status_code == 201, ask.content
    post = ask.json()
    data = samples.phone_jpeg()
    sent = requests.post(
        post["url"], data=post["fields"], files={"file": ("p.jpg", data)}, timeout=10
    )
    assert sent.status_code in (200, 201, 204), sent.text
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            "/api/contributions/",
            {
                "project": project.slug,
                "title": "From the phone",
                "kind": "image",
                "terms_accepted": True,
                "upload_key": post["upload_key"],
            },
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    contribution = Contribution.objects.get()
    assert contribution.status == Contribution.Status.READY, contribution.rejection_reason
    assert post["upload_key"] not in s3_keys(s3)
    detail = Client().get(f"/api/contributions/{contribution.pk}/").json()
    served = requests.get(detail["file_url"], timeout=10)
    assert served.status_code == 200
    assert_clean(served.content, data, 6)
    assert contribution.sha256 == hashlib.sha256(served.content).hexdigest()
