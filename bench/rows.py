"""Ready-made rows: throughput of one page, compared to the baseline."""

from __future__ import annotations

from dataclasses import replace

from bench.core import Context, Row, Status, Target, judge
from bench.load import LoadResult, probe

RPS = "req/s"


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


def _trouble(result: LoadResult) -> str:
    problems = []
    if result.non_2xx:
        problems.append(f"{result.non_2xx} non-2xx responses")
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
