"""Reading single values out of Open Referral UK JSON: each cleaner takes whatever
the record holds and returns a plain Python value or raises `RecordError`.

Invariants:
* No queries and no model instances: only values (str, int, UUID, date...).
* A value that cannot be used raises `RecordError` with a reason naming the field
  (`name=`) the person running the import will recognise; nothing is guessed.
* Optional values that are missing come back as "" (text) or None (everything else).
  A URL or email that does not look like one is dropped (""), not refused: feeds
  often hold free text there.
* Ids are kept when they are UUIDs; other ids (v1 feeds often use numbers) become
  stable uuid5 values, so re-importing the same feed updates instead of duplicating.
"""

from __future__ import annotations

import datetime
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any, TypedDict

from django.utils.dateparse import parse_date, parse_datetime, parse_time

from assets.models import stable_uuid
from assets.openreferral.report import RecordError

# A JSON object as a record holds it.
Record = dict[str, Any]

_POSTCODE_PREFIX = re.compile(r"^[A-Z]{1,2}(?:[0-9][A-Z0-9]?)?$")
_URL = re.compile(r"^https?://[^\s]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_COST = Decimal("999999")


class CostFields(TypedDict):
    is_free: bool
    cost_amount: Decimal | None
    cost_description: str


def record_id(record: object) -> str:
    """The id to report a record by, even when the record is not usable."""
    return str(record.get("id") if isinstance(record, dict) else "?")[:80] or "?"


def modified_at(record: object) -> datetime.datetime | None:
    """When the record says it last changed, or None when it does not say (clearly)."""
    value = record.get("last_modified") if isinstance(record, dict) else None
    try:
        return parse_datetime(str(value)) if value else None
    except ValueError:
        return None


def optional_identifier(value: object, *, kind: str) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    if isinstance(value, (dict, list, bool)):
        raise RecordError(f"{kind} id is not a string")
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return stable_uuid(f"oruk-{kind}", str(value)[:200])


def identifier(value: object, *, kind: str) -> uuid.UUID:
    found = optional_identifier(value, kind=kind)
    if found is None:
        raise RecordError(f"{kind} has no id")
    return found


def text(value: object, *, name: str, max_length: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise RecordError(f"{name} should be text")
    cleaned = str(value).replace("\x00", "").strip()
    if required and not cleaned:
        raise RecordError(f"{name} is missing")
    if len(cleaned) > max_length:
        raise RecordError(f"{name} is longer than {max_length} characters")
    return cleaned


def url(value: object, *, name: str) -> str:
    cleaned = text(value, name=name, max_length=200)
    return cleaned if _URL.match(cleaned) else ""


def email(value: object) -> str:
    cleaned = text(value, name="email", max_length=254)
    return cleaned if _EMAIL.match(cleaned) else ""


def age(value: object, *, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]  # anything float() refuses is reported below
    except (TypeError, ValueError):
        raise RecordError(f"{name} is not a number") from None
    if not (0 <= number <= 150):
        raise RecordError(f"{name} {value} is not a plausible age")
    return int(number)


def coordinate(value: object, *, name: str, limit: float) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]  # anything float() refuses is reported below
    except (TypeError, ValueError):
        raise RecordError(f"{name} is not a number") from None
    if not (-limit <= number <= limit):
        raise RecordError(f"{name} {value} is out of range")
    return number


def date(value: object, *, name: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    try:
        parsed = parse_date(str(value)[:10])
    except ValueError:
        parsed = None
    if parsed is None:
        raise RecordError(f"{name} '{str(value)[:20]}' is not a date")
    return parsed


def time(value: object, *, name: str) -> datetime.time | None:
    if value in (None, ""):
        return None
    try:
        parsed = parse_time(str(value)[:8])
    except ValueError:
        parsed = None
    if parsed is None:
        raise RecordError(f"{name} '{str(value)[:20]}' is not a time")
    return parsed


def object_list(record: Record, key: str) -> list[Record]:
    """record[key] as a list of objects ([] when missing)."""
    value = record.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise RecordError(f"{key} should be a list of objects")
    return value


def postcode_prefix(area: Record) -> str:
    """The postcode area or district a service area names ("RG", "RG1"), else ""."""
    for candidate in (area.get("extent"), area.get("name"), area.get("service_area")):
        cleaned = re.sub(r"\s+", "", str(candidate or "")).upper()
        if _POSTCODE_PREFIX.match(cleaned):
            return cleaned
    return ""


def cost(record: Record) -> CostFields:
    """Whether a service is free, and its lowest cost, from cost_options or fees."""
    options = object_list(record, "cost_options")
    fees = text(record.get("fees"), name="fees", max_length=300)
    amounts = []
    for option in options:
        if option.get("amount") not in (None, ""):
            try:
                amount = Decimal(str(option["amount"]))
            except InvalidOperation:
                raise RecordError("cost amount is not a number") from None
            if amount < 0 or amount > _MAX_COST:
                raise RecordError("cost amount is out of range")
            amounts.append((amount, option))
    if amounts:
        amount, option = min(amounts, key=lambda pair: pair[0])
        description = (
            " ".join(str(part) for part in (option.get("option"), option.get("amount_description")) if part)[:300]
            or fees
        )
        return {"is_free": amount == 0, "cost_amount": None if amount == 0 else amount, "cost_description": description}
    is_free = not fees or fees.lower().startswith("free") or fees.lower() in {"none", "no cost", "£0", "0"}
    return {"is_free": is_free, "cost_amount": None, "cost_description": "" if is_free else fees}
