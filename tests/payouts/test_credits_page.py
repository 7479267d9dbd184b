"""The public credits: the page, the end-roll text and the CSV of the latest locked cut, in
the cut's order then upstream by depth, grouped by medium, with no shares or amounts, at a
query count that does not grow with the lineage."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from contributions import services as contribution_services
from contributions.models import Contribution
from payouts.credits_views import override_phrase
from payouts.selectors import credits_of, credits_of_items
from tests.accounts.factories import AnonymisedUserFactory, UserFactory
from tests.contributions.factories import (
    ContributionFactory,
    SourceFactory,
    bulk_sources,
)
from tests.payouts.factories import lock
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db

EVIL_TITLE = '=HYPERLINK("https://evil.example/","click")'


@pytest.fixture
def roll():
    """A cut of two items, ``film`` then ``verse``, and their upstream:

    film (video, Cy)  <- song (audio, Ben) <- lyric (text, a former member)
    verse (text, Ana, override 0) <- sketch (image, Eve)

    ``sketch`` is older than ``song``, so an order by id at depth 1 would roll it first;
    the cut's order puts film's sources before verse's."""
    project = ProjectFactory(title="Night Swim")
    director = project.created_by
    ana = UserFactory(first_name="Ana", last_name="Ito", username="ana")
    ben = UserFactory(first_name="Ben", last_name="Osei", username="ben")
    cy = UserFactory(first_name="Cy", last_name="Marr", username="cy")
    eve = UserFactory(first_name="+Eve", last_name="Lund", username="eve")
    gone = AnonymisedUserFactory()
    elsewhere = ProjectFactory(title="Elsewhere")
    sketch = ContributionFactory(project=elsewhere, author=eve, title="Sketch", kind="image")
    lyric = ContributionFactory(project=elsewhere, author=gone, title=EVIL_TITLE)
    song = ContributionFactory(project=project, author=ben, title="Song", kind="audio")
    film = ContributionFactory(project=project, author=cy, title="Film", kind="video")
    verse = ContributionFactory(project=project, author=ana, title="Verse")
    SourceFactory(contribution=song, source=lyric)
    SourceFactory(contribution=film, source=song, weight=Decimal(3))
    SourceFactory(contribution=verse, source=sketch)
    version = lock(project, director, [(film, "2.5"), (verse, "1", "0")])
    # after the lock: the song is withdrawn, the lyric taken down; both keep their credit
    contribution_services.contribution_withdraw(contribution=song, by=ben)
    Contribution.objects.filter(pk=lyric.pk).update(removed=True)
    return {
        "project": project,
        "version": version,
        "people": {"ana": ana, "ben": ben, "cy": cy, "eve": eve, "gone": gone},
        "work": {"film": film, "verse": verse, "song": song, "lyric": lyric, "sketch": sketch},
    }


def _order(text: str, *needles: str) -> list[int]:
    positions = [text.index(n) for n in needles]
    return positions


def _hidden_numbers(roll) -> list[str]:
    """What must never show: each person's share (both forms) and the items' weights."""
    rows = [
        (roll["work"]["film"].pk, Decimal("2.5"), None),
        (roll["work"]["verse"].pk, Decimal(1), Decimal(0)),
    ]
    result = credits_of_items(rows, upstream_share=roll["version"].remix_upstream_share)
    numbers = []
    for person in result.people.values():
        numbers += [person.share, person.share_exact]
    return [*numbers, "2.5", "2.500"]


# --- the order ------------------------------------------------------------------------------


