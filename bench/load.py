"""Load generators: `wrk` when it is there (or can be installed), else a Python one.

Both only ever target the loopback address and stop after a bounded duration.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from bench.rotation import RequestSet, lua_script, start_offset

LOOPBACK = "127.0.0.1"
HTTP_TIMEOUT = 5.0


@dataclass(frozen=True)
class LoadResult:
    """What one timed run measured."""

    requests: int
    seconds: float
    rps: float
    non_2xx: int
    socket_errors: dict[str, int] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)  # p50, p99
    unmarked: int = 0  # 2xx responses without the set's marker (signed out, say)
    rotated: int = 1  # how many distinct requests the generator cycled through

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values())


class LoadGenerator(Protocol):
    name: str

    def run(self, url: str, *, seconds: int, requests: RequestSet | None = None) -> LoadResult:
        """Load ``url`` for ``seconds``; with ``requests``, ``url`` is the server's base and
        the generator cycles through the set's paths and cookies (bench/rotation.py)."""
        ...


def _request_set(url: str, requests: RequestSet | None) -> tuple[str, int, RequestSet]:
    """(host, port, the set to cycle through): ``url`` alone is a set of one."""
    host, port, path = check_loopback(url)
    return host, port, requests if requests is not None else RequestSet.single(path)


def check_loopback(url: str) -> tuple[str, int, str]:
    """(host, port, path) of ``url``; refuses anything but http on 127.0.0.1."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname != LOOPBACK or parts.port is None:
        raise ValueError(f"the bench only loads http://{LOOPBACK}:<port>/..., not {url!r}")
    path = parts.path or "/"
    return parts.hostname, parts.port, f"{path}?{parts.query}" if parts.query else path


def probe(url: str, *, cookie: str = "", timeout: float = HTTP_TIMEOUT) -> tuple[int, bytes]:
    """The status and body of one GET on ``url`` (with ``cookie`` as its Cookie header),
    redirects not followed."""
    host, port, path = check_loopback(url)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# ---------------------------------------------------------------------------------- wrk

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class Wrk:
    """`wrk -t<threads> -c<connections> -d<seconds>s` with the rotation script of
    bench/rotation.py (a set of one request when no set is given), which also counts the
    responses outside 2xx (wrk itself lumps 3xx in with success) and those without the
    set's marker."""

    binary: str
    threads: int
    connections: int
    name: str = "wrk"

    def run(self, url: str, *, seconds: int, requests: RequestSet | None = None) -> LoadResult:
        host, port, rotation = _request_set(url, requests)
        with tempfile.TemporaryDirectory(prefix="hitrecord-bench-wrk-") as tmp:
            listed = rotation.write(Path(tmp) / "requests.tsv")
            script = Path(tmp) / "rotate.lua"
            script.write_text(lua_script(listed, threads=self.threads, marker=rotation.marker))
            command = [
                self.binary,
                f"-t{self.threads}",
                f"-c{self.connections}",
                f"-d{seconds}s",
                f"--timeout={HTTP_TIMEOUT:g}s",
                "--latency",
                "-s",
                str(script),
                f"http://{host}:{port}/",
            ]
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=seconds + 60, check=False
            )
        if done.returncode != 0:
            raise RuntimeError(f"wrk exited {done.returncode}: {done.stderr.strip()[:500]}")
        return parse_wrk(done.stdout)


def parse_wrk(output: str) -> LoadResult:
    """The numbers of one `wrk --latency -s rotate.lua` run."""
    totals = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m),", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"bench-non2xx: (\d+)", output)
    unmarked = re.search(r"bench-unmarked: (\d+)", output)
    listed = re.search(r"bench-requests: (\d+)", output)
    if not (totals and rps and non_2xx):
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    socket_errors = (
        dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True))
        if errors
        else {}
    )
    latency = {
        f"p{pct}": float(value) * _UNIT_MS[unit]
        for pct, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    }
    return LoadResult(
        requests=int(totals.group(1)),
        seconds=float(totals.group(2)) * _UNIT_MS[totals.group(3)] / 1000,
        rps=float(rps.group(1)),
        non_2xx=int(non_2xx.group(1)),
        socket_errors=socket_errors,
        latency_ms=latency,
        unmarked=int(unmarked.group(1)) if unmarked else 0,
        rotated=int(listed.group(1)) if listed else 1,
    )


