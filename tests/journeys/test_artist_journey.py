"""The artist journey in a real browser: a newcomer signs up, confirms their email from the
link in the mail, searches and filters the projects and joins one; uploads an image and
watches the progress bar, sees it processed with its thumbnail; remixes another artist's
poem as audio and sees the lineage picture and the waveform player. Joining, uploading and
remixing are then done a second time with the keyboard alone (see ``artist_support``).

Every page visited passes ``Visit.check`` (axe, one h1, labels, alt text, CSP) at a
desktop and a phone size, and its screenshot is kept under var/journeys/artist/.
"""

from __future__ import annotations

import re

import pytest

from accounts.models import User
from contributions.models import Contribution, Source
from projects.models import Membership
from tests import media_samples as samples
from tests.journeys.artist_support import (
    PASSWORD,
    artist_world,
    choose_file,
    focused,
    image_loaded,
    media_file,
    open_nav,
    project_titles,
    tab_and_enter,
    tab_and_space,
    tab_and_type,
    verification_path,
)
from tests.journeys.money_support import press_to_load, tab_to
from tests.journeys.support import Visit

JOURNEY = "artist"
NAME = "lena"
EMAIL = "lena@example.com"

# Every value the upload's progress bar takes, kept across the page load that follows.
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
PROGRESS_SEEN = "JSON.parse(sessionStorage.getItem('progress') || '[]')"


def _messages(page) -> str:
    return " ".join(page.locator(".messages").all_inner_texts())


