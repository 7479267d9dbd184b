from __future__ import annotations

from django.conf import settings

from hitrecord.celery import app


def test_celery_is_configured_once_from_settings():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    # acks_late is not a default: only idempotent tasks ask for it (next test).
    assert app.conf.task_acks_late is False
    assert not app.conf.task_reject_on_worker_lost
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.task_eager_propagates is True


# Every task of the project, and whether it is idempotent (safe to run again when its
# worker died mid-task). A new task must be added here, saying which it is.
IDEMPOTENT_TASKS = {
    "contributions.tasks.contribution_process": True,
    "accounts.tasks.notification_emails_fan_out": True,
    "accounts.tasks.notification_emails_send": True,
    "accounts.tasks.notification_email_send": True,
    "payouts.tasks.version_credits_compute": True,
    "payouts.tasks.distribution_compute": True,
}


def test_acks_late_is_set_per_task_only_where_the_task_is_idempotent():
    from hitrecord.tasks import ReliableTask

    app.loader.import_default_modules()
    ours = {
        name: task
        for name, task in app.tasks.items()
        if name.split(".")[0] in {"accounts", "contributions", "projects", "payouts", "hitrecord"}
    }
    assert set(ours) == set(IDEMPOTENT_TASKS), "say in IDEMPOTENT_TASKS whether it is idempotent"
    for name, task in ours.items():
        idempotent = IDEMPOTENT_TASKS[name]
        assert task.acks_late is idempotent, name
        assert bool(task.reject_on_worker_lost) is idempotent, name
        if name.startswith(("accounts.", "contributions.")):
            assert isinstance(task, ReliableTask), f"{name} states no failure policy"


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
