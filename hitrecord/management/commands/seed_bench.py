"""``python manage.py seed_bench --size {tiny,small,medium,large}``: fill the database with
the benchmark world of ``bench/world.py`` in bulk, idempotently (a second run adds nothing).

It writes rows directly (no services, no audit log, no mail), so it refuses a database that
looks like a real site: one holding any account besides the world's own (``world-...``)
and the bench's (``bench-...``). ``--force`` overrides that, for a throw-away copy.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test.utils import override_settings

from accounts.models import User

SAFE_PREFIXES = ("world-", "bench-")


class Command(BaseCommand):
    help = "Top the database up to a large benchmark world, in bulk (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        from bench.world import SIZES

        parser.add_argument("--size", choices=list(SIZES), default="medium")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though the database holds other accounts (a throw-away copy).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from bench.world import SIZES, build

        others = User.objects.exclude(username__startswith=SAFE_PREFIXES[0]).exclude(
            username__startswith=SAFE_PREFIXES[1]
        )
        count = others.count()
        if count and not options["force"]:
            raise CommandError(
                f"This database holds {count} account(s) that are not bench or world accounts "
                f"(e.g. {others.order_by('pk').values_list('username', flat=True).first()!r}): "
                "seed_bench writes rows without the audit log and is meant for a throw-away "
                "database. Point DATABASE_URL at one, or pass --force if this is one."
            )
        size = options["size"]
        target = SIZES[size]
        self.stdout.write(
            f"Seeding the {size} world on {connection.vendor} ({target.artists:,} artists, "
            f"{target.projects:,} projects, {target.contributions:,} contributions, "
            f"{target.remix_links:,} remix links, {target.locked_cuts:,} locked cuts, "
            f"{target.distributions:,} distributions)"
        )
        start = time.monotonic()

        def progress(message: str) -> None:
            self.stdout.write(f"  {time.monotonic() - start:7.1f} s  {message}")
            self.stdout.flush()

        # With DEBUG on, Django would keep the SQL of every batch (megabytes each) in memory.
        with override_settings(DEBUG=False):
            counts = build(size, progress=progress)
        elapsed = time.monotonic() - start
        width = max(len(name) for name in counts)
        for name, value in counts.items():
            self.stdout.write(f"  {name:<{width}}  {value:>10,}")
        self.stdout.write(self.style.SUCCESS(f"The {size} world is ready in {elapsed:.1f} s."))
