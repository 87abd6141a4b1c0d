"""On PostgreSQL, entries are counted in the summaries once per INSERT statement
instead of once per entry row: an AFTER INSERT ... FOR EACH STATEMENT trigger
reads the statement's new entries as a transition table and updates LedgerDay,
AccountDay and PartnerDay with one grouped upsert each. A transfer's entries go
in with one INSERT (the ledger's one-statement path and its ORM path alike), so
a transfer costs one trigger call and three statements, where it cost a
PL/pgSQL call and five statements per entry (bench/RESULTS.md, P9). The rules
are those of 0016 unchanged: the day is the exchange's help date, else the day
the transfer was recorded in the site's time zone; a transfer counts once, by
its lowest entry; member entries of an exchange count in AccountDay and pair,
both ways, with the member entries before them in PartnerDay. Reversals keep
0016's per-row trigger (rare, and it takes back old entries, not new ones).
SQLite keeps 0016's row triggers: it has no statement-level triggers."""

from django.conf import settings
from django.db import migrations

FORWARD = """
DROP TRIGGER IF EXISTS timebank_entry_summaries ON timebank_entry;
DROP FUNCTION IF EXISTS timebank_entry_summaries();

CREATE FUNCTION timebank_entry_summaries() RETURNS trigger AS $$
BEGIN
    WITH n AS (
        -- Accounts are looked up by key, one per new entry (scalar subqueries), never
        -- scanned: a join lets the planner, which cannot count a transition table,
        -- drive the query from every account.
        SELECT ne.id, ne.transfer_id, ne.account_id, ne.minutes,
            (SELECT a.kind FROM timebank_account a WHERE a.id = ne.account_id) AS account_kind, tr.timebank_id,
            COALESCE(x.helped_on, (tr.created_at AT TIME ZONE '{tz}')::date) AS day, tr.kind, l.category_id,
            NOT EXISTS (
                SELECT 1 FROM timebank_entry f WHERE f.transfer_id = ne.transfer_id AND f.id + 0 < ne.id
            ) AS first
        FROM new_entries ne
        JOIN timebank_transfer tr ON tr.id = ne.transfer_id
        LEFT JOIN timebank_exchange x ON x.id = tr.exchange_id
        LEFT JOIN timebank_listing l ON l.id = x.listing_id
    ), days AS (
        INSERT INTO timebank_ledgerday AS d (timebank_id, day, kind, category_id, slot, transfers, minutes, pot_in, pot_out)
        SELECT timebank_id, day, kind, category_id, mod(pg_backend_pid(), 16),
            count(*) FILTER (WHERE first),
            sum(GREATEST(minutes, 0)),
            COALESCE(sum(minutes) FILTER (WHERE account_kind = 'pot' AND minutes > 0), 0),
            COALESCE(-sum(minutes) FILTER (WHERE account_kind = 'pot' AND minutes < 0), 0)
        FROM n GROUP BY timebank_id, day, kind, category_id
        ON CONFLICT (timebank_id, day, kind, (COALESCE(category_id, 0)), slot) DO UPDATE SET
            transfers = d.transfers + excluded.transfers,
            minutes = d.minutes + excluded.minutes,
            pot_in = d.pot_in + excluded.pot_in,
            pot_out = d.pot_out + excluded.pot_out
    ), accounts AS (
        INSERT INTO timebank_accountday AS a (account_id, timebank_id, day, gave, received)
        SELECT account_id, timebank_id, day, count(*) FILTER (WHERE minutes > 0), count(*) FILTER (WHERE minutes < 0)
        FROM n WHERE kind = 'exchange' AND account_kind = 'member'
        GROUP BY account_id, timebank_id, day
        ON CONFLICT (account_id, day) DO UPDATE SET gave = a.gave + excluded.gave, received = a.received + excluded.received
    ), one_way AS (
        -- Each member entry of an exchange with the member entries before it in its transfer.
        SELECT n.account_id, earlier.account_id AS partner_id, n.timebank_id, n.day
        FROM n
        CROSS JOIN LATERAL (
            -- "+ 0": found by the transfer's index alone; as a range on the primary
            -- key it tempts the planner into reading every older entry's id.
            SELECT e.account_id FROM timebank_entry e
            WHERE e.transfer_id = n.transfer_id AND e.id + 0 < n.id
                AND (SELECT ea.kind FROM timebank_account ea WHERE ea.id = e.account_id) = 'member'
        ) AS earlier
        WHERE n.kind = 'exchange' AND n.account_kind = 'member'
    )
    INSERT INTO timebank_partnerday AS p (account_id, partner_id, timebank_id, day, exchanges)
    SELECT pair.account_id, pair.partner_id, pair.timebank_id, pair.day, count(*) FROM (
        SELECT account_id, partner_id, timebank_id, day FROM one_way
        UNION ALL
        SELECT partner_id, account_id, timebank_id, day FROM one_way
    ) AS pair
    GROUP BY pair.account_id, pair.partner_id, pair.timebank_id, pair.day
    ON CONFLICT (account_id, partner_id, day) DO UPDATE SET exchanges = p.exchanges + excluded.exchanges;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER timebank_entry_summaries AFTER INSERT ON timebank_entry
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION timebank_entry_summaries();
"""

# 0016's per-row trigger, as it was.
REVERSE = """
DROP TRIGGER IF EXISTS timebank_entry_summaries ON timebank_entry;
DROP FUNCTION IF EXISTS timebank_entry_summaries();

CREATE FUNCTION timebank_entry_summaries() RETURNS trigger AS $$
BEGIN
    PERFORM timebank_summaries_count(NEW.transfer_id, NEW.id, NEW.account_id, NEW.minutes, 1, true);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER timebank_entry_summaries AFTER INSERT ON timebank_entry
    FOR EACH ROW EXECUTE FUNCTION timebank_entry_summaries();
"""


def per_statement(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD.replace("{tz}", settings.TIME_ZONE))


def per_row(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [("timebank", "0020_carers")]

    operations = [migrations.RunPython(per_statement, per_row, elidable=False)]
