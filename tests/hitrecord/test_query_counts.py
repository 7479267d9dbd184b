"""Every page and list endpoint costs as many queries on the small world as on the tiny one
(``bench/world.py``, topped up from tiny to five times its size): a count that grows with
the world is one query per row somewhere. Counted cold, with the cache cleared before each
request, so a cached fragment hides nothing."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from bench import world
from payouts.models import Distribution
from projects.models import Membership

pytestmark = pytest.mark.django_db


def _paths() -> list[tuple[str, int | None]]:
    """(path, who asks: a user id or None for a visitor), on objects of the tiny world."""
    s = world.sample()
    director, cut_slug = next((d, slug) for d, slug in s.director_slugs if slug in s.cut_slugs)
    viewer, ledger_slug = s.ledger_viewers[0]
    earner = s.earners[0]
    contribution = s.contribution_ids[0]
    member_project = (
        Membership.objects.filter(user_id=earner).values_list("project__slug", flat=True).first()
    )
    username = User.objects.get(pk=earner).username
    public = (
        Distribution.objects.filter(
            revenue__project__slug=ledger_slug,
            status__in=["proposed", "approved", "paid"],
        )
        .values_list("pk", flat=True)
        .first()
    )
    word = s.search_words[0]
    return [
        ("/", None),
        ("/", earner),
        ("/projects/", None),
        ("/projects/", earner),
        (f"/projects/?search={word}", None),
        ("/projects/?ordering=active&has_calls=1", None),
        (f"/projects/{member_project}/", earner),
        (f"/projects/{cut_slug}/", None),
        (f"/contributions/{contribution}/", None),
        (f"/contributions/{contribution}/", earner),
        (f"/u/{username}/", None),
        ("/me/notifications/", earner),
        (f"/projects/{cut_slug}/cut/", director),
        (f"/projects/{cut_slug}/credits/", None),
        (f"/projects/{s.largest_cut_slug}/credits/", None),
        (f"/projects/{ledger_slug}/ledger/", viewer),
        ("/me/earnings/", earner),
        ("/api/projects/", None),
        (f"/api/projects/?search={word}", None),
        (f"/api/projects/{cut_slug}/calls/", None),
        ("/api/contributions/", None),
        (f"/api/contributions/?project={cut_slug}", None),
        (f"/api/contributions/{contribution}/comments/", None),
        (f"/api/contributions/{contribution}/lineage/", None),
        ("/api/me/notifications/", earner),
        ("/api/me/earnings/", earner),
        (f"/api/projects/{cut_slug}/final-cut/", None),
        (f"/api/projects/{cut_slug}/final-cut/split/?amount_minor=100000", director),
        (f"/api/projects/{cut_slug}/final-cut/credits/", None),
        (f"/api/distributions/{public}/", None),
    ]


def _counts(paths: list[tuple[str, int | None]]) -> dict[tuple[str, int | None], int]:
    counts = {}
    for path, user_id in paths:
        client = Client()
        if user_id is not None:
            client.force_login(User.objects.get(pk=user_id))
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts[(path, user_id)] = len(queries)
    return counts


def test_no_page_or_list_costs_more_queries_on_a_bigger_world():
    world.build("tiny")
    paths = _paths()
    tiny = _counts(paths)
    world.build("small")
    small = _counts(paths)
    grown = {key: (tiny[key], small[key]) for key in paths if tiny[key] != small[key]}
    assert grown == {}, f"queries that grow with the world (tiny, small): {grown}"
