"""Django's SQLite backend, with table rebuilds that keep the project's triggers
(core/sqlite/base.py)."""
