"""core/sqlite: a table rebuild (how Django alters most columns on SQLite)
keeps the triggers that name the table, where Django's own backend loses the
triggers on the table and refuses the rename while another table's trigger
names it. Run on a SQLite file of its own, whatever database the suite uses."""

import sqlite3

import pytest
from django.db import connections, models
from django.db.backends.sqlite3.base import DatabaseWrapper as StockWrapper
from django.db.utils import IntegrityError, OperationalError
from django.test.utils import isolate_apps

from core.sqlite.base import DatabaseWrapper, _names_table

TRIGGERS = [
    # On another table, naming the rebuilt one (the summaries' shape).
    """CREATE TRIGGER core_child_marks_parent AFTER INSERT ON core_child BEGIN
         UPDATE core_parent SET name = 'seen' WHERE id = NEW.parent_id; END""",
    # On the rebuilt table itself (the append-only shape).
    """CREATE TRIGGER core_parent_no_delete BEFORE DELETE ON core_parent BEGIN
         SELECT RAISE(ABORT, 'append-only'); END""",
]


@pytest.fixture
def unblocked(django_db_blocker):
    """A database file of the test's own, outside the suite's test database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def wrappers():
    """Connections to database files of the test's own, known to Django by alias
    (its atomic blocks look them up), and forgotten afterwards."""
    made = []

    def make(wrapper_class, path):
        alias = f"remake-{path.stem}"
        settings = {**connections.settings["default"], "ENGINE": "core.sqlite", "NAME": str(path), "OPTIONS": {}}
        connections.settings[alias] = settings
        wrapper = wrapper_class(settings, alias=alias)
        connections[alias] = wrapper
        made.append(alias)
        return wrapper

    yield make
    for alias in made:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


def _build(wrapper):
    class Parent(models.Model):
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "core"

    class Child(models.Model):
        parent = models.ForeignKey(Parent, on_delete=models.CASCADE)

        class Meta:
            app_label = "core"

    with wrapper.schema_editor() as editor:
        editor.create_model(Parent)
        editor.create_model(Child)
    with wrapper.cursor() as cursor:
        for sql in TRIGGERS:
            cursor.execute(sql)
    longer = models.CharField(max_length=20)
    longer.set_attributes_from_name("name")
    longer.model = Parent
    return Parent, longer


def _widen(wrapper, parent, longer):
    """Widen core_parent.name: on SQLite, Django rebuilds the table for it."""
    with wrapper.schema_editor() as editor:
        editor.alter_field(parent, parent._meta.get_field("name"), longer)


@isolate_apps("core")
def test_a_rebuilt_table_keeps_the_triggers_on_it_and_those_that_name_it(tmp_path, unblocked, wrappers):
    wrapper = wrappers(DatabaseWrapper, tmp_path / "ours.sqlite3")
    parent, longer = _build(wrapper)

    _widen(wrapper, parent, longer)

    with wrapper.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        assert [row[0] for row in cursor.fetchall()] == ["core_child_marks_parent", "core_parent_no_delete"]
        cursor.execute("INSERT INTO core_parent (name) VALUES ('a name of 16 ch')")
        cursor.execute("INSERT INTO core_child (parent_id) VALUES (1)")
        cursor.execute("SELECT name FROM core_parent")
        assert cursor.fetchone()[0] == "seen"
        with pytest.raises(IntegrityError, match="append-only"):
            cursor.execute("DELETE FROM core_parent")


@isolate_apps("core")
def test_djangos_own_backend_refuses_the_same_rebuild(tmp_path, unblocked, wrappers):
    """Why core/sqlite exists: the stock schema editor cannot rename the new table."""
    wrapper = wrappers(StockWrapper, tmp_path / "stock.sqlite3")
    parent, longer = _build(wrapper)

    with pytest.raises((OperationalError, sqlite3.OperationalError), match="error in trigger"):
        _widen(wrapper, parent, longer)


def test_a_trigger_names_a_table_only_as_a_whole_word():
    assert _names_table('UPDATE "timebank_listing" SET x = 1', "timebank_listing")
    assert _names_table("SELECT category_id FROM timebank_listing l", "timebank_listing")
    assert not _names_table("SELECT 1 FROM timebank_listing_tags", "timebank_listing")
    assert not _names_table("SELECT 1 FROM new__timebank_listing", "timebank_listing")
