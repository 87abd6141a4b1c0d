"""Importing Open Referral UK feeds (ORUK 3.0 and the older v1) into the directory.

A source is a file (a JSON page, a list of services, one service, or ndjson) or a
feed's base URL (paged through /services, each service fetched in full).
Every record is first turned into the 3.0 shape (`normalise_v1_service` for v1)
and checked completely into unsaved rows (`_prepare`, no writes): a bad record is
reported with its id and reason and skipped before anything of it is written.
Checked records are then written in chunks of CHUNK_SIZE, one transaction and a
fixed number of queries per table per chunk (`_write`: bulk upserts by id). Should
the database still refuse a chunk, that chunk is written again one record at a
time, each in its own savepoint, so only the refused record is skipped. Ids are
kept when they are UUIDs; other ids (v1 feeds often use numbers) become stable
uuid5 values, so re-importing updates instead of duplicating.
"""
from __future__ import annotations

import datetime
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlencode

import requests
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils.dateparse import parse_date, parse_datetime, parse_time
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
    ServiceAttribute,
    ServiceStatus,
    Taxonomy,
    TaxonomyTerm,
    stable_uuid,
)
from core.errors import InvalidInputError

HTTP_TIMEOUT = (3, 10)  # connect, read (QUALITY A10)
MAX_RESPONSE_BYTES = 20 * 1024 * 1024
MAX_PAGES = 10_000
# Records written per transaction: big enough that per-query and commit costs fade,
# small enough that SQLite's statement parameter limit splits each table into few queries.
CHUNK_SIZE = 250
IMPORTED_TAXONOMY_SLUG = "imported"
_PREFIX = re.compile(r"^[A-Z]{1,2}(?:[0-9][A-Z0-9]?)?$")
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
_V1_DAYS = {"monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH", "friday": "FR",
            "saturday": "SA", "sunday": "SU"}