def test_credits_roll_in_the_cuts_order_then_upstream_by_depth(roll):
    credits = credits_of(project=roll["project"])
    p = roll["people"]
    assert [(e.person_id, e.medium) for e in credits.entries] == [
        (p["cy"].pk, "Video"),  # item 1
        (p["ana"].pk, "Writing"),  # item 2
        (p["ben"].pk, "Sound"),  # depth 1, reached from item 1
        (p["eve"].pk, "Images"),  # depth 1, reached from item 2 (an older id than the song)
        (p["gone"].pk, "Writing"),  # depth 2
    ]
    groups = [(medium, [e.person_id for e in entries]) for medium, entries in credits.by_medium()]
    assert groups == [
        ("Video", [p["cy"].pk]),
        ("Writing", [p["ana"].pk, p["gone"].pk]),
        ("Sound", [p["ben"].pk]),
        ("Images", [p["eve"].pk]),
    ]


def test_the_page_groups_by_medium_with_links_marks_and_the_override(client, roll):
    w, p = roll["work"], roll["people"]
    response = client.get(f"/projects/{roll['project'].slug}/credits/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Version 1 of the final cut, locked" in html
    headings = _order(html, ">Video</h2>", ">Writing</h2>", ">Sound</h2>", ">Images</h2>")
    assert headings == sorted(headings)
    # in a group, in the roll's order: Ana (in the cut) before the former member (depth 2)
    assert html.index("Ana Ito") < html.index("former member") < html.index(">Sound</h2>")
    assert f'href="/u/{p["cy"].username}/">Cy Marr</a>' in html
    assert f'href="/contributions/{w["film"].pk}/">Film</a>' in html
    assert f'href="/contributions/{w["sketch"].pk}/">Sketch</a>' in html
    # a former member is named so and not linked to any profile
    assert '<span class="muted">former member</span>' in html
    assert f"/u/{p['gone'].username}/" not in html
    song = html[html.index(">Song</a>") :][:400]
    assert "withdrawn" in song
    assert "upstream, 1 step" in song
    lyric = html[html.index("=HYPERLINK(") :][:400]
    assert "removed" in lyric
    assert "upstream, 2 steps" in lyric
    verse = html[html.index(">Verse</a>") :][:400]
    assert "in the cut" in verse
    assert "passes no credit to its sources" in verse
    assert 'href="/projects/night-swim/credits.txt"' in html
    assert 'href="/projects/night-swim/credits.csv"' in html


def test_no_shares_or_amounts_in_the_page_the_text_or_the_csv(client, roll):
    slug = roll["project"].slug
    hidden = _hidden_numbers(roll)
    assert hidden  # the people do hold shares: something to look for
    for path in (f"/projects/{slug}/credits/", f"/projects/{slug}/credits.txt"):
        body = client.get(path).content.decode()
        for number in hidden:
            # as a number of its own: "2.5" inside "12.5" or a timestamp is something else
            found = re.search(rf"(?<![\w.]){re.escape(number)}(?![\w])", body)
            context = body[max(0, found.start() - 80) : found.end() + 40] if found else ""
            assert found is None, (path, number, context)
    assert "%" not in client.get(f"/projects/{slug}/credits.txt").content.decode()
    body = client.get(f"/projects/{slug}/credits.csv").content.decode()
    cells = {cell for row in csv.reader(io.StringIO(body)) for cell in row}
    for number in hidden:
        assert number not in cells
    assert not any("amount" in cell or "share_exact" in cell for cell in cells)


# --- the downloads --------------------------------------------------------------------------


def test_the_text_is_an_end_roll_with_headings_names_and_titles(client, roll):
    response = client.get(f"/projects/{roll['project'].slug}/credits.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == ('attachment; filename="night-swim-credits-v1.txt"')
    text = response.content.decode("utf-8")
    lines = text.splitlines()
    assert lines[:2] == ["Night Swim", "=========="]
    assert lines.index("VIDEO") < lines.index("WRITING") < lines.index("SOUND")
    assert lines.index("SOUND") < lines.index("IMAGES")
    video = lines.index("VIDEO")
    assert lines[video + 2 : video + 4] == ["Cy Marr", "    Film"]
    assert "    Song (withdrawn)" in lines
    assert "    Verse (passes no credit to its sources)" in lines
    assert f"    {EVIL_TITLE} (removed)" in lines
    assert "former member" in lines
    # the same through ?format=txt
    again = client.get(f"/projects/{roll['project'].slug}/credits/?format=txt")
    assert again.content == response.content


def test_the_csv_has_a_header_and_neutralised_cells(client, roll, settings):
    settings.SITE_URL = "https://hitrecord.example"
    w, p = roll["work"], roll["people"]
    response = client.get(f"/projects/{roll['project'].slug}/credits.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="night-swim-credits-v1.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert list(rows[0]) == [
        "medium",
        "name",
        "profile_url",
        "contribution_id",
        "title",
        "depth",
        "in_cut",
        "upstream_share_override",
        "withdrawn",
        "removed",
    ]
    assert [r["contribution_id"] for r in rows] == [
        str(w[k].pk) for k in ("film", "verse", "lyric", "song", "sketch")
    ]  # grouped: Video, Writing (verse, then the lyric at depth 2), Sound, Images
    film, verse, lyric, song, sketch = rows
    assert film == {
        "medium": "Video",
        "name": "Cy Marr",
        "profile_url": f"https://hitrecord.example/u/{p['cy'].username}/",
        "contribution_id": str(w["film"].pk),
        "title": "Film",
        "depth": "0",
        "in_cut": "true",
        "upstream_share_override": "",
        "withdrawn": "false",
        "removed": "false",
    }
    assert Decimal(verse["upstream_share_override"]) == 0
    assert (song["withdrawn"], song["depth"], song["in_cut"]) == ("true", "1", "false")
    # cells a spreadsheet would run as formulas start with an apostrophe
    assert lyric["title"] == "'" + EVIL_TITLE
    assert (lyric["removed"], lyric["name"], lyric["profile_url"]) == ("true", "former member", "")
    assert sketch["name"] == "'+Eve Lund"
    again = client.get(f"/projects/{roll['project'].slug}/credits/?format=csv")
    assert again.content == response.content


def test_an_unknown_format_gets_a_400_that_says_what_to_ask_for(client, roll):
    response = client.get(f"/projects/{roll['project'].slug}/credits/?format=pdf")
    assert response.status_code == 400
    assert "txt or csv" in response.content.decode()


@pytest.mark.parametrize(
    ("share", "words"),
    [
        ("0.2500", "passes 0.25 of its credit to its sources"),
        ("1.0000", "passes 1 of its credit to its sources"),
        ("0.0000", "passes no credit to its sources"),
        ("0", "passes no credit to its sources"),
    ],
)
def test_an_override_reads_as_words(share, words):
    assert override_phrase(share) == words


def test_the_credits_are_read_only(client, roll):
    response = client.post(f"/projects/{roll['project'].slug}/credits/")
    assert response.status_code == 405


def test_an_unknown_project_is_a_404(client):
    for path in (
        "/projects/nope/credits/",
        "/projects/nope/credits.txt",
        "/projects/nope/credits.csv",
    ):
        assert client.get(path).status_code == 404


def test_non_ascii_titles_and_names_download_as_utf8(client):
    project = ProjectFactory(title="Été à Kyōto")
    author = UserFactory(first_name="Zoë", last_name="Ōta")
    work = ContributionFactory(project=project, author=author, title="Sōng — nº 1")
    lock(project, project.created_by, [(work, "1")])
    text = client.get(f"/projects/{project.slug}/credits.txt").content.decode("utf-8")
    assert "Zoë Ōta" in text
    assert "Sōng — nº 1" in text
    body = client.get(f"/projects/{project.slug}/credits.csv").content.decode("utf-8")
    assert "Zoë Ōta" in body


# --- before the first lock ------------------------------------------------------------------


def test_before_the_first_lock_the_page_says_so(client):
    project = ProjectFactory(title="Fresh")
    html = client.get(f"/projects/{project.slug}/credits/").content.decode()
    assert "No locked cut yet" in html
    assert "credits.csv" not in html
    assert "Curate the cut" not in html  # visitors get the way back to the project
    client.force_login(project.created_by)
    html = client.get(f"/projects/{project.slug}/credits/").content.decode()
    assert f'href="/projects/{project.slug}/cut/"' in html
    text = client.get(f"/projects/{project.slug}/credits.txt")
    assert text.status_code == 200
    assert "No locked cut yet" in text.content.decode()
    assert text["Content-Disposition"] == 'attachment; filename="fresh-credits.txt"'
    body = client.get(f"/projects/{project.slug}/credits.csv").content.decode()
    assert body.splitlines() == [
        "medium,name,profile_url,contribution_id,title,depth,in_cut,"
        "upstream_share_override,withdrawn,removed"
    ]


def test_the_project_page_links_the_credits_once_a_version_is_locked(client):
    project = ProjectFactory()
    link = f'href="/projects/{project.slug}/credits/"'
    assert link not in client.get(f"/projects/{project.slug}/").content.decode()
    lock(project, project.created_by, [(ContributionFactory(project=project), "1")])
    html = client.get(f"/projects/{project.slug}/").content.decode()
    assert link in html
    assert "Version 1, locked" in html


# --- queries do not grow with the lineage --------------------------------------------------


def _count(client, path: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(queries)


def _small_cut():
    project = ProjectFactory()
    lock(project, project.created_by, [(ContributionFactory(project=project), "1")])
    return project


def _large_cut():
    """Ten items, each the top of a 12-deep chain with a diamond at every step, by 40
    authors in four mediums and three projects."""
    project = ProjectFactory()
    authors = UserFactory.create_batch(40)
    others = [ProjectFactory(), ProjectFactory()]
    items = []
    for i in range(10):
        chain = []
        for depth in range(12):
            left, right = (
                ContributionFactory(
                    project=others[(i + depth + side) % 2],
                    author=authors[(i * 12 + depth * 2 + side) % 40],
                    kind=("text", "image", "audio", "video")[(depth + side) % 4],
                )
                for side in (0, 1)
            )
            chain.append((left, right))
        links = []
        for (a, b), (c, d) in zip(chain, chain[1:], strict=False):
            links += [(c, a), (d, a), (c, b), (d, b)]  # diamonds: each level from both below
        bulk_sources(links)
        top = ContributionFactory(project=project, author=authors[i])
        bulk_sources([(chain[0][0], top), (chain[0][1], top)])
        items.append((top, str(i + 1)))
    lock(project, project.created_by, items)
    return project


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_page_and_downloads_cost_the_same_queries_for_a_small_and_a_large_lineage(
    signed_in,
):
    client = Client()
    if signed_in:
        client.force_login(UserFactory())
    small, large = _small_cut(), _large_cut()
    assert len(credits_of(project=large).entries) > 30
    for suffix in ("credits/", "credits.txt", "credits.csv"):
        one = _count(client, f"/projects/{small.slug}/{suffix}")
        many = _count(client, f"/projects/{large.slug}/{suffix}")
        assert one == many, suffix
        assert many <= 9, suffix  # cold: the page is cached after this


def test_the_api_costs_the_same_queries_for_a_small_and_a_large_lineage():
    client = APIClient()
    small, large = _small_cut(), _large_cut()
    one = _count(client, f"/api/projects/{small.slug}/final-cut/credits/")
    many = _count(client, f"/api/projects/{large.slug}/final-cut/credits/")
    assert one == many
    assert many <= 6


# --- in a browser ----------------------------------------------------------------------------


@pytest.mark.browser
def test_the_credits_page_fits_a_phone_and_keeps_the_csp(page, roll):
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/projects/{roll['project'].slug}/credits/")
        assert page.get_by_role("heading", name="Credits").is_visible()
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"horizontal scroll at {width}px: {scroll_width}"
    assert page.csp_violations == []
