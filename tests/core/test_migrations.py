"""Moving the unit-postcode table from assets to the kernel changed Django's
record of its owner only: rows written before the move are read after it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("assets", "0004_search_entries"), ("core", None)]
AFTER = [("assets", "0005_postcodepoint_moved_to_core"), ("core", "0001_initial")]


def migrate(targets):
    """Migrate to `targets`; return the models as they were at those migrations."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


@pytest.mark.django_db(transaction=True)
def test_postcodes_stored_before_the_move_are_found_after_it():
    try:
        old_apps = migrate(BEFORE)
        old_apps.get_model("assets", "PostcodePoint").objects.create(
            postcode="RG1 7QE", latitude=51.4571, longitude=-0.9710
        )
        new_apps = migrate(AFTER)
        assert [p.postcode for p in new_apps.get_model("core", "PostcodePoint").objects.all()] == ["RG1 7QE"]
        with pytest.raises(LookupError):
            new_apps.get_model("assets", "PostcodePoint")
    finally:
        # Later tests expect every migration applied.
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_table_keeps_its_name_so_no_data_moves():
    from core.models import PostcodePoint

    assert PostcodePoint._meta.db_table == "assets_postcodepoint"
    assert "assets_postcodepoint" in connection.introspection.table_names()