class RecordError(Exception):
    """A record that cannot be imported; `reason` is shown to the person running the import."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SourceError(InvalidInputError):
    code = "import_source"


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    unchanged: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.skipped} skipped"
        if self.unchanged:
            text += f", {self.unchanged} not modified since the date given"
        return text


# --- Reading sources -------------------------------------------------------------------


def _get_json(session: requests.Session, url: str) -> object:
    try:
        response = session.get(url, timeout=HTTP_TIMEOUT, stream=True, headers={"Accept": "application/json"})
        response.raise_for_status()
        body = response.raw.read(MAX_RESPONSE_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise SourceError(f"Could not fetch {url}: {type(exc).__name__}.") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise SourceError(f"{url} sent more than {MAX_RESPONSE_BYTES // (1024 * 1024)} MB.")
    try:
        return json.loads(body)
    except ValueError:
        raise SourceError(f"{url} did not send JSON.") from None


def _page_items(page: object) -> tuple[list, int | None, bool]:
    """(items, total, is_last) from a 3.0 page, a v1 page or a bare list."""
    if isinstance(page, list):
        return page, len(page), True
    if not isinstance(page, dict):
        raise SourceError("The feed sent something that is not a page of services.")
    if "contents" in page:
        items = page.get("contents") or []
        return items, page.get("total_items"), bool(page.get("last_page", True)) or not items
    if "content" in page:
        items = page.get("content") or []
        return items, page.get("totalElements"), bool(page.get("last", True)) or not items
    return [page], 1, True


def read_source(
    source: str, *, modified_after: datetime.datetime | None = None, session: requests.Session | None = None
) -> tuple[Iterator[dict], int | None]:
    """The records in a file or feed, and how many there are when the source says."""
    if re.match(r"^https?://", source):
        return _read_url(source.rstrip("/"), modified_after=modified_after, session=session or requests.Session())
    path = Path(source)
    if not path.is_file():
        raise SourceError(f"There is no file called {source}.")
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("{") and "\n{" in stripped.rstrip():
        lines = [line for line in text.splitlines() if line.strip()]
        try:
            records = [json.loads(line) for line in lines]
        except ValueError:
            records = None
        if records is not None:
            return iter(records), len(records)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SourceError(f"{source} is not JSON: {exc.msg} (line {exc.lineno}).") from None
    items, _, _ = _page_items(data)
    return iter(items), len(items)


def _read_url(base: str, *, modified_after, session) -> tuple[Iterator[dict], int | None]:
    params = {"page": 1, "per_page": 50}
    if modified_after:
        params["modified_after"] = modified_after.isoformat()
    first = _get_json(session, f"{base}/services?{urlencode(params)}")
    items, total, last = _page_items(first)

    def records() -> Iterator[dict]:
        page, page_items, is_last = 1, items, last
        is_v3 = isinstance(first, dict) and "contents" in first
        while True:
            for item in page_items:
                if is_v3 and isinstance(item, dict) and item.get("id"):
                    # 3.0 list items hold one-to-one fields only: fetch the nested record.
                    try:
                        yield _get_json(session, f"{base}/services/{item['id']}")
                    except SourceError as exc:
                        yield {"id": item.get("id"), "__error__": exc.message}
                else:
                    yield item
            if is_last or page >= MAX_PAGES:
                return
            page += 1
            data = _get_json(session, f"{base}/services?{urlencode(params | {'page': page})}")
            page_items, _, is_last = _page_items(data)

    return records(), total


# --- v1 to 3.0 -------------------------------------------------------------------------


def is_v1_record(record: dict) -> bool:
    sals = record.get("service_at_locations")
    return any(key in record for key in ("regular_schedules", "eligibilitys", "service_taxonomys")) or (
        isinstance(sals, list)
        and any(
            isinstance(sal, dict) and isinstance(sal.get("location"), dict) and "physical_addresses" in sal["location"]
            for sal in sals
        )
    )


def normalise_v1_service(record: dict) -> dict:
    """An ORUK v1 service in the 3.0 shape this importer writes."""
    out = {key: record.get(key) for key in ("id", "name", "description", "url", "email", "status", "fees", "assured_date")}
    out["organization"] = record.get("organization")
    eligibilities = _list(record, "eligibilitys")
    ages = [
        (_age(e.get("minimum_age"), name="minimum_age"), _age(e.get("maximum_age"), name="maximum_age"))
        for e in eligibilities
    ]
    mins = [a for a, _ in ages if a is not None]
    maxs = [b for _, b in ages if b is not None]
    out["minimum_age"] = min(mins) if mins else None
    out["maximum_age"] = max(maxs) if maxs else None
    out["eligibility_description"] = ", ".join(
        _text(e.get("eligibility"), name="eligibility", max_length=100) for e in eligibilities if e.get("eligibility")
    )
    schedules = []
    for s in _list(record, "regular_schedules"):
        byday = s.get("byday") or ""
        weekday = _text(s.get("weekday"), name="weekday", max_length=20).lower()
        if not byday and weekday:
            byday = _V1_DAYS.get(weekday, weekday[:2].upper())
        schedules.append({**s, "byday": byday, "freq": (s.get("freq") or "WEEKLY")})
    out["schedules"] = schedules
    sals = []
    for sal in _list(record, "service_at_locations"):
        if not isinstance(sal.get("location"), dict):
            raise RecordError("a service_at_location has no location")
        location = dict(sal["location"])
        location["addresses"] = _list(location, "physical_addresses")
        location["accessibility"] = [
            {"id": a.get("id"), "description": a.get("accessibility")}
            for a in _list(location, "accessibility_for_disabilities")
        ]
        location.setdefault("location_type", "physical")
        sals.append({"id": sal.get("id"), "location": location})
    out["service_at_locations"] = sals
    out["attributes"] = [
        {"id": t.get("id"), "taxonomy_term": t.get("taxonomy"), "link_type": "category"}
        for t in _list(record, "service_taxonomys")
        if isinstance(t.get("taxonomy"), dict)
    ]
    out["contacts"] = [
        {
            "id": c.get("id"), "name": c.get("name"), "title": c.get("title"), "email": c.get("email"),
            "phones": _list(c, "phones"),
        }
        for c in _list(record, "contacts")
    ]
    out["cost_options"] = _list(record, "cost_options")
    out["service_areas"] = _list(record, "service_areas")
    return out


# --- Checking one record (no writes) ---------------------------------------------------


def _uuid(value, *, kind: str, required: bool = True) -> uuid.UUID | None:
    if value in (None, ""):
        if required:
            raise RecordError(f"{kind} has no id")
        return None
    if isinstance(value, (dict, list, bool)):
        raise RecordError(f"{kind} id is not a string")
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return stable_uuid(f"oruk-{kind}", str(value)[:200])


def _text(value, *, name: str, max_length: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise RecordError(f"{name} should be text")
    text = str(value).replace("\x00", "").strip()
    if required and not text:
        raise RecordError(f"{name} is missing")
    if len(text) > max_length:
        raise RecordError(f"{name} is longer than {max_length} characters")
    return text


def _url(value, *, name: str) -> str:
    text = _text(value, name=name, max_length=200)
    return text if re.match(r"^https?://[^\s]+$", text) else ""


def _email(value) -> str:
    text = _text(value, name="email", max_length=254)
    return text if re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", text) else ""


def _age(value, *, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RecordError(f"{name} is not a number") from None
    if not (0 <= number <= 150):
        raise RecordError(f"{name} {value} is not a plausible age")
    return int(number)


def _coordinate(value, *, name: str, limit: float) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RecordError(f"{name} is not a number") from None
    if not (-limit <= number <= limit):
        raise RecordError(f"{name} {value} is out of range")
    return number


def _date(value, *, name: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    try:
        parsed = parse_date(str(value)[:10])
    except ValueError:
        parsed = None
    if parsed is None:
        raise RecordError(f"{name} '{str(value)[:20]}' is not a date")
    return parsed


def _time(value, *, name: str) -> datetime.time | None:
    if value in (None, ""):
        return None
    try:
        parsed = parse_time(str(value)[:8])
    except ValueError:
        parsed = None
    if parsed is None:
        raise RecordError(f"{name} '{str(value)[:20]}' is not a time")
    return parsed


def _list(record: dict, key: str) -> list[dict]:
    value = record.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise RecordError(f"{key} should be a list of objects")
    return value


def _postcode_prefix(area: dict) -> str:
    for candidate in (area.get("extent"), area.get("name"), area.get("service_area")):
        text = re.sub(r"\s+", "", str(candidate or "")).upper()
        if _PREFIX.match(text):
            return text
    return ""


def _cost(record: dict) -> dict:
    options = _list(record, "cost_options")
    fees = _text(record.get("fees"), name="fees", max_length=300)
    amounts = []
    for option in options:
        if option.get("amount") not in (None, ""):
            try:
                amount = Decimal(str(option["amount"]))
            except InvalidOperation:
                raise RecordError("cost amount is not a number") from None
            if amount < 0 or amount > Decimal("999999"):
                raise RecordError("cost amount is out of range")
            amounts.append((amount, option))
    if amounts:
        amount, option = min(amounts, key=lambda pair: pair[0])
        description = " ".join(
            str(part) for part in (option.get("option"), option.get("amount_description")) if part
        )[:300] or fees
        return {"is_free": amount == 0, "cost_amount": None if amount == 0 else amount, "cost_description": description}
    is_free = not fees or fees.lower().startswith("free") or fees.lower() in {"none", "no cost", "£0", "0"}
    return {"is_free": is_free, "cost_amount": None, "cost_description": "" if is_free else fees}


@dataclass
class _TermSpec:
    """A taxonomy term as a record names it, checked but not yet found or created."""

    key: str
    term_id: uuid.UUID | None
    name: str
    slug: str
    description: object


@dataclass
class _Prepared:
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
    attributes: list[tuple[_TermSpec, str]]
    term_ids: dict[str, uuid.UUID] = field(default_factory=dict)  # spec key -> term id, once resolved


def _term_spec(data: dict) -> _TermSpec:
    term_id = _uuid(data.get("id"), kind="taxonomy_term", required=False)
    name = _text(data.get("name") or data.get("term"), name="taxonomy term name", max_length=200, required=True)
    slug = slugify(data.get("code") or "")[:80] or slugify(name)[:80]
    return _TermSpec(
        key=str(term_id) if term_id else name.lower(), term_id=term_id, name=name, slug=slug,
        description=data.get("description"),
    )


def _organisation_row(record: dict) -> tuple[uuid.UUID, Organisation | None]:
    data = record.get("organization")
    if data is None and record.get("organization_id"):
        return _uuid(record["organization_id"], kind="organization"), None
    if not isinstance(data, dict):
        raise RecordError("organization is missing")
    org_id = _uuid(data.get("id"), kind="organization")
    return org_id, Organisation(
        id=org_id,
        name=_text(data.get("name"), name="organization name", max_length=200, required=True),
        description=_text(data.get("description"), name="organization description", max_length=10000),
        email=_email(data.get("email")),
        website=_url(data.get("website") or data.get("url"), name="organization website"),
    )


def _unique_ids(rows: list, kind: str) -> None:
    seen = set()
    for row in rows:
        if row.id in seen:
            raise RecordError(f"{kind} id {row.id} appears twice")
        seen.add(row.id)


def _record_id(record) -> str:
    return str(record.get("id") if isinstance(record, dict) else "?")[:80] or "?"


def _prepare(record) -> _Prepared:
    """Check a record (3.0 or v1) completely and build its rows. Raises RecordError."""
    if not isinstance(record, dict):
        raise RecordError("the record is not an object")
    if record.get("__error__"):
        raise RecordError(record["__error__"])
    record_id = _record_id(record)
    if is_v1_record(record):
        record = normalise_v1_service(record)
    service_id = _uuid(record.get("id"), kind="service")
    status = _text(record.get("status") or "active", name="status", max_length=30).lower()
    if status not in _STATUSES:
        raise RecordError(f"status '{status[:30]}' is not one of {', '.join(ServiceStatus.values)}")
    minimum = _age(record.get("minimum_age"), name="minimum_age")
    maximum = _age(record.get("maximum_age"), name="maximum_age")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise RecordError("minimum_age is more than maximum_age")
    organisation_id, organisation = _organisation_row(record)
    service = Service(
        id=service_id,
        organisation_id=organisation_id,
        name=_text(record.get("name"), name="name", max_length=200, required=True),
        description=_text(record.get("description"), name="description", max_length=20000),
        url=_url(record.get("url"), name="url"),
        email=_email(record.get("email")),
        status=status,
        alert=_text(record.get("alert"), name="alert", max_length=500),
        minimum_age=minimum,
        maximum_age=maximum,
        eligibility_description=_text(
            record.get("eligibility_description"), name="eligibility_description", max_length=500
        ),
        last_reviewed=_date(record.get("assured_date"), name="assured_date"),
        **_cost(record),
    )

    locations, sals = [], []
    for sal in _list(record, "service_at_locations"):
        location = sal.get("location")
        if not isinstance(location, dict):
            raise RecordError("a service_at_location has no location")
        location_id = _uuid(location.get("id"), kind="location")
        addresses = _list(location, "addresses")
        address = next((a for a in addresses if a.get("address_type") in (None, "physical")), addresses[0] if addresses else {})
        accessibility_text = " ".join(
            str(a.get("description") or a.get("accessibility") or a.get("details") or "")
            for a in _list(location, "accessibility")
        )
        location_type = str(location.get("location_type") or "physical").lower()
        if location_type not in _LOCATION_TYPES:
            raise RecordError(f"location_type '{location_type[:20]}' is not physical, postal or virtual")
        lowered = accessibility_text.lower()
        locations.append(
            Location(
                id=location_id,
                organisation_id=organisation_id,
                location_type=location_type,
                name=_text(location.get("name"), name="location name", max_length=200),
                description=_text(location.get("description"), name="location description", max_length=5000),
                address_1=_text(address.get("address_1"), name="address_1", max_length=200),
                address_2=_text(address.get("address_2"), name="address_2", max_length=200),
                city=_text(address.get("city"), name="city", max_length=100),
                region=_text(address.get("region") or address.get("state_province"), name="region", max_length=100),
                postcode=_text(address.get("postal_code"), name="postal_code", max_length=8).upper(),
                latitude=_coordinate(location.get("latitude"), name="latitude", limit=90),
                longitude=_coordinate(location.get("longitude"), name="longitude", limit=180),
                accessibility_description=accessibility_text.strip()[:5000],
                **{
                    name: any(word in lowered for word in _ACCESSIBILITY_WORDS[name])
                    for name, _ in ACCESSIBILITY_FEATURES
                },
            )
        )
        sal_id = _uuid(sal.get("id"), kind="service_at_location", required=False) or stable_uuid(
            "sal", f"{service_id}:{location_id}"
        )
        sals.append(ServiceAtLocation(id=sal_id, service_id=service_id, location_id=location_id))
    if len({location.id for location in locations}) < len(locations):
        raise RecordError("the same location appears twice")
    _unique_ids(sals, "service_at_location")

    schedules = []
    for s in _list(record, "schedules"):
        freq = str(s.get("freq") or "WEEKLY").upper()
        if freq not in _FREQUENCIES:
            raise RecordError(f"schedule freq '{freq[:20]}' is not WEEKLY or MONTHLY")
        schedules.append(
            Schedule(
                id=_uuid(s.get("id"), kind="schedule", required=False) or uuid.uuid4(),
                service_id=service_id,
                freq=freq,
                interval=int(_age(s.get("interval"), name="schedule interval") or 1),
                byday=_text(s.get("byday"), name="byday", max_length=40).upper().replace(" ", ""),
                bymonthday=_text(s.get("bymonthday"), name="bymonthday", max_length=40),
                opens_at=_time(s.get("opens_at"), name="opens_at"),
                closes_at=_time(s.get("closes_at"), name="closes_at"),
                valid_from=_date(s.get("valid_from"), name="valid_from"),
                valid_to=_date(s.get("valid_to"), name="valid_to"),
                description=_text(s.get("description"), name="schedule description", max_length=500),
            )
        )
    _unique_ids(schedules, "schedule")

    contacts = []
    for c in _list(record, "contacts"):
        phones = _list(c, "phones")
        phone = phones[0].get("number") if phones else ""
        contacts.append(
            Contact(
                id=_uuid(c.get("id"), kind="contact", required=False) or uuid.uuid4(),
                service_id=service_id,
                name=_text(c.get("name"), name="contact name", max_length=200),
                title=_text(c.get("title"), name="contact title", max_length=200),
                email=_email(c.get("email")),
                phone=_text(phone, name="contact phone", max_length=40),
            )
        )
    _unique_ids(contacts, "contact")

    areas = {}
    for area in _list(record, "service_areas"):
        prefix = _postcode_prefix(area)
        if prefix:
            areas[prefix] = ServiceArea(
                id=_uuid(area.get("id"), kind="service_area", required=False) or uuid.uuid4(),
                service_id=service_id,
                postcode_prefix=prefix,
                name=_text(area.get("name") or area.get("service_area"), name="service area name", max_length=200)[:200],
            )
    _unique_ids(list(areas.values()), "service_area")

    attributes = []
    for attribute in _list(record, "attributes"):
        term_data = attribute.get("taxonomy_term")
        if not isinstance(term_data, dict):
            continue
        link_type = LinkType.ELIGIBILITY if attribute.get("link_type") == "eligibility" else LinkType.CATEGORY
        attributes.append((_term_spec(term_data), link_type))

    return _Prepared(
        record_id=record_id, service=service, organisation=organisation, locations=locations,
        service_at_locations=sals, schedules=schedules, contacts=contacts, areas=list(areas.values()),
        attributes=attributes,
    )


# --- Taxonomy terms -----------------------------------------------------------------------


class _TermCache:
    """Taxonomy terms seen during one import: looked up once per chunk, created once.

    `resolve` only reads; the terms it decides to create wait in `pending` until
    `create_pending` writes them inside the chunk's transaction. `snapshot` and
    `restore` forget terms whose transaction was rolled back."""

    def __init__(self):
        self.by_key: dict[str, uuid.UUID] = {}
        self.pending: list[TaxonomyTerm] = []
        self._taxonomy: Taxonomy | None = None
        self._known_ids: set[uuid.UUID] = set()
        self._known_slugs: dict[str, uuid.UUID] = {}

    def snapshot(self) -> tuple:
        return dict(self.by_key), self._taxonomy, set(self._known_ids), dict(self._known_slugs)

    def restore(self, snapshot: tuple) -> None:
        self.by_key, self._taxonomy = dict(snapshot[0]), snapshot[1]
        self._known_ids, self._known_slugs = set(snapshot[2]), dict(snapshot[3])
        self.pending = []

    def look_up(self, specs: list[_TermSpec]) -> None:
        """Learn which of these terms exist already, by id or slug: one query."""
        specs = [spec for spec in specs if spec.key not in self.by_key]
        ids = {spec.term_id for spec in specs if spec.term_id} - self._known_ids
        slugs = {spec.slug for spec in specs if spec.slug} - set(self._known_slugs)
        if not ids and not slugs:
            return
        for term_id, slug in TaxonomyTerm.objects.filter(Q(id__in=ids) | Q(slug__in=slugs)).values_list("id", "slug"):
            self._known_ids.add(term_id)
            self._known_slugs[slug] = term_id

    def resolve(self, prepared: _Prepared) -> None:
        """Fill prepared.term_ids; a term that does not exist yet is checked and queued.
        Raises RecordError (and queues nothing) when a new term is not acceptable."""
        found: dict[str, uuid.UUID] = {}
        new: list[TaxonomyTerm] = []
        for spec, _ in prepared.attributes:
            if spec.key in self.by_key or spec.key in found:
                continue
            if spec.term_id and spec.term_id in self._known_ids:
                found[spec.key] = spec.term_id
            elif spec.slug and spec.slug in self._known_slugs:
                found[spec.key] = self._known_slugs[spec.slug]
            elif spec.slug and (match := next((t for t in new if t.slug == spec.slug), None)):
                found[spec.key] = match.id
            else:
                slug = spec.slug or f"-{(spec.term_id or uuid.uuid4()).hex[:8]}"
                term = TaxonomyTerm(
                    id=spec.term_id or stable_uuid("oruk-taxonomy_term", spec.name.lower()),
                    slug=slug, name=spec.name,
                    description=_text(spec.description, name="term description", max_length=2000),
                )
                new.append(term)
                found[spec.key] = term.id
        for term in new:
            self._known_ids.add(term.id)
            self._known_slugs[term.slug] = term.id
        self.by_key.update(found)
        self.pending.extend(new)
        prepared.term_ids = {spec.key: self.by_key[spec.key] for spec, _ in prepared.attributes}

    def create_pending(self) -> None:
        if not self.pending:
            return
        if self._taxonomy is None:
            self._taxonomy, _ = Taxonomy.objects.get_or_create(
                slug=IMPORTED_TAXONOMY_SLUG, defaults={"name": "Imported terms"}
            )
        for term in self.pending:
            term.taxonomy = self._taxonomy
        TaxonomyTerm.objects.bulk_create(self.pending)
        self.pending = []


# --- Writing checked records --------------------------------------------------------------

_ORGANISATION_FIELDS = ["name", "description", "email", "website", "modified_at"]
_SERVICE_FIELDS = [
    "organisation", "name", "description", "url", "email", "status", "alert", "is_free", "cost_amount",
    "cost_description", "minimum_age", "maximum_age", "eligibility_description", "last_reviewed", "modified_at",
]
_LOCATION_FIELDS = [
    "organisation", "location_type", "name", "description", "address_1", "address_2", "city", "region",
    "postcode", "latitude", "longitude", "accessibility_description", "modified_at",
    *(name for name, _ in ACCESSIBILITY_FEATURES),
]


def _last_by_id(rows) -> list:
    """One row per id, the last one given winning (as if written one after another)."""
    return list({row.id: row for row in rows}.values())


def _write(prepared: list[_Prepared], *, terms: _TermCache) -> set[uuid.UUID]:
    """Write checked records (distinct service ids) with a fixed number of queries per
    table, whatever their number. Returns the ids of services that existed before.
    Call inside a transaction: a failure part way must roll all of it back."""
    service_ids = [p.service.id for p in prepared]
    existing = set(Service.objects.filter(id__in=service_ids).values_list("id", flat=True))
    schedules = _last_by_id(row for p in prepared for row in p.schedules)
    contacts = _last_by_id(row for p in prepared for row in p.contacts)
    areas = _last_by_id(row for p in prepared for row in p.areas)
    sals = _last_by_id(row for p in prepared for row in p.service_at_locations)
    # Children are replaced wholesale: the feed is the truth for what it publishes.
    # Rows are also cleared by id, since a feed may move a child to another service.
    for model, rows in (
        (Schedule, schedules), (Contact, contacts), (ServiceArea, areas), (ServiceAttribute, []),
        (ServiceAtLocation, sals),
    ):
        if existing or rows:
            model.objects.filter(Q(service_id__in=existing) | Q(id__in=[row.id for row in rows])).delete()
    terms.create_pending()
    organisations = _last_by_id(p.organisation for p in prepared if p.organisation is not None)
    if organisations:
        Organisation.objects.bulk_create(
            organisations, update_conflicts=True, unique_fields=["id"], update_fields=_ORGANISATION_FIELDS
        )
    Service.objects.bulk_create(
        [p.service for p in prepared], update_conflicts=True, unique_fields=["id"], update_fields=_SERVICE_FIELDS
    )
    locations = _last_by_id(row for p in prepared for row in p.locations)
    if locations:
        Location.objects.bulk_create(
            locations, update_conflicts=True, unique_fields=["id"], update_fields=_LOCATION_FIELDS
        )
    attributes = []
    for p in prepared:
        by_term = {}
        for spec, link_type in p.attributes:
            term_id = p.term_ids[spec.key]
            by_term[(term_id, link_type)] = ServiceAttribute(
                service_id=p.service.id, taxonomy_term_id=term_id, link_type=link_type
            )
        attributes.extend(by_term.values())
    ServiceAtLocation.objects.bulk_create(sals)
    Schedule.objects.bulk_create(schedules)
    Contact.objects.bulk_create(contacts)
    ServiceArea.objects.bulk_create(areas)
    ServiceAttribute.objects.bulk_create(attributes)
    return existing


def _check_references(prepared: list[_Prepared]) -> dict[str, str]:
    """Records naming an organisation by id that neither the chunk nor the directory
    has: {record id: reason}. One query for the chunk."""
    given = {p.organisation.id for p in prepared if p.organisation is not None}
    wanted = {p.service.organisation_id for p in prepared if p.organisation is None} - given
    known = set(Organisation.objects.filter(id__in=wanted).values_list("id", flat=True)) if wanted else set()
    return {
        p.record_id: f"organization {p.service.organisation_id} is not in this feed or the directory"
        for p in prepared
        if p.organisation is None and p.service.organisation_id not in known | given
    }


def service_import_record(record: dict, *, terms: _TermCache | None = None) -> bool:
    """Check and write one service (3.0 or v1 shape) and everything under it. True when
    created. Raises RecordError for a record that cannot be imported, before writing."""
    terms = terms or _TermCache()
    prepared = _prepare(record)
    if missing := _check_references([prepared]):
        raise RecordError(missing[prepared.record_id])
    terms.look_up([spec for spec, _ in prepared.attributes])
    terms.resolve(prepared)
    return not _write([prepared], terms=terms)


# --- Running an import ----------------------------------------------------------------------


def _modified(record: dict) -> datetime.datetime | None:
    value = record.get("last_modified") if isinstance(record, dict) else None
    try:
        return parse_datetime(str(value)) if value else None
    except ValueError:
        return None


def openreferral_import(
    *,
    source: str,
    modified_after: datetime.datetime | None = None,
    on_record: Callable[[ImportSummary], None] | None = None,
    session: requests.Session | None = None,
) -> tuple[ImportSummary, int | None]:
    """Import every service in `source`; returns the summary and the source's count.

    `on_record` is called once for each record read (the command's progress bar)."""
    records, total = read_source(source, modified_after=modified_after, session=session)
    summary = ImportSummary()
    terms = _TermCache()
    chunk: list[_Prepared] = []
    in_chunk: set[uuid.UUID] = set()
    unreported = 0  # records read whose outcome on_record has not been told yet

    def flush(*, report: int) -> None:
        nonlocal chunk, in_chunk, unreported
        _import_chunk(chunk, summary=summary, terms=terms)
        if on_record:
            for _ in range(report):
                on_record(summary)
        chunk, in_chunk, unreported = [], set(), unreported - report

    for record in records:
        unreported += 1
        modified = _modified(record)
        if modified_after and modified and modified < modified_after:
            summary.unchanged += 1
            continue
        try:
            prepared = _prepare(record)
        except RecordError as exc:
            _skip(summary, _record_id(record), exc.reason)
            continue
        except (ValueError, TypeError) as exc:
            _skip(summary, _record_id(record), f"the database refused it ({type(exc).__name__})")
            continue
        if prepared.service.id in in_chunk:
            # The same service twice: write the first before the second replaces it.
            flush(report=unreported - 1)
        chunk.append(prepared)
        in_chunk.add(prepared.service.id)
        if len(chunk) >= CHUNK_SIZE:
            flush(report=unreported)
    flush(report=unreported)
    return summary, total


def _skip(summary: ImportSummary, record_id: str, reason: str) -> None:
    summary.skipped += 1
    summary.errors.append((record_id, reason))


def _import_chunk(chunk: list[_Prepared], *, summary: ImportSummary, terms: _TermCache) -> None:
    """Write a chunk of checked records in one transaction; records the database still
    refuses are found by writing that chunk again one record at a time."""
    if not chunk:
        return
    snapshot = terms.snapshot()
    missing = _check_references(chunk)
    accepted = []
    terms.look_up([spec for p in chunk for spec, _ in p.attributes])
    for p in chunk:
        if p.record_id in missing:
            _skip(summary, p.record_id, missing[p.record_id])
            continue
        try:
            terms.resolve(p)
        except RecordError as exc:
            _skip(summary, p.record_id, exc.reason)
            continue
        accepted.append(p)
    if not accepted:
        return
    try:
        # One commit for the whole chunk (a commit per record costs an fsync each).
        with transaction.atomic():
            existing = _write(accepted, terms=terms)
    except (IntegrityError, DatabaseError, ValueError, TypeError):
        terms.restore(snapshot)
        _import_one_by_one(accepted, summary=summary, terms=terms)
        return
    for p in accepted:
        _count(summary, created=p.service.id not in existing)


def _import_one_by_one(chunk: list[_Prepared], *, summary: ImportSummary, terms: _TermCache) -> None:
    # One transaction, one savepoint per record: a record the database refuses is rolled
    # back alone and nothing half-written is committed.
    with transaction.atomic():
        for p in chunk:
            snapshot = terms.snapshot()
            try:
                with transaction.atomic():
                    terms.look_up([spec for spec, _ in p.attributes])
                    terms.resolve(p)
                    existing = _write([p], terms=terms)
            except RecordError as exc:
                terms.restore(snapshot)
                _skip(summary, p.record_id, exc.reason)
            except (IntegrityError, DatabaseError, ValueError, TypeError) as exc:
                terms.restore(snapshot)
                _skip(summary, p.record_id, f"the database refused it ({type(exc).__name__})")
            else:
                _count(summary, created=p.service.id not in existing)


def _count(summary: ImportSummary, *, created: bool) -> None:
    if created:
        summary.created += 1
    else:
        summary.updated += 1
