"""The audio player in a real Chromium: progress is drawn over the waveform as the sound
plays, and the waveform seeks when clicked or used with the keyboard."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlparse

import pytest
from PIL import Image

from contributions.models import Contribution
from tests import media_samples as samples
from tests.contributions.factories import ContributionFactory

SECONDS = 8.0
ACCENT = (179, 64, 11)  # --c-accent in the light scheme (static/css/site.css)

pytestmark = pytest.mark.browser


def _put(root: Path, name: str, data: bytes) -> str:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return name


@pytest.fixture
def site_media_view(live_server, monkeypatch):
    """Send /media/ to the site's own media view, as in the embedded mode.

    Django's live server puts a handler of its own in front of the site that serves
    MEDIA_URL straight from MEDIA_ROOT, without byte ranges, so a browser cannot seek in
    what it plays and no access policy applies. The handler is pointed at an address
    nothing uses for this test only."""
    outer = live_server.thread.httpd.get_app()  # the static files handler
    media_handler = outer.application
    assert type(media_handler).__name__ == "_MediaFilesHandler"
    monkeypatch.setattr(media_handler, "base_url", urlparse("/live-server-media-unused/"))


@pytest.fixture
def song(settings, tmp_path, site_media_view) -> Contribution:
    settings.MEDIA_ROOT = tmp_path
    original = samples.wav_bytes(seconds=SECONDS)
    return ContributionFactory(
        kind=Contribution.Kind.AUDIO,
        title="Foghorn",
        text="",
        text_html="",
        file=_put(tmp_path, "contributions/foghorn.wav", original),
        rendition=_put(
            tmp_path, "contributions/renditions/foghorn.m4a", samples.m4a_bytes(SECONDS)
        ),
        waveform_peaks=[0.7] * 1000,
        detected_type="audio/wav",
        size_bytes=len(original),
        duration_ms=int(SECONDS * 1000),
        processing_step=Contribution.Step.DONE,
    )


def _played_share(page) -> float:
    """How far across the waveform the accent colour reaches, from a screenshot: the
    rightmost column holding an accent pixel, as a share of the picture's width."""
    shot = page.locator("[data-player-wave]").screenshot()
    with Image.open(io.BytesIO(shot)) as im:
        rgb = im.convert("RGB")
        width, height = rgb.size
        pixels = rgb.load()
        assert pixels is not None
        rightmost = -1
        for x in range(width):
            for y in range(0, height, 2):
                r, g, b = pixels[x, y]
                if abs(r - ACCENT[0]) + abs(g - ACCENT[1]) + abs(b - ACCENT[2]) < 60:
                    rightmost = x
                    break
    return (rightmost + 1) / width


def _progress(page) -> float:
    """The share played, in percent, as the script sets it on the player (--progress)."""
    value = page.evaluate(
        "document.querySelector('[data-player]').style.getPropertyValue('--progress')"
    )
    return float(value.removesuffix("%"))


def test_progress_is_drawn_over_the_waveform_and_clicking_seeks(page, song):
    page.emulate_media(color_scheme="light")
    page.goto(song.get_absolute_url())
    page.wait_for_function(
        "() => { const a = document.querySelector('audio');"
        " return a.readyState >= 1 && isFinite(a.duration) && a.duration > 0; }"
    )
    wave = page.locator("[data-player-wave]")
    assert wave.get_attribute("role") == "slider"
    assert wave.get_attribute("aria-valuetext") == "0:00 of 0:08"
    assert _played_share(page) == 0  # nothing played yet: no accent at all

    # Where playback is, the waveform is drawn in the accent colour up to there.
    page.evaluate(
        "() => new Promise(done => { const a = document.querySelector('audio');"
        " a.addEventListener('seeked', done, {once: true}); a.currentTime = 2; })"
    )
    assert abs(_progress(page) - 25) < 1
    assert 0.2 < _played_share(page) < 0.3
    assert wave.get_attribute("aria-valuetext") == "0:02 of 0:08"

    # A click in the middle of the waveform seeks to the middle of the recording.
    wave.click(position={"x": wave.bounding_box()["width"] / 2, "y": 10})
    page.wait_for_function("() => Math.abs(document.querySelector('audio').currentTime - 4) < 0.3")
    assert 0.45 < _played_share(page) < 0.55

    # The keyboard: Space plays, and the drawn progress follows the sound.
    wave.focus()
    wave.press(" ")
    page.wait_for_function("() => document.querySelector('audio').currentTime > 5")
    assert not page.evaluate("document.querySelector('audio').paused")
    assert _played_share(page) > 0.6
    wave.press(" ")
    assert page.evaluate("document.querySelector('audio').paused")

    # Home goes back to the start; the arrows step five seconds.
    wave.press("Home")
    page.wait_for_function("() => document.querySelector('audio').currentTime === 0")
    wave.press("ArrowRight")
    page.wait_for_function("() => Math.abs(document.querySelector('audio').currentTime - 5) < 0.01")
    assert wave.get_attribute("aria-valuenow") == "5"

    # It is the rendition that plays, never the original.
    assert page.evaluate("document.querySelector('audio').currentSrc").endswith(
        "/media/contributions/renditions/foghorn.m4a"
    )
    assert page.csp_violations == []


def test_without_javascript_the_native_player_still_plays(browser, live_server, song):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(song.get_absolute_url())
        audio = page.locator("audio[controls]")
        assert audio.count() == 1
        assert audio.get_attribute("src") == "/media/contributions/renditions/foghorn.m4a"
        # The waveform is there as a picture, not as a control that would do nothing.
        assert page.locator("svg.waveform[role=img]").count() == 1
        assert page.locator("[role=slider]").count() == 0
        assert page.get_by_role("link", name="Download the original").count() == 1
    finally:
        context.close()
