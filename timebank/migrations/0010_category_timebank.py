"""Categories belong to a timebank (step 1 of 3): the link, still optional, and
names and slugs no longer unique across the install (two timebanks may both
have "Gardening"). 0011 gives every category a timebank; 0012 makes the link
required and names and slugs unique within a timebank.

Three migrations, not one: on PostgreSQL a table cannot be altered in the
transaction that wrote rows to it while foreign-key checks are still pending.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("timebank", "0009_safeguarding_override"),
    ]

    operations = [
        migrations.AlterField(
            model_name="category",
            name="name",
            field=models.CharField(max_length=80),
        ),
        migrations.AlterField(
            model_name="category",
            name="slug",
            field=models.SlugField(max_length=80),
        ),
        migrations.AddField(
            model_name="category",
            name="timebank",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="categories",
                to="timebank.timebank",
            ),
        ),
    ]
