"""The task failure policy (hitrecord/tasks.py): what is retried, how often, with what
backoff, and what the user sees when a task gives up."""

from __future__ import annotations

import smtplib
from pathlib import Path

import botocore.exceptions
import pytest
from celery.exceptions import Retry, SoftTimeLimitExceeded
from django.db import OperationalError

from accounts.models import Notification
from contributions import processing
from contributions.models import Contribution
from contributions.tasks import ContributionProcessTask
from contributions.tasks import contribution_process as contribution_process_task
from hitrecord.celery import app
from hitrecord.tasks import ReliableTask, is_transient_error, is_transient_smtp_error
from tests import media_samples as samples
from tests.contributions.conftest import stored_files
from tests.contributions.tasks_support import queued_contribution


@pytest.fixture
def store_fails(monkeypatch):
    """Make every write to the store under ``prefix`` (by default, a gallery picture:
    processing has stored the clean original by then, which must not be left behind) raise
    the given errors in turn (the last one repeats; None lets that write through); returns
    the list of what each write met."""
    attempts: list[BaseException | None] = []

    def install(*errors: BaseException | None, prefix: str = "contributions/thumbs/"):
        from django.core.files.storage import default_storage

        default_storage.exists("")  # set the lazy storage up; patch the real one
        storage = default_storage._wrapped
        real = storage.save

        def failing(name, content, max_length=None):
            if not name.startswith(prefix):
                return real(name, content, max_length=max_length)
            error = errors[min(len(attempts), len(errors) - 1)] if errors else None
            attempts.append(error)
            if error is None:
                return real(name, content, max_length=max_length)
            raise error

        monkeypatch.setattr(storage, "save", failing)
        return attempts

    return install


@pytest.fixture
def countdowns(monkeypatch):
    """The backoff of every retry a ReliableTask makes (in-process runs retry inline,
    without waiting; a worker hands the countdown to Celery, see the test below)."""
    asked: list[int] = []
    real = ReliableTask.retry_delay

    def spy(self, retries):
        asked.append(real(self, retries))
        return asked[-1]

    monkeypatch.setattr(ReliableTask, "retry_delay", spy)
    return asked


def _endpoint_down() -> BaseException:
    return botocore.exceptions.EndpointConnectionError(endpoint_url="http://s3.invalid")


@pytest.mark.django_db(transaction=True)
def test_a_transient_error_retries_with_backoff_then_rejects_with_a_reason(
    store_fails, countdowns, monkeypatch
):
    monkeypatch.setattr(ContributionProcessTask, "retry_jitter", False)
    attempts = store_fails(_endpoint_down())
    contribution = queued_contribution()
    upload = Path(contribution.file.path)
    before = stored_files()

    assert contribution_process_task.delay(contribution.pk).get() == "rejected"

    assert len(attempts) == 1 + ContributionProcessTask.max_retries == 6
    assert countdowns == [10, 20, 40, 80, 160]  # doubling from retry_backoff
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.REJECTED
    assert contribution.rejection_reason == (
        "The file could not be read from storage; upload it again."
    )
    assert not contribution.file
    # Its upload is deleted, and so is the clean original each attempt stored.
    assert stored_files() == [p for p in before if p != upload]
    told = Notification.objects.get(recipient=contribution.author, kind=Notification.Kind.UPLOAD)
    assert "could not be read from storage" in told.text


@pytest.mark.django_db(transaction=True)
def test_retries_of_a_recording_leave_no_renditions_behind(store_fails, countdowns, monkeypatch):
    monkeypatch.setattr(ContributionProcessTask, "max_retries", 2)
    attempts = store_fails(_endpoint_down(), prefix="contributions/renditions/")
    contribution = queued_contribution(samples.wav_bytes(), kind="audio")
    upload = Path(contribution.file.path)
    before = stored_files()

    assert contribution_process_task.delay(contribution.pk).get() == "rejected"

    assert len(attempts) == 3
    assert len(countdowns) == 2
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.REJECTED
    assert not contribution.rendition
    assert stored_files() == [p for p in before if p != upload]


@pytest.mark.django_db(transaction=True)
def test_backoff_is_capped_and_jittered(store_fails, countdowns, monkeypatch):
    monkeypatch.setattr(ContributionProcessTask, "max_retries", 9)
    store_fails(ConnectionResetError("reset by peer"))
    contribution_process_task.delay(queued_contribution().pk).get()
    assert len(countdowns) == 9
    caps = [min(600, 10 * 2**n) for n in range(9)]
    assert all(0 <= asked <= cap for asked, cap in zip(countdowns, caps, strict=True))
    assert max(caps) == 600  # retry_backoff_max


@pytest.mark.django_db(transaction=True)
def test_a_transient_error_that_heals_ends_ready(store_fails, countdowns):
    attempts = store_fails(OperationalError("server closed the connection"), None)
    contribution = queued_contribution()
    upload = Path(contribution.file.path)
    before = stored_files()
    assert contribution_process_task.delay(contribution.pk).get() == "ready"
    assert [type(met) for met in attempts] == [OperationalError, type(None)]
    assert len(countdowns) == 1
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.READY
    assert contribution.thumbnail
    # The first run's original went with its failure; the raw upload with the swap.
    new = {Path(contribution.file.path), Path(contribution.thumbnail.path)}
    assert set(stored_files()) == (set(before) - {upload}) | new


