"""The curation page in a real browser: the projected split follows the weights without a
page load, items reorder with the keyboard, and nothing breaks the CSP or the console.

``CUTPAGE_SHOTS=/tmp/cutpage`` also saves screenshots at 1280 and 375 px wide."""

from __future__ import annotations

import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from contributions.models import Contribution
from payouts.selectors import draft_items, draft_of
from tests.accounts.factories import UserFactory
from tests.conftest import browser_login
from tests.contributions.factories import ContributionFactory, SourceFactory
from tests.payouts.factories import lock, save_draft
from tests.projects.factories import CallFactory, ProjectFactory
from tests.projects.images import png_bytes

URL = "/projects/harbour/cut/"


def _thumbnail(name: str, colour: tuple[int, int, int]) -> str:
    return default_storage.save(
        f"contributions/thumbs/{name}.png", ContentFile(png_bytes((320, 200), colour))
    )


@pytest.fixture
def world(db):
    director = UserFactory(username="dora", first_name="Dora")
    project = ProjectFactory(slug="harbour", title="Harbour Nights", created_by=director)
    ana = UserFactory(username="ana", first_name="Ana")
    ben = UserFactory(username="ben", first_name="Ben")
    cas = UserFactory(username="cas", first_name="Cas")
    poem = ContributionFactory(project=project, author=ana, title="Harbour poem")
    song = ContributionFactory(
        project=project,
        author=ben,
        title="Song for the harbour",
        kind=Contribution.Kind.IMAGE,
        thumbnail=_thumbnail("song", (30, 90, 160)),
    )
    SourceFactory(contribution=song, source=poem)
    call = CallFactory(project=project, title="We need drums")
    drums = ContributionFactory(
        project=project,
        author=cas,
        call=call,
        title="Drums at dawn",
        kind=Contribution.Kind.IMAGE,
        thumbnail=_thumbnail("drums", (160, 60, 30)),
    )
    save_draft(project, director, [(song, "2"), (poem, "1")])
    return {"project": project, "director": director, "poem": poem, "song": song, "drums": drums}


def _watch_console(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _lines(page) -> list[str]:
    return page.locator("[data-cut-lines] tr").all_inner_texts()


def _order(page) -> list[str]:
    return page.locator("[data-cut-list] .cut-item__title a").all_inner_texts()


@pytest.mark.browser
def test_weights_update_the_split_in_place_and_keyboard_reorders(page, world):
    errors = _watch_console(page)
    browser_login(page, world["director"])
    page.goto(URL)
    # 1000.00, half to contributors: ana 2/3 (poem, and half the song), ben 1/3.
    assert any("333.33" in line for line in _lines(page))
    page.evaluate("window.__samePage = true")

    page.fill(f"#weight-{world['song'].pk}", "1")
    # Now ana 3/4, ben 1/4 of 500.00.
    page.wait_for_function(
        "() => document.querySelector('[data-cut-lines]').innerText.includes('375.00')"
    )
    assert any(line.startswith("ana") and "75.00%" in line for line in _lines(page))
    assert page.get_by_text("Unsaved changes").is_visible()

    # Reorder with the keyboard only: focus "Move down" on the first item, press Enter.
    page.locator(f"[data-id='{world['song'].pk}'] [data-cut-move=down]").focus()
    page.keyboard.press("Enter")
    assert _order(page) == ["Harbour poem", "Song for the harbour"]
    focused = page.evaluate("document.activeElement.closest('[data-cut-item]').dataset.id")
    assert focused == str(world["song"].pk)  # focus stays with the moved item
    # Now last, its "Move down" is disabled, so focus moved to its "Move up".
    assert page.evaluate("document.activeElement.dataset.cutMove") == "up"
    page.keyboard.press("Space")
    assert _order(page) == ["Song for the harbour", "Harbour poem"]

    # Add an answer to the call: the split gains its author without a page load.
    page.get_by_role("button", name="Add “Drums at dawn”").first.click()
    page.wait_for_function(
        "() => document.querySelector('[data-cut-lines]').innerText.includes('cas')"
    )
    assert page.get_by_role("button", name="In the cut “Drums at dawn”").first.is_disabled()

    # A bad weight: the API's message beside the field, the split set aside.
    page.fill(f"#weight-{world['drums'].pk}", "0")
    error = page.locator(f"#weight-{world['drums'].pk}-error")
    error.wait_for(state="visible")
    assert "Item 3: the weight must be above 0." in error.inner_text()
    page.fill(f"#weight-{world['drums'].pk}", "1")
    error.wait_for(state="hidden")

    assert page.evaluate("window.__samePage === true")  # no page load so far
    assert draft_of(project=world["project"]).revision == 1  # nothing saved yet

    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(f"**{URL}")
    assert page.get_by_text("Draft saved (revision 2).").is_visible()
    saved = [
        (i.contribution_id, str(i.weight))
        for i in draft_items(cut=draft_of(project=world["project"]))
    ]
    assert saved == [
        (world["song"].pk, "1.000"),
        (world["poem"].pk, "1.000"),
        (world["drums"].pk, "1.000"),
    ]
    # The browser logs the preview's intended 400 (the bad weight) as a failed resource.
    assert [e for e in errors if "status of 400" not in e] == []
    assert page.csp_violations == []


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 375])
def test_the_page_fits_the_screen(page, world, width):
    lock(world["project"], world["director"], [(world["song"], "2"), (world["poem"], "1")])
    save_draft(world["project"], world["director"], [(world["song"], "3"), (world["drums"], "1")])
    errors = _watch_console(page)
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, world["director"])
    page.goto(URL)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    split_box = page.locator(".cut-split").bounding_box()
    items_box = page.locator(".cut-items").bounding_box()
    if width >= 1280:
        assert split_box["x"] > items_box["x"] + items_box["width"] - 1  # two panes
    else:
        assert split_box["y"] >= items_box["y"] + items_box["height"] - 1  # one column
    shots = os.environ.get("CUTPAGE_SHOTS")
    if shots:
        page.screenshot(path=f"{shots}-{width}.png", full_page=True)
        page.goto("/projects/harbour/cut/lock/")
        page.screenshot(path=f"{shots}-lock-{width}.png", full_page=True)
    assert errors == []
    assert page.csp_violations == []


@pytest.mark.browser
def test_too_many_previews_get_a_quiet_note_and_keep_the_edits(page, world):
    browser_login(page, world["director"])
    page.goto(URL)
    page.route(
        "**/final-cut/split/",
        lambda route: route.fulfill(
            status=429, content_type="application/json", body='{"detail": "Slow down."}'
        ),
    )
    page.fill(f"#weight-{world['song'].pk}", "5")
    note = page.locator("[data-cut-quiet]")
    note.wait_for(state="visible")
    assert "Previews pause for a moment" in note.inner_text()
    assert page.input_value(f"#weight-{world['song'].pk}") == "5"
    assert page.locator("[data-cut-errors]").is_hidden()
    assert page.csp_violations == []
