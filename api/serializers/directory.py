"""Directory output: services with their organisation, locations and distance."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.common import OrganisationRefSerializer, StrictSerializer

DAY_HELP = "A day of the week, like monday or MO."


class ServiceSearchQuerySerializer(StrictSerializer):
    near = serializers.CharField(max_length=100, help_text="A postcode (RG1 7QE or RG1), a place name, or lat,lng.")
    radius_km = serializers.FloatField(required=False, min_value=0.1, max_value=50, default=5)
    category = serializers.SlugField(max_length=80, required=False, help_text="A category slug from /api/v1/categories/.")
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
        return [term.slug for term in service.taxonomy_terms.all()]

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
    parent = serializers.SerializerMethodField()

    def get_parent(self, term) -> str | None:
        return term.parent.slug if term.parent_id else None
