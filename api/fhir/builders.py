"""FHIR R4 resources built from our models with the `fhir.resources` library
(its R4B models, the same shape as R4 for every resource here), so every answer
is validated by the library before it is sent.

What a viewer sees of a referral comes only from the consent policy in
referrals.selectors (`referral_sharing`, `shown_progress`): a receiver without
the person's consent to share gets no Patient and a ServiceRequest.subject that
only says the details are withheld; a referrer without share-back consent sees
the status, reason and times of its own moves, not the receiver's.
"""

import datetime
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy, override
from fhir.resources.R4B.address import Address
from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.bundle import Bundle, BundleEntry, BundleEntryResponse, BundleEntrySearch, BundleLink
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.contactpoint import ContactPoint
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.healthcareservice import HealthcareService, HealthcareServiceEligibility
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.location import Location as FhirLocation
from fhir.resources.R4B.meta import Meta
from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient, PatientCommunication
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from assets.models import Organisation, Service, ServiceStatus, TaxonomyTerm

# The consent policy (re-exported by referrals.selectors; imported from its home for the type checker).
from referrals.consent import Progress, Sharing, referral_sharing, shown_progress
from referrals.models import BusinessStatus, PreferredContact, Referral, ReferralStatus
from referrals.snomed import CONCEPTS, REFERRED

FHIR_VERSION = "4.0.1"
SNOMED = "http://snomed.info/sct"
TASK_CODE_SYSTEM = "http://hl7.org/fhir/CodeSystem/task-code"
WITHHELD = gettext_lazy(
    "The person's details are not shared with your organisation (the person's consent does not cover it)."
)

# Our statuses are FHIR Task codes; a ServiceRequest says less.
SERVICE_REQUEST_STATUS = {
    ReferralStatus.DRAFT: "draft",
    ReferralStatus.REQUESTED: "active",
    ReferralStatus.ACCEPTED: "active",
    ReferralStatus.IN_PROGRESS: "active",
    ReferralStatus.ON_HOLD: "on-hold",
    ReferralStatus.COMPLETED: "completed",
    ReferralStatus.REJECTED: "revoked",
    ReferralStatus.CANCELLED: "revoked",
    ReferralStatus.FAILED: "revoked",
    ReferralStatus.ENTERED_IN_ERROR: "entered-in-error",
}
# How a person prefers to be contacted, as a ContactPoint system (letter has none).
CONTACT_SYSTEMS = {PreferredContact.PHONE: "phone", PreferredContact.TEXT: "sms", PreferredContact.EMAIL: "email"}


class Urls:
    """Absolute URLs of our code systems, extensions and resources, from the
    address the client used (so they resolve for it)."""

    def __init__(self, base: str):
        self.base = base.rstrip("/") + "/"  # .../fhir/R4/

    def code_system(self, name: str) -> str:
        return f"{self.base}CodeSystem/{name}"

    def extension(self, name: str) -> str:
        return f"{self.base}StructureDefinition/{name}"

    def naming_system(self, name: str) -> str:
        return f"{self.base}NamingSystem/{name}"

    def taxonomy(self, term: TaxonomyTerm) -> str:
        taxonomy = term.taxonomy
        return taxonomy.uri or self.code_system(taxonomy.slug)

    def full(self, relative: str) -> str:
        return self.base + relative


def dump(resource: Resource) -> dict:
    return resource.model_dump(mode="json", exclude_none=True)


def _ref(kind: str, pk: object, display: str = "") -> Reference:
    return Reference(reference=f"{kind}/{pk}", display=display or None)


def _concept(system: str, code: str, display: str = "", text: str = "") -> CodeableConcept:
    return CodeableConcept(
        coding=[Coding(system=system, code=code, display=str(display) if display else None)],
        text=str(text) if text else None,
    )


def _code_display(label) -> str:
    """A code's display as its code system says it, in English whatever language the
    request asked for: records stay the same for every reader (a model choice's
    label is translated for pages, so it is read here in English)."""
    with override("en-gb"):
        return str(label)


def _instant(value: datetime.datetime | None) -> datetime.datetime | None:
    return value.astimezone(datetime.UTC) if value is not None else None


def social_prescribing_concept() -> CodeableConcept:
    concept = CONCEPTS[REFERRED]
    return _concept(SNOMED, concept.code, concept.term)


