"""Uploading from a real browser: the progress bar shows the bytes sent."""

from __future__ import annotations

import re

import pytest

from contributions.models import Contribution
from tests import media_samples as samples
from tests.accounts.factories import UserFactory
from tests.conftest import browser_login
from tests.contributions.conftest import join, make_project

RECORD_PROGRESS = """
() => {
  const meter = document.querySelector('[role=progressbar]');
  const text = document.querySelector('.upload-progress__text');
  const seen = [];
  new MutationObserver(() => {
    seen.push(meter.getAttribute('aria-valuenow') + '|' + text.textContent);
    sessionStorage.setItem('progress', JSON.stringify(seen));
  }).observe(document.querySelector('.upload-progress'),
             {attributes: true, subtree: true, childList: true, characterData: true});
}
"""


@pytest.mark.browser
def test_upload_from_the_browser_shows_progress_then_the_player(page, tmp_path):
    project = make_project(title="River Songs")
    artist = UserFactory(username="uploader")
    join(project, artist)
    audio = tmp_path / "tone.wav"
    audio.write_bytes(samples.wav_bytes(seconds=20.0))

    browser_login(page, artist)
    page.goto(f"/contributions/new/?project={project.slug}")
    page.get_by_label("Audio").check()
    page.get_by_label("Title").fill("A long tone")
    page.set_input_files("input[type=file]", str(audio))
    page.get_by_label("I accept the contributor terms").check()
    page.evaluate(RECORD_PROGRESS)
    page.get_by_role("button", name="Share it").click()
    page.wait_for_url(re.compile(r"/contributions/\d+/$"))

    seen = page.evaluate("JSON.parse(sessionStorage.getItem('progress') || '[]')")
    assert seen, "the progress bar never moved"
    last_value, last_text = seen[-1].split("|", 1)
    assert last_value == "100"
    # The bytes of the whole request body: the file plus the form's other fields.
    sent = re.fullmatch(r"(\d+) KB of (\d+) KB sent \(100%\)", last_text)
    assert sent, last_text
    assert sent[1] == sent[2]
    assert 0 <= int(sent[1]) - audio.stat().st_size / 1024 < 4

    contribution = Contribution.objects.get(title="A long tone")
    assert contribution.status == "ready"
    assert page.locator("audio[controls]").count() == 1
    assert page.get_by_role("link", name="Remix this").is_visible()
    assert page.csp_violations == []


@pytest.mark.browser
def test_a_refused_file_shows_the_reason_in_the_page(page, tmp_path):
    project = make_project(title="Drawings")
    artist = UserFactory(username="sneaky")
    join(project, artist)
    svg = tmp_path / "drawing.png"
    svg.write_bytes(samples.svg_bytes())
    browser_login(page, artist)
    page.goto(f"/contributions/new/?project={project.slug}")
    page.get_by_label("Image").check()
    page.get_by_label("Title").fill("Not really a PNG")
    page.set_input_files("input[type=file]", str(svg))
    page.get_by_label("I accept the contributor terms").check()
    page.get_by_role("button", name="Share it").click()
    page.wait_for_selector(".field__error")
    assert "SVG" in page.locator(".field__error").first.inner_text()
    assert not Contribution.objects.exists()
    assert page.csp_violations == []
