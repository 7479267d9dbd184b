"""Identity: the username policy, retired names, unique emails, tokens revoked with the
password, ``DELETE /api/auth/token/``, absolute links in email and declared settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts import services, usernames
from accounts.models import AuditEntry, Notification, RetiredUsername, User
from tests.accounts.factories import UserFactory

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "a brand new lyric 7"
ROOT = Path(__file__).resolve().parents[2]


def signup_page(client: Client, **changes: str):
    data = {
        "username": "mira",
        "email": "mira@example.com",
        "password1": "ink and gouache 42",
        "password2": "ink and gouache 42",
        **changes,
    }
    return client.post("/accounts/signup/", data)


def register_api(**changes: str):
    body = {"username": "kofi", "email": "kofi@example.com", "password": "frame by frame 24"}
    return Client().post(
        "/api/auth/register/", {**body, **changes}, content_type="application/json"
    )


def token_for(username: str, password: str = PASSWORD) -> str:
    response = Client().post(
        "/api/auth/token/", {"username": username, "password": password}, "application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def api_works(key: str) -> bool:
    response = Client().get("/api/me/notifications/", HTTP_AUTHORIZATION=f"Token {key}")
    return response.status_code == 200


# --- the username policy --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "tomaſ",  # long s
        "admın",  # dotless i
        "Tomás",
        "mira@example.com",
        "a+b",
        "ab",
        ".mira",
        "-mira",
        "mira okafor",
        "x" * 31,
        "ｍｉｒａ",  # fullwidth
    ],
)
@pytest.mark.django_db
def test_new_names_outside_the_policy_are_refused_on_the_page_and_the_api(client, name):
    page = signup_page(client, username=name)
    assert page.status_code == 400
    assert usernames.USERNAME_NOT_IN_POLICY in page.content.decode()
    api = register_api(username=name)
    assert api.status_code == 400
    assert api.json()["username"] == [usernames.USERNAME_NOT_IN_POLICY]
    assert not User.objects.exists()


@pytest.mark.parametrize("name", ["mira", "Mira.Okafor", "m_o-42", "42stories", "a" * 30])
@pytest.mark.django_db
def test_names_in_the_policy_are_accepted(name):
    assert register_api(username=name).status_code == 201
    assert User.objects.get().username == name


@pytest.mark.django_db
def test_the_signup_page_states_the_rule_instead_of_djangos():
    html = Client().get("/accounts/signup/").content.decode()
    assert usernames.USERNAME_RULE in html
    assert "@/./+/-/_" not in html
    assert "@ . +" not in html


@pytest.mark.django_db
def test_a_grandfathered_ascii_name_keeps_signing_in_in_any_case():
    # Chosen before the policy: '@' and '+' are no longer allowed for new names.
    person = UserFactory(username="Mira+ink@old")
    client = Client()
    response = client.post("/accounts/login/", {"username": "mira+INK@old", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/me/notifications/").wsgi_request.user == person
    assert Client().get("/u/Mira+ink@old/").status_code == 200


@pytest.mark.django_db
def test_the_migration_gives_non_ascii_names_an_ascii_one_and_tells_the_person():
    from importlib import import_module

    migration = import_module("accounts.migrations.0004_usernames_policy")
    tomas = UserFactory(username="Tomás")
    clash = UserFactory(username="tomaſ")  # folds to "tomas" too, which Tomás got first
    nothing = UserFactory(username="李明")
    keep = UserFactory(username="a+b")

    migration.rename_non_ascii(apps, None)

    for person in (tomas, clash, nothing, keep):
        person.refresh_from_db()
    assert tomas.username == "tomas"
    assert clash.username == f"member-{clash.pk}"
    assert nothing.username == f"member-{nothing.pk}"
    assert keep.username == "a+b"  # ASCII: grandfathered
    note = Notification.objects.get(recipient=tomas)
    assert "Your username is now “tomas”" in note.message
    assert RetiredUsername.objects.filter(username="Tomás").exists()
    entry = AuditEntry.objects.get(action="user.rename", target_id=str(tomas.pk))
    assert "Tomás" not in str(entry.details) + entry.target_repr
    # They sign in with the new name, in any case.
    assert (
        Client().post("/accounts/login/", {"username": "TOMAS", "password": PASSWORD})["Location"]
        == "/"
    )
    # Running it again changes nothing.
    migration.rename_non_ascii(apps, None)
    tomas.refresh_from_db()
    assert tomas.username == "tomas"
    assert Notification.objects.filter(recipient=tomas).count() == 1


@pytest.mark.django_db
def test_staff_renaming_someone_in_admin_follows_the_policy(staff_client):
    person = UserFactory(username="june", email="june@example.com")
    url = f"/admin/accounts/user/{person.pk}/change/"
    form = {
        "username": "junë",
        "email": "june@example.com",
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "bio": "",
        "mediums": "[]",
    }
    response = staff_client.post(url, form)
    assert response.status_code == 200
    assert usernames.USERNAME_NOT_IN_POLICY in response.content.decode()
    person.refresh_from_db()
    assert person.username == "june"
    # Keeping one's own (even grandfathered) name is fine, and a good new one saves.
    assert staff_client.post(url, {**form, "username": "june.park"}).status_code == 302
    person.refresh_from_db()
    assert person.username == "june.park"


# --- retired names --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_deleted_accounts_name_is_never_given_to_a_newcomer(staff):
    person = UserFactory(username="Ravi")
    services.user_anonymise(user=person, by=staff)
    assert RetiredUsername.objects.filter(username="ravi").exists()
    for name in ("ravi", "RAVI", " Ravi "):
        api = register_api(username=name.strip())
        assert api.status_code == 400
        assert api.json() == {"username": [usernames.USERNAME_RETIRED]}
    page = signup_page(Client(), username="rAvI")
    assert page.status_code == 400
    assert "That username belonged to a deleted account" in page.content.decode()
    # The service refuses it too, whatever the caller checked.
    with pytest.raises(ValidationError) as raised:
        services.user_register(username="RAVI", email="r@example.com", password="x y z w 1 2")
    assert raised.value.message_dict == {"username": [usernames.USERNAME_RETIRED]}
    assert not User.objects.filter(username__iexact="ravi").exists()


# --- unique emails --------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_email_taken_in_another_case_is_refused_on_the_page_and_the_api(client):
    UserFactory(username="someone", email="Mira@Example.com")
    page = signup_page(client, email="mira@EXAMPLE.com")
    assert page.status_code == 400
    assert services.EMAIL_TAKEN in page.content.decode().replace("&#x27;", "'")
    api = register_api(email="MIRA@example.com")
    assert api.status_code == 400
    assert api.json() == {"email": [services.EMAIL_TAKEN]}
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_losing_a_race_for_an_email_is_a_validation_error_on_email():
    UserFactory(username="someone", email="kofi@example.com")
    with pytest.raises(ValidationError) as raised:
        services.user_register(
            username="kofi", email="KOFI@example.com", password="frame by frame 24"
        )
    assert raised.value.message_dict == {"email": [services.EMAIL_TAKEN]}


@pytest.mark.django_db
def test_the_database_refuses_a_second_account_with_the_same_email_in_any_case():
    UserFactory(username="one", email="Same@example.com")
    with pytest.raises(IntegrityError):
        User.objects.create_user(username="two", email="same@EXAMPLE.com", password="x")


# --- tokens go with the password ------------------------------------------------------------


@pytest.mark.django_db
def test_a_password_reset_revokes_the_api_token(client):
    UserFactory(username="june", email="june@example.com")
    key = token_for("june")
    assert api_works(key)
    client.post("/accounts/password_reset/", {"email": "june@example.com"})
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[-1].body)
    assert link is not None
    form_page = client.get(link.group(1), follow=True)
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert not api_works(key)
    assert not Token.objects.filter(key=key).exists()
    assert token_for("june", NEW_PASSWORD) != key
    assert AuditEntry.objects.filter(action="user.password_change").count() == 1


@pytest.mark.django_db
def test_changing_the_password_while_signed_in_revokes_the_token_and_keeps_the_session():
    person = UserFactory(username="lena")
    key = token_for("lena")
    other_device = Client()
    other_device.force_login(person)
    client = Client()
    client.post("/accounts/login/", {"username": "lena", "password": PASSWORD})
    page = client.get("/accounts/password_change/")
    assert page.status_code == 200
    assert 'name="old_password"' in page.content.decode()
    wrong = client.post(
        "/accounts/password_change/",
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200
    assert api_works(key)
    weak = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "lena", "new_password2": "lena"},
    )
    assert "This password is too short" in weak.content.decode()
    done = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert done["Location"] == "/accounts/password_change/done/"
    assert "Password changed" in client.get(done["Location"]).content.decode()
    assert not api_works(key)
    assert client.get("/me/notifications/").status_code == 200  # this session stays
    assert other_device.get("/me/notifications/").status_code == 302  # others end
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert Client().get("/accounts/password_change/").status_code == 302  # sign in first


@pytest.mark.django_db
def test_staff_setting_a_password_in_admin_revokes_the_token(staff_client):
    person = UserFactory(username="kofi")
    key = token_for("kofi")
    response = staff_client.post(
        f"/admin/accounts/user/{person.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert not api_works(key)


@pytest.mark.django_db
def test_staff_disabling_password_sign_in_in_admin_revokes_the_token(staff_client):
    person = UserFactory(username="kofi")
    key = token_for("kofi")
    response = staff_client.post(
        f"/admin/accounts/user/{person.pk}/password/",
        {"usable_password": "false", "unset-password": "1"},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert not person.has_usable_password()
    assert not api_works(key)


# --- DELETE /api/auth/token/ ----------------------------------------------------------------


@pytest.mark.django_db
def test_delete_token_revokes_the_callers_token():
    UserFactory(username="lena")
    key = token_for("lena")
    response = Client().delete("/api/auth/token/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 204
    assert response.content == b""
    assert not api_works(key)
    again = Client().delete("/api/auth/token/", HTTP_AUTHORIZATION=f"Token {key}")
    assert again.status_code == 401  # that token signs nothing in any more
    assert token_for("lena") != key  # a new one on request


@pytest.mark.django_db
def test_delete_token_with_a_session_revokes_that_persons_token(user, user_client):
    key = services.auth_token_get(user=user).key
    assert user_client.delete("/api/auth/token/").status_code == 204
    assert not Token.objects.filter(key=key).exists()


@pytest.mark.django_db
def test_delete_token_anonymously_is_401_with_a_message():
    other = UserFactory()
    key = services.auth_token_get(user=other).key
    response = Client().delete("/api/auth/token/")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Sign in first: send 'Authorization: Token <token>' or use a session."
    }
    assert response["WWW-Authenticate"] == "Token"
    assert Client().delete("/api/auth/token/", HTTP_AUTHORIZATION="Token stale").status_code == 401
    assert Token.objects.filter(key=key).exists()


@pytest.mark.django_db
def test_the_schema_describes_token_revoke():
    schema = yaml.safe_load(Client().get("/api/schema/").content)
    revoke = schema["paths"]["/api/auth/token/"]["delete"]
    assert revoke["operationId"] == "auth_token_revoke"
    assert set(revoke["responses"]) == {"204", "401"}
    assert {"tokenAuth": []} in revoke["security"]  # needs a caller
    assert schema["paths"]["/api/auth/token/"]["post"]["operationId"] == "auth_token"


# --- links in email are absolute; settings are declared -------------------------------------


@pytest.mark.django_db
def test_absolute_url_puts_site_url_in_front_of_site_paths(settings):
    settings.SITE_URL = "https://hitrecord.example"
    assert services.absolute_url("/projects/") == "https://hitrecord.example/projects/"
    assert services.absolute_url("https://elsewhere.example/x") == "https://elsewhere.example/x"
    assert services.absolute_url("//evil.example/x") == "//evil.example/x"
    assert services.absolute_url("") == ""
    assert services._absolute is services.absolute_url


@pytest.mark.django_db
def test_the_password_reset_link_uses_site_url(client, settings):
    settings.SITE_URL = "https://hitrecord.example"
    UserFactory(username="june", email="june@example.com")
    client.post("/accounts/password_reset/", {"email": "june@example.com"})
    assert re.search(r"https://hitrecord\.example/accounts/reset/\S+/", mail.outbox[-1].body)
    assert "testserver" not in mail.outbox[-1].body


def test_no_app_code_reads_a_setting_through_getattr_with_a_default():
    # getattr(settings, NAME, default): a setting read with a default of its own.
    pattern = re.compile(r"getattr\(\s*(django\.conf\.)?settings\s*,[^,()]+,")
    offenders = []
    for app in ("accounts", "projects", "contributions", "payouts", "hitrecord"):
        for path in (ROOT / app).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            offenders += [
                f"{path.relative_to(ROOT)}:{n}"
                for n, line in enumerate(text.splitlines(), 1)
                if pattern.search(line)
            ]
    assert offenders == [], "declare these settings in hitrecord/settings with their default"


def test_the_settings_this_piece_reads_are_declared_with_their_defaults():
    from hitrecord.settings import base

    assert base.SITE_URL == "http://127.0.0.1:8000"
    assert base.EMAIL_VERIFICATION_MAX_AGE == 3 * 24 * 3600
    assert base.MEDIA_MAX_DURATION_SECONDS == 600
    assert base.MEDIA_MAX_VIDEO_PIXELS == 4096 * 2304
    assert base.MEDIA_PROBE_SECONDS == 10
    assert base.MEDIA_PROBE_BYTES == 5_000_000
    assert base.MEDIA_DECODE_MEMORY_BYTES == 2 * 1024**3
    assert base.MEDIA_DECODE_CPU_SECONDS == 900
    assert base.MEDIA_DECODE_WALL_SECONDS == 540
    assert base.MEDIA_DECODE_THREADS == 2
    assert base.MEDIA_TASK_SOFT_TIME_LIMIT == 600
    assert base.MEDIA_TASK_TIME_LIMIT == 660


# --- the audit log never stores a person's name ---------------------------------------------


@pytest.mark.django_db
def test_audit_entries_about_people_hold_ids_not_names(client):
    signup_page(client, username="Zephyrine")
    person = User.objects.get(username="Zephyrine")
    entry = AuditEntry.objects.get(action="user.register")
    assert entry.target_repr == f"user #{person.pk}"
    assert "Zephyrine" not in str(entry.details)
    assert "Zephyrine" not in str(entry)
