"""Production settings are safe, and refuse to start without their secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.update({"DJANGO_SETTINGS_MODULE": "hitrecord.settings", **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_check_passes_with_debug_off_a_secret_key_and_a_shared_cache():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="k" * 20 + "Zq8!x@Lw#9vRt$2mNp^4sYb&6cHd*0fGj(3eKu)7",
        DJANGO_ALLOWED_HOSTS="hitrecord.example",
        CACHE_URL="redis://127.0.0.1:6379/10",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_warns_without_a_shared_cache():
    # Several web processes with in-process caches would each count limits on their own.
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="k" * 20 + "Zq8!x@Lw#9vRt$2mNp^4sYb&6cHd*0fGj(3eKu)7",
        DJANGO_ALLOWED_HOSTS="hitrecord.example",
        CACHE_URL="",  # an empty CACHE_URL (as when unset) means files on this machine
    )
    assert result.returncode == 1
    assert "hitrecord.W001" in result.stderr
    assert "Set CACHE_URL to a Redis shared by all web processes" in result.stderr


def test_start_up_without_a_secret_key_stops_with_one_line_naming_it():
    result = _manage("check", DJANGO_DEBUG="0")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DJANGO_SECRET_KEY" in lines[0]


def test_debug_on_runs_without_a_secret_key():
    result = _manage("check", DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_a_wrong_boolean_is_named_in_the_message():
    result = _manage("check", DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG" in result.stderr


def test_relative_data_dir_is_taken_from_the_project_root(tmp_path, monkeypatch):
    from hitrecord import env

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HITRECORD_DATA_DIR", "somewhere")
    assert env.data_dir() == ROOT / "somewhere"
    monkeypatch.setenv("HITRECORD_DATA_DIR", str(tmp_path))
    assert env.data_dir() == tmp_path


def test_email_url_becomes_smtp_settings():
    from hitrecord.env import email_settings

    smtp = email_settings("smtps://mailer:s%40cret@mail.example:465")
    assert smtp["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert smtp["EMAIL_HOST"] == "mail.example"
    assert smtp["EMAIL_PORT"] == 465
    assert smtp["EMAIL_HOST_USER"] == "mailer"
    assert smtp["EMAIL_HOST_PASSWORD"] == "s@cret"
    assert smtp["EMAIL_USE_SSL"] is True
    assert email_settings("")["EMAIL_BACKEND"].endswith("console.EmailBackend")


@pytest.mark.django_db
def test_proxy_https_header_is_trusted(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    plain = client.get("/", secure=False)
    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")
    behind_proxy = client.get("/", HTTP_X_FORWARDED_PROTO="https")
    assert behind_proxy.status_code == 200
