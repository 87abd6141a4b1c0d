"""FHIR R4 endpoints: read and search Task, ServiceRequest, Patient (referrals),
HealthcareService and Organization (the directory), make a referral with a
transaction Bundle, and the CapabilityStatement.

The rules are the JSON API's: the same OAuth2 scopes and throttles, scoping by
referrals.selectors.referrals_visible_to, reads logged by services.referral_read
and referrals_read, creation by services.referral_create after the JSON API's own
serializer. Errors are OperationOutcomes with the JSON API's status and messages.
"""

import json
import uuid
from collections.abc import Callable

from django.db import IntegrityError
from django.db.models import Q
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from fhir.resources.R4B.resource import Resource
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from api.actors import actor_from_request
from api.errors import api_exception_handler
from api.fhir import builders as b
from api.fhir.parsing import (
    DateBound,
    check_parameters,
    count_and_offset,
    date_bounds,
    fhir_path,
    reference_ids,
    referral_input,
    tokens,
)
from api.parsers import JSONParser
from api.serializers import referrals as s
from api.throttles import ClientScopedThrottle, ReferralDailyThrottle
from api.views.base import ApiView
from api.views.directory import DIRECTORY_SCOPES
from api.views.referrals import READ_WRITE, THROTTLES, referral_create_from
from assets.models import Organisation, Service
from assets.selectors import SEARCHABLE_STATUSES, service_detail
from core.errors import InvalidInputError, NotFoundError
from referrals import services
from referrals.consent import with_shown_progress
from referrals.models import AccessAction, AccessOutcome, Referral, ReferralStatus
from referrals.selectors import referral_with_details, referrals_made_by, referrals_visible_to

FHIR_JSON = "application/fhir+json"


class FhirJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"
    charset = "utf-8"


class FhirJSONParser(JSONParser):
    media_type = FHIR_JSON


def fhir_exception_handler(exc, context):
    """The JSON API's handler decides the status, headers and messages; this
    writes them as an OperationOutcome, each field as the FHIR path it came from."""
    response = api_exception_handler(exc, context)
    if response is None:
        return None
    error = (response.data or {}).get("error", {}) if isinstance(response.data, dict) else {}
    fields = error.get("fields") or {}
    issues = [(message, _expression(name)) for name, messages in fields.items() for message in messages]
    if not issues:
        issues = [(error.get("message") or _("The request was refused."), None)]
    response.data = b.dump(b.operation_outcome(issues, http_status=response.status_code))
    return response


def _expression(field: str) -> str | None:
    mapped = fhir_path(field)
    if mapped:
        return mapped
    # Already a FHIR path (Bundle.entry[0].resource, ServiceRequest...); a search
    # parameter's name is said in the message instead.
    return field if field[:1].isupper() else None


class FhirView(ApiView):
    renderer_classes = [FhirJSONRenderer]
    parser_classes = [FhirJSONParser, JSONParser]
    pagination_class = None
    filter_backends: list = []
    # Not in the OpenAPI schema: FHIR clients read the CapabilityStatement (/fhir/R4/metadata).
    schema = None

    def get_exception_handler(self):
        return fhir_exception_handler

    def perform_content_negotiation(self, request, force=False):
        # Every answer is FHIR JSON, whatever the client accepts (json, fhir+json, */*).
        renderer = FhirJSONRenderer()
        return renderer, renderer.media_type

    @property
    def urls(self) -> b.Urls:
        return b.Urls(self.request.build_absolute_uri(reverse("fhir:base")))

    @property
    def actor(self):
        return actor_from_request(self.request)

    def fhir(self, resource, *, status_code=status.HTTP_200_OK) -> Response:
        return Response(b.dump(resource), status=status_code)


def _page_links(request, *, offset: int, count: int, total: int) -> tuple[str, str | None]:
    url = request.build_absolute_uri()
    next_url = replace_query_param(url, "_offset", offset + count) if offset + count < total else None
    return url, next_url


# --- Metadata ------------------------------------------------------------------------------

