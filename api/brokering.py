"""GET /api/v1/listings/{id}/suggestions/: the ranked helpers for a request,
with plain-English reasons, and community services that could help.

Who may call: a coordinator (session) of the request's timebank
(timebank.permissions.is_coordinator_of; a network administrator, any), or an
API client of the organisation that *is* the request's timebank
(assets.Organisation.timebank) holding the "brokering:read" scope. Everyone
else gets 404 for the listing (they must not learn which requests exist; a
coordinator of another timebank included) or 403 when their role can never
use it.
"""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied

from api.authentication import ApiClientPrincipal
from api.pagination import StandardPagination
from api.views.base import ApiView
from brokering.selectors.matching import suggest_assets, suggest_helpers
from timebank.models import Listing, ListingKind
from timebank.permissions import coordinated_timebanks

# Suggestions beyond this are never useful to a coordinator; the page size caps each answer.
MAX_SUGGESTIONS = 100


class SuggestedMemberSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    display_name = serializers.CharField()


class SuggestionSerializer(serializers.Serializer):
    member = SuggestedMemberSerializer()
    score = serializers.IntegerField(help_text="0 to 100; higher is a better match.")
    distance_km = serializers.FloatField(
        allow_null=True, help_text="Kilometres between the two people; null for phone or online help."
    )
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Plain-English reasons, best first.")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if data["distance_km"] is not None:
            data["distance_km"] = round(data["distance_km"], 2)
        return data


class SuggestedAssetSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="service.id")
    name = serializers.CharField(source="service.name")
    organisation = serializers.CharField(source="service.organisation.name")
    distance_km = serializers.FloatField()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["distance_km"] = round(data["distance_km"], 2)
        return data


class SuggestionPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SuggestionSerializer(many=True)
    assets = SuggestedAssetSerializer(many=True, help_text="Directory services near the requester for the same need.")


class ListingSuggestionsView(ApiView):
    required_scopes = {"read": "brokering:read", "write": "brokering:read"}
    serializer_class = SuggestionSerializer
    pagination_class = StandardPagination

    def _request_listing(self, listing_id) -> Listing:
        user = self.request.user
        if not isinstance(user, ApiClientPrincipal) and not getattr(user, "is_coordinator", False):
            raise PermissionDenied(_("Match suggestions are for coordinators."))
        if isinstance(user, ApiClientPrincipal):
            timebank_ids = [user.organisation.timebank_id]
        else:
            timebank_ids = list(coordinated_timebanks(user).values_list("pk", flat=True))
        listing = (
            Listing.objects.select_related("member", "category", "timebank")
            .filter(public_id=listing_id, kind=ListingKind.REQUEST, timebank_id__in=timebank_ids)
            .first()
        )
        if listing is None:
            # Also another timebank's request: nobody learns that it exists.
            raise NotFound(_("No such request."))
        return listing

    @extend_schema(
        summary="Ranked helpers for a request, with reasons",
        parameters=[
            OpenApiParameter("listing_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The request's id")
        ],
        responses={
            200: SuggestionPageSerializer,
            403: OpenApiResponse(description="Only coordinators or the timebank's own API clients"),
            404: OpenApiResponse(description="No such request, or not your timebank's"),
        },
    )
    def get(self, request, listing_id):
        listing = self._request_listing(listing_id)
        suggestions = suggest_helpers(request=listing, limit=MAX_SUGGESTIONS)
        page = self.paginate_queryset(suggestions)
        response = self.get_paginated_response(SuggestionSerializer(page, many=True).data)
        response.data["assets"] = SuggestedAssetSerializer(suggest_assets(request=listing), many=True).data
        return response
