"""Listings carry a copy of their member's place, for match suggestions'
bounding-box index; existing listings take it from their member."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_member_place(apps, schema_editor):
    Listing = apps.get_model("timebank", "Listing")
    Member = apps.get_model("timebank", "Member")
    owner = Member.objects.filter(pk=OuterRef("member_id"))
    # One UPDATE for every listing: no rows are loaded into Python.
    Listing.objects.update(
        latitude=Subquery(owner.values("latitude")[:1]), longitude=Subquery(owner.values("longitude")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("timebank", "0004_coordinator_admin_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="listing",
            name="latitude",
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="listing",
            name="longitude",
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(copy_member_place, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="listing",
            index=models.Index(
                fields=["timebank", "kind", "status", "category", "latitude", "longitude"], name="listing_offer_place"
            ),
        ),
    ]
