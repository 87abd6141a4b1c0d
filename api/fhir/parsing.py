"""Reading what FHIR clients send: a transaction Bundle that makes a referral,
and search parameters.

A transaction becomes the same body the JSON API's POST /api/v1/referrals/ takes,
so it passes the same serializer and the same service, and a mistake gets the
same message; `fhir_path` says where in the FHIR resources that field lives.
Messages never quote what was sent (docs/quality.md D8).
"""

import datetime
import re
from dataclasses import dataclass, field

from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from core.errors import InvalidInputError
from referrals.models import ReferralStatus

# A FHIR path for each field of the JSON API's referral body (longest prefix wins).
FHIR_PATHS = {
    "person": "Patient",
    "person.given_name": "Patient.name.where(use='official').given[0]",
    "person.family_name": "Patient.name.where(use='official').family",
    "person.preferred_name": "Patient.name.where(use='usual').given[0]",
    "person.date_of_birth": "Patient.birthDate",
    "person.postcode": "Patient.address[0].postalCode",
    "person.phone": "Patient.telecom.where(system='phone').value",
    "person.email": "Patient.telecom.where(system='email').value",
    "person.preferred_contact": "Patient.extension('preferred-contact').valueCode",
    "person.contact_times": "Patient.extension('contact-times').valueString",
    "person.communication_needs": "Patient.extension('communication-need').valueCode",
    "person.do_not_contact": "Patient.extension('do-not-contact').valueBoolean",
    "consent": "Consent",
    "consent.given": "Consent.status",
    "consent.scopes": "Consent.provision.action.coding.code",
    "consent.method": "Consent.extension('consent-method').valueCode",
    "consent.recorded_by": "Consent.extension('consent-recorded-by').valueString",
    "consent.recorded_at": "Consent.dateTime",
    "what_matters": "ServiceRequest.reasonCode.text",
    "needs": "ServiceRequest.reasonCode.coding.code",
    "target": "ServiceRequest.performer",
    "target.service": "ServiceRequest.performer.reference",
    "target.timebank": "ServiceRequest.performer.identifier.value",
    "priority": "ServiceRequest.priority",
    "notes": "ServiceRequest.note.text",
    "status": "Task.status",
    "eligibility_override": "ServiceRequest.extension('eligibility-override-reason').valueString",
    "identifier": "ServiceRequest.identifier",
}


def fhir_path(api_field: str | None) -> str | None:
    if not api_field:
        return None
    parts = api_field.split(".")
    while parts:
        found = FHIR_PATHS.get(".".join(parts))
        if found:
            return found
        parts.pop()
    return None


def _is_ours(url: object, kind: str, name: str) -> bool:
    """Our code systems and extensions are named from the server's address, which
    a client may spell differently (http behind a proxy): match on the tail."""
    return isinstance(url, str) and url.rstrip("/").endswith(f"/fhir/R4/{kind}/{name}")


def _is_our_code_system(url: object) -> bool:
    """One of our taxonomies' code systems (<base>/fhir/R4/CodeSystem/<taxonomy>)."""
    return isinstance(url, str) and "/fhir/R4/CodeSystem/" in url


def _extension(resource: dict, name: str, value_key: str) -> list:
    return [
        ext.get(value_key)
        for ext in resource.get("extension") or []
        if isinstance(ext, dict) and _is_ours(ext.get("url"), "StructureDefinition", name)
    ]


def _first(values: list, default=None):
    return values[0] if values else default


def _validated(resource: dict, index: int) -> dict:
    """The resource as fhir.resources reads it (checks its shape and types)."""
    kind = resource.get("resourceType")
    try:
        model = get_fhir_model_class(str(kind))
    except KeyError:
        raise InvalidInputError(
            _("Each entry must be a FHIR resource: a Patient, a Consent, a ServiceRequest or a Task."),
            field=f"Bundle.entry[{index}].resource",
        ) from None
    try:
        return model.model_validate(resource).model_dump(mode="json", exclude_none=True)
    except (ValidationError, ValueError) as exc:
        where = ""
        if isinstance(exc, ValidationError) and exc.errors():
            where = ".".join(str(part) for part in exc.errors()[0]["loc"] if not str(part).startswith("function"))
        path = f"{kind}.{where}" if where else str(kind)
        raise InvalidInputError(
            _("This %(kind)s is not valid FHIR R4: check %(path)s.") % {"kind": kind, "path": path},
            field=f"Bundle.entry[{index}].resource",
        ) from None


@dataclass
class ReferralInput:
    body: dict  # the JSON API's referral body
    identifier_system: str = ""
    identifier_value: str = ""
    entries: list[str] = field(default_factory=list)  # resource types, in the request's order


