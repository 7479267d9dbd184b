"""The header and the gallery's audio cards in a real Chromium: on a phone the header is one
row with a menu that opens without script and nothing scrolls sideways; "Sign up" is light
text on the accent, AA in both colour schemes; an audio card plays its rendition."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from contributions.models import Contribution
from tests import media_samples as samples
from tests.accounts.factories import UserFactory
from tests.conftest import browser_login
from tests.contributions.factories import ContributionFactory
from tests.projects.factories import CallFactory, ProjectFactory
from tests.projects.test_home_and_filters import contrast

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


def _rgb_hex(css_colour: str) -> str:
    r, g, b = (int(n) for n in re.findall(r"\d+", css_colour)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def _header_fits_one_row(page) -> None:
    height = page.evaluate("document.querySelector('header.site-header').offsetHeight")
    assert height < 64, f"the header is {height}px tall on a phone"
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"], f"horizontal scroll at 375px: {scroll_width}"


def _menu_toggle(page):
    return page.locator("summary").filter(has_text="Menu")


def _world() -> None:
    project = ProjectFactory(title="A Very Long Project Title For A Narrow Phone Screen")
    CallFactory(project=project, title="A cello line", medium="audio", good_first=True)


def test_a_visitor_on_a_phone_gets_a_one_row_header_with_sign_in_sign_up_and_a_menu(page):
    _world()
    page.set_viewport_size(PHONE)
    page.goto("/")
    _header_fits_one_row(page)
    assert page.get_by_role("link", name="Sign in").is_visible()
    assert page.get_by_role("link", name="Sign up").is_visible()
    header = page.locator("header.site-header")
    assert not header.get_by_role("link", name="API", exact=True).is_visible()  # menu closed
    _menu_toggle(page).click()
    menu = page.get_by_role("navigation", name="Menu")
    assert menu.get_by_role("link", name="API", exact=True).is_visible()
    box = menu.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    menu.get_by_role("link", name="Projects").click()
    page.wait_for_url("**/projects/")
    _header_fits_one_row(page)
    assert page.csp_violations == []


def test_a_signed_in_person_on_a_phone_gets_one_row_and_everything_in_the_menu(page):
    _world()
    person = UserFactory(username="phoebe", mediums=["audio"])
    page.set_viewport_size(PHONE)
    browser_login(page, person)
    page.goto("/")
    _header_fits_one_row(page)
    assert page.get_by_role("link", name=re.compile("^Notifications")).is_visible()
    _menu_toggle(page).click()
    menu = page.get_by_role("navigation", name="Menu")
    for name in ("Projects", "Start a project", "Earnings", "Your profile (phoebe)", "API"):
        assert menu.get_by_role("link", name=name, exact=True).is_visible(), name
    for link in menu.get_by_role("link").all():
        assert link.bounding_box()["height"] >= 44  # touch targets
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    menu.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Sign in").is_visible()


def test_on_a_wide_screen_the_header_shows_its_links_and_no_menu(page):
    person = UserFactory(username="wanda")
    browser_login(page, person)
    page.goto("/")
    assert not _menu_toggle(page).is_visible()
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Start a project").is_visible()
    assert page.get_by_role("link", name="wanda").is_visible()
    assert page.get_by_role("button", name="Sign out").is_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}])
def test_sign_up_is_light_on_the_accent_and_meets_aa(page, scheme, viewport):
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size(viewport)
    page.goto("/")
    sign_up = page.get_by_role("link", name="Sign up")
    colours = sign_up.evaluate(
        "el => { const s = getComputedStyle(el); return [s.color, s.backgroundColor]; }"
    )
    text, background = (_rgb_hex(c) for c in colours)
    root = page.evaluate(
        "() => { const s = getComputedStyle(document.documentElement);"
        " return [s.getPropertyValue('--c-accent-text').trim(),"
        " s.getPropertyValue('--c-accent').trim()]; }"
    )
    assert (text, background) == tuple(root)  # the button's own colours, nothing repaints them
    assert contrast(text, background) >= 4.5


def test_an_audio_card_in_the_gallery_plays_the_rendition(page):
    project = ProjectFactory(title="Harbour Sounds")
    rendition = default_storage.save(
        "contributions/renditions/bell.m4a", ContentFile(samples.m4a_bytes(4))
    )
    original = default_storage.save(
        "contributions/bell.wav", ContentFile(samples.wav_bytes(seconds=4))
    )
    ContributionFactory(
        project=project,
        kind=Contribution.Kind.AUDIO,
        title="Bell buoy",
        text="",
        file=original,
        rendition=rendition,
        duration_ms=4000,
    )
    page.goto(project.get_absolute_url())
    player = page.get_by_label("Play “Bell buoy”")
    assert player.is_visible()
    box = player.bounding_box()
    assert box is not None
    player.click(position={"x": 20, "y": box["height"] / 2})  # the native play button
    page.wait_for_function(
        "() => document.querySelector('.contribution-card__player').currentTime > 0.2"
    )
    assert page.evaluate(
        "document.querySelector('.contribution-card__player').currentSrc"
    ).endswith(f"/media/{rendition}")
    assert page.csp_violations == []
