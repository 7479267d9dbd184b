"""Thin Celery wrappers around contribution services."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from contributions import services


@shared_task(
    bind=True,
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=10,
    retry_backoff_max=600,
    max_retries=5,
)
def contribution_process(self, contribution_id: int) -> str:  # type: ignore[no-untyped-def]
    """Check, measure and thumbnail one media contribution. Idempotent (a contribution no
    longer processing is skipped). Connection errors to the store retry 5 times with
    backoff; when they run out, or the work takes longer than the time limit, or the stored
    file is gone, the contribution is rejected with a reason the author sees, so it never
    stays "processing" for ever."""
    try:
        result = services.contribution_process(contribution_id=contribution_id)
    except SoftTimeLimitExceeded:
        services.contribution_reject(
            contribution_id=contribution_id,
            reason="Processing took too long; try a shorter or smaller file.",
        )
        return "rejected"
    except (ConnectionError, TimeoutError):
        if self.request.retries >= self.max_retries:
            services.contribution_reject(
                contribution_id=contribution_id,
                reason="The file could not be read from storage; upload it again.",
            )
            return "rejected"
        raise
    return "skipped" if result is None else result.status
