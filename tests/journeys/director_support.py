"""What the director's journey needs besides ``support`` and ``money_support``: the people
in it, the artists answering a call through the services (as their own browsers would),
the header's links at either size, and reading the cut page's split and order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from contributions import services as contribution_services
from contributions.models import Contribution
from contributions.services import SourceSpec
from projects import services as project_services
from projects.models import Call, Project
from tests.accounts.factories import UserFactory
from tests.media_samples import png_bytes

POEM = "Salt on the harbour wall,\nnets drying in the last light."
VERSE = "The gulls know the tide before we do."


@dataclass(frozen=True)
class People:
    director: Any
    ana: Any
    ben: Any
    cas: Any


def people() -> People:
    return People(
        director=UserFactory(username="dora", first_name="Dora", last_name="Lind"),
        ana=UserFactory(username="ana", first_name="Ana", last_name="Ito"),
        ben=UserFactory(username="ben", first_name="Ben", last_name="Osei"),
        cas=UserFactory(username="cas", first_name="Cas", last_name="Moor"),
    )


@dataclass(frozen=True)
class Answers:
    poem: Contribution
    poster: Contribution
    verse: Contribution


def answer_the_call(project: Project, call: Call, who: People) -> Answers:
    """Three artists join and answer the director's call: Ana a poem, Ben a poster (an
    image, processed by the task as an upload is) that remixes her poem, Cas a verse."""
    for artist in (who.ana, who.ben, who.cas):
        project_services.project_join(project=project, user=artist)
    submit = contribution_services.contribution_submit
    poem = submit(
        user=who.ana,
        project=project,
        title="Harbour poem",
        kind=Contribution.Kind.TEXT,
        text=POEM,
        call=call,
        terms_accepted=True,
    )
    poster = submit(
        user=who.ben,
        project=project,
        title="Poster of the poem",
        kind=Contribution.Kind.IMAGE,
        file=SimpleUploadedFile("poster.png", png_bytes(640, 400), content_type="image/png"),
        call=call,
        sources=[SourceSpec(contribution_id=poem.pk)],
        terms_accepted=True,
    )
    verse = submit(
        user=who.cas,
        project=project,
        title="Second verse",
        kind=Contribution.Kind.TEXT,
        text=VERSE,
        call=call,
        terms_accepted=True,
    )
    poster.refresh_from_db()
    assert poster.status == Contribution.Status.READY, poster.status  # processed on commit
    return Answers(poem=poem, poster=poster, verse=verse)


# --- the header at either size ----------------------------------------------------------


def follow_header_link(page: Any, name: str, size: str) -> None:
    """Follow a header link as a person does: in the bar on a wide screen, through the
    Menu on a phone (where the bar keeps only the brand and the notifications)."""
    if size == "phone":
        page.locator(".site-menu__toggle").click()
        link = page.locator(".site-menu__panel").get_by_role("link", name=name)
    else:
        link = page.locator(".site-nav").get_by_role("link", name=name)
    link.click()
    page.wait_for_load_state()


# --- the cut page -----------------------------------------------------------------------


def split_lines(page: Any) -> dict[str, tuple[str, str]]:
    """The projected split as shown: username -> (share, amount)."""
    lines: dict[str, tuple[str, str]] = {}
    for row in page.locator("[data-cut-lines] tr").all():
        person, share, amount = (cell.strip() for cell in row.locator("td").all_inner_texts())
        lines[person] = (share, amount)
    return lines


def wait_for_split(page: Any, expected: dict[str, tuple[str, str]]) -> None:
    """Wait until the split shows ``expected`` (the preview answers asynchronously)."""
    for _ in range(50):
        if split_lines(page) == expected:
            return
        page.wait_for_timeout(100)
    assert split_lines(page) == expected


def cut_order(page: Any) -> list[str]:
    return page.locator("[data-cut-list] .cut-item__title a").all_inner_texts()


def message_text(page: Any) -> str:
    return re.sub(r"\s+", " ", " ".join(page.locator(".messages").all_inner_texts()))
