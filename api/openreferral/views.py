"""The public, read-only Open Referral UK 3.0 feed (/openreferral/...).

No login, `Access-Control-Allow-Origin: *`, every query parameter combines
with AND, list pages use the profile's keys (total_items, total_pages,
page_number, size, first_page, last_page, empty, contents). Bad parameters
get a 400 with the project's error shape, never a 500. Plain Django views:
the feed's shape is fixed by the profile, not by the private API's conventions.

Paging: `per_page` above the most a page holds (MAX_PER_PAGE, or
MAX_MINIMAL_PER_PAGE for `minimal=true`) is not refused, because real clients ask
for 500 or 1,000: it is cut to the maximum, and that page says so with two extra
keys, `per_page` and `note` (the profile's page schema allows extra keys), and the
`X-Per-Page-Clamped` header. `size` is always the number of items on the page.
A page that was not cut has exactly the profile's keys.

ORUK v1 names still work: `text` is `search`, `vocabulary` names a taxonomy.
docs/openreferral.md describes every parameter.

This module only parses the request (query parameters, ids, paging), calls the
selectors in assets.openreferral.queries and renders their rows with
assets.openreferral.mapping: every read of the directory lives there.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import json
import math
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from django.db.models import Model
from django.http import Http404, HttpRequest, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _, gettext_lazy, ngettext
from django.views.decorators.http import require_safe

from api.filters import OUT_OF_RANGE, as_utc
from assets.openreferral import mapping as oruk, queries
from assets.openreferral.export import ndjson_lines
from assets.openreferral.mapping import JSONObject
from assets.openreferral.queries import ServiceFilters
from assets.selectors import parse_day
from core.errors import DomainError, InvalidInputError
from core.places.geocoding import GeocodeResult, GeocodingError, geocode

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_MINIMAL_PER_PAGE = 1000
MAX_PROXIMITY_METRES = 200_000
CLAMPED_HEADER = "X-Per-Page-Clamped"
# A time of day as HH:MM or HH:MM:SS, 24-hour clock.
_TIME_OF_DAY = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?")

_Row = TypeVar("_Row", bound=Model)
FeedView = Callable[..., HttpResponseBase]


def _error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    response = JsonResponse(
        {"error": {"code": code, "message": str(message), "fields": {field: [str(message)]} if field else {}}},
        status=status,
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


def feed_view(view: FeedView) -> FeedView:
    """Public GET, CORS *, domain errors as JSON."""

    @functools.wraps(view)
    @require_safe
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = view(request, *args, **kwargs)
        except Http404 as exc:
            return _error(404, "not_found", str(exc) or _("Not found."))
        except DomainError as exc:
            return _error(exc.http_status, exc.code, exc.message, exc.field)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapper


def _param(request: HttpRequest, name: str, max_length: int = 100) -> str:
    value = request.GET.get(name, "").strip()
    if len(value) > max_length or "\x00" in value:
        raise InvalidInputError(
            _("'%(name)s' is too long or has characters it cannot have.") % {"name": name}, field=name
        )
    return value


def _int_param(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    raw = _param(request, name, 12)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInputError(_("'%(name)s' must be a whole number.") % {"name": name}, field=name) from None
    if not (low <= value <= high):
        raise InvalidInputError(
            _("'%(name)s' must be between %(low)s and %(high)s.") % {"name": name, "low": low, "high": high},
            field=name,
        )
    return value


def _uuid_param(request: HttpRequest, name: str) -> uuid.UUID | None:
    raw = _param(request, name, 40)
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise InvalidInputError(_("'%(name)s' must be a UUID.") % {"name": name}, field=name) from None


def _bool_param(request: HttpRequest, name: str) -> bool:
    raw = _param(request, name, 5).lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise InvalidInputError(_("'%(name)s' must be true or false.") % {"name": name}, field=name)


def _datetime_param(request: HttpRequest, name: str) -> datetime.datetime | None:
    raw = _param(request, name, 40)
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
        if value is None and (day := parse_date(raw)):
            value = datetime.datetime.combine(day, datetime.time.min)
    except ValueError:
        value = None
    if value is None:
        raise InvalidInputError(
            _("'%(name)s' must be a date-time like 2024-01-31T09:00:00Z.") % {"name": name}, field=name
        )
    try:
        if value.tzinfo is None:
            value = timezone.make_aware(value, timezone.get_default_timezone())
        return as_utc(value)
    except OverflowError:
        raise InvalidInputError(
            _("'%(name)s': %(problem)s") % {"name": name, "problem": OUT_OF_RANGE}, field=name
        ) from None


def _time_param(request: HttpRequest, name: str) -> datetime.time | None:
    raw = _param(request, name, 12)
    if not raw:
        return None
    match = _TIME_OF_DAY.fullmatch(raw)
    if match is None:
        raise InvalidInputError(
            _("'%(name)s' must be a time of day on the 24-hour clock, like 09:30 or 17:00:00.") % {"name": name},
            field=name,
        )
    hour, minute, second = (int(part or 0) for part in match.groups())
    return datetime.time(hour, minute, second)


@dataclasses.dataclass(frozen=True)
class _Paging:
    """The page asked for, with per_page cut to the maximum when it asked for more."""

    number: int
    per_page: int
    asked_per_page: int

    @property
    def start(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def clamped(self) -> bool:
        return self.asked_per_page > self.per_page


def _page(request: HttpRequest, *, max_per_page: int = MAX_PER_PAGE) -> _Paging:
    raw = _param(request, "per_page", 12)
    asked = DEFAULT_PER_PAGE
    if raw:
        try:
            asked = int(raw)
        except ValueError:
            raise InvalidInputError(_("'per_page' must be a whole number, like 50."), field="per_page") from None
        if asked < 1:
            raise InvalidInputError(_("'per_page' must be 1 or more."), field="per_page")
    page = _int_param(request, "page", 1, 1, 1_000_000)
    return _Paging(number=page, per_page=min(asked, max_per_page), asked_per_page=asked)


def _page_body(contents: list[JSONObject], *, total: int, paging: _Paging) -> JSONObject:
    total_pages = max(1, math.ceil(total / paging.per_page))
    body: JSONObject = {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": paging.number,
        "size": len(contents),
        "first_page": paging.number == 1,
        "last_page": paging.number >= total_pages,
        "empty": len(contents) == 0,
        "contents": contents,
    }
    if paging.clamped:
        body["per_page"] = paging.per_page
        asked = ngettext(
            "You asked for %(count)s item a page.", "You asked for %(count)s items a page.", paging.asked_per_page
        ) % {"count": paging.asked_per_page}
        most = _(
            "The most this feed gives on one page is %(most)s, so this page has up to %(most)s. "
            "Ask for the next page number to get the rest."
        ) % {"most": paging.per_page}
        body["note"] = f"{asked} {most}"
    return body


def _service_filters(request: HttpRequest) -> ServiceFilters:
    """The service filters asked for, parsed (in the order a bad one is reported)."""
    filters = ServiceFilters(
        search=_param(request, "search"),
        text=_param(request, "text"),
        taxonomy_term_id=_uuid_param(request, "taxonomy_term_id"),
        taxonomy_id=_uuid_param(request, "taxonomy_id"),
        vocabulary=_param(request, "vocabulary", 200),
        organisation_id=_uuid_param(request, "organization_id"),
        modified_after=_datetime_param(request, "modified_after"),
        day=_day_param(request, "day"),
        start_time=_time_param(request, "start_time"),
        end_time=_time_param(request, "end_time"),
        minimum_age=_age_param(request, "minimum_age"),
        maximum_age=_age_param(request, "maximum_age"),
    )
    if filters.start_time is not None and filters.end_time is not None and filters.end_time < filters.start_time:
        raise InvalidInputError(
            _("'end_time' is before 'start_time': give a window that ends after it starts, like 09:00 to 12:00."),
            field="end_time",
        )
    postcode = _param(request, "postcode", 20)
    proximity = _param(request, "proximity", 12)
    if proximity and not postcode:
        raise InvalidInputError(_("'proximity' needs a 'postcode' to measure from."), field="proximity")
    if not postcode:
        return filters
    origin = _postcode_origin(postcode)
    radius_km = _proximity_metres(proximity) / 1000 if proximity else None
    return dataclasses.replace(filters, origin=origin, radius_km=radius_km)


def _day_param(request: HttpRequest, name: str) -> str | None:
    raw = _param(request, name, 12)
    return parse_day(raw) if raw else None


def _age_param(request: HttpRequest, name: str) -> int | None:
    if not request.GET.get(name, "").strip():
        return None
    return _int_param(request, name, 0, 0, 150)


def _postcode_origin(postcode: str) -> GeocodeResult:
    try:
        origin = geocode(postcode)
    except GeocodingError as exc:
        raise InvalidInputError(exc.message, field="postcode") from None
    if origin.kind not in ("postcode", "district"):
        raise InvalidInputError(_("'postcode' must be a UK postcode, like RG1 7QE or RG1."), field="postcode")
    return origin


def _proximity_metres(raw: str) -> float:
    try:
        metres = float(raw)
    except ValueError:
        raise InvalidInputError(_("'proximity' must be a number of metres."), field="proximity") from None
    if not (0 < metres <= MAX_PROXIMITY_METRES):
        raise InvalidInputError(
            _("'proximity' must be between 1 and %(most)s metres.") % {"most": MAX_PROXIMITY_METRES}, field="proximity"
        )
    return metres


def _pk(pk: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(pk))
    except ValueError:
        raise _not_found(what) from None


# One whole sentence for each kind of thing: a language may need to say each differently.
_NOT_FOUND = {
    "service": gettext_lazy("There is no service with that id."),
    "service at location": gettext_lazy("There is no service at location with that id."),
    "organization": gettext_lazy("There is no organization with that id."),
    "taxonomy": gettext_lazy("There is no taxonomy with that id."),
    "taxonomy term": gettext_lazy("There is no taxonomy term with that id."),
}


def _not_found(what: str) -> Http404:
    return Http404(str(_NOT_FOUND[what]))


def _page_response(page: queries.Page[_Row], render: Callable[[_Row], JSONObject], paging: _Paging) -> JsonResponse:
    contents = [render(row) for row in page.rows]
    response = JsonResponse(_page_body(contents, total=page.total, paging=paging))
    if paging.clamped:
        response[CLAMPED_HEADER] = str(paging.per_page)
        # Without this a browser hides the header from a script on another site.
        response["Access-Control-Expose-Headers"] = CLAMPED_HEADER
    return response


@feed_view
def root(request: HttpRequest) -> HttpResponseBase:
    return JsonResponse(
        {
            "version": oruk.VERSION,
            "profile": oruk.PROFILE_URL,
            "openapi_url": request.build_absolute_uri(reverse("openreferral:openapi")),
        }
    )


@feed_view
def openapi(request: HttpRequest) -> HttpResponseBase:
    path = Path(__file__).resolve().parent / "openapi.json"
    return JsonResponse(json.loads(path.read_text(encoding="utf-8")))


@feed_view
def services(request: HttpRequest) -> HttpResponseBase:
    minimal = _bool_param(request, "minimal")
    response_format = _param(request, "format", 10).lower() or "json"
    if response_format not in ("json", "ndjson"):
        raise InvalidInputError(_("'format' must be json or ndjson."), field="format")
    filters = _service_filters(request)
    if response_format == "ndjson":
        lines = ndjson_lines(queries.services_full(filters=filters))
        return StreamingHttpResponse(lines, content_type="application/x-ndjson")
    paging = _page(request, max_per_page=MAX_MINIMAL_PER_PAGE if minimal else MAX_PER_PAGE)
    found = queries.services_page(filters=filters, start=paging.start, size=paging.per_page)
    render = oruk.service_minimal_data if minimal else oruk.service_list_data
    return _page_response(found, render, paging)


@feed_view
def service_detail(request: HttpRequest, pk: str) -> HttpResponseBase:
    service = queries.service_full(service_id=_pk(pk, "service"))
    if service is None:
        raise _not_found("service")
    return JsonResponse(oruk.service_full_data(service))


@feed_view
def service_at_locations(request: HttpRequest) -> HttpResponseBase:
    filters = _service_filters(request)
    paging = _page(request)
    found = queries.service_at_locations_page(filters=filters, start=paging.start, size=paging.per_page)
    return _page_response(found, oruk.service_at_location_list_data, paging)


@feed_view
def service_at_location_detail(request: HttpRequest, pk: str) -> HttpResponseBase:
    sal = queries.service_at_location_full(service_at_location_id=_pk(pk, "service at location"))
    if sal is None:
        raise _not_found("service at location")
    return JsonResponse(oruk.service_at_location_full_data(sal))


@feed_view
def organizations(request: HttpRequest) -> HttpResponseBase:
    paging = _page(request)
    found = queries.organisations_page(start=paging.start, size=paging.per_page)
    return _page_response(found, oruk.organisation_data, paging)


@feed_view
def organization_detail(request: HttpRequest, pk: str) -> HttpResponseBase:
    found = queries.organisation_with_services(organisation_id=_pk(pk, "organization"))
    if found is None:
        raise _not_found("organization")
    organisation, services_list = found
    return JsonResponse(oruk.organisation_full_data(organisation, services=services_list))


@feed_view
def taxonomies(request: HttpRequest) -> HttpResponseBase:
    paging = _page(request)
    found = queries.taxonomies_page(start=paging.start, size=paging.per_page)
    return _page_response(found, oruk.taxonomy_data, paging)


@feed_view
def taxonomy_detail(request: HttpRequest, pk: str) -> HttpResponseBase:
    found = queries.taxonomy_with_terms(taxonomy_id=_pk(pk, "taxonomy"))
    if found is None:
        raise _not_found("taxonomy")
    taxonomy, terms = found
    return JsonResponse(oruk.taxonomy_data(taxonomy, terms=terms))


@feed_view
def taxonomy_terms(request: HttpRequest) -> HttpResponseBase:
    taxonomy_id = _uuid_param(request, "taxonomy_id")
    paging = _page(request)
    found = queries.taxonomy_terms_page(taxonomy_id=taxonomy_id, start=paging.start, size=paging.per_page)
    return _page_response(found, oruk.taxonomy_term_data, paging)


@feed_view
def taxonomy_term_detail(request: HttpRequest, pk: str) -> HttpResponseBase:
    term = queries.taxonomy_term(term_id=_pk(pk, "taxonomy term"))
    if term is None:
        raise _not_found("taxonomy term")
    return JsonResponse(oruk.taxonomy_term_data(term))
