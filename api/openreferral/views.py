"""The public, read-only Open Referral UK 3.0 feed (/openreferral/...).

No login, `Access-Control-Allow-Origin: *`, every query parameter combines
with AND, list pages use the profile's keys (total_items, total_pages,
page_number, size, first_page, last_page, empty, contents). Bad parameters
get a 400 with the project's error shape, never a 500. Plain Django views:
the feed's shape is fixed by the profile, not by the private API's conventions.
"""
from __future__ import annotations

import datetime
import functools
import json
import math
import uuid
from pathlib import Path

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_safe

from api.filters import OUT_OF_RANGE, as_utc
from assets.openreferral import mapping as oruk
from assets.openreferral.export import full_services_queryset, ndjson_lines
from core.places.geocoding import GeocodingError, geocode
from assets.models import (
    Organisation,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceAttribute,
    Taxonomy,
    TaxonomyTerm,
)
from assets.selectors import parse_day, service_area_filter, services_near
from core.errors import DomainError, InvalidInputError

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_MINIMAL_PER_PAGE = 1000
MAX_PROXIMITY_METRES = 200_000


def _error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    response = JsonResponse(
        {"error": {"code": code, "message": message, "fields": {field: [message]} if field else {}}}, status=status
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


def feed_view(view):
    """Public GET, CORS *, domain errors as JSON."""

    @functools.wraps(view)
    @require_safe
    def wrapper(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404 as exc:
            return _error(404, "not_found", str(exc) or "Not found.")
        except DomainError as exc:
            return _error(exc.http_status, exc.code, exc.message, exc.field)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapper


def _param(request, name: str, max_length: int = 100) -> str:
    value = request.GET.get(name, "").strip()
    if len(value) > max_length or "\x00" in value:
        raise InvalidInputError(f"'{name}' is too long or has characters it cannot have.", field=name)
    return value


def _int_param(request, name: str, default: int, low: int, high: int) -> int:
    raw = _param(request, name, 12)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInputError(f"'{name}' must be a whole number.", field=name) from None
    if not (low <= value <= high):
        raise InvalidInputError(f"'{name}' must be between {low} and {high}.", field=name)
    return value


def _uuid_param(request, name: str) -> uuid.UUID | None:
    raw = _param(request, name, 40)
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise InvalidInputError(f"'{name}' must be a UUID.", field=name) from None


def _bool_param(request, name: str) -> bool:
    raw = _param(request, name, 5).lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise InvalidInputError(f"'{name}' must be true or false.", field=name)


def _datetime_param(request, name: str):
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
        raise InvalidInputError(f"'{name}' must be a date-time like 2024-01-31T09:00:00Z.", field=name)
    try:
        if value.tzinfo is None:
            value = timezone.make_aware(value, timezone.get_default_timezone())
        return as_utc(value)
    except OverflowError:
        raise InvalidInputError(f"'{name}': {OUT_OF_RANGE}", field=name) from None


def _page(request, items_count: int, *, max_per_page: int = MAX_PER_PAGE) -> tuple[int, int, int]:
    per_page = _int_param(request, "per_page", DEFAULT_PER_PAGE, 1, max_per_page)
    page = _int_param(request, "page", 1, 1, 1_000_000)
    return page, per_page, (page - 1) * per_page


def _page_body(contents: list, *, total: int, page: int, per_page: int) -> dict:
    total_pages = max(1, math.ceil(total / per_page))
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": len(contents) == 0,
        "contents": contents,
    }


def _service_filters(request, services: QuerySet, *, field_prefix: str = "") -> tuple[QuerySet, list | None]:
    """Apply every service filter (AND). Returns the queryset and, for postcode +
    proximity, the ids nearest first (else None)."""
    p = field_prefix
    if search := _param(request, "search"):
        services = services.filter(
            Q(**{f"{p}name__icontains": search}) | Q(**{f"{p}description__icontains": search})
            | Q(**{f"{p}organisation__name__icontains": search})
        )
    service_ref = OuterRef(f"{p}id" if p else "id")
    if term_id := _uuid_param(request, "taxonomy_term_id"):
        services = services.filter(Exists(ServiceAttribute.objects.filter(service_id=service_ref, taxonomy_term_id=term_id)))
    if taxonomy_id := _uuid_param(request, "taxonomy_id"):
        services = services.filter(
            Exists(ServiceAttribute.objects.filter(service_id=service_ref, taxonomy_term__taxonomy_id=taxonomy_id))
        )
    if organisation_id := _uuid_param(request, "organization_id"):
        services = services.filter(**{f"{p}organisation_id": organisation_id})
    if modified_after := _datetime_param(request, "modified_after"):
        services = services.filter(**{f"{p}modified_at__gte": modified_after})
    if day := _param(request, "day", 12):
        code = parse_day(day)
        services = services.filter(Exists(Schedule.objects.filter(service_id=service_ref, byday__contains=code)))
    for name, lookup in (("minimum_age", "minimum_age__gte"), ("maximum_age", "maximum_age__lte")):
        if request.GET.get(name, "").strip():
            services = services.filter(**{f"{p}{lookup}": _int_param(request, name, 0, 0, 150)})

    postcode = _param(request, "postcode", 20)
    proximity_raw = _param(request, "proximity", 12)
    if proximity_raw and not postcode:
        raise InvalidInputError("'proximity' needs a 'postcode' to measure from.", field="proximity")
    nearest_ids = None
    if postcode:
        try:
            origin = geocode(postcode)
        except GeocodingError as exc:
            raise InvalidInputError(exc.message, field="postcode") from None
        if origin.kind not in ("postcode", "district"):
            raise InvalidInputError("'postcode' must be a UK postcode, like RG1 7QE or RG1.", field="postcode")
        services = services.filter(service_area_filter(origin.district, service_ref="service_id" if p else "id"))
        if proximity_raw:
            try:
                metres = float(proximity_raw)
            except ValueError:
                raise InvalidInputError("'proximity' must be a number of metres.", field="proximity") from None
            if not (0 < metres <= MAX_PROXIMITY_METRES):
                raise InvalidInputError(f"'proximity' must be between 1 and {MAX_PROXIMITY_METRES} metres.", field="proximity")
            nearest_ids = services_near(origin=origin, radius_km=metres / 1000)
    return services, nearest_ids


@feed_view
def root(request):
    return JsonResponse(
        {
            "version": oruk.VERSION,
            "profile": oruk.PROFILE_URL,
            "openapi_url": request.build_absolute_uri(reverse("openreferral:openapi")),
        }
    )


@feed_view
def openapi(request):
    path = Path(__file__).resolve().parent / "openapi.json"
    return JsonResponse(json.loads(path.read_text(encoding="utf-8")))


def _ndjson(services: QuerySet) -> StreamingHttpResponse:
    return StreamingHttpResponse(ndjson_lines(services), content_type="application/x-ndjson")


@feed_view
def services(request):
    minimal = _bool_param(request, "minimal")
    response_format = _param(request, "format", 10).lower() or "json"
    if response_format not in ("json", "ndjson"):
        raise InvalidInputError("'format' must be json or ndjson.", field="format")
    queryset, nearest = _service_filters(request, Service.objects.all())
    if nearest is not None:
        order = list(dict.fromkeys(service_id for _, service_id, _ in nearest))
        allowed = set(queryset.filter(id__in=order).values_list("id", flat=True))
        ordered_ids = [sid for sid in order if sid in allowed]
    else:
        ordered_ids = None
    if response_format == "ndjson":
        base = full_services_queryset().filter(id__in=queryset.values("id")).order_by("name", "id")
        if ordered_ids is not None:
            base = base.filter(id__in=ordered_ids)
        return _ndjson(base)

    page, per_page, start = _page(request, 0, max_per_page=MAX_MINIMAL_PER_PAGE if minimal else MAX_PER_PAGE)
    if ordered_ids is not None:
        total = len(ordered_ids)
        page_ids = ordered_ids[start : start + per_page]
        loaded = Service.objects.select_related("organisation").in_bulk(page_ids)
        rows = [loaded[sid] for sid in page_ids]
    else:
        total = queryset.count()
        rows = list(queryset.select_related("organisation").order_by("name", "id")[start : start + per_page])
    serialise = oruk.service_minimal_data if minimal else oruk.service_list_data
    return JsonResponse(_page_body([serialise(s) for s in rows], total=total, page=page, per_page=per_page))


def _get_or_404(queryset: QuerySet, pk: str, what: str):
    try:
        return queryset.get(pk=uuid.UUID(str(pk)))
    except (ValueError, queryset.model.DoesNotExist):
        raise Http404(f"There is no {what} with that id.") from None


@feed_view
def service_detail(request, pk):
    return JsonResponse(oruk.service_full_data(_get_or_404(full_services_queryset(), pk, "service")))


def _sal_queryset() -> QuerySet:
    return ServiceAtLocation.objects.select_related("location", "service__organisation")


@feed_view
def service_at_locations(request):
    queryset, nearest = _service_filters(request, _sal_queryset(), field_prefix="service__")
    page, per_page, start = _page(request, 0)
    if nearest is not None:
        order = [sal_id for sal_id, _, _ in nearest]
        allowed = set(queryset.filter(id__in=order).values_list("id", flat=True))
        ordered = [sal_id for sal_id in order if sal_id in allowed]
        total = len(ordered)
        page_ids = ordered[start : start + per_page]
        loaded = _sal_queryset().in_bulk(page_ids)
        rows = [loaded[sal_id] for sal_id in page_ids]
    else:
        total = queryset.count()
        rows = list(queryset.order_by("service__name", "id")[start : start + per_page])
    return JsonResponse(
        _page_body([oruk.service_at_location_list_data(sal) for sal in rows], total=total, page=page, per_page=per_page)
    )


@feed_view
def service_at_location_detail(request, pk):
    queryset = _sal_queryset().prefetch_related(
        "service__schedules",
        "service__service_areas",
        "service__contacts",
        Prefetch("service__attributes", queryset=ServiceAttribute.objects.select_related("taxonomy_term__taxonomy")),
    )
    sal = _get_or_404(queryset, pk, "service at location")
    return JsonResponse(oruk.service_at_location_full_data(sal))


@feed_view
def organizations(request):
    queryset = Organisation.objects.filter(Exists(Service.objects.filter(organisation_id=OuterRef("id"))))
    page, per_page, start = _page(request, 0)
    total = queryset.count()
    rows = list(queryset.order_by("name", "id")[start : start + per_page])
    return JsonResponse(_page_body([oruk.organisation_data(o) for o in rows], total=total, page=page, per_page=per_page))


@feed_view
def organization_detail(request, pk):
    organisation = _get_or_404(
        Organisation.objects.filter(Exists(Service.objects.filter(organisation_id=OuterRef("id")))), pk, "organization"
    )
    services_list = list(Service.objects.filter(organisation=organisation).select_related("organisation").order_by("name"))
    return JsonResponse(oruk.organisation_full_data(organisation, services=services_list))


@feed_view
def taxonomies(request):
    page, per_page, start = _page(request, 0)
    queryset = Taxonomy.objects.order_by("name", "id")
    total = queryset.count()
    rows = list(queryset[start : start + per_page])
    return JsonResponse(_page_body([oruk.taxonomy_data(t) for t in rows], total=total, page=page, per_page=per_page))


@feed_view
def taxonomy_detail(request, pk):
    taxonomy = _get_or_404(Taxonomy.objects.all(), pk, "taxonomy")
    terms = list(taxonomy.terms.select_related("taxonomy").order_by("name"))
    return JsonResponse(oruk.taxonomy_data(taxonomy, terms=terms))


@feed_view
def taxonomy_terms(request):
    queryset = TaxonomyTerm.objects.select_related("taxonomy").order_by("name", "id")
    if taxonomy_id := _uuid_param(request, "taxonomy_id"):
        queryset = queryset.filter(taxonomy_id=taxonomy_id)
    page, per_page, start = _page(request, 0)
    total = queryset.count()
    rows = list(queryset[start : start + per_page])
    return JsonResponse(_page_body([oruk.taxonomy_term_data(t) for t in rows], total=total, page=page, per_page=per_page))


@feed_view
def taxonomy_term_detail(request, pk):
    return JsonResponse(oruk.taxonomy_term_data(_get_or_404(TaxonomyTerm.objects.select_related("taxonomy"), pk, "taxonomy term")))
