"""Ready-made rows: throughput of one page, compared to the baseline."""

from __future__ import annotations

import html
import statistics
import sys
import time
from dataclasses import dataclass, field, replace

from bench.core import Context, Row, Status, Target, judge
from bench.load import LOOPBACK, LoadResult, probe
from bench.rotation import SIGNED_IN_MARKER, Request, RequestSet
from bench.server import WORKERS

RPS = "req/s"
BASELINE_PATH = "/bench/ok"
DRAIN_TIMEOUT = 120.0  # seconds a slow page's queued requests may take to drain
CHECK_TIMEOUT = 30.0  # seconds one checked request may take, unloaded
CHECKED = 5  # requests of a set probed before its load, spread over the set


def throughput_row(
    ctx: Context,
    *,
    name: str,
    path: str,
    target: Target | None = None,
    baseline: bool = False,
    expect: bytes = b"",
    note: str = "",
) -> Row:
    """Requests per second of GET ``path``, signed out.

    Checked first, without load: a 404 is MISSING (not built yet); another status
    outside 2xx, or a body without ``expect`` (say, a link to the seeded data, so that an
    empty page is not what gets measured), is FAIL. A run with non-2xx responses or
    socket errors is FAIL whatever its speed. With ``baseline=True`` the result becomes
    the baseline every later ratio is computed against.
    """
    unfit = _check_page(ctx, path, expect)
    if unfit is not None:
        status, why = unfit
        return Row(name, None, RPS, status, target=target, note=why)
    result = ctx.load(path)
    if baseline:
        ctx.baseline_rps = result.rps or None
    row = judge(
        name=name,
        value=result.rps,
        unit=RPS,
        target=target,
        ratio=result.rps / ctx.baseline_rps if ctx.baseline_rps else None,
        note=_latency_note(result, note),
        details=_details(ctx, path, result),
    )
    trouble = _trouble(result)
    if trouble:
        return replace(row, status=Status.FAIL, note=f"{trouble}; {row.note}".rstrip("; "))
    return row


def _check_page(ctx: Context, path: str, expect: bytes) -> tuple[Status, str] | None:
    """Why ``path`` is not worth loading (MISSING or FAIL, and the reason), or None."""
    status, body = probe(ctx.url(path))
    if status == 404:
        return Status.MISSING, f"missing (404): {path}"
    if not 200 <= status <= 299:
        return Status.FAIL, f"{path} answered {status}"
    if expect not in body:
        return Status.FAIL, f"{path} does not show {expect.decode(errors='replace')!r}"
    return None


def _trouble(result: LoadResult, requests: RequestSet | None = None) -> str:
    problems = []
    if result.non_2xx:
        problems.append(f"{result.non_2xx} non-2xx responses")
    if result.unmarked:
        marker = requests.marker.decode(errors="replace") if requests else "?"
        problems.append(f"{result.unmarked} responses without {marker!r} (signed out?)")
    if requests is not None and result.rotated != len(requests):
        problems.append(f"the load generator cycled {result.rotated} of {len(requests)} requests")
    if result.errors:
        problems.append(f"{result.errors} socket errors {result.socket_errors}")
    if not result.requests:
        problems.append("no request completed")
    return ", ".join(problems)


def _latency_note(result: LoadResult, note: str) -> str:
    latency = result.latency_ms
    if "p50" not in latency or "p99" not in latency:
        return note
    text = f"p50 {latency['p50']:.1f} ms, p99 {latency['p99']:.1f} ms"
    return f"{note}; {text}" if note else text


def _details(ctx: Context, path: str, result: LoadResult) -> dict[str, object]:
    return {
        "path": path,
        "loadgen": ctx.loadgen.name,
        "threads": ctx.config.threads,
        "connections": ctx.config.connections,
        "seconds": result.seconds,
        "requests": result.requests,
        "non_2xx": result.non_2xx,
        "socket_errors": result.socket_errors,
        "latency_ms": result.latency_ms,
    }


