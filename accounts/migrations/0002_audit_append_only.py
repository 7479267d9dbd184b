"""The audit log refuses UPDATE and DELETE in the database itself, not only in Python."""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION accounts_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_auditentry_no_update BEFORE UPDATE OR DELETE ON accounts_auditentry
    FOR EACH ROW EXECUTE FUNCTION accounts_auditentry_append_only();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS accounts_auditentry_no_update ON accounts_auditentry;
DROP FUNCTION IF EXISTS accounts_auditentry_append_only();
"""
# SQLite's test flush empties tables with DELETE, so there only UPDATE is refused.
SQLITE_FORWARD = """
CREATE TRIGGER accounts_auditentry_no_update BEFORE UPDATE ON accounts_auditentry
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS accounts_auditentry_no_update;"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
