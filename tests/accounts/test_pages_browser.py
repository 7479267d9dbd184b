"""The accounts pages in a real Chromium: no JavaScript needed, nothing the CSP blocks."""

from __future__ import annotations

import os

import pytest

from accounts.models import User
from tests.accounts.factories import image_bytes
from tests.conftest import browser_login

SHOTS = os.environ.get("HITRECORD_SCREENSHOTS")  # a folder, to look at the pages by eye


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sign_up_edit_the_profile_and_see_it(page, tmp_path):
    page.goto("/accounts/signup/")
    page.fill("input[name=username]", "Ravi")
    page.fill("input[name=email]", "ravi@example.com")
    page.fill("input[name=password1]", "password")
    page.fill("input[name=password2]", "password")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "This password is too common." in page.inner_text("main")
    shot(page, "signup-errors")

    page.fill("input[name=password1]", "chasing light in rain 9")
    page.fill("input[name=password2]", "chasing light in rain 9")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert User.objects.filter(username="Ravi").exists()

    avatar = tmp_path / "me.jpg"
    avatar.write_bytes(image_bytes((640, 480), "#2a6f97", "JPEG"))
    page.goto("/me/profile/")
    page.fill("input[name=first_name]", "Ravi")
    page.fill("input[name=last_name]", "Shah")
    page.fill("textarea[name=bio]", "Photographer chasing light in rainy cities.")
    page.check("input[name=mediums][value=image]")
    page.set_input_files("input[name=avatar]", str(avatar))
    page.click("text=Save my profile")
    page.wait_for_load_state()
    assert "Your profile is saved." in page.inner_text("main")
    shot(page, "profile-edit")

    page.goto("/u/ravi/")
    assert page.inner_text("h1") == "Ravi Shah"
    img = page.locator(".profile-head img.avatar")
    assert img.evaluate("el => el.complete && el.naturalWidth > 0")
    shot(page, "profile")

    page.goto("/me/delete/")
    shot(page, "delete")
    assert page.csp_violations == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_throttle_message_shows_on_the_sign_in_page(page, user):
    for _ in range(5):
        page.goto("/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", "wrong guess")
        page.click("button[type=submit]")
        page.wait_for_load_state()
    browser_login(page, user)
    alert = page.locator(".form-error")
    assert "Too many failed sign-ins for this account from your address." in alert.inner_text()
    shot(page, "login-throttled")
    assert page.csp_violations == []
