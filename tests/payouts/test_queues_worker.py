"""Media processing and payouts run on separate Celery queues (issue 10, point 7).

With the only media worker busy transcoding a long video that an artist uploaded, staff
record revenue, and the payouts worker computes the distribution while the video is
still processing. The control: one worker consuming both queues, one task at a time (what
a single `celery worker` did before the split), computes it only after the video is done.

Real ``celery worker`` processes on Redis + PostgreSQL (``celery_workers``, see
tests/payouts/conftest.py), a real upload through the API, the real
``contribution_process`` transcoding a real 720p video.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from contributions.models import Contribution
from payouts.models import Distribution
from tests import media_samples as samples
from tests.accounts.factories import UserFactory
from tests.contributions.conftest import join
from tests.payouts.conftest import Worker, Workers
from tests.payouts.test_worker import (
    assert_one_complete_distribution,
    computing,
    log_times,
    record,
    small_world,
    wait_until,
)

pytestmark = pytest.mark.worker

# A minute of 720p takes 11 s (idle) to 26 s (2 busy cores) to check and transcode, long
# past the tenth of a second a small distribution takes; making it takes 10-20 s.
VIDEO_SECONDS = 60
PROCESS = "Task contributions.tasks.contribution_process["
DISTRIBUTION = "Task payouts.tasks.distribution_compute["
Step = Contribution.Step


@pytest.fixture
def queues(celery_workers: Workers) -> Iterator[Workers]:
    """``celery_workers`` with every queue of ours empty before and after the test (the
    fixture itself empties Celery's default one, "celery")."""

    def purge() -> None:
        client = celery_workers.redis()
        try:
            keys = [k for name in settings.TASK_QUEUES for k in client.scan_iter(f"{name}*")]
            if keys:
                client.delete(*keys)
        finally:
            client.close()

    purge()
    yield celery_workers
    purge()


def start(workers: Workers, *queue_names: str) -> Worker:
    """A prefork worker with one pool child consuming only ``queue_names``, as ``-Q``
    would (Celery's command line reads ``--queues`` from CELERY_WORKER_QUEUES)."""
    worker = workers.start(
        pool="prefork", concurrency=1, env={"CELERY_WORKER_QUEUES": ",".join(queue_names)}
    )
    text = worker.text()
    for name in settings.TASK_QUEUES:
        assert (f".> {name} " in text) is (name in queue_names), f"{name}:\n{text}"
    return worker


def upload_long_video(project: Any) -> int:
    """An artist uploads a long 720p video through the API; returns the contribution id
    (processing, its task on the media queue)."""
    artist = UserFactory()
    join(project, artist)
    client = Client()
    client.force_login(artist)
    response = client.post(
        "/api/contributions/",
        {
            "project": project.slug,
            "title": "The long take",
            "kind": "video",
            "terms_accepted": "true",
            "file": samples.uploaded(
                "take.mp4", samples.tone_video_bytes(VIDEO_SECONDS), "video/mp4"
            ),
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == Contribution.Status.PROCESSING
    return int(response.json()["id"])


def contribution(pk: int) -> Contribution:
    return Contribution.objects.get(pk=pk)


def distribution_done(pk: int) -> Distribution | None:
    return Distribution.objects.filter(pk=pk).exclude(status=Distribution.Status.PENDING).first()


def finished(worker: Worker, task: str) -> list[tuple[str, str]]:
    """When ``worker`` finished (and acknowledged) a task named ``task``."""
    return log_times(worker.text(), task, "] succeeded in ")


def assert_transcoded(pk: int) -> None:
    """What the artist checks: the video is ready, with a version that plays everywhere."""
    video = contribution(pk)
    assert video.status == Contribution.Status.READY, video.rejection_reason
    assert video.rendition
    assert video.thumbnail


def test_a_distribution_is_computed_while_the_media_worker_transcodes(queues: Workers) -> None:
    media = start(queues, "media")
    payouts = start(queues, "payouts")
    world = small_world()
    video = upload_long_video(world.project)
    media.wait_for_log(PROCESS, timeout=30)  # the media worker has it: nobody else can

    distribution = record(world, amount=1003)
    done = wait_until(
        lambda: distribution_done(distribution.pk), timeout=60, what="the distribution"
    )
    # At that moment the video is still being worked on, by the media worker.
    busy = contribution(video)
    assert busy.status == Contribution.Status.PROCESSING
    assert busy.processing_step in {Step.CHECKING, Step.RENDERING, Step.STORING}
    assert finished(media, PROCESS) == []
    assert done.status == Distribution.Status.COMPUTED, done.failure_reason
    assert_one_complete_distribution(world, distribution.revenue_id, 1003)
    assert computing(distribution.pk) in payouts.text()
    assert computing(distribution.pk) not in media.text()

    # And the media work was real: it goes on to finish, after the distribution.
    wait_until(lambda: finished(media, PROCESS), timeout=240, what="the transcode to finish")
    assert_transcoded(video)
    ((video_at, _),) = finished(media, PROCESS)
    ((distribution_at, _),) = finished(payouts, DISTRIBUTION)
    assert distribution_at < video_at


def test_control_one_worker_for_both_queues_makes_the_distribution_wait(
    queues: Workers,
) -> None:
    # What one worker taking every queue, one task at a time, does: the split matters.
    both = start(queues, "media", "payouts")
    world = small_world()
    # The credits task the lock enqueued goes first, so that the video is next in line.
    wait_until(
        lambda: finished(both, "payouts.tasks.version_credits_compute["),
        timeout=30,
        what="the credits",
    )
    video = upload_long_video(world.project)
    both.wait_for_log(PROCESS, timeout=30)

    started = time.monotonic()
    distribution = record(world, amount=1003)
    wait_until(lambda: distribution_done(distribution.pk), timeout=240, what="the distribution")
    waited = time.monotonic() - started
    # By the time it is computed, the video it waited behind is done.
    assert_transcoded(video)
    assert_one_complete_distribution(world, distribution.revenue_id, 1003)
    ((video_at, _),) = finished(both, PROCESS)
    ((computing_at, _),) = log_times(both.text(), computing(distribution.pk))
    assert video_at <= computing_at
    # (The premise: the video kept the worker busy for a while.)
    assert waited > 5, f"the video took only {waited:.1f}s: too short to show anything"