def need_concept(urls: Urls, term: TaxonomyTerm) -> CodeableConcept:
    return _concept(urls.taxonomy(term), term.slug, term.name)


# --- Referrals ----------------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """One referral as one viewer may see it (from the consent policy)."""

    referral: Referral
    sharing: Sharing
    progress: Progress

    @property
    def shows_person(self) -> bool:
        return "given_name" in self.sharing.person_fields

    @property
    def last_updated(self) -> datetime.datetime:
        """When what this viewer sees last changed (the policy's: without the
        receiver's progress, the viewer's own last change)."""
        return self.progress.modified_at


def referral_view(actor, referral: Referral) -> View:
    sharing = referral_sharing(actor, referral)
    return View(referral=referral, sharing=sharing, progress=shown_progress(sharing, referral))


def _receiver_ref(referral: Referral) -> Reference:
    if referral.receiving_organisation is not None:
        return _ref("Organization", referral.receiving_organisation_id, referral.receiving_organisation.name)
    # A timebank with no organisation row: its coordinators receive the referral.
    name = referral.target_timebank.name if referral.target_timebank is not None else ""
    return Reference(display=f"{name} (the timebank's coordinators)")


def task(urls: Urls, view: View) -> Task:
    referral, progress = view.referral, view.progress
    business = None
    if progress.business_status:
        business = _concept(
            urls.code_system("referral-business-status"),
            progress.business_status,
            _code_display(BusinessStatus(progress.business_status).label),
        )
    return Task(
        id=str(referral.pk),
        meta=Meta(lastUpdated=_instant(view.last_updated)),
        status=progress.status,
        businessStatus=business,
        statusReason=CodeableConcept(text=progress.status_reason) if progress.status_reason else None,
        intent="order",
        priority=referral.priority,
        code=_concept(TASK_CODE_SYSTEM, "fulfill", "Fulfill the focal request"),
        focus=_ref("ServiceRequest", referral.pk),
        for_fhir=_ref("Patient", referral.pk) if view.shows_person else None,  # type: ignore[call-arg]
        authoredOn=_instant(referral.created_at),
        lastModified=_instant(view.last_updated),
        requester=_ref("Organization", referral.referring_organisation_id, referral.referring_organisation.name),
        owner=_receiver_ref(referral),
    )


def _subject(view: View) -> Reference:
    if view.shows_person:
        return _ref("Patient", view.referral.pk)
    return Reference(display=str(WITHHELD))


def service_request(urls: Urls, view: View) -> ServiceRequest:
    referral, sharing = view.referral, view.sharing
    reasons = [need_concept(urls, term) for term in sorted(referral.needs.all(), key=lambda t: t.slug)]
    if sharing.what_matters and referral.what_matters:
        reasons.append(CodeableConcept(text=referral.what_matters))
    performers = []
    if referral.receiving_organisation is not None or referral.target_timebank is not None:
        performers.append(_receiver_ref(referral))
    if referral.target_service is not None:
        performers.append(_ref("HealthcareService", referral.target_service_id, referral.target_service.name))
    extensions = None
    if sharing.eligibility_override_reason and referral.eligibility_override_reason:
        extensions = [
            Extension(
                url=urls.extension("eligibility-override-reason"), valueString=referral.eligibility_override_reason
            )
        ]
    identifier = None
    if referral.external_id:
        identifier = [Identifier(system=referral.external_id_system or None, value=referral.external_id)]
    return ServiceRequest(
        id=str(referral.pk),
        meta=Meta(lastUpdated=_instant(view.last_updated)),
        extension=extensions,
        identifier=identifier,
        status=SERVICE_REQUEST_STATUS[ReferralStatus(view.progress.status)],
        intent="order",
        category=[social_prescribing_concept()],
        code=social_prescribing_concept(),
        priority=referral.priority,
        subject=_subject(view),
        authoredOn=_instant(referral.created_at),
        requester=_ref("Organization", referral.referring_organisation_id, referral.referring_organisation.name),
        performer=performers or None,
        reasonCode=reasons or None,
        note=[Annotation(text=referral.notes)] if sharing.notes and referral.notes else None,
    )