TASK_PARAMETERS = {"status": "token", "_lastUpdated": "date", "owner": "reference", "requester": "reference"}
SERVICE_REQUEST_PARAMETERS = {
    "status": "token",
    "_lastUpdated": "date",
    "performer": "reference",
    "requester": "reference",
}
HEALTHCARE_SERVICE_PARAMETERS = {
    "name": "string",
    "active": "token",
    "organization": "reference",
    # Our categories (the taxonomy's slugs, as HealthcareService.category gives them), like the JSON API's category.
    "service-category": "token",
}


class MetadataView(FhirView):
    """The CapabilityStatement: public, like any FHIR server's."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    private = False
    queryset = Referral.objects.none()

    def get(self, request):
        statement = b.capability_statement(
            self.urls,
            token_url=request.build_absolute_uri(reverse("oauth2_provider:token")),
            search_params={
                "Task": TASK_PARAMETERS,
                "ServiceRequest": SERVICE_REQUEST_PARAMETERS,
                "HealthcareService": HEALTHCARE_SERVICE_PARAMETERS,
            },
        )
        return self.fhir(statement)


# --- Referrals -----------------------------------------------------------------------------


class ReferralFhirView(FhirView):
    required_scopes = READ_WRITE
    throttle_scopes = THROTTLES
    throttle_classes = [ClientScopedThrottle]

    def get_queryset(self):
        return referrals_visible_to(self.actor)

    def read(self, referral_id: str) -> b.View:
        """One referral as this viewer may see it, logged as a read (D2); an
        outsider or an unknown id gets the JSON API's 404."""
        queryset = referral_with_details(self.get_queryset()).prefetch_related("needs__taxonomy")
        referral = services.referral_read(actor=self.actor, referral_id=referral_id, queryset=queryset)
        return b.referral_view(self.actor, referral)


class TaskReadView(ReferralFhirView):
    def get(self, request, referral_id):
        return self.fhir(b.task(self.urls, self.read(referral_id)))


class ServiceRequestReadView(ReferralFhirView):
    def get(self, request, referral_id):
        return self.fhir(b.service_request(self.urls, self.read(referral_id)))


class PatientReadView(ReferralFhirView):
    def get(self, request, referral_id):
        view = self.read(referral_id)
        if not view.shows_person:
            # The referral is theirs to see, the person is not (consent): logged as refused.
            services.access_log_record(
                actor=self.actor,
                action=AccessAction.READ,
                outcome=AccessOutcome.REFUSED,
                referral_ids=[view.referral.pk],
            )
            raise NotFoundError(_("There is no person with this id that you can see."))
        return self.fhir(b.patient(self.urls, view))


# Which of our statuses a ServiceRequest status stands for.
OUR_STATUSES_FOR = {
    fhir_status: {ours for ours, mapped in b.SERVICE_REQUEST_STATUS.items() if mapped == fhir_status}
    for fhir_status in set(b.SERVICE_REQUEST_STATUS.values())
}


def _bound_q(bound: DateBound) -> Q:
    """On `shown_modified_at`: when what this viewer sees last changed."""
    if bound.prefix == "ge":
        return Q(shown_modified_at__gte=bound.start)
    if bound.prefix == "gt":
        return Q(shown_modified_at__gte=bound.end)
    if bound.prefix == "le":
        return Q(shown_modified_at__lt=bound.end)
    if bound.prefix == "lt":
        return Q(shown_modified_at__lt=bound.start)
    return Q(shown_modified_at__gte=bound.start, shown_modified_at__lt=bound.end)


