"""``python manage.py seed_demo``: fill the database with a lived-in demo site, idempotently.

Each app that has demo data keeps it in its own ``demo.py`` with a ``seed(world)`` function;
they run in the layer order of DESIGN.md (accounts first), each adding what it made to
``world`` for the apps above it. Running the command twice changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.core import mail
from django.core.cache import cache
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

DEMO_APPS = ["accounts", "projects", "contributions", "payouts"]
# Modules that seed right after an app's ``demo.py``, each in its own transaction: the
# demo's money (a paid and a proposed distribution) needs the locked cut and its credits.
DEMO_AFTER = {"payouts": ["payouts.demo_money"]}
# While seeding, loggers say only what went wrong: the in-process tasks narrate every run
# ("Task ... succeeded in ...", "distribution 1: computing"), and kombu, asked for a
# producer even by an eager task, remarks that the absent broker has no hostname.
QUIET_WHILE_SEEDING = {"": logging.WARNING, "celery": logging.WARNING, "kombu": logging.ERROR}


@contextmanager
def _quietly() -> Iterator[list[Any]]:
    """Hold back the mail seeding would send (notifications to demo addresses: on the
    console in the embedded mode, raw MIME) and quiet the task loggers. Yields the held
    mail; it is dropped afterwards, whatever was in the outbox before stays."""
    levels = {name: logging.getLogger(name).level for name in QUIET_WHILE_SEEDING}
    if not hasattr(mail, "outbox"):
        mail.outbox = []  # where the locmem backend puts what it "sends"
    outbox: list[Any] = mail.outbox
    before = len(outbox)
    held: list[Any] = []
    try:
        for name, level in QUIET_WHILE_SEEDING.items():
            logging.getLogger(name).setLevel(level)
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            yield held
        held.extend(outbox[before:])
    finally:
        del outbox[before:]
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class Command(BaseCommand):
    help = "Create demo people, projects, media, remixes and a locked cut (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        # The cache belongs to the database it was filled from; the demo may be seeding a
        # new one (a deleted SQLite file), whose ids another database's cache would misname.
        cache.clear()
        world: dict[str, Any] = {}
        with _quietly() as held:
            for app in DEMO_APPS:
                if find_spec(f"{app}.demo") is None:
                    continue
                with transaction.atomic():
                    import_module(f"{app}.demo").seed(world)
                for module in DEMO_AFTER.get(app, []):
                    with transaction.atomic():
                        import_module(module).seed(world)
        people = world.get("people", {})
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data is ready: {len(people)} {'person' if len(people) == 1 else 'people'}, "
                f"{_plural(len(world.get('projects', {})), 'project')}, "
                f"{_plural(len(world.get('contributions', {})), 'contribution')}; "
                f"{_plural(len(held), 'notification email')} held back (seeding sends no mail)."
            )
        )
        self._sign_ins(world)

    def _sign_ins(self, world: dict[str, Any]) -> None:
        """Every demo person with their role, read from what the seed made: staff, who
        directs which demo projects (from their memberships), everyone else an artist."""
        people = world.get("people", {})
        if not people:
            return
        membership = apps.get_model("projects", "Membership")
        directs: dict[int, int] = {}
        for user_id in membership.objects.filter(
            project__in=list(world.get("projects", {}).values()),
            role=membership.Role.DIRECTOR,
        ).values_list("user_id", flat=True):
            directs[user_id] = directs.get(user_id, 0) + 1
        password = import_module("accounts.demo").DEMO_PASSWORD
        self.stdout.write(f"Sign in as any of them, password {password}:")
        width = max(len(username) for username in people)
        for username, person in people.items():
            count = directs.get(person.pk, 0)
            if person.is_staff:
                role, detail = "staff", "the admin site at /admin/, payouts and claims"
            elif count:
                role, detail = "director", f"directs {_plural(count, 'project')}"
            else:
                role, detail = "artist", ""
            mediums = ", ".join(person.mediums or [])
            detail = " · ".join(part for part in (detail, mediums) if part)
            self.stdout.write(f"  {username:<{width}}  {role:<8}  {detail}".rstrip())
