"""The search index: one row per (category on a service) x (place the service runs).

A one-category search reads only that category's rows in the few grid cells its
box covers, so it touches tens of rows instead of every location in the box with
a join per row to check the category. The rows are derived data, kept by
database triggers (migration 0004) on ServiceAttribute, ServiceAtLocation and
Location, so every write path (forms, the Open Referral import's bulk writes, the
admin, raw SQL) keeps them right and nothing in Python has to remember to.
Django never writes this table; it only reads it.

On SQLite, a later migration that rebuilds one of those three tables (Django
does that for most column changes) drops its triggers: such a migration must
create that table's triggers again from TRIGGERS in 0004 (tests/assets/test_search_index.py
fails otherwise).
"""

from django.db import models

from assets.models.directory import (
    Location,
    Service,
    ServiceAtLocation,
    ServiceAttribute,
    grid_cell_field,
)
from assets.models.taxonomy import TaxonomyTerm


def _derived(model, **options):
    """A reference to a row the triggers copied from: no database constraint (the
    triggers delete these rows with their source) and nothing for Django to cascade."""
    return models.ForeignKey(model, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", **options)


class SearchEntry(models.Model):
    id = models.BigAutoField(primary_key=True)
    attribute = _derived(ServiceAttribute, db_index=False)  # the unique pair below leads with it
    service_at_location = _derived(ServiceAtLocation)
    location = _derived(Location)
    service = _derived(Service, db_index=False)
    taxonomy_term = _derived(TaxonomyTerm, db_index=False)
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    grid_cell = grid_cell_field()

    class Meta:
        verbose_name_plural = "search entries"
        constraints = [
            models.UniqueConstraint(fields=["attribute", "service_at_location"], name="search_entry_unique_pair"),
        ]
        # A one-category search: term, then grid_cell IN (...), then the latitude range,
        # with everything it returns in the index itself.
        indexes = [
            models.Index(
                fields=["taxonomy_term", "grid_cell", "latitude", "longitude", "service", "service_at_location"],
                name="search_entry_term_cell_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} at {self.location_id} in {self.taxonomy_term_id}"
