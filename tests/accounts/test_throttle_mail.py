"""Password-reset mail is limited per target email and per client address; sign-up per
client address (IPv6 by /64), on the page and in the API alike."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from tests.accounts.factories import UserFactory

ATTACKER = "203.0.113.66"


def reset(address: str, email: str):
    return Client(REMOTE_ADDR=address).post("/accounts/password_reset/", {"email": email})


@pytest.mark.django_db
def test_twelve_reset_requests_send_three_mails_to_one_person():
    UserFactory(username="june", email="June@Example.com")
    codes = [reset(f"198.51.100.{i}", "june@example.com").status_code for i in range(12)]
    assert codes == [302] * 3 + [429] * 9
    assert len(mail.outbox) == 3
    assert {tuple(m.to) for m in mail.outbox} == {("June@Example.com",)}

    refused = reset("192.0.2.1", "JUNE@example.com ")  # any case, any address
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "We have just sent several reset links for that email." in html
    assert "ask again in 60 minutes" in html
    assert 3500 < int(refused["Retry-After"]) <= 3600
    assert 'name="email"' in html  # the form is shown again
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_one_address_cannot_send_reset_mail_to_everyone(settings):
    settings.THROTTLE_PASSWORD_RESET_ADDRESS = "4/hour"
    people = [UserFactory(username=f"artist-{i}", email=f"a{i}@example.com") for i in range(6)]
    for person in people[:4]:
        assert reset(ATTACKER, person.email).status_code == 302
    refused = reset(ATTACKER, people[4].email)
    assert refused.status_code == 429
    assert "Too many password-reset requests from your address" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    assert len(mail.outbox) == 4
    # The person whose mail was refused can still ask from their own address.
    assert reset("198.51.100.20", people[4].email).status_code == 302
    assert len(mail.outbox) == 5


@pytest.mark.django_db
def test_unknown_emails_are_limited_the_same_way_so_nothing_is_revealed():
    UserFactory(username="june", email="june@example.com")
    known = [reset(f"198.51.100.{i}", "june@example.com").status_code for i in range(4)]
    unknown = [reset(f"198.51.100.{i}", "nobody@example.com").status_code for i in range(4)]
    assert known == unknown == [302, 302, 302, 429]


# --- sign-up ---------------------------------------------------------------------------------


def _signup_rate(settings, rate: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "signup": rate,
        },
    }


def signup_page(address: str, n: int):
    return Client(REMOTE_ADDR=address).post(
        "/accounts/signup/",
        {
            "username": f"newcomer-{n}",
            "email": f"newcomer-{n}@example.com",
            "password1": "ink and gouache 42",
            "password2": "ink and gouache 42",
        },
    )


def signup_api(address: str, n: int):
    return Client(REMOTE_ADDR=address).post(
        "/api/auth/register/",
        {
            "username": f"newcomer-{n}",
            "email": f"newcomer-{n}@example.com",
            "password": "ink and gouache 42",
        },
        content_type="application/json",
    )


@pytest.mark.django_db
def test_sign_up_is_limited_per_address_on_the_page_and_the_api_together(settings):
    _signup_rate(settings, "3/hour")
    assert signup_page(ATTACKER, 1).status_code == 302
    assert signup_api(ATTACKER, 2).status_code == 201
    assert signup_page(ATTACKER, 3).status_code == 302

    page = signup_page(ATTACKER, 4)
    assert page.status_code == 429
    assert "Too many sign-ups from your address" in page.content.decode()
    assert 3500 < int(page["Retry-After"]) <= 3600
    api = signup_api(ATTACKER, 5)
    assert api.status_code == 429
    assert api.json()["detail"].startswith("Too many sign-ups from your address")
    assert int(api["Retry-After"]) > 0
    assert User.objects.filter(username__startswith="newcomer-").count() == 3
    assert signup_api("198.51.100.20", 6).status_code == 201


@pytest.mark.django_db
def test_sign_up_counts_ipv6_addresses_by_their_64(settings):
    _signup_rate(settings, "2/hour")
    assert signup_page("2001:db8:7:8::1", 1).status_code == 302
    assert signup_api("2001:db8:7:8::2", 2).status_code == 201
    assert signup_page("2001:db8:7:8:aaaa::3", 3).status_code == 429
    assert signup_api("2001:db8:7:8:ffff:ffff:ffff:ffff", 4).status_code == 429
    assert signup_api("2001:db8:7:9::1", 5).status_code == 201
