"""The one failure policy every Celery task here follows: ``ReliableTask``.

A task either finishes, or retries a *transient* error with exponential backoff, or
*gives up*. Giving up is an outcome, not a crash: the task's ``on_give_up`` hook records
it on the row the user is waiting on (a contribution ends ``rejected``, a distribution
``failed``, with a reason the user reads), the error is logged at ERROR with its
traceback, and the task returns the hook's value. So nothing is ever left "processing"
because a worker ran out of retries, and a task run in-process (the embedded mode, where
tasks are eager) never turns a committed request into a 500.

==========================  =============================  ==============================
what went wrong             what the task does             the reason ``reason_for`` gives
==========================  =============================  ==============================
a *transient* error         retry: up to ``max_retries``   ``unavailable_reason`` once
(see ``TRANSIENT_ERRORS``,  more runs, the n-th after a    the retries ran out
``is_transient``)           random delay in [0, min(
                            ``retry_backoff_max``,
                            ``retry_backoff`` x 2^n)] s
                            ("full jitter")
``SoftTimeLimitExceeded``   give up at once (the work is   ``timeout_reason``
                            too big; trying again takes
                            just as long)
any other exception         give up at once (a bug, or     ``failure_reason``
                            bad data: retrying cannot
                            help)
``Retry``, ``Ignore``,      passed through to Celery       none
``Reject``
==========================  =============================  ==============================

Defaults (a subclass or a task's decorator options change them): ``max_retries = 5``,
``retry_backoff = 10`` s, ``retry_backoff_max = 600`` s, ``retry_jitter = True``: at most
6 runs over about ten minutes (10 + 20 + 40 + 80 + 160 s without jitter). A task run
in-process (eager: the embedded mode and the unit tests) makes the same retries inline,
without waiting.

Transient errors (``TRANSIENT_ERRORS``): the network and the services behind it being
briefly away: ``ConnectionError`` (refused, reset, broken pipe), ``TimeoutError``
(``socket.timeout`` too), DNS failures (``socket.gaierror``), the database
(``django.db.OperationalError``, ``InterfaceError``: a lost connection, a server
restart, SQLite's "database is locked"), Redis (``redis.ConnectionError``,
``redis.TimeoutError``), the broker (``kombu.exceptions.OperationalError``: enqueueing
failed), and the S3 store (botocore's ``EndpointConnectionError``,
``ConnectionClosedError``, ``ReadTimeoutError``, ``ConnectTimeoutError``, and a
``ClientError`` answering 5xx or ``SlowDown``). Plain ``OSError`` is *not* transient: a
missing file (``FileNotFoundError``) or a full disk does not heal by waiting.

Use it::

    class ContributionTask(ReliableTask):
        timeout_reason = "Processing took too long; try a shorter or smaller file."

        def on_give_up(self, exc, task_id, args, kwargs):
            processing.contribution_reject(contribution_id=args[0], reason=self.reason_for(exc))
            return "rejected"

    @shared_task(base=ContributionTask, bind=True, acks_late=True, reject_on_worker_lost=True)
    def contribution_process(self, contribution_id: int) -> str: ...

``on_give_up`` must be idempotent and quick: it runs once per give-up, after the last
attempt, in the worker. If it fails itself (the database is down for longer than the
retries lasted) that is logged and the row keeps its state; the task is not retried.

``acks_late`` is *not* a default (see ``hitrecord/settings/base.py``): each task that is
idempotent, so that running it again after a worker died mid-task is harmless, says
``acks_late=True, reject_on_worker_lost=True`` itself. A task that is not idempotent is
acknowledged when it starts, so a lost worker loses the run rather than repeating it.
"""

from __future__ import annotations

import logging
import smtplib
import socket
from typing import Any, ClassVar

import botocore.exceptions
import kombu.exceptions
import redis.exceptions
from celery import Task
from celery.exceptions import Ignore, Reject, Retry, SoftTimeLimitExceeded
from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectionClosedError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.ConnectTimeoutError,
)

# S3 answers that mean "later", not "never".
_S3_RETRYABLE_CODES = frozenset(
    {"SlowDown", "RequestTimeout", "ServiceUnavailable", "InternalError", "Throttling"}
)