def patient(urls: Urls, view: View) -> Patient:
    """Only the fields the consent policy gives this viewer (`person_fields`)."""
    referral, fields = view.referral, set(view.sharing.person_fields)
    names = []
    if fields & {"given_name", "family_name"}:
        names.append(
            HumanName(
                use="official",
                given=[referral.given_name] if "given_name" in fields and referral.given_name else None,
                family=referral.family_name if "family_name" in fields and referral.family_name else None,
            )
        )
    if "preferred_name" in fields and referral.preferred_name:
        names.append(HumanName(use="usual", given=[referral.preferred_name]))
    telecom = []
    preferred = (
        CONTACT_SYSTEMS.get(PreferredContact(referral.preferred_contact)) if referral.preferred_contact else None
    )
    if "phone" in fields and referral.phone:
        telecom.append(ContactPoint(system="phone", value=referral.phone, rank=1 if preferred == "phone" else None))
        if preferred == "sms":
            telecom.append(ContactPoint(system="sms", value=referral.phone, rank=1))
    if "email" in fields and referral.email:
        telecom.append(ContactPoint(system="email", value=referral.email, rank=1 if preferred == "email" else None))
    postcode = ""
    if "postcode" in fields:
        postcode = referral.postcode
    elif "postcode_district" in fields:
        postcode = referral.postcode_district
    extensions = []
    if "preferred_contact" in fields and referral.preferred_contact:
        extensions.append(Extension(url=urls.extension("preferred-contact"), valueCode=referral.preferred_contact))
    if "contact_times" in fields and referral.contact_times:
        extensions.append(Extension(url=urls.extension("contact-times"), valueString=referral.contact_times))
    if "do_not_contact" in fields:
        extensions.append(Extension(url=urls.extension("do-not-contact"), valueBoolean=referral.do_not_contact))
    communication = []
    if "communication_needs" in fields:
        for need in referral.communication_needs:
            extensions.append(Extension(url=urls.extension("communication-need"), valueCode=need))
            if need.startswith("interpreter-"):
                language = need.removeprefix("interpreter-").replace("-", " ")
                communication.append(
                    PatientCommunication(language=CodeableConcept(text=language.capitalize()), preferred=True)
                )
    return Patient(
        id=str(referral.pk),
        meta=Meta(lastUpdated=_instant(view.last_updated)),
        extension=extensions or None,
        name=names or None,
        telecom=telecom or None,
        birthDate=referral.date_of_birth if "date_of_birth" in fields else None,
        address=[Address(postalCode=postcode)] if postcode else None,
        communication=communication or None,
    )


# --- The directory -------------------------------------------------------------------------


def _telecom(*, phone: str = "", email: str = "", url: str = "") -> list[ContactPoint] | None:
    points = [
        ContactPoint(system=system, value=value)
        for system, value in (("phone", phone), ("email", email), ("url", url))
        if value
    ]
    return points or None


def organization(organisation: Organisation) -> Organization:
    return Organization(
        id=str(organisation.pk),
        meta=Meta(lastUpdated=_instant(organisation.modified_at)),
        active=True,
        name=organisation.name,
        type=[CodeableConcept(text=organisation.get_organisation_type_display())],
        telecom=_telecom(phone=organisation.phone, email=organisation.email, url=organisation.website),
    )


def _age_words(service: Service) -> str:
    low, high = service.minimum_age, service.maximum_age
    if low is not None and high is not None:
        return f"Ages {low} to {high}."
    if low is not None:
        return f"Ages {low} and over."
    if high is not None:
        return f"Ages up to {high}."
    return ""


