"""What the artist journey needs besides ``support``: the projects a newcomer searches
(with another artist's work to remix), the verification link read from the sent mail,
real media files on disk for the file input, and keyboard-only steps.

Keyboard steps press only Tab, Shift+Tab, Enter and Space (and type into the field that has
the focus). Choosing a file is the one exception: headless Chromium opens no native file
dialog, so the test sets the file on the file input *while it has the focus*
(``choose_file``), where a person would press Space and pick it in the dialog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from accounts.models import Medium
from contributions.models import Contribution
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory
from tests.journeys.money_support import FOCUSED, press_to_load, tab_to
from tests.projects.factories import CallFactory, ProjectFactory

PASSWORD = "a-long-walk-by-the-harbour"


@dataclass(frozen=True)
class ArtistWorld:
    """Three projects; two mention a lighthouse, one of them takes images and audio.
    ``harbour`` holds Omar's poem (to remix); ``salt`` has an open call for images (joined
    and answered with the keyboard alone)."""

    harbour: Any
    market: Any
    quiet: Any
    salt: Any
    poem: Contribution
    salt_call: Any


def artist_world() -> ArtistWorld:
    director = UserFactory(username="dana", first_name="Dana", last_name="Reyes")
    harbour = ProjectFactory(
        title="Harbour Lights",
        created_by=director,
        brief="Pictures and sounds of the old lighthouse at night.",
        mediums=[Medium.IMAGE.value, Medium.AUDIO.value],
    )
    market = ProjectFactory(
        title="Night Market",
        created_by=director,
        brief="Stories told under the lighthouse, written down.",
        mediums=[Medium.TEXT.value],
    )
    quiet = ProjectFactory(
        title="Quiet Rooms",
        created_by=director,
        brief="Photographs of empty rooms.",
        mediums=[Medium.IMAGE.value],
    )
    salt = ProjectFactory(
        title="Salt Roads",
        created_by=director,
        brief="Drawings of the roads the salt traders walked, by lighthouse light.",
        mediums=[Medium.IMAGE.value],
    )
    salt_call = CallFactory(
        project=salt, title="We need a map of the old road", medium=Medium.IMAGE.value
    )
    omar = UserFactory(username="omar", first_name="Omar", last_name="Haddad")
    poem = ContributionFactory(
        project=harbour,
        author=omar,
        title="Lamp poem",
        text="The lamp turns, and the sea answers.",
        text_html="<p>The lamp turns, and the sea answers.</p>",
    )
    return ArtistWorld(
        harbour=harbour, market=market, quiet=quiet, salt=salt, poem=poem, salt_call=salt_call
    )


def verification_path(address: str) -> str:
    """The link in the last mail sent to ``address``, as a path on this site."""
    sent = [m for m in mail.outbox if address in m.to]
    assert sent, f"no mail was sent to {address}"
    assert sent[-1].subject == "hitrecord: confirm your email address"
    found = re.search(r"https?://[^/\s]+(/accounts/verify/[^\s]+/)", sent[-1].body)
    assert found, sent[-1].body
    return found.group(1)


def media_file(folder: Path, name: str, data: bytes) -> str:
    path = folder / name
    path.write_bytes(data)
    return str(path)


def project_titles(page: Any) -> list[str]:
    """The projects the list shows, in order."""
    return [t.strip() for t in page.locator(".grid .card__title").all_inner_texts()]


def open_nav(page: Any, size: str, name: str) -> None:
    """Follow a header link as a person would at this size: on a phone it is in the menu."""
    if size == "phone":
        page.locator("summary.site-menu__toggle").click()
        page.locator(".site-menu__panel").get_by_role("link", name=name).click()
    else:
        page.locator("nav.site-nav").get_by_role("link", name=name).click()
    page.wait_for_load_state()


def image_loaded(page: Any, selector: str) -> bool:
    """The image is shown: it loaded, with real pixels (not a broken-image icon)."""
    return bool(
        page.evaluate(
            "(s) => { const img = document.querySelector(s);"
            " return !!img && img.complete && img.naturalWidth > 0; }",
            selector,
        )
    )


# --- the keyboard alone -----------------------------------------------------------------


def focused(page: Any, selector: str) -> bool:
    return bool(page.evaluate(FOCUSED, selector))


def tab_and_type(page: Any, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def tab_and_space(page: Any, selector: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Space")


def tab_and_enter(page: Any, selector: str) -> None:
    """Tab to a link or button and press Enter; waits for the page it loads."""
    tab_to(page, selector)
    press_to_load(page)


def choose_file(page: Any, path: str) -> None:
    """Tab to the file input and choose ``path`` on it while it has the focus (see above)."""
    tab_to(page, "input[type=file]")
    if not focused(page, "input[type=file]"):
        pytest.fail("the file input lost the focus")
    page.locator("input[type=file]:focus").set_input_files(path)
