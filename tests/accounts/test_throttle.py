"""Sign-in is limited per (account, client address); sign-up per address."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.accounts.factories import UserFactory

PASSWORD = "correct-horse-battery"
ATTACKER = "203.0.113.66"
ARTIST_HOME = "198.51.100.20"


def sign_in(address: str, username: str, password: str):
    client = Client(REMOTE_ADDR=address)
    return client, client.post("/accounts/login/", {"username": username, "password": password})


def token(address: str, username: str, password: str):
    return Client(REMOTE_ADDR=address).post(
        "/api/auth/token/",
        {"username": username, "password": password},
        content_type="application/json",
    )


@pytest.mark.django_db
def test_five_failures_lock_the_pair_even_for_the_right_password():
    UserFactory(username="mira")
    for _ in range(5):
        _, response = sign_in(ATTACKER, "mira", "guess")
        assert response.status_code == 400
        assert "do not match" in response.content.decode()

    client, refused = sign_in(ATTACKER, "MIRA", PASSWORD)  # right password, any case
    assert refused.status_code == 429
    html = refused.content.decode()
    assert (
        "Too many failed sign-ins for this account from your address. Try again in 15 minutes."
        in html
    )
    assert 850 < int(refused["Retry-After"]) <= 900
    assert "_auth_user_id" not in client.session

    # The API is locked for the same pair too, with a message and Retry-After.
    api = token(ATTACKER, "mira", PASSWORD)
    assert api.status_code == 429
    assert api.json()["detail"].startswith("Too many failed sign-ins for this account")
    assert 850 < int(api["Retry-After"]) <= 900

    # The artist, from another address, is not locked out...
    client, response = sign_in(ARTIST_HOME, "mira", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"]
    assert token(ARTIST_HOME, "mira", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_the_same_address_can_still_sign_in_to_other_accounts():
    UserFactory(username="mira")
    UserFactory(username="tomas")
    for _ in range(6):
        sign_in(ATTACKER, "mira", "guess")
    assert sign_in(ATTACKER, "mira", PASSWORD)[1].status_code == 429
    assert sign_in(ATTACKER, "tomas", PASSWORD)[1].status_code == 302


@pytest.mark.django_db
def test_a_successful_sign_in_clears_the_count():
    UserFactory(username="mira")
    for _ in range(4):
        sign_in(ATTACKER, "mira", "guess")
    assert sign_in(ATTACKER, "mira", PASSWORD)[1].status_code == 302
    for _ in range(4):
        assert sign_in(ATTACKER, "mira", "guess")[1].status_code == 400
    assert sign_in(ATTACKER, "mira", PASSWORD)[1].status_code == 302


@pytest.mark.django_db
def test_failures_through_the_api_and_the_page_count_together():
    UserFactory(username="mira")
    for _ in range(3):
        assert token(ATTACKER, "mira", "guess").status_code == 400
    for _ in range(2):
        assert sign_in(ATTACKER, "mira", "guess")[1].status_code == 400
    assert token(ATTACKER, "mira", PASSWORD).status_code == 429
    assert sign_in(ATTACKER, "mira", PASSWORD)[1].status_code == 429


@pytest.mark.django_db
def test_a_locked_pair_cannot_probe_passwords(django_assert_num_queries):
    # Once locked, the password is never checked: no query reaches the user table.
    UserFactory(username="mira")
    for _ in range(5):
        token(ATTACKER, "mira", "guess")
    with django_assert_num_queries(0):
        response = token(ATTACKER, "mira", PASSWORD)
    assert response.status_code == 429


@pytest.mark.django_db
def test_the_lock_ends_with_the_window(settings):
    settings.SIGNIN_FAILURE_WINDOW = 3
    UserFactory(username="mira")
    Client().get("/accounts/login/")  # warm up, so the five failures fit in the window
    for _ in range(5):
        sign_in(ATTACKER, "mira", "guess")
    refused = sign_in(ATTACKER, "mira", PASSWORD)[1]
    assert refused.status_code == 429
    assert "Try again in 1 minute." in refused.content.decode()
    import time

    time.sleep(3.1)
    assert sign_in(ATTACKER, "mira", PASSWORD)[1].status_code == 302


@pytest.mark.django_db
def test_x_forwarded_for_does_not_give_a_fresh_address():
    UserFactory(username="mira")
    for i in range(5):
        Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").post(
            "/accounts/login/", {"username": "mira", "password": "guess"}
        )
    response = Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="10.9.9.9").post(
        "/accounts/login/", {"username": "mira", "password": PASSWORD}
    )
    assert response.status_code == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_forwarded_client_address_counts(settings):
    # Caddy connects from 172.18.0.5 and appends the real client to X-Forwarded-For.
    settings.TRUSTED_PROXY_IPS = ["172.16.0.0/12"]
    UserFactory(username="mira")

    def via_proxy(client_ip: str, password: str, spoofed: str = ""):
        forwarded = f"{spoofed}, {client_ip}" if spoofed else client_ip
        return Client(REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR=forwarded).post(
            "/accounts/login/", {"username": "mira", "password": password}
        )

    for i in range(5):  # what the attacker writes in the header does not change the pair
        assert via_proxy(ATTACKER, "guess", spoofed=f"10.0.0.{i}").status_code == 400
    assert via_proxy(ATTACKER, PASSWORD).status_code == 429
    # The artist behind the same proxy, from home, is not locked out.
    assert via_proxy(ARTIST_HOME, PASSWORD).status_code == 302
