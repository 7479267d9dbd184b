"""What a new user met on the header, the home page, the filters and the chips (issue 11,
point 4), as they would check it: the signed-in home shows their own things once each,
"audio" with "good first call" means one call that is both, a medium looks and reads the
same on every page, audio cards play in the gallery, and unremixed work is invited, not
faulted. The header's look on a phone and its contrast are in ``test_header_browser``."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from contributions.models import Contribution
from projects import selectors
from tests import media_samples as samples
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory, SourceFactory
from tests.projects.factories import CallFactory, MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db

SITE_CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "site.css"
MAX_QUERIES = 10


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(content: bytes | str) -> str:
    page = content.decode() if isinstance(content, bytes) else content
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _section(page: str, section_id: str) -> str:
    return page.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]


def _stored(name: str, data: bytes) -> str:
    return default_storage.save(name, ContentFile(data))


# --- 1. the header's Sign up: light text on the accent, AA in both schemes --------------


def _custom_properties(block: str) -> dict[str, str]:
    return dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6})", block))


def _schemes() -> dict[str, dict[str, str]]:
    css = SITE_CSS.read_text()
    light = re.search(r":root\s*{(.*?)}", css, re.S)
    dark = re.search(r"prefers-color-scheme:\s*dark\)\s*{\s*:root\s*{(.*?)}", css, re.S)
    assert light, "site.css keeps its tokens in :root"
    assert dark, "site.css keeps its dark tokens in a prefers-color-scheme: dark :root"
    light_tokens = _custom_properties(light.group(1))
    return {"light": light_tokens, "dark": {**light_tokens, **_custom_properties(dark.group(1))}}


def contrast(one: str, other: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_button_text_on_the_accent_and_medium_chips_meet_wcag_aa(scheme):
    tokens = _schemes()[scheme]
    assert contrast(tokens["--c-accent-text"], tokens["--c-accent"]) >= 4.5
    for medium in ("text", "image", "audio", "video"):
        assert contrast(tokens[f"--c-medium-{medium}"], tokens["--c-surface"]) >= 4.5, medium


def test_the_header_sign_up_is_a_button_and_header_links_do_not_repaint_buttons(client):
    page = client.get("/").content.decode()
    assert re.search(r'<a class="button button--small[^"]*" href="/accounts/signup/">Sign up', page)
    # The rule that gives header links the text colour leaves buttons alone (it once turned
    # "Sign up" into dark text on rust); the browser test measures the rendered colours.
    css = SITE_CSS.read_text()
    assert re.search(r"\.site-account a:not\(\.button\)[^{]*{[^}]*color: var\(--c-text\)", css)
    assert not re.search(r"\.site-account a[,\s{]", css)


# --- 3. the signed-in home: their things, once each, with pictures -----------------------


def _artist_world(artist, *, n: int = 1, start: int = 0) -> None:
    """``n`` projects the artist belongs to, each with calls (one in their medium) and
    work with a real thumbnail; and as much elsewhere that is not theirs."""
    thumb = _stored("contributions/thumbs/home.png", samples.png_bytes(64, 40))
    for i in range(start, start + n):
        project = ProjectFactory(title=f"Their project {artist.pk}-{i}")
        MembershipFactory(project=project, user=artist)
        MembershipFactory.create_batch(2, project=project)
        CallFactory(project=project, title=f"A cello line {artist.pk}-{i}", medium="audio")
        CallFactory(project=project, title=f"A storyboard {artist.pk}-{i}", medium="image")
        work = ContributionFactory(
            project=project, kind=Contribution.Kind.IMAGE, title=f"Harbour {i}", thumbnail=thumb
        )
        SourceFactory(source=work, contribution__project=project)
        other = ProjectFactory(title=f"Someone else's {artist.pk}-{i}")
        CallFactory(project=other, title=f"Field recordings {artist.pk}-{i}", medium="audio")


def test_signed_in_home_shows_their_projects_calls_once_and_recent_work_not_the_hero():
    artist = UserFactory(first_name="Mira", mediums=["audio"])
    _artist_world(artist)
    page = _client(artist).get("/").content.decode()
    text = _text(page)
    assert "Make things together." not in text
    assert "open studio" not in text
    assert "Welcome back, Mira" in text

    projects = _section(page, "your-projects")
    assert f"Their project {artist.pk}-0" in _text(projects)
    assert "Someone else's" not in _text(projects)

    calls = _section(page, "your-calls")
    assert f"A cello line {artist.pk}-0" in _text(calls)
    assert f"Field recordings {artist.pk}-0" in _text(calls)
    assert "A storyboard" not in text  # not their medium, and not repeated anywhere else
    for title in (f"A cello line {artist.pk}-0", f"Field recordings {artist.pk}-0"):
        assert text.count(title) == 1, title  # each call once on the whole page

    work = _section(page, "recent-work")
    assert "Recent work in your projects" in _text(work)
    assert "Harbour 0" in _text(work)
    assert re.search(r'<img class="card__media[^"]*" src="/media/contributions/thumbs/home', work)


def test_a_newcomer_with_no_projects_and_no_mediums_gets_projects_to_join_and_good_first_calls():
    newcomer = UserFactory(mediums=[])
    open_project = ProjectFactory(title="Lighthouse Songs")
    CallFactory(project=open_project, title="Hum a melody", good_first=True)
    CallFactory(project=open_project, title="Master the mix", good_first=False)
    ContributionFactory(project=open_project, title="First verse")
    page = _client(newcomer).get("/").content.decode()
    assert "Lighthouse Songs" in _text(_section(page, "your-projects"))
    calls = _text(_section(page, "your-calls"))
    assert "Good first calls" in calls
    assert "Hum a melody" in calls
    assert "Master the mix" not in calls
    assert "Add the mediums you work in" in calls
    assert "First verse" in _text(_section(page, "recent-work"))


def test_calls_for_a_person_leave_out_the_calls_they_posted():
    director = UserFactory(mediums=["audio"])
    theirs = ProjectFactory(created_by=director)  # the factory makes them its director
    CallFactory(project=theirs, title="Their own call", medium="audio")
    wanted = CallFactory(title="Somebody needs a bassline", medium="audio")
    assert [call.pk for call in selectors.open_calls_for(user=director)] == [wanted.pk]


def _home_queries(client) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("member", [True, False])
def test_signed_in_home_costs_the_same_queries_for_one_project_as_for_many(member):
    artist = UserFactory(mediums=["audio", "image"])
    client = _client(artist)
    world_owner = artist if member else UserFactory()
    _artist_world(world_owner, n=1)
    one = _home_queries(client)
    _artist_world(world_owner, n=12, start=1)
    many = _home_queries(client)
    assert one == many
    assert many <= MAX_QUERIES


# --- 4. call filters apply to the same call ----------------------------------------------


@pytest.fixture
def mixed_calls():
    """A project whose good first call is for text and whose audio call is not a good first
    one; another whose audio call is a good first call; a third whose audio call is
    closed while a text call is open."""
    mixed = ProjectFactory(title="Mixed Signals", mediums=["text", "audio"])
    CallFactory(project=mixed, medium="text", good_first=True)
    CallFactory(project=mixed, medium="audio", good_first=False)
    friendly = ProjectFactory(title="Friendly Audio", mediums=["audio"])
    CallFactory(project=friendly, medium="audio", good_first=True)
    closed = ProjectFactory(title="Closed Audio", mediums=["audio", "text"])
    CallFactory(project=closed, medium="audio", good_first=True, is_open=False)
    CallFactory(project=closed, medium="text")
    return mixed, friendly, closed


def _titles(queryset) -> set[str]:
    return {p.title for p in queryset}


def test_medium_and_good_first_must_hold_for_one_and_the_same_call(mixed_calls):
    mixed, friendly, closed = mixed_calls
    assert _titles(selectors.project_list(medium="audio", good_first=True)) == {friendly.title}
    assert _titles(selectors.project_list(medium="text", good_first=True)) == {mixed.title}
    assert _titles(selectors.project_list(medium="audio", has_calls=True)) == {
        mixed.title,
        friendly.title,
    }
    # Each filter alone keeps its meaning.
    assert _titles(selectors.project_list(medium="audio")) == {
        mixed.title,
        friendly.title,
        closed.title,
    }
    assert _titles(selectors.project_list(good_first=True)) == {mixed.title, friendly.title}


def test_the_list_page_and_the_api_combine_filters_on_one_call(client, mixed_calls):
    page = _text(client.get("/projects/?medium=audio&good_first=on").content)
    assert "1 project" in page
    assert "Friendly Audio" in page
    assert "Mixed Signals" not in page
    body = APIClient().get("/api/projects/?medium=audio&good_first=true&has_calls=true").json()
    assert [item["title"] for item in body["results"]] == ["Friendly Audio"]


# --- 5. one medium chip everywhere --------------------------------------------------------


def test_a_medium_has_the_same_chip_on_the_project_page_the_cards_and_the_profile(client):
    artist = UserFactory(username="ines", mediums=["audio", "image"])
    project = ProjectFactory(title="Night Ferry", mediums=["audio", "image"])
    ContributionFactory(project=project, author=artist, kind=Contribution.Kind.AUDIO, title="Hum")
    pages = {
        "project page": client.get(project.get_absolute_url()).content.decode(),
        "project cards": client.get("/projects/").content.decode(),
        "profile": client.get("/u/ines/").content.decode(),
    }
    for name, page in pages.items():
        chips = re.findall(r'<span class="chip chip--medium-(\w+)">([^<]*)</span>', page)
        assert ("audio", "Audio") in chips, name
        assert ("image", "Image") in chips, name
        # No other spelling or colour for a medium anywhere on the page.
        assert all(label == value.capitalize() for value, label in chips), (name, chips)
        assert ">audio<" not in page, name
        assert 'chip--accent">Audio' not in page, name
    # The contribution card in the galleries (project page and profile) uses it too.
    assert "kind kind--audio" not in pages["project page"] + pages["profile"]


# --- 6. audio cards play ------------------------------------------------------------------


def test_an_audio_card_plays_its_rendition_with_a_labelled_native_control(client):
    project = ProjectFactory(title="Harbour Sounds")
    original = _stored("contributions/foghorn.wav", samples.wav_bytes(seconds=1))
    rendition = _stored("contributions/renditions/foghorn.m4a", samples.m4a_bytes(1))
    ContributionFactory(
        project=project,
        kind=Contribution.Kind.AUDIO,
        title="Foghorn",
        file=original,
        rendition=rendition,
        text="",
    )
    only_original = _stored("contributions/gull.wav", samples.wav_bytes(seconds=1))
    ContributionFactory(
        project=project, kind=Contribution.Kind.AUDIO, title="Gull", file=only_original, text=""
    )
    page = client.get(project.get_absolute_url()).content.decode()
    players = dict(
        (label, src)
        for src, label in re.findall(
            r'<audio class="contribution-card__player" controls preload="none" src="([^"]+)"'
            r' aria-label="Play “([^”]+)”">',
            page,
        )
    )
    assert players == {
        "Foghorn": f"/media/{rendition}",  # the rendition, never the big original
        "Gull": f"/media/{only_original}",  # an older upload with no rendition: the file
    }


def test_an_audio_card_with_nothing_to_play_links_to_its_page(client):
    project = ProjectFactory()
    silent = ContributionFactory(project=project, kind=Contribution.Kind.AUDIO, title="Lost")
    page = client.get(project.get_absolute_url()).content.decode()
    assert "contribution-card__player" not in page
    assert f'<a href="{silent.get_absolute_url()}">Listen to “Lost”</a>' in page


# --- 7. unremixed work is invited, not faulted --------------------------------------------


def test_unremixed_work_reads_ready_for_a_remix_and_the_filter_keeps_its_parameter(client):
    project = ProjectFactory()
    fresh = ContributionFactory(project=project, title="Fresh sketch")
    remixed = ContributionFactory(project=project, title="Old favourite")
    SourceFactory(source=remixed, contribution__project=project)
    page = client.get(project.get_absolute_url()).content.decode()
    assert "needs a remix" not in page.lower()
    assert 'name="needs_remix" value="1"> Ready for a remix</label>' in page
    card = page.split("Fresh sketch", 1)[1].split("</article>", 1)[0]
    assert "ready for a remix" in card
    filtered = _text(client.get(f"{project.get_absolute_url()}?needs_remix=1").content)
    assert fresh.title in filtered
    assert "Old favourite" not in filtered
    api = APIClient().get(f"/api/contributions/?project={project.slug}&needs_remix=true")
    assert api.status_code == 200
    assert "Old favourite" not in {item["title"] for item in api.json()["results"]}
    assert fresh.title in {item["title"] for item in api.json()["results"]}


# --- text cards read as text, not Markdown ------------------------------------------------


def test_a_text_card_shows_its_words_without_markdown_syntax(client):
    project = ProjectFactory()
    ContributionFactory(project=project, title="Tide table", text="# High water\n\n**Six** a.m.")
    page = client.get(project.get_absolute_url()).content.decode()
    excerpt = page.split('class="card__media contribution-card__excerpt">', 1)[1].split("<", 1)[0]
    assert excerpt.strip() == "High water Six a.m."
