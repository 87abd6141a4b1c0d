"""Importing Open Referral UK feeds (ORUK 3.0 and the older v1) into the directory.

A source is a file (a JSON page, a list of services, one service, or ndjson) or a
feed's base URL (paged through /services, each service fetched in full).
Every record is first turned into the 3.0 shape (`normalise_v1_service` for v1),
then written by `service_import_record` in its own savepoint: a bad record is
reported with its id and reason and leaves nothing behind; good ones around it
are kept. Ids are kept when they are UUIDs; other ids (v1 feeds often use
numbers) become stable uuid5 values, so re-importing updates instead of duplicating.
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
from timebank.errors import InvalidInputError

HTTP_TIMEOUT = (3, 10)  # connect, read (QUALITY A10)
MAX_RESPONSE_BYTES = 20 * 1024 * 1024
MAX_PAGES = 10_000
COMMIT_EVERY = 200
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


# --- Writing one record ---------------------------------------------------------------


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


class _TermCache:
    """Taxonomy terms seen during one import: found once, created once."""

    def __init__(self):
        self.by_key: dict[str, TaxonomyTerm] = {}
        self._taxonomy: Taxonomy | None = None

    def snapshot(self) -> tuple:
        return dict(self.by_key), self._taxonomy

    def restore(self, snapshot: tuple) -> None:
        """Forget rows created inside a savepoint that was rolled back."""
        self.by_key, self._taxonomy = dict(snapshot[0]), snapshot[1]

    def taxonomy(self) -> Taxonomy:
        if self._taxonomy is None:
            self._taxonomy, _ = Taxonomy.objects.get_or_create(
                slug=IMPORTED_TAXONOMY_SLUG, defaults={"name": "Imported terms"}
            )
        return self._taxonomy

    def term(self, data: dict) -> TaxonomyTerm:
        term_id = _uuid(data.get("id"), kind="taxonomy_term", required=False)
        name = _text(data.get("name") or data.get("term"), name="taxonomy term name", max_length=200, required=True)
        key = str(term_id) if term_id else name.lower()
        if key in self.by_key:
            return self.by_key[key]
        slug = slugify(data.get("code") or "")[:80] or slugify(name)[:80]
        term = None
        if term_id:
            term = TaxonomyTerm.objects.filter(id=term_id).first()
        if term is None and slug:
            term = TaxonomyTerm.objects.filter(slug=slug).first()
        if term is None:
            if not slug or TaxonomyTerm.objects.filter(slug=slug).exists():
                slug = f"{slug[:60]}-{(term_id or uuid.uuid4()).hex[:8]}"
            term = TaxonomyTerm.objects.create(
                id=term_id or stable_uuid("oruk-taxonomy_term", name.lower()),
                taxonomy=self.taxonomy(), slug=slug, name=name,
                description=_text(data.get("description"), name="term description", max_length=2000),
            )
        self.by_key[key] = term
        return term


def _upsert(model, pk, fields: dict) -> bool:
    """Update the row with this id, or create it. True when created (one query to update)."""
    if model.objects.filter(pk=pk).update(**fields):
        return False
    model.objects.create(pk=pk, **fields)
    return True


def _organisation(record: dict) -> uuid.UUID:
    data = record.get("organization")
    if data is None and record.get("organization_id"):
        org_id = _uuid(record["organization_id"], kind="organization")
        if not Organisation.objects.filter(id=org_id).exists():
            raise RecordError(f"organization {record['organization_id']} is not in this feed or the directory")
        return org_id
    if not isinstance(data, dict):
        raise RecordError("organization is missing")
    org_id = _uuid(data.get("id"), kind="organization")
    _upsert(
        Organisation,
        org_id,
        {
            "name": _text(data.get("name"), name="organization name", max_length=200, required=True),
            "description": _text(data.get("description"), name="organization description", max_length=10000),
            "email": _email(data.get("email")),
            "website": _url(data.get("website") or data.get("url"), name="organization website"),
        },
    )
    return org_id


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


def service_import_record(record: dict, *, terms: _TermCache | None = None) -> bool:
    """Write one service (3.0 shape) and everything under it. True when created.

    Raises RecordError for a record that cannot be imported; the caller's savepoint
    rolls back whatever this record had written.
    """
    terms = terms or _TermCache()
    if not isinstance(record, dict):
        raise RecordError("the record is not an object")
    if record.get("__error__"):
        raise RecordError(record["__error__"])
    if is_v1_record(record):
        record = normalise_v1_service(record)
    service_id = _uuid(record.get("id"), kind="service")
    status = _text(record.get("status") or "active", name="status", max_length=30).lower()
    if status not in ServiceStatus.values:
        raise RecordError(f"status '{status[:30]}' is not one of {', '.join(ServiceStatus.values)}")
    minimum = _age(record.get("minimum_age"), name="minimum_age")
    maximum = _age(record.get("maximum_age"), name="maximum_age")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise RecordError("minimum_age is more than maximum_age")
    organisation_id = _organisation(record)
    created = _upsert(
        Service,
        service_id,
        {
            "organisation_id": organisation_id,
            "name": _text(record.get("name"), name="name", max_length=200, required=True),
            "description": _text(record.get("description"), name="description", max_length=20000),
            "url": _url(record.get("url"), name="url"),
            "email": _email(record.get("email")),
            "status": status,
            "alert": _text(record.get("alert"), name="alert", max_length=500),
            "minimum_age": minimum,
            "maximum_age": maximum,
            "eligibility_description": _text(
                record.get("eligibility_description"), name="eligibility_description", max_length=500
            ),
            "last_reviewed": _date(record.get("assured_date"), name="assured_date"),
            **_cost(record),
        },
    )
    if not created:
        # Children are replaced wholesale: the feed is the truth for what it publishes.
        for model in (Schedule, Contact, ServiceArea, ServiceAttribute, ServiceAtLocation):
            model.objects.filter(service_id=service_id).delete()

    sal_ids: dict[int, uuid.UUID] = {}
    for index, sal in enumerate(_list(record, "service_at_locations")):
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
        if location_type not in LocationType.values:
            raise RecordError(f"location_type '{location_type[:20]}' is not physical, postal or virtual")
        lowered = accessibility_text.lower()
        _upsert(
            Location,
            location_id,
            {
                "organisation_id": organisation_id,
                "location_type": location_type,
                "name": _text(location.get("name"), name="location name", max_length=200),
                "description": _text(location.get("description"), name="location description", max_length=5000),
                "address_1": _text(address.get("address_1"), name="address_1", max_length=200),
                "address_2": _text(address.get("address_2"), name="address_2", max_length=200),
                "city": _text(address.get("city"), name="city", max_length=100),
                "region": _text(address.get("region") or address.get("state_province"), name="region", max_length=100),
                "postcode": _text(address.get("postal_code"), name="postal_code", max_length=8).upper(),
                "latitude": _coordinate(location.get("latitude"), name="latitude", limit=90),
                "longitude": _coordinate(location.get("longitude"), name="longitude", limit=180),
                "accessibility_description": accessibility_text.strip()[:5000],
                **{
                    name: any(word in lowered for word in _ACCESSIBILITY_WORDS[name])
                    for name, _ in ACCESSIBILITY_FEATURES
                },
            },
        )
        sal_id = _uuid(sal.get("id"), kind="service_at_location", required=False) or stable_uuid(
            "sal", f"{service_id}:{location_id}"
        )
        ServiceAtLocation.objects.filter(id=sal_id).delete()
        ServiceAtLocation.objects.create(id=sal_id, service_id=service_id, location_id=location_id)
        sal_ids[index] = sal_id

    schedules = []
    for s in _list(record, "schedules"):
        freq = str(s.get("freq") or "WEEKLY").upper()
        if freq not in ScheduleFrequency.values:
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
    Schedule.objects.filter(id__in=[s.id for s in schedules]).delete()
    Schedule.objects.bulk_create(schedules)

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
    Contact.objects.filter(id__in=[c.id for c in contacts]).delete()
    Contact.objects.bulk_create(contacts)

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
    ServiceArea.objects.filter(id__in=[a.id for a in areas.values()]).delete()
    ServiceArea.objects.bulk_create(areas.values())

    attributes = {}
    for attribute in _list(record, "attributes"):
        term_data = attribute.get("taxonomy_term")
        if not isinstance(term_data, dict):
            continue
        link_type = LinkType.ELIGIBILITY if attribute.get("link_type") == "eligibility" else LinkType.CATEGORY
        term = terms.term(term_data)
        attributes[(term.id, link_type)] = ServiceAttribute(
            service_id=service_id, taxonomy_term=term, link_type=link_type
        )
    ServiceAttribute.objects.bulk_create(attributes.values())
    return created


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

    `on_record` is called after each record (the command's progress bar)."""
    records, total = read_source(source, modified_after=modified_after, session=session)
    summary = ImportSummary()
    terms = _TermCache()
    batch: list = []
    for record in records:
        batch.append(record)
        if len(batch) >= COMMIT_EVERY:
            _import_batch(batch, modified_after=modified_after, summary=summary, terms=terms, on_record=on_record)
            batch = []
    _import_batch(batch, modified_after=modified_after, summary=summary, terms=terms, on_record=on_record)
    return summary, total


