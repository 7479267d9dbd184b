"""What a benchmark module gets (Context) and gives back (Row)."""

from __future__ import annotations

import operator
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bench.load import LoadGenerator, LoadResult
from bench.rotation import RequestSet, Sessions
from bench.server import Server

if TYPE_CHECKING:
    from bench.world import WorldSample

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
    world: str = "medium"  # BENCH_WORLD: the size of bench/world.py the page rows read
    baseline_seconds: int = 1  # the short baseline runs between page rows

    @classmethod
    def from_env(cls) -> Config:
        loadgen = os.environ.get("BENCH_LOADGEN", "auto")
        if loadgen not in ("auto", "wrk", "python"):
            raise SystemExit(f"BENCH_LOADGEN must be auto, wrk or python; got {loadgen!r}")
        only = os.environ.get("BENCH_ONLY", "")
        seconds = _positive_int("BENCH_SECONDS", 10)
        return cls(
            seconds=seconds,
            warmup_seconds=_positive_int("BENCH_WARMUP_SECONDS", 2),
            threads=_positive_int("BENCH_THREADS", 2),
            connections=_positive_int("BENCH_CONNECTIONS", 8),
            loadgen=loadgen,  # type: ignore[arg-type]  # checked just above
            only=tuple(word.strip() for word in only.split(",") if word.strip()),
            world=os.environ.get("BENCH_WORLD", "") or "medium",
            # A third of a page row's run: long enough for a steady rate of the cheap
            # baseline, short enough to run one between every two page rows.
            baseline_seconds=_positive_int("BENCH_BASELINE_SECONDS", max(1, round(seconds / 3))),
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
    sessions: Sessions = field(default_factory=Sessions)  # minted once, shared by the rows
    server_restarts: int = 0  # gunicorn started again after an outside stop (bench/rows.py)
    _django_ready: bool = False
    _world: WorldSample | None = None
    world_counts: dict[str, int] = field(default_factory=dict)
    world_seconds: float = 0.0

    def url(self, path: str) -> str:
        return f"{self.server.base_url}{path}"

    def load(
        self, path: str = "/", *, requests: RequestSet | None = None, warmup: bool = True
    ) -> LoadResult:
        """Warm up, then measure throughput for the configured duration: on ``path``, or
        cycling through ``requests`` (bench/rotation.py)."""
        url = self.url(path if requests is None else "/")
        if warmup and requests is not None:
            self.prime(requests)
        if warmup:
            self.loadgen.run(url, seconds=self.config.warmup_seconds, requests=requests)
        return self.loadgen.run(url, seconds=self.config.seconds, requests=requests)

    def prime(self, requests: RequestSet) -> None:
        """Fetch every request of the rotation once, ``connections`` at a time, before the
        warm-up: the measured run then sees the caches warm on each of its keys (every
        person's header, every object's page) rather than a first pass of misses, which
        a few seconds of warm-up over 1,000 keys would leave."""
        from concurrent.futures import ThreadPoolExecutor

        from bench.load import probe

        def fetch(request: Any) -> int:
            return probe(self.url(request.path), cookie=request.cookie, timeout=60)[0]

        with ThreadPoolExecutor(max_workers=self.config.connections) as pool:
            list(pool.map(fetch, requests.requests))

    def load_short(self, path: str) -> LoadResult:
        """A short run on ``path`` without warm-up: the baseline between page rows."""
        return self.loadgen.run(self.url(path), seconds=self.config.baseline_seconds)

    def world(self) -> WorldSample:
        """The database topped up to the world of ``BENCH_WORLD`` (bench/world.py; built
        once a run, by the first row that asks) and its sample of people and objects."""
        if self._world is None:
            import sys
            import time

            self.setup_django()
            from bench import world

            if self.config.world not in world.SIZES:
                raise SystemExit(
                    f"BENCH_WORLD must be one of {', '.join(world.SIZES)}; "
                    f"got {self.config.world!r}"
                )
            started = time.perf_counter()

            def progress(message: str) -> None:
                print(f"bench: world {self.config.world}: {message}", file=sys.stderr, flush=True)

            progress("building (a first build takes minutes) ...")
            self.world_counts = dict(world.build(self.config.world, progress=progress))
            self._world = world.sample()
            self.world_seconds = time.perf_counter() - started
            progress(f"ready in {self.world_seconds:.0f} s: {self.world_counts}")
        return self._world

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
