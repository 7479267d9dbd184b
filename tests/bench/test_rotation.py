"""The bench's rotation (bench/rotation.py): the request file both load generators read,
the wrk script that cycles through it, and the sessions it signs people in with.

Not timing: these check that a row cycles through the requests it says, with each
person's cookie, and that a session minted in the bench process signs its person in on
the site, so a silent sign-out is caught instead of measured.
"""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.test import Client

from bench.load import PythonLoad, Wrk, parse_wrk
from bench.rotation import (
    SIGNED_IN_MARKER,
    Request,
    RequestSet,
    Sessions,
    dump,
    lua_script,
    lua_string,
    mint_session,
    pair,
    parse,
    start_offset,
)
from bench.rows import signed_in
from tests.accounts.factories import UserFactory

# --- the request file -------------------------------------------------------------------


def test_the_request_file_reads_back_as_written():
    requests = [
        Request("/projects/?search=paper+harbor", "sessionid=abc"),
        Request("/u/world-0001/", ""),
        Request("/api/projects/world-0002/final-cut/split/?amount_minor=100", "a=1; b=2"),
    ]
    text = dump(requests)
    assert text.splitlines()[0] == "/projects/?search=paper+harbor\tsessionid=abc"
    assert parse(text) == requests


def test_a_line_without_a_tab_is_refused():
    with pytest.raises(ValueError, match="line 2 has no tab"):
        parse("/a\tc=1\n/b\n")


@pytest.mark.parametrize(
    ("path", "cookie", "why"),
    [
        ("/search/?q=two words", "", "without spaces"),
        ("/a\t/", "", "without spaces"),
        ("relative/", "", "starts with '/'"),
        ("/a/", "c=1\nX-Evil: 1", "no tab or line break"),
    ],
)
def test_a_request_that_would_break_the_file_or_wrk_is_refused(path, cookie, why):
    with pytest.raises(ValueError, match=why):
        Request(path, cookie)


def test_pair_puts_every_person_and_every_object_in_the_rotation():
    people = [(f"p{i}", f"c={i}") for i in range(3)]
    paths = [f"/o/{i}/" for i in range(7)]
    requests = pair(people, paths)
    assert len(requests) == 7
    assert {r.path for r in requests} == set(paths)
    assert {r.cookie for r in requests} == {"c=0", "c=1", "c=2"}
    assert all(r.cookie == f"c={r.user[1:]}" for r in requests)  # each path as a real person
    assert len(pair(people * 400, ["/"])) == 1_200


def test_threads_start_at_different_offsets_spread_over_the_list():
    assert [start_offset(i, 2, 1_000) for i in range(2)] == [0, 500]
    assert [start_offset(i, 8, 1_000) for i in range(8)] == [0, 125, 250, 375, 500, 625, 750, 875]
    assert start_offset(3, 4, 1) == 0


def test_the_checks_before_the_load_spread_over_the_set():
    rotation = RequestSet(tuple(Request(f"/o/{i}/") for i in range(100)))
    picked = [r.path for r in rotation.spread(5)]
    assert picked == ["/o/0/", "/o/25/", "/o/50/", "/o/74/", "/o/99/"]
    assert len(RequestSet.single("/x/").spread(5)) == 1


# --- the wrk script -----------------------------------------------------------------------


def test_the_lua_script_names_its_file_and_marker_as_lua_strings(tmp_path):
    odd = tmp_path / 'dir "quoted" \\ back'
    script = lua_script(odd / "requests.tsv", threads=4, marker=b"Sign out")
    assert f"local requests_file = {lua_string(str(odd / 'requests.tsv'))}" in script
    assert lua_string('a "b" \\ c') == '"a \\"b\\" \\\\ c"'
    assert "local threads_total = 4" in script
    assert 'local marker = "Sign out"' in script
    assert 'wrk.format("GET", path, headers)' in script


def test_parse_wrk_reads_the_scripts_counts():
    output = (
        "Running 1s test @ http://127.0.0.1:8000/\n"
        "  Latency Distribution\n     50%    2.10ms\n     99%   12.50ms\n"
        "  1234 requests in 1.00s, 1.00MB read\n"
        "Requests/sec:   1234.00\n"
        "bench-non2xx: 3\nbench-unmarked: 7\nbench-requests: 1000\n"
    )
    result = parse_wrk(output)
    assert (result.requests, result.non_2xx, result.unmarked, result.rotated) == (1234, 3, 7, 1000)
    assert result.latency_ms == {"p50": 2.1, "p99": 12.5}


