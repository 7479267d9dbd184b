from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from tests.accounts.factories import UserFactory

PASSWORD = "correct-horse-battery"


def sign_in(client: Client, username: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


def signed_in_as(client: Client) -> str | None:
    page = client.get("/me/notifications/")
    if page.status_code != 200:
        return None
    return page.wsgi_request.user.username


@pytest.mark.django_db
def test_sign_in_with_any_case_and_sign_out_with_post(client):
    person = UserFactory(username="Tomas")
    response = sign_in(client, "tOMAS")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_as(client) == "Tomas"

    # Signing out is a POST (a link someone else sends cannot sign you out).
    assert client.get("/accounts/logout/").status_code == 405
    assert signed_in_as(client) == "Tomas"
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert signed_in_as(client) is None
    assert person.pk  # the account is untouched


@pytest.mark.django_db
def test_a_wrong_password_says_how_to_fix_it(client):
    UserFactory(username="tomas")
    response = sign_in(client, "tomas", "not-the-password")
    assert response.status_code == 400
    html = response.content.decode()
    assert "That username and password do not match an account." in html
    assert "Forgot your password?" in html
    assert signed_in_as(client) is None


@pytest.mark.django_db
def test_sign_in_goes_back_to_next(client):
    UserFactory(username="tomas")
    response = client.post(
        "/accounts/login/",
        {"username": "tomas", "password": PASSWORD, "next": "/me/notifications/"},
    )
    assert response["Location"] == "/me/notifications/"


@pytest.mark.django_db
def test_the_whole_password_reset_flow(client):
    person = UserFactory(username="june", email="June@Example.com")
    UserFactory(username="other", email="other@example.com")

    page = client.get("/accounts/password_reset/")
    assert page.status_code == 200
    response = client.post("/accounts/password_reset/", {"email": "june@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"
    assert "Check your email" in client.get(response["Location"]).content.decode()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["June@Example.com"]
    assert message.subject == "Choose a new password for hitrecord"
    assert "Hello june," in message.body
    assert "&#x27;" not in message.body
    assert "&amp;" not in message.body
    link = re.search(r"http://127\.0\.0\.1:8000(/accounts/reset/\S+/)", message.body)  # SITE_URL
    assert link is not None

    # Django swaps the token for a session value and redirects to the "set-password" URL.
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    assert "Choose a new password" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    weak = client.post(set_password_url, {"new_password1": "june", "new_password2": "june"})
    assert "This password is too short" in weak.content.decode()
    done = client.post(
        set_password_url,
        {"new_password1": "a brand new lyric 7", "new_password2": "a brand new lyric 7"},
    )
    assert done.status_code == 302
    assert done["Location"] == "/accounts/reset/done/"
    assert "Password saved" in client.get(done["Location"]).content.decode()

    # The old password is gone, the new one works, and the link is spent.
    assert sign_in(Client(), "june").status_code == 400
    fresh = Client()
    assert sign_in(fresh, "june", "a brand new lyric 7").status_code == 302
    assert signed_in_as(fresh) == "june"
    spent = Client().get(link.group(1), follow=True)
    assert "This link has expired or was already used." in spent.content.decode()
    person.refresh_from_db()
    assert person.check_password("a brand new lyric 7")


@pytest.mark.django_db
def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []
