from __future__ import annotations

import pytest
import yaml
from django.test import Client

from accounts.models import User
from tests.accounts.factories import UserFactory

GOOD = {"username": "Kofi", "email": "kofi@example.com", "password": "frame by frame 24"}


def post(path: str, body: dict, **extra):
    return Client(**extra).post(path, body, content_type="application/json")


@pytest.mark.django_db
def test_register_creates_an_account():
    response = post("/api/auth/register/", GOOD)
    assert response.status_code == 201
    user = User.objects.get(username="Kofi")
    assert response.json() == {"id": user.pk, "username": "Kofi"}
    assert user.email == "kofi@example.com"
    assert user.check_password("frame by frame 24")


@pytest.mark.django_db
def test_register_refuses_a_name_taken_in_another_case():
    UserFactory(username="kofi", email="someone-else@example.com")
    response = post("/api/auth/register/", GOOD)
    assert response.status_code == 400
    assert response.json() == {
        "username": ["That username is taken (names ignore case); pick another."]
    }
    assert User.objects.filter(username__iexact="kofi").count() == 1


@pytest.mark.django_db
def test_register_applies_the_password_rules_and_needs_every_field():
    response = post("/api/auth/register/", {**GOOD, "password": "password123"})
    assert response.status_code == 400
    assert "This password is too common." in response.json()["password"]
    response = post("/api/auth/register/", {**GOOD, "password": "kofi@example.com"})
    assert response.status_code == 400
    assert any("too similar" in m for m in response.json()["password"])
    response = post("/api/auth/register/", {"username": "kofi", "email": "not-an-email"})
    assert response.status_code == 400
    body = response.json()
    assert body["email"] == ["Enter a valid email address."]
    assert body["password"] == ["This field is required."]
    response = post("/api/auth/register/", {**GOOD, "username": "kofi mensah!"})
    assert response.status_code == 400
    assert "username" in response.json()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_register_is_throttled_per_address(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "signup": "2/min",
        },
    }
    for i in range(2):
        body = {**GOOD, "username": f"kofi{i}", "email": f"k{i}@example.com"}
        response = post("/api/auth/register/", body, REMOTE_ADDR="1.2.3.4")
        assert response.status_code == 201
    refused = post("/api/auth/register/", {**GOOD, "username": "kofi9"}, REMOTE_ADDR="1.2.3.4")
    assert refused.status_code == 429
    assert refused.json() == {
        "detail": "Too many sign-ups from your address in a short time. Try again in 1 minute."
    }
    assert 0 < int(refused["Retry-After"]) <= 60
    assert not User.objects.filter(username="kofi9").exists()
    other = post("/api/auth/register/", {**GOOD, "username": "kofi9"}, REMOTE_ADDR="5.6.7.8")
    assert other.status_code == 201


@pytest.mark.django_db
def test_token_for_a_username_in_any_case_and_it_works():
    person = UserFactory(username="Lena")
    response = post("/api/auth/token/", {"username": "LENA", "password": "correct-horse-battery"})
    assert response.status_code == 200
    key = response.json()["token"]
    again = post("/api/auth/token/", {"username": "lena", "password": "correct-horse-battery"})
    assert again.json() == {"token": key}  # one token per person
    me = Client().get("/api/me/notifications/", HTTP_AUTHORIZATION=f"Token {key}")
    assert me.status_code == 200
    assert me.wsgi_request.user == person


@pytest.mark.django_db
def test_token_refuses_wrong_credentials_with_a_message():
    UserFactory(username="lena")
    response = post("/api/auth/token/", {"username": "lena", "password": "nope"})
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "That username and password do not match an account. Check both "
            "(the password is case-sensitive)."
        ]
    }
    response = post("/api/auth/token/", {"username": "lena"})
    assert response.status_code == 400
    assert response.json() == {"password": ["This field is required."]}


@pytest.mark.django_db
def test_a_bad_token_header_does_not_block_getting_a_token():
    UserFactory(username="lena")
    response = post(
        "/api/auth/token/",
        {"username": "lena", "password": "correct-horse-battery"},
        HTTP_AUTHORIZATION="Token stale",
    )
    assert response.status_code == 200


@pytest.mark.django_db
def test_anonymous_requests_that_need_a_person_get_401_with_a_message():
    response = Client().get("/api/me/notifications/")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Sign in first: send 'Authorization: Token <token>' or use a session."
    }


@pytest.mark.django_db
def test_the_schema_describes_register_and_token():
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    register = schema["paths"]["/api/auth/register/"]["post"]
    token = schema["paths"]["/api/auth/token/"]["post"]
    assert set(register["responses"]) >= {"201", "400", "429"}
    assert set(token["responses"]) >= {"200", "400", "429"}

    def component(ref_holder: dict) -> dict:
        ref = ref_holder["content"]["application/json"]["schema"]["$ref"]
        return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]

    assert set(component(register["requestBody"])["properties"]) == {
        "username",
        "email",
        "password",
    }
    assert set(component(register["responses"]["201"])["properties"]) == {"id", "username"}
    assert set(component(token["requestBody"])["properties"]) == {"username", "password"}
    assert set(component(token["responses"]["200"])["properties"]) == {"token"}
