"""A distribution computed by real ``celery worker`` processes on Redis + PostgreSQL:
recorded through the API, computed twice and concurrently, and after ``kill -9`` of the
pool child and of the whole worker in the middle of a large computation. Every time there
is exactly one distribution, and its lines are the split rule's, worked out here by hand.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEntry, User
from contributions.models import Contribution, Source
from hitrecord.celery import app
from payouts import distributions as money
from payouts.models import CutVersion, Distribution, Revenue, VersionCredits
from payouts.tasks import distribution_compute
from projects.models import Project
from tests.accounts.factories import UserFactory
from tests.contributions.factories import ContributionFactory, SourceFactory
from tests.payouts.conftest import Workers
from tests.payouts.factories import lock
from tests.payouts.naive_split import naive_allocate
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.worker
Status = Distribution.Status
SUCCEEDED = "Task payouts.tasks.distribution_compute["
SHORT_VISIBILITY = 5  # seconds, for the test that kills a whole worker


def computing(distribution_id: int) -> str:
    """The line payouts/tasks.py logs when a computation starts."""
    return f"distribution {distribution_id}: computing"


def succeeded(text: str) -> int:
    """How many distribution computations the worker finished (and acknowledged)."""
    return len(log_times(text, SUCCEEDED, "] succeeded in "))


def log_times(text: str, *needles: str) -> list[tuple[str, str]]:
    """``(timestamp, process name)`` of each worker log line containing every needle."""
    found = []
    for line in text.splitlines():
        match = re.match(r"\[([\d:, -]+): \w+/([\w-]+)\]", line)
        if match and all(needle in line for needle in needles):
            found.append((match.group(1), match.group(2)))
    return found


def wait_until(predicate: Any, *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"gave up after {timeout}s waiting for {what}")


# --- graphs whose split is worked out by hand -----------------------------------------------


@dataclass
class World:
    project: Project
    version: CutVersion
    credits: dict[int, Fraction]  # person id -> credit, computed here, not by payouts.split
    staff: User
    people: tuple[User, ...] = ()


def expected_split(world: World, amount: int) -> tuple[int, int, dict[int, int]]:
    """DESIGN.md's rule from the hand-computed credits: ``pool = floor(R * k)``, then the
    largest remainders (tests/payouts/naive_split.py's second implementation)."""
    pool = amount * Fraction(world.version.contributor_share) // 1
    return int(pool), amount - int(pool), naive_allocate(world.credits, int(pool))


def small_world() -> World:
    """poem (ana) <- song (ben) <- film (cy); the cut is the film alone. u = 1/2: the film
    keeps 1/2, the song 1/4, the poem 1/4."""
    project = ProjectFactory()
    ana, ben, cy = UserFactory(), UserFactory(), UserFactory()
    poem = ContributionFactory(project=project, author=ana, title="Poem")
    song = ContributionFactory(project=project, author=ben, title="Song")
    film = ContributionFactory(project=project, author=cy, title="Film")
    SourceFactory(contribution=song, source=poem)
    SourceFactory(contribution=film, source=song)
    version = lock(project, project.created_by, [(film, "1")])
    assert Fraction(version.remix_upstream_share) == Fraction(1, 2)
    assert Fraction(version.contributor_share) == Fraction(1, 2)
    credits = {cy.pk: Fraction(1, 2), ben.pk: Fraction(1, 4), ana.pk: Fraction(1, 4)}
    return World(project, version, credits, UserFactory(is_staff=True), (ana, ben, cy))


def tree_world(*, roots: int, branching: int, depth: int, people: int) -> World:
    """A large cut: ``roots`` items of weight 1, each the top of a tree in which every
    contribution above the bottom level was remixed from ``branching`` others, ``depth``
    levels down; authors taken in turn from ``people`` people, all bulk-created.

    By hand: a contribution ``k`` levels below the cut receives ``(1/roots) (u/b)^k`` and
    keeps ``1 - u`` of it, or all of it on the bottom level (it has no sources)."""
    project = ProjectFactory()
    authors = User.objects.bulk_create(
        User(username=f"{project.slug}-p{i}", password="!", email="") for i in range(people)
    )
    u = Fraction(project.remix_upstream_share)
    now = timezone.now()
    made = 0
    credits: dict[int, Fraction] = defaultdict(Fraction)

    def level(count: int, k: int) -> list[Contribution]:
        nonlocal made
        rows = [
            Contribution(
                project=project,
                author=authors[(made + i) % people],
                title=f"Level {k} part {i}",
                kind=Contribution.Kind.TEXT,
                text="Words.",
                text_html="<p>Words.</p>",
                status=Contribution.Status.READY,
                terms_version=settings.CONTRIBUTOR_TERMS_VERSION,
                terms_accepted_at=now,
            )
            for i in range(count)
        ]
        made += count
        received = Fraction(1, roots) * (u / branching) ** k
        kept = received if k == depth else received * (1 - u)
        for row in rows:
            credits[row.author_id] += kept
        return Contribution.objects.bulk_create(rows, batch_size=2000)

    top = above = level(roots, 0)
    for k in range(1, depth + 1):
        below = level(len(above) * branching, k)
        Source.objects.bulk_create(
            (
                Source(contribution=above[i // branching], source=source)
                for i, source in enumerate(below)
            ),
            batch_size=2000,
        )
        above = below
    assert sum(credits.values()) == 1
    version = lock(project, project.created_by, [(c, "1") for c in top])
    return World(project, version, dict(credits), UserFactory(is_staff=True))


def record(world: World, amount: int) -> Distribution:
    revenue, created = money.revenue_record(
        project=world.project, amount_minor=amount, currency="USD", by=world.staff
    )
    assert created
    return Distribution.objects.get(revenue=revenue)


def assert_one_complete_distribution(world: World, revenue_id: int, amount: int) -> Distribution:
    """What staff would check: one distribution, computed, one line per person with credit,
    the amounts of the split rule, summing to the pool; written once."""
    (distribution,) = Distribution.objects.filter(revenue_id=revenue_id)
    assert distribution.status == Status.COMPUTED, distribution.failure_reason
    pool, house, amounts = expected_split(world, amount)
    assert (distribution.pool_minor, distribution.house_minor) == (pool, house)
    lines = list(distribution.lines.values_list("person_id", "amount_minor"))
    assert len(lines) == len(world.credits)  # one per person, nobody missing or twice
    assert dict(lines) == amounts
    assert sum(a for _, a in lines) == pool
    assert AuditEntry.objects.filter(action="distribution.compute").count() == 1
    assert VersionCredits.objects.filter(version=world.version).count() == 1
    return distribution


def assert_broker_empty(workers: Workers) -> None:
    assert workers.queued() == 0
    assert workers.unacked_since() == []


# --- the tests ------------------------------------------------------------------------------


def test_revenue_recorded_through_the_api_is_computed_by_the_worker(
    celery_workers: Workers,
) -> None:
    world = small_world()
    celery_workers.start(pool="prefork", concurrency=1)
    client = APIClient()
    client.force_authenticate(world.staff)
    response = client.post(
        "/api/revenues/",
        {"project": world.project.slug, "amount_minor": 1003, "currency": "USD"},
        format="json",
    )
    assert response.status_code == 201, response.content
    distribution_id = response.json()["distribution"]["id"]

    def computed() -> dict[str, Any] | None:
        body = client.get(f"/api/distributions/{distribution_id}/").json()
        return body if body["status"] == Status.COMPUTED else None

    body = wait_until(computed, timeout=60, what="the worker to compute the distribution")
    # pool = floor(1003 / 2) = 501: ideals 250.5, 125.25, 125.25; the cent left over goes
    # to the largest fractional part (the film's author).
    ana, ben, cy = (person.pk for person in world.people)
    assert (body["pool_minor"], body["house_minor"]) == (501, 502)
    got = {line["user"]["id"]: line["amount_minor"] for line in body["lines"]}
    assert got == {cy: 251, ana: 125, ben: 125}
    assert {line["user"]["id"]: line["share_exact"] for line in body["lines"]} == {
        cy: "1/2",
        ana: "1/4",
        ben: "1/4",
    }
    assert_one_complete_distribution(world, response.json()["id"], 1003)


def test_computing_twice_and_concurrently_leaves_one_distribution(celery_workers: Workers) -> None:
    world = tree_world(roots=8, branching=6, depth=3, people=400)  # 2,072 contributions
    celery_workers.purge()  # the version's credits are not stored yet: every run makes them
    distribution = record(world, amount=1_000_003)
    distribution_compute.delay(distribution.pk)  # a second message for the same one
    assert celery_workers.queued() == 2
    worker = celery_workers.start(pool="prefork", concurrency=2)
    # Once both pool children are at it, this process races them too.
    worker.wait_for_log(computing(distribution.pk), count=2, timeout=60)
    money.distribution_compute(distribution_id=distribution.pk)
    text = wait_until(
        lambda: succeeded(worker.text()) >= 2 and worker.text(),
        timeout=90,
        what="both tasks to finish",
    )
    # The two messages ran at once, in the two pool children: each started before either
    # had finished.
    started = log_times(text, computing(distribution.pk))
    finished = log_times(text, SUCCEEDED, "] succeeded in ")
    assert len(started) == 2
    assert {process for _, process in started} == {"ForkPoolWorker-1", "ForkPoolWorker-2"}
    assert max(at for at, _ in started) < min(at for at, _ in finished)
    first = assert_one_complete_distribution(world, distribution.revenue_id, 1_000_003)
    before = sorted(first.lines.values_list("pk", "person_id", "amount_minor"))

    distribution_compute.delay(distribution.pk)  # once more, after it is computed
    wait_until(lambda: succeeded(worker.text()) >= 3, timeout=60, what="the third run")
    again = assert_one_complete_distribution(world, distribution.revenue_id, 1_000_003)
    assert sorted(again.lines.values_list("pk", "person_id", "amount_minor")) == before
    assert_broker_empty(celery_workers)


LARGE = {"roots": 12, "branching": 8, "depth": 3, "people": 1500}  # 7,020 contributions


def start_large_computation(workers: Workers) -> tuple[World, Distribution, Any]:
    """A large cut whose credits are not stored yet, its revenue recorded, and a prefork
    worker (one child) that has provably started computing it."""
    world = tree_world(**LARGE)
    workers.purge()  # drop the lock's credits task: the distribution's task computes them
    assert not VersionCredits.objects.filter(version=world.version).exists()
    worker = workers.start(pool="prefork", concurrency=1)
    distribution = record(world, amount=987_654_321)
    worker.wait_for_log(computing(distribution.pk), timeout=60)
    return world, distribution, worker


def assert_in_the_middle(distribution: Distribution) -> None:
    """Killed before the result was committed: still pending, not a line written."""
    fresh = Distribution.objects.get(pk=distribution.pk)
    assert fresh.status == Status.PENDING
    assert not fresh.lines.exists()


def test_killing_the_pool_child_mid_computation_reruns_it_once(celery_workers: Workers) -> None:
    world, distribution, worker = start_large_computation(celery_workers)
    child = worker.kill_child()
    assert_in_the_middle(distribution)
    # task_reject_on_worker_lost: the main process requeues the message, and its new
    # child computes the distribution from the start.
    text = worker.wait_for_log(computing(distribution.pk), count=2, timeout=60)
    assert "WorkerLostError" in text or "signal 9" in text
    assert worker.process.poll() is None  # the main process lived on
    assert child not in worker.children()
    wait_until(
        lambda: Distribution.objects.filter(pk=distribution.pk, status=Status.COMPUTED).exists(),
        timeout=90,
        what="the rerun to finish",
    )
    assert_one_complete_distribution(world, distribution.revenue_id, 987_654_321)
    wait_until(lambda: succeeded(worker.text()) >= 1, timeout=30, what="the ack")
    assert_broker_empty(celery_workers)


def test_killing_the_whole_worker_mid_computation_redelivers_after_the_visibility_timeout(
    celery_workers: Workers, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, distribution, worker = start_large_computation(celery_workers)
    worker.kill()  # the main process and its child: nobody is left to requeue it
    assert_in_the_middle(distribution)
    # The message is neither lost nor back in the queue: the broker holds it unacknowledged
    # until the visibility timeout has passed since it was delivered.
    (delivered_at,) = celery_workers.unacked_since()
    assert celery_workers.queued() == 0

    # Once the short timeout has passed, a worker with production's timeout (an hour)
    # still leaves it there: a worker sweeps for expired messages as it starts (and then
    # every 100 s), and for this one the message is not expired.
    wait_until(
        lambda: time.time() > delivered_at + SHORT_VISIBILITY + 0.5,
        timeout=SHORT_VISIBILITY + 5,
        what="the short visibility timeout to pass",
    )
    patient = celery_workers.start(pool="prefork", concurrency=1)
    ready_at = time.monotonic()
    wait_until(lambda: time.monotonic() > ready_at + 1, timeout=5, what="a second")
    assert computing(distribution.pk) not in patient.text()
    assert celery_workers.unacked_since() == [delivered_at]
    assert_in_the_middle(distribution)
    patient.kill()

    # A worker whose timeout has passed since the delivery takes it back as it starts. The
    # test process's Celery is set the same way, as production's web and workers share it.
    monkeypatch.setitem(
        app.conf, "broker_transport_options", {"visibility_timeout": SHORT_VISIBILITY}
    )
    second = celery_workers.start(
        pool="prefork",
        concurrency=1,
        env={"CELERY_VISIBILITY_TIMEOUT": str(SHORT_VISIBILITY)},
    )
    second.wait_for_log(computing(distribution.pk), timeout=60)
    wait_until(
        lambda: Distribution.objects.filter(pk=distribution.pk, status=Status.COMPUTED).exists(),
        timeout=90,
        what="the redelivered computation to finish",
    )
    assert_one_complete_distribution(world, distribution.revenue_id, 987_654_321)
    wait_until(lambda: succeeded(second.text()) >= 1, timeout=30, what="the ack")
    assert_broker_empty(celery_workers)
    assert Revenue.objects.count() == 1
