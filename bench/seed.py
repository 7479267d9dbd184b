"""Bench data, made fast with bulk_create. Import only after ``ctx.setup_django()``.

The rows are plain ORM inserts: no services, no audit entries, no notifications. They
are data to read, not a history, and they live only in the bench's throw-away database
(or the ``DATABASE_URL`` the caller named). Deterministic: the same seed, the same data.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import Medium, User
from hitrecord.markdown import render_markdown
from projects.models import Call, Membership, Project

PEOPLE = 200
USERNAME_PREFIX = "bench-artist-"
SLUG_PREFIX = "bench-project-"
BATCH = 500

_ADJECTIVES = ["Quiet", "Electric", "Paper", "Northern", "Borrowed", "Slow", "Bright", "Lost"]
_NOUNS = ["Harbor", "Letters", "Orchard", "Machines", "Summer", "Voices", "Rooms", "Tides"]
_BRIEFS = [
    "A **short film** about the sea, told by the people who left it.\n\n"
    "We need narration, field recordings and a few stills.",
    "An album of *songs written by strangers*: send a verse, a melody or a drum loop.",
    "A picture book for grown-ups. Illustrations first, then the words that fit them.\n\n"
    "- one spread each\n- any style\n- keep it kind",
]
_CALLS = ["We need a cello line", "Narrator wanted", "Cover art", "A verse for the bridge"]
# (status, weight): most projects are open, some further along.
_STATUSES = [
    (Project.Status.OPEN, 60),
    (Project.Status.IN_PRODUCTION, 25),
    (Project.Status.RELEASED, 10),
    (Project.Status.ARCHIVED, 5),
]


def seed_people(*, count: int = PEOPLE, rng: random.Random) -> list[User]:
    """``count`` bench users (made once, reused by later calls), unusable passwords."""
    existing = list(User.objects.filter(username__startswith=USERNAME_PREFIX).order_by("pk"))
    new = [
        User(
            username=f"{USERNAME_PREFIX}{n:04d}",
            email=f"{USERNAME_PREFIX}{n:04d}@bench.invalid",
            password=make_password(None),
            mediums=rng.sample(list(Medium.values), k=rng.randint(1, 2)),
        )
        for n in range(len(existing), count)
    ]
    return existing + User.objects.bulk_create(new, batch_size=BATCH)


def seed_projects(*, count: int, seed: int = 3) -> dict[str, int]:
    """Top the database up to ``count`` projects, each with members and calls.

    Returns what the database then holds: it has more than ``count`` projects if it
    already had more (the caller reports it).
    """
    rng = random.Random(seed)
    with transaction.atomic():
        people = seed_people(rng=rng)
        missing = count - Project.objects.count()
        if missing > 0:
            projects = _make_projects(missing, people, rng)
            _make_memberships(projects, people, rng)
            _make_calls(projects, rng)
    return {
        "projects": Project.objects.count(),
        "memberships": Membership.objects.count(),
        "calls": Call.objects.count(),
        "open_calls": Call.objects.filter(is_open=True).count(),
        "people": User.objects.count(),
    }


def _make_projects(n: int, people: list[User], rng: random.Random) -> list[Project]:
    briefs = [(brief, render_markdown(brief)) for brief in _BRIEFS]
    start = Project.objects.filter(slug__startswith=SLUG_PREFIX).count()
    statuses, weights = zip(*_STATUSES, strict=True)
    projects = []
    for number in range(start, start + n):
        brief, brief_html = rng.choice(briefs)
        projects.append(
            Project(
                title=f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {number}",
                slug=f"{SLUG_PREFIX}{number:05d}",
                brief=brief,
                brief_html=brief_html,
                mediums=rng.sample(list(Medium.values), k=rng.randint(1, 3)),
                status=rng.choices(statuses, weights)[0],
                created_by=rng.choice(people),
            )
        )
    projects = Project.objects.bulk_create(projects, batch_size=BATCH)
    _spread_over_a_year(projects, rng)
    return projects


def _spread_over_a_year(projects: list[Project], rng: random.Random) -> None:
    """Distinct creation times (bulk_create gives them all "now"), for realistic sorting."""
    now = timezone.now()
    for project in projects:
        project.created_at = now - timedelta(minutes=rng.randint(0, 525_600))
    Project.objects.bulk_update(projects, ["created_at"], batch_size=BATCH)


def _make_memberships(projects: list[Project], people: list[User], rng: random.Random) -> None:
    rows = []
    for project in projects:
        rows.append(
            Membership(project=project, user=project.created_by, role=Membership.Role.DIRECTOR)
        )
        others = [person for person in people if person.pk != project.created_by.pk]
        for person in rng.sample(others, k=rng.randint(0, 8)):
            rows.append(Membership(project=project, user=person, role=Membership.Role.MEMBER))
    Membership.objects.bulk_create(rows, batch_size=BATCH)


def _make_calls(projects: list[Project], rng: random.Random) -> None:
    rows = [
        Call(
            project=project,
            title=rng.choice(_CALLS),
            description="Anything goes; ask in the comments.",
            medium=rng.choice(Medium.values),
            good_first=rng.random() < 0.25,
            is_open=rng.random() < 0.7,
        )
        for project in projects
        for _ in range(rng.randint(0, 3))
    ]
    Call.objects.bulk_create(rows, batch_size=BATCH)
