"""Processing runs in a real `celery worker` process on the Redis broker."""

from __future__ import annotations

import pytest
from django.test import Client

from contributions.models import Contribution
from tests import media_samples as samples
from tests.accounts.factories import UserFactory
from tests.conftest import wait_for
from tests.contributions.conftest import join, make_project


@pytest.mark.worker
def test_a_real_worker_processes_an_upload_to_ready(celery_worker_process):
    project = make_project()
    artist = UserFactory()
    join(project, artist)
    client = Client()
    client.force_login(artist)
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
