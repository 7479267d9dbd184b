"""One sign-in throttle for the site's page, the API token and Django admin's login: per
(account, address) with IPv6 counted by /64, an account-wide limit against guessing from
many addresses that still lets the owner in, and one way of comparing usernames."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from tests.accounts.factories import UserFactory

PASSWORD = "correct-horse-battery"
ATTACKER = "203.0.113.66"
ARTIST_HOME = "198.51.100.20"


def admin_login(address: str, username: str, password: str):
    client = Client(REMOTE_ADDR=address)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
    )
    return client, response


def page_login(address: str, username: str, password: str):
    client = Client(REMOTE_ADDR=address)
    return client, client.post("/accounts/login/", {"username": username, "password": password})


def token(address: str, username: str, password: str):
    return Client(REMOTE_ADDR=address).post(
        "/api/auth/token/",
        {"username": username, "password": password},
        content_type="application/json",
    )


# --- Django admin ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_login_is_throttled_twelve_wrong_then_the_right_one_does_not_sign_in():
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    codes = [admin_login(ATTACKER, "admin", f"guess-{i}")[1].status_code for i in range(12)]
    assert codes == [200] * 5 + [429] * 7

    client, refused = admin_login(ATTACKER, "admin", PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    html = refused.content.decode()
    assert "Too many failed sign-ins for this account from your address." in html
    assert "Try again in 15 minutes." in html
    assert 850 < int(refused["Retry-After"]) <= 900

    # The same account, from another address: the admin still gets in.
    client, response = admin_login(ARTIST_HOME, "admin", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.session["_auth_user_id"]


@pytest.mark.django_db
def test_admin_page_and_api_failures_count_together():
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    assert admin_login(ATTACKER, "admin", "guess")[1].status_code == 200
    assert page_login(ATTACKER, "admin", "guess")[1].status_code == 400
    assert page_login(ATTACKER, "ADMIN", "guess")[1].status_code == 400
    assert token(ATTACKER, "admin", "guess").status_code == 400
    assert admin_login(ATTACKER, "Admin", "guess")[1].status_code == 200
    assert token(ATTACKER, "admin", PASSWORD).status_code == 429
    assert admin_login(ATTACKER, "admin", PASSWORD)[1].status_code == 429


@pytest.mark.django_db
def test_admin_still_refuses_a_non_staff_person_with_the_right_password():
    UserFactory(username="mira")
    client, response = admin_login(ARTIST_HOME, "mira", PASSWORD)
    assert response.status_code == 200
    assert "staff account" in response.content.decode()
    assert "_auth_user_id" not in client.session


# --- IPv6 -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ipv6_addresses_in_one_64_share_a_counter():
    UserFactory(username="mira")
    for i in range(5):  # a fresh address for every guess, all inside 2001:db8:1:2::/64
        assert page_login(f"2001:db8:1:2::{i + 1:x}", "mira", "guess")[1].status_code == 400
    client, refused = page_login("2001:db8:1:2:ffff:ffff:ffff:fffe", "mira", PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    assert token("2001:db8:1:2::abcd", "mira", PASSWORD).status_code == 429
    # Another /64 is another household.
    assert page_login("2001:db8:1:3::1", "mira", PASSWORD)[1].status_code == 302


# --- guessing spread over many addresses ----------------------------------------------------


def _spread_guesses(username: str, *, failures: int) -> None:
    """``failures`` wrong passwords for ``username``, five per address (the pair limit)."""
    for n in range(failures):
        address = f"192.0.2.{n // 5 + 1}"
        response = token(address, username, f"guess-{n}")
        assert response.status_code == 400, (n, response.content)


@pytest.mark.django_db
def test_many_addresses_guessing_one_account_are_stopped_but_the_owner_is_not():
    UserFactory(username="mira")
    _, before = page_login(ARTIST_HOME, "mira", PASSWORD)  # the owner's usual address
    assert before.status_code == 302

    _spread_guesses("mira", failures=50)  # 10 addresses, 5 each: none hit the pair limit

    # A fresh address is refused for that account now, right password or not, everywhere.
    client, refused = page_login("192.0.2.200", "mira", PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "only addresses that signed in to it before may try" in refused.content.decode()
    assert 3500 < int(refused["Retry-After"]) <= 3600
    api = token("192.0.2.201", "Mira", PASSWORD)
    assert api.status_code == 429
    assert "too many failed sign-ins from many places" in api.json()["detail"]
    assert admin_login("192.0.2.202", "mira", PASSWORD)[1].status_code == 429

    # The owner, from the address they signed in from before, still gets in: no lock-out.
    client, response = page_login(ARTIST_HOME, "mira", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"]
    assert token(ARTIST_HOME, "mira", PASSWORD).status_code == 200
    # Other accounts are not affected.
    UserFactory(username="tomas")
    assert page_login("192.0.2.203", "tomas", PASSWORD)[1].status_code == 302


@pytest.mark.django_db
def test_fewer_failures_than_the_account_limit_leave_fresh_addresses_alone():
    UserFactory(username="mira")
    _spread_guesses("mira", failures=49)
    assert page_login("192.0.2.200", "mira", PASSWORD)[1].status_code == 302


@pytest.mark.django_db
def test_the_account_limit_is_a_setting(settings):
    settings.SIGNIN_ACCOUNT_FAILURE_LIMIT = 3
    UserFactory(username="mira")
    for n in range(3):
        assert token(f"192.0.2.{n + 1}", "mira", "guess").status_code == 400
    assert token("192.0.2.99", "mira", PASSWORD).status_code == 429


# --- one way of comparing usernames ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("look_alike", ["tomaſ", "TOMAſ", "admın", "ADMıN"])
def test_a_look_alike_username_finds_no_account(look_alike):
    # On PostgreSQL, UPPER('tomaſ') = 'TOMAS' and UPPER('admın') = 'ADMIN': an `iexact`
    # lookup signed these in as tomas/admin with a fresh set of attempts.
    UserFactory(username="tomas")
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    assert authenticate(username=look_alike, password=PASSWORD) is None
    # Its plain ASCII spelling ('TOMAS', 'ADMIN': what Python's upper() makes of it) does.
    assert authenticate(username=look_alike.upper(), password=PASSWORD) is not None

    client, response = page_login(ATTACKER, look_alike, PASSWORD)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert token(ATTACKER, look_alike, PASSWORD).status_code == 400
    client, response = admin_login(ATTACKER, look_alike, PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_locked_pair_gets_no_fresh_attempts_through_a_look_alike_name():
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    for _ in range(5):
        admin_login(ATTACKER, "admin", "guess")
    for name in ("admın", "ADMIN", " admin "):
        client, response = admin_login(ATTACKER, name, PASSWORD)
        assert response.status_code in (200, 429)
        assert "_auth_user_id" not in client.session
