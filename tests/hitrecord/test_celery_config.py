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


def _queue(task_name: str) -> str:
    """The queue a message for ``task_name`` is sent to, as the broker would see it."""
    return app.amqp.router.route({}, task_name)["queue"].name


def test_each_app_sends_its_tasks_to_its_own_queue():
    assert _queue("contributions.tasks.contribution_process") == "media"
    assert _queue("payouts.tasks.distribution_compute") == "payouts"
    assert _queue("payouts.tasks.version_credits_compute") == "payouts"
    assert _queue("accounts.tasks.notification_emails_send") == "email"
    assert _queue("celery.backend_cleanup") == app.conf.task_default_queue == "celery"


def test_every_task_of_ours_goes_to_a_named_queue_every_worker_knows():
    app.loader.import_default_modules()
    ours = [
        name for name in app.tasks if name.startswith(("accounts.", "payouts.", "contributions."))
    ]
    assert len(ours) == len(IDEMPOTENT_TASKS)
    for name in ours:
        assert _queue(name) in {"media", "payouts", "email"}, name
    # A worker started without -Q consumes every queue (the worker tests, a one-worker
    # setup), the default one included.
    assert set(app.amqp.queues) == set(settings.TASK_QUEUES)
    assert settings.CELERY_TASK_DEFAULT_QUEUE in settings.TASK_QUEUES


def test_the_broker_holds_a_message_for_longer_than_its_task_can_take():
    # Redis gives an unacknowledged message to another worker after the visibility
    # timeout: it must outlast the longest retry countdown plus the task's hard limit (the
    # media task's own, longer one included). The email tasks back off for hours on
    # purpose and tolerate a second delivery (hitrecord/settings/base.py).
    app.loader.import_default_modules()
    timeout = app.conf.broker_transport_options["visibility_timeout"]
    assert timeout == settings.CELERY_VISIBILITY_TIMEOUT
    for name, task in app.tasks.items():
        if name.startswith(("payouts.", "contributions.")):
            limit = task.time_limit or app.conf.task_time_limit
            assert task.retry_backoff_max + limit < timeout, name
