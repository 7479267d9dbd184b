from __future__ import annotations

import pytest

from tests.accounts.factories import UserFactory
from tests.conftest import browser_login


@pytest.mark.browser
def test_home_renders_without_csp_violations_and_fits_a_phone(page):
    page.goto("/")
    assert page.locator("header.site-header").is_visible()
    assert page.get_by_role("link", name="Sign up").is_visible()
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375, f"horizontal scroll at 375px: {scroll_width}"
    assert page.csp_violations == []


@pytest.mark.browser
def test_sign_in_through_the_browser_shows_the_person_in_the_header(page):
    person = UserFactory(username="browsy")
    browser_login(page, person)
    assert page.get_by_role("link", name="browsy").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Sign in").is_visible()
    assert page.csp_violations == []


@pytest.mark.browser
def test_api_docs_render_under_the_csp(page):
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=15000)
    assert page.csp_violations == []
