from __future__ import annotations

from django.conf import settings

from hitrecord.celery import app


def test_celery_is_configured_once_from_settings():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.task_eager_propagates is True


def test_without_a_broker_tasks_run_in_process(monkeypatch):
    import importlib

    import hitrecord.settings.base as base

    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    reloaded = importlib.reload(base)
    try:
        assert reloaded.CELERY_TASK_ALWAYS_EAGER is True
        assert reloaded.CELERY_TASK_EAGER_PROPAGATES is True
    finally:
        importlib.reload(base)
    assert settings.CELERY_TASK_ALWAYS_EAGER is True  # the test settings keep tasks in-process
