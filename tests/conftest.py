from __future__ import annotations

import decimal
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from tests.accounts.factories import UserFactory


@pytest.fixture(autouse=True)
def _float_trap() -> Iterator[None]:
    """No float may touch a Decimal anywhere near money or shares."""
    context = decimal.getcontext()
    before = context.traps[decimal.FloatOperation]
    context.traps[decimal.FloatOperation] = True
    yield
    context.traps[decimal.FloatOperation] = before


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def user_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff_client(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


# --- a real `celery worker` process (tests marked `worker`) -------------------------------

WORKER_BROKER_DEFAULT = "redis://127.0.0.1:6379/13"


@pytest.fixture
def celery_worker_process(transactional_db, settings):
    """Start a real ``celery worker`` on the Redis broker, reading this test's database, and
    send tasks to it instead of running them in-process."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from django.db import connection

    from hitrecord.celery import app

    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a database it can share: run with DATABASE_URL")
    broker = os.environ.get("CELERY_BROKER_URL") or WORKER_BROKER_DEFAULT
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "hitrecord.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "CELERY_BROKER_URL": broker,
        "HITRECORD_DATA_DIR": str(settings.MEDIA_ROOT.parent),
    }
    root = Path(__file__).resolve().parents[1]
    log = (Path(settings.MEDIA_ROOT).parent / f"worker-{os.getpid()}.log").open("w+")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hitrecord",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    previous = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = broker
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            log.seek(0)
            if "ready." in log.read():
                break
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"celery worker exited early:\n{log.read()}")
            time.sleep(0.2)
        else:
            log.seek(0)
            pytest.fail(f"celery worker did not start:\n{log.read()}")
        yield process
    finally:
        app.conf.task_always_eager, app.conf.broker_url = previous
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2):
    """Poll until ``predicate()`` is truthy; returns its value or fails after ``timeout``."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"gave up after {timeout}s waiting for {predicate}")


# --- a real browser (tests marked `browser`) ----------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Browsers come from pytest-playwright (its `playwright`, `browser`, `context` and `page`
# fixtures), launched from Debian's Chromium: Playwright cannot download its own here.


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    import os
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium (.ci/run does it)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by
    # the test itself around it are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def browser_context_args(browser_context_args, live_server):
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "viewport": {"width": 1280, "height": 900},
    }


@pytest.fixture
def page(page, live_server):
    """pytest-playwright's page on the live server (``live_server`` named here too, so the
    test gets its database), noting Content-Security-Policy reports."""
    page.csp_violations = []
    page.on(
        "console",
        lambda message: (
            page.csp_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return page


def browser_login(page, user, password: str = "correct-horse-battery") -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


# --- emptying the database between transactional tests --------------------------------


def _teardown_with_purge_allowed() -> None:
    """SQLite's flush deletes rows, which the locked-version triggers refuse (payouts
    migration 0002); they stand down only while the flush runs. PostgreSQL's flush uses
    TRUNCATE, which row triggers never see."""
    from django.test import TransactionTestCase

    from payouts.guard import purge_allowed

    original = TransactionTestCase._fixture_teardown
    if getattr(original, "purge_allowed", False):
        return

    def _fixture_teardown(self):
        with purge_allowed():
            return original(self)

    _fixture_teardown.purge_allowed = True
    TransactionTestCase._fixture_teardown = _fixture_teardown


def _clearing_forgets_local_copies() -> None:
    """A test that clears the cache (to count what a cold page costs) means every level of
    it: this process's copies of versioned values too (``hitrecord.fragments``)."""
    from django.core.cache.backends.filebased import FileBasedCache
    from django.core.cache.backends.locmem import LocMemCache
    from django.core.cache.backends.redis import RedisCache

    from hitrecord import fragments

    for backend in (FileBasedCache, LocMemCache, RedisCache):
        clear = backend.clear

        def clear_all(self, _clear=clear):
            fragments.forget_local()
            return _clear(self)

        backend.clear = clear_all


def pytest_configure(config):
    _teardown_with_purge_allowed()
    _clearing_forgets_local_copies()
