"""Categories belong to a timebank (step 3 of 3): every category has one
(0011), so the link is required, and a name or slug is used once per timebank."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("timebank", "0011_categories_per_timebank"),
    ]

    operations = [
        migrations.AlterField(
            model_name="category",
            name="timebank",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="categories", to="timebank.timebank"
            ),
        ),
        migrations.AddConstraint(
            model_name="category",
            constraint=models.UniqueConstraint(fields=("timebank", "slug"), name="category_slug_once_per_timebank"),
        ),
        migrations.AddConstraint(
            model_name="category",
            constraint=models.UniqueConstraint(fields=("timebank", "name"), name="category_name_once_per_timebank"),
        ),
    ]
