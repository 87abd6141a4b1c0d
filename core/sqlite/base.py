"""Django's SQLite backend, with one change: a table rebuild keeps the triggers.

SQLite cannot alter most of a column, so Django's schema editor rebuilds the
table instead (`_remake_table`: create "new__<table>", copy the rows, drop the
old table, rename the new one). That loses what Django does not know about:
the triggers the ledger relies on on SQLite (append-only rows, the summaries
of timebank/summaries.py). A trigger ON the rebuilt table is dropped with it,
and SQLite refuses the final rename while a trigger on another table names the
dropped one ("error in trigger ...: no such table"). So every trigger whose SQL
names the table is set aside before the rebuild and created again after it,
unchanged; a trigger that no longer fits the new table fails the migration
loudly instead of going missing.

Settings name this module as the SQLite ENGINE (config/settings.py).
"""

from __future__ import annotations

import re
from typing import Any

from django.db.backends.sqlite3 import base, schema


def _names_table(sql: str, table: str) -> bool:
    """Whether trigger SQL names `table` as a word (quoted or not)."""
    return re.search(rf'(?<![\w"]){re.escape(table)}(?![\w"])|"{re.escape(table)}"', sql, re.IGNORECASE) is not None


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _remake_table(
        self, model: Any, create_field: Any = None, delete_field: Any = None, alter_fields: Any = None
    ) -> None:
        table = model._meta.db_table
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL ORDER BY name"
            )
            triggers = [(name, sql) for name, sql in cursor.fetchall() if _names_table(sql, table)]
        for name, _sql in triggers:
            self.execute(f'DROP TRIGGER "{name}"')
        super()._remake_table(model, create_field=create_field, delete_field=delete_field, alter_fields=alter_fields)  # type: ignore[misc]  # private in Django, absent from its stubs
        for _name, sql in triggers:
            self.execute(sql)


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
