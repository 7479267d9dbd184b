"""Media in an S3-compatible store: moto's standalone server, through django-storages."""

from __future__ import annotations

import pytest
import requests
from django.test import Client

from contributions.models import Contribution
from tests import media_samples as samples
from tests.contributions.conftest import s3_keys as _keys


@pytest.mark.django_db
def test_upload_thumbnail_and_serving_url_in_s3(
    s3, member_client, project, django_capture_on_commit_callbacks
):
    data = samples.png_bytes(320, 200)
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            "/api/contributions/",
            {
                "project": project.slug,
                "title": "In the cloud",
                "kind": "image",
                "terms_accepted": "true",
                "file": samples.uploaded("x.png", data, "image/png"),
            },
        )
    assert response.status_code == 201, response.content
    contribution = Contribution.objects.get()
    assert contribution.status == "ready"
    keys = _keys(s3)
    assert contribution.file.name in keys
    assert contribution.thumbnail.name in keys
    detail = Client().get(f"/api/contributions/{contribution.pk}/").json()
    assert detail["file_url"].startswith(s3.meta.endpoint_url)
    served = requests.get(detail["file_url"], timeout=10)
    assert served.status_code == 200
    assert served.content == data
    assert served.headers["Content-Type"] == "image/png"
    thumb = requests.get(detail["thumbnail_url"], timeout=10)
    assert thumb.status_code == 200
    assert thumb.headers["Content-Type"].startswith("image/")


def _direct_upload(s3, member_client, kind: str, name: str, data: bytes) -> str:
    ask = member_client.post(
        "/api/contributions/uploads/", {"kind": kind}, content_type="application/json"
    )
    assert ask.status_code == 201, ask.content
    post = ask.json()
    assert post["upload_key"].startswith("incoming/")
    sent = requests.post(post["url"], data=post["fields"], files={"file": (name, data)}, timeout=10)
    assert sent.status_code in (200, 201, 204), sent.text
    assert post["upload_key"] in _keys(s3)
    return str(post["upload_key"])


class ReadsFromTheStore:
    """Every GetObject sent to the store: the object's key (its last part) and the byte
    range it asked for."""

    def __init__(self) -> None:
        self.reads: list[tuple[str, str]] = []

    def __call__(self, params, **kwargs) -> None:
        # before-call: a request really sent (a presigned URL for a page emits no call).
        key = params["url_path"].rpartition("/")[2]
        self.reads.append((key, params["headers"].get("Range", "")))


@pytest.fixture
def store_reads(s3):
    from django.core.files.storage import default_storage

    watcher = ReadsFromTheStore()
    events = default_storage.connection.meta.client.meta.events
    events.register("before-call.s3.GetObject", watcher)
    yield watcher
    events.unregister("before-call.s3.GetObject", watcher)


