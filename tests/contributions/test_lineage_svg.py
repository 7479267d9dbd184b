"""The lineage picture: parsed as XML and checked the way a person reading it would."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from contributions.lineage import Lineage, LineageEdge, LineageNode, lineage
from contributions.lineage_svg import lineage_picture, lineage_svg
from tests.accounts.factories import UserFactory
from tests.contributions.factories import (
    ContributionFactory,
    SimpleProjectFactory,
    SourceFactory,
    bulk_contributions,
    bulk_sources,
)

NS = {"svg": "http://www.w3.org/2000/svg"}
SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own output, parsed to check it


def nodes_by_id(root: ET.Element) -> dict[int, ET.Element]:
    return {int(a.get("data-id")): a for a in root.iterfind(".//svg:a", NS)}


def classes(element: ET.Element) -> set[str]:
    return set((element.get("class") or "").split())


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iterfind(".//svg:text", NS)]


def box(node: ET.Element) -> tuple[float, float, float, float]:
    rect = node.find("svg:rect", NS)
    return (
        float(rect.get("x")),
        float(rect.get("y")),
        float(rect.get("width")),
        float(rect.get("height")),
    )


@pytest.fixture
def family(db):
    """grandparent -> parent (withdrawn) -> focus -> child (removed), focus -> sibling remix,
    with weights on each link."""
    grandparent = ContributionFactory(
        title="Field recording", thumbnail="contributions/thumbs/g.jpg"
    )
    parent = ContributionFactory(title="Loop", withdrawn=True)
    focus = ContributionFactory(title="Song")
    child = ContributionFactory(title="Video", removed=True, thumbnail="contributions/thumbs/c.jpg")
    other = ContributionFactory(title="Dance")
    SourceFactory(source=grandparent, contribution=parent, weight=Decimal("2.5"))
    SourceFactory(source=parent, contribution=focus, weight=Decimal("1"))
    SourceFactory(source=focus, contribution=child, weight=Decimal("0.125"))
    SourceFactory(source=focus, contribution=other, weight=Decimal("10"))
    return grandparent, parent, focus, child, other


def test_every_node_links_to_its_page_and_the_focus_is_highlighted(family):
    grandparent, parent, focus, child, other = family
    root = parse(lineage_svg(lineage(focus.pk), focus_id=focus.pk))

    assert root.tag == f"{SVG}svg"
    nodes = nodes_by_id(root)
    assert set(nodes) == {c.pk for c in family}
    for contribution in family:
        assert nodes[contribution.pk].get("href") == f"/contributions/{contribution.pk}/"

    here = nodes[focus.pk]
    assert "lineage__node--focus" in classes(here)
    assert here.get("aria-current") == "page"
    assert "you are here" in texts(here)
    assert [n for n in nodes.values() if "lineage__node--focus" in classes(n)] == [here]
    assert not any("you are here" in texts(n) for k, n in nodes.items() if k != focus.pk)
    assert "Song" in texts(here)
    assert f"by {focus.author.display_name}" in texts(here)


def test_columns_run_from_sources_on_the_left_to_remixes_on_the_right(family):
    grandparent, parent, focus, child, other = family
    nodes = nodes_by_id(parse(lineage_svg(lineage(focus.pk), focus_id=focus.pk)))

    x = {pk: box(node)[0] for pk, node in nodes.items()}
    assert x[grandparent.pk] < x[parent.pk] < x[focus.pk] < x[child.pk] == x[other.pk]
    assert nodes[grandparent.pk].get("data-depth") == "-2"
    assert nodes[child.pk].get("data-depth") == "1"
    # boxes never overlap
    boxes = [box(n) for n in nodes.values()]
    for i, (x1, y1, w1, h1) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1


def test_arrows_carry_the_weight_and_an_arrowhead(family):
    grandparent, parent, focus, child, other = family
    root = parse(lineage_svg(lineage(focus.pk), focus_id=focus.pk))

    markers = {m.get("id") for m in root.iterfind(".//svg:marker", NS)}
    edges = {
        (int(g.get("data-source")), int(g.get("data-remix"))): g
        for g in root.iterfind(".//svg:g[@class='lineage__edge']", NS)
    }
    assert set(edges) == {
        (grandparent.pk, parent.pk),
        (parent.pk, focus.pk),
        (focus.pk, child.pk),
        (focus.pk, other.pk),
    }
    written = {key: edge.find("svg:text", NS).text for key, edge in edges.items()}
    assert written == {
        (grandparent.pk, parent.pk): "2.5",
        (parent.pk, focus.pk): "1",
        (focus.pk, child.pk): "0.125",
        (focus.pk, other.pk): "10",
    }
    for edge in edges.values():
        path = edge.find("svg:path", NS)
        assert path.get("marker-end") == f"url(#{next(iter(markers))})"
        assert "weight" in edge.find("svg:title", NS).text
    # the arrow starts at its source's box and ends at its remix's box
    nodes = nodes_by_id(root)
    d = edges[(parent.pk, focus.pk)].find("svg:path", NS).get("d")
    start_x = float(d.split()[0][1:])
    end_x = float(d.split()[-2])
    px, _, pw, _ = box(nodes[parent.pk])
    assert start_x == px + pw
    assert end_x == box(nodes[focus.pk])[0]


def test_withdrawn_and_removed_nodes_are_marked(family):
    grandparent, parent, focus, child, other = family
    nodes = nodes_by_id(parse(lineage_svg(lineage(focus.pk), focus_id=focus.pk)))

    assert "lineage__node--withdrawn" in classes(nodes[parent.pk])
    assert "withdrawn" in texts(nodes[parent.pk])
    assert "lineage__node--removed" in classes(nodes[child.pk])
    assert "removed" in texts(nodes[child.pk])
    assert nodes[child.pk].find("svg:image", NS) is None  # its thumbnail is gone
    for plain in (grandparent, focus, other):
        assert not classes(nodes[plain.pk]) & {"lineage__node--withdrawn", "lineage__node--removed"}
        assert not {"withdrawn", "removed"} & set(texts(nodes[plain.pk]))
    image = nodes[grandparent.pk].find("svg:image", NS)
    assert image.get("href") == "/media/contributions/thumbs/g.jpg"


def test_a_removed_node_never_shows_a_thumbnail_even_if_given_one():
    focus = LineageNode(1, "Song", 1, "mira", 0, "text", "ready", False, False, "", "p")
    gone = LineageNode(2, "Taken", 2, "tomas", 1, "image", "ready", False, True, "/m/t.jpg", "p")
    picture = Lineage(focus=focus, ancestors=(gone,), edges=(LineageEdge(2, 1, Decimal("1.000")),))
    node = nodes_by_id(parse(lineage_svg(picture, focus_id=1)))[2]
    assert node.find("svg:image", NS) is None
    assert "removed" in texts(node)


def test_titles_and_usernames_are_escaped(db):
    author = UserFactory(username='o"brien', first_name='Ann "the pen"', last_name="O'Brien")
    nasty = ContributionFactory(
        title='<script>alert("x")</script> & <b>co</b>\x01 "quoted"', author=author
    )
    focus = ContributionFactory(title="Tom & Jerry's <theme>")
    SourceFactory(source=nasty, contribution=focus)

    markup = lineage_svg(lineage(focus.pk), focus_id=focus.pk)
    root = parse(markup)  # still well-formed XML

    assert not [e for e in root.iter() if e.tag.split("}")[-1] in ("script", "b")]
    assert "<script" not in markup
    node = nodes_by_id(root)[nasty.pk]
    label = node.find("svg:title", NS).text
    assert '<script>alert("x")</script> & <b>co</b> "quoted"' in label
    assert 'by Ann "the pen" O\'Brien' in label
    assert root.find("svg:title", NS).text.startswith("Lineage of “Tom & Jerry's <theme>”")
    assert "Tom & Jerry's <theme>" in root.get("aria-label")


def test_no_script_no_event_handler_no_inline_colour(family):
    focus = family[2]
    root = parse(lineage_svg(lineage(focus.pk), focus_id=focus.pk))

    for element in root.iter():
        assert element.tag.split("}")[-1] not in ("script", "foreignObject", "style")
        for name in element.attrib:
            assert not name.lower().startswith("on"), name
            assert name not in ("style", "fill", "stroke", "color")


def test_accessible_name_and_size(family):
    focus = family[2]
    root = parse(lineage_svg(lineage(focus.pk), focus_id=focus.pk))

    assert root.get("role") == "group"  # its nodes are links: an img would hide them
    summary = (
        "Lineage of “Song”: built directly from 1 (2 in all, further back); remixed directly into 2"
    )
    assert root.get("aria-label") == summary
    assert root.find("svg:title", NS).text == summary
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    assert root.get("width") == f"{width:g}"
    for node in nodes_by_id(root).values():
        x, y, w, h = box(node)
        assert 0 <= x
        assert x + w <= width
        assert 0 <= y
        assert y + h <= height


def test_past_the_limit_the_nearest_are_drawn_and_the_rest_counted(db):
    author = UserFactory()
    project = SimpleProjectFactory(created_by=author)
    focus, *others = bulk_contributions(1 + 64 + 70, project=project, author=author)
    sources, remixes = others[:64], others[64:]
    bulk_sources([(s, focus) for s in sources] + [(focus, r) for r in remixes])

    root = parse(lineage_svg(lineage(focus.pk), focus_id=focus.pk))

    assert len(nodes_by_id(root)) == 1 + 60 + 60
    more_left = root.find(".//svg:text[@class='lineage__more lineage__more--ancestors']", NS)
    more_right = root.find(".//svg:text[@class='lineage__more lineage__more--descendants']", NS)
    assert more_left.text == "and 4 more"
    assert more_right.text == "and 10 more"
    shown = nodes_by_id(root)
    assert {s.pk for s in sources[:60]} <= set(shown)
    assert not {s.pk for s in sources[60:]} & set(shown)
    assert root.get("aria-label").endswith(
        "built directly from 60 (64 in all, further back); "
        "remixed directly into 60 (70 in all, further down)"
    )

    small = parse(lineage_svg(lineage(focus.pk, limit=100), focus_id=focus.pk))
    assert small.find(".//svg:text[@class='lineage__more lineage__more--ancestors']", NS) is None


def test_same_lineage_same_picture_whatever_the_order(family):
    focus = family[2]
    found = lineage(focus.pk)
    shuffled = replace(
        found, edges=tuple(reversed(found.edges)), descendants=tuple(reversed(found.descendants))
    )
    assert lineage_svg(found, focus_id=focus.pk) == lineage_svg(
        lineage(focus.pk), focus_id=focus.pk
    )
    assert lineage_svg(shuffled, focus_id=focus.pk) == lineage_svg(found, focus_id=focus.pk)


def test_unknown_focus_draws_nothing(db):
    assert lineage_svg(lineage(10**9), focus_id=10**9) == ""
    alone = ContributionFactory()
    assert lineage_svg(lineage(alone.pk), focus_id=alone.pk + 1) == ""


def test_shortcut_links_are_drawn_too(db):
    # a -> b -> focus, and a -> focus directly: a sits one step back, next to b
    a, b, focus = (ContributionFactory() for _ in range(3))
    SourceFactory(source=a, contribution=b)
    SourceFactory(source=b, contribution=focus)
    SourceFactory(source=a, contribution=focus, weight=Decimal("3"))
    root = parse(lineage_svg(lineage(focus.pk), focus_id=focus.pk))
    nodes = nodes_by_id(root)
    assert nodes[a.pk].get("data-depth") == nodes[b.pk].get("data-depth") == "-1"
    pairs = {
        (int(g.get("data-source")), int(g.get("data-remix")))
        for g in root.iterfind(".//svg:g[@class='lineage__edge']", NS)
    }
    assert pairs == {(a.pk, b.pk), (b.pk, focus.pk), (a.pk, focus.pk)}


# --- the include ------------------------------------------------------------------------


def test_include_embeds_the_picture_with_a_caption(family):
    focus = family[2]
    found = lineage(focus.pk)
    html = render_to_string(
        "contributions/_lineage.html", {"picture": lineage_picture(found, focus_id=focus.pk)}
    )
    assert '<figure class="lineage">' in html
    assert html.count("<svg ") == 2  # sources on the left (wide screens), on top (phones)
    assert "&lt;svg" not in html
    assert "Built directly from 1 (2 in all, further back) · remixed directly into 2" in html
    assert "Nothing built from this yet" not in html


def test_include_shows_an_empty_state_without_lineage(db):
    alone = ContributionFactory()
    found = lineage(alone.pk)
    html = render_to_string(
        "contributions/_lineage.html",
        {
            "picture": lineage_picture(found, focus_id=alone.pk),
            "remix_url": f"/contributions/new/?remix={alone.pk}",
        },
    )
    assert "<svg" not in html
    assert "Nothing built from this yet." in html
    assert f'<a href="/contributions/new/?remix={alone.pk}">Remix it!</a>' in html
    bare = render_to_string("contributions/_lineage.html", {"picture": None})
    assert "Nothing built from this yet. Remix it!" in bare