def healthcare_service(urls: Urls, service: Service) -> HealthcareService:
    """Expects service_detail()'s prefetches (locations, attributes with terms)."""
    terms = list(dict.fromkeys(a.taxonomy_term for a in service.attributes.all()))
    locations = [sal.location for sal in service.service_at_locations.all() if sal.location is not None]
    contained: list[Resource] = [
        FhirLocation(
            id=f"location-{location.pk}",
            name=location.name or None,
            address=Address(
                line=[line for line in (location.address_1, location.address_2) if line] or None,
                city=location.city or None,
                postalCode=location.postcode or None,
            ),
        )
        for location in locations
    ]
    eligibility_words = " ".join(w for w in (_age_words(service), service.eligibility_description) if w)
    return HealthcareService(
        id=str(service.pk),
        meta=Meta(lastUpdated=_instant(service.modified_at)),
        contained=contained or None,
        active=service.status == ServiceStatus.ACTIVE,
        providedBy=_ref("Organization", service.organisation_id, service.organisation.name),
        category=[need_concept(urls, term) for term in terms] or None,
        type=[need_concept(urls, term) for term in terms] or None,
        location=[Reference(reference=f"#location-{location.pk}") for location in locations] or None,
        name=service.name,
        comment=service.description or None,
        telecom=_telecom(phone=service.phone, email=service.email, url=service.url),
        eligibility=(
            [HealthcareServiceEligibility(code=CodeableConcept(text="Who it is for"), comment=eligibility_words)]
            if eligibility_words
            else None
        ),
        appointmentRequired=service.by_appointment,
        referralMethod=[CodeableConcept(text="Referral through TimeCommons")] if service.accepts_referrals else None,
    )


# --- Bundles, outcomes, the capability statement -------------------------------------------


def searchset(urls: Urls, resources: Iterable[Resource], *, total: int, self_url: str, next_url: str | None) -> Bundle:
    links = [BundleLink(relation="self", url=self_url)]
    if next_url:
        links.append(BundleLink(relation="next", url=next_url))
    return Bundle(
        id=str(uuid.uuid4()),
        type="searchset",
        total=total,
        link=links,
        entry=[
            BundleEntry(
                fullUrl=urls.full(f"{resource.get_resource_type()}/{resource.id}"),
                resource=resource,
                search=BundleEntrySearch(mode="match"),
            )
            for resource in resources
        ]
        or None,
    )


def transaction_response(entries: Sequence[tuple[str, str | None, Resource | None]]) -> Bundle:
    """(status line, location, resource) per entry of the request, in its order."""
    return Bundle(
        id=str(uuid.uuid4()),
        type="transaction-response",
        entry=[
            BundleEntry(resource=resource, response=BundleEntryResponse(status=status, location=location))
            for status, location, resource in entries
        ],
    )


ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 409: "conflict", 429: "throttled"}


def operation_outcome(issues: list[tuple[str, str | None]], *, http_status: int) -> OperationOutcome:
    """(message, FHIRPath expression or None) per problem."""
    code = ISSUE_CODES.get(http_status, "processing" if http_status < 500 else "exception")
    return OperationOutcome(
        issue=[
            OperationOutcomeIssue(
                severity="error", code=code, diagnostics=str(message), expression=[expression] if expression else None
            )
            for message, expression in issues
        ]
    )


def capability_statement(
    urls: Urls, *, token_url: str, search_params: dict[str, dict[str, str]]
) -> CapabilityStatement:
    interactions = {
        "Task": ["read", "search-type"],
        "ServiceRequest": ["read", "search-type"],
        "Patient": ["read"],
        "HealthcareService": ["read", "search-type"],
        "Organization": ["read"],
    }
    resources = [
        {
            "type": kind,
            "interaction": [{"code": code} for code in codes],
            "searchParam": [
                {"name": name, "type": kind_of_param, "documentation": None}
                for name, kind_of_param in search_params.get(kind, {}).items()
            ]
            or None,
        }
        for kind, codes in interactions.items()
    ]
    return CapabilityStatement.model_validate(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": timezone.localdate().isoformat(),
            "publisher": "TimeCommons",
            "kind": "instance",
            "software": {"name": "TimeCommons"},
            "implementation": {"description": "TimeCommons social-prescribing referrals", "url": urls.base},
            "fhirVersion": FHIR_VERSION,
            "format": ["json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": "Referrals follow the SDOH Clinical Care pattern: a Task whose focus is the "
                    "ServiceRequest. Create one with a transaction Bundle posted to the base address.",
                    "security": {
                        "service": [
                            {
                                "coding": [
                                    {
                                        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                        "code": "OAuth",
                                    }
                                ]
                            }
                        ],
                        "description": f"OAuth2 client credentials: POST {token_url}. Scopes: referrals:read, "
                        "referrals:write (Task, ServiceRequest, Patient, the transaction), directory:read "
                        "(HealthcareService, Organization).",
                    },
                    "resource": resources,
                    "interaction": [{"code": "transaction"}],
                }
            ],
        }
    )
