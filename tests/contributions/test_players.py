"""Players as a person meets them: audio drawn as its waveform over a native player that
plays the rendition, video with its poster, a download link to the original, the page that
waits for processing (and refreshes itself without script), and the pictures in galleries
and on the curation page. Plus the waveform pictures themselves.

Files are real bytes written under a temporary MEDIA_ROOT; rows are built with the
factories and given the fields the processing task would have set.
"""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from contributions.models import Contribution
from hitrecord.media.pictures import PAPER
from hitrecord.media.waveform import resample_peaks, waveform_picture, waveform_svg
from hitrecord.templatetags.players import duration, format_label, older_than, video_box
from tests import media_samples as samples
from tests.contributions.factories import ContributionFactory
from tests.projects.factories import CallFactory, ProjectFactory

SVG = "{http://www.w3.org/2000/svg}"
# A recording that swells and fades, as the processing task would measure it.
PEAKS = [round(abs(math.sin(i / 40)) * (0.3 + 0.7 * i / 1000), 4) for i in range(1000)]


# --- reading pages ------------------------------------------------------------------------


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes, and the text of each link."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.links: list[tuple[str, str]] = []
        self._link: list[str] | None = None
        self._href = ""

    def handle_starttag(self, tag, attrs):
        values = {k: v or "" for k, v in attrs}
        self.tags.append((tag, values))
        if tag == "a":
            self._link, self._href = [], values.get("href", "")

    def handle_data(self, data):
        if self._link is not None:
            self._link.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links.append((" ".join("".join(self._link).split()), self._href))
            self._link = None


def tags(html: str, name: str, **attrs: str) -> list[dict[str, str]]:
    """The attributes of every ``name`` tag that has ``attrs`` (http_equiv: http-equiv)."""
    parser = _Tags()
    parser.feed(html)
    return [
        values
        for tag, values in parser.tags
        if tag == name and all(values.get(k.replace("_", "-")) == v for k, v in attrs.items())
    ]


def links(html: str) -> list[tuple[str, str]]:
    parser = _Tags()
    parser.feed(html)
    return parser.links


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own output, parsed to check it


def waveforms(html: str) -> list[ET.Element]:
    """The inline SVG waveforms of a page, parsed as XML (a broken one fails here)."""
    found = re.findall(r'<svg[^>]*class="waveform".*?</svg>', html, flags=re.DOTALL)
    return [parse(markup) for markup in found]


def bar_count(svg: ET.Element) -> int:
    path = svg.find(f"{SVG}path")
    assert path is not None
    return path.get("d", "").count("M")


def bar_heights(svg: ET.Element) -> list[float]:
    path = svg.find(f"{SVG}path")
    assert path is not None
    return [float(v) for v in re.findall(r"v([\d.]+)", path.get("d", ""))]


