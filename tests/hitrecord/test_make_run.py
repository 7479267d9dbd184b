"""`make run` as a new user meets it (issue 11): a port of their choosing, an install that
shows progress, a seed that prints a short summary with every demo sign-in, and a 403 that
logs one line."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import path

from accounts.demo import DEMO_PASSWORD, PEOPLE
from projects.demo import PROJECTS
from projects.models import Membership
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory
from tests.projects.factories import ProjectFactory

ROOT = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make")
needs_make = pytest.mark.skipif(MAKE is None, reason="make is not installed")


# What an outer make (`make test` runs these tests) passes down: without them the inner make
# behaves as it does when typed, not as a sub-make printing "Entering directory".
OUTER_MAKE = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")


def _make(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None):
    clean = {k: v for k, v in (os.environ if env is None else env).items() if k not in OUTER_MAKE}
    return subprocess.run(  # noqa: S603 - our own Makefile, fixed arguments
        [str(MAKE), "--no-print-directory", "-f", str(ROOT / "Makefile"), *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# --- 5. the port ------------------------------------------------------------------------


@needs_make
def test_make_run_serves_on_the_port_given_and_8000_by_default():
    chosen = _make("-n", "run", "PORT=8001")
    assert chosen.returncode == 0, chosen.stderr
    lines = chosen.stdout.splitlines()
    serve = [line for line in lines if "manage.py runserver" in line]
    assert len(serve) == 1
    assert serve[0].endswith("runserver 127.0.0.1:8001")
    assert 'echo "Serving http://127.0.0.1:8001 (stop with Ctrl-C)"' in lines
    # Mail sent while serving links to the same port.
    assert "SITE_URL:-http://127.0.0.1:8001" in serve[0]
    assert "8000" not in chosen.stdout.split("manage.py migrate")[1]

    default = _make("-n", "run")
    assert default.returncode == 0, default.stderr
    assert any(line.endswith("runserver 127.0.0.1:8000") for line in default.stdout.splitlines())


def test_the_readme_says_how_to_choose_the_port():
    readme = (ROOT / "README.md").read_text()
    assert "make run PORT=8001" in readme
    assert "http://127.0.0.1:8000" in readme


# --- 6. the first install shows progress ------------------------------------------------


def _wheel(directory: Path, name: str, version: str) -> Path:
    """A real (tiny) wheel with one module, built by hand."""
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    files = {
        f"{module}.py": b"VALUE = 1\n",
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        ).encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = []
    for member, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{member},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = directory / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
    return wheel


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass


# The tiny project's own build backend (PEP 660), so installing it editable needs nothing
# from an index: it writes a wheel holding only the project's metadata.
TINY_BACKEND = """
import base64, hashlib, os, zipfile

def _wheel(directory):
    dist_info = "tiny_project-0.dist-info"
    files = {
        dist_info + "/METADATA": b"Metadata-Version: 2.1\\nName: tiny-project\\nVersion: 0\\n",
        dist_info + "/WHEEL": b"Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\n"
        b"Tag: py3-none-any\\n",
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        record.append(name + ",sha256=" + digest.decode() + "," + str(len(data)))
    record.append(dist_info + "/RECORD,,")
    files[dist_info + "/RECORD"] = ("\\n".join(record) + "\\n").encode()
    basename = "tiny_project-0-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, basename), "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return basename

def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory)

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory)
"""


@pytest.fixture
def local_index(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A package index on localhost serving two tiny wheels; yields its URL and each
    wheel's sha256."""
    served = tmp_path / "served"
    hashes: dict[str, str] = {}
    for name in ("tiny-alpha", "tiny-beta"):
        folder = served / "simple" / name
        folder.mkdir(parents=True)
        wheel = _wheel(folder, name, "1.0")
        hashes[name] = hashlib.sha256(wheel.read_bytes()).hexdigest()
        (folder / "index.html").write_text(
            f'<a href="{wheel.name}#sha256={hashes[name]}">{wheel.name}</a>\n'
        )
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietFiles, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/", hashes
    finally:
        server.shutdown()
        server.server_close()


def _install_here(tmp_path: Path, index: str, lock: str) -> subprocess.CompletedProcess[str]:
    """`make install` of the real Makefile in a fresh folder: a new .venv, the given lock
    from the local index, and a one-line project installed editable; pip sees no config."""
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "tiny_backend"\nbackend-path = ["."]\n'
        '\n[project]\nname = "tiny-project"\nversion = "0"\n'
    )
    (project / "tiny_backend.py").write_text(TINY_BACKEND)
    (project / "requirements.lock").write_text(lock)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    env |= {
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_INDEX_URL": index,
        "PIP_NO_CACHE_DIR": "1",
        "PATH": os.pathsep.join(
            p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p
        ),
    }
    return _make("install", f"PYTHON={sys.executable}", cwd=project, env=env)


