"""Thin Celery wrappers around payouts services.

Failure policy: ``hitrecord.tasks.ReliableTask`` (its module docstring has the table).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from hitrecord.tasks import ReliableTask
from payouts import services

logger = logging.getLogger(__name__)


class VersionCreditsTask(ReliableTask):
    """Giving up loses nothing: stored credits are only ever a cache of the version, and
    whoever needs them next (a distribution's computation) computes them first."""

    def on_give_up(
        self, exc: BaseException, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        version_id = kwargs.get("version_id", args[0] if args else None)
        logger.error("credits of version %s not stored: %s", version_id, self.reason_for(exc))


@shared_task(base=VersionCreditsTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def version_credits_compute(self: VersionCreditsTask, version_id: int) -> int:
    """Compute and store a locked version's credits. Idempotent (stored credits are kept as
    they are; two racing runs keep one), so it is acknowledged late and safe to run again
    after a worker died. Transient database errors retry with backoff."""
    return services.version_credits_compute(version_id=version_id).pk


class DistributionComputeTask(ReliableTask):
    """Giving up leaves the distribution ``failed`` with a reason staff read; they retry it
    (recompute) from admin or the API."""

    unavailable_reason = "The database or broker was unavailable for too long; recompute it."
    timeout_reason = "Computing took longer than the time limit; recompute it."
    failure_reason = "Computing failed; see the logs, then recompute it."

    def on_give_up(
        self, exc: BaseException, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> str:
        from payouts import distributions

        distribution_id = kwargs.get("distribution_id", args[0] if args else None)
        if distribution_id is not None:
            distributions.distribution_fail(
                distribution_id=int(distribution_id), reason=self.reason_for(exc)
            )
        return "failed"


@shared_task(base=DistributionComputeTask, bind=True, acks_late=True, reject_on_worker_lost=True)
def distribution_compute(self: DistributionComputeTask, distribution_id: int) -> str:
    """Compute a pending distribution's lines from its version's stored credits.
    Idempotent (a distribution no longer pending is left alone; the lines are written in
    one short transaction that checks the state again), so it is acknowledged late and
    re-run safely after a worker died. Transient database errors retry with backoff; when
    retries run out, or anything else goes wrong, the distribution ends ``failed`` with
    the reason."""
    from payouts import distributions

    # Operators read this line to know a computation is under way, and so do the worker
    # tests (tests/payouts/test_worker.py), which kill the worker right after it.
    logger.info("distribution %s: computing", distribution_id)
    result = distributions.distribution_compute(distribution_id=distribution_id)
    return "missing" if result is None else str(result.status)