def _person(patient: dict) -> dict:
    names = [n for n in patient.get("name") or [] if isinstance(n, dict)]
    official = next((n for n in names if n.get("use") in (None, "official")), {})
    usual = next((n for n in names if n.get("use") == "usual"), {})
    telecom = [t for t in patient.get("telecom") or [] if isinstance(t, dict)]

    def contact(system: str) -> str | None:
        return next((t.get("value") for t in telecom if t.get("system") == system), None)

    preferred = _first(_extension(patient, "preferred-contact", "valueCode"))
    if preferred is None:
        ranked = sorted((t for t in telecom if t.get("rank")), key=lambda t: t["rank"])
        by_system = {"phone": "phone", "sms": "text", "email": "email"}
        preferred = by_system.get(str(ranked[0].get("system"))) if ranked else None
    needs = list(_extension(patient, "communication-need", "valueCode"))
    addresses = [a for a in patient.get("address") or [] if isinstance(a, dict)]
    person = {
        "given_name": _first(official.get("given") or []),
        "family_name": official.get("family"),
        "preferred_name": _first(usual.get("given") or []),
        "date_of_birth": patient.get("birthDate"),
        "postcode": _first([a["postalCode"] for a in addresses if a.get("postalCode")]),
        "phone": contact("phone") or contact("sms"),
        "email": contact("email"),
        "preferred_contact": preferred,
        "contact_times": _first(_extension(patient, "contact-times", "valueString")),
        "communication_needs": needs,
        "do_not_contact": _first(_extension(patient, "do-not-contact", "valueBoolean"), False),
    }
    # Keys left out are "not sent" to the serializer, exactly like the JSON API.
    return {key: value for key, value in person.items() if value is not None}


def _consent(consent: dict) -> dict:
    provision = consent.get("provision") or {}
    scopes = [
        coding.get("code")
        for action in provision.get("action") or []
        for coding in action.get("coding") or []
        if _is_ours(coding.get("system"), "CodeSystem", "consent-scope")
    ]
    body = {
        "given": consent.get("status") == "active" and provision.get("type", "permit") == "permit",
        "scopes": scopes,
        "method": _first(_extension(consent, "consent-method", "valueCode")),
        "recorded_by": _first(_extension(consent, "consent-recorded-by", "valueString")),
        "recorded_at": consent.get("dateTime"),
    }
    return {key: value for key, value in body.items() if value is not None}


UUID_REFERENCE = re.compile(r"^(?:.*/)?HealthcareService/([0-9a-fA-F-]{36})$")


def _target(service_request: dict) -> dict:
    target: dict = {}
    for performer in service_request.get("performer") or []:
        reference = performer.get("reference") or ""
        match = UUID_REFERENCE.match(reference)
        if match:
            target["service"] = match.group(1)
        identifier = performer.get("identifier") or {}
        if _is_ours(identifier.get("system"), "NamingSystem", "timebank"):
            target["timebank"] = identifier.get("value") or True
    return target


def referral_input(bundle: object) -> ReferralInput:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction":
        raise InvalidInputError(_("Send a Bundle of type transaction."), field="Bundle.type")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise InvalidInputError(_("Bundle.entry must be a list of entries."), field="Bundle.entry")
    found: dict[str, dict] = {}
    kinds = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            raise InvalidInputError(_("Each entry needs a resource."), field=f"Bundle.entry[{index}].resource")
        kind = resource.get("resourceType")
        if kind not in ("Patient", "Consent", "ServiceRequest", "Task"):
            raise InvalidInputError(
                _(
                    "A referral is a ServiceRequest with a Task, a Patient and a Consent: other resources are not "
                    "accepted here."
                ),
                field=f"Bundle.entry[{index}].resource",
            )
        if kind in found:
            raise InvalidInputError(
                _("Send one %(kind)s per referral.") % {"kind": kind}, field=f"Bundle.entry[{index}].resource"
            )
        found[kind] = _validated(resource, index)
        kinds.append(kind)
    service_request = found.get("ServiceRequest")
    if service_request is None:
        raise InvalidInputError(_("The Bundle needs a ServiceRequest: the referral itself."), field="ServiceRequest")

    task_status = (found.get("Task") or {}).get("status")
    draft = task_status == "draft" if task_status else service_request.get("status") == "draft"
    needs = [
        coding.get("code")
        for reason in service_request.get("reasonCode") or []
        for coding in reason.get("coding") or []
        if _is_our_code_system(coding.get("system"))
    ]
    what_matters = "\n\n".join(
        reason["text"]
        for reason in service_request.get("reasonCode") or []
        if reason.get("text") and not reason.get("coding")
    )
    notes = "\n\n".join(note["text"] for note in service_request.get("note") or [] if note.get("text"))
    body: dict = {
        "person": _person(found.get("Patient") or {}),
        "what_matters": what_matters,
        "needs": needs,
        "target": _target(service_request),
        "notes": notes,
        "status": ReferralStatus.DRAFT if draft else ReferralStatus.REQUESTED,
    }
    if service_request.get("priority"):
        body["priority"] = service_request["priority"]
    if "Consent" in found:
        body["consent"] = _consent(found["Consent"])
    override = _first(_extension(service_request, "eligibility-override-reason", "valueString"), "")
    if override:
        # The JSON API's shape: the link worker confirmed the exception, and why.
        body["eligibility_override"] = {"confirmed": True, "reason": override}
    identifiers = [i for i in service_request.get("identifier") or [] if i.get("value")]
    identifier = identifiers[0] if identifiers else {}
    return ReferralInput(
        body=body,
        identifier_system=identifier.get("system", ""),
        identifier_value=identifier.get("value", ""),
        entries=kinds,
    )


