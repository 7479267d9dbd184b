"""Hostile media in a real `celery worker`: refused with a reason, and the worker lives on.

The worker's decoding child gets little memory (600 MB of address space, enough for a
normal video) and CPU time (2 s) here, so that files made by the test reach those limits
quickly: a pixel bomb (8192 x 8192 frames in a few hundred
KB, let past the header check) and a video that needs more CPU time than allowed. Each
ends ``rejected`` with a sentence for its author, never in an OOM-killed worker or a task
delivered again and again; the same worker then processes a good upload to ready.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.test import Client

from contributions.models import Contribution
from tests import media_samples as samples
from tests.accounts.factories import UserFactory
from tests.conftest import wait_for
from tests.contributions.conftest import join, make_project

BOMB_PIXELS = 8192 * 8192


@pytest.fixture
def tight_limits(monkeypatch, settings):
    """Limits for the worker (read from its environment) and for this process's request."""
    monkeypatch.setenv("MEDIA_MAX_VIDEO_PIXELS", str(BOMB_PIXELS))
    monkeypatch.setenv("MEDIA_DECODE_MEMORY_BYTES", str(600 * 1024 * 1024))
    monkeypatch.setenv("MEDIA_DECODE_CPU_SECONDS", "2")
    settings.MEDIA_MAX_VIDEO_PIXELS = BOMB_PIXELS  # the request lets the bomb through


def _upload(client: Client, project, title: str, name: str, data: bytes) -> int:
    response = client.post(
        "/api/contributions/",
        {
            "project": project.slug,
            "title": title,
            "kind": "video",
            "terms_accepted": "true",
            "file": samples.uploaded(name, data, "video/mp4"),
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "processing"
    return int(response.json()["id"])


def _finished(pk: int) -> Contribution:
    return wait_for(
        lambda: Contribution.objects.filter(pk=pk).exclude(status="processing").first(),
        timeout=120,
    )


@pytest.mark.worker
def test_bombs_end_rejected_and_the_worker_goes_on(tight_limits, celery_worker_process, settings):
    project = make_project()
    artist = UserFactory()
    join(project, artist)
    client = Client()
    client.force_login(artist)

    bomb = _finished(_upload(client, project, "Huge", "huge.mp4", samples.huge_frame_video_bytes()))
    assert bomb.status == "rejected"
    assert "more memory to decode than we allow" in bomb.rejection_reason
    assert not bomb.file
    assert not bomb.rendition
    assert not bomb.thumbnail

    heavy = _upload(
        client, project, "Heavy", "heavy.mp4", samples.tone_video_bytes(30, size=(640, 360))
    )
    slow = _finished(heavy)
    assert slow.status == "rejected"
    assert "more computing time" in slow.rejection_reason

    # The same worker, alive, processes the next upload to the end.
    assert celery_worker_process.poll() is None
    good = _finished(_upload(client, project, "Fine", "fine.mp4", samples.mp4_bytes()))
    assert good.status == "ready", good.rejection_reason
    assert good.rendition
    assert good.thumbnail
    assert celery_worker_process.poll() is None
    notices = [n.text for n in artist.notifications.order_by("pk")]
    assert sum("could not be used" in text for text in notices) == 2
    # Each upload's task ran once: nothing was delivered again after the refusals.
    log = (Path(settings.MEDIA_ROOT).parent / f"worker-{os.getpid()}.log").read_text()
    received = re.findall(r"contribution_process\[[0-9a-f-]+\] received", log)
    assert len(received) == 3, log
