"""The full-text index of people (PostgreSQL only; SQLite searches without one).

A GIN index on exactly the expression ``hitrecord.search.fulltext.PERSON.vector()``
builds, partial on the people search shows (active, not anonymised): a deleted account
is not found by its old name. Copied here, not imported, so this migration keeps
creating what it created; ``tests/hitrecord/test_search.py`` checks that the planner
still uses it.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models import Q

CONFIG = "simple"


def _index() -> GinIndex:
    return GinIndex(
        SearchVector("username", weight="A", config=CONFIG)
        + SearchVector("first_name", "last_name", "bio", weight="B", config=CONFIG),
        name="user_search_idx",
        condition=Q(is_active=True, is_anonymised=False),
    )


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("accounts", "User"), _index())


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("accounts", "User"), _index())


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_notification_kinds")]

    operations = [migrations.RunPython(forward, backward)]