class ReferralSearchView(ReferralFhirView):
    """Task or ServiceRequest search. Status and _lastUpdated are matched against
    what this viewer is shown (the consent policy's with_shown_progress), so a
    referrer without share-back consent cannot find out the receiver's status by
    searching for it."""

    parameters: dict[str, str] = {}
    organisation_parameter = ""
    build: Callable[[b.Urls, b.View], Resource] = staticmethod(b.task)

    def statuses(self, values: set[str]) -> set[str]:
        unknown = values - set(ReferralStatus.values)
        if unknown:
            raise InvalidInputError(
                _("status is one of: %(values)s.") % {"values": ", ".join(ReferralStatus.values)}, field="status"
            )
        return values

    def filter_by_organisation(self, queryset, values: list[str]):
        ids = reference_ids(values, name=self.organisation_parameter, kinds=("Organization",))
        return queryset.filter(receiving_organisation_id__in=ids)

    def get(self, request):
        params = request.query_params
        check_parameters(params, frozenset(self.parameters))
        count, offset = count_and_offset(params)
        actor = self.actor
        queryset = self.get_queryset()
        if self.organisation_parameter in params:
            queryset = self.filter_by_organisation(queryset, params.getlist(self.organisation_parameter))
        if "requester" in params:
            ids = reference_ids(params.getlist("requester"), name="requester", kinds=("Organization",))
            queryset = queryset.filter(referring_organisation_id__in=ids)
        # Status and time as this viewer is shown them (the consent policy, in SQL).
        queryset = with_shown_progress(queryset, actor)
        if "status" in params:
            queryset = queryset.filter(shown_status__in=sorted(self.statuses(tokens(params.getlist("status")))))
        for bound in date_bounds(params.getlist("_lastUpdated")):
            queryset = queryset.filter(_bound_q(bound))
        queryset = referral_with_details(queryset).prefetch_related("needs__taxonomy").order_by("-created_at", "pk")
        total = queryset.count()
        views = [b.referral_view(actor, r) for r in queryset[offset : offset + count]]
        services.referrals_read(actor=actor, referrals=[view.referral for view in views])
        self_url, next_url = _page_links(request, offset=offset, count=count, total=total)
        urls = self.urls
        bundle = b.searchset(
            urls, [self.build(urls, view) for view in views], total=total, self_url=self_url, next_url=next_url
        )
        return self.fhir(bundle)


class TaskSearchView(ReferralSearchView):
    parameters = TASK_PARAMETERS
    organisation_parameter = "owner"
    build = staticmethod(b.task)


class ServiceRequestSearchView(ReferralSearchView):
    parameters = SERVICE_REQUEST_PARAMETERS
    organisation_parameter = "performer"
    build = staticmethod(b.service_request)

    def statuses(self, values: set[str]) -> set[str]:
        unknown = values - set(OUR_STATUSES_FOR)
        if unknown:
            raise InvalidInputError(
                _("status is one of: %(values)s.") % {"values": ", ".join(sorted(OUR_STATUSES_FOR))}, field="status"
            )
        return {ours for value in values for ours in OUR_STATUSES_FOR[value]}

    def filter_by_organisation(self, queryset, values: list[str]):
        ids = reference_ids(values, name="performer", kinds=("Organization", "HealthcareService"))
        return queryset.filter(Q(receiving_organisation_id__in=ids) | Q(target_service_id__in=ids))


class TransactionView(ReferralFhirView):
    """POST a transaction Bundle (ServiceRequest + Task + Patient + Consent) to
    make a referral. The ServiceRequest's identifier makes it idempotent: a
    second Bundle with the same one returns the first referral."""

    throttle_classes = [ClientScopedThrottle, ReferralDailyThrottle]
    action = "create"

    def post(self, request):
        parsed = referral_input(request.data)
        body = s.ReferralCreateSerializer(data=parsed.body)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        existing = self._existing(parsed.identifier_system, parsed.identifier_value)
        if existing is not None:
            return self._answer(parsed.entries, existing.pk, created=False)
        try:
            # The same call as the JSON API's, plus the referrer's own identifier.
            referral = referral_create_from(
                self.actor,
                data,
                external_id_system=parsed.identifier_system,
                external_id=parsed.identifier_value,
            )
        except IntegrityError:
            # Another request with the same identifier committed first (the
            # unique constraint decided): answer with its referral.
            existing = self._existing(parsed.identifier_system, parsed.identifier_value)
            if existing is None:
                raise
            return self._answer(parsed.entries, existing.pk, created=False)
        return self._answer(parsed.entries, referral.pk, created=True)

    def _existing(self, system: str, value: str) -> Referral | None:
        if not value:
            return None
        return referrals_made_by(self.actor).filter(external_id_system=system, external_id=value).first()

    def _answer(self, kinds: list[str], referral_id: uuid.UUID, *, created: bool) -> Response:
        if created:
            referral = referral_with_details(self.get_queryset()).get(pk=referral_id)
            view = b.referral_view(self.actor, referral)
        else:
            view = self.read(str(referral_id))  # logged as a read, like any other
        urls, line = self.urls, "201 Created" if created else "200 OK"
        made = {
            "ServiceRequest": lambda: (f"ServiceRequest/{referral_id}", b.service_request(urls, view)),
            "Task": lambda: (f"Task/{referral_id}", b.task(urls, view)),
            "Patient": lambda: (f"Patient/{referral_id}", b.patient(urls, view) if view.shows_person else None),
            "Consent": lambda: (None, None),
        }
        entries = [(line, *made[kind]()) for kind in kinds]
        if "Task" not in kinds:
            entries.append((line, *made["Task"]()))
        return self.fhir(b.transaction_response(entries))


