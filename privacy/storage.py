"""What erased or anonymised text leaves behind in the database's own files.

SQLite in WAL mode writes every change to the -wal file first and copies it
into the database file at a checkpoint; until then the old and new pages,
including the text just erased, sit in the -wal file. After an erasure or an
anonymising run commits, `truncate_write_ahead_log_on_commit` checkpoints the
log and truncates it to nothing.

PostgreSQL keeps old row versions until VACUUM reclaims them (autovacuum does
so in the background); there is nothing for the application to run.
"""

import logging

from django.db import connection, transaction

logger = logging.getLogger(__name__)


def truncate_write_ahead_log() -> None:
    """Checkpoint SQLite's write-ahead log and truncate it; nothing elsewhere."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy, _, _ = cursor.fetchone()
    if busy:
        # Another connection was reading: the pages are checkpointed at the
        # next checkpoint that finds no reader. Logged without any data.
        logger.warning("The SQLite write-ahead log could not be truncated after an erasure: a reader was busy.")


def truncate_write_ahead_log_on_commit() -> None:
    """After the current transaction commits: inside it, the erased text is not yet
    in the log, and a checkpoint cannot run in an open write transaction."""
    transaction.on_commit(truncate_write_ahead_log)