# --- page rows: rotating requests, each next to its own baseline ---------------------------


@dataclass(frozen=True)
class Page:
    """One page row: the requests it cycles through and what their bodies must show.

    ``expect`` is checked in the bodies of the requests probed before the load (each must
    contain every entry; ``{user}`` stands for the signed-in username). A request with a
    cookie must come back signed in: on an HTML page (``requests.marker`` set) its body
    shows ``Sign out`` and the username; for an API row (no marker) ``/`` is probed with the
    same cookie instead.
    """

    name: str
    requests: RequestSet
    target: Target | None
    expect: tuple[str, ...] = ()
    note: str = ""
    details: dict[str, object] = field(default_factory=dict)


def page_rows(ctx: Context, pages: list[Page]) -> list[Row]:
    """Each page's requests/s, cycling through its requests, as a ratio to the baseline
    measured right next to it.

    The machine is noisy, so the first-run baseline can be minutes old by the time a page
    row runs. Short baseline runs (``BENCH_BASELINE_SECONDS``, no warm-up) are interleaved:
    B0 P1 B1 P2 B2 ... and page ``i``'s ratio is its rate over the mean of the baselines
    just before and just after it (B(i-1) and B(i)). A page that is MISSING or fails its
    checks is not loaded and takes no baseline of its own.
    """
    rows = []
    before = _short_baseline(ctx)
    for page in pages:
        _ensure_server(ctx)
        # Counted first, on a request the checks below do not fetch: its caches are cold.
        counted = page.requests.requests[1 % len(page.requests)]
        queries = count_queries(counted)
        unfit = _check_requests(ctx, page)
        if unfit is not None:
            status, why = unfit
            row = Row(page.name, None, RPS, status, target=page.target, note=why)
            rows.append(replace(row, details=page.details))
            continue
        result = ctx.load(requests=page.requests)
        _drain(ctx, result)
        after = _short_baseline(ctx)
        nearby = _nearby(ctx, before, after)
        facts = ", ".join(f"{value:,} {key}" for key, value in page.requests.facts.items())
        note = "; ".join(
            part
            for part in (
                page.note,
                _rotation_note(page.requests, facts),
                f"baseline nearby {nearby:,.0f} req/s",
                _queries_note(queries),
            )
            if part
        )
        row = judge(
            name=page.name,
            value=result.rps,
            unit=RPS,
            target=page.target,
            ratio=result.rps / nearby if nearby else None,
            note=_latency_note(result, note),
            details={
                **_details(ctx, page.requests.requests[0].path, result),
                **page.details,
                "requests_rotated": len(page.requests),
                "rotation": page.requests.facts,
                "unmarked": result.unmarked,
                "baseline_before_rps": before.rps,
                "baseline_after_rps": after.rps,
                "baseline_nearby_rps": nearby,
                "baseline_first_rps": ctx.baseline_rps,
                "queries": {**queries, "path": counted.path},
                "server_restarts_so_far": ctx.server_restarts,
            },
        )
        trouble = _trouble(result, page.requests)
        if trouble:
            row = replace(row, status=Status.FAIL, note=f"{trouble}; {row.note}")
        rows.append(row)
        before = after
    return rows


def _rotation_note(requests: RequestSet, facts: str) -> str:
    if len(requests) == 1:
        return ""
    return f"rotating {len(requests):,} requests" + (f" ({facts})" if facts else "")


def _short_baseline(ctx: Context) -> LoadResult:
    _ensure_server(ctx)
    return ctx.load_short(BASELINE_PATH)


def _ensure_server(ctx: Context) -> None:
    """Start gunicorn again if something outside the bench stopped it (seen on this shared
    machine: a clean exit during the world build); the restart is printed on stderr and
    counted in ``ctx.server_restarts``, and the next baseline is measured on the new one."""
    gone = ctx.server.exit_status()
    if gone is None:
        return
    print(f"bench: gunicorn had exited ({gone}); starting it again", file=sys.stderr, flush=True)
    ctx.server.stop()
    ctx.server.start()
    ctx.server_restarts += 1


