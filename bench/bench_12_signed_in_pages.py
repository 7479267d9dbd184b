"""Issue 12 point 1: every page a signed-in person uses, at least 0.25 of the baseline.

On the world of ``BENCH_WORLD`` (bench/world.py, ``medium`` by default), each row cycles
through at least 1,000 requests (bench/rotation.py): at least 1,000 people signed in for
real, and where the page shows one object, at least 1,000 objects, so that no row measures
one cache key. Each row's ratio is to a short baseline run measured just before and just
after it (bench/rows.py ``page_rows``); its note gives p50 and p99, the rotation, and the
SQL queries of one request.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote_plus

from bench.core import Context, Row, Target
from bench.rotation import SIGNED_IN_MARKER, Request, RequestSet, pair
from bench.rows import Page, page_rows

TITLE = "signed-in pages"
TARGET = Target.ratio_at_least(0.25)


def requests_of(requests: list[Request], *, marker: bytes = SIGNED_IN_MARKER) -> RequestSet:
    """A set of ``requests`` with its facts: distinct people and distinct paths."""
    return RequestSet(
        tuple(requests),
        marker=marker,
        facts={
            "people": len({r.user for r in requests if r.user}),
            "paths": len({r.path for r in requests}),
        },
    )


def run(ctx: Context) -> list[Row]:
    sample = ctx.world()
    people = ctx.sessions.of(sample.user_ids)
    words = [quote_plus(word) for word in sample.search_words]

    def as_people(paths: list[str]) -> RequestSet:
        return requests_of(pair(people, paths))

    def as_pairs(pairs: list[tuple[int, str]]) -> RequestSet:
        who = ctx.sessions.of([user_id for user_id, _ in pairs])
        made = zip(who, pairs, strict=True)
        return requests_of([Request(path, cookie, name) for (name, cookie), (_, path) in made])

    earners = ctx.sessions.of(sample.earners)
    pages = [
        # The floor under every row below: the baseline view with a signed-in session,
        # which costs the one shared-cache round trip each signed-in request makes
        # (hitrecord.prefetch) and nothing else. Reported, not held to the target.
        Page(
            "/bench/ok signed in (the session's one round trip)",
            requests_of(pair(people, ["/bench/ok"]), marker=b""),
            None,
            ("ok",),
        ),
        Page("/ signed in", as_people(["/"]), TARGET),
        Page("/projects/ signed in", as_people(["/projects/"]), TARGET, ("/projects/world-",)),
        Page(
            "/projects/?search=<word>",
            as_people([f"/projects/?search={word}" for word in words]),
            TARGET,
        ),
        Page(
            "/projects/<slug>/",
            as_people([f"/projects/{slug}/" for slug in sample.project_slugs]),
            TARGET,
        ),
        Page(
            "/contributions/<id>/, deep lineage",
            as_people([f"/contributions/{pk}/" for pk in sample.contribution_ids]),
            TARGET,
        ),
        Page("/u/<name>/", as_people([f"/u/{name}/" for name in sample.usernames]), TARGET),
        Page(
            "/me/notifications/",
            as_people(["/me/notifications/"]),
            TARGET,
        ),
        Page(
            "/projects/<slug>/cut/ as its director",
            as_pairs([(uid, f"/projects/{slug}/cut/") for uid, slug in sample.director_slugs]),
            TARGET,
        ),
        Page(
            "/projects/<slug>/credits/",
            as_people([f"/projects/{slug}/credits/" for slug in sample.cut_slugs]),
            TARGET,
        ),
        Page(
            "/projects/<slug>/ledger/",
            as_pairs([(uid, f"/projects/{slug}/ledger/") for uid, slug in sample.ledger_viewers]),
            TARGET,
        ),
        Page("/me/earnings/", requests_of(pair(earners, ["/me/earnings/"])), TARGET),
        Page("/search/?q=<word>", as_people([f"/search/?q={word}" for word in words]), TARGET),
    ]
    rows = page_rows(ctx, pages)
    return [with_world(ctx, rows[0]), *rows[1:]]


def with_world(ctx: Context, row: Row) -> Row:
    """``row`` with the world it was measured on in its note and details."""
    world = {
        "size": ctx.config.world,
        "counts": ctx.world_counts,
        "build_seconds": round(ctx.world_seconds, 1),
    }
    note = f"world {ctx.config.world}" + (f"; {row.note}" if row.note else "")
    return replace(row, note=note, details={**row.details, "world": world})