def find_or_install_wrk() -> str | None:
    """The path of `wrk`; as root, install Debian's package first if it is missing."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    if not _apt_get("install", "-y", "-qq", "wrk"):
        # Stale package lists: refresh them once and try again.
        _apt_get("update", "-qq")
        _apt_get("install", "-y", "-qq", "wrk")
    return shutil.which("wrk")


def _apt_get(*args: str) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(
        ["apt-get", *args], env=env, capture_output=True, timeout=300, check=False
    )
    return done.returncode == 0


def wrk_version(binary: str) -> str:
    done = subprocess.run([binary, "-v"], capture_output=True, text=True, check=False)
    first = (done.stdout or done.stderr).strip().splitlines()
    return first[0].split(" [")[0] if first else "wrk"


# ------------------------------------------------------------------------------- Python


@dataclass
class _Tally:
    requests: int = 0
    non_2xx: int = 0
    unmarked: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)


@dataclass
class PythonLoad:
    """The fallback: one thread per connection, each reusing its connection where it can,
    each cycling through the request set from its own offset (as the wrk script does).

    gunicorn's sync workers close every connection after its response; http.client then
    opens a new one for the next request, as wrk does. Slower than wrk (the GIL), so a row
    measured with it says so.
    """

    connections: int
    name: str = "python"

    def run(self, url: str, *, seconds: int, requests: RequestSet | None = None) -> LoadResult:
        host, port, rotation = _request_set(url, requests)
        deadline = time.monotonic() + seconds
        tallies = [_Tally() for _ in range(self.connections)]
        n = len(rotation)
        threads = [
            threading.Thread(
                target=_hammer,
                args=(host, port, rotation, start_offset(i, self.connections, n), deadline, tally),
            )
            for i, tally in enumerate(tallies)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return replace(_summarise(tallies, time.monotonic() - started), rotated=n)


def _hammer(
    host: str, port: int, rotation: RequestSet, offset: int, deadline: float, tally: _Tally
) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=HTTP_TIMEOUT)
    prepared = [(r.path, {"Cookie": r.cookie} if r.cookie else {}) for r in rotation.requests]
    position = offset
    try:
        while time.monotonic() < deadline:
            path, headers = prepared[position]
            position = (position + 1) % len(prepared)
            sent = time.monotonic()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException):
                tally.errors += 1
                conn.close()
                continue
            tally.latencies.append((time.monotonic() - sent) * 1000)
            tally.requests += 1
            if not 200 <= response.status <= 299:
                tally.non_2xx += 1
            elif rotation.marker and rotation.marker not in body:
                tally.unmarked += 1
    finally:
        conn.close()


def _summarise(tallies: list[_Tally], elapsed: float) -> LoadResult:
    latencies = sorted(ms for tally in tallies for ms in tally.latencies)
    requests = sum(tally.requests for tally in tallies)
    percentiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else []
    return LoadResult(
        requests=requests,
        seconds=elapsed,
        rps=requests / elapsed if elapsed else 0.0,
        non_2xx=sum(tally.non_2xx for tally in tallies),
        unmarked=sum(tally.unmarked for tally in tallies),
        socket_errors={"errors": sum(tally.errors for tally in tallies)},
        latency_ms={"p50": percentiles[49], "p99": percentiles[98]} if percentiles else {},
    )


def choose(*, loadgen: str, threads: int, connections: int) -> tuple[LoadGenerator, str]:
    """The load generator to use, and its description for the report."""
    if loadgen != "python":
        binary = find_or_install_wrk()
        if binary:
            return Wrk(binary, threads, connections), wrk_version(binary)
        if loadgen == "wrk":
            raise SystemExit("BENCH_LOADGEN=wrk but wrk is not installed (apt-get install wrk)")
    why = "asked for" if loadgen == "python" else "wrk not found"
    return PythonLoad(connections), f"python http.client, {connections} threads ({why})"
