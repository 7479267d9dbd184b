"""Submitting contributions through the API: every kind, real files, and hostile files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import av
import pytest
from django.test import Client
from PIL import Image

from accounts.models import Notification
from contributions.models import Contribution, Source
from tests import media_samples as samples
from tests.accounts.factories import UserFactory
from tests.contributions.conftest import join, make_project, stored_files

GOOD_FILES = {
    "image": [
        ("cover.jpg", samples.jpeg_bytes, "image/jpeg"),
        ("cover.png", samples.png_bytes, "image/png"),
        ("cover.webp", samples.webp_bytes, "image/webp"),
        ("cover.gif", samples.gif_bytes, "image/gif"),
    ],
    "audio": [
        ("tune.mp3", samples.mp3_bytes, "audio/mpeg"),
        ("tune.ogg", samples.ogg_bytes, "audio/ogg"),
        ("tune.wav", samples.wav_bytes, "audio/wav"),
        ("tune.flac", samples.flac_bytes, "audio/flac"),
        ("tune.m4a", samples.m4a_bytes, "audio/mp4"),
    ],
    "video": [
        ("clip.mp4", samples.mp4_bytes, "video/mp4"),
        ("clip.webm", samples.webm_bytes, "video/webm"),
        ("clip.mov", samples.mov_bytes, "video/quicktime"),
    ],
}
ALL_GOOD = [(kind, *entry) for kind, entries in GOOD_FILES.items() for entry in entries]


def _post(client: Client, project, **fields):
    data = {"project": project.slug, "title": "My part", "terms_accepted": "true", **fields}
    return client.post("/api/contributions/", data)


def _codecs(path: Path) -> set[str]:
    with av.open(str(path)) as container:
        return {stream.codec_context.name for stream in container.streams}


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "name", "make", "content_type"), ALL_GOOD)
def test_every_allowed_format_uploads_and_ends_ready_with_a_thumbnail(
    member_client, project, django_capture_on_commit_callbacks, kind, name, make, content_type
):
    data = make()
    before = set(stored_files())
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            member_client, project, kind=kind, file=samples.uploaded(name, data, content_type)
        )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "processing"
    contribution = Contribution.objects.get(pk=response.json()["id"])
    assert contribution.status == Contribution.Status.READY, contribution.rejection_reason
    assert contribution.processing_step == Contribution.Step.DONE
    assert contribution.detected_type == content_type
    # The row describes the stored original (for audio and video the clean copy the task
    # made, not the upload), and the store holds its files alone: the raw upload is gone.
    original = Path(contribution.file.path)
    stored = original.read_bytes()
    assert contribution.size_bytes == len(stored)
    assert contribution.sha256 == hashlib.sha256(stored).hexdigest()
    made = {original, Path(contribution.thumbnail.path)}
    if contribution.rendition:
        made.add(Path(contribution.rendition.path))
    if contribution.waveform:
        made.add(Path(contribution.waveform.path))
    assert set(stored_files()) - before == made
    assert contribution.terms_version
    assert contribution.terms_accepted_at
    # Stored under generated names that have nothing of the uploaded name in it.
    assert all(name.rsplit(".", 1)[0] not in path.name for path in made)
    assert original.suffix == Path(name).suffix
    if kind == "image":
        assert contribution.width
        assert contribution.height
        assert not contribution.rendition
    else:
        assert contribution.duration_ms
        assert 900 <= contribution.duration_ms <= 1100
    if kind == "audio":
        assert contribution.rendition.name.endswith(".m4a")
        assert _codecs(Path(contribution.rendition.path)) == {"aac"}
        assert contribution.waveform.name.endswith(".json")
        assert len(contribution.waveform_peaks) > 100
        assert max(contribution.waveform_peaks) > 0.1  # the tone, not silence
        assert not contribution.width
    if kind == "video":
        assert (contribution.width, contribution.height) == (160, 120)
        assert contribution.rendition.name.endswith(".mp4")
        assert _codecs(Path(contribution.rendition.path)) == {"h264", "aac"}
        with Image.open(contribution.thumbnail.path) as poster:
            assert poster.format == "JPEG"
            assert poster.width * 120 == poster.height * 160  # a frame, its shape kept
        assert not contribution.waveform
    detail = Client().get(f"/api/contributions/{contribution.pk}/").json()
    assert detail["status"] == "ready"
    assert detail["thumbnail_url"]
    assert detail["file_url"]
    assert detail["author"]["id"] == contribution.author_id


@pytest.mark.django_db
def test_an_mp3_loses_its_id3_tags_and_the_row_describes_the_clean_copy(
    member_client, project, django_capture_on_commit_callbacks
):
    private = {"artist": "Mira Example", "comment": "recorded at 12 Quiet Street"}
    data = samples._record("mp3", 1.0, sound="libmp3lame", bit_rate=64_000, metadata=private)
    assert b"12 Quiet Street" in data
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(member_client, project, kind="audio", file=samples.uploaded("a.mp3", data))
    assert response.status_code == 201, response.content
    contribution = Contribution.objects.get()
    assert contribution.status == Contribution.Status.READY, contribution.rejection_reason
    stored = Path(contribution.file.path).read_bytes()
    for secret in (b"Mira Example", b"12 Quiet Street"):
        assert secret not in stored
    with av.open(contribution.file.path) as clean:
        assert not set(clean.metadata) & {"artist", "comment", "encoder"}
    assert contribution.size_bytes == len(stored) < len(data)
    assert contribution.sha256 == hashlib.sha256(stored).hexdigest()
    served = Client().get(contribution.file.url)
    assert b"".join(served.streaming_content) == stored


# A cut file is refused by the request when its headers show it (nothing is stored and
# no row is made), otherwise by the task, which decodes it to its end: then the author
# finds it rejected with the reason and is told, and nothing of it is left in the store.
CUT = [
    ("image", "cover.jpg", samples.jpeg_bytes, "image/jpeg", "task"),
    ("image", "cover.png", samples.png_bytes, "image/png", "task"),
    ("image", "cover.webp", samples.webp_bytes, "image/webp", "request"),
    ("image", "cover.gif", samples.gif_bytes, "image/gif", "request"),
    ("audio", "tune.mp3", samples.mp3_bytes, "audio/mpeg", "task"),
    ("audio", "tune.mp3", lambda: samples.mp3_bytes(3.0), "audio/mpeg", "task"),
    ("audio", "tune.ogg", samples.ogg_bytes, "audio/ogg", "request"),
    ("audio", "tune.wav", samples.wav_bytes, "audio/wav", "task"),
    ("audio", "tune.flac", samples.flac_bytes, "audio/flac", "task"),
    ("audio", "tune.m4a", samples.m4a_bytes, "audio/mp4", "task"),
    ("video", "clip.mp4", samples.mp4_bytes, "video/mp4", "task"),
    ("video", "clip.webm", samples.webm_bytes, "video/webm", "task"),
    ("video", "clip.mov", samples.mov_bytes, "video/quicktime", "task"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "name", "make", "content_type", "refused_by"), CUT)
def test_a_file_cut_at_half_its_length_is_refused_and_leaves_nothing(
    member,
    member_client,
    project,
    django_capture_on_commit_callbacks,
    kind,
    name,
    make,
    content_type,
    refused_by,
):
    before = stored_files()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            member_client,
            project,
            kind=kind,
            file=samples.uploaded(name, samples.half(make()), content_type),
        )
    if refused_by == "request":
        assert response.status_code == 400, response.content
        assert "damaged or incomplete" in " ".join(response.json()["file"])
        assert not Contribution.objects.exists()
        assert stored_files() == before
        return
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "processing"
    contribution = Contribution.objects.get()
    assert contribution.status == Contribution.Status.REJECTED, contribution.duration_ms
    assert "damaged or incomplete" in contribution.rejection_reason
    assert stored_files() == before
    assert not contribution.file
    assert not contribution.thumbnail
    assert not contribution.rendition
    told = Notification.objects.get(recipient=member, kind=Notification.Kind.UPLOAD)
    assert "damaged or incomplete" in told.text
    assert told.url == f"/contributions/{contribution.pk}/"
    mine = member_client.get(f"/api/contributions/{contribution.pk}/").json()
    assert mine["status"] == "rejected"
    assert mine["rejection_reason"] == contribution.rejection_reason
    assert Client().get(f"/api/contributions/{contribution.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_video_of_noise_behind_a_valid_header_is_accepted_then_rejected(
    member, member_client, project, django_capture_on_commit_callbacks
):
    before = stored_files()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            member_client,
            project,
            kind="video",
            file=samples.uploaded("clip.mp4", samples.garbage_after_header_mp4_bytes()),
        )
    assert response.status_code == 201, response.content  # its headers probe fine
    contribution = Contribution.objects.get()
    assert contribution.status == Contribution.Status.REJECTED
    assert "damaged or incomplete" in contribution.rejection_reason
    assert stored_files() == before
    assert Notification.objects.filter(recipient=member, kind=Notification.Kind.UPLOAD).exists()


HOSTILE = [
    ("image", "drawing.svg", samples.svg_bytes, "image/svg+xml", "SVG"),
    ("image", "page.png", samples.html_bytes, "image/png", "HTML"),
    ("image", "empty.png", lambda: b"", "image/png", "empty"),
    ("audio", "song.mp3", samples.png_bytes, "audio/mpeg", "image"),
    ("image", "photo.png", samples.mp3_bytes, "image/png", "audio"),
    ("video", "clip.mp4", samples.html_bytes, "video/mp4", "HTML"),
    ("image", "bomb.png", samples.bomb_png_bytes, "image/png", "megapixels"),
    # Audio and video refused from their headers, before any frame is decoded.
    ("video", "bomb.mp4", samples.huge_frame_video_bytes, "video/mp4", "8192 x 8192 pixels"),
    ("video", "endless.mp4", samples.many_frames_video_bytes, "video/mp4", "at most 10 minutes"),
    ("audio", "long.flac", lambda: samples.long_audio_bytes(20), "audio/flac", "20:00 long"),
    ("video", "sound.m4a", samples.m4a_bytes, "video/mp4", "upload it as audio"),
    ("audio", "clip.mp4", samples.mp4_bytes, "audio/mp4", "it is a video"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "name", "make", "content_type", "says"), HOSTILE)
def test_look_alikes_bombs_empty_and_mislabelled_files_are_refused(
    member_client, project, kind, name, make, content_type, says
):
    before = stored_files()
    response = _post(
        member_client, project, kind=kind, file=samples.uploaded(name, make(), content_type)
    )
    assert response.status_code == 400, response.content
    message = " ".join(response.json()["file"])
    assert says.lower() in message.lower(), message
    assert not Contribution.objects.exists()
    assert stored_files() == before


@pytest.mark.django_db
def test_size_limits_come_from_settings(member_client, project, settings):
    settings.MEDIA_MAX_BYTES = {**settings.MEDIA_MAX_BYTES, "image": 1000}
    response = _post(
        member_client,
        project,
        kind="image",
        file=samples.uploaded("big.png", samples.png_bytes(400, 400), "image/png"),
    )
    assert response.status_code == 400
    assert "at most" in " ".join(response.json()["file"])
    assert not Contribution.objects.exists()


@pytest.mark.django_db
def test_text_is_ready_at_once_and_sanitised(member_client, project):
    response = member_client.post(
        "/api/contributions/",
        {
            "project": project.slug,
            "title": "A poem",
            "kind": "text",
            "terms_accepted": True,
            "text": "Some *words*<script>alert(1)</script> [x](javascript:alert(1))",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "ready"
    assert "<em>words</em>" in body["text_html"]
    assert "<script" not in body["text_html"]
    assert "javascript:" not in body["text_html"]


@pytest.mark.django_db
def test_only_members_contribute_and_anonymous_gets_401(project):
    outsider = Client()
    outsider.force_login(UserFactory())
    payload = {
        "project": project.slug,
        "title": "x",
        "kind": "text",
        "text": "hi",
        "terms_accepted": True,
    }
    denied = outsider.post("/api/contributions/", payload, content_type="application/json")
    assert denied.status_code == 403
    assert "Join the project" in denied.json()["detail"]
    anonymous = Client().post("/api/contributions/", payload, content_type="application/json")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Token")
    assert not Contribution.objects.exists()


@pytest.mark.django_db
def test_archived_projects_take_no_contributions(member_client, project):
    project.status = project.Status.ARCHIVED
    project.save()
    response = _post(member_client, project, kind="text", text="hi")
    assert response.status_code == 403
    assert "archived" in response.json()["detail"]


@pytest.mark.django_db
def test_the_contributor_terms_must_be_accepted(member_client, project):
    response = member_client.post(
        "/api/contributions/",
        {
            "project": project.slug,
            "title": "x",
            "kind": "text",
            "text": "hi",
            "terms_accepted": False,
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "terms" in response.json()
    assert not Contribution.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "", "kind": "text", "text": "x"}, "title"),
        ({"title": "x", "kind": "sculpture", "text": "x"}, "kind"),
        ({"title": "x", "kind": "text", "text": ""}, "text"),
        ({"title": "x", "kind": "image"}, "file"),
        ({"title": "x", "kind": "text", "text": "x", "call": 2**70}, "call"),
        ({"title": "x", "kind": "text", "text": "x", "call": 999999}, "call"),
        ({"title": "x", "kind": "text", "text": "x", "project": "no-such-project"}, "project"),
    ],
)
def test_bad_fields_get_a_400_naming_the_field(member_client, project, payload, field):
    body = {"project": project.slug, "terms_accepted": True, **payload}
    response = member_client.post("/api/contributions/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Contribution.objects.exists()


# --- remixing ----------------------------------------------------------------------------


def _text(client, project, title="Original", **extra):
    response = client.post(
        "/api/contributions/",
        {
            "project": project.slug,
            "title": title,
            "kind": "text",
            "text": "words",
            "terms_accepted": True,
            **extra,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.django_db
def test_remix_across_projects_with_weights_notifies_the_source_author(
    member_client, member, project
):
    other_author = UserFactory()
    elsewhere = make_project()
    join(elsewhere, other_author)
    author_client = Client()
    author_client.force_login(other_author)
    first = _text(author_client, elsewhere, "Sketch")
    second = _text(member_client, project, "Melody")
    remix = _text(
        member_client,
        project,
        "Both",
        sources=[{"contribution": first["id"], "weight": "2.5"}, {"contribution": second["id"]}],
    )
    links = {s["contribution"]: s["weight"] for s in remix["sources"]}
    assert links == {first["id"]: "2.500", second["id"]: "1.000"}
    told = Notification.objects.get(recipient=other_author, kind=Notification.Kind.REMIXED)
    assert "Sketch" in told.text
    assert told.text.startswith(member.display_name)  # the remixer, by their current name
    assert told.url == f"/contributions/{remix['id']}/"
    # Nobody is told about remixing their own work.
    assert not Notification.objects.filter(recipient=member, kind="remixed").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("weight", "says"),
    [
        ("0", "more than 0"),
        ("10.5", "at most 10"),
        ("1.2345", "3 decimal"),
        ("abc", "number"),
        ("-1", "more than 0"),
    ],
)
def test_bad_weights_are_refused(member_client, project, weight, says):
    source = _text(member_client, project)
    response = member_client.post(
        "/api/contributions/",
        {
            "project": project.slug,
            "title": "r",
            "kind": "text",
            "text": "x",
            "terms_accepted": True,
            "sources": [{"contribution": source["id"], "weight": weight}],
        },
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert says in json.dumps(response.json())
    assert Contribution.objects.count() == 1


@pytest.mark.django_db
def test_sources_must_exist_be_ready_not_withdrawn_and_appear_once(member_client, member, project):
    ok = _text(member_client, project, "ok")
    withdrawn = _text(member_client, project, "gone")
    member_client.post(f"/api/contributions/{withdrawn['id']}/withdraw/")
    processing = Contribution.objects.create(
        project=project,
        author=member,
        title="processing",
        kind="image",
        terms_version="t",
        terms_accepted_at="2026-01-01T00:00:00Z",
    )
    cases = [
        ([{"contribution": 10**9}], "does not exist"),
        ([{"contribution": withdrawn["id"]}], "withdrawn"),
        ([{"contribution": processing.pk}], "not ready"),
        ([{"contribution": ok["id"]}, {"contribution": ok["id"]}], "only once"),
        ([{"contribution": 2**70}], "less than or equal"),
    ]
    count = Contribution.objects.count()
    for sources, says in cases:
        response = member_client.post(
            "/api/contributions/",
            {
                "project": project.slug,
                "title": "r",
                "kind": "text",
                "text": "x",
                "terms_accepted": True,
                "sources": sources,
            },
            content_type="application/json",
        )
        assert response.status_code == 400, (sources, response.content)
        assert says in json.dumps(response.json()), (says, response.json())
    assert Contribution.objects.count() == count
    assert not Source.objects.exists()


@pytest.mark.django_db
def test_sources_as_a_json_string_in_multipart(
    member_client, project, django_capture_on_commit_callbacks
):
    source = _text(member_client, project)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            member_client,
            project,
            kind="image",
            file=samples.uploaded("x.png", samples.png_bytes(), "image/png"),
            sources=json.dumps([{"contribution": source["id"], "weight": "3"}]),
        )
    assert response.status_code == 201, response.content
    assert response.json()["sources"][0]["weight"] == "3.000"
    bad = _post(member_client, project, kind="text", text="x", sources="[not json")
    assert bad.status_code == 400
    assert "JSON" in json.dumps(bad.json())
