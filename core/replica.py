"""Reports and exports may read from a PostgreSQL replica (docs/deploy.md).

When REPORTS_DATABASE_URL is set, settings add a "reports" database and
`ReportsRouter`. Code that only reads figures wraps its reads in
`reading_reports()`: inside it, every read goes to the replica; outside it,
and for every write, the primary is used, so nothing a person just did is ever
read back from a replica that has not caught up. Without the setting
everything reads the primary, and `reading_reports()` changes nothing.

A replica lags its primary by a little. The reports read the ledger's
summaries, which a lagging replica holds consistently as of one moment, and a
report page says "figures as of …" with `reports_as_of()`.
"""

import contextlib
import contextvars
import datetime
from collections.abc import Iterator

from django.conf import settings
from django.db import connections
from django.utils import timezone

REPORTS = "reports"
_reading_reports: contextvars.ContextVar[bool] = contextvars.ContextVar("reading_reports", default=False)


def reports_database_configured() -> bool:
    return REPORTS in settings.DATABASES


@contextlib.contextmanager
def reading_reports() -> Iterator[str]:
    """Route this block's reads to the reports replica when there is one; yields the alias used."""
    token = _reading_reports.set(True)
    try:
        yield REPORTS if reports_database_configured() else "default"
    finally:
        _reading_reports.reset(token)


class ReportsRouter:
    """Reads inside `reading_reports()` go to the replica; everything else to the primary."""

    def db_for_read(self, model, **hints):
        if _reading_reports.get() and reports_database_configured():
            return REPORTS
        return None  # Django's own choice: the primary, or the database the instance came from

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: objects from either may be related.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica is migrated by replication, never directly.
        return db == "default"


def reports_as_of() -> datetime.datetime:
    """When the figures a report reads were true: the replica's last replayed
    transaction (now when it is fully caught up or there is no replica)."""
    now = timezone.now()
    if not reports_database_configured():
        return now
    connection = connections[REPORTS]
    if connection.vendor != "postgresql":
        return now
    with connection.cursor() as cursor:
        # NULL on a server that is not replaying (a primary used as "reports").
        cursor.execute(
            "SELECT CASE WHEN pg_is_in_recovery() AND pg_last_wal_receive_lsn() <> pg_last_wal_replay_lsn()"
            " THEN pg_last_xact_replay_timestamp() END"
        )
        replayed = cursor.fetchone()[0]
    return min(replayed, now) if replayed is not None else now
