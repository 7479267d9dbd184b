"""The session, its person and their header come in one cache round trip
(hitrecord/prefetch.py), and that never shows anything stale or anyone else's."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.core.cache import cache
from django.test import Client

from accounts import services as account_services
from accounts.models import Notification
from hitrecord import fragments, prefetch
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


class _Reads:
    """Every cache read of a request: ``("get", key)`` or ``("get_many", keys)``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, object]] = []
        get, get_many = cache.get, cache.get_many
        inside = []  # the file cache's get_many calls its own get per key

        def spy_get(key, *args, **kwargs):
            if not inside:
                self.calls.append(("get", key))
            return get(key, *args, **kwargs)

        def spy_get_many(keys, *args, **kwargs):
            self.calls.append(("get_many", list(keys)))
            inside.append(True)
            try:
                return get_many(keys, *args, **kwargs)
            finally:
                inside.pop()

        monkeypatch.setattr(cache, "get", spy_get)
        monkeypatch.setattr(cache, "get_many", spy_get_many)

    def keys_read_alone(self) -> list[object]:
        return [key for kind, key in self.calls if kind == "get"]


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_repeat_request_reads_session_person_and_header_in_one_round_trip(monkeypatch):
    ana = UserFactory(username="ana-p")
    client = _signed_in(ana)
    assert client.get("/projects/").status_code == 200  # learns whose session it is
    assert client.get("/projects/").status_code == 200  # fills the header

    reads = _Reads(monkeypatch)
    page = client.get("/projects/")
    assert page.status_code == 200
    assert "ana-p" in page.content.decode()
    session_key = KEY_PREFIX + client.cookies["sessionid"].value
    first_kind, first_keys = reads.calls[0]
    assert first_kind == "get_many"
    assert first_keys[:3] == [session_key, f"auth-user:{ana.pk}", f"header:{ana.pk}:10"]
    assert {"v:people", "v:projects", f"v:person:{ana.pk}"} <= set(first_keys)
    assert len(reads.calls) == 1, reads.calls  # the list itself comes from the process


def test_what_the_request_itself_drops_is_not_served_from_its_fetch():
    ana = UserFactory()
    header = f"header:{ana.pk}:00"
    cache.set(header, "the header with the old badge")
    token = prefetch._FETCHED.set(None)
    try:
        prefetch.fetch([header, f"auth-user:{ana.pk}"])
        # what accounts.services does when the request marks notifications read
        account_services.inbox_changed([ana.pk])
        assert prefetch.take(header) == (False, None)  # not fetched any more: read anew
        assert cache.get(header) is None
        assert prefetch.take(f"auth-user:{ana.pk}") == (True, None)  # fetched, absent
        assert prefetch.take(f"auth-user:{ana.pk}") == (False, None)  # taken once only
    finally:
        prefetch._FETCHED.reset(token)


def test_a_badge_read_in_one_request_is_gone_from_the_next_page(monkeypatch):
    ana = UserFactory(username="ana-b")
    account_services.notify(recipient=ana, kind=Notification.Kind.PROJECT, message="Hello")
    client = _signed_in(ana)
    for _ in range(3):
        assert "Notifications 1" in _text(client.get("/projects/"))
    assert client.post("/me/notifications/read/").status_code == 302
    assert "Notifications 1" not in _text(client.get("/projects/"))


def test_signing_out_elsewhere_or_a_new_password_ends_the_session_at_once():
    ana = UserFactory(username="ana-out", password="correct horse battery")
    laptop, phone = _signed_in(ana), _signed_in(ana)
    for client in (laptop, phone):
        for _ in range(2):
            assert "ana-out" in client.get("/projects/").content.decode()

    # Signing out on the laptop deletes that session: its next request is a visitor's.
    assert laptop.post("/accounts/logout/").status_code == 302
    assert "ana-out" not in laptop.get("/projects/").content.decode()
    assert "ana-out" in phone.get("/projects/").content.decode()

    # A new password (set elsewhere) ends the phone's session on its next request.
    ana.set_password("a different long password")
    ana.save()
    assert "ana-out" not in phone.get("/projects/").content.decode()


def test_a_wrong_guess_of_whose_session_it_is_fetches_in_vain_and_shows_the_right_person():
    ana, ben = UserFactory(username="ana-g"), UserFactory(username="ben-g")
    a, b = _signed_in(ana), _signed_in(ben)
    for client in (a, b, a, b):
        assert client.get("/projects/").status_code == 200
    # The process now believes Ana's session is Ben's (it never is: keys are cycled).
    prefetch.session_person_seen(a.cookies["sessionid"].value, str(ben.pk))
    page = a.get("/projects/").content.decode()
    assert "ana-g" in page
    assert "ben-g" not in page
    assert fragments.remembered(f"session-person:{a.cookies['sessionid'].value}") == str(ana.pk)


def test_a_repeat_contribution_page_is_one_round_trip_in_all(monkeypatch):
    from tests.contributions.factories import ContributionFactory, SourceFactory

    ana = UserFactory(username="ana-c")
    source = ContributionFactory(title="The Source Song")
    remix = ContributionFactory(title="The Remix Song")
    SourceFactory(contribution=remix, source=source)
    client = _signed_in(ana)
    for _ in range(3):
        assert client.get(f"/contributions/{remix.pk}/").status_code == 200

    reads = _Reads(monkeypatch)
    page = client.get(f"/contributions/{remix.pk}/").content.decode()
    assert "The Source Song" in page
    assert "ana-c" in page
    assert len(reads.calls) == 1, reads.calls
    kind, keys = reads.calls[0]
    assert kind == "get_many"
    assert f"v:contribution:{remix.pk}" in keys
    assert "v:people" in keys


def test_a_token_the_request_bumps_is_read_anew_by_the_rest_of_it():
    fragments.bump("project:77")
    before = fragments.versions("project:77")
    token = prefetch._FETCHED.set(None)
    try:
        prefetch.fetch(fragments.token_keys("project:77"))
        assert fragments.versions("project:77") == before  # served from the fetch
        fragments.bump("project:77")  # the request's own write
        after = fragments.versions("project:77")
    finally:
        prefetch._FETCHED.reset(token)
    assert after != before
    assert after == fragments.versions("project:77")