# --- Search parameters ---------------------------------------------------------------------

DATE_PREFIXES = ("ge", "gt", "le", "lt", "eq")
MAX_COUNT = 100
DEFAULT_COUNT = 20
# Parameters every search accepts (FHIR's, about the answer rather than the search).
COMMON_PARAMETERS = frozenset({"_count", "_offset", "_format"})


def check_parameters(params, known: frozenset[str]) -> None:
    # Modifiers (status:not, name:exact) are refused too unless named in `known`:
    # ignoring one would answer a different question than the client asked.
    unknown = sorted(set(params) - known - COMMON_PARAMETERS)
    if unknown:
        names = ", ".join(n[:40] for n in unknown[:5])
        allowed = ", ".join(sorted(known | {"_count", "_offset"}))
        raise InvalidInputError(
            _("This server does not support the search parameter %(names)s. Use: %(allowed)s.")
            % {"names": names, "allowed": allowed},
            field=unknown[0][:40],
        )


def count_and_offset(params) -> tuple[int, int]:
    def number(name: str, default: int, low: int, high: int) -> int:
        raw = params.get(name)
        if raw is None:
            return default
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise InvalidInputError(
                _("%(name)s is a whole number from %(low)s to %(high)s.") % {"name": name, "low": low, "high": high},
                field=name,
            )
        return int(raw)

    return number("_count", DEFAULT_COUNT, 1, MAX_COUNT), number("_offset", 0, 0, 100_000)


@dataclass(frozen=True)
class DateBound:
    prefix: str
    start: datetime.datetime  # the first instant the value covers
    end: datetime.datetime  # the first instant after it


def date_bounds(values: list[str], *, name: str = "_lastUpdated") -> list[DateBound]:
    bounds = []
    for raw in values:
        prefix, text = ("eq", raw)
        if raw[:2] in DATE_PREFIXES:
            prefix, text = raw[:2], raw[2:]
        moment = parse_datetime(text) if "T" in text else None
        day = parse_date(text) if moment is None and len(text) == 10 else None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=datetime.UTC)
            bounds.append(DateBound(prefix, moment, moment + datetime.timedelta(seconds=1)))
        elif day is not None:
            start = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
            bounds.append(DateBound(prefix, start, start + datetime.timedelta(days=1)))
        else:
            raise InvalidInputError(
                _("%(name)s is a date or time with an optional prefix, like ge2026-01-31 or lt2026-02-01T09:00:00Z.")
                % {"name": name},
                field=name,
            )
    return bounds


REFERENCE = re.compile(r"^(?:(?:.*/)?(?P<kind>[A-Za-z]+)/)?(?P<id>[0-9a-fA-F-]{36})$")


def reference_ids(values: list[str], *, name: str, kinds: tuple[str, ...]) -> list[str]:
    """Ids from `Organization/<id>` or `<id>` (several values: any of them)."""
    ids = []
    for value in values:
        for part in value.split(","):
            match = REFERENCE.match(part.strip())
            if match is None or (match.group("kind") and match.group("kind") not in kinds):
                raise InvalidInputError(
                    _("%(name)s is a reference like %(kind)s/<id>, with the id we gave.")
                    % {"name": name, "kind": kinds[0]},
                    field=name,
                )
            ids.append(match.group("id").lower())
    return ids


def tokens(values: list[str]) -> set[str]:
    return {part.strip() for value in values for part in value.split(",") if part.strip()}
