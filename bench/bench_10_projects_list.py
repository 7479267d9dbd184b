"""Issue 3: ``/projects/`` signed out with 1,000 projects, at least 0.25 of the baseline.

The database is topped up to 1,000 projects, each with a director, up to 8 members and
up to 3 calls, before the page is measured. Until the page exists it answers 404 and the
row says "missing (404)".
"""

from __future__ import annotations

from dataclasses import replace

from bench.core import Context, Row, Target
from bench.rows import throughput_row

TITLE = "projects list"
PROJECTS = 1_000


def run(ctx: Context) -> list[Row]:
    ctx.setup_django()
    from bench.seed import SLUG_PREFIX, seed_projects

    seeded = seed_projects(count=PROJECTS)
    total = seeded["projects"]
    row = throughput_row(
        ctx,
        name=f"/projects/ signed out, {PROJECTS:,} projects",
        path="/projects/",
        target=Target.ratio_at_least(0.25),
        expect=f"/projects/{SLUG_PREFIX}".encode(),  # the page lists the seeded projects
        note="" if total == PROJECTS else f"the database holds {total:,} projects",
    )
    return [replace(row, details={**row.details, "seeded": seeded})]
