"""Approved and paid distributions and their lines never change, in the database itself.

Refused on PostgreSQL and SQLite, whatever client sends the SQL: INSERT, UPDATE and DELETE
of a distribution that is approved or paid, and of its lines, with these exceptions only:
- the distribution moving ``approved -> paid`` (with ``paid_at``), nothing else changed;
- a line's payment columns moving ``unpaid -> in_batch`` (with its batch),
  ``in_batch -> paid`` (with reference and time), ``in_batch -> failed`` (with a reason),
  ``failed -> unpaid``, and ``unpaid | failed -> not_payable`` (its person deleted their
  account); its person, credit and amount never change;
- a line's kept payee details being redacted (blanked) when its person deletes the account,
  or filled once when none were kept at approval (no verified payout email then).

Test teardown works as for locked versions (migration 0002): TRUNCATE on PostgreSQL, and on
SQLite the DELETE triggers stand down while ``hitrecord_purge_allowed()`` answers 1.
"""

from django.db import migrations

FROZEN = "('approved', 'paid')"

LINE_MOVE_OK = """(
    NEW.distribution_id = OLD.distribution_id AND NEW.person_id = OLD.person_id
    AND NEW.credit_id = OLD.credit_id AND NEW.amount_minor = OLD.amount_minor
    AND (
        (OLD.payment_status = 'unpaid' AND NEW.payment_status = 'in_batch')
        OR (OLD.payment_status = 'in_batch' AND NEW.payment_status IN ('paid', 'failed'))
        OR (OLD.payment_status = 'failed' AND NEW.payment_status = 'unpaid')
        OR (OLD.payment_status IN ('unpaid', 'failed') AND NEW.payment_status = 'not_payable')
    )
)"""

DISTRIBUTION_MOVE_OK = """(
    OLD.status = 'approved' AND NEW.status = 'paid'
    AND NEW.revenue_id = OLD.revenue_id AND NEW.version_id = OLD.version_id
    AND NEW.amount_minor = OLD.amount_minor AND NEW.currency = OLD.currency
    AND NEW.pool_minor = OLD.pool_minor AND NEW.house_minor = OLD.house_minor
)"""

# Kept payee details may be redacted (the person deleted the account), or filled once when
# nothing was kept at approval (the person had no verified payout email yet): that sends
# money where none could go before, never elsewhere.
PAYEE_REDACT_OK = (
    "(NEW.line_id = OLD.line_id AND ("
    "(NEW.redacted AND NEW.payout_email = '' AND NEW.payee_name = '') "
    "OR (OLD.payout_email = '' AND NOT OLD.redacted AND NOT NEW.redacted)))"
)


def _status_of(distribution_ref: str) -> str:
    return f"(SELECT status FROM payouts_distribution WHERE id = {distribution_ref})"


def _status_of_line(line_ref: str) -> str:
    return (
        "(SELECT d.status FROM payouts_distribution d JOIN payouts_distributionline l "
        f"ON l.distribution_id = d.id WHERE l.id = {line_ref})"
    )


POSTGRES_FORWARD = f"""
CREATE OR REPLACE FUNCTION payouts_distribution_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.status IN {FROZEN} THEN
        RAISE EXCEPTION 'approved distribution % never changes', OLD.id;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status IN {FROZEN} AND NOT {DISTRIBUTION_MOVE_OK} THEN
        RAISE EXCEPTION 'approved distribution % never changes', OLD.id;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION payouts_line_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') AND {_status_of("NEW.distribution_id")} IN {FROZEN}
       AND (TG_OP = 'INSERT' OR NOT {LINE_MOVE_OK}) THEN
        RAISE EXCEPTION 'lines of approved distribution % never change', NEW.distribution_id;
    END IF;
    IF TG_OP = 'DELETE' AND {_status_of("OLD.distribution_id")} IN {FROZEN} THEN
        RAISE EXCEPTION 'lines of approved distribution % never change', OLD.distribution_id;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION payouts_payee_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') AND {_status_of_line("NEW.line_id")} IN {FROZEN}
       AND (TG_OP = 'INSERT' OR NOT {PAYEE_REDACT_OK}) THEN
        RAISE EXCEPTION 'payee details kept at approval never change';
    END IF;
    IF TG_OP = 'DELETE' AND {_status_of_line("OLD.line_id")} IN {FROZEN} THEN
        RAISE EXCEPTION 'payee details kept at approval never change';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payouts_distribution_frozen BEFORE UPDATE OR DELETE ON payouts_distribution
    FOR EACH ROW EXECUTE FUNCTION payouts_distribution_frozen();
CREATE TRIGGER payouts_line_frozen BEFORE INSERT OR UPDATE OR DELETE ON payouts_distributionline
    FOR EACH ROW EXECUTE FUNCTION payouts_line_frozen();
CREATE TRIGGER payouts_payee_frozen BEFORE INSERT OR UPDATE OR DELETE ON payouts_linepayee
    FOR EACH ROW EXECUTE FUNCTION payouts_payee_frozen();
"""

POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS payouts_distribution_frozen ON payouts_distribution;
DROP TRIGGER IF EXISTS payouts_line_frozen ON payouts_distributionline;
DROP TRIGGER IF EXISTS payouts_payee_frozen ON payouts_linepayee;
DROP FUNCTION IF EXISTS payouts_distribution_frozen();
DROP FUNCTION IF EXISTS payouts_line_frozen();
DROP FUNCTION IF EXISTS payouts_payee_frozen();
"""

_ABORT = "BEGIN SELECT RAISE(ABORT, 'approved distributions never change'); END;"
_PURGE = "hitrecord_purge_allowed() = 0"
SQLITE_FORWARD = [
    f"CREATE TRIGGER payouts_distribution_frozen_update BEFORE UPDATE ON payouts_distribution "
    f"WHEN OLD.status IN {FROZEN} AND NOT {DISTRIBUTION_MOVE_OK} {_ABORT}",
    f"CREATE TRIGGER payouts_distribution_frozen_delete BEFORE DELETE ON payouts_distribution "
    f"WHEN OLD.status IN {FROZEN} AND {_PURGE} {_ABORT}",
    f"CREATE TRIGGER payouts_line_frozen_insert BEFORE INSERT ON payouts_distributionline "
    f"WHEN {_status_of('NEW.distribution_id')} IN {FROZEN} {_ABORT}",
    f"CREATE TRIGGER payouts_line_frozen_update BEFORE UPDATE ON payouts_distributionline "
    f"WHEN ({_status_of('NEW.distribution_id')} IN {FROZEN} "
    f"OR {_status_of('OLD.distribution_id')} IN {FROZEN}) AND NOT {LINE_MOVE_OK} {_ABORT}",
    f"CREATE TRIGGER payouts_line_frozen_delete BEFORE DELETE ON payouts_distributionline "
    f"WHEN {_status_of('OLD.distribution_id')} IN {FROZEN} AND {_PURGE} {_ABORT}",
    f"CREATE TRIGGER payouts_payee_frozen_insert BEFORE INSERT ON payouts_linepayee "
    f"WHEN {_status_of_line('NEW.line_id')} IN {FROZEN} {_ABORT}",
    f"CREATE TRIGGER payouts_payee_frozen_update BEFORE UPDATE ON payouts_linepayee "
    f"WHEN {_status_of_line('OLD.line_id')} IN {FROZEN} AND NOT {PAYEE_REDACT_OK} {_ABORT}",
    f"CREATE TRIGGER payouts_payee_frozen_delete BEFORE DELETE ON payouts_linepayee "
    f"WHEN {_status_of_line('OLD.line_id')} IN {FROZEN} AND {_PURGE} {_ABORT}",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "payouts_distribution_frozen_update",
        "payouts_distribution_frozen_delete",
        "payouts_line_frozen_insert",
        "payouts_line_frozen_update",
        "payouts_line_frozen_delete",
        "payouts_payee_frozen_insert",
        "payouts_payee_frozen_update",
        "payouts_payee_frozen_delete",
    )
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("payouts", "0003_payouts")]

    operations = [migrations.RunPython(forward, backward)]
