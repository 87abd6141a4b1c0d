"""One Open Referral UK record (3.0, or v1 reshaped by `v1`) checked completely and
turned into unsaved model rows: a `PreparedRecord`.

Invariants:
* No queries and no writes: a record is refused (`RecordError`, with the reason)
  before anything of it reaches the database.
* Every field is checked here, so writing a `PreparedRecord` cannot fail on the
  record's own content, only on something the database alone knows (an
  organisation named by id that does not exist, a clash with an existing row).
* The checks run in a fixed order (service, organisation, locations, schedules,
  contacts, service areas, taxonomy terms): a record with several faults is always
  reported with the same, first one.
* Ids: see `clean`. Children without an id get a uuid4 placeholder, listed in
  `generated_ids` (the importer derives their lasting ids from their content),
  except service_at_locations, whose id is derived from the service and location
  so that re-importing replaces rather than duplicates them.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypedDict

from django.utils.text import slugify

from assets.models import (
    ACCESSIBILITY_FEATURES,
    Contact,
    LinkType,
    Location,
    LocationType,
    Organisation,
    Schedule,
    ScheduleFrequency,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceStatus,
    stable_uuid,
)
from assets.openreferral import clean
from assets.openreferral.clean import Record
from assets.openreferral.report import RecordError
from assets.openreferral.v1 import is_v1_record, normalise_v1_service

# Words in an accessibility description that set each searchable need.
_ACCESSIBILITY_WORDS = {
    "step_free_access": ("step-free", "step free", "wheelchair", "ramp", "level access", "lift"),
    "accessible_toilet": ("accessible toilet", "disabled toilet", "accessible loo"),
    "hearing_loop": ("hearing loop", "induction loop"),
    "bsl": ("bsl", "sign language"),
    "easy_read": ("easy read",),
    "quiet_space": ("quiet",),
    "parking": ("parking", "car park"),
}
# Allowed values, as sets: Django's `.values` builds a fresh list on every use.
_STATUSES = frozenset(ServiceStatus.values)
_LOCATION_TYPES = frozenset(LocationType.values)
_FREQUENCIES = frozenset(ScheduleFrequency.values)
_FEATURE_LABELS = frozenset(label.lower() for _, label in ACCESSIBILITY_FEATURES)


@dataclass
class TermSpec:
    """A taxonomy term as a record names it, checked but not yet found or created."""

    key: str
    term_id: uuid.UUID | None
    name: str
    slug: str
    description: object


@dataclass
class PreparedRecord:
    """One record turned into unsaved rows, every field checked: writing it cannot fail
    on the record's own content (only on something the database alone knows)."""

    record_id: str
    service: Service
    organisation: Organisation | None  # None when the record names an existing one by id
    locations: list[Location]
    service_at_locations: list[ServiceAtLocation]
    schedules: list[Schedule]
    contacts: list[Contact]
    areas: list[ServiceArea]
    attributes: list[tuple[TermSpec, LinkType]]
    term_ids: dict[str, uuid.UUID] = field(default_factory=dict)  # spec key -> term id, once resolved
    # What was changed or left out to keep the record ("description was ... shortened"),
    # one line per field, for the import report.
    warnings: list[str] = field(default_factory=list)
    # Ids made up here for children the source gave none (uuid4 placeholders, which
    # the importer replaces with ids derived from their content).
    generated_ids: set[uuid.UUID] = field(default_factory=set)


class _ServiceFields(TypedDict):
    """The service's own text, dates and cost, checked."""

    name: str
    description: str
    url: str
    email: str
    alert: str
    eligibility_description: str
    last_reviewed: datetime.date | None
    is_free: bool
    cost_amount: Decimal | None
    cost_description: str


