"""The director's journey in a real browser: a director starts a project and opens a
call; three artists answer it; the director reviews the answers in the call's inbox on the
final-cut page, curates the cut, watches the projected split change as a weight changes,
saves and locks it, then reads the credits and downloads them (.txt and .csv, read back).
Reordering the cut and locking it are done a second time with the keyboard alone.

Every page visited passes ``Visit.check`` (axe, one h1, labels, alt text, CSP) at a
desktop and a phone size; screenshots are kept under var/journeys/director/.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from payouts.selectors import draft_items, draft_of, latest_version
from projects.models import Call, Membership, Project
from tests.journeys.director_support import (
    answer_the_call,
    cut_order,
    follow_header_link,
    message_text,
    people,
    split_lines,
    wait_for_split,
)
from tests.journeys.money_support import press_to_load, read_download, sign_in, tab_to
from tests.journeys.support import Visit

JOURNEY = "director"
TITLE = "Harbour Nights"


@pytest.mark.browser
def test_a_director_curates_locks_and_credits_a_cut(page, size):
    who = people()
    visit = Visit(page, JOURNEY, size)
    sign_in(page, who.director, visit, "sign-in")

    # --- start a project ------------------------------------------------------------------
    follow_header_link(page, "Start a project", size)
    visit.check("project-new")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Brief").fill("A short film about the harbour at night. Words first.")
    page.get_by_label("Text", exact=True).check()
    page.get_by_label("Image", exact=True).check()
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url(re.compile(r"/projects/[\w-]+/$"))
    project = Project.objects.get(title=TITLE)
    assert project.memberships.get(user=who.director).role == Membership.Role.DIRECTOR
    assert "Your project is up. Open a call to invite artists." in message_text(page)
    visit.check("project-detail")

    # --- open a call ----------------------------------------------------------------------
    page.get_by_role("link", name="Edit project and calls").click()
    page.wait_for_load_state()
    visit.check("project-edit")
    page.fill("#id_call-title", "A poem for the harbour")
    page.fill("#id_call-description", "Short lines we can read over the opening shot.")
    page.select_option("#id_call-medium", label="Text")
    page.get_by_role("button", name="Open the call").click()
    page.wait_for_load_state()
    assert "Your call is open." in message_text(page)
    call = Call.objects.get(project=project)
    assert call.is_open
    assert call.medium == "text"
    assert page.locator(f"#call-{call.pk}").get_by_text("Open", exact=True).is_visible()
    visit.check("call-open")

    # --- artists answer it (each in their own session: through the services) -------------
    answers = answer_the_call(project, call, who)

    # --- review the call's inbox on the final-cut page ------------------------------------
    page.goto(project.get_absolute_url())
    page.get_by_role("link", name="Curate the final cut").click()
    page.wait_for_url(f"**/projects/{project.slug}/cut/")
    inbox = page.locator(f"section.inbox:has(#inbox-{call.pk})")
    assert "A poem for the harbour" in inbox.locator("h4").inner_text()
    assert "3 answers" in inbox.locator("h4").inner_text()
    # Newest first, each with its author; the poster shows its picture.
    assert inbox.locator(".candidate__title a").all_inner_texts() == [
        "Second verse",
        "Poster of the poem",
        "Harbour poem",
    ]
    assert "by Ben Osei" in inbox.locator(".candidate", has_text="Poster").inner_text()
    assert inbox.locator(".candidate", has_text="Poster").locator("img").count() == 1
    assert page.locator("[data-cut-empty]").is_visible()  # "The cut is empty."
    lineage = page.locator("[data-cut-lineage-empty]")
    assert lineage.inner_text() == "Nothing upstream yet: the cut is empty."
    visit.check("cut-inbox")

    # --- curate: add two answers, weigh them, reorder -------------------------------------
    page.evaluate("window.__samePage = true")
    inbox.get_by_role("button", name="Add “Harbour poem”").click()
    inbox.get_by_role("button", name="Add “Poster of the poem”").click()
    assert cut_order(page) == ["Harbour poem", "Poster of the poem"]
    assert inbox.get_by_role("button", name="In the cut “Harbour poem”").is_disabled()
    # 1000.00, half to contributors; the poster passes half its credit to the poem.
    wait_for_split(page, {"ana": ("75.00%", "375.00"), "ben": ("25.00%", "125.00")})
    page.fill(f"#weight-{answers.poster.pk}", "3")
    # Poem 1/4 of 500 to Ana; the poster 3/4, half of it upstream to Ana.
    wait_for_split(page, {"ana": ("62.50%", "312.50"), "ben": ("37.50%", "187.50")})
    assert page.get_by_text("Unsaved changes").is_visible()
    page.locator(f"[data-id='{answers.poster.pk}'] [data-cut-move=up]").click()
    assert cut_order(page) == ["Poster of the poem", "Harbour poem"]
    assert page.evaluate("window.__samePage === true")  # all of it without a page load
    visit.check("cut-curated")

    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(f"**/projects/{project.slug}/cut/")
    assert "Draft saved (revision 1)." in message_text(page)
    saved = [(i.contribution_id, str(i.weight)) for i in draft_items(cut=draft_of(project=project))]
    assert saved == [(answers.poster.pk, "3.000"), (answers.poem.pk, "1.000")]
    # The saved page shows the same split the browser projected.
    assert split_lines(page) == {"ana": ("62.50%", "312.50"), "ben": ("37.50%", "187.50")}
    # The poster's source, the poem, is in the cut already: nothing more upstream to add.
    assert lineage.inner_text().startswith("Nothing more to add from upstream: what the items")

    # --- lock version 1 -------------------------------------------------------------------
    page.get_by_role("link", name="Review and lock…").click()
    page.wait_for_url(f"**/projects/{project.slug}/cut/lock/")
    assert "Version 1 will be locked with 2 items" in page.locator(".lock-plan").inner_text()
    visit.check("lock-review")
    page.get_by_role("button", name="Lock version 1").click()
    page.wait_for_url(f"**/projects/{project.slug}/cut/#history")
    assert "Version 1 locked." in message_text(page)
    assert latest_version(project=project).number == 1
    assert page.locator("#version-1").is_visible()
    visit.check("cut-locked")

    # --- the same again with the keyboard alone: add, reorder, save, lock -----------------
    page.goto(f"/projects/{project.slug}/cut/")  # Tab from the top of the page
    tab_to(page, f"[data-cut-add='{answers.verse.pk}']")
    page.keyboard.press("Enter")
    assert cut_order(page) == ["Poster of the poem", "Harbour poem", "Second verse"]
    # Focus went to the new item's weight; its "Move down" is disabled, so Tab reaches
    # "Move up" after the share field.
    assert page.evaluate("document.activeElement.id") == f"weight-{answers.verse.pk}"
    tab_to(page, f"[data-id='{answers.verse.pk}'] [data-cut-move=up]", limit=3)
    page.keyboard.press("Enter")
    assert cut_order(page) == ["Poster of the poem", "Second verse", "Harbour poem"]
    page.keyboard.press("Space")  # focus stayed on the moved item's "Move up"
    assert cut_order(page) == ["Second verse", "Poster of the poem", "Harbour poem"]
    page.keyboard.press("Shift+Tab")  # back to its share field...
    page.keyboard.press("Shift+Tab")  # ...and its weight; Enter previews, never saves
    assert page.evaluate("document.activeElement.id") == f"weight-{answers.verse.pk}"
    page.keyboard.press("Enter")
    # Weights 1 + 3 + 1 of 500: the verse 100 to Cas; the poster 300, half to Ana.
    expected = {
        "ana": ("50.00%", "250.00"),
        "ben": ("30.00%", "150.00"),
        "cas": ("20.00%", "100.00"),
    }
    wait_for_split(page, expected)
    tab_to(page, "button[name=save]")
    press_to_load(page)
    assert "Draft saved (revision 2)." in message_text(page)
    assert cut_order(page) == ["Second verse", "Poster of the poem", "Harbour poem"]
    assert split_lines(page) == expected

    tab_to(page, "[data-cut-lock]")
    press_to_load(page)
    assert page.url.endswith(f"/projects/{project.slug}/cut/lock/")
    assert "Version 2 will be locked with 3 items" in page.locator(".lock-plan").inner_text()
    tab_to(page, ".cut-lock-form button[type=submit]")
    press_to_load(page)
    assert "Version 2 locked." in message_text(page)
    assert latest_version(project=project).number == 2
    history = page.locator("#version-2").inner_text()
    assert "Added since version 1" in history
    assert "+ Second verse" in history

    # --- the credits, and their downloads -------------------------------------------------
    page.goto(project.get_absolute_url())
    page.get_by_role("link", name="Credits").click()
    page.wait_for_url(f"**/projects/{project.slug}/credits/")
    credits = page.locator(".credits").inner_text()
    assert "Version 2 of the final cut" in credits
    for name in ("Ana Ito", "Ben Osei", "Cas Moor"):
        assert name in credits
    visit.check("credits")

    with page.expect_download() as text_download:
        page.get_by_role("link", name="text (.txt)").click()
    download = text_download.value
    assert download.suggested_filename == f"{project.slug}-credits-v2.txt"
    roll = read_download(download)
    assert roll.startswith(f"{TITLE}\n")
    assert "Credits of version 2" in roll
    for line in ("Ana Ito", "Ben Osei", "Cas Moor", "Harbour poem", "Second verse"):
        assert line in roll

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="spreadsheet (.csv)").click()
    download = csv_download.value
    assert download.suggested_filename == f"{project.slug}-credits-v2.csv"
    rows = list(csv.DictReader(io.StringIO(read_download(download))))
    credited = {(r["name"], r["title"], r["depth"], r["in_cut"]) for r in rows}
    assert credited == {
        ("Ana Ito", "Harbour poem", "0", "true"),
        ("Ben Osei", "Poster of the poem", "0", "true"),
        ("Cas Moor", "Second verse", "0", "true"),
    }

    visit.finish()
    assert visit.checked == [
        "sign-in",
        "project-new",
        "project-detail",
        "project-edit",
        "call-open",
        "cut-inbox",
        "cut-curated",
        "lock-review",
        "cut-locked",
        "credits",
    ]
