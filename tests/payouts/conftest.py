"""Real ``celery worker`` processes for the payout reliability tests (marked ``worker``).

``celery_workers`` starts as many workers as a test needs, with the pool, concurrency and
environment it chooses, and can kill them (``kill -9``) the way a machine or the kernel
does. Every worker reads the test's database (``transactional_db``: the test's rows are
committed, so another process sees them) and the Redis broker. Whatever happens in the
test, teardown kills every worker process and every pool child it saw, and empties the
broker's queue and unacknowledged messages, so nothing leaks into the next test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import WORKER_BROKER_DEFAULT

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0
# The keys kombu's Redis transport keeps a queue and its unacknowledged messages under.
UNACKED_KEYS = ("unacked", "unacked_index", "unacked_mutex")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in {"Z", "X"}


def _is_celery(pid: int) -> bool:
    try:
        return b"celery" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return False


class Worker:
    """One ``celery worker`` process, its log, and the pool children seen under it."""

    def __init__(self, *, name: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.name = name
        self.process = process
        self.log = log
        self.seen_children: set[int] = set()

    @property
    def pid(self) -> int:
        return self.process.pid

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def children(self) -> list[int]:
        """The pool's child processes now (``ps --ppid``); remembered for teardown."""
        out = subprocess.run(
            ["ps", "--ppid", str(self.pid), "-o", "pid="],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        pids = [int(p) for p in out.split()]
        self.seen_children.update(pids)
        return pids

    def wait_for_log(self, needle: str, *, count: int = 1, timeout: float = 60.0) -> str:
        """Poll the log until ``needle`` appears ``count`` times; fails after ``timeout``
        or when the worker exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text()
            if text.count(needle) >= count:
                return text
            if self.process.poll() is not None:
                pytest.fail(f"worker {self.name} exited while waiting for {needle!r}:\n{text}")
            time.sleep(0.05)
        pytest.fail(f"worker {self.name}: no {needle!r} x{count} after {timeout}s:\n{self.text()}")

    def kill_child(self) -> int:
        """``kill -9`` the (only) pool child; returns its pid."""
        children = self.children()
        assert len(children) == 1, f"expected one pool child, found {children}"
        os.kill(children[0], signal.SIGKILL)
        return children[0]

    def kill(self) -> None:
        """``kill -9`` the main process and its pool children, as a lost machine would."""
        children = self.children()
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
        for pid in children:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)

    def kill_everything_seen(self) -> None:
        if self.process.poll() is None:
            self.children()
        for pid in [self.pid, *self.seen_children]:
            if _alive(pid) and _is_celery(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


class Workers:
    """Start, find and kill ``celery worker`` processes for one test."""

    def __init__(self, *, base_env: dict[str, str], log_dir: Path, broker: str) -> None:
        self.base_env = base_env
        self.log_dir = log_dir
        self.broker = broker
        self.started: list[Worker] = []

    def start(
        self,
        *,
        pool: str = "prefork",
        concurrency: int = 1,
        env: dict[str, str] | None = None,
        wait: bool = True,
    ) -> Worker:
        name = f"w{len(self.started) + 1}"
        log = self.log_dir / f"payworker-{os.getpid()}-{name}.log"
        handle = log.open("wb")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "hitrecord",
                "worker",
                f"--pool={pool}",
                f"--concurrency={concurrency}",
                f"--hostname={name}-{os.getpid()}@%h",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env={**self.base_env, **(env or {})},
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        handle.close()
        worker = Worker(name=name, process=process, log=log)
        self.started.append(worker)
        if wait:
            worker.wait_for_log("ready.", timeout=START_TIMEOUT)
            if pool == "prefork":
                deadline = time.monotonic() + 10
                while len(worker.children()) < concurrency and time.monotonic() < deadline:
                    time.sleep(0.05)
        return worker

    def redis(self) -> Any:
        import redis

        return redis.Redis.from_url(self.broker)

    def purge(self) -> None:
        """Empty every queue (``TASK_QUEUES``) and forget every unacknowledged message."""
        from django.conf import settings

        client = self.redis()
        try:
            # A queue's key is its name (and name + a priority suffix).
            keys = [k for name in settings.TASK_QUEUES for k in client.scan_iter(f"{name}*")]
            client.delete(*keys, *UNACKED_KEYS)
        finally:
            client.close()

    def unacked_since(self) -> list[float]:
        """When each message the broker holds unacknowledged was delivered (epoch s)."""
        client = self.redis()
        try:
            return [score for _tag, score in client.zrange("unacked_index", 0, -1, withscores=True)]
        finally:
            client.close()

    def queued(self, queue: str = "payouts") -> int:
        """How many messages wait in ``queue`` (the payouts tasks' by default)."""
        client = self.redis()
        try:
            return int(client.llen(queue))
        finally:
            client.close()

    def kill_all(self) -> None:
        for worker in self.started:
            worker.kill_everything_seen()


@pytest.fixture
def celery_workers(transactional_db: None, settings: Any) -> Iterator[Workers]:
    """A factory of real ``celery worker`` processes on Redis + PostgreSQL (see the module
    docstring). While it is in use, tasks this process enqueues go to the broker."""
    from django.db import connection

    from hitrecord.celery import app

    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a database it can share: run with DATABASE_URL")
    broker = os.environ.get("CELERY_BROKER_URL") or WORKER_BROKER_DEFAULT
    db = connection.settings_dict
    # The same environment as tests/conftest.py's `celery_worker_process`.
    base_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "hitrecord.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "CELERY_BROKER_URL": broker,
        "HITRECORD_DATA_DIR": str(Path(settings.MEDIA_ROOT).parent),
    }
    base_env.pop("CELERY_VISIBILITY_TIMEOUT", None)
    workers = Workers(base_env=base_env, log_dir=Path(settings.MEDIA_ROOT).parent, broker=broker)
    workers.purge()
    previous = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = broker
    try:
        yield workers
    finally:
        app.conf.task_always_eager, app.conf.broker_url = previous
        workers.kill_all()
        workers.purge()