# A mail server that hung up or answered 4xx ("try again later"); 5xx answers are final.
SMTP_TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
)


def is_transient_error(exc: BaseException) -> bool:
    """Whether waiting and trying again may succeed (the table in the module docstring)."""
    if isinstance(exc, TRANSIENT_ERRORS):
        return True
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return error.get("Code") in _S3_RETRYABLE_CODES or int(status) >= 500
    return False


def is_transient_smtp_error(exc: BaseException) -> bool:
    """A mail error worth retrying: the server went away or answered 4xx."""
    if isinstance(exc, SMTP_TRANSIENT_ERRORS):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return False


class ReliableTask(Task):  # type: ignore[type-arg]
    """A Celery task with the failure policy of this module's docstring.

    Subclasses set the reasons and override ``on_give_up`` to record the outcome on the
    row the user sees; tasks pick the base with ``@shared_task(base=..., bind=True)``.
    """

    transient: ClassVar[tuple[type[BaseException], ...]] = TRANSIENT_ERRORS
    max_retries = 5
    retry_backoff = 10
    retry_backoff_max = 600
    retry_jitter = True

    timeout_reason = "This took too long and was stopped."
    unavailable_reason = "A service we depend on was unavailable for too long; try again later."
    failure_reason = "Something went wrong on our side; try again."

    def is_transient(self, exc: BaseException) -> bool:
        """Whether ``exc`` is retried. By default: ``self.transient`` and S3's 5xx."""
        return isinstance(exc, self.transient) or is_transient_error(exc)

    def retry_delay(self, retries: int) -> int:
        """Seconds to wait before the retry that follows ``retries`` earlier ones."""
        return int(
            get_exponential_backoff_interval(
                factor=self.retry_backoff,
                retries=retries,
                maximum=self.retry_backoff_max,
                full_jitter=bool(self.retry_jitter),
            )
        )

    def reason_for(self, exc: BaseException) -> str:
        """The sentence a user reads when the task gave up because of ``exc``."""
        if isinstance(exc, SoftTimeLimitExceeded):
            return self.timeout_reason
        if self.is_transient(exc):
            return self.unavailable_reason
        return self.failure_reason

    def on_give_up(
        self, exc: BaseException, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """Record that the task gave up; its return value is the task's result.

        Override it to mark the row failed or rejected with ``self.reason_for(exc)``.
        """
        return None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # The tracer pushed this run's request before calling us; read it before the
        # base class pushes its own.
        request = self.request
        retries = request.retries or 0
        while True:
            try:
                return super().__call__(*args, **kwargs)
            except (Retry, Ignore, Reject):
                raise
            except SoftTimeLimitExceeded as exc:
                return self._give_up(exc, request.id, args, kwargs, why="ran past its time limit")
            except Exception as exc:
                if not self.is_transient(exc):
                    return self._give_up(exc, request.id, args, kwargs, why="failed")
                if self.max_retries is not None and retries >= self.max_retries:
                    why = f"still failing after {retries} retries"
                    return self._give_up(exc, request.id, args, kwargs, why=why)
                countdown = self.retry_delay(retries)
                logger.warning(
                    "%s[%s] transient %s: retry %d of %s in %ds",
                    self.name,
                    request.id,
                    type(exc).__name__,
                    retries + 1,
                    self.max_retries,
                    0 if request.is_eager else countdown,
                )
                if not request.is_eager:
                    raise self.retry(exc=exc, countdown=countdown) from exc
                # In-process (eager) runs retry inline and at once: Celery's own eager
                # retry raises ``Retry`` to the caller when errors propagate, and a web
                # request must not sleep through a backoff.
                retries += 1

    def _give_up(
        self,
        exc: BaseException,
        task_id: str | None,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        why: str,
    ) -> Any:
        logger.error("%s[%s] gave up: %s", self.name, task_id, why, exc_info=exc)
        try:
            return self.on_give_up(exc, task_id or "", args, kwargs)
        except Exception:
            logger.exception("%s[%s] could not record giving up", self.name, task_id)
            raise
