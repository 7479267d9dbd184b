"""The full-text index of projects (PostgreSQL only; SQLite searches without one).

A GIN index on exactly the expression ``hitrecord.search.fulltext.PROJECT.vector()``
builds, so ``vector @@ query`` is an index scan. The expression is copied here, not
imported, so this migration keeps creating what it created when the code moves on;
``tests/hitrecord/test_search.py`` checks that the planner still uses it.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

CONFIG = "simple"


def _index() -> GinIndex:
    return GinIndex(
        SearchVector("title", weight="A", config=CONFIG)
        + SearchVector("brief_html", weight="B", config=CONFIG),
        name="project_search_idx",
    )


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("projects", "Project"), _index())


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("projects", "Project"), _index())


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
