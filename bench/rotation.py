"""Rotation: a load run cycles through many (path, Cookie) requests, not one URL.

A page row that hit one URL as one person would measure one cache key: the page's own
cache, the session's row, the database's hot pages. So a row is a ``RequestSet``: at least
1,000 requests, each a path and the Cookie header of a person signed in for real, written
to a file (one ``path<TAB>cookie`` line each) that both load generators read:

- ``wrk``: the Lua script of ``lua_script`` reads the file in every thread's ``init``,
  formats each request once (``wrk.format("GET", path, {Cookie = ...})``) and ``request()``
  hands them out in turn, each thread starting at its own offset (thread ``t`` of ``T`` at
  ``t * N / T``), so two threads do not walk the list in step;
- the Python generator (``bench.load.PythonLoad``) the same, one offset per connection.

Both count the responses outside 2xx and, when the set has a ``marker`` (``b"Sign out"``
on pages), the 2xx responses whose body lacks it: a session that silently stopped being
signed in makes the row FAIL instead of measuring the signed-out page.

Sign-in (``mint_session``) goes through ``settings.SESSION_ENGINE``'s ``SessionStore``
with the three keys ``django.contrib.auth.login`` sets, so it works whatever engine is
configured (``db``, ``cached_db``, ``cache`` on a shared Redis) and the server reads the
session as its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SIGNED_IN_MARKER = b"Sign out"  # the header's button, on every page of a signed-in person


@dataclass(frozen=True)
class Request:
    """One GET: its path (with the query) and the Cookie header ("" when signed out).

    ``user`` is the username signed in (or ""), kept for the checks before the load; it is
    not written to the file.
    """

    path: str
    cookie: str = ""
    user: str = ""

    def __post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise ValueError(f"a request path starts with '/': {self.path!r}")
        if any(char.isspace() for char in self.path):
            raise ValueError(f"a request path is URL-encoded, without spaces: {self.path!r}")
        if any(char in self.cookie for char in "\t\r\n"):
            raise ValueError(f"a Cookie header holds no tab or line break: {self.cookie!r}")


@dataclass(frozen=True)
class RequestSet:
    """The requests one row cycles through, and what every 2xx body must contain."""

    requests: tuple[Request, ...]
    marker: bytes = b""
    facts: dict[str, int] = field(default_factory=dict, compare=False)  # distinct users, ...

    def __post_init__(self) -> None:
        if not self.requests:
            raise ValueError("a request set needs at least one request")

    @classmethod
    def single(cls, path: str) -> RequestSet:
        """One path, signed out: what a row without rotation loads."""
        return cls((Request(path),))

    def __len__(self) -> int:
        return len(self.requests)

    def spread(self, count: int) -> list[Request]:
        """``count`` requests spread evenly over the set (first and last included), for the
        checks before the load."""
        n = len(self.requests)
        if count >= n:
            return list(self.requests)
        if count <= 1:
            return [self.requests[0]]
        return [self.requests[round(i * (n - 1) / (count - 1))] for i in range(count)]

    def write(self, path: Path) -> Path:
        path.write_text(dump(self.requests))
        return path


def dump(requests: Iterable[Request]) -> str:
    """The file both generators read: ``path<TAB>cookie`` a line."""
    return "".join(f"{r.path}\t{r.cookie}\n" for r in requests)


def parse(text: str) -> list[Request]:
    """The requests of a ``dump``ed file (blank lines skipped)."""
    requests = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line:
            continue
        path, tab, cookie = line.partition("\t")
        if not tab:
            raise ValueError(f"line {number} has no tab between path and cookie: {line!r}")
        requests.append(Request(path, cookie))
    return requests


def start_offset(index: int, workers: int, n: int) -> int:
    """Where worker ``index`` of ``workers`` starts in a list of ``n`` (0-based): the same
    rule as the Lua script's ``math.floor(thread_index * n / threads)``."""
    return index * n // workers


def lua_string(value: str) -> str:
    """``value`` as a Lua double-quoted string literal."""
    escaped = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'"{escaped}"'


