from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.models import AuditEntry, Notification, User
from tests.accounts.factories import UserFactory

GOOD = {
    "username": "Mira",
    "email": "mira@example.com",
    "password1": "ink and gouache 42",
    "password2": "ink and gouache 42",
}


def field_errors(html: str, name: str) -> list[str]:
    """The error sentences shown inside the block of the field ``name``."""
    start = html.index(f'for="id_{name}"')
    block = html[start : html.index("</div>", start)]
    return re.findall(r'<p class="field__error" role="alert">([^<]+)</p>', block)


def signup(client: Client, **changes: str):
    return client.post("/accounts/signup/", {**GOOD, **changes})


@pytest.mark.django_db
def test_the_signup_page_shows_the_form(client):
    page = client.get("/accounts/signup/")
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("username", "email", "password1", "password2"):
        assert f'name="{name}"' in html


@pytest.mark.django_db
def test_signing_up_creates_the_account_signs_in_and_welcomes(client):
    response = signup(client)
    assert response.status_code == 302
    user = User.objects.get(username="Mira")
    assert user.email == "mira@example.com"
    assert user.check_password("ink and gouache 42")
    assert client.get("/me/notifications/").status_code == 200  # signed in
    assert Notification.objects.filter(recipient=user, kind="welcome").exists()
    assert AuditEntry.objects.filter(action="user.register", target_id=str(user.pk)).exists()


@pytest.mark.django_db
def test_a_username_taken_in_another_case_is_a_form_error(client):
    UserFactory(username="mira")
    response = signup(client, username="MIRA")
    assert response.status_code == 400
    assert field_errors(response.content.decode(), "username") == [
        "That username is taken (names ignore case); pick another."
    ]
    assert User.objects.filter(username__iexact="mira").count() == 1


@pytest.mark.django_db
def test_a_weak_password_is_refused_with_the_reason(client):
    response = signup(client, password1="password", password2="password")
    assert response.status_code == 400
    html = response.content.decode()
    assert field_errors(html, "password1") == ["This password is too common."]
    assert field_errors(html, "password2") == []
    response = signup(client, password1="12345678901", password2="12345678901")
    assert "This password is entirely numeric." in response.content.decode()
    response = signup(client, password1="short", password2="short")
    assert "This password is too short" in response.content.decode()
    assert not User.objects.filter(username__iexact="mira").exists()


@pytest.mark.django_db
def test_an_email_is_required(client):
    response = signup(client, email="")
    assert response.status_code == 400
    assert field_errors(response.content.decode(), "email") == [
        "Enter your email: it is how you reset a password."
    ]
    assert not User.objects.exists()


@pytest.mark.django_db
def test_former_member_names_are_reserved(client):
    response = signup(client, username="Former-Member-12")
    assert response.status_code == 400
    assert "reserved" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_losing_a_race_for_a_name_is_a_validation_error_not_an_integrity_error():
    # Someone else takes the name between the caller's check and the insert: the database's
    # case-insensitive constraint decides, and the service says so on the username.
    from django.core.exceptions import ValidationError

    from accounts.services import user_register

    UserFactory(username="mira")
    with pytest.raises(ValidationError) as raised:
        user_register(username="MIRA", email="m@example.com", password="ink and gouache 42")
    assert raised.value.message_dict == {
        "username": ["That username is taken (names ignore case); pick another."]
    }
    assert User.objects.filter(username__iexact="mira").count() == 1


@pytest.mark.django_db
def test_signup_is_throttled_per_address(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "signup": "3/hour",
        },
    }
    here = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(3):
        response = here.post(
            "/accounts/signup/", {**GOOD, "username": f"artist-{i}", "email": f"a{i}@example.com"}
        )
        assert response.status_code == 302
        here.logout()
    refused = here.post("/accounts/signup/", {**GOOD, "username": "artist-4"})
    assert refused.status_code == 429
    assert "Too many sign-ups from your address" in refused.content.decode()
    assert "Try again in 60 minutes." in refused.content.decode()
    assert not User.objects.filter(username="artist-4").exists()
    # The API shares the same budget for that address.
    api = Client(REMOTE_ADDR="203.0.113.7").post(
        "/api/auth/register/",
        {"username": "artist-5", "email": "a5@example.com", "password": "ink and gouache 42"},
        content_type="application/json",
    )
    assert api.status_code == 429
    # Another address is not affected.
    elsewhere = Client(REMOTE_ADDR="198.51.100.1")
    body = {**GOOD, "username": "artist-6", "email": "a6@example.com"}
    assert elsewhere.post("/accounts/signup/", body).status_code == 302
