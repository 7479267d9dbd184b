"""What a new user met on a contribution page: the lineage picture and its caption, the
"Remix it!" link of an empty lineage, poems that kept their line breaks, and text cards
that show words instead of Markdown."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext

from contributions.lineage import lineage
from contributions.lineage_svg import (
    LEGEND,
    PAD,
    TITLE_SIZE,
    lineage_picture,
    lineage_svg,
    text_width,
    wrap_title,
)
from contributions.models import Contribution
from hitrecord.markdown import markdown_excerpt, render_markdown
from tests.accounts.factories import AnonymisedUserFactory, UserFactory
from tests.contributions.conftest import join
from tests.contributions.factories import ContributionFactory, SourceFactory

pytestmark = pytest.mark.django_db

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own output, parsed to check it


def nodes_by_id(root: ET.Element) -> dict[int, ET.Element]:
    return {int(a.get("data-id")): a for a in root.iterfind(".//svg:a", NS)}


def box(node: ET.Element) -> tuple[float, float, float, float]:
    rect = node.find("svg:rect", NS)
    return tuple(float(rect.get(k)) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


def title_lines(node: ET.Element) -> list[str]:
    return [t.text or "" for t in node.iterfind(".//svg:text[@class='lineage__title']", NS)]


def author_line(node: ET.Element) -> str:
    return node.find(".//svg:text[@class='lineage__author']", NS).text


def drawings(page: str) -> list[ET.Element]:
    """The two inline SVGs of the page: sources on the left, then sources on top."""
    found = re.findall(r'<svg [^>]*class="lineage__svg .*?</svg>', page, flags=re.S)
    assert len(found) == 2
    return [parse(m) for m in found]


def page_of(contribution: Contribution, client: Client | None = None) -> str:
    response = (client or Client()).get(f"/contributions/{contribution.pk}/")
    assert response.status_code == 200
    return response.content.decode()


# --- "Remix it!" ------------------------------------------------------------------------


def test_an_empty_lineage_offers_a_real_remix_link(member_client, member, project):
    alone = ContributionFactory(project=project, title="Lonely bassline")

    page = page_of(alone, member_client)

    assert "Nothing built from this yet." in page
    assert f'<a href="/contributions/new/?remix={alone.pk}">Remix it!</a>' in page
    assert f'href="/contributions/new/?remix={alone.pk}">Remix this</a>' in page
    # and it leads to the form, with the work as its source
    form = member_client.get(f"/contributions/new/?remix={alone.pk}").content.decode()
    assert 'value="Remix of Lonely bassline"' in form
    assert f'name="weight_{alone.pk}"' in form


def test_withdrawn_work_is_not_offered_for_remixing(member_client, project):
    gone = ContributionFactory(project=project, withdrawn=True)

    page = page_of(gone, member_client)

    assert "Nothing built from this yet. Remix it!" in page
    assert "?remix=" not in page


# --- text ---------------------------------------------------------------------------------


POEM = "Roses are red,\nviolets are blue,\nthe river is wide\n\nand so are you."


def test_a_poem_keeps_its_line_breaks(member_client, project):
    response = member_client.post(
        "/contributions/new/",
        {
            "project": project.slug,
            "title": "River poem",
            "kind": "text",
            "text": POEM,
            "terms": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    poem = Contribution.objects.get(title="River poem")

    page = page_of(poem)

    assert re.search(r"Roses are red,<br\s*/?>\s*violets are blue,<br\s*/?>\s*the river", page)
    assert "<p>and so are you.</p>" in page  # a blank line still starts a new stanza


def test_line_breaks_survive_sanitising_and_nothing_else_does():
    html = render_markdown("one\ntwo <script>alert(1)</script>\nthree [x](javascript:alert(1))")
    assert re.fullmatch(r"<p>one<br>\ntwo \s*<br>\nthree <a[^>]*>x</a></p>", html.strip()), html
    assert "javascript" not in html


def test_the_excerpt_shows_words_not_markdown():
    assert markdown_excerpt("*bold* and _it_") == "bold and it"
    assert markdown_excerpt("# A title\n\n- one\n- **two**\n\n> quoted `code`") == (
        "A title one two quoted code"
    )
    assert (
        markdown_excerpt(POEM)
        == "Roses are red, violets are blue, the river is wide and so are you."
    )
    assert markdown_excerpt("Hi <script>alert(1)</script> there") == "Hi there"
    assert markdown_excerpt(" ".join(f"w{i}" for i in range(50)), 3) == "w0 w1 w2…"


def test_the_excerpt_filter_renders_escaped_plain_text():
    template = Template(
        "{% load markdown_text %}[{{ text|markdown_excerpt }}|{{ text|markdown_excerpt:2 }}]"
    )
    rendered = template.render(Context({"text": "*Tom* & **Jerry** <b>bold</b>"}))
    assert rendered == "[Tom &amp; Jerry bold|Tom &amp;…]"
    assert Template("{% load markdown_text %}{{ none|markdown_excerpt }}").render(Context({})) == ""


# --- the picture ----------------------------------------------------------------------------


@pytest.fixture
def story(db):
    """seed -> loop -> song (the focus) -> video -> dance, and song -> cover: the song's page
    lists one source and two remixes; further away are one more source and one more remix."""
    ravi = UserFactory(username="ravi", first_name="Ravi", last_name="Shankar")
    seed = ContributionFactory(title="Field recording at the river mouth")
    loop = ContributionFactory(title="Loop", author=ravi)
    song = ContributionFactory(title="Song for the ferry crossing, demo")
    video = ContributionFactory(title="Video")
    dance = ContributionFactory(
        title="Dance of the long night, take two of three, with strings", author=ravi
    )
    cover = ContributionFactory(title="Cover", author=AnonymisedUserFactory())
    SourceFactory(source=seed, contribution=loop, weight=Decimal("2.5"))
    SourceFactory(source=loop, contribution=song, weight=Decimal("1"))
    SourceFactory(source=song, contribution=video, weight=Decimal("0.125"))
    SourceFactory(source=video, contribution=dance, weight=Decimal("3"))
    SourceFactory(source=song, contribution=cover, weight=Decimal("10"))
    return {
        "seed": seed,
        "loop": loop,
        "song": song,
        "video": video,
        "dance": dance,
        "cover": cover,
    }


def test_caption_counts_mean_what_the_page_says(story):
    page = page_of(story["song"])

    assert "Remixed 2 times" in page
    assert (
        "Built directly from 1 (2 in all, further back) · "
        "remixed directly into 2 (3 in all, further down)" in page
    )
    for svg in drawings(page):
        assert svg.get("aria-label") == (
            "Lineage of “Song for the ferry crossing, demo”: built directly from 1 (2 in all, "
            "further back); remixed directly into 2 (3 in all, further down)"
        )
    # an original that nobody has remixed further than once
    assert "Original work · remixed directly into 1 (5 in all, further down)" in page_of(
        story["seed"]
    )


def test_caption_counts_only_what_the_reader_may_see(story):
    stranger = UserFactory()
    ContributionFactory(title="Unfinished", author=stranger, status=Contribution.Status.PROCESSING)
    unfinished = Contribution.objects.get(title="Unfinished")
    SourceFactory(source=story["dance"], contribution=unfinished)

    page = page_of(story["dance"])

    assert "Not remixed yet" in page
    assert "Unfinished" not in page
    assert "not remixed yet" in page  # the caption agrees with the page
    author = Client()
    author.force_login(stranger)
    assert "remixed directly into 1" in page_of(story["dance"], author)


def test_the_legend_explains_the_numbers_on_the_arrows(story):
    page = page_of(story["song"])

    assert LEGEND in page
    assert "how much of the source the remix used" in LEGEND
    for svg in drawings(page):
        desc = svg.find("svg:desc", NS).text
        assert "number on an arrow is its weight" in desc
        titles = [
            g.find("svg:title", NS).text
            for g in svg.iterfind(".//svg:g[@class='lineage__edge']", NS)
        ]
        assert (
            "Song for the ferry crossing, demo is built from Loop, weight 1: "
            "how much of the source it used" in titles
        )


def test_nodes_show_display_names_like_the_rest_of_the_page(story):
    page = page_of(story["song"])

    for svg in drawings(page):
        nodes = nodes_by_id(svg)
        assert author_line(nodes[story["loop"].pk]) == "by Ravi Shankar"
        assert author_line(nodes[story["cover"].pk]) == "by former member"
        assert "by ravi" not in " ".join(author_line(n) for n in nodes.values())
        assert (
            nodes[story["loop"].pk].find("svg:title", NS).text.startswith("Loop, by Ravi Shankar")
        )


def test_display_names_cost_no_query_per_node():
    def page_queries(size: int) -> int:
        people = [UserFactory(first_name=f"Person{i}", last_name="Example") for i in range(size)]
        items = [ContributionFactory(author=person) for person in people]
        for source, remix in zip(items, items[1:], strict=False):
            SourceFactory(source=source, contribution=remix)
        with CaptureQueriesContext(connection) as queries:
            page = page_of(items[size // 2])
        assert f"by Person{size // 2 - 1} Example" in page
        return len(queries)

    assert page_queries(3) == page_queries(30)


def test_titles_wrap_over_two_lines_with_the_full_title_on_hover(story):
    svg = lineage_svg(lineage(story["song"].pk), focus_id=story["song"].pk)
    nodes = nodes_by_id(parse(svg))

    seed = nodes[story["seed"].pk]
    assert title_lines(seed) == ["Field recording at the", "river mouth"]
    assert title_lines(nodes[story["video"].pk]) == ["Video"]
    dance = title_lines(nodes[story["dance"].pk])
    assert len(dance) == 2
    assert dance[-1].endswith("…")
    assert len(" ".join(dance)) >= 30  # about thirty characters of it shown
    title = nodes[story["dance"].pk].find("svg:title", NS).text
    assert title.startswith(
        "Dance of the long night, take two of three, with strings, by Ravi Shankar"
    )


def test_wrapping_never_exceeds_the_line_and_keeps_every_word_it_can():
    width = 128.0
    for title in (
        "A",
        "Field recording at the river mouth, dawn",
        "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW",
        "Überschallgeschwindigkeitsflugzeugträger und Donaudampfschifffahrt",
        "夜の川の歌、フェリーの渡し、デモの三番目",
    ):
        lines = wrap_title(title, width)
        assert 1 <= len(lines) <= 2
        assert all(text_width(line, TITLE_SIZE) <= width for line in lines), lines
        shown = "".join(lines).replace("…", "").replace(" ", "")
        assert title.replace(" ", "").startswith(shown)
        assert lines[-1].endswith("…") == (shown != title.replace(" ", ""))


def test_phones_get_sources_on_top_two_boxes_to_a_row(story):
    picture = lineage_picture(lineage(story["song"].pk), focus_id=story["song"].pk)
    down = nodes_by_id(parse(picture.vertical))
    y = {name: box(down[c.pk])[1] for name, c in story.items()}

    assert y["seed"] < y["loop"] < y["song"] < y["video"] == y["cover"] < y["dance"]
    # the widest row (two remixes) fits a 375 px phone's column (343 px) without scrolling
    assert float(parse(picture.vertical).get("width")) <= 343
    assert not picture.vertical_scrolls
    here = down[story["song"].pk]
    assert "you are here" in [t.text for t in here.iterfind(".//svg:text", NS)]
    assert here.get("aria-current") == "page"


def test_no_node_is_cut_off_and_boxes_never_overlap(story):
    picture = lineage_picture(lineage(story["song"].pk), focus_id=story["song"].pk)
    for markup in (picture.horizontal, picture.vertical):
        root = parse(markup)
        _, _, width, height = (float(v) for v in root.get("viewBox").split())
        boxes = [box(n) for n in nodes_by_id(root).values()]
        for x, y, w, h in boxes:
            # the faded edge of the scroll box covers only the padding, never a node
            assert PAD <= x
            assert x + w <= width - PAD
            assert 0 < y
            assert y + h <= height - PAD
        for i, (x1, y1, w1, h1) in enumerate(boxes):
            for x2, y2, w2, h2 in boxes[i + 1 :]:
                assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1
        for text in root.iterfind(".//svg:text", NS):
            assert float(text.get("y")) > 0
        # two drawings in one page: no id is used twice
        ids = [e.get("id") for e in root.iter() if e.get("id")]
        assert len(ids) == len(set(ids))
    across_ids = {e.get("id") for e in parse(picture.horizontal).iter() if e.get("id")}
    down_ids = {e.get("id") for e in parse(picture.vertical).iter() if e.get("id")}
    assert not across_ids & down_ids


def test_a_wide_picture_says_that_it_scrolls():
    chain = [ContributionFactory() for _ in range(6)]
    for source, remix in zip(chain, chain[1:], strict=False):
        SourceFactory(source=source, contribution=remix)
    pair = [ContributionFactory(), ContributionFactory()]
    SourceFactory(source=pair[0], contribution=pair[1])

    assert "Scroll sideways to see all of it" in page_of(chain[3])
    assert "Scroll sideways" not in page_of(pair[1])
    wide = lineage_picture(lineage(chain[3].pk), focus_id=chain[3].pk)
    assert wide.horizontal_scrolls
    assert not wide.vertical_scrolls  # on a phone the chain runs down the page


def test_the_remixer_can_join_and_remix_from_the_picture_page(project):
    # the whole way a newcomer takes: the empty lineage's link, the form, a remix
    newcomer = UserFactory()
    join(project, newcomer)
    client = Client()
    client.force_login(newcomer)
    original = ContributionFactory(project=project, title="Hum")
    link = re.search(r'<a href="([^"]+)">Remix it!</a>', page_of(original, client))
    assert link
    response = client.post(
        link[1],
        {
            "project": project.slug,
            "title": "Hum, remixed",
            "kind": "text",
            "text": "la\nla",
            "terms": "on",
            "sources": [original.pk],
            f"weight_{original.pk}": "2",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = page_of(original)
    assert "Remixed 1 time" in page
    assert "Original work · remixed directly into 1" in page