# --- The directory -------------------------------------------------------------------------


class DirectoryFhirView(FhirView):
    required_scopes = DIRECTORY_SCOPES
    throttle_scope = "directory"
    private = False
    queryset = Service.objects.none()


class HealthcareServiceReadView(DirectoryFhirView):
    def get(self, request, service_id):
        return self.fhir(b.healthcare_service(self.urls, service_detail(service_id=service_id)))


class HealthcareServiceSearchView(DirectoryFhirView):
    def get(self, request):
        params = request.query_params
        check_parameters(params, frozenset(HEALTHCARE_SERVICE_PARAMETERS) | {"name:contains"})
        count, offset = count_and_offset(params)
        queryset = Service.objects.filter(status__in=SEARCHABLE_STATUSES)
        for raw in params.getlist("name"):
            if len(raw) > 100:
                raise InvalidInputError(_("name is at most 100 characters."), field="name")
        for name in params.getlist("name:contains"):
            queryset = queryset.filter(name__icontains=name[:100])
        for name in params.getlist("name"):
            queryset = queryset.filter(name__istartswith=name)
        if "active" in params:
            active = tokens(params.getlist("active"))
            if not active <= {"true", "false"}:
                raise InvalidInputError(_("active is true or false."), field="active")
            if active == {"true"}:
                queryset = queryset.filter(status="active")
            elif active == {"false"}:
                queryset = queryset.exclude(status="active")
        if "organization" in params:
            ids = reference_ids(params.getlist("organization"), name="organization", kinds=("Organization",))
            queryset = queryset.filter(organisation_id__in=ids)
        if "service-category" in params:
            # A token is code or system|code; the code is our category's slug.
            codes = {token.rsplit("|", 1)[-1][:80] for token in tokens(params.getlist("service-category"))}
            queryset = queryset.filter(
                pk__in=Service.objects.filter(attributes__taxonomy_term__slug__in=codes).values("pk")
            )
        total = queryset.count()
        page = list(
            queryset.select_related("organisation")
            .prefetch_related("service_at_locations__location", "attributes__taxonomy_term__taxonomy")
            .order_by("name", "pk")[offset : offset + count]
        )
        self_url, next_url = _page_links(request, offset=offset, count=count, total=total)
        urls = self.urls
        bundle = b.searchset(
            urls,
            [b.healthcare_service(urls, service) for service in page],
            total=total,
            self_url=self_url,
            next_url=next_url,
        )
        return self.fhir(bundle)


class OrganizationReadView(DirectoryFhirView):
    def get(self, request, organisation_id):
        organisation = Organisation.objects.filter(pk=organisation_id).first()
        if organisation is None:
            raise NotFoundError(_("There is no organisation with this id."))
        return self.fhir(b.organization(organisation))


def not_found_outcome() -> HttpResponse:
    """Django's 404 under /fhir/ (an address no view answers, an id that is not a UUID)."""
    outcome = b.operation_outcome([(_("There is nothing at this address."), None)], http_status=404)
    return HttpResponse(json.dumps(b.dump(outcome)), status=404, content_type=f"{FHIR_JSON}; charset=utf-8")