@pytest.mark.django_db
def test_a_direct_upload_is_never_downloaded_by_the_request_and_a_worker_processes_it(
    s3, member_client, project, django_capture_on_commit_callbacks, store_reads
):
    data = samples.wav_bytes(6.0)  # 260 KB: more than the request may read
    key = _direct_upload(s3, member_client, "audio", "a.wav", data)
    watcher = store_reads
    watcher.reads.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = member_client.post(
            "/api/contributions/",
            {
                "project": project.slug,
                "title": "Straight to the store",
                "kind": "audio",
                "terms_accepted": True,
                "upload_key": key,
            },
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "processing"
    # The request read only the first bytes, with one ranged GET: never the whole file.
    assert watcher.reads == [(key.rpartition("/")[2], "bytes=0-65535")]
    contribution = Contribution.objects.get()
    assert contribution.file.name == key  # left where it arrived, for the worker
    assert contribution.size_bytes == len(data)

    for callback in callbacks:  # the task, as a worker runs it after the commit
        callback()
    contribution.refresh_from_db()
    assert contribution.status == "ready", contribution.rejection_reason
    later = watcher.reads[1:]
    assert [read for read in later if read[0] == key.rpartition("/")[2]]  # the worker read it
    keys = _keys(s3)
    assert key not in keys  # the raw upload is gone; the clean original replaced it
    for field in (contribution.file, contribution.rendition, contribution.thumbnail):
        assert field.name in keys
    assert contribution.waveform.name in keys
    assert contribution.rendition.name.endswith(".m4a")
    assert len(contribution.waveform_peaks) == 1000
    assert abs(contribution.duration_ms - 6000) <= 80

    detail = Client().get(f"/api/contributions/{contribution.pk}/").json()
    original = requests.get(detail["file_url"], timeout=10)
    assert original.status_code == 200
    assert original.content == data  # a WAV remuxes to the very same bytes
    rendition = requests.get(detail["rendition_url"], timeout=10)
    assert rendition.status_code == 200
    assert rendition.content[4:8] == b"ftyp"
    waveform = requests.get(detail["waveform_url"], timeout=10).json()
    assert waveform["points"] == 1000
    assert waveform["peaks"] == contribution.waveform_peaks


@pytest.mark.django_db
def test_a_phone_video_uploaded_directly_gets_its_renditions_in_the_store(
    s3, member_client, project, django_capture_on_commit_callbacks
):
    data = samples.mov_bytes(2.0, codec="hevc", rotation=90, location=True)
    key = _direct_upload(s3, member_client, "video", "IMG_0042.MOV", data)
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            "/api/contributions/",
            {
                "project": project.slug,
                "title": "Held upright",
                "kind": "video",
                "terms_accepted": True,
                "upload_key": key,
            },
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    contribution = Contribution.objects.get()
    assert contribution.status == "ready", contribution.rejection_reason
    assert contribution.detected_type == "video/quicktime"
    assert (contribution.width, contribution.height) == (120, 160)
    detail = Client().get(f"/api/contributions/{contribution.pk}/").json()
    assert detail["poster_url"] == detail["thumbnail_url"]
    original = requests.get(detail["file_url"], timeout=10).content
    assert b"+48.8584" not in original  # the location is gone from the original
    assert original[4:12] == b"ftypqt  "
    rendition = requests.get(detail["rendition_url"], timeout=10)
    assert rendition.headers["Content-Type"] == "video/mp4"
    poster = requests.get(detail["poster_url"], timeout=10)
    assert poster.headers["Content-Type"] == "image/jpeg"


@pytest.mark.django_db
def test_a_damaged_direct_upload_ends_rejected_and_everything_stored_is_deleted(
    s3, member_client, project, django_capture_on_commit_callbacks
):
    key = _direct_upload(s3, member_client, "video", "cut.mp4", samples.half(samples.mp4_bytes(3)))
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            "/api/contributions/",
            {
                "project": project.slug,
                "title": "Cut short",
                "kind": "video",
                "terms_accepted": True,
                "upload_key": key,
            },
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    contribution = Contribution.objects.get()
    assert contribution.status == "rejected"
    assert "damaged or incomplete" in contribution.rejection_reason
    assert _keys(s3) == []
    notice = contribution.author.notifications.get()
    assert "could not be used" in notice.text
    assert "damaged or incomplete" in notice.text


@pytest.mark.django_db
def test_a_refused_direct_upload_is_deleted_and_leaves_no_row(s3, member_client, project):
    post = member_client.post(
        "/api/contributions/uploads/", {"kind": "image"}, content_type="application/json"
    ).json()
    requests.post(
        post["url"], data=post["fields"], files={"file": ("x.svg", samples.svg_bytes())}, timeout=10
    )
    response = member_client.post(
        "/api/contributions/",
        {
            "project": project.slug,
            "title": "Sneaky",
            "kind": "image",
            "terms_accepted": True,
            "upload_key": post["upload_key"],
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "SVG" in str(response.json())
    assert not Contribution.objects.exists()
    assert _keys(s3) == []


@pytest.mark.django_db
def test_upload_keys_not_issued_here_are_refused(s3, member_client, project):
    response = member_client.post(
        "/api/contributions/",
        {
            "project": project.slug,
            "title": "x",
            "kind": "image",
            "terms_accepted": True,
            "upload_key": "contributions/someone-elses.png",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "not issued" in str(response.json())


@pytest.mark.django_db
def test_direct_uploads_need_the_s3_mode(member_client):
    response = member_client.post(
        "/api/contributions/uploads/", {"kind": "image"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "S3" in response.json()["detail"]
