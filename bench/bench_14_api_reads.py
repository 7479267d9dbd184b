"""Issue 12 point 1: the two expensive API reads of a signed-in person, reported (INFO).

``GET /api/contributions/<id>/lineage/`` over the world's deep-lineage contributions, and
the split preview of a saved draft, ``GET /api/projects/<slug>/final-cut/split/`` (members
of the project may call it; ``payouts.api.FinalCutSplit``), each as one of the project's
members. Their DRF throttles (``lineage``, ``split``: 60/min in production) are lifted in
bench/settings.py only. Same rotation and nearby baseline as the page rows; no target.
"""

from __future__ import annotations

from bench.bench_12_signed_in_pages import requests_of
from bench.core import Context, Row
from bench.rotation import Request, pair
from bench.rows import Page, page_rows

TITLE = "API reads"
AMOUNT_MINOR = 100_000  # 1,000.00 of the project's currency


def run(ctx: Context) -> list[Row]:
    sample = ctx.world()
    people = ctx.sessions.of(sample.user_ids)
    lineage = requests_of(
        pair(people, [f"/api/contributions/{pk}/lineage/" for pk in sample.contribution_ids]),
        marker=b"",
    )
    members = _a_member_of(sample.split_slugs)
    slugs = [slug for slug in sample.split_slugs if slug in members]
    who = ctx.sessions.of([members[slug] for slug in slugs])
    split = requests_of(
        [
            Request(f"/api/projects/{slug}/final-cut/split/?amount_minor={AMOUNT_MINOR}", *person)
            for slug, person in zip(slugs, [(c, n) for n, c in who], strict=True)
        ],
        marker=b"",
    )
    return page_rows(
        ctx,
        [
            Page("API GET /api/contributions/<id>/lineage/", lineage, None, ('"ancestors"',)),
            Page(
                "API GET /api/projects/<slug>/final-cut/split/ (draft preview)",
                split,
                None,
                ('"lines"',),
                note="as a member of the project",
            ),
        ],
    )


def _a_member_of(slugs: list[str]) -> dict[str, int]:
    """One member (a director first) of each project: who may GET its projected split."""
    from projects.models import Membership

    found: dict[str, int] = {}
    rows = (
        Membership.objects.filter(project__slug__in=slugs)
        .order_by("project__slug", "role", "pk")  # "director" sorts before "member"
        .values_list("project__slug", "user_id")
    )
    for slug, user_id in rows:
        found.setdefault(slug, user_id)
    return found