def _nearby(ctx: Context, before: LoadResult, after: LoadResult) -> float:
    """The mean of the baselines either side that measured something (the first-run
    baseline if neither did), so a row never lacks a baseline to compare to."""
    rates = [run.rps for run in (before, after) if run.rps]
    return statistics.fmean(rates) if rates else ctx.baseline_rps or 0.0


def _drain(ctx: Context, result: LoadResult) -> None:
    """Wait until the server has finished what the page's run left behind.

    When wrk stops, the requests its connections had sent are still queued at gunicorn's
    sync workers, which serve them before anything else: a baseline started at once would
    wait behind them and read low. One probe of the baseline goes through the queue (it is
    answered once everything before it has been taken), then a pause of about two service
    times of the page (p50 x workers / connections) lets the other worker finish its last.
    """
    probe(ctx.url(BASELINE_PATH), timeout=DRAIN_TIMEOUT)
    p50 = result.latency_ms.get("p50", 0.0) / 1000
    service = p50 * WORKERS / max(1, ctx.config.connections)
    time.sleep(min(10.0, 2 * service))


def _check_requests(ctx: Context, page: Page) -> tuple[Status, str] | None:
    """Why ``page`` is not worth loading (MISSING, FAIL and the reason), or None.

    Probes ``CHECKED`` requests spread over the set: a 404 on the first is MISSING (the
    page is not built yet); any other status outside 2xx, a body without what ``expect``
    asks, or a cookie that does not sign its person in, is FAIL.
    """
    for number, request in enumerate(page.requests.spread(CHECKED)):
        status, body = probe(ctx.url(request.path), cookie=request.cookie, timeout=CHECK_TIMEOUT)
        who = f" as {request.user}" if request.user else ""
        if status == 404 and number == 0:
            return Status.MISSING, f"missing (404): {request.path}"
        if not 200 <= status <= 299:
            return Status.FAIL, f"{request.path}{who} answered {status}"
        for wanted in page.expect:
            text = wanted.format(user=html.escape(request.user))
            if text.encode() not in body:
                return Status.FAIL, f"{request.path}{who} does not show {text!r}"
        if request.cookie:
            if not page.requests.marker:
                status, body = probe(ctx.url("/"), cookie=request.cookie, timeout=CHECK_TIMEOUT)
            if not signed_in(body, request.user):
                return Status.FAIL, f"{request.path}: {request.user}'s session is not signed in"
    return None


def signed_in(body: bytes, username: str) -> bool:
    """Whether a page's body is the page of ``username`` signed in: the header's Sign out
    button and the link to their profile with their name."""
    mine = f">{html.escape(username)}</a>".encode()
    return SIGNED_IN_MARKER in body and mine in body


def count_queries(request: Request) -> dict[str, object]:
    """The SQL queries one request makes, run through Django's test client in this process
    (same settings and database as the server): the first time and once again (warm
    caches). Cheap: two requests. ``{"error": ...}`` when it cannot be counted."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=LOOPBACK)
    if request.cookie:
        name, _, value = request.cookie.partition("=")
        client.cookies[name] = value
    counts = []
    try:
        for _ in range(2):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(request.path)
            if not 200 <= response.status_code <= 299:
                return {"error": f"the test client got {response.status_code}"}
            counts.append(len(captured.captured_queries))
    except Exception as exc:  # noqa: BLE001 - optional figure: report, never crash the row
        return {"error": f"{type(exc).__name__}: {exc}"[:200]}
    finally:
        connection.close()  # the server has the database to itself during the load
    return {"first": counts[0], "again": counts[1]}


def _queries_note(queries: dict[str, object]) -> str:
    if "first" not in queries:
        return ""
    if queries["first"] == queries["again"]:
        return f"{queries['first']} queries"
    return f"{queries['first']} queries ({queries['again']} again)"