@pytest.mark.django_db(transaction=True)
def test_a_non_transient_error_gives_up_at_once(store_fails, countdowns):
    attempts = store_fails(ValueError("a bug"))
    contribution = queued_contribution()
    assert contribution_process_task.delay(contribution.pk).get() == "rejected"
    assert len(attempts) == 1
    assert countdowns == []
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.REJECTED
    assert "could not be processed" in contribution.rejection_reason


@pytest.mark.django_db(transaction=True)
def test_a_soft_time_limit_rejects_with_a_reason(store_fails, countdowns):
    attempts = store_fails(SoftTimeLimitExceeded())
    contribution = queued_contribution()
    assert contribution_process_task.apply(args=(contribution.pk,)).get() == "rejected"
    assert len(attempts) == 1
    assert countdowns == []
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.REJECTED
    assert contribution.rejection_reason == (
        "Processing took too long; try a shorter or smaller file."
    )


@pytest.mark.django_db(transaction=True)
def test_giving_up_leaves_a_finished_contribution_alone():
    # on_give_up is idempotent: a contribution that is no longer processing stays as it is.
    contribution = queued_contribution()
    assert contribution_process_task.delay(contribution.pk).get() == "ready"
    rejected = processing.contribution_reject(contribution_id=contribution.pk, reason="too late")
    assert rejected is False
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.READY


@pytest.mark.django_db(transaction=True)
def test_in_a_worker_a_transient_error_is_handed_to_celery_with_its_countdown(
    store_fails, monkeypatch
):
    # What a worker does (the request is not eager): ask Celery to run it again later.
    monkeypatch.setattr(ContributionProcessTask, "retry_jitter", False)
    store_fails(_endpoint_down())
    asked: list[dict] = []

    def retry(self, *args, **kwargs):
        asked.append({"retries": self.request.retries, **kwargs})
        raise Retry(exc=kwargs.get("exc"), when=kwargs.get("countdown"))

    monkeypatch.setattr(ReliableTask, "retry", retry)
    contribution = queued_contribution()
    before = stored_files()
    task = contribution_process_task._get_current_object()
    task.push_request(id="t-1", retries=3, is_eager=False, args=[contribution.pk], kwargs={})
    try:
        with pytest.raises(Retry):
            task(contribution.pk)
    finally:
        task.pop_request()
    assert [(a["retries"], a["countdown"]) for a in asked] == [(3, 80)]
    assert isinstance(asked[0]["exc"], botocore.exceptions.EndpointConnectionError)
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.PROCESSING  # not given up yet
    # The upload stays for the next run; what this run stored before failing is gone.
    assert stored_files() == before


calls: list[tuple[int, int]] = []
gave_up: list[tuple[str, tuple, str]] = []


class _Recording(ReliableTask):
    max_retries = 2
    retry_jitter = False

    def on_give_up(self, exc, task_id, args, kwargs):
        gave_up.append((type(exc).__name__, tuple(args), self.reason_for(exc)))
        return "gave up"


@app.task(base=_Recording, bind=True, name="tests.hitrecord.flaky")
def flaky(self, n: int, error: str) -> str:
    calls.append((n, self.request.retries))
    raise {"timeout": TimeoutError("slow"), "bug": KeyError("x")}[error]


def test_on_give_up_gets_the_error_and_the_arguments():
    calls.clear()
    gave_up.clear()
    assert flaky.apply(args=(7, "timeout")).get() == "gave up"
    assert len(calls) == 3  # the first run and max_retries = 2 retries
    assert gave_up == [("TimeoutError", (7, "timeout"), _Recording.unavailable_reason)]

    gave_up.clear()
    assert flaky.apply(args=(8, "bug")).get() == "gave up"
    assert gave_up == [("KeyError", (8, "bug"), _Recording.failure_reason)]


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (_endpoint_down(), True),
        (botocore.exceptions.ConnectionClosedError(endpoint_url="http://s3.invalid"), True),
        (botocore.exceptions.ReadTimeoutError(endpoint_url="http://s3.invalid"), True),
        (botocore.exceptions.ConnectTimeoutError(endpoint_url="http://s3.invalid"), True),
        (
            botocore.exceptions.ClientError(
                {"Error": {"Code": "SlowDown"}, "ResponseMetadata": {"HTTPStatusCode": 503}},
                "GetObject",
            ),
            True,
        ),
        (
            botocore.exceptions.ClientError(
                {"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {"HTTPStatusCode": 403}},
                "GetObject",
            ),
            False,
        ),
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
        (OperationalError("database is locked"), True),
        (FileNotFoundError("gone"), False),  # an OSError, but waiting does not bring it back
        (PermissionError(), False),
        (ValueError(), False),
    ],
)
def test_which_errors_are_transient(error, transient):
    assert is_transient_error(error) is transient


def test_mail_errors_are_transient_only_when_the_server_says_later():
    assert is_transient_smtp_error(smtplib.SMTPServerDisconnected())
    assert is_transient_smtp_error(smtplib.SMTPResponseException(421, b"busy"))
    assert not is_transient_smtp_error(smtplib.SMTPResponseException(550, b"no such user"))
    assert is_transient_smtp_error(smtplib.SMTPRecipientsRefused({"a@x": (450, b"later")}))
    assert not is_transient_smtp_error(smtplib.SMTPRecipientsRefused({"a@x": (550, b"no")}))
