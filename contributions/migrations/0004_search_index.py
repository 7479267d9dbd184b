"""The full-text index of contributions (PostgreSQL only; SQLite searches without one).

A GIN index on exactly the expression ``hitrecord.search.fulltext.CONTRIBUTION.vector()``
builds, partial on what browsing and search show (ready, not withdrawn, not taken
down), so hidden work is not even in the index. Copied here, not imported, so this
migration keeps creating what it created; ``tests/hitrecord/test_search.py`` checks that
the planner still uses it.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models import Q

CONFIG = "simple"


def _index() -> GinIndex:
    return GinIndex(
        SearchVector("title", weight="A", config=CONFIG)
        + SearchVector("description", "text_html", weight="B", config=CONFIG),
        name="contribution_search_idx",
        condition=Q(status="ready", withdrawn=False, removed=False),
    )


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("contributions", "Contribution"), _index())


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("contributions", "Contribution"), _index())


class Migration(migrations.Migration):
    dependencies = [("contributions", "0003_media_renditions")]

    operations = [migrations.RunPython(forward, backward)]
