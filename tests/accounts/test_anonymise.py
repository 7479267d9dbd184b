from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.models import AuditEntry, Notification, RetiredUsername, User
from accounts.services import notify, user_anonymise, user_avatar_set
from accounts.usernames import USERNAME_RETIRED
from projects.models import Membership, Project
from tests.accounts.factories import UserFactory, image_bytes

PASSWORD = "correct-horse-battery"


@pytest.mark.django_db
def test_the_delete_page_explains_and_asks_for_the_password(user_client):
    page = user_client.get("/me/delete/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "former member" in html
    assert 'name="password"' in html
    assert Client().get("/me/delete/").status_code == 302  # sign in first


@pytest.mark.django_db
def test_a_wrong_password_deletes_nothing(user, user_client):
    response = user_client.post("/me/delete/", {"password": "nope"})
    assert response.status_code == 400
    assert "That is not your current password." in response.content.decode()
    user.refresh_from_db()
    assert user.is_active
    assert not user.is_anonymised


@pytest.mark.django_db
def test_deleting_an_account_anonymises_it_and_keeps_the_work(
    user, django_capture_on_commit_callbacks
):
    user.first_name, user.last_name, user.mediums = "Mira", "Okafor", ["image"]
    user.save()
    user_avatar_set(user=user, avatar=SimpleUploadedFile("a.png", image_bytes()))
    avatar_files = [Path(user.avatar.path), Path(user.avatar_thumbnail.path)]
    project = Project.objects.create(title="Rain Songs", slug="rain-songs", created_by=user)
    Membership.objects.create(project=project, user=user, role=Membership.Role.DIRECTOR)
    token = Token.objects.create(user=user)
    notify(recipient=user, kind=Notification.Kind.PROJECT, message="news")
    old_username = user.username

    browser, other_device = Client(), Client()
    assert (
        browser.post("/accounts/login/", {"username": old_username, "password": PASSWORD})[
            "Location"
        ]
        == "/"
    )
    other_device.force_login(user)
    assert other_device.get("/me/notifications/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post("/me/delete/", {"password": PASSWORD})
    assert response.status_code == 302
    assert "Your account is deleted." in browser.get("/accounts/login/").content.decode()

    person = User.objects.get(pk=user.pk)  # the row stays
    assert person.username == f"former-member-{person.pk}"
    assert (person.first_name, person.last_name, person.email, person.bio) == ("", "", "", "")
    assert person.mediums == []
    assert not person.avatar
    assert not person.avatar_thumbnail
    assert not any(p.exists() for p in avatar_files)
    assert not person.has_usable_password()
    assert not person.is_active
    assert person.is_anonymised
    assert str(person) == person.display_name == "former member"

    # What they made stays, with them as its (anonymous) author.
    project.refresh_from_db()
    assert project.created_by_id == person.pk
    assert Membership.objects.filter(user=person, project=project).exists()

    # Signed out everywhere; the token, notifications and sign-in are gone.
    assert browser.get("/me/notifications/").status_code == 302
    assert other_device.get("/me/notifications/").status_code == 302
    assert not Token.objects.filter(key=token.key).exists()
    api = Client().get("/api/me/notifications/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.status_code == 401
    assert not Notification.objects.filter(recipient=person).exists()
    assert (
        Client()
        .post("/accounts/login/", {"username": old_username, "password": PASSWORD})
        .status_code
        == 400
    )
    assert Client().get(f"/u/{old_username}/").status_code == 404

    entry = AuditEntry.objects.get(action="user.anonymise")
    assert entry.actor_id == person.pk
    assert entry.target_id == str(person.pk)
    assert entry.details == {"by_self": True}
    assert old_username not in entry.target_repr

    # The name is retired: never given to someone new, in any case, page or API.
    assert RetiredUsername.objects.filter(username=old_username.lower()).exists()
    refused = Client().post(
        "/api/auth/register/",
        {
            "username": old_username.upper(),
            "email": "new@example.com",
            "password": "ink and gouache 42",
        },
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json() == {"username": [USERNAME_RETIRED]}
    page = Client().post(
        "/accounts/signup/",
        {
            "username": old_username,
            "email": "new@example.com",
            "password1": "ink and gouache 42",
            "password2": "ink and gouache 42",
        },
    )
    assert page.status_code == 400
    assert "That username belonged to a deleted account" in page.content.decode()
    assert not User.objects.filter(username__iexact=old_username).exists()


@pytest.mark.django_db
def test_anonymising_twice_changes_nothing(user, staff):
    first = user_anonymise(user=user, by=staff)
    again = user_anonymise(user=user, by=staff)
    assert again.username == first.username
    assert AuditEntry.objects.filter(action="user.anonymise").count() == 1
    entry = AuditEntry.objects.get(action="user.anonymise")
    assert entry.actor_id == staff.pk
    assert entry.details == {"by_self": False}


@pytest.mark.django_db
def test_staff_anonymise_from_admin(staff_client, staff):
    people = UserFactory.create_batch(2)
    response = staff_client.post(
        "/admin/accounts/user/",
        {"action": "anonymise", "_selected_action": [p.pk for p in people]},
    )
    assert response.status_code == 302
    assert User.objects.filter(is_anonymised=True).count() == 2
    staff.refresh_from_db()
    assert not staff.is_anonymised
