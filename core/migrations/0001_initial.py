"""PostcodePoint moves from the assets app to the kernel: the table stays as
it is (assets_postcodepoint), only Django's record of its owner changes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    # The table itself is created by assets' first migration.
    dependencies = [("assets", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PostcodePoint",
                    fields=[
                        ("postcode", models.CharField(max_length=8, primary_key=True, serialize=False)),
                        ("latitude", models.FloatField()),
                        ("longitude", models.FloatField()),
                    ],
                    options={"db_table": "assets_postcodepoint"},
                ),
            ],
            database_operations=[],
        ),
    ]
