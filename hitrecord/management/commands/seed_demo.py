"""``python manage.py seed_demo``: fill the database with a lived-in demo site, idempotently.

Each app that has demo data keeps it in its own ``demo.py`` with a ``seed(world)`` function;
they run in the layer order of DESIGN.md (accounts first), each adding what it made to
``world`` for the apps above it. Running the command twice changes nothing.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_APPS = ["accounts", "projects", "contributions", "payouts"]
# Modules that seed right after an app's ``demo.py``, each in its own transaction: the
# demo's money (a paid and a proposed distribution) needs the locked cut and its credits.
DEMO_AFTER = {"payouts": ["payouts.demo_money"]}


class Command(BaseCommand):
    help = "Create demo people, projects, media, remixes and a locked cut (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        world: dict[str, Any] = {}
        for app in DEMO_APPS:
            if find_spec(f"{app}.demo") is None:
                continue
            with transaction.atomic():
                import_module(f"{app}.demo").seed(world)
            for module in DEMO_AFTER.get(app, []):
                with transaction.atomic():
                    import_module(module).seed(world)
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in with:"))
        for username, password, role in world.get("sign_ins", []):
            self.stdout.write(f"  {role:<9} {username:<10} password: {password}")
