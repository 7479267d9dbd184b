"""Locked versions and their credits never change, in the database itself.

A version (or a credits set) is written with ``sealed = false``, filled, and sealed in the
same transaction. Once sealed, the database refuses every INSERT, UPDATE and DELETE that
touches it or its rows, on PostgreSQL and SQLite, whatever client sends the SQL.

Test teardown: PostgreSQL's test flush uses TRUNCATE, which row triggers never see. SQLite's
flush deletes rows one table at a time, so there the DELETE triggers stand down while the
SQL function ``hitrecord_purge_allowed()`` answers 1; the app registers it on every SQLite
connection answering 0, and only the test suite's flush turns it on (tests/conftest.py). A
connection that lacks the function (the sqlite3 shell) cannot delete sealed rows either:
the trigger fails with "no such function".
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION payouts_version_sealed() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.sealed THEN
        RAISE EXCEPTION 'locked version % never changes', OLD.id;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION payouts_version_item_sealed() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
        SELECT 1 FROM payouts_cutversion v WHERE v.id = OLD.version_id AND v.sealed
    ) THEN
        RAISE EXCEPTION 'the items of locked version % never change', OLD.version_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
        SELECT 1 FROM payouts_cutversion v WHERE v.id = NEW.version_id AND v.sealed
    ) THEN
        RAISE EXCEPTION 'the items of locked version % never change', NEW.version_id;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION payouts_person_credit_sealed() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
        SELECT 1 FROM payouts_versioncredits c WHERE c.id = OLD.credits_id AND c.sealed
    ) THEN
        RAISE EXCEPTION 'stored credits % never change', OLD.credits_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
        SELECT 1 FROM payouts_versioncredits c WHERE c.id = NEW.credits_id AND c.sealed
    ) THEN
        RAISE EXCEPTION 'stored credits % never change', NEW.credits_id;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payouts_cutversion_sealed BEFORE UPDATE OR DELETE ON payouts_cutversion
    FOR EACH ROW EXECUTE FUNCTION payouts_version_sealed();
CREATE TRIGGER payouts_cutversionitem_sealed
    BEFORE INSERT OR UPDATE OR DELETE ON payouts_cutversionitem
    FOR EACH ROW EXECUTE FUNCTION payouts_version_item_sealed();
CREATE TRIGGER payouts_versioncredits_sealed BEFORE UPDATE OR DELETE ON payouts_versioncredits
    FOR EACH ROW EXECUTE FUNCTION payouts_version_sealed();
CREATE TRIGGER payouts_personcredit_sealed
    BEFORE INSERT OR UPDATE OR DELETE ON payouts_personcredit
    FOR EACH ROW EXECUTE FUNCTION payouts_person_credit_sealed();
"""

POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS payouts_cutversion_sealed ON payouts_cutversion;
DROP TRIGGER IF EXISTS payouts_cutversionitem_sealed ON payouts_cutversionitem;
DROP TRIGGER IF EXISTS payouts_versioncredits_sealed ON payouts_versioncredits;
DROP TRIGGER IF EXISTS payouts_personcredit_sealed ON payouts_personcredit;
DROP FUNCTION IF EXISTS payouts_version_sealed();
DROP FUNCTION IF EXISTS payouts_version_item_sealed();
DROP FUNCTION IF EXISTS payouts_person_credit_sealed();
"""


def _sqlite_guard(table: str, parent_check_old: str, parent_check_new: str, name: str) -> str:
    """Triggers refusing writes to ``table`` when the checks say its row is sealed."""
    statements = []
    if parent_check_new:
        statements.append(
            f"CREATE TRIGGER {name}_insert BEFORE INSERT ON {table} WHEN {parent_check_new} "
            f"BEGIN SELECT RAISE(ABORT, '{name}: sealed rows never change'); END;"
        )
    update_when = " OR ".join(c for c in (parent_check_old, parent_check_new) if c)
    statements.append(
        f"CREATE TRIGGER {name}_update BEFORE UPDATE ON {table} WHEN {update_when} "
        f"BEGIN SELECT RAISE(ABORT, '{name}: sealed rows never change'); END;"
    )
    statements.append(
        f"CREATE TRIGGER {name}_delete BEFORE DELETE ON {table} "
        f"WHEN ({parent_check_old}) AND hitrecord_purge_allowed() = 0 "
        f"BEGIN SELECT RAISE(ABORT, '{name}: sealed rows never change'); END;"
    )
    return "\n".join(statements)


SQLITE_FORWARD = [
    _sqlite_guard("payouts_cutversion", "OLD.sealed", "", "payouts_cutversion_sealed"),
    _sqlite_guard(
        "payouts_cutversionitem",
        "(SELECT sealed FROM payouts_cutversion WHERE id = OLD.version_id)",
        "(SELECT sealed FROM payouts_cutversion WHERE id = NEW.version_id)",
        "payouts_cutversionitem_sealed",
    ),
    _sqlite_guard("payouts_versioncredits", "OLD.sealed", "", "payouts_versioncredits_sealed"),
    _sqlite_guard(
        "payouts_personcredit",
        "(SELECT sealed FROM payouts_versioncredits WHERE id = OLD.credits_id)",
        "(SELECT sealed FROM payouts_versioncredits WHERE id = NEW.credits_id)",
        "payouts_personcredit_sealed",
    ),
]
SQLITE_TRIGGERS = [
    f"{name}_{op}"
    for name in (
        "payouts_cutversion_sealed",
        "payouts_cutversionitem_sealed",
        "payouts_versioncredits_sealed",
        "payouts_personcredit_sealed",
    )
    for op in ("insert", "update", "delete")
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, params=None)
    elif vendor == "sqlite":
        for block in SQLITE_FORWARD:
            for statement in block.split("\n"):
                schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD, params=None)
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("payouts", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