def prepare_record(record: object) -> PreparedRecord:
    """Check a record (3.0 or v1) completely and build its rows. Raises RecordError."""
    if not isinstance(record, dict):
        raise RecordError("the record is not an object")
    if record.get("__error__"):
        raise RecordError(record["__error__"])
    record_id = clean.record_id(record)
    if is_v1_record(record):
        record = normalise_v1_service(record)
    service_id = clean.identifier(record.get("id"), kind="service")
    status = _status(record)
    minimum, maximum = _age_range(record)
    warnings: list[str] = []
    organisation_id, organisation = _organisation_row(record, warnings)
    service = Service(
        id=service_id,
        organisation_id=organisation_id,
        status=status,
        minimum_age=minimum,
        maximum_age=maximum,
        **_service_fields(record, warnings),
    )
    locations, sals = _location_rows(record, service_id=service_id, organisation_id=organisation_id, warnings=warnings)
    generated: set[uuid.UUID] = set()
    return PreparedRecord(
        record_id=record_id,
        service=service,
        organisation=organisation,
        locations=locations,
        service_at_locations=sals,
        schedules=_schedule_rows(record, service_id=service_id, warnings=warnings, generated=generated),
        contacts=_contact_rows(record, service_id=service_id, generated=generated),
        areas=_area_rows(record, service_id=service_id, generated=generated),
        attributes=_attribute_specs(record),
        warnings=warnings,
        generated_ids=generated,
    )


def _status(record: Record) -> str:
    status = clean.text(record.get("status") or "active", name="status", max_length=30).lower()
    if status not in _STATUSES:
        raise RecordError(f"status '{status[:30]}' is not one of {', '.join(ServiceStatus.values)}")
    return status


def _age_range(record: Record) -> tuple[int | None, int | None]:
    minimum = clean.age(record.get("minimum_age"), name="minimum_age")
    maximum = clean.age(record.get("maximum_age"), name="maximum_age")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise RecordError("minimum_age is more than maximum_age")
    return minimum, maximum


def _organisation_row(record: Record, warnings: list[str]) -> tuple[uuid.UUID, Organisation | None]:
    """The organisation's id and its row to upsert; no row when the record names an
    existing organisation by id only."""
    data = record.get("organization")
    if data is None and record.get("organization_id"):
        return clean.identifier(record["organization_id"], kind="organization"), None
    if not isinstance(data, dict):
        raise RecordError("organization is missing")
    org_id = clean.identifier(data.get("id"), kind="organization")
    return org_id, Organisation(
        id=org_id,
        name=clean.text(data.get("name"), name="organization name", max_length=200, required=True),
        description=clean.fitted_text(
            clean.plain_text(data.get("description")),
            name="organization description",
            max_length=10000,
            warnings=warnings,
        ),
        email=clean.email(data.get("email")),
        website=clean.url(data.get("website") or data.get("url"), name="organization website", warnings=warnings),
    )


def _service_fields(record: Record, warnings: list[str]) -> _ServiceFields:
    # Long or marked-up text is cleaned and cut with a warning: one long field must
    # not cost the whole service.
    return {
        "name": clean.fitted_text(record.get("name"), name="name", max_length=200, warnings=warnings, required=True),
        "description": clean.fitted_text(
            clean.plain_text(record.get("description")), name="description", max_length=20000, warnings=warnings
        ),
        "url": clean.url(record.get("url"), name="url", warnings=warnings),
        "email": clean.email(record.get("email")),
        "alert": clean.fitted_text(
            clean.plain_text(record.get("alert")), name="alert", max_length=500, warnings=warnings
        ),
        "eligibility_description": clean.fitted_text(
            clean.plain_text(record.get("eligibility_description")),
            name="eligibility_description",
            max_length=500,
            warnings=warnings,
        ),
        "last_reviewed": clean.date(record.get("assured_date"), name="assured_date"),
        **clean.cost(record, warnings),
    }


