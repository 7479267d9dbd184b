"""In the S3 mode the browser sends the file straight to the store, then submits its key."""

from __future__ import annotations

import re

import pytest

from contributions.models import Contribution
from tests import media_samples as samples
from tests.accounts.factories import UserFactory
from tests.conftest import browser_login
from tests.contributions.conftest import join, make_project, s3_keys


@pytest.fixture
def s3_csp(settings, moto_endpoint):
    """The CSP of the S3 mode, with the store's origin allowed (as settings do from
    AWS_S3_ENDPOINT_URL)."""
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {
        name: [*values, moto_endpoint]
        if name in {"connect-src", "img-src", "media-src"}
        else values
        for name, values in policy["DIRECTIVES"].items()
    }
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}


@pytest.mark.browser
def test_the_browser_uploads_straight_to_the_store(page, s3, s3_csp, tmp_path):
    project = make_project(title="Cloud Choir")
    artist = UserFactory(username="cloudy")
    join(project, artist)
    audio = tmp_path / "choir.wav"
    audio.write_bytes(samples.wav_bytes(seconds=5.0))
    store_requests: list[str] = []
    page.on(
        "request",
        lambda request: (
            store_requests.append(request.method)
            if request.url.startswith(s3.meta.endpoint_url)
            else None
        ),
    )

    browser_login(page, artist)
    page.goto(f"/contributions/new/?project={project.slug}")
    page.get_by_label("Audio").check()
    page.get_by_label("Title").fill("Straight up")
    page.set_input_files("input[type=file]", str(audio))
    page.get_by_label("I accept the contributor terms").check()
    page.get_by_role("button", name="Share it").click()
    page.wait_for_url(re.compile(r"/contributions/\d+/$"))

    assert "POST" in store_requests  # the file went to the store, not through the site
    contribution = Contribution.objects.get(title="Straight up")
    assert contribution.status == "ready"
    keys = s3_keys(s3)
    assert contribution.file.name in keys
    assert not [k for k in keys if k.startswith("incoming/")]
    assert page.locator("audio[controls]").count() == 1
    assert page.csp_violations == []
