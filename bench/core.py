"""What a benchmark module gets (Context) and gives back (Row)."""

from __future__ import annotations

import operator
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

from bench.load import LoadGenerator, LoadResult
from bench.server import Server

Comparison = Literal[">=", ">", "<=", "<"]
_COMPARE: dict[Comparison, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}


class Status(StrEnum):
    PASS = "PASS"  # noqa: S105 - measured and the target is met
    FAIL = "FAIL"  # measured and the target is missed, or the run itself went wrong
    INFO = "INFO"  # measured, no target (the baseline)
    MISSING = "MISSING"  # what the row measures does not exist yet (e.g. a 404)
    ERROR = "ERROR"  # the benchmark crashed: `make bench` exits non-zero


@dataclass(frozen=True)
class Target:
    """A goal for one row: its value (or its ratio to the baseline) compared to a threshold."""

    of: Literal["value", "ratio"]
    op: Comparison
    threshold: float
    unit: str = ""

    @classmethod
    def ratio_at_least(cls, threshold: float) -> Target:
        return cls(of="ratio", op=">=", threshold=threshold)

    @classmethod
    def value_below(cls, threshold: float, unit: str) -> Target:
        return cls(of="value", op="<", threshold=threshold, unit=unit)

    def met(self, *, value: float | None, ratio: float | None) -> bool | None:
        """Whether the target is met; None when the compared number is unknown."""
        measured = ratio if self.of == "ratio" else value
        if measured is None:
            return None
        return _COMPARE[self.op](measured, self.threshold)

    def __str__(self) -> str:
        subject = "ratio " if self.of == "ratio" else ""
        unit = f" {self.unit}" if self.unit else ""
        return f"{subject}{self.op} {self.threshold:g}{unit}"


@dataclass(frozen=True)
class Row:
    """One line of the table (and of bench/results/latest.json)."""

    name: str
    value: float | None
    unit: str
    status: Status
    ratio: float | None = None  # to the baseline, for throughput rows
    target: Target | None = None
    note: str = ""
    details: dict[str, object] = field(default_factory=dict)


def judge(
    *,
    name: str,
    value: float,
    unit: str,
    target: Target | None,
    ratio: float | None = None,
    note: str = "",
    details: dict[str, object] | None = None,
) -> Row:
    """A measured row, PASS/FAIL against its target (INFO without one)."""
    status = Status.INFO
    if target is not None:
        met = target.met(value=value, ratio=ratio)
        if met is None:
            status, note = Status.ERROR, _join(note, "no baseline to compare to")
        else:
            status = Status.PASS if met else Status.FAIL
    return Row(
        name=name,
        value=value,
        unit=unit,
        status=status,
        ratio=ratio,
        target=target,
        note=note,
        details=details or {},
    )


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


@dataclass(frozen=True)
class Config:
    """The knobs, from the environment (see bench/README.md)."""

    seconds: int
    warmup_seconds: int
    threads: int
    connections: int
    loadgen: Literal["auto", "wrk", "python"]
    only: tuple[str, ...]

    @classmethod
    def from_env(cls) -> Config:
        loadgen = os.environ.get("BENCH_LOADGEN", "auto")
        if loadgen not in ("auto", "wrk", "python"):
            raise SystemExit(f"BENCH_LOADGEN must be auto, wrk or python; got {loadgen!r}")
        only = os.environ.get("BENCH_ONLY", "")
        return cls(
            seconds=_positive_int("BENCH_SECONDS", 10),
            warmup_seconds=_positive_int("BENCH_WARMUP_SECONDS", 2),
            threads=_positive_int("BENCH_THREADS", 2),
            connections=_positive_int("BENCH_CONNECTIONS", 8),
            loadgen=loadgen,  # type: ignore[arg-type]  # checked just above
            only=tuple(word.strip() for word in only.split(",") if word.strip()),
        )


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"{name} must be a whole number of at least 1; got {raw!r}")
    return int(raw)


@dataclass
class Context:
    """Everything a benchmark module needs: the running server, the load generator, Django."""

    config: Config
    server: Server
    loadgen: LoadGenerator
    data_dir: Path
    baseline_rps: float | None = None
    _django_ready: bool = False

    def url(self, path: str) -> str:
        return f"{self.server.base_url}{path}"

    def load(self, path: str) -> LoadResult:
        """Warm up, then measure throughput on ``path`` for the configured duration."""
        url = self.url(path)
        self.loadgen.run(url, seconds=self.config.warmup_seconds)
        return self.loadgen.run(url, seconds=self.config.seconds)

    def setup_django(self) -> None:
        """Make the ORM usable in this process, on the bench database the server uses."""
        if not self._django_ready:
            import django

            django.setup()
            self._django_ready = True

    def close_db(self) -> None:
        """Close this process's connections, so the server owns the database alone."""
        if self._django_ready:
            from django.db import connections

            connections.close_all()
