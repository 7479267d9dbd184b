"""A person starts a project with a cover in a real browser and lands on its page."""

from __future__ import annotations

import pytest

from projects.models import Project
from tests.accounts.factories import UserFactory
from tests.conftest import browser_login
from tests.projects.images import png_bytes


@pytest.mark.browser
def test_create_a_project_with_a_cover_and_see_it(page, tmp_path):
    person = UserFactory(username="dana")
    cover = tmp_path / "my-cover.png"
    cover.write_bytes(png_bytes((800, 500), (30, 90, 160)))

    browser_login(page, person)
    page.goto("/projects/new/")
    page.fill("input[name=title]", "Rain on Tin Roofs")
    page.fill("textarea[name=brief]", "An ambient album of **rain**.")
    page.get_by_label("Audio").check()
    page.set_input_files("input[name=cover]", str(cover))
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url("**/projects/rain-on-tin-roofs/")

    assert page.get_by_role("heading", name="Rain on Tin Roofs").is_visible()
    image = page.locator("img.project-cover")
    image.wait_for()
    assert page.evaluate(
        "() => { const i = document.querySelector('img.project-cover');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    assert page.get_by_text("You direct this project.").is_visible()
    # Its only director cannot leave it: the page says why instead of offering to.
    assert page.get_by_role("button", name="Leave project").count() == 0
    assert page.get_by_text("You are its only director").is_visible()
    assert page.locator(".prose strong").inner_text() == "rain"
    project = Project.objects.get(slug="rain-on-tin-roofs")
    assert project.mediums == ["audio"]
    assert project.cover
    assert page.csp_violations == []