@pytest.mark.browser
def test_an_artist_signs_up_joins_uploads_and_remixes(page, size, tmp_path):
    world = artist_world()
    page.set_default_timeout(10_000)
    visit = Visit(page, JOURNEY, size)
    picture = media_file(tmp_path, "lighthouse.jpg", samples.jpeg_bytes(800, 600))
    sound = media_file(tmp_path, "foghorn.wav", samples.wav_bytes(3))
    road = media_file(tmp_path, "road.jpg", samples.jpeg_bytes(800, 600))

    # --- sign up, and confirm the address from the mail ------------------------------
    page.goto("/")
    visit.check("home")
    page.locator(".site-header").get_by_role("link", name="Sign up").click()
    page.wait_for_url(re.compile(r"/accounts/signup/$"))
    visit.check("sign-up")
    page.get_by_label("Username").fill(NAME)
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label(re.compile(r"^Password\W*$")).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(re.compile(r"/$"))
    assert f"Welcome, {NAME}. We sent a link to {EMAIL}" in _messages(page)
    lena = User.objects.get(username=NAME)
    assert not lena.email_verified
    visit.check("signed-up")

    page.goto(verification_path(EMAIL))
    page.wait_for_url(re.compile(r"/accounts/verify/$"))
    assert f"Thank you: {EMAIL} is confirmed." in _messages(page)
    assert f"{EMAIL} is confirmed: news about your work is sent there." in page.inner_text("main")
    lena.refresh_from_db()
    assert lena.email_verified
    visit.check("email-confirmed")

    # --- search and filter the projects, join one ---------------------------------------
    open_nav(page, size, "Projects")
    assert set(project_titles(page)) == {
        "Harbour Lights",
        "Night Market",
        "Quiet Rooms",
        "Salt Roads",
    }
    page.get_by_label("Search titles and briefs").fill("lighthouse")
    page.get_by_role("button", name="Show projects").click()
    page.wait_for_url(re.compile(r"search=lighthouse"))
    assert set(project_titles(page)) == {"Harbour Lights", "Night Market", "Salt Roads"}
    visit.check("projects-searched")
    page.get_by_label("Medium").select_option(label="Audio")
    page.get_by_role("button", name="Show projects").click()
    page.wait_for_url(re.compile(r"medium=audio"))
    assert project_titles(page) == ["Harbour Lights"]
    assert page.locator(".project-count").inner_text() == "1 project"
    assert page.get_by_label("Search titles and briefs").input_value() == "lighthouse"
    visit.check("projects-filtered")

    page.locator(".grid").get_by_role("link", name="Harbour Lights").click()
    page.wait_for_url(re.compile(rf"/projects/{world.harbour.slug}/$"))
    visit.check("project")
    page.get_by_role("button", name="Join project").click()
    page.wait_for_load_state()
    assert "You joined Harbour Lights." in _messages(page)
    assert page.locator(".project-state--member").inner_text() == "You are a member."
    assert Membership.objects.filter(project=world.harbour, user=lena).exists()
    visit.check("project-joined")

    # --- upload an image: the progress bar, then its thumbnail ------------------------
    page.locator("#join").get_by_role("link", name="Contribute").click()
    page.wait_for_url(re.compile(r"/contributions/new/"))
    visit.check("contribute")
    page.get_by_label("Image").check()
    page.get_by_label("Title").fill("Lighthouse at dusk")
    page.set_input_files("input[type=file]", picture)
    page.get_by_label("I accept the contributor terms").check()
    page.evaluate(RECORD_PROGRESS)
    page.get_by_role("button", name="Share it").click()
    page.wait_for_url(re.compile(r"/contributions/\d+/$"))
    seen = page.evaluate(PROGRESS_SEEN)
    assert seen, "the progress bar never moved"
    assert seen[-1] == "100", f"the progress bar showed {seen}"
    assert "Uploaded. We are checking the file and making its thumbnail." in _messages(page)
    image = Contribution.objects.get(title="Lighthouse at dusk")
    assert image.status == Contribution.Status.READY
    assert image.thumbnail
    assert page.locator(".work--image img").get_attribute("alt") == "Lighthouse at dusk"
    assert image_loaded(page, ".work--image img")
    visit.check("image")

    page.get_by_role("link", name="Harbour Lights").first.click()
    page.wait_for_url(re.compile(rf"/projects/{world.harbour.slug}/$"))
    card = page.locator(".contribution-card", has_text="Lighthouse at dusk")
    thumb = card.locator("img.card__media")
    thumb.scroll_into_view_if_needed()
    assert thumb.get_attribute("src") == image.thumbnail.url
    page.wait_for_function(
        "(src) => [...document.images].some((i) => i.src.endsWith(src) && i.naturalWidth > 0)",
        arg=image.thumbnail.url,
    )
    visit.check("gallery")

    # --- remix Omar's poem as audio: the lineage picture and the waveform player --------
    page.goto(world.poem.get_absolute_url())
    visit.check("poem")
    page.get_by_role("link", name="Remix this").click()
    page.wait_for_url(re.compile(rf"/contributions/new/\?remix={world.poem.pk}"))
    visit.check("remix-form")
    page.get_by_label("Audio").check()
    assert page.get_by_label("Title").input_value() == "Remix of Lamp poem"
    page.get_by_label("Title").fill("Foghorn for the lamp")
    page.set_input_files("input[type=file]", sound)
    page.get_by_label("I accept the contributor terms").check()
    page.get_by_role("button", name="Publish the remix").click()
    page.wait_for_url(re.compile(r"/contributions/\d+/$"))
    remix = Contribution.objects.get(title="Foghorn for the lamp")
    assert remix.status == Contribution.Status.READY
    assert Source.objects.filter(contribution=remix, source=world.poem).exists()
    side = page.get_by_role("complementary", name="Lineage and actions")
    assert "Lamp poem" in side.inner_text()
    lineage = page.locator("figure.lineage svg:visible")
    assert lineage.count() == 1
    drawn = lineage.text_content() or ""
    assert "Lamp poem" in drawn
    assert "Foghorn for the lamp" in drawn
    assert "you are here" in drawn.lower()
    player = page.locator("figure.player--live")
    player.wait_for()
    wave = player.locator("[data-player-wave][role=slider]")
    assert wave.get_attribute("aria-valuemax") == "3", "the player did not read the length"
    assert player.locator("audio").get_attribute("src")
    visit.check("remix")

    page.goto(world.poem.get_absolute_url())
    assert "Remixed 1 time" in page.locator(".contribution__side").inner_text()
    assert "Foghorn for the lamp" in page.locator(".contribution__side").inner_text()

    # --- the same with the keyboard alone: join, upload (answering a call), remix -------
    page.goto(world.salt.get_absolute_url())
    tab_and_enter(page, "#join button[type=submit]")
    assert "You joined Salt Roads." in _messages(page)
    visit.check("keys-joined")
    tab_and_enter(page, "a.call__answer")
    assert page.locator("input[name=kind][value=image]").is_checked()
    tab_and_type(page, "input[name=title]", "Map of the salt road")
    choose_file(page, road)
    tab_and_space(page, "input[name=terms]")
    page.evaluate(RECORD_PROGRESS)
    tab_and_enter(page, "button[type=submit]")
    page.wait_for_url(re.compile(r"/contributions/\d+/$"))
    assert page.evaluate(PROGRESS_SEEN)[-1] == "100"
    drawn_map = Contribution.objects.get(title="Map of the salt road")
    assert drawn_map.call == world.salt_call
    assert drawn_map.thumbnail
    assert image_loaded(page, ".work--image img")
    visit.check("keys-uploaded")

    page.goto(world.poem.get_absolute_url())
    tab_and_enter(page, "a.button--block")  # Remix this
    tab_to(page, "input[name=kind]")
    assert focused(page, "input[name=kind][value=text]")
    page.keyboard.press("Space")
    # The title offered ("Remix of Lamp poem") is kept: only Tab, Enter and Space here.
    tab_and_type(page, "textarea[name=text]", "And the sea turns, and the lamp listens.")
    tab_and_space(page, "input[name=terms]")
    tab_to(page, "button[type=submit]")
    press_to_load(page)
    page.wait_for_url(re.compile(r"/contributions/\d+/$"))
    answer = Contribution.objects.get(title="Remix of Lamp poem")
    assert Source.objects.filter(contribution=answer, source=world.poem).exists()
    assert "Lamp poem" in (page.locator("figure.lineage svg:visible").text_content() or "")
    visit.check("keys-remixed")

    visit.finish()
