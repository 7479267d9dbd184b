"""What every journey checks on every page it visits, and the screenshots it keeps.

A journey runs once at a desktop size and once at a phone's (375 x 812): the ``size``
fixture says which. ``Visit(page, journey, size)`` watches the page for console errors,
uncaught exceptions and Content-Security-Policy violations from the start; ``visit.check(
name)`` then asserts, on the page as it is now:

- axe-core finds no serious or critical violation;
- the page has exactly one ``h1``;
- every visible form field has a label (``<label for>``, a wrapping label, ``aria-label``
  or ``aria-labelledby``), and every image has an ``alt`` attribute;

and writes a full-page screenshot to ``var/journeys/<journey>/<name>-<size>.png`` (the
test artifacts). ``visit.finish()`` asserts that no page of the
journey logged a console error or a CSP violation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

ROOT = Path(__file__).resolve().parents[2]
# Not under test-results/: pytest-playwright empties that folder when a session starts.
ARTIFACTS = ROOT / "var" / "journeys"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
AXE = Axe()
SERIOUS = {"serious", "critical"}

# Reported by the page itself: a CSP violation does not always reach the console.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' ' + (event.blockedURI || 'inline'));
});
"""

UNLABELLED = """
() => [...document.querySelectorAll('input, select, textarea')]
  .filter((el) => el.type !== 'hidden' && el.type !== 'submit' && el.type !== 'button'
    && el.offsetParent !== null)
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
    && !el.getAttribute('aria-labelledby'))
  .map((el) => el.outerHTML.slice(0, 120))
"""
NO_ALT = """
() => [...document.querySelectorAll('img')].filter((img) => !img.hasAttribute('alt'))
  .map((img) => img.outerHTML.slice(0, 120))
"""


@pytest.fixture(params=list(SIZES))
def size(request) -> str:
    return str(request.param)


@pytest.fixture
def browser_context_args(browser_context_args, size):
    return {**browser_context_args, "viewport": SIZES[size]}


@dataclass
class Visit:
    page: Any
    journey: str
    size: str
    console_errors: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.add_init_script(WATCH_CSP)
        self.page.on(
            "console",
            lambda m: (
                self.console_errors.append(f"{self.page.url}: {m.text}")
                if m.type == "error"
                else None
            ),
        )
        self.page.on("pageerror", lambda e: self.console_errors.append(f"{self.page.url}: {e}"))

    def check(self, name: str) -> None:
        """Assert what every page owes everyone, and keep a screenshot of it."""
        page = self.page
        page.wait_for_load_state("load")
        folder = ARTIFACTS / self.journey
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}-{self.size}.png"), full_page=True)
        results = AXE.run(page)
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(n["target"][0] for n in v["nodes"][:3])
            for v in results.response["violations"]
            if v.get("impact") in SERIOUS
        ]
        assert not serious, f"{name}: axe found\n" + "\n".join(serious)
        assert page.locator("h1").count() == 1, f"{name}: {page.locator('h1').count()} h1"
        assert page.evaluate(UNLABELLED) == [], f"{name}: fields without a label"
        assert page.evaluate(NO_ALT) == [], f"{name}: images without alt text"
        violations = page.evaluate("window.__cspViolations || []")
        assert violations == [], f"{name}: CSP violations {violations}"
        self.checked.append(name)

    def finish(self) -> None:
        errors = [e for e in self.console_errors if not _expected(e)]
        assert errors == [], "console errors:\n" + "\n".join(errors)
        assert self.page.csp_violations == []


def _expected(message: str) -> bool:
    """Console lines a browser writes for what the journey does on purpose: a refused
    form answers 4xx ("Failed to load resource"), which is the page working."""
    return bool(
        re.search(r"Failed to load resource: the server responded with a status of 4", message)
    )
