"""The lineage picture in a real browser: what is in view on a wide screen and on a phone,
the hint that it scrolls, and text that stays inside its boxes with the fonts installed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory, SourceFactory

pytestmark = pytest.mark.browser

# The nodes of the drawing on show: each box's rectangle on screen, and whether it lies
# wholly inside the scroll box (less its faded edges) and inside the window.
NODES_IN_VIEW = """
() => {
  const frame = [...document.querySelectorAll('.lineage__scroll')]
    .find(box => box.offsetParent !== null);
  const view = frame.getBoundingClientRect();
  const fade = 16;
  return [...frame.querySelectorAll('a.lineage__node')].map(node => {
    const r = node.querySelector('rect').getBoundingClientRect();
    return {
      id: node.dataset.id,
      here: node.getAttribute('aria-current') === 'page',
      inBox: r.left >= view.left + fade - 0.5 && r.right <= view.right - fade + 0.5,
      inWindow: r.left >= 0 && r.right <= window.innerWidth
        && r.top >= 0 && r.bottom <= window.innerHeight,
    };
  });
}
"""

# Every text of every node, measured by the browser, against its box.
TEXT_OVERFLOW = """
() => {
  const out = [];
  for (const node of document.querySelectorAll('a.lineage__node')) {
    const box = node.querySelector('rect').getBBox();
    for (const text of node.querySelectorAll('text')) {
      if (!text.closest('g.lineage__text')) continue;  // "you are here" above the box
      const t = text.getBBox();
      if (t.width === 0) continue;  // in the drawing CSS hides
      if (t.x < box.x || t.x + t.width > box.x + box.width - 4) {
        out.push(text.textContent + ' ' + (t.x + t.width) + ' > ' + (box.x + box.width));
      }
    }
  }
  return out;
}
"""


def chain(length: int, **titles: str):
    people = [UserFactory(first_name=f"Artist{i}", last_name="Example") for i in range(3)]
    items = [
        ContributionFactory(author=people[i % 3], title=titles.get(f"t{i}", f"Part {i}"))
        for i in range(length)
    ]
    for source, remix in zip(items, items[1:], strict=False):
        SourceFactory(source=source, contribution=remix, weight=Decimal("2.5"))
    return items


def visible(page, selector: str) -> bool:
    return page.locator(selector).first.is_visible()


def test_a_wide_lineage_starts_at_its_first_node_and_says_it_scrolls(page):
    items = chain(6)
    page.goto(f"/contributions/{items[2].pk}/")

    assert not visible(page, ".lineage__frame--vertical")
    assert page.eval_on_selector(".lineage__scroll--horizontal", "b => b.scrollLeft") == 0
    nodes = {n["id"]: n for n in page.evaluate(NODES_IN_VIEW)}
    assert nodes[str(items[0].pk)]["inBox"], "the first node is cut off"
    assert nodes[str(items[2].pk)]["inBox"], "you are here is out of view"
    assert not nodes[str(items[5].pk)]["inBox"]
    assert visible(page, ".lineage__hint--horizontal")
    assert "Scroll sideways" in page.locator(".lineage__hint--horizontal").inner_text()
    # scrolled to the end, the last node is whole too
    page.eval_on_selector(".lineage__scroll--horizontal", "b => { b.scrollLeft = b.scrollWidth }")
    nodes = {n["id"]: n for n in page.evaluate(NODES_IN_VIEW)}
    assert nodes[str(items[5].pk)]["inBox"]
    assert page.csp_violations == []


def test_the_picture_opens_on_you_are_here_when_it_is_far_along(page):
    items = chain(9)
    page.goto(f"/contributions/{items[7].pk}/")

    assert page.eval_on_selector(".lineage__scroll--horizontal", "b => b.scrollLeft") > 0
    here = next(n for n in page.evaluate(NODES_IN_VIEW) if n["here"])
    assert here["inBox"]


def test_no_scroll_hint_when_the_picture_fits(page):
    # wide enough that the server cannot promise it fits (776 px), narrower than this page
    items = chain(3)
    page.goto(f"/contributions/{items[1].pk}/")
    assert page.locator(".lineage__hint--horizontal").count() == 1
    assert not visible(page, ".lineage__hint--horizontal")
    page.set_viewport_size({"width": 700, "height": 900})
    page.goto(f"/contributions/{items[1].pk}/")
    assert visible(page, ".lineage__hint--horizontal")


def test_on_a_phone_the_lineage_runs_down_and_shows_several_nodes(page):
    items = chain(
        5, t0="Field recording at the river mouth", t2="Song for the ferry crossing, demo"
    )
    for n in range(2):
        SourceFactory(source=items[2], contribution=ContributionFactory(title=f"Cover {n}"))
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"/contributions/{items[2].pk}/")

    assert visible(page, ".lineage__frame--vertical")
    assert not visible(page, ".lineage__frame--horizontal")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
      .filter(e => e.getBoundingClientRect().right > 375 && !e.closest('.lineage__scroll'))
      .map(e => e.tagName + '.' + e.getAttribute('class') + ': ' + e.textContent.slice(0, 60))""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, wide
    page.locator(".lineage__scroll--vertical [aria-current=page]").scroll_into_view_if_needed()
    nodes = page.evaluate(NODES_IN_VIEW)
    seen = [n for n in nodes if n["inBox"] and n["inWindow"]]
    assert len(seen) >= 3, nodes
    assert any(n["here"] for n in seen)
    assert "you are here" in page.locator(".lineage__scroll--vertical").inner_text()


@pytest.mark.parametrize("width", [1280, 375])
def test_text_stays_inside_its_box(page, width):
    items = chain(
        4,
        t0="WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW",
        t1="Überschallgeschwindigkeitsflugzeugträger und mehr",
        t2="Field recording at the river mouth, at dawn, take two",
        t3="夜の川の歌、フェリーの渡し、デモの三番目の録音",
    )
    long_name = UserFactory(first_name="Maximiliana", last_name="Okonkwo-Bellweather-Smythe")
    SourceFactory(
        source=items[2],
        contribution=ContributionFactory(author=long_name, title="Mm", withdrawn=True),
    )
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/contributions/{items[2].pk}/")

    assert page.evaluate(TEXT_OVERFLOW) == []
