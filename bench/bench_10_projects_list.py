"""Issue 3: ``/projects/`` signed out, at least 0.25 of the baseline.

Measured on the world of ``BENCH_WORLD`` (bench/world.py: 1,000 projects in ``medium``,
10,000 in ``large``, each with its director, members, calls and contributions), the same
database as the signed-in page rows, so the list is not measured on a second, thinner data
set. One URL (signed out, no session), next to its own short baseline (bench/rows.py
``page_rows``). Until the page exists it answers 404 and the row says "missing (404)".
"""

from __future__ import annotations

from bench.bench_12_signed_in_pages import with_world
from bench.core import Context, Row, Target
from bench.rotation import RequestSet
from bench.rows import Page, page_rows

TITLE = "projects list"


def run(ctx: Context) -> list[Row]:
    ctx.world()
    from projects.models import Project

    projects = Project.objects.count()
    page = Page(
        f"/projects/ signed out, {projects:,} projects",
        RequestSet.single("/projects/"),
        Target.ratio_at_least(0.25),
        ("/projects/world-",),  # the page lists the world's projects
    )
    return [with_world(ctx, row) for row in page_rows(ctx, [page])]