class _Recorder(BaseHTTPRequestHandler):
    """Answers every GET with "Sign out" in the body, except for the cookie ``c=3``."""

    seen: Counter[tuple[str, str]]

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        cookie = self.headers.get("Cookie", "")
        self.server.seen[(self.path, cookie)] += 1  # type: ignore[attr-defined]
        body = b"signed out" if cookie == "c=3" else b"<button>Sign out</button>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a load generator hanging up at its deadline is not an error here


@pytest.fixture
def recorder() -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Recorder)
    server.seen = Counter()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


ROTATION = RequestSet(
    tuple(Request(f"/o/{i}/?q=a+b", f"c={i}") for i in range(10)), marker=SIGNED_IN_MARKER
)


def _check_cycled(server: _Server, result) -> None:
    seen = server.seen  # type: ignore[attr-defined]
    assert set(seen) == {(r.path, r.cookie) for r in ROTATION.requests}  # every one, as itself
    assert result.rotated == 10
    assert result.non_2xx == 0
    assert result.requests >= 20
    # The one cookie the server treats as signed out is counted, and only it; at the
    # deadline a generator may drop the answer in flight on each of its 2 connections.
    served = seen[("/o/3/?q=a+b", "c=3")]
    assert served - 2 <= result.unmarked <= served
    assert result.unmarked > 0


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_cycles_through_every_request_with_its_cookie(recorder):
    wrk = Wrk(str(shutil.which("wrk")), threads=2, connections=2)
    result = wrk.run(f"http://127.0.0.1:{recorder.server_port}/", seconds=1, requests=ROTATION)
    _check_cycled(recorder, result)


def test_the_python_generator_cycles_the_same_way(recorder):
    load = PythonLoad(connections=2)
    result = load.run(f"http://127.0.0.1:{recorder.server_port}/", seconds=1, requests=ROTATION)
    _check_cycled(recorder, result)


def test_the_requests_file_is_what_the_script_reads(tmp_path):
    path = ROTATION.write(tmp_path / "requests.tsv")
    assert parse(Path(path).read_text()) == [Request(r.path, r.cookie) for r in ROTATION.requests]


# --- sign-in ----------------------------------------------------------------------------


def _page(cookie: str, path: str = "/") -> bytes:
    client = Client()
    name, _, value = cookie.partition("=")
    client.cookies[name] = value
    response = client.get(path)
    assert response.status_code == 200
    return response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "engine",
    [
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
        "django.contrib.sessions.backends.cache",
    ],
)
def test_a_minted_session_signs_its_person_in(settings, engine):
    settings.SESSION_ENGINE = engine
    person = UserFactory(username="world-0042")
    cookie = mint_session(person)
    assert cookie.startswith(f"{settings.SESSION_COOKIE_NAME}=")
    body = _page(cookie, "/me/notifications/")
    assert signed_in(body, "world-0042")
    assert not signed_in(body, "world-0043")


@pytest.mark.django_db
def test_a_session_that_no_longer_signs_in_is_told_apart(client):
    person = UserFactory(username="world-0007")
    cookie = mint_session(person)
    assert signed_in(_page(cookie), "world-0007")
    person.set_password("another-horse-battery")  # the session's hash no longer matches
    person.save()
    assert not signed_in(_page(cookie), "world-0007")
    assert not signed_in(client.get("/").content, "world-0007")  # signed out, never signed in


@pytest.mark.django_db
def test_sessions_are_minted_once_per_person_and_kept_in_order():
    first, second = UserFactory(), UserFactory()
    sessions = Sessions()
    made = sessions.of([second.pk, first.pk, second.pk])
    assert [name for name, _ in made] == [second.username, first.username, second.username]
    assert made[0][1] == made[2][1] != made[1][1]
    assert sessions.of([first.pk]) == [made[1]]
    with pytest.raises(RuntimeError, match="no user with id"):
        sessions.of([first.pk + second.pk + 1000])