@needs_make
def test_the_first_install_prints_a_line_per_package_and_still_fails_when_pip_does(
    tmp_path, local_index
):
    index, hashes = local_index
    # A lock whose hash is wrong: pip refuses, and so does make (no stamp), saying why.
    failed = _install_here(tmp_path, index, f"tiny-alpha==1.0 \\\n    --hash=sha256:{'0' * 64}\n")
    assert failed.returncode != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in failed.stderr
    assert any(line.startswith("  Creating .venv with ") for line in failed.stdout.splitlines())
    stamp = tmp_path / "project" / ".venv" / ".installed-stamp"
    assert not stamp.exists()

    lock = (
        "# a comment, and a package for another platform that pip skips\n"
        f"tiny-alpha==1.0 \\\n    --hash=sha256:{hashes['tiny-alpha']}\n"
        f"tiny-beta==1.0 \\\n    --hash=sha256:{hashes['tiny-beta']}\n"
        "tiny-windows-only==1.0 ; sys_platform == 'nonesuch' \\\n"
        f"    --hash=sha256:{'0' * 64}\n"
    )
    result = _install_here(tmp_path, index, lock)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines == [
        "Installing locked dependencies from requirements.lock (a few minutes on a fresh "
        "machine)...",
        "  [1/2] tiny-alpha==1.0",
        "  [2/2] tiny-beta==1.0",
        "  Unpacking and installing them...",
        "  Installing the project itself (editable)",
        "  Installed.",
    ]
    assert stamp.exists()
    venv_python = tmp_path / "project" / ".venv" / "bin" / "python"
    check = subprocess.run(  # noqa: S603
        [str(venv_python), "-c", "import tiny_alpha, tiny_beta; print('ok')"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.stdout.strip() == "ok"


# --- 7 and 8. the seed prints a short summary and every demo sign-in ---------------------


@pytest.mark.django_db
def test_seeding_prints_a_summary_and_every_sign_in_but_no_mail_or_task_logs(
    settings, capsys, caplog
):
    # As under `make run`: mail on the console, tasks in-process.
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    out, err = StringIO(), StringIO()
    with caplog.at_level(logging.INFO):
        call_command("seed_demo", stdout=out, stderr=err)
    printed = out.getvalue()
    elsewhere = capsys.readouterr()
    everything = printed + err.getvalue() + elsewhere.out + elsewhere.err
    for noise in ("Content-Type:", "MIME-Version", "Subject:", " succeeded in ", "Task "):
        assert noise not in everything
    assert not [r for r in caplog.records if r.levelno < logging.WARNING]
    assert not [r for r in caplog.records if r.name.startswith(("celery", "kombu"))]

    lines = printed.splitlines()
    assert len(lines) <= len(PEOPLE) + 4, printed
    assert lines[0].startswith("Demo data is ready: ")
    assert f"{len(PEOPLE)} people" in lines[0]
    assert f"{len(PROJECTS)} projects" in lines[0]
    assert re.search(r"\d+ notification emails? held back", printed)
    assert f"password {DEMO_PASSWORD}" in printed
    # Every demo person, with their role, from the seed's own data.
    for username, _first, _last, _mediums, _bio, staff in PEOPLE:
        row = next((line for line in lines if line.split()[:1] == [username]), None)
        assert row is not None, f"{username} is not listed"
        directs = Membership.objects.filter(
            user__username=username, role=Membership.Role.DIRECTOR
        ).count()
        if staff:
            assert "staff" in row
        elif directs:
            assert "director" in row
            assert f"directs {directs} project" in row
        else:
            assert "artist" in row
    assert any("directs 1 project" in line for line in lines)  # an artist with a project
    assert any(" artist " in line for line in lines)
    # Each listed sign-in works.
    for username, *_rest in PEOPLE:
        assert Client().login(username=username, password=DEMO_PASSWORD)

    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert "0 notification emails held back" in again.getvalue()  # nothing new happened


# --- 9. a 403 logs one line -------------------------------------------------------------


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom)]


def _request_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request"]


@pytest.fixture
def console() -> Iterator[StringIO]:
    """What the configured stream handlers write (on every logger, the root's included),
    all into one buffer: a record written by two handlers shows up twice."""
    buffer = StringIO()
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    swapped = []
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            if isinstance(handler, logging.StreamHandler) and not isinstance(
                handler, logging.FileHandler
            ):
                swapped.append((handler, handler.setStream(buffer)))
    try:
        yield buffer
    finally:
        for handler, stream in swapped:
            handler.setStream(stream)


@pytest.mark.django_db
def test_a_refused_page_is_logged_once_as_one_warning_line(settings, caplog, console):
    settings.DEBUG = True  # as under `make run`, where Django's own console handler woke up
    work = ContributionFactory()
    stranger = Client()
    stranger.force_login(UserFactory())
    with caplog.at_level(logging.INFO):
        response = stranger.post(f"/contributions/{work.pk}/withdraw/")
    assert response.status_code == 403
    (record,) = _request_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    line = f"Forbidden (Permission denied): /contributions/{work.pk}/withdraw/"
    assert record.getMessage() == line
    written = console.getvalue()
    assert written.count(line) == 1, written
    assert "Traceback" not in written
    assert written.strip() == line


@pytest.mark.django_db
def test_a_page_the_app_refuses_itself_is_one_line_too(caplog, console):
    project = ProjectFactory()
    stranger = Client()
    stranger.force_login(UserFactory())
    with caplog.at_level(logging.INFO):
        response = stranger.get(f"/projects/{project.slug}/edit/")
    assert response.status_code == 403
    (record,) = _request_records(caplog)
    assert (record.levelno, record.exc_info) == (logging.WARNING, None)
    assert console.getvalue().strip() == f"Forbidden: /projects/{project.slug}/edit/"


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_server_error_keeps_its_traceback_and_is_written_once(settings, caplog, console):
    settings.DEBUG = True
    with caplog.at_level(logging.INFO):
        response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    (record,) = _request_records(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    written = console.getvalue()
    assert written.count("Internal Server Error: /boom/") == 1
    assert written.count("Traceback (most recent call last)") == 1
    assert "RuntimeError: boom" in written
