"""The printed table and bench/results/latest.json."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench.core import Row
from bench.server import ROOT

RESULTS_DIR = ROOT / "bench" / "results"
HEADERS = ("Benchmark", "Value", "Unit", "x baseline", "Target", "Result", "Note")
RIGHT_ALIGNED = {1, 3}


def commit() -> str:
    """The short commit of the work tree (read-only git), or "unknown"."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def load_average() -> str:
    """The load averages: other work on the machine skews every number of the run."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min, before the run)"


def machine(*, loadgen: str, database: str, load_before: str) -> dict[str, str]:
    """What the numbers were measured on, printed above the table and kept in the JSON."""
    return {
        "commit": commit(),
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "django": version("django"),
        "gunicorn": version("gunicorn"),
        "loadgen": loadgen,
        "database": database,
        "load": load_before,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _number(value: float | None, digits: int) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.{digits}f}"


def _cells(row: Row) -> tuple[str, ...]:
    return (
        row.name,
        _number(row.value, 2),
        row.unit,
        _number(row.ratio, 3),
        str(row.target) if row.target else "-",
        row.status.value,
        row.note,
    )


def render(rows: list[Row], facts: dict[str, str], header: str) -> str:
    """The facts, then one table with a column per HEADERS entry."""
    lines = [header, *(f"  {key:<9} {value}" for key, value in facts.items()), ""]
    table = [HEADERS, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]

    def fmt(cells: tuple[str, ...]) -> str:
        parts = [
            cell.rjust(width) if i in RIGHT_ALIGNED else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return " | ".join(parts).rstrip()

    lines += [fmt(HEADERS), "-+-".join("-" * width for width in widths)]
    lines += [fmt(cells) for cells in table[1:]]
    return "\n".join(lines)


def write_json(rows: list[Row], facts: dict[str, str], config: dict[str, object]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / "latest.json"
    payload = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": facts,
        "config": config,
        "rows": [_row_json(row) for row in rows],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def _row_json(row: Row) -> dict[str, object]:
    data = asdict(row)
    data["status"] = row.status.value
    data["target"] = str(row.target) if row.target else None
    return data
