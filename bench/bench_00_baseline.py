"""Issue 2: the baseline every later throughput row is compared to.

``GET /bench/ok``: a view returning ``HttpResponse(b"ok")`` (bench/urls.py) behind the
whole middleware stack, on gunicorn with 2 sync workers.
"""

from __future__ import annotations

from bench.core import Context, Row
from bench.rows import throughput_row

TITLE = "baseline"
ALWAYS = True  # every ratio needs it, whatever BENCH_ONLY says


def run(ctx: Context) -> list[Row]:
    return [
        throughput_row(ctx, name='baseline: HttpResponse(b"ok")', path="/bench/ok", baseline=True)
    ]
