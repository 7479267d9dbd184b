"""Processing runs in a real `celery worker` process on the Redis broker: images, and
audio and video decoded by the worker's child process."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Notification, User
from contributions.models import Contribution
from projects.models import Project
from tests import media_samples as samples
from tests.accounts.factories import UserFactory
from tests.conftest import wait_for
from tests.contributions.conftest import join, make_project


def _artist() -> tuple[Client, Project, User]:
    project = make_project()
    artist = UserFactory()
    join(project, artist)
    client = Client()
    client.force_login(artist)
    return client, project, artist


@pytest.mark.worker
def test_a_real_worker_processes_an_upload_to_ready(celery_worker_process):
    client, project, _ = _artist()
    response = client.post(
        "/api/contributions/",
        {
            "project": project.slug,
            "title": "Worked on elsewhere",
            "kind": "image",
            "terms_accepted": "true",
            "file": samples.uploaded("p.jpg", samples.jpeg_bytes(300, 200), "image/jpeg"),
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "processing"
    pk = response.json()["id"]
    contribution = wait_for(
        lambda: Contribution.objects.filter(pk=pk, status="ready").first(), timeout=60
    )
    assert contribution.thumbnail
    assert contribution.width == 300
    assert contribution.height == 200
    detail = client.get(f"/contributions/{pk}/").content.decode()
    assert "<img src=" in detail
    assert "processing" not in detail.split("<main")[1][:4000].lower()


@pytest.mark.worker
def test_a_real_worker_decodes_a_video_and_makes_its_rendition_and_poster(
    celery_worker_process,
):
    client, project, _ = _artist()
    response = client.post(
        "/api/contributions/",
        {
            "project": project.slug,
            "title": "Filmed",
            "kind": "video",
            "terms_accepted": "true",
            "file": samples.uploaded("clip.mov", samples.mov_bytes(2.0, rotation=90)),
        },
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    contribution = wait_for(
        lambda: Contribution.objects.filter(pk=pk).exclude(status="processing").first(),
        timeout=120,
    )
    assert contribution.status == Contribution.Status.READY, contribution.rejection_reason
    assert contribution.processing_step == Contribution.Step.DONE
    assert contribution.rendition.name.endswith(".mp4")
    assert contribution.thumbnail.name.endswith(".jpg")
    assert (contribution.width, contribution.height) == (120, 160)  # shown upright
    assert 1900 <= contribution.duration_ms <= 2100
    page = client.get(f"/contributions/{pk}/").content.decode()
    assert contribution.rendition.url in page
    assert f'poster="{contribution.thumbnail.url}"' in page


@pytest.mark.worker
def test_a_real_worker_rejects_a_damaged_recording_and_tells_its_author(
    celery_worker_process,
):
    client, project, artist = _artist()
    response = client.post(
        "/api/contributions/",
        {
            "project": project.slug,
            "title": "Cut short",
            "kind": "audio",
            "terms_accepted": "true",
            "file": samples.uploaded("take.flac", samples.half(samples.flac_bytes(3.0))),
        },
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    contribution = wait_for(
        lambda: Contribution.objects.filter(pk=pk, status="rejected").first(), timeout=120
    )
    assert "damaged or incomplete" in contribution.rejection_reason
    assert not contribution.file
    told = Notification.objects.get(recipient=artist, kind=Notification.Kind.UPLOAD)
    assert "Cut short" in told.text
    assert "damaged or incomplete" in client.get(f"/contributions/{pk}/").content.decode()
