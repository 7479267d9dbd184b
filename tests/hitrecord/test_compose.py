"""There is no Docker engine here: check the compose file's wiring instead."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def _env(service: str) -> dict[str, str]:
    return SERVICES[service]["environment"]


def test_every_service_the_settings_need_is_present():
    assert {"proxy", "web", "worker", "postgres", "redis", "minio", "minio-setup"} <= set(SERVICES)


def test_web_and_worker_get_the_variables_of_the_design():
    for service in ("web", "worker"):
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


def test_web_runs_gunicorn_and_the_worker_runs_celery():
    assert "gunicorn hitrecord.wsgi:application" in SERVICES["web"]["command"]
    assert SERVICES["worker"]["command"].startswith("celery -A hitrecord worker")


def test_every_long_running_service_has_a_healthcheck():
    for name in ("web", "worker", "postgres", "redis", "minio"):
        assert SERVICES[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(SERVICES["web"]["healthcheck"]["test"])


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