def _location_rows(
    record: Record, *, service_id: uuid.UUID, organisation_id: uuid.UUID, warnings: list[str]
) -> tuple[list[Location], list[ServiceAtLocation]]:
    locations, sals = [], []
    for sal in clean.object_list(record, "service_at_locations"):
        location = sal.get("location")
        if not isinstance(location, dict):
            raise RecordError("a service_at_location has no location")
        row = _location_row(location, organisation_id=organisation_id, warnings=warnings)
        locations.append(row)
        sal_id = clean.optional_identifier(sal.get("id"), kind="service_at_location") or stable_uuid(
            "sal", f"{service_id}:{row.id}"
        )
        sals.append(ServiceAtLocation(id=sal_id, service_id=service_id, location_id=row.id))
    if len({location.id for location in locations}) < len(locations):
        raise RecordError("the same location appears twice")
    _unique_ids(sals, "service_at_location")
    return locations, sals


def _location_row(location: Record, *, organisation_id: uuid.UUID, warnings: list[str]) -> Location:
    location_id = clean.identifier(location.get("id"), kind="location")
    addresses = clean.object_list(location, "addresses")
    physical = (a for a in addresses if a.get("address_type") in (None, "physical"))
    address = next(physical, addresses[0] if addresses else {})
    accessibility_texts = [
        str(a.get("description") or a.get("accessibility") or a.get("details") or "").strip()
        for a in clean.object_list(location, "accessibility")
    ]
    accessibility_text = " ".join(accessibility_texts)
    location_type = str(location.get("location_type") or "physical").lower()
    if location_type not in _LOCATION_TYPES:
        raise RecordError(f"location_type '{location_type[:20]}' is not physical, postal or virtual")
    return Location(
        id=location_id,
        organisation_id=organisation_id,
        location_type=location_type,
        name=clean.text(location.get("name"), name="location name", max_length=200),
        description=clean.fitted_text(
            clean.plain_text(location.get("description")),
            name="location description",
            max_length=5000,
            warnings=warnings,
        ),
        address_1=clean.text(address.get("address_1"), name="address_1", max_length=200),
        address_2=clean.text(address.get("address_2"), name="address_2", max_length=200),
        city=clean.text(address.get("city"), name="city", max_length=100),
        region=clean.text(address.get("region") or address.get("state_province"), name="region", max_length=100),
        postcode=clean.text(address.get("postal_code"), name="postal_code", max_length=8).upper(),
        latitude=clean.coordinate(location.get("latitude"), name="latitude", limit=90),
        longitude=clean.coordinate(location.get("longitude"), name="longitude", limit=180),
        # Feeds (ours included) list each feature as an entry named after it ("Step-free
        # access"). Those set the location's flags, which the page already shows; kept in
        # the prose too, each re-import of a feed built from ours added them again.
        accessibility_description=" ".join(t for t in accessibility_texts if t and t.lower() not in _FEATURE_LABELS)[
            :5000
        ],
        **_accessibility_features(accessibility_text),
    )


def _accessibility_features(description: str) -> dict[str, bool]:
    """Each searchable need, set when the description uses one of its words."""
    lowered = description.lower()
    return {name: any(word in lowered for word in _ACCESSIBILITY_WORDS[name]) for name, _ in ACCESSIBILITY_FEATURES}


def _child_id(value: object, *, kind: str, generated: set[uuid.UUID]) -> uuid.UUID:
    """The child's own id, or a placeholder noted in `generated` when it has none."""
    if (given := clean.optional_identifier(value, kind=kind)) is not None:
        return given
    placeholder = uuid.uuid4()
    generated.add(placeholder)
    return placeholder


def _schedule_rows(
    record: Record, *, service_id: uuid.UUID, warnings: list[str], generated: set[uuid.UUID]
) -> list[Schedule]:
    schedules = []
    for s in clean.object_list(record, "schedules"):
        try:
            schedules.append(_schedule_row(s, service_id=service_id, warnings=warnings, generated=generated))
        except RecordError as exc:
            # Opening times are a detail: an unreadable one is left out, the service kept.
            warnings.append(f"a schedule was left out: {exc.reason}")
    _unique_ids(schedules, "schedule")
    return schedules


