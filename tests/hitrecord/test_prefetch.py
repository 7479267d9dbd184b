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


def _world_of_three():
    """A project with a remix chain in it, and its author's username."""
    from tests.contributions.factories import ContributionFactory, SourceFactory
    from tests.projects.factories import ProjectFactory

    project = ProjectFactory(title="Harbor Songs")
    source = ContributionFactory(title="The Source Song", project=project)
    remix = ContributionFactory(title="The Remix Song", project=project)
    SourceFactory(contribution=remix, source=source)
    return project, remix


@pytest.mark.parametrize("page", ["contribution", "project", "profile"])
def test_a_view_the_process_has_no_copy_of_reads_the_shared_cache_twice_at_most(monkeypatch, page):
    """What another worker built is fetched in one more round trip, not one per value
    (the head, the role, the person, the page body)."""
    project, remix = _world_of_three()
    path, shown = {
        "contribution": (f"/contributions/{remix.pk}/", "The Source Song"),
        "project": (f"/projects/{project.slug}/", "The Remix Song"),
        "profile": (f"/u/{remix.author.username}/", "The Remix Song"),
    }[page]
    client = _signed_in(UserFactory(username="ana-w"))
    for _ in range(3):
        assert client.get(path).status_code == 200
    fragments._LOCAL.clear()  # as in a worker that did not build them

    reads = _Reads(monkeypatch)
    text = _text(client.get(path))
    assert shown in text
    assert "ana-w" in text
    assert reads.keys_read_alone() == []
    assert [kind for kind, _ in reads.calls] == ["get_many", "get_many"], reads.calls

    reads.calls.clear()  # and the next view is served from the process
    assert shown in _text(client.get(path))
    assert len(reads.calls) == 1, reads.calls


def test_a_repeat_profile_is_one_round_trip_in_all(monkeypatch):
    _, remix = _world_of_three()
    client = _signed_in(UserFactory(username="ana-r"))
    path = f"/u/{remix.author.username}/"
    for _ in range(3):
        assert client.get(path).status_code == 200
    reads = _Reads(monkeypatch)
    assert "The Remix Song" in _text(client.get(path))
    assert len(reads.calls) == 1, reads.calls
    assert f"v:person:{remix.author.pk}" in reads.calls[0][1]


def test_a_profile_change_shows_at_once_though_its_id_is_remembered():
    _, remix = _world_of_three()
    author = remix.author
    viewer = _signed_in(UserFactory())
    path = f"/u/{author.username}/"
    for _ in range(2):
        assert "A new bio" not in _text(viewer.get(path))
    author.bio = "A new bio"
    author.save()
    assert "A new bio" in _text(viewer.get(path))
    author.is_active = False
    author.save()
    assert viewer.get(path).status_code == 404


def test_more_outside_a_request_keeps_nothing():
    cache.set("prefetch-test:x", "value")
    prefetch.more(["prefetch-test:x"])
    assert prefetch.take("prefetch-test:x") == (False, None)
    cache.set("prefetch-test:x", "changed")
    assert prefetch.get("prefetch-test:x") == "changed"


def test_preload_skips_what_the_process_holds_and_serves_the_rest_once(monkeypatch):
    fragments.local_put("prefetch-test:local", "kept here", 60)
    cache.set("prefetch-test:shared", "from the cache")
    token = prefetch._FETCHED.set({})
    try:
        reads = _Reads(monkeypatch)
        fragments.preload("prefetch-test:local", "prefetch-test:shared")
        assert reads.calls == [("get_many", ["prefetch-test:shared"])]
        built = []
        value = fragments.cached_value(
            "prefetch-test:shared", lambda: built.append(1) or "built", local=True
        )
        assert value == "from the cache"
        assert built == []
        assert len(reads.calls) == 1  # served from the preload
    finally:
        prefetch._FETCHED.reset(token)


def test_a_token_is_read_from_the_cache_once_a_request(monkeypatch):
    fragments.bump("project:78")
    token = prefetch._FETCHED.set({})
    try:
        reads = _Reads(monkeypatch)
        first = fragments.versions("project:78", "people")
        assert fragments.versions("project:78") == first.split(".")[0]
        assert fragments.versions("people", "project:78") == ".".join(reversed(first.split(".")))
        assert len(reads.calls) == 1, reads.calls
    finally:
        prefetch._FETCHED.reset(token)


def test_a_profile_in_a_process_that_remembers_nothing_reads_each_token_once(monkeypatch):
    _, remix = _world_of_three()
    client = _signed_in(UserFactory(username="ana-f"))
    path = f"/u/{remix.author.username}/"
    for _ in range(2):
        assert client.get(path).status_code == 200
    fragments.forget_local()  # a new worker: no copies, no remembered ids or sessions

    reads = _Reads(monkeypatch)
    assert "The Remix Song" in _text(client.get(path))
    token_key = f"v:person:{remix.author.pk}"
    asked = [keys for kind, keys in reads.calls if kind == "get_many" and token_key in keys]
    assert len(asked) == 1, reads.calls
    read = [key for kind, keys in reads.calls for key in (keys if kind == "get_many" else [keys])]
    assert len(read) == len(set(read)), reads.calls  # and no other key is read twice either


def test_a_visitor_project_page_fetches_no_role(monkeypatch):
    project, _ = _world_of_three()
    visitor = Client()
    assert visitor.get(f"/projects/{project.slug}/").status_code == 200
    fragments._LOCAL.clear()
    reads = _Reads(monkeypatch)
    assert "The Remix Song" in _text(visitor.get(f"/projects/{project.slug}/"))
    read = [key for kind, keys in reads.calls for key in (keys if kind == "get_many" else [keys])]
    assert not [key for key in read if key.startswith("project-role:")], read
    assert any(key.startswith("project-page:") for key in read), read