def lua_script(requests_file: Path, *, threads: int, marker: bytes = b"") -> str:
    """The wrk script cycling through ``requests_file`` (see the module docstring).

    Prints ``bench-non2xx: N``, ``bench-unmarked: N`` and ``bench-requests: N`` (the
    length of the list it read) in ``done`` for ``bench.load.parse_wrk``.
    """
    return _LUA.format(
        file=lua_string(str(requests_file)),
        threads=int(threads),
        marker=lua_string(marker.decode()),
    )


# Each thread has its own Lua state: ``setup`` runs in the main one, once per thread, and
# gives each its index; ``init`` then runs in the thread's state. Requests are formatted
# once in ``init`` (wrk.init has set the Host header by then), so ``request()`` costs a table
# lookup, not a string build, on a machine where wrk shares two cores with the server.
_LUA = """-- generated by bench/rotation.py: cycle through (path, Cookie) requests
local requests_file = {file}
local threads_total = {threads}
local marker = {marker}
local threads = {{}}
local made = 0

function setup(thread)
  thread:set("thread_index", made)
  made = made + 1
  table.insert(threads, thread)
end

function init(args)
  prepared = {{}}
  for line in io.lines(requests_file) do
    local tab = string.find(line, "\\t", 1, true)
    if tab then
      local path = string.sub(line, 1, tab - 1)
      local cookie = string.sub(line, tab + 1)
      local headers = {{}}
      if cookie ~= "" then headers["Cookie"] = cookie end
      prepared[#prepared + 1] = wrk.format("GET", path, headers)
    end
  end
  count = #prepared
  position = math.floor((thread_index or 0) * count / threads_total) % count
  non2xx = 0
  unmarked = 0
end

function request()
  position = position + 1
  if position > count then position = 1 end
  return prepared[position]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  elseif marker ~= "" and not string.find(body or "", marker, 1, true) then
    unmarked = unmarked + 1
  end
end

function done(summary, latency, requests)
  local bad, unsigned, listed = 0, 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    unsigned = unsigned + thread:get("unmarked")
    listed = thread:get("count")
  end
  io.write(string.format("bench-non2xx: %d\\n", bad))
  io.write(string.format("bench-unmarked: %d\\n", unsigned))
  io.write(string.format("bench-requests: %d\\n", listed))
end
"""


# --- sign-in -----------------------------------------------------------------------------


def mint_session(user: Any) -> str:
    """A real session for ``user`` through the configured engine, as ``login`` would make it,
    and the Cookie header that carries it. Needs Django set up."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    backend = getattr(user, "backend", None) or settings.AUTHENTICATION_BACKENDS[0]
    store[BACKEND_SESSION_KEY] = backend
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


@dataclass
class Sessions:
    """One minted session per person, made on first use and shared by every row."""

    cookies: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (name, Cookie)

    def of(self, user_ids: Sequence[int]) -> list[tuple[str, str]]:
        """(username, Cookie header) of each id, in order; unknown ids are an error."""
        from accounts.models import User

        missing = sorted(set(user_ids) - self.cookies.keys())
        if missing:
            found = {u.pk: u for u in User.objects.filter(pk__in=missing)}
            lost = [pk for pk in missing if pk not in found]
            if lost:
                raise RuntimeError(f"no user with id {lost[:5]} ({len(lost)} in all)")
            for pk in missing:
                self.cookies[pk] = (found[pk].username, mint_session(found[pk]))
        return [self.cookies[pk] for pk in user_ids]


def pair(users: Sequence[tuple[str, str]], paths: Sequence[str]) -> list[Request]:
    """``max(len(users), len(paths))`` requests: request ``i`` is path ``i mod P`` as person
    ``i mod U``, so every person and every object is in the rotation."""
    if not users or not paths:
        return []
    return [
        Request(paths[i % len(paths)], users[i % len(users)][1], users[i % len(users)][0])
        for i in range(max(len(users), len(paths)))
    ]
