"""The contribute form's JavaScript in a real browser: the confirmation after an upload, and
the checks made before a file is sent."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from contributions.models import Contribution, Source
from tests import media_samples as samples
from tests.accounts.factories import UserFactory
from tests.conftest import browser_login
from tests.contributions.conftest import join, make_project
from tests.contributions.factories import ContributionFactory

RECORD_PROGRESS = """
() => {
  const meter = document.querySelector('[role=progressbar]');
  const seen = [];
  new MutationObserver(() => {
    seen.push(meter.getAttribute('aria-valuenow'));
    sessionStorage.setItem('progress', JSON.stringify(seen));
  }).observe(meter, {attributes: true});
}
"""


def _posts(page) -> list[str]:
    """The form posts the page makes from now on."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    return sent


@pytest.mark.browser
def test_after_an_upload_the_confirmation_shows_on_the_contribution_page(page, tmp_path):
    project = make_project(title="Drawings")
    artist = UserFactory(username="drawer")
    join(project, artist)
    picture = tmp_path / "sketch.png"
    picture.write_bytes(samples.png_bytes(640, 480))

    browser_login(page, artist)
    page.goto(f"/contributions/new/?project={project.slug}")
    page.get_by_label("Image").check()
    page.get_by_label("Title").fill("A sketch")
    page.set_input_files("input[type=file]", str(picture))
    page.get_by_label("I accept the contributor terms").check()
    page.evaluate(RECORD_PROGRESS)
    page.get_by_role("button", name="Share it").click()
    page.wait_for_url(re.compile(r"/contributions/\d+/$"))

    seen = page.evaluate("JSON.parse(sessionStorage.getItem('progress') || '[]')")
    assert seen, "the progress bar never moved"
    assert seen[-1] == "100"
    contribution = Contribution.objects.get(title="A sketch")
    assert page.url.endswith(f"/contributions/{contribution.pk}/")
    message = page.locator(".messages")
    assert message.is_visible()
    assert "Uploaded. We are checking the file and making its thumbnail." in message.inner_text()
    assert page.locator(".work img").count() == 1
    assert page.csp_violations == []


@pytest.mark.browser
def test_weights_and_fields_are_checked_before_the_file_is_sent(page, tmp_path):
    project = make_project(title="River Songs")
    artist = UserFactory(username="remixer")
    join(project, artist)
    first = ContributionFactory(project=project, title="Bassline")
    second = ContributionFactory(project=project, title="Drums")
    audio = tmp_path / "mix.wav"
    audio.write_bytes(samples.wav_bytes(seconds=2.0))

    browser_login(page, artist)
    page.goto(f"/contributions/new/?remix={first.pk},{second.pk}")
    page.get_by_label("Audio").check()
    page.get_by_label("Title").fill("")
    page.set_input_files("input[type=file]", str(audio))
    page.get_by_label("Weight of Drums").fill("11")
    page.get_by_label("Weight of Bassline").fill("1.2345")
    posts = _posts(page)
    page.get_by_role("button", name="Publish the remix").click()

    drums = page.locator(".source-row", has=page.get_by_label("Weight of Drums"))
    bass = page.locator(".source-row", has=page.get_by_label("Weight of Bassline"))
    assert drums.locator(".field__error").inner_text() == (
        "A weight must be more than 0 and at most 10."
    )
    assert bass.locator(".field__error").inner_text() == (
        "A weight may have at most 3 decimal places."
    )
    title = page.locator(".field", has=page.get_by_label("Title"))
    assert title.locator(".field__error").inner_text() == "Give the contribution a title."
    terms = page.locator(".field", has=page.get_by_label("I accept the contributor terms"))
    assert "Accept the contributor terms" in terms.locator(".field__error").inner_text()
    # Nothing was sent, and the chosen file is still there to send.
    assert posts == []
    assert page.locator(".upload-progress").is_hidden()
    assert page.evaluate("document.querySelector('input[type=file]').files.length") == 1
    assert page.evaluate("document.activeElement.name") == "title"
    assert Contribution.objects.count() == 2  # only the two sources

    page.get_by_label("Title").fill("Bass and drums")
    page.get_by_label("Weight of Drums").fill("0.5")
    page.get_by_label("Weight of Bassline").fill("2")
    page.get_by_label("I accept the contributor terms").check()
    page.get_by_role("button", name="Publish the remix").click()
    page.wait_for_url(re.compile(r"/contributions/\d+/$"))
    assert "Uploaded." in page.locator(".messages").inner_text()
    remix = Contribution.objects.get(title="Bass and drums")
    weights = dict(Source.objects.filter(contribution=remix).values_list("source_id", "weight"))
    assert weights == {first.pk: Decimal(2), second.pk: Decimal("0.5")}
    assert page.csp_violations == []


@pytest.mark.browser
def test_a_missing_file_or_kind_is_said_before_posting(page):
    project = make_project(title="Stories")
    artist = UserFactory(username="writer")
    join(project, artist)
    browser_login(page, artist)
    page.goto(f"/contributions/new/?project={project.slug}")
    page.get_by_label("Title").fill("Untitled")
    page.get_by_label("I accept the contributor terms").check()
    posts = _posts(page)
    page.get_by_role("button", name="Share it").click()
    kind = page.locator(".field", has=page.get_by_label("Video"))
    assert kind.locator(".field__error").inner_text() == (
        "Choose what you are sharing: text, image, audio or video."
    )
    page.get_by_label("Video").check()
    page.get_by_role("button", name="Share it").click()
    assert kind.locator(".field__error").count() == 0
    file_field = page.locator(".kind-file .field")
    assert file_field.locator(".field__error").inner_text() == "Attach the video file."
    assert posts == []
