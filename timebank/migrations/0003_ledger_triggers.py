"""Ledger invariants that a CHECK cannot express, as database triggers.

On both databases: entries and transfers are append-only (UPDATE/DELETE are
refused), and a reversal may not reverse a reversal. On PostgreSQL a
deferred constraint trigger also checks at COMMIT that every transfer's
entries sum to zero and that it has at least two (docs/quality.md L2, L3).
SQLite has no deferred triggers; there the ledger module and ledger_check
guard the sum.
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION timebank_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only: record a reversal instead (table %)', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER timebank_entry_append_only BEFORE UPDATE OR DELETE ON timebank_entry
    FOR EACH ROW EXECUTE FUNCTION timebank_ledger_append_only();
CREATE TRIGGER timebank_transfer_append_only BEFORE UPDATE OR DELETE ON timebank_transfer
    FOR EACH ROW EXECUTE FUNCTION timebank_ledger_append_only();

CREATE OR REPLACE FUNCTION timebank_transfer_no_reversal_of_reversal() RETURNS trigger AS $$
BEGIN
    IF NEW.reverses_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM timebank_transfer t WHERE t.id = NEW.reverses_id AND t.reverses_id IS NOT NULL
    ) THEN
        RAISE EXCEPTION 'a reversal cannot itself be reversed'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER timebank_transfer_no_reversal_of_reversal BEFORE INSERT ON timebank_transfer
    FOR EACH ROW EXECUTE FUNCTION timebank_transfer_no_reversal_of_reversal();

CREATE OR REPLACE FUNCTION timebank_transfer_balanced() RETURNS trigger AS $$
DECLARE
    total bigint;
    n integer;
BEGIN
    SELECT COALESCE(SUM(minutes), 0), COUNT(*) INTO total, n
        FROM timebank_entry WHERE transfer_id = NEW.transfer_id;
    IF total <> 0 OR n < 2 THEN
        RAISE EXCEPTION 'transfer % does not balance: % entries summing to % minutes', NEW.transfer_id, n, total
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER timebank_entry_transfer_balanced AFTER INSERT ON timebank_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION timebank_transfer_balanced();
"""

POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS timebank_entry_transfer_balanced ON timebank_entry;
DROP FUNCTION IF EXISTS timebank_transfer_balanced();
DROP TRIGGER IF EXISTS timebank_transfer_no_reversal_of_reversal ON timebank_transfer;
DROP FUNCTION IF EXISTS timebank_transfer_no_reversal_of_reversal();
DROP TRIGGER IF EXISTS timebank_entry_append_only ON timebank_entry;
DROP TRIGGER IF EXISTS timebank_transfer_append_only ON timebank_transfer;
DROP FUNCTION IF EXISTS timebank_ledger_append_only();
"""

SQLITE_FORWARD = [
    """CREATE TRIGGER timebank_entry_no_update BEFORE UPDATE ON timebank_entry
       BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: record a reversal instead'); END""",
    """CREATE TRIGGER timebank_entry_no_delete BEFORE DELETE ON timebank_entry
       BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: record a reversal instead'); END""",
    """CREATE TRIGGER timebank_transfer_no_update BEFORE UPDATE ON timebank_transfer
       BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: record a reversal instead'); END""",
    """CREATE TRIGGER timebank_transfer_no_delete BEFORE DELETE ON timebank_transfer
       BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: record a reversal instead'); END""",
    """CREATE TRIGGER timebank_transfer_no_reversal_of_reversal BEFORE INSERT ON timebank_transfer
       WHEN NEW.reverses_id IS NOT NULL AND EXISTS (
           SELECT 1 FROM timebank_transfer t WHERE t.id = NEW.reverses_id AND t.reverses_id IS NOT NULL)
       BEGIN SELECT RAISE(ABORT, 'a reversal cannot itself be reversed'); END""",
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS timebank_entry_no_update",
    "DROP TRIGGER IF EXISTS timebank_entry_no_delete",
    "DROP TRIGGER IF EXISTS timebank_transfer_no_update",
    "DROP TRIGGER IF EXISTS timebank_transfer_no_delete",
    "DROP TRIGGER IF EXISTS timebank_transfer_no_reversal_of_reversal",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_REVERSE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("timebank", "0002_default_timebank_roles_categories")]
    operations = [migrations.RunPython(forward, reverse)]
