"""Reads of the directory for the public Open Referral UK feed (api/openreferral).

The feed's views parse the request into plain values (`ServiceFilters`, ids,
page offsets), call these selectors and render the rows with `mapping`.

Invariants:
* Read-only, no HTTP: arguments are already parsed, keyword-only.
* Every service filter combines with AND, on services and on
  service_at_locations alike (one filter definition, `_filter_services`).
* `day`, `start_time` and `end_time` must all hold for one and the same schedule
  of the service: "on Tuesdays, between 09:00 and 12:00", not Tuesdays at some
  times and mornings on other days.
* A page costs a fixed number of queries: rows come with the related rows
  `mapping` reads, and are ordered stably (name, id) unless the filters ask for
  nearest first.
* Only what the feed publishes: organisations with at least one service.
  Detail selectors return None for an id the feed does not publish.
"""

from __future__ import annotations

import contextlib
import datetime
import uuid
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, F, Model, OuterRef, Prefetch, Q, QuerySet

from assets.models import (
    Organisation,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceAttribute,
    Taxonomy,
    TaxonomyTerm,
)
from assets.openreferral.export import full_services_queryset
from assets.selectors import service_area_filter, services_near
from core.places.geocoding import GeocodeResult

_Row = TypeVar("_Row", bound=Model)


@dataclass(frozen=True)
class Page(Generic[_Row]):
    """One page of rows and the number of rows on every page together."""

    rows: list[_Row]
    total: int


@dataclass(frozen=True)
class ServiceFilters:
    """The feed's service filters, parsed; each one left at its default does not filter."""

    search: str = ""
    text: str = ""  # ORUK v1's name for `search`; when both are given, both must match
    taxonomy_term_id: uuid.UUID | None = None
    taxonomy_id: uuid.UUID | None = None
    # A taxonomy (v1 "vocabulary") named by its slug, name, uri or id, in any case.
    vocabulary: str = ""
    organisation_id: uuid.UUID | None = None
    modified_after: datetime.datetime | None = None
    day: str | None = None  # a schedule byday code: "MO"...
    # A schedule that opens at or after start_time and closes at or before end_time
    # (the window, on `day` when given); a schedule without the time compared never matches.
    start_time: datetime.time | None = None
    end_time: datetime.time | None = None
    minimum_age: int | None = None  # services whose minimum_age is at least this
    maximum_age: int | None = None  # services whose maximum_age is at most this
    # A postcode or district: services whose service areas cover it...
    origin: GeocodeResult | None = None
    # ...and, when given, only those at a location this close to it, nearest first.
    radius_km: float | None = None


def services_page(*, filters: ServiceFilters, start: int, size: int) -> Page[Service]:
    """Services matching `filters`, by name (or nearest first), from `start`."""
    services = _filter_services(Service.objects.all(), filters=filters)
    ordered_ids = _nearest_service_ids(services, filters=filters)
    if ordered_ids is not None:
        page_ids = ordered_ids[start : start + size]
        loaded = Service.objects.select_related("organisation").in_bulk(page_ids)
        return Page(rows=[loaded[sid] for sid in page_ids], total=len(ordered_ids))
    total = services.count()
    rows = list(services.select_related("organisation").order_by("name", "id")[start : start + size])
    return Page(rows=rows, total=total)


def services_full(*, filters: ServiceFilters) -> QuerySet[Service]:
    """Every service matching `filters`, fully nested, by name: for streaming as ndjson."""
    services = _filter_services(Service.objects.all(), filters=filters)
    ordered_ids = _nearest_service_ids(services, filters=filters)
    full = full_services_queryset().filter(id__in=services.values("id")).order_by("name", "id")
    if ordered_ids is not None:
        full = full.filter(id__in=ordered_ids)
    return full


def service_full(*, service_id: uuid.UUID) -> Service | None:
    """One service, fully nested."""
    return _get(full_services_queryset(), service_id)


