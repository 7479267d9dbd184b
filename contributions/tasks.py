"""Thin Celery wrappers around contribution services.

Failure policy: ``hitrecord.tasks.ReliableTask`` (its module docstring has the table).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from contributions import processing
from hitrecord.tasks import ReliableTask


class ContributionProcessTask(ReliableTask):
    """Processing gives up by rejecting the contribution, with a reason its author reads."""

    # Reading the stored file: S3 or the disk being briefly away is worth ~10 minutes.
    max_retries = 5
    retry_backoff = 10
    retry_backoff_max = 600
    timeout_reason = "Processing took too long; try a shorter or smaller file."
    unavailable_reason = "The file could not be read from storage; upload it again."
    failure_reason = "The file could not be processed; upload it again or try another file."

    def on_give_up(
        self, exc: BaseException, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> str:
        contribution_id = kwargs.get("contribution_id", args[0] if args else None)
        if contribution_id is not None:
            processing.contribution_reject(
                contribution_id=int(contribution_id), reason=self.reason_for(exc)
            )
        return "rejected"


@shared_task(
    base=ContributionProcessTask,
    bind=True,
    # Idempotent (a contribution no longer processing is skipped; the finishing step
    # checks the row again), so a run lost with its worker is safely run again.
    acks_late=True,
    reject_on_worker_lost=True,
    # Decoding and transcoding take longer than other tasks; the media queue's worker has
    # its own concurrency (docker-compose.yml). The child process doing the work has its
    # own, shorter, wall-clock limit (MEDIA_DECODE_WALL_SECONDS), so a file that is too
    # slow is refused with a reason before these limits are reached.
    soft_time_limit=settings.MEDIA_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.MEDIA_TASK_TIME_LIMIT,
)
def contribution_process(self: ContributionProcessTask, contribution_id: int) -> str:
    """Check one media contribution's upload to the end, make its renditions and
    thumbnail, and mark it ready (``contributions.processing``).

    Idempotent: a contribution no longer processing is skipped, so running it twice, or
    again after a worker died, is harmless. Storage errors that may heal (S3 or the network
    away) retry 5 times over about ten minutes; when they run out, or processing passes
    the time limit, or fails for any other reason, the contribution ends ``rejected`` with
    a reason its author sees, so it never stays "processing" for ever. Returns the status
    (``ready`` / ``rejected``) or ``skipped``."""
    result = processing.contribution_process(contribution_id=contribution_id)
    return "skipped" if result is None else str(result.status)