def _schedule_row(s: Record, *, service_id: uuid.UUID, warnings: list[str], generated: set[uuid.UUID]) -> Schedule:
    freq = clean.schedule_freq(s.get("freq"))
    byday = clean.byday(s.get("byday"))
    if freq == "DAILY":
        # We store weekly and monthly only; every day is every week on each day.
        freq, byday = "WEEKLY", byday or clean.EVERY_DAY
    if freq not in _FREQUENCIES:
        raise RecordError(f"schedule freq '{freq[:20]}' is not WEEKLY or MONTHLY")
    return Schedule(
        id=_child_id(s.get("id"), kind="schedule", generated=generated),
        service_id=service_id,
        freq=freq,
        interval=int(clean.age(s.get("interval"), name="schedule interval") or 1),
        byday=byday,
        bymonthday=clean.text(s.get("bymonthday"), name="bymonthday", max_length=40),
        opens_at=clean.time(s.get("opens_at"), name="opens_at"),
        closes_at=clean.time(s.get("closes_at"), name="closes_at"),
        valid_from=clean.date(s.get("valid_from"), name="valid_from"),
        valid_to=clean.date(s.get("valid_to"), name="valid_to"),
        description=clean.fitted_text(
            clean.plain_text(s.get("description")), name="schedule description", max_length=500, warnings=warnings
        ),
    )


def _contact_rows(record: Record, *, service_id: uuid.UUID, generated: set[uuid.UUID]) -> list[Contact]:
    contacts = []
    for c in clean.object_list(record, "contacts"):
        phones = clean.object_list(c, "phones")
        phone = phones[0].get("number") if phones else ""
        contacts.append(
            Contact(
                id=_child_id(c.get("id"), kind="contact", generated=generated),
                service_id=service_id,
                name=clean.text(c.get("name"), name="contact name", max_length=200),
                title=clean.text(c.get("title"), name="contact title", max_length=200),
                email=clean.email(c.get("email")),
                phone=clean.text(phone, name="contact phone", max_length=40),
            )
        )
    _unique_ids(contacts, "contact")
    return contacts


def _area_rows(record: Record, *, service_id: uuid.UUID, generated: set[uuid.UUID]) -> list[ServiceArea]:
    """One row per postcode prefix named (the last naming wins); areas naming none are dropped."""
    areas = {}
    for area in clean.object_list(record, "service_areas"):
        prefix = clean.postcode_prefix(area)
        if prefix:
            areas[prefix] = ServiceArea(
                id=_child_id(area.get("id"), kind="service_area", generated=generated),
                service_id=service_id,
                postcode_prefix=prefix,
                name=clean.text(area.get("name") or area.get("service_area"), name="service area name", max_length=200)[
                    :200
                ],
            )
    rows = list(areas.values())
    _unique_ids(rows, "service_area")
    return rows


def _attribute_specs(record: Record) -> list[tuple[TermSpec, LinkType]]:
    attributes = []
    for attribute in clean.object_list(record, "attributes"):
        term_data = attribute.get("taxonomy_term")
        if not isinstance(term_data, dict):
            continue
        link_type = LinkType.ELIGIBILITY if attribute.get("link_type") == "eligibility" else LinkType.CATEGORY
        attributes.append((_term_spec(term_data), link_type))
    return attributes


def _term_spec(data: Record) -> TermSpec:
    term_id = clean.optional_identifier(data.get("id"), kind="taxonomy_term")
    name = clean.text(data.get("name") or data.get("term"), name="taxonomy term name", max_length=200, required=True)
    slug = slugify(data.get("code") or "")[:80] or slugify(name)[:80]
    return TermSpec(
        key=str(term_id) if term_id else name.lower(),
        term_id=term_id,
        name=name,
        slug=slug,
        description=data.get("description"),
    )


def _unique_ids(rows: Sequence[ServiceAtLocation | Schedule | Contact | ServiceArea], kind: str) -> None:
    seen = set()
    for row in rows:
        if row.id in seen:
            raise RecordError(f"{kind} id {row.id} appears twice")
        seen.add(row.id)
