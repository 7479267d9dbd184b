"""Sign-up sends a link that confirms the email address; only confirmed addresses get mail."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from accounts import services
from accounts.models import AuditEntry, User
from tests.accounts.factories import UserFactory

SIGNUP = {
    "username": "mira",
    "email": "Mira@Example.com",
    "password1": "ink and gouache 42",
    "password2": "ink and gouache 42",
}
LINK = re.compile(r"(https?://[^/\s]+)(/accounts/verify/[^/\s]+/)")


def verification_link(message) -> tuple[str, str]:
    found = LINK.search(message.body)
    assert found is not None, message.body
    return found.group(1), found.group(2)


@pytest.mark.django_db
def test_signing_up_sends_an_absolute_link_that_confirms_the_address(
    settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://hitrecord.example"
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    person = User.objects.get(username="mira")
    assert not person.email_verified
    sent = [m for m in mail.outbox if "confirm your email" in m.subject]
    assert len(sent) == 1
    assert sent[0].to == ["Mira@example.com"]  # Django lower-cases the domain
    site, path = verification_link(sent[0])
    assert site == "https://hitrecord.example"
    assert "mira@example.com" not in path.lower()  # no address in it
    assert "mira%40" not in path.lower()
    # Unconfirmed: the welcome notification stays in-app, no mail goes to the address.
    assert not [m for m in mail.outbox if "Welcome" in m.subject]

    page = Client().get(path)  # from any browser: the link is the proof
    assert page.status_code == 302
    person.refresh_from_db()
    assert person.email_verified
    assert AuditEntry.objects.filter(action="user.email_verify").count() == 1
    assert Client().get(path).status_code == 302  # a second visit changes nothing
    assert AuditEntry.objects.filter(action="user.email_verify").count() == 1


@pytest.mark.django_db
def test_the_api_sign_up_sends_the_link_too(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/api/auth/register/",
            {"username": "kofi", "email": "kofi@example.com", "password": "frame by frame 24"},
            content_type="application/json",
        )
    assert response.status_code == 201
    sent = [m for m in mail.outbox if "confirm your email" in m.subject]
    assert [m.to for m in sent] == [["kofi@example.com"]]


@pytest.mark.django_db
def test_a_damaged_link_is_a_400_saying_what_to_do():
    person = UserFactory(unverified=True)
    token = services.email_verification_token(user=person)
    response = Client().get(f"/accounts/verify/{token[:-3]}xyz/")
    assert response.status_code == 400
    assert "That link to confirm your email does not work" in response.content.decode()
    assert Client().get("/accounts/verify/not-a-token/").status_code == 400
    person.refresh_from_db()
    assert not person.email_verified


@pytest.mark.django_db
def test_an_expired_link_is_refused(settings):
    person = UserFactory(unverified=True)
    token = services.email_verification_token(user=person)
    settings.EMAIL_VERIFICATION_MAX_AGE = -1  # every link is older than that
    response = Client().get(f"/accounts/verify/{token}/")
    assert response.status_code == 400
    assert "has expired" in response.content.decode()
    person.refresh_from_db()
    assert not person.email_verified


@pytest.mark.django_db
def test_a_link_for_an_address_the_account_no_longer_has_does_not_confirm_the_new_one():
    person = UserFactory(unverified=True, email="old@example.com")
    token = services.email_verification_token(user=person)
    User.objects.filter(pk=person.pk).update(email="new@example.com")
    response = Client().get(f"/accounts/verify/{token}/")
    assert response.status_code == 400
    person.refresh_from_db()
    assert not person.email_verified


@pytest.mark.django_db
def test_a_deleted_account_cannot_be_confirmed(staff):
    person = UserFactory(unverified=True)
    token = services.email_verification_token(user=person)
    services.user_anonymise(user=person, by=staff)
    assert Client().get(f"/accounts/verify/{token}/").status_code == 400


@pytest.mark.django_db
def test_a_signed_in_person_can_ask_for_a_new_link_once_a_minute():
    person = UserFactory(unverified=True, email="june@example.com")
    client = Client()
    client.force_login(person)
    page = client.get("/accounts/verify/")
    assert page.status_code == 200
    assert "is not confirmed yet" in page.content.decode()
    assert client.post("/accounts/verify/").status_code == 302
    assert len(mail.outbox) == 1
    _site, path = verification_link(mail.outbox[0])
    again = client.post("/accounts/verify/")
    assert again.status_code == 429
    assert "less than a minute ago" in again.content.decode()
    assert len(mail.outbox) == 1
    assert client.get(path, follow=True).status_code == 200
    person.refresh_from_db()
    assert person.email_verified
    assert "is confirmed" in client.get("/accounts/verify/").content.decode()
    assert Client().get("/accounts/verify/").status_code == 302  # sign in first
    assert Client().post("/accounts/verify/").status_code == 302


@pytest.mark.django_db
def test_staff_changing_an_email_in_admin_clears_the_confirmation_and_sends_a_link(
    staff_client, django_capture_on_commit_callbacks
):
    person = UserFactory(username="june", email="june@example.com")
    assert person.email_verified
    UserFactory(username="taken", email="taken@example.com")
    form = {
        "username": "june",
        "email": "june.park@example.com",
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "bio": "",
        "mediums": "[]",
    }
    url = f"/admin/accounts/user/{person.pk}/change/"
    clash = staff_client.post(url, {**form, "email": "TAKEN@example.com"})
    assert clash.status_code == 200
    assert services.EMAIL_TAKEN in clash.content.decode().replace("&#x27;", "'")
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post(url, form).status_code == 302
    person.refresh_from_db()
    assert person.email == "june.park@example.com"
    assert not person.email_verified
    assert [m.to for m in mail.outbox] == [["june.park@example.com"]]
    assert AuditEntry.objects.filter(action="user.email_change").count() == 1


@pytest.mark.django_db
def test_factory_people_are_confirmed_unless_asked_not_to_be():
    assert UserFactory().email_verified
    assert not UserFactory(unverified=True).email_verified


@pytest.mark.django_db
def test_demo_people_are_confirmed_so_make_run_prints_their_mail():
    from accounts import demo

    world: dict = {}
    demo.seed(world)
    assert all(person.email_verified for person in world["people"].values())
