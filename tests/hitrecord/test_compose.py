"""There is no Docker engine here: check the compose file's wiring instead."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
WORKER_COMMAND = "celery -A hitrecord worker"
WORKERS = sorted(
    name for name, service in SERVICES.items() if service.get("command", "").startswith("celery")
)


def _env(service: str) -> dict[str, str]:
    return SERVICES[service]["environment"]


def _option(service: str, *names: str) -> str | None:
    """The value of a worker's command-line option (``-Q x``, ``--queues x|=x``)."""
    args = shlex.split(SERVICES[service]["command"])
    for i, arg in enumerate(args):
        if arg in names:
            return args[i + 1]
        if arg.split("=", 1)[0] in names and "=" in arg:
            return arg.split("=", 1)[1]
    return None


def _queues(service: str) -> set[str]:
    value = _option(service, "-Q", "--queues")
    assert value, f"{service} consumes every queue: name its queues with -Q"
    return set(value.split(","))


def _routed_queues() -> set[str]:
    return {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}


def test_every_service_the_settings_need_is_present():
    assert {"proxy", "web", "postgres", "redis", "minio", "minio-setup"} <= set(SERVICES)
    assert set(WORKERS) == {"worker-media", "worker-payouts", "worker-email"}


def test_web_and_worker_get_the_variables_of_the_design():
    for service in ("web", *WORKERS):
        env = _env(service)
        assert env["DJANGO_DEBUG"] == "0"
        assert "DJANGO_SECRET_KEY" in env
        assert env["DATABASE_URL"].startswith("postgres://")
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
        assert env["CACHE_URL"].startswith("redis://redis:6379/")
        assert env["CELERY_BROKER_URL"] != env["CACHE_URL"]
        assert env["AWS_STORAGE_BUCKET_NAME"]
        for name in ("AWS_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            assert name in env
        deps = SERVICES[service]["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy"
        assert deps["redis"]["condition"] == "service_healthy"


def test_web_runs_gunicorn_and_the_workers_run_celery():
    assert "gunicorn hitrecord.wsgi:application" in SERVICES["web"]["command"]
    for name in WORKERS:
        assert SERVICES[name]["command"].startswith(WORKER_COMMAND), name


def test_every_long_running_service_has_a_healthcheck():
    for name in ("web", *WORKERS, "postgres", "redis", "minio"):
        assert SERVICES[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(SERVICES["web"]["healthcheck"]["test"])


def test_every_queue_tasks_are_routed_to_has_a_worker_consuming_it():
    consumed = set().union(*(_queues(name) for name in WORKERS))
    assert _routed_queues() == {"media", "payouts", "email"}
    assert _routed_queues() | {settings.CELERY_TASK_DEFAULT_QUEUE} <= consumed
    assert consumed <= set(settings.TASK_QUEUES), "a worker waits on a queue nothing uses"


def test_no_worker_makes_payouts_wait_behind_media():
    for name in WORKERS:
        assert not {"media", "payouts"} <= _queues(name), name
    (media,) = (name for name in WORKERS if "media" in _queues(name))
    assert _queues(media) == {"media"}
    assert _option(media, "-c", "--concurrency") == "1"
    assert int(_option(media, "--max-tasks-per-child") or 0) > 0  # memory is returned
    (payouts,) = (name for name in WORKERS if "payouts" in _queues(name))
    assert int(_option(payouts, "-c", "--concurrency") or 0) >= 2


def _seconds(duration: str) -> int:
    """Compose's duration (``12m``, ``90s``, ``1m30s``) in seconds."""
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert duration, duration
    assert parts, duration
    hours, minutes, seconds = (int(part or 0) for part in parts.groups())
    return hours * 3600 + minutes * 60 + seconds


def _longest_task(queues: set[str]) -> int:
    """The longest hard time limit of a task routed to one of ``queues`` (the media
    task sets its own, longer one)."""
    from hitrecord.celery import app

    app.loader.import_default_modules()
    limits = [
        task.time_limit or app.conf.task_time_limit
        for name, task in app.tasks.items()
        if app.amqp.router.route({}, name)["queue"].name in queues
    ]
    return max(limits, default=0)


def test_each_worker_is_named_pinged_by_name_and_stopped_after_its_running_task():
    for name in WORKERS:
        node = _option(name, "-n", "--hostname")
        assert node, name
        assert node.endswith("@%h"), name
        check = SERVICES[name]["healthcheck"]["test"]
        # Pinging every node would call a dead worker healthy while another one answers.
        assert check[0] == "CMD-SHELL", name
        assert f"inspect ping -d {node.split('@')[0]}@$$HOSTNAME" in check[1], name
        assert _seconds(SERVICES[name]["stop_grace_period"]) > _longest_task(_queues(name)), name


def test_the_proxy_terminates_tls_in_front_of_web():
    proxy = SERVICES["proxy"]
    assert "443:443" in proxy["ports"]
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "reverse_proxy web:8000" in caddyfile
    assert "X-Forwarded-Proto" in caddyfile


def test_the_media_bucket_is_created_at_start():
    setup = SERVICES["minio-setup"]
    bucket = _env("web")["AWS_STORAGE_BUCKET_NAME"]
    assert f"mc mb --ignore-existing local/{bucket}" in setup["entrypoint"]
    assert setup["depends_on"]["minio"]["condition"] == "service_healthy"
    assert SERVICES["web"]["depends_on"]["minio-setup"]["condition"] == (
        "service_completed_successfully"
    )
    assert SERVICES["postgres"]["environment"]["POSTGRES_DB"] in _env("web")["DATABASE_URL"]


def test_forwarded_addresses_are_believed_only_from_the_compose_network():
    subnet = COMPOSE["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert _env("web")["TRUSTED_PROXY_IPS"] == subnet