def _import_batch(batch: list, *, modified_after, summary: ImportSummary, terms: _TermCache, on_record) -> None:
    # One commit per batch (a commit per record would cost an fsync each); inside it,
    # one savepoint per record, so a bad record is rolled back alone and nothing
    # half-written is ever committed.
    with transaction.atomic():
        for record in batch:
            _import_one(record, modified_after=modified_after, summary=summary, terms=terms)
            if on_record:
                on_record(summary)


def _import_one(record, *, modified_after, summary: ImportSummary, terms: _TermCache) -> None:
    record_id = str(record.get("id") if isinstance(record, dict) else "?")[:80] or "?"
    modified = _modified(record)
    if modified_after and modified and modified < modified_after:
        summary.unchanged += 1
        return
    snapshot = terms.snapshot()
    try:
        with transaction.atomic():
            created = service_import_record(record, terms=terms)
    except RecordError as exc:
        terms.restore(snapshot)  # terms created in the rolled-back savepoint are gone
        summary.skipped += 1
        summary.errors.append((record_id, exc.reason))
    except (IntegrityError, DatabaseError, ValueError, TypeError) as exc:
        terms.restore(snapshot)
        summary.skipped += 1
        summary.errors.append((record_id, f"the database refused it ({type(exc).__name__})"))
    else:
        if created:
            summary.created += 1
        else:
            summary.updated += 1
