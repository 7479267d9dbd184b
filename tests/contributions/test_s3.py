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


@pytest.mark.django_db
def test_presigned_post_then_submit_checks_the_file_where_it_arrived(
    s3, member_client, project, django_capture_on_commit_callbacks
):
    ask = member_client.post(
        "/api/contributions/uploads/", {"kind": "audio"}, content_type="application/json"
    )
    assert ask.status_code == 201, ask.content
    post = ask.json()
    assert post["upload_key"].startswith("incoming/")
    assert post["max_bytes"] == 100 * 1024 * 1024
    data = samples.wav_bytes()
    sent = requests.post(
        post["url"], data=post["fields"], files={"file": ("a.wav", data)}, timeout=10
    )
    assert sent.status_code in (200, 201, 204), sent.text
    assert post["upload_key"] in _keys(s3)
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            "/api/contributions/",
            {
                "project": project.slug,
                "title": "Straight to the store",
                "kind": "audio",
                "terms_accepted": True,
                "upload_key": post["upload_key"],
            },
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    contribution = Contribution.objects.get()
    assert contribution.status == "ready"
    assert contribution.sha256
    assert contribution.duration_ms
    keys = _keys(s3)
    assert post["upload_key"] not in keys  # moved under its generated name
    assert contribution.file.name in keys


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
