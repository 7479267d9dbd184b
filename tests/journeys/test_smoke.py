"""The journey checks themselves, on the home page and the projects list."""

import pytest

from tests.journeys.support import Visit


@pytest.mark.browser
def test_public_pages_pass_every_check(page, size):
    visit = Visit(page, "smoke", size)
    page.goto("/")
    visit.check("home")
    page.goto("/projects/")
    visit.check("projects")
    visit.finish()
