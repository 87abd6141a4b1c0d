"""GET /api/v1/gp-record-events/: the coded events on referrals the caller's
organisation made, oldest first, for its system to write into GP records.

A cursor feed, not numbered pages: events keep arriving, and a cursor (opaque,
after an event id) never skips or repeats one while they do. Which events show
is the consent policy's (referrals.gp_events.shown_events); every referral whose
events are returned gets one list row in the access log (D2)."""

from django.utils.http import urlencode
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.actors import actor_from_request
from api.serializers.gp_events import GpRecordEventFeedItemSerializer, GpRecordEventFeedSerializer
from api.throttles import ClientScopedThrottle
from api.views.base import ApiView
from core.errors import InvalidInputError
from referrals import gp_events, services

DEFAULT_SIZE = 20
MAX_SIZE = 100


class _FeedQuery(serializers.Serializer):
    cursor = serializers.CharField(required=False, max_length=200, allow_blank=True)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_SIZE)


class GpRecordEventFeedView(ApiView):
    required_scopes = {"read": "referrals:read", "write": "referrals:write"}
    throttle_scopes = {"read": "referrals-read", "write": "referrals-write"}
    throttle_classes = [ClientScopedThrottle]
    pagination_class = None
    filter_backends: list = []
    serializer_class = GpRecordEventFeedSerializer

    @extend_schema(
        summary="GP record events on referrals your organisation made, oldest first",
        description=(
            "SNOMED CT codes to write into each person's GP record: referral made, declined, discharged. "
            "Without the person's consent to share back, only the referral made. Follow `next` until it is "
            "null; keep `cursor` and pass it later to get only newer events."
        ),
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From a previous page's cursor or next link."),
            OpenApiParameter(
                "page_size", OpenApiTypes.INT, description=f"1 to {MAX_SIZE}; {DEFAULT_SIZE} if left out."
            ),
        ],
        responses={
            200: GpRecordEventFeedSerializer,
            400: OpenApiResponse(description="The cursor or page size is not valid: {error: {code, message, fields}}"),
        },
    )
    def get(self, request):
        query = _FeedQuery(data=request.query_params)
        if not query.is_valid():
            field = next(iter(query.errors))
            if field == "page_size":
                raise InvalidInputError(
                    _("Page size is a whole number from 1 to %(most)s.") % {"most": MAX_SIZE}, field=field
                )
            raise InvalidInputError(_("This cursor is not one this API gave out."), field=field)
        actor = actor_from_request(request)
        page = gp_events.referrer_event_feed(
            actor=actor,
            cursor=query.validated_data.get("cursor", ""),
            size=query.validated_data.get("page_size", DEFAULT_SIZE),
        )
        touched = list({event.referral_id: event.referral for event in page.events}.values())
        services.referrals_read(actor=actor, referrals=touched)
        next_link = None
        if page.more:
            params = {"cursor": page.cursor}
            if "page_size" in query.validated_data:
                params["page_size"] = query.validated_data["page_size"]
            next_link = request.build_absolute_uri(f"{request.path}?{urlencode(params)}")
        return Response(
            {
                "next": next_link,
                "cursor": page.cursor,
                "results": GpRecordEventFeedItemSerializer(page.events, many=True).data,
            }
        )
