"""What the money journey needs besides ``support``: a project whose cut is locked, with
three artists ready to be paid; more signed-in browsers (staff and artists at once);
Django admin's changelist actions; keyboard-only helpers; and reading a download back.

Admin pages get every check of ``Visit.check``; ``AdminVisit`` runs axe on the page's main
area only, since Django's own chrome around it is not ours to change (see ``AdminVisit``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from payouts.models import Distribution, PayeeDetails
from tests.accounts.factories import UserFactory
from tests.conftest import browser_login
from tests.contributions.factories import ContributionFactory, SourceFactory
from tests.journeys import support
from tests.journeys.support import Visit
from tests.payouts.factories import lock
from tests.projects.factories import ProjectFactory

PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class MoneyWorld:
    """Film (Cy) <- Song (Ben) <- Poem (Ana); the locked cut holds Film alone, so with the
    default shares (half to the house, half of a remix's credit upstream) Cy keeps 1/2 of
    the pool, Ben 1/4 and Ana 1/4. Everyone has a confirmed payout email."""

    project: Any
    admin: Any
    ana: Any
    ben: Any
    cy: Any

    @property
    def artists(self) -> tuple[Any, Any, Any]:
        return (self.ana, self.ben, self.cy)


def money_world() -> MoneyWorld:
    project = ProjectFactory(title="Harbour Lights")
    director = project.created_by
    ana = UserFactory(username="ana", first_name="Ana", last_name="Ito")
    ben = UserFactory(username="ben", first_name="Ben", last_name="Osei")
    cy = UserFactory(username="cy", first_name="Cy", last_name="Marr")
    poem = ContributionFactory(project=project, author=ana, title="Poem")
    song = ContributionFactory(project=project, author=ben, title="Song")
    film = ContributionFactory(project=project, author=cy, title="Film")
    SourceFactory(contribution=song, source=poem)
    SourceFactory(contribution=film, source=song)
    lock(project, director, [(film, "1")])
    for person in (ana, ben, cy):
        PayeeDetails.objects.create(
            person=person,
            payout_email=f"pay-{person.username}@example.com",
            payee_name=f"{person.first_name} {person.last_name}",
            email_verified_at=timezone.now(),
        )
    admin = UserFactory(username="treasurer", is_staff=True, is_superuser=True)
    return MoneyWorld(project=project, admin=admin, ana=ana, ben=ben, cy=cy)


def close_claims(distribution: Distribution) -> None:
    """The claim window ends: the services compare ``claim_deadline`` with
    ``timezone.now()`` and have no clock of their own, so the deadline moves into the past
    (in the data, as fourteen days passing would leave it) rather than the clock forward."""
    Distribution.objects.filter(pk=distribution.pk).update(
        claim_deadline=timezone.now() - datetime.timedelta(seconds=1)
    )


# --- more browsers ----------------------------------------------------------------------


@pytest.fixture
def open_page(browser, browser_context_args) -> Iterator[Callable[[], Any]]:
    """Another browser (its own cookies) at the journey's size, noting CSP reports as
    ``tests.conftest.page`` does: the admin and each artist are signed in at once."""
    contexts: list[Any] = []

    def open_one() -> Any:
        context = browser.new_context(**browser_context_args)
        contexts.append(context)
        page = context.new_page()
        page.csp_violations = []
        page.on(
            "console",
            lambda message: (
                page.csp_violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    yield open_one
    for context in contexts:
        context.close()


def sign_in(page: Any, user: Any, visit: Visit | None = None, name: str = "") -> None:
    """Sign in on the site's own page (checked as ``name`` when a visit is given)."""
    if visit is None:
        browser_login(page, user, PASSWORD)
        return
    page.goto("/accounts/login/")
    visit.check(name)
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


# --- Django admin -----------------------------------------------------------------------


class AdminVisit(Visit):
    """``Visit`` for Django admin pages: the same checks, with axe run on the page's
    ``main`` (``#content-start``: the messages and ``#content``, all the payouts admin
    renders: its forms, lists, inlines and messages). Django's stock chrome around it
    fails axe on its own: the breadcrumbs' links differ from their text by colour alone
    (``link-in-text-block``, serious), on every admin page. Django's stock login page has
    no ``h1`` at all (its branding is a ``div``, its form has no heading); ``stock_login``
    names that one page, and every other check still runs there."""

    AXE_CONTEXT = "#content-start"

    def check(self, name: str, *, stock_login: bool = False) -> None:
        page = self.page
        page.wait_for_load_state("load")
        folder = support.ARTIFACTS / self.journey
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}-{self.size}.png"), full_page=True)
        results = support.AXE.run(page, context=self.AXE_CONTEXT)
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(n["target"][0] for n in v["nodes"][:3])
            for v in results.response["violations"]
            if v.get("impact") in support.SERIOUS
        ]
        assert not serious, f"{name}: axe found\n" + "\n".join(serious)
        h1 = page.locator("h1").count()
        assert h1 == (0 if stock_login else 1), f"{name}: {h1} h1"
        assert page.evaluate(support.UNLABELLED) == [], f"{name}: fields without a label"
        assert page.evaluate(support.NO_ALT) == [], f"{name}: images without alt text"
        violations = page.evaluate("window.__cspViolations || []")
        assert violations == [], f"{name}: CSP violations {violations}"
        self.checked.append(name)


def admin_action(page: Any, model: str, action: str, pks: list[int]) -> None:
    """On ``model``'s changelist, tick the rows ``pks``, choose ``action`` and press Go."""
    page.goto(f"/admin/payouts/{model}/")
    for pk in pks:
        page.check(f"input.action-select[value='{pk}']")
    page.select_option("select[name=action]", action)
    page.get_by_role("button", name="Go").click()
    page.wait_for_load_state()


def messages_text(page: Any) -> str:
    return " ".join(page.locator("ul.messagelist li").all_inner_texts())


# --- the keyboard alone -----------------------------------------------------------------

FOCUSED = "(selector) => document.activeElement && document.activeElement.matches(selector)"


def tab_to(page: Any, selector: str, *, limit: int = 250) -> None:
    """Press Tab until the focused element matches ``selector`` (fails after ``limit``)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED, selector):
            return
    pytest.fail(f"{selector} is not reachable with Tab from where the page started")


def choose_with_keys(page: Any, select: str, label: str) -> None:
    """Tab to ``select`` and type the start of an option's label, as a person choosing
    from a closed dropdown does; asserts that option is the one chosen."""
    tab_to(page, select)
    page.keyboard.type(label)
    chosen = page.evaluate(
        "(s) => { const el = document.querySelector(s); "
        "return el.options[el.selectedIndex].text; }",
        select,
    )
    assert chosen.startswith(label), f"typing {label!r} chose {chosen!r}"


def press_to_load(page: Any, key: str = "Enter") -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


# --- downloads --------------------------------------------------------------------------


def read_download(download: Any) -> str:
    """A downloaded file's text (the browser saved it; we read that copy)."""
    return Path(download.path()).read_text(encoding="utf-8")


def screen_text(page: Any, selector: str = "body") -> str:
    """What a person reads in ``selector``: its visible text, spaces collapsed."""
    return re.sub(r"\s+", " ", page.locator(selector).inner_text())
