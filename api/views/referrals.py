"""Referral endpoints: list, make, read, move on, outcomes, consent, webhooks.
Scoping is the selectors' (A1), rules the services' (states.py), logging the
services' access log (D2)."""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from api.actors import actor_from_request
from api.filters import ReferralFilter
from api.serializers import referrals as s
from api.throttles import ClientScopedThrottle, ReferralDailyThrottle
from api.views.base import ApiView
from referrals import services
from referrals.models import Referral, WebhookSubscription
from referrals.selectors import referral_with_details, referrals_visible_to, with_history

READ_WRITE = {"read": "referrals:read", "write": "referrals:write"}
THROTTLES = {"read": "referrals-read", "write": "referrals-write"}
ERRORS = {
    400: OpenApiResponse(description="Some fields need attention: {error: {code, message, fields}}"),
    404: OpenApiResponse(description="Not found, or not yours to see"),
}


def referral_create_from(actor, data, *, external_id_system: str = "", external_id: str = "") -> Referral:
    """Make a referral from a validated ReferralCreateSerializer body: the one call
    the JSON API and the FHIR API (api/fhir/views.py, with the referrer's own id) share."""
    person: dict[str, Any] = {key: (value if value is not None else "") for key, value in data["person"].items()}
    person["date_of_birth"] = data["person"].get("date_of_birth")
    consent = data.get("consent")
    # true (the only timebank) or a timebank's short name; the service decides which.
    timebank = data["target"].get("timebank")
    return services.referral_create(
        actor=actor,
        person=services.PersonDetails(**person),
        consent=services.ConsentDetails(**consent) if consent else None,
        what_matters=data["what_matters"],
        needs=data["needs"],
        target_service_id=data["target"].get("service"),
        to_timebank=timebank is True,
        target_timebank=timebank if isinstance(timebank, str) else "",
        priority=data["priority"],
        notes=data["notes"],
        draft=data["status"] == "draft",
        eligibility_override_reason=s.override_reason(data.get("eligibility_override")),
        external_id_system=external_id_system,
        external_id=external_id,
    )


class ReferralApiView(ApiView):
    required_scopes = READ_WRITE
    throttle_scopes = THROTTLES
    throttle_classes = [ClientScopedThrottle]

    @property
    def actor(self):
        return actor_from_request(self.request)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # Schema generation has no real client or organisation to scope by.
            return Referral.objects.none()
        return referrals_visible_to(self.actor)

    def render_detail(self, referral_id, *, status_code=status.HTTP_200_OK, log_read: bool = False):
        queryset = referral_with_details(self.get_queryset())
        if log_read:
            referral = services.referral_read(actor=self.actor, referral_id=referral_id, queryset=queryset)
        else:
            referral = queryset.get(pk=referral_id)
        data = s.ReferralDetailSerializer(referral, context={"actor": self.actor}).data
        return Response(data, status=status_code)


class ReferralListCreateView(ReferralApiView):
    serializer_class = s.ReferralSerializer
    filterset_class = ReferralFilter
    throttle_classes = [ClientScopedThrottle, ReferralDailyThrottle]

    @property
    def action(self):
        return "create" if self.request.method == "POST" else "list"

    @extend_schema(summary="Referrals your organisation made or received", responses=s.ReferralSerializer(many=True))
    def get(self, request):
        # With the history: each row shows only the progress its caller may see (referrals/consent.py).
        queryset = with_history(self.filter_queryset(self.get_queryset())).order_by("-created_at", "pk")
        page = self.paginate_queryset(queryset)
        services.referrals_read(actor=self.actor, referrals=page)
        data = s.ReferralSerializer(page, many=True, context={"actor": self.actor}).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="Make a referral",
        request=s.ReferralCreateSerializer,
        responses={201: s.ReferralDetailSerializer, **ERRORS},
        examples=s.CREATE_EXAMPLES,
    )
    def post(self, request):
        body = s.ReferralCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        referral = referral_create_from(self.actor, body.validated_data)
        response = self.render_detail(referral.pk, status_code=status.HTTP_201_CREATED)
        response["Location"] = reverse("api:referral-detail", args=[referral.pk])
        return response


class ReferralDetailView(ReferralApiView):
    serializer_class = s.ReferralDetailSerializer

    @extend_schema(
        summary="One referral with its history", responses={200: s.ReferralDetailSerializer, 404: ERRORS[404]}
    )
    def get(self, request, referral_id):
        return self.render_detail(referral_id, log_read=True)


class ReferralTransitionView(ReferralApiView):
    serializer_class = s.TransitionSerializer

    @extend_schema(
        summary="Move a referral to another status",
        request=s.TransitionSerializer,
        responses={
            200: s.ReferralDetailSerializer,
            **ERRORS,
            403: OpenApiResponse(description="The other organisation makes this move"),
            409: OpenApiResponse(description="Not possible from the referral's current status"),
        },
        examples=s.TRANSITION_EXAMPLES,
    )
    def post(self, request, referral_id):
        body = s.TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.referral_transition(
            actor=self.actor,
            referral_id=referral_id,
            to=body.validated_data["to"],
            reason=body.validated_data.get("reason"),
            business_status=body.validated_data.get("business_status"),
            eligibility_override_reason=s.override_reason(body.validated_data.get("eligibility_override")),
        )
        return self.render_detail(referral_id)


class ReferralOutcomeView(ReferralApiView):
    serializer_class = s.OutcomeInSerializer

    @extend_schema(
        summary="Record an outcome measure (e.g. ONS4)",
        request=s.OutcomeInSerializer,
        responses={201: s.OutcomeOutSerializer, **ERRORS},
        examples=s.OUTCOME_EXAMPLES,
    )
    def post(self, request, referral_id):
        body = s.OutcomeInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outcome = services.referral_outcome_record(actor=self.actor, referral_id=referral_id, **body.validated_data)
        return Response(s.OutcomeOutSerializer(outcome).data, status=status.HTTP_201_CREATED)


class ReferralConsentView(ReferralApiView):
    serializer_class = s.ConsentInSerializer

    @extend_schema(
        summary="Record the person's consent (given: false withdraws it)",
        request=s.ConsentInSerializer,
        responses={200: s.ReferralDetailSerializer, **ERRORS},
    )
    def post(self, request, referral_id):
        body = s.ConsentInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.referral_consent_record(
            actor=self.actor, referral_id=referral_id, consent=services.ConsentDetails(**body.validated_data)
        )
        return self.render_detail(referral_id)


class WebhookListCreateView(ReferralApiView):
    serializer_class = s.WebhookOutSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookSubscription.objects.none()
        return WebhookSubscription.objects.filter(organisation_id=self.actor.organisation_id, is_active=True).order_by(
            "created_at", "pk"
        )

    @extend_schema(summary="Your organisation's webhooks", responses=s.WebhookOutSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.WebhookOutSerializer(page, many=True).data)

    @extend_schema(
        summary="Register a webhook for your organisation's referrals",
        request=s.WebhookInSerializer,
        responses={201: s.WebhookCreatedSerializer, **ERRORS},
    )
    def post(self, request):
        body = s.WebhookInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        subscription = services.webhook_subscription_create(actor=self.actor, url=body.validated_data["url"])
        return Response(s.WebhookCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(ReferralApiView):
    serializer_class = s.WebhookOutSerializer

    @extend_schema(summary="Remove a webhook", responses={204: None, 404: ERRORS[404]})
    def delete(self, request, webhook_id):
        services.webhook_subscription_delete(actor=self.actor, subscription_id=webhook_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
