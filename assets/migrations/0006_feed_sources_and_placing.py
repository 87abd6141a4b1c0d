import uuid

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assets", "0005_postcodepoint_moved_to_core"),
    ]

    operations = [
        migrations.CreateModel(
            name="FeedSource",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                (
                    "name",
                    models.CharField(
                        help_text="Who publishes it, like 'Reading Services Guide'.", max_length=200, unique=True
                    ),
                ),
                (
                    "url",
                    models.CharField(
                        help_text="The feed's base URL (https://…, without /services) or a file on the server.",
                        max_length=500,
                    ),
                ),
                ("version", models.CharField(blank=True, max_length=10)),
                (
                    "schedule",
                    models.CharField(
                        choices=[
                            ("manual", "Only when someone asks"),
                            ("daily", "Every day"),
                            ("weekly", "Every week"),
                        ],
                        default="daily",
                        max_length=10,
                    ),
                ),
                ("is_active", models.BooleanField(default=True)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("never", "Not run yet"),
                            ("queued", "Waiting to run"),
                            ("running", "Running"),
                            ("succeeded", "Finished"),
                            ("failed", "Failed"),
                        ],
                        default="never",
                        max_length=10,
                    ),
                ),
                ("run_requested_at", models.DateTimeField(blank=True, null=True)),
                ("last_started_at", models.DateTimeField(blank=True, null=True)),
                ("last_finished_at", models.DateTimeField(blank=True, null=True)),
                ("last_succeeded_at", models.DateTimeField(blank=True, null=True)),
                ("created_count", models.PositiveIntegerField(default=0)),
                ("updated_count", models.PositiveIntegerField(default=0)),
                ("unchanged_count", models.PositiveIntegerField(default=0)),
                ("skipped_count", models.PositiveIntegerField(default=0)),
                ("unplaced_count", models.PositiveIntegerField(default=0)),
                ("last_report", models.JSONField(blank=True, default=dict)),
                ("last_error", models.CharField(blank=True, max_length=1000)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["name"],
            },
        ),
        # Added by hand: SQLite would rebuild assets_location for a NOT NULL column,
        # which the search triggers on that table (0004) do not survive. A column
        # with a constant default is added in place on SQLite and PostgreSQL alike.
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE assets_location ADD COLUMN placed_by varchar(10) NOT NULL DEFAULT ''",
                    "ALTER TABLE assets_location DROP COLUMN placed_by",
                )
            ],
            state_operations=[
                migrations.AddField(
                    model_name="location",
                    name="placed_by",
                    field=models.CharField(
                        blank=True,
                        choices=[
                            ("", "Given with the place"),
                            ("postcode", "Found from its postcode"),
                            ("district", "Centre of its postcode district"),
                        ],
                        db_default="",
                        default="",
                        max_length=10,
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="service",
            name="source_checked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="service",
            name="source",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="services",
                to="assets.feedsource",
            ),
        ),
    ]
