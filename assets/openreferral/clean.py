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
import functools
import html
import re
import uuid
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
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


# Inline images pasted into descriptions (data: URIs, often megabytes of base64).
_DATA_URI = re.compile(r"data:[\w/+.-]+(?:;[\w=.-]+)*;base64,[A-Za-z0-9+/=\s]*", re.IGNORECASE)
_LOOKS_LIKE_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_ESCAPED_TAG = re.compile(r"&lt;\s*/?\s*[a-zA-Z]")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos|nbsp);")
_FREE_WORDS = {"none", "no cost", "no charge", "nil", "£0", "£0.00", "0", "0.00"}


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
    if not value:
        return None
    try:
        parsed = parse_datetime(str(value))
        if parsed is None and (day := parse_date(str(value)[:10])):
            parsed = datetime.datetime.combine(day, datetime.time.min)
    except ValueError:
        return None
    if parsed is not None and parsed.tzinfo is None:
        # Feeds that leave the zone off (seen in the wild) are read as UTC, the zone
        # ORUK examples use, so they compare with the aware --modified-after date.
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


def optional_identifier(value: object, *, kind: str) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    if isinstance(value, (dict, list, bool)):
        raise RecordError(f"{kind} id is not a string")
    return _uuid_for(str(value), kind)


@functools.lru_cache(maxsize=4_096)
def _uuid_for(value: str, kind: str) -> uuid.UUID:
    # Cached: an import reads each id twice (checking the record, then settling the ids
    # of its children), and a uuid5 is a SHA-1. Bounded, so memory stays flat.
    try:
        return uuid.UUID(value)
    except ValueError:
        return stable_uuid(f"oruk-{kind}", value[:200])


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


def fitted_text(value: object, *, name: str, max_length: int, warnings: list[str], required: bool = False) -> str:
    """Text that may be too long: inline images are stripped, then it is cut at a word
    boundary with an ellipsis (and a warning) rather than refusing the whole record."""
    cleaned = text(value, name=name, max_length=10**9, required=required)
    if len(cleaned) <= max_length:
        return cleaned
    if _DATA_URI.search(cleaned):
        cleaned = _DATA_URI.sub("", cleaned).strip()
        warnings.append(f"{name}: inline images removed")
        if len(cleaned) <= max_length:
            return cleaned
    cut = cleaned[: max_length - 1]
    if " " in cut[max_length // 2 :]:
        cut = cut[: cut.rindex(" ")]
    warnings.append(f"{name} was longer than {max_length} characters and was shortened")
    return cut.rstrip() + "…"


class _PlainText(HTMLParser):
    """Feed markup as plain text: block elements become line breaks, list items bullets."""

    _BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "tr", "blockquote", "section"}
    _HIDDEN = {"script", "style", "head", "title", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n• ")
        elif tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(re.sub(r"\s+", " ", data))


def plain_text(value: object) -> object:
    """A description that may hold HTML (ORUK allows it) as plain text paragraphs.
    Markup is never kept: the page escapes what it shows. Non-text passes through for
    `text` to refuse."""
    if not isinstance(value, str) or not _LOOKS_LIKE_HTML.search(value):
        return value
    # An organisation's or a shared place's description comes again with each of its
    # services: short ones are remembered (bounded, so memory stays flat).
    return _plain_text_cached(value) if len(value) <= 2_000 else _plain_text(value)


@functools.lru_cache(maxsize=1_024)
def _plain_text_cached(value: str) -> str:
    return _plain_text(value)


def _plain_text(value: str) -> str:
    value = _DATA_URI.sub("", value)
    if "<" not in value and _ESCAPED_TAG.search(value):
        value = html.unescape(value)  # markup that was escaped once as text
    parser = _PlainText()
    parser.feed(value)
    parser.close()
    result = "".join(parser.parts)
    if _ENTITY.search(result):
        result = html.unescape(result)  # double-escaped entities ("&amp;amp;")
    lines = [line.strip() for line in result.replace("\xa0", " ").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def url(value: object, *, name: str, warnings: list[str] | None = None) -> str:
    cleaned = text(value, name=name, max_length=10**6)
    if len(cleaned) > 200:
        # The column holds 200 characters and a cut URL would not work: leave it out.
        if warnings is not None and _URL.match(cleaned):
            warnings.append(f"{name} was longer than 200 characters and was left out")
        return ""
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
    if number < 0:
        return None  # Open Place Directory and others send -1 for "no limit"
    if number > 150:
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


def _says_free(words: str) -> bool:
    words = words.strip().lower()
    return words.startswith("free") or words in _FREE_WORDS


def cost(record: Record, warnings: list[str] | None = None) -> CostFields:
    """Whether a service is free, and its lowest cost, from cost_options or fees.
    Free only when the record says so (amount 0, "Free"): saying nothing is unknown
    cost (is_free False, no amount, no description), so "free only" does not match."""
    options = object_list(record, "cost_options")
    fees = fitted_text(
        plain_text(record.get("fees") or record.get("fees_description")),
        name="fees",
        max_length=300,
        warnings=warnings if warnings is not None else [],
    )
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
    wording = [" ".join(str(o.get(k) or "") for k in ("option", "amount_description")) for o in options]
    is_free = _says_free(fees) if fees else any(_says_free(words) for words in wording)
    return {"is_free": is_free, "cost_amount": None, "cost_description": "" if is_free else fees}


_FREQ_SPELLINGS = {
    "weekly": "WEEKLY",
    "week": "WEEKLY",
    "w": "WEEKLY",
    "monthly": "MONTHLY",
    "month": "MONTHLY",
    "m": "MONTHLY",
    "daily": "DAILY",
    "day": "DAILY",
    "d": "DAILY",
}
_DAY_SPELLINGS = {
    name: code
    for code, names in {
        "MO": ("mo", "mon", "monday"),
        "TU": ("tu", "tue", "tues", "tuesday"),
        "WE": ("we", "wed", "wednesday"),
        "TH": ("th", "thu", "thur", "thurs", "thursday"),
        "FR": ("fr", "fri", "friday"),
        "SA": ("sa", "sat", "saturday"),
        "SU": ("su", "sun", "sunday"),
    }.items()
    for name in names
}
_ORDINAL_DAY = re.compile(r"^([+-]?\d)?([a-z]+)$")
EVERY_DAY = "MO,TU,WE,TH,FR,SA,SU"


def schedule_freq(value: object) -> str:
    """WEEKLY, MONTHLY or DAILY from the spellings feeds use ("week", "monthly"...)."""
    if value in (None, ""):
        return "WEEKLY"
    found = _FREQ_SPELLINGS.get(str(value).strip().lower()[:20])
    if found is None:
        raise RecordError(f"schedule freq '{str(value)[:20]}' is not weekly, monthly or daily")
    return found


def byday(value: object) -> str:
    """iCalendar day codes ("MO,WE", "1TH") from "TH", "th", "Thursday", "MO,WE" or a list."""
    if value in (None, ""):
        return ""
    tokens = value if isinstance(value, list) else re.split(r"[,;\s]+", str(value))
    codes = []
    for token in tokens:
        if not isinstance(token, str) or not token.strip():
            continue
        match = _ORDINAL_DAY.match(token.strip().lower())
        day = _DAY_SPELLINGS.get(match.group(2)) if match else None
        if match is None or day is None:
            raise RecordError(f"schedule byday '{str(token)[:20]}' is not a day")
        codes.append((match.group(1) or "").lstrip("+") + day)
    return ",".join(codes)[:40]
