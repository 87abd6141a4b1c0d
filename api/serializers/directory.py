"""Directory output: services with their organisation, locations and distance.

Search results are the hot path of the API, so `search_results_data` builds them
from two narrow queries as plain dicts, in exactly the shape ServiceResultSerializer
documents (tests/api/test_directory.py compares the two on the same results);
one service's page goes through the serializers.
"""

from collections import defaultdict

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.common import OrganisationRefSerializer, StrictSerializer
from assets.models import (
    ACCESSIBILITY_FEATURES,
    ServiceAtLocation,
    ServiceAttribute,
    accessibility_labels,
    one_line_address,
)
from core.compiled import CompiledQuery, uuid_text

DAY_HELP = "A day of the week, like monday or MO."


class ServiceSearchQuerySerializer(StrictSerializer):
    near = serializers.CharField(max_length=100, help_text="A postcode (RG1 7QE or RG1), a place name, or lat,lng.")
    radius_km = serializers.FloatField(required=False, min_value=0.1, max_value=50, default=5)
    category = serializers.SlugField(
        max_length=80, required=False, help_text="A category slug from /api/v1/categories/."
    )
    q = serializers.CharField(max_length=100, required=False, help_text="Words to look for.")
    day = serializers.CharField(max_length=10, required=False, help_text=DAY_HELP)
    free = serializers.BooleanField(required=False, default=False, help_text="Only free services.")
    accessibility = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, max_length=7, help_text="e.g. step_free_access"
    )
    page = serializers.IntegerField(required=False, min_value=1, max_value=100000, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)


class LocationOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    address = serializers.CharField(source="one_line_address")
    postcode = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    accessibility = serializers.ListField(child=serializers.CharField(), source="accessibility_labels")


class ServiceOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    status = serializers.CharField()
    organisation = OrganisationRefSerializer()
    categories = serializers.SerializerMethodField()
    locations = serializers.SerializerMethodField()
    is_free = serializers.BooleanField()
    cost_description = serializers.CharField()
    accepts_referrals = serializers.BooleanField()
    last_reviewed = serializers.DateField(allow_null=True)
    is_stale = serializers.BooleanField()

    def get_categories(self, service) -> list[str]:
        return list(dict.fromkeys(term.slug for term in service.taxonomy_terms.all()))

    @extend_schema_field(LocationOutSerializer(many=True))
    def get_locations(self, service):
        """In a search, the location that matched (the nearest); otherwise all of them."""
        locations = getattr(service, "matched_locations", None)
        if locations is None:
            locations = [sal.location for sal in service.service_at_locations.all()]
        return LocationOutSerializer(locations, many=True).data


class ServiceResultSerializer(ServiceOutSerializer):
    """A search result: the service and how far away its nearest location is."""

    distance_km = serializers.FloatField()
    distance_miles = serializers.FloatField()


class CategoryOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    # DRF's metaclass moves declared fields into _declared_fields, so this never
    # shadows Field.parent (the bound serializer), which the stubs cannot tell.
    parent = serializers.SerializerMethodField()  # type: ignore[assignment]

    def get_parent(self, term) -> str | None:
        return term.parent.slug if term.parent_id else None


_ACCESSIBILITY = [field for field, _ in ACCESSIBILITY_FEATURES]
_ADDRESS = ["address_1", "address_2", "city", "postcode"]
_RESULT_FIELDS = [
    "id",
    "service_id",
    "service__name",
    "service__description",
    "service__status",
    "service__organisation_id",
    "service__organisation__name",
    "service__is_free",
    "service__cost_description",
    "service__accepts_referrals",
    "service__last_reviewed",
    "location_id",
    "location__name",
    "location__latitude",
    "location__longitude",
    *(f"location__{field}" for field in _ADDRESS + _ACCESSIBILITY),
]


_PRINTED_IDS = tuple(_RESULT_FIELDS.index(name) for name in ("service_id", "service__organisation_id", "location_id"))
# Compiled once per page size (core/compiled.py): these run on every search.
_RESULT_ROWS = CompiledQuery(lambda ids: ServiceAtLocation.objects.filter(id__in=ids).values_list(*_RESULT_FIELDS))
_RESULT_CATEGORIES = CompiledQuery(
    lambda ids: (
        ServiceAttribute.objects.filter(service_id__in=ids)
        .order_by("taxonomy_term__name")
        .values_list("service_id", "taxonomy_term__slug", "taxonomy_term__name")
        .distinct()
    )
)


def search_results_data(rows) -> list[dict]:
    """ServiceResultSerializer's output for asset_search_rows results, in two queries."""
    if not rows:
        return []
    # The ids that are only printed stay as the database gives them (uuid_text).
    fetched, _ = _RESULT_ROWS.raw_rows(later=_PRINTED_IDS, ids=[r.service_at_location_id for r in rows])
    found = {values[0]: dict(zip(_RESULT_FIELDS, values)) for values in fetched}
    categories = defaultdict(list)
    fetched, _ = _RESULT_CATEGORIES.raw_rows(later=(0,), ids=[r.service_id for r in rows])
    for service_id, slug, _ in fetched:
        categories[uuid_text(service_id)].append(slug)
    results = []
    for ranked in rows:
        row = found[ranked.service_at_location_id]
        reviewed = row["service__last_reviewed"]
        service_id = uuid_text(row["service_id"])
        results.append(
            {
                "id": service_id,
                "name": row["service__name"],
                "description": row["service__description"],
                "status": row["service__status"],
                "organisation": {
                    "id": uuid_text(row["service__organisation_id"]),
                    "name": row["service__organisation__name"],
                },
                "categories": categories[service_id],
                "locations": [
                    {
                        "id": uuid_text(row["location_id"]),
                        "name": row["location__name"],
                        "address": one_line_address(*(row[f"location__{field}"] for field in _ADDRESS)),
                        "postcode": row["location__postcode"],
                        "latitude": row["location__latitude"],
                        "longitude": row["location__longitude"],
                        "accessibility": accessibility_labels({f: row[f"location__{f}"] for f in _ACCESSIBILITY}),
                    }
                ],
                "is_free": row["service__is_free"],
                "cost_description": row["service__cost_description"],
                "accepts_referrals": row["service__accepts_referrals"],
                "last_reviewed": reviewed.isoformat() if reviewed else None,
                "is_stale": ranked.is_stale,
                "distance_km": ranked.distance_km,
                "distance_miles": ranked.distance_miles,
            }
        )
    return results