def service_at_locations_page(*, filters: ServiceFilters, start: int, size: int) -> Page[ServiceAtLocation]:
    """Service-at-locations whose service matches `filters`, by service name (or
    nearest first), from `start`."""
    sals = _filter_services(_service_at_locations(), filters=filters, prefix="service__")
    nearest = _nearest(filters)
    if nearest is not None:
        order = [sal_id for sal_id, _, _ in nearest]
        allowed = set(sals.filter(id__in=order).values_list("id", flat=True))
        ordered = [sal_id for sal_id in order if sal_id in allowed]
        page_ids = ordered[start : start + size]
        loaded = _service_at_locations().in_bulk(page_ids)
        return Page(rows=[loaded[sal_id] for sal_id in page_ids], total=len(ordered))
    total = sals.count()
    return Page(rows=list(sals.order_by("service__name", "id")[start : start + size]), total=total)


def service_at_location_full(*, service_at_location_id: uuid.UUID) -> ServiceAtLocation | None:
    """One service-at-location with its location and its fully nested service."""
    sals = _service_at_locations().prefetch_related(
        "service__schedules",
        "service__service_areas",
        "service__contacts",
        Prefetch("service__attributes", queryset=ServiceAttribute.objects.select_related("taxonomy_term__taxonomy")),
    )
    return _get(sals, service_at_location_id)


def organisations_page(*, start: int, size: int) -> Page[Organisation]:
    organisations = _published_organisations()
    total = organisations.count()
    return Page(rows=list(organisations.order_by("name", "id")[start : start + size]), total=total)


def organisation_with_services(*, organisation_id: uuid.UUID) -> tuple[Organisation, list[Service]] | None:
    """An organisation the feed publishes and its services, by name."""
    organisation = _get(_published_organisations(), organisation_id)
    if organisation is None:
        return None
    services = list(Service.objects.filter(organisation=organisation).select_related("organisation").order_by("name"))
    return organisation, services


def taxonomies_page(*, start: int, size: int) -> Page[Taxonomy]:
    taxonomies = Taxonomy.objects.order_by("name", "id")
    total = taxonomies.count()
    return Page(rows=list(taxonomies[start : start + size]), total=total)


def taxonomy_with_terms(*, taxonomy_id: uuid.UUID) -> tuple[Taxonomy, list[TaxonomyTerm]] | None:
    """A taxonomy and its terms, by name."""
    taxonomy = _get(Taxonomy.objects.all(), taxonomy_id)
    if taxonomy is None:
        return None
    return taxonomy, list(taxonomy.terms.select_related("taxonomy").order_by("name"))


def taxonomy_terms_page(*, taxonomy_id: uuid.UUID | None, start: int, size: int) -> Page[TaxonomyTerm]:
    """Terms by name, from `start`; only one taxonomy's when `taxonomy_id` is given."""
    terms = TaxonomyTerm.objects.select_related("taxonomy").order_by("name", "id")
    if taxonomy_id:
        terms = terms.filter(taxonomy_id=taxonomy_id)
    total = terms.count()
    return Page(rows=list(terms[start : start + size]), total=total)


def taxonomy_term(*, term_id: uuid.UUID) -> TaxonomyTerm | None:
    return _get(TaxonomyTerm.objects.select_related("taxonomy"), term_id)


# --- Building blocks ----------------------------------------------------------------------


def _get(queryset: QuerySet[_Row], pk: uuid.UUID) -> _Row | None:
    try:
        return queryset.get(pk=pk)
    except ObjectDoesNotExist:
        return None


def _service_at_locations() -> QuerySet[ServiceAtLocation]:
    return ServiceAtLocation.objects.select_related("location", "service__organisation")


def _published_organisations() -> QuerySet[Organisation]:
    return Organisation.objects.filter(Exists(Service.objects.filter(organisation_id=OuterRef("id"))))