# --- media files --------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def put(root: Path, name: str, data: bytes) -> str:
    """Store ``data`` under the media root as ``name`` (a storage name) and return it."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return name


def picture(w: int = 64, h: int = 36) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (w, h), (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


def ready_audio(root: Path, *, peaks=PEAKS, rendition: bool = True, **fields) -> Contribution:
    original = samples.wav_bytes(seconds=1.0)
    return ContributionFactory(
        kind=Contribution.Kind.AUDIO,
        title=fields.pop("title", "Harbour at dawn"),
        text="",
        text_html="",
        file=put(root, "contributions/dawn.wav", original),
        rendition=(
            put(root, "contributions/renditions/dawn.m4a", samples.m4a_bytes(1.0))
            if rendition
            else ""
        ),
        thumbnail=fields.pop(
            "thumbnail", put(root, "contributions/thumbs/dawn.png", picture(640, 360))
        ),
        waveform=put(root, "contributions/waveforms/dawn.json", b"[]") if peaks else "",
        waveform_peaks=peaks,
        detected_type="audio/wav",
        size_bytes=len(original),
        duration_ms=fields.pop("duration_ms", 1000),
        processing_step=Contribution.Step.DONE,
        **fields,
    )


def ready_video(root: Path, **fields) -> Contribution:
    original = samples.webm_bytes(1.0)
    return ContributionFactory(
        kind=Contribution.Kind.VIDEO,
        title=fields.pop("title", "Night ferry"),
        text="",
        text_html="",
        file=put(root, "contributions/ferry.webm", original),
        rendition=put(root, "contributions/renditions/ferry.mp4", samples.mp4_bytes(1.0)),
        thumbnail=put(root, "contributions/thumbs/ferry.jpg", picture(160, 90)),
        detected_type="video/webm",
        size_bytes=len(original),
        width=fields.pop("width", 1920),
        height=fields.pop("height", 1080),
        duration_ms=1000,
        processing_step=Contribution.Step.DONE,
        **fields,
    )


def fetch(url: str) -> tuple[int, str, bytes]:
    """Status, type and the whole body of a media address (read to its end, which closes
    the file)."""
    response = Client().get(url)
    data = b"".join(response.streaming_content) if response.streaming else response.content
    response.close()
    return response.status_code, response.get("Content-Type", ""), data


def page_of(contribution: Contribution, client: Client | None = None) -> str:
    response = (client or Client()).get(contribution.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def as_author(contribution: Contribution) -> Client:
    client = Client()
    client.force_login(contribution.author)
    return client


# --- the audio player -----------------------------------------------------------------------


@pytest.mark.django_db
def test_audio_page_draws_the_waveform_and_plays_the_rendition(media):
    song = ready_audio(media, title="Harbour at dawn")
    html = page_of(song)

    drawn = waveforms(html)
    assert len(drawn) == 1
    svg = drawn[0]
    assert svg.get("role") == "img"
    assert svg.get("aria-label") == "Waveform of Harbour at dawn"
    assert bar_count(svg) == 200
    # The loud end of the recording is drawn taller than its quiet start.
    heights = bar_heights(svg)
    assert max(heights[-20:]) > 2 * max(heights[:20])

    (audio,) = tags(html, "audio")
    assert "controls" in audio
    assert audio["preload"] == "metadata"
    assert audio["src"] == "/media/contributions/renditions/dawn.m4a" == song.rendition.url
    # The rendition is really there, served as what it is.
    status, content_type, data = fetch(audio["src"])
    assert (status, content_type) == (200, "audio/mp4")
    assert data == (media / "contributions/renditions/dawn.m4a").read_bytes()

    assert ("Download the original", song.file.url) in links(html)
    size = f"{len(samples.wav_bytes(seconds=1.0)) / 1024:.1f} KB"
    assert f"(WAV, {size})" in html
    # The script that lays progress over the waveform, from a file (the CSP forbids inline).
    assert tags(html, "script", src="/static/js/player.js")
    assert "<script>" not in html
    assert 'http-equiv="refresh"' not in html


@pytest.mark.django_db
def test_audio_without_a_rendition_plays_the_original(media):
    song = ready_audio(media, rendition=False)
    (audio,) = tags(page_of(song), "audio")
    assert audio["src"] == song.file.url


@pytest.mark.django_db
def test_older_audio_without_peaks_still_plays_without_a_waveform(media):
    song = ready_audio(media, peaks=[])
    html = page_of(song)
    assert waveforms(html) == []
    (audio,) = tags(html, "audio")
    assert audio["src"] == song.rendition.url
    assert ("Download the original", song.file.url) in links(html)


@pytest.mark.django_db
def test_a_title_with_markup_is_escaped_in_the_waveform(media):
    song = ready_audio(media, title='Tide <script>alert("x")</script> & more')
    html = page_of(song)
    (svg,) = waveforms(html)
    assert svg.get("aria-label") == 'Waveform of Tide <script>alert("x")</script> & more'
    assert "<script>alert" not in html


# --- the video player -----------------------------------------------------------------------


@pytest.mark.django_db
def test_video_page_plays_the_rendition_with_its_poster(media):
    film = ready_video(media)
    html = page_of(film)
    (video,) = tags(html, "video")
    assert "controls" in video
    assert video["preload"] == "metadata"
    assert video["poster"] == film.thumbnail.url == "/media/contributions/thumbs/ferry.jpg"
    assert video["src"] == film.rendition.url == "/media/contributions/renditions/ferry.mp4"
    # The rendition's size (at most 720p, the shape of the original) keeps the page still.
    assert (video["width"], video["height"]) == ("1280", "720")
    assert ("Download the original", film.file.url) in links(html)
    assert "(WebM, " in html
    assert fetch(video["poster"])[:2] == (200, "image/jpeg")
    assert 'http-equiv="refresh"' not in html


@pytest.mark.django_db
def test_a_small_portrait_video_keeps_its_own_size(media):
    film = ready_video(media, width=480, height=854)
    (video,) = tags(page_of(film), "video")
    assert (video["width"], video["height"]) == ("480", "854")


# --- the page that waits for processing -----------------------------------------------------


@pytest.mark.django_db
def test_processing_page_says_what_is_happening_and_refreshes_itself(media):
    upload = ContributionFactory(
        kind=Contribution.Kind.VIDEO,
        title="Long take",
        status=Contribution.Status.PROCESSING,
        processing_step=Contribution.Step.RENDERING,
    )
    html = page_of(upload, as_author(upload))
    (refresh,) = tags(html, "meta", http_equiv="refresh")
    assert 3 <= int(refresh["content"]) <= 5
    assert "Making a version that plays everywhere" in html
    assert "This page refreshes by itself" in html
    assert tags(html, "progress")
    # Checking is done, rendering is under way, storing is still to come.
    done = re.findall(r'processing__step--done">([^<]+)<', html)
    current = re.findall(r'processing__step--current" aria-current="step">([^<]+)<', html)
    assert done == ["Checking the file to its last frame"]
    assert current == ["Making a version that plays everywhere"]
    assert "Still working on it" not in html
    assert not tags(html, "video")
    assert not tags(html, "audio")
    assert "<script>" not in html


@pytest.mark.django_db
def test_after_a_minute_the_page_says_it_is_still_working(media):
    upload = ContributionFactory(
        kind=Contribution.Kind.VIDEO,
        status=Contribution.Status.PROCESSING,
        processing_step=Contribution.Step.CHECKING,
    )
    Contribution.objects.filter(pk=upload.pk).update(
        created_at=timezone.now() - timedelta(seconds=61)
    )
    html = page_of(upload, as_author(upload))
    assert (
        "Still working on it: long videos take a few minutes. You can leave this page; "
        "we will notify you." in html
    )
    assert "Checking the file to its last frame" in html
    assert tags(html, "meta", http_equiv="refresh")


@pytest.mark.django_db
def test_a_queued_upload_says_it_waits_for_its_turn(media):
    upload = ContributionFactory(
        kind=Contribution.Kind.AUDIO,
        status=Contribution.Status.PROCESSING,
        processing_step=Contribution.Step.QUEUED,
    )
    html = page_of(upload, as_author(upload))
    assert "Waiting for its turn" in html
    assert "processing__step--done" not in html
    assert "processing__step--current" not in html


@pytest.mark.django_db
def test_ready_and_rejected_pages_do_not_refresh(media):
    rejected = ContributionFactory(
        kind=Contribution.Kind.AUDIO,
        status=Contribution.Status.REJECTED,
        rejection_reason="The recording ends before its header says it does.",
    )
    html = page_of(rejected, as_author(rejected))
    assert "The recording ends before its header says it does." in html
    assert 'http-equiv="refresh"' not in html
    assert 'http-equiv="refresh"' not in page_of(ready_audio(media))


# --- galleries and the curation page --------------------------------------------------------


@pytest.mark.django_db
def test_gallery_cards_show_the_waveform_picture_and_the_poster(media):
    project = ProjectFactory(slug="harbour")
    song = ready_audio(media, project=project, duration_ms=187_000)
    film = ready_video(media, project=project)
    html = Client().get("/projects/harbour/").content.decode()
    images = {img["src"]: img for img in tags(html, "img")}
    assert song.thumbnail.url in images
    assert "card__media--waveform" in images[song.thumbnail.url]["class"]
    assert film.thumbnail.url in images
    assert "3:07" in html
    # No generic picture stands in for work that has its own.
    assert "contribution-card__placeholder" not in html


@pytest.mark.django_db
def test_a_card_without_a_picture_draws_the_waveform_it_has(media):
    project = ProjectFactory(slug="harbour")
    ready_audio(media, project=project, thumbnail="")
    html = Client().get("/projects/harbour/").content.decode()
    (svg,) = waveforms(html)
    assert bar_count(svg) == 48
    assert "contribution-card__placeholder" not in html


@pytest.mark.django_db
def test_the_curation_page_draws_audio_candidates_and_plays_renditions(media):
    project = ProjectFactory(slug="harbour")
    call = CallFactory(project=project, title="We need a foghorn")
    song = ready_audio(media, project=project, call=call, title="Foghorn")
    film = ready_video(media, project=project, call=call, title="Ferry")
    client = Client()
    client.force_login(project.created_by)
    html = client.get("/projects/harbour/cut/").content.decode()
    inbox = html.split(f'id="inbox-{call.pk}"', 1)[1].split("</section>", 1)[0]
    drawn = waveforms(inbox)
    assert len(drawn) == 1
    assert bar_count(drawn[0]) == 24
    (audio,) = tags(inbox, "audio")
    assert audio["src"] == song.rendition.url
    (video,) = tags(inbox, "video")
    assert video["src"] == film.rendition.url
    assert video["poster"] == film.thumbnail.url


# --- the waveform as SVG --------------------------------------------------------------------


def test_waveform_svg_parses_and_has_one_bar_per_slice():
    svg = parse(waveform_svg(PEAKS, bars=200, label="Song"))
    assert svg.tag == f"{SVG}svg"
    assert svg.get("viewBox") == "0 0 1000 96"
    assert svg.get("aria-label") == "Waveform of Song"
    assert bar_count(svg) == 200
    assert all(0 < h <= 96 for h in bar_heights(svg))
    # Colours come from CSS (design tokens, dark mode), never from the markup.
    assert "fill=" not in waveform_svg(PEAKS)
    assert "style=" not in waveform_svg(PEAKS)


def test_waveform_svg_clamps_and_ignores_what_is_not_a_number():
    svg = parse(
        waveform_svg([5.0, -3.0, math.nan, math.inf, "loud", None, 0.5], bars=200, height=100)
    )
    heights = bar_heights(svg)
    assert len(heights) == 7
    assert heights[0] == max(heights) <= 100  # 5.0 counts as the loudest, no taller
    assert heights[1] == heights[2] == heights[3] == heights[4] == heights[5] == min(heights)
    assert heights[1] < heights[6] < heights[0]


def test_waveform_svg_of_nothing_is_a_flat_line():
    for nothing in ([], (), None, "not peaks", {"a": 1}):
        svg = parse(waveform_svg(nothing, label="Silence"))  # type: ignore[arg-type]
        assert svg.get("aria-label") == "Waveform of Silence"
        assert bar_count(svg) == 1
        (height,) = bar_heights(svg)
        assert height <= 2


def test_waveform_svg_escapes_the_label():
    label = 'a"b<c>&d\x00\x1b'
    markup = str(waveform_svg([0.1, 0.2], label=label))
    assert parse(markup).get("aria-label") == 'Waveform of a"b<c>&d'
    assert "<c>" not in markup
    assert parse(waveform_svg([0.3])).get("aria-label") == "Waveform"


def test_resample_peaks_keeps_the_loudest_of_each_slice():
    peaks = [0.0] * 1000
    peaks[503] = 0.9
    assert resample_peaks(peaks, 10) == [0.0] * 5 + [0.9] + [0.0] * 4
    assert resample_peaks([0.2, 0.8], 4) == [0.2, 0.2, 0.8, 0.8]
    assert resample_peaks([], 10) == []
    assert len(resample_peaks(PEAKS, 200)) == 200


# --- the waveform as the gallery picture ----------------------------------------------------


def test_waveform_picture_is_a_png_of_the_bars_on_paper():
    made = waveform_picture(PEAKS)
    assert made.name is not None
    assert re.fullmatch(r"[0-9a-f]{32}\.png", made.name)
    with Image.open(io.BytesIO(made.read())) as im:
        im.load()
        assert im.format == "PNG"
        assert im.size == (640, 360)
        colours = im.convert("RGB").getcolors(maxcolors=10_000)
    assert colours is not None
    assert len(colours) > 1
    # Mostly the calm paper background, with the bars drawn on it.
    commonest = max(colours)[1]
    assert commonest == PAPER
    ink = sum(n for n, colour in colours if sum(colour) < sum(PAPER) / 2)
    assert ink > 640 * 360 * 0.05


def test_a_louder_recording_draws_more_ink():
    def ink(peaks) -> int:
        with Image.open(io.BytesIO(waveform_picture(peaks, size=(320, 180)).read())) as im:
            colours = im.convert("RGB").getcolors(maxcolors=10_000) or []
        return sum(n for n, colour in colours if sum(colour) < sum(PAPER) / 2)

    assert ink([0.9] * 1000) > 3 * ink([0.2] * 1000)
    assert ink([]) == 0  # a flat line in the muted colour, no bars


# --- the template helpers -------------------------------------------------------------------


def test_helpers_read_as_people_read():
    assert video_box(3840, 2160) == {"width": 1280, "height": 720}
    assert video_box(1080, 1920) == {"width": 720, "height": 1280}
    assert video_box(640, 480) == {"width": 640, "height": 480}
    assert video_box(None, None) is None
    assert duration(187_000) == "3:07"
    assert duration(3_723_000) == "1:02:03"
    assert duration(None) == ""
    assert format_label("audio/wav") == "WAV"
    assert format_label("video/mp4") == "MP4"
    assert format_label("audio/mp4") == "M4A"
    assert older_than(timezone.now() - timedelta(seconds=61), 60)
    assert not older_than(timezone.now() - timedelta(seconds=30), 60)
