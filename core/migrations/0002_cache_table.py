"""The table settings.CACHES uses when there is no Redis (the database cache:
one cache every gunicorn worker shares, so throttles and form limits hold
whatever the number of workers). Made on every database, whatever CACHES says
today, so a deployment that drops REDIS_URL later finds it there."""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

CACHE_TABLE = "core_cache"  # settings.CACHES["default"]["LOCATION"] without Redis


def create_cache_table(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    # Django's own command: the same columns and index as `manage.py createcachetable`;
    # it does nothing when the table is already there.
    command.create_table(schema_editor.connection.alias, CACHE_TABLE, dry_run=False)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table, elidable=False)]