def _filter_services(rows: QuerySet[_Row], *, filters: ServiceFilters, prefix: str = "") -> QuerySet[_Row]:
    """Apply every service filter (AND) to services, or to rows whose service is at
    `prefix` ("service__" on ServiceAtLocation)."""
    p = prefix
    for words in (filters.search, filters.text):
        if words:
            rows = rows.filter(
                Q(**{f"{p}name__icontains": words})
                | Q(**{f"{p}description__icontains": words})
                | Q(**{f"{p}organisation__name__icontains": words})
            )
    service_ref = OuterRef(f"{p}id" if p else "id")
    if filters.taxonomy_term_id:
        rows = rows.filter(
            Exists(ServiceAttribute.objects.filter(service_id=service_ref, taxonomy_term_id=filters.taxonomy_term_id))
        )
    if filters.taxonomy_id:
        rows = rows.filter(
            Exists(
                ServiceAttribute.objects.filter(service_id=service_ref, taxonomy_term__taxonomy_id=filters.taxonomy_id)
            )
        )
    if filters.vocabulary:
        rows = rows.filter(
            Exists(
                ServiceAttribute.objects.filter(
                    service_id=service_ref, taxonomy_term__taxonomy__in=_taxonomies_named(filters.vocabulary)
                )
            )
        )
    if filters.organisation_id:
        rows = rows.filter(**{f"{p}organisation_id": filters.organisation_id})
    if filters.modified_after:
        rows = rows.filter(**{f"{p}modified_at__gte": filters.modified_after})
    if (when := _schedule_match(filters)) is not None:
        rows = rows.filter(Exists(Schedule.objects.filter(when, service_id=service_ref)))
    if filters.minimum_age is not None:
        rows = rows.filter(**{f"{p}minimum_age__gte": filters.minimum_age})
    if filters.maximum_age is not None:
        rows = rows.filter(**{f"{p}maximum_age__lte": filters.maximum_age})
    if filters.origin is not None:
        rows = rows.filter(service_area_filter(filters.origin.district, service_ref="service_id" if p else "id"))
    return rows


def _taxonomies_named(vocabulary: str) -> QuerySet[Taxonomy]:
    """Taxonomies whose slug, name or uri is `vocabulary` (any case), or whose id it is."""
    named = Q(slug__iexact=vocabulary) | Q(name__iexact=vocabulary) | Q(uri__iexact=vocabulary)
    with contextlib.suppress(ValueError):  # not an id: a slug, name or uri only
        named |= Q(id=uuid.UUID(vocabulary))
    return Taxonomy.objects.filter(named)


def _schedule_match(filters: ServiceFilters) -> Q | None:
    """What one schedule must satisfy for the day and time window asked for, or None."""
    if not filters.day and filters.start_time is None and filters.end_time is None:
        return None
    when = Q()
    if filters.day:
        when &= Q(byday__contains=filters.day)
    if filters.start_time is not None:
        when &= Q(opens_at__gte=filters.start_time)
    if filters.end_time is not None:
        # A schedule that closes before it opens (22:00 to 02:00) ends on the next
        # day, after any end time on the day it opens.
        when &= Q(closes_at__lte=filters.end_time) & (Q(opens_at__isnull=True) | Q(closes_at__gte=F("opens_at")))
    return when


def _nearest(filters: ServiceFilters) -> list[tuple[uuid.UUID, uuid.UUID, float]] | None:
    """(service_at_location id, service id, km) within the radius, nearest first; None
    when the filters do not ask for nearest first."""
    if filters.origin is None or filters.radius_km is None:
        return None
    return services_near(origin=filters.origin, radius_km=filters.radius_km)


def _nearest_service_ids(services: QuerySet[Service], *, filters: ServiceFilters) -> list[uuid.UUID] | None:
    """The matching services' ids, nearest first (by their nearest location), or None."""
    nearest = _nearest(filters)
    if nearest is None:
        return None
    order = list(dict.fromkeys(service_id for _, service_id, _ in nearest))
    allowed = set(services.filter(id__in=order).values_list("id", flat=True))
    return [sid for sid in order if sid in allowed]
