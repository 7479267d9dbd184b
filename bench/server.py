"""The web process under test: gunicorn with sync workers on 127.0.0.1, bench settings."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Self

from bench.load import LOOPBACK, probe

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 60.0
WORKERS = 2  # issue 2: gunicorn with 2 sync workers
STOP_TIMEOUT = 15.0


def bench_env(data_dir: Path) -> dict[str, str]:
    """The environment of every bench process: production settings, throw-away data.

    ``DATABASE_URL`` (and ``CACHE_URL`` and the rest of DESIGN.md's variables) pass
    through from the caller's environment; without it the database is SQLite in
    ``data_dir``.
    """
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=LOOPBACK,
        DJANGO_SECURE_SSL_REDIRECT="0",
        HITRECORD_DATA_DIR=str(data_dir),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    env.setdefault("LOG_LEVEL", "WARNING")
    return env


def migrate(env: dict[str, str]) -> None:
    """``manage.py migrate`` under the bench settings; raises with its output on failure."""
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py migrate failed:\n{done.stdout}{done.stderr}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """gunicorn (``--workers``, sync) started as a subprocess; a context manager."""

    env: dict[str, str]
    log_path: Path
    workers: int = WORKERS
    port: int = field(default_factory=free_port)
    _process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("the server is not running")
        return self._process.pid

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "hitrecord.wsgi:application",
            f"--workers={self.workers}",
            "--worker-class=sync",
            f"--bind={LOOPBACK}:{self.port}",
            f"--chdir={ROOT}",
            "--log-level=warning",
            "--graceful-timeout=5",
            "--timeout=600",  # the upload row sends 200 MB and checks it in the request
        ]

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(  # noqa: S603 - our own argv, no shell
            self.command(), cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start-up:\n{self.log_tail()}")
            try:
                if probe(f"{self.base_url}/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz in {READY_TIMEOUT:g}s")

    def stop(self) -> None:
        """SIGTERM to the master (it stops its workers), SIGKILL if it lingers."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def exit_status(self) -> int | None:
        """gunicorn's exit status if it is gone (negative: killed by that signal), else None."""
        return None if self._process is None else self._process.poll()

    def worker_pids(self) -> list[int]:
        """The worker processes' ids (Linux: the master's children)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        return [int(pid) for pid in children.split()]

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def peak_rss_bytes(pid: int) -> int:
    """A process's peak resident memory so far (VmHWM), for memory rows."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for process {pid}")
