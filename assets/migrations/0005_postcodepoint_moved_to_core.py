"""PostcodePoint now belongs to the kernel (core.0001); its table is kept."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("assets", "0004_search_entries"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="PostcodePoint")],
            database_operations=[],
        ),
    ]
