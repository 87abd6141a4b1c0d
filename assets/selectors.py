"""Reads for the community asset directory: search, a service's page, queues.

`asset_search` is the one search: pages, the REST API (/api/v1/services/) and
the Open Referral feed's proximity filter all call it or `services_near`.
It geocodes the query, narrows rows in SQL to the few indexed grid cells
(Location.grid_cell) the bounding box covers and then to the exact box,
fetching only ids, coordinates and review dates; computes exact great-circle
distances in Python for that small set, keeps each service's nearest location,
ranks stale listings after fresh ones at a similar distance, and loads only the
requested page's objects (a fixed number of queries whatever the page size).
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, NotRequired, TypedDict, TypeVar, Unpack, overload
from uuid import UUID

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from assets.models import (
    ACCESSIBILITY_FEATURES,
    DAY_CODES,
    ClaimStatus,
    FeedSource,
    Location,
    MembershipRole,
    Organisation,
    OrganisationClaim,
    OrganisationMembership,
    OrganisationType,
    PlacedBy,
    ProblemReport,
    Schedule,
    SearchEntry,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceAttribute,
    ServiceStatus,
    TaxonomyTerm,
    grid_cells_covering,
    is_stale,
    stale_before,
)
from core.compiled import CompiledQuery, Fixed, unchanged
from core.errors import InvalidInputError, NotFoundError
from core.places.geocoding import GeocodeResult, GeocodingError, geocode, great_circle_km, km_to_miles
from core.places.postcodes import postcode_district

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.models.expressions import Combinable, NegatedExpression

    from timebank.models import Timebank, User

DEFAULT_RADIUS_KM = 5.0
MAX_RADIUS_KM = 50.0
MIN_RADIUS_KM = 0.1
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_TEXT_LENGTH = 100
# A listing nobody has reviewed for a year ranks as if it were this much further away:
# after fresh ones at a similar distance, but still before ones much further off.
STALE_PENALTY_KM = 1.0
# Shown in search: running, or closed for now (with a note). Never defunct or inactive.
SEARCHABLE_STATUSES = [ServiceStatus.ACTIVE, ServiceStatus.TEMPORARILY_CLOSED]
ACCESSIBILITY_FIELDS = {name for name, _label in ACCESSIBILITY_FEATURES}


@dataclass
class AssetResult:
    service: Service
    location: Location
    service_at_location_id: UUID
    distance_km: float
    distance_miles: float
    is_stale: bool
    # What the page says when the location's point is only its postcode district's centre.
    place_note: str = ""


# AssetResult from asset_search, RankedRow from asset_search_rows.
ResultT = TypeVar("ResultT", "AssetResult", "RankedRow", "ListedService")


@dataclass
class ResultsPage(Generic[ResultT]):
    """One page of results and where it sits among the rest."""

    results: list[ResultT]
    count: int
    page: int
    per_page: int
    num_pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.num_pages = max(1, math.ceil(self.count / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


@dataclass
class AssetSearchPage(ResultsPage[ResultT]):
    origin: GeocodeResult
    radius_km: float


def parse_day(day: str | None) -> str | None:
    """'monday', 'Mon', 'MO' -> 'MO'. None or '' -> None."""
    if not day:
        return None
    key = str(day).strip().lower()
    for code, name in DAY_CODES:
        if key == code.lower() or (len(key) >= 3 and name.lower().startswith(key)):
            return code
    raise InvalidInputError(_("Choose a day of the week, like Monday."), field="day")


def _origin(near: str | None, lat: float | None, lng: float | None) -> GeocodeResult:
    if lat is not None or lng is not None:
        if lat is None or lng is None:
            raise InvalidInputError(_("Give both latitude and longitude."), field="near")
        return geocode(f"{float(lat)},{float(lng)}")
    if not near or not str(near).strip():
        raise GeocodingError(_("Enter a postcode, like RG1 7QE, or a town name."), field="near")
    return geocode(near)


def _check_radius(radius_km: float | None) -> float:
    if radius_km is None:
        return DEFAULT_RADIUS_KM
    try:
        radius = float(radius_km)
    except (TypeError, ValueError):
        radius = float("nan")
    if not (MIN_RADIUS_KM <= radius <= MAX_RADIUS_KM):
        raise InvalidInputError(
            _("Choose a distance between %(low)s and %(high)s km.")
            % {"low": f"{MIN_RADIUS_KM:g}", "high": f"{MAX_RADIUS_KM:g}"},
            field="radius",
        )
    return radius


def _area_letters(district: str) -> str:
    match = re.match(r"[A-Z]+", district)
    return match.group(0) if match else ""


def area_prefixes(district: str) -> list[str]:
    """The service-area prefixes that cover a postcode district: "RG1" and "RG"."""
    return [district, _area_letters(district)] if district else []


def service_area_filter(district: str, *, service_ref: str = "service_id") -> Q | NegatedExpression[Combinable]:
    """The ALISS rule as a filter: a service with service areas matches only where
    one covers `district`. `service_ref` names the outer row's service id
    ("service_id" on ServiceAtLocation, "id" on Service)."""
    return _service_area_q(area_prefixes(district), service_ref=service_ref)


def _service_area_q(prefixes: list[str], *, service_ref: str = "service_id") -> Q | NegatedExpression[Combinable]:
    has_areas = Exists(ServiceArea.objects.filter(service_id=OuterRef(service_ref)))
    if not prefixes:
        return ~has_areas
    covers = Exists(ServiceArea.objects.filter(service_id=OuterRef(service_ref), postcode_prefix__in=prefixes))
    return ~has_areas | covers


def _search_box(origin: GeocodeResult, radius_km: float) -> tuple[tuple[float, float], tuple[float, float], list[int]]:
    """The latitude and longitude ranges around origin, and the grid cells they touch."""
    # Degrees per km: latitude is constant; longitude shrinks with cos(latitude).
    d_lat = radius_km / 110.574
    d_lng = radius_km / (111.320 * max(math.cos(math.radians(origin.lat)), 0.01))
    lat_range = (origin.lat - d_lat, origin.lat + d_lat)
    lng_range = (origin.lng - d_lng, origin.lng + d_lng)
    return lat_range, lng_range, grid_cells_covering(*lat_range, *lng_range)


# The directory's "where it came from" filter: services entered here have no source.
LOCAL_SOURCE = "local"


def source_filter(source: str | None, *, service_ref: str = "service__") -> Q | None:
    """The search condition for `source`: None for any, LOCAL_SOURCE for services
    entered here (no feed source), else a feed source's id. `service_ref` is the path
    from the rows filtered to their service ("service__" from a place, "" from a
    Service). Raises InvalidInputError (field "source") for anything else."""
    if not source:
        return None
    if source == LOCAL_SOURCE:
        return Q(**{f"{service_ref}source__isnull": True})
    try:
        return Q(**{f"{service_ref}source_id": UUID(str(source))})
    except (TypeError, ValueError):
        raise InvalidInputError(_("Choose where the services came from from the list."), field="source") from None


def feed_sources() -> QuerySet[FeedSource]:
    """Every feed source, by name: the coordinators' feeds page and the directory's filter."""
    return FeedSource.objects.order_by("name")


# A search candidate: (service_at_location id, service id, latitude, longitude, last reviewed).
CandidateRow = tuple[UUID, UUID, float | None, float | None, datetime.date | None]


class _RowFilters(TypedDict):
    """_filtered_rows's arguments besides the category."""

    lat_range: tuple[float, float]
    lng_range: tuple[float, float]
    cells: list[int]
    prefixes: list[str]
    q: str | None
    day: str | None
    free_only: bool
    accessibility: list[str] | tuple[str, ...]
    extra: NotRequired[Q | None]


# With a category the rows are the search index's (SearchEntry), without one the
# places' (ServiceAtLocation); callers always pass a category slug or None.
@overload
def _filtered_rows(*, category: str, **filters: Unpack[_RowFilters]) -> QuerySet[SearchEntry]: ...
@overload
def _filtered_rows(*, category: None, **filters: Unpack[_RowFilters]) -> QuerySet[ServiceAtLocation]: ...
def _filtered_rows(
    *,
    lat_range: tuple[float, float],
    lng_range: tuple[float, float],
    cells: list[int],
    prefixes: list[str],
    category: str | None,
    q: str | None,
    day: str | None,
    free_only: bool,
    accessibility: list[str] | tuple[str, ...],
    extra: Q | None = None,
) -> QuerySet[SearchEntry] | QuerySet[ServiceAtLocation]:
    # The grid cells pick a few index ranges in both dimensions (a latitude/longitude
    # index alone narrows latitude only, reading a band across the whole country);
    # the exact box then trims the cells' edges inside the same index.
    # Every condition goes into one filter() call: each call clones the whole query,
    # which costs more than the indexed SQL it builds.
    #
    # With a category, the search index (SearchEntry: one row per category and place,
    # indexed by term then cell) holds the coordinates, so only that category's rows in
    # the box are read; without one, every location in the box is.
    box: dict[str, object] = {"grid_cell__in": cells, "latitude__range": lat_range, "longitude__range": lng_range}
    rows: QuerySet[SearchEntry] | QuerySet[ServiceAtLocation]
    if category:
        rows = SearchEntry.objects.all()
        # The term's id as an uncorrelated subquery: found once, then matched in the index.
        box["taxonomy_term_id"] = Subquery(TaxonomyTerm.objects.filter(slug=category).values("id")[:1])
    else:
        rows = ServiceAtLocation.objects.all()
        box = {f"location__{lookup}": value for lookup, value in box.items()}
    conditions: list[Q | Exists | NegatedExpression[Combinable]] = [Q(**box, service__status__in=SEARCHABLE_STATUSES)]
    if q:
        conditions.append(
            Q(service__name__icontains=q)
            | Q(service__description__icontains=q)
            | Q(service__organisation__name__icontains=q)
        )
    if day:
        conditions.append(Exists(Schedule.objects.filter(service_id=OuterRef("service_id"), byday__contains=day)))
    if free_only:
        conditions.append(Q(service__is_free=True))
    conditions.extend(Q(**{f"location__{need}": True}) for need in accessibility)
    conditions.append(_service_area_q(prefixes))
    rows = rows.filter(*conditions)
    return rows if extra is None else rows.filter(extra)


def _category_candidates(
    *,
    lat_range: tuple[float, float],
    lng_range: tuple[float, float],
    cells: list[int],
    prefixes: list[str],
    category: str,
    day: str | None,
    free_only: bool,
    accessibility: tuple[str, ...],
) -> QuerySet[SearchEntry, CandidateRow]:
    return _filtered_rows(
        lat_range=lat_range,
        lng_range=lng_range,
        cells=cells,
        prefixes=prefixes,
        category=category,
        q=None,
        day=day,
        free_only=free_only,
        accessibility=accessibility,
    ).values_list("service_at_location_id", "service_id", "latitude", "longitude", "service__last_reviewed")


# The one-category search, the API's hot path, compiled once per shape (see
# core/compiled.py); tests/assets/test_search.py checks it against the ORM.
CATEGORY_CANDIDATES = CompiledQuery(_category_candidates)


def services_near(*, origin: GeocodeResult, radius_km: float, extra: Q | None = None) -> list[tuple[UUID, UUID, float]]:
    """(service_at_location id, service id, km) within radius_km of origin, nearest first,
    every location kept. Used by the Open Referral feed's postcode + proximity filter."""
    lat_range, lng_range, cells = _search_box(origin, radius_km)
    rows = _filtered_rows(
        lat_range=lat_range,
        lng_range=lng_range,
        cells=cells,
        prefixes=area_prefixes(origin.district),
        category=None,
        q=None,
        day=None,
        free_only=False,
        accessibility=[],
        extra=extra,
    ).values_list("id", "service_id", "location__latitude", "location__longitude")
    found = []
    for sal_id, service_id, lat, lng in rows:
        assert lat is not None and lng is not None  # the box's ranges never match a missing coordinate
        km = great_circle_km(origin.lat, origin.lng, lat, lng)
        if km <= radius_km:
            found.append((sal_id, service_id, km))
    found.sort(key=lambda row: row[2])
    return found


@dataclass(frozen=True)
class RankedRow:
    """One result of a search before anything but ids is loaded."""

    service_at_location_id: UUID
    service_id: UUID
    distance_km: float
    distance_miles: float
    is_stale: bool


def _checked_filters(
    q: str | None, day: str | None, accessibility: Iterable[str] | None, page: Any, per_page: Any
) -> tuple[str, str | None, list[str], int, int]:
    """The filters every search shares, checked: (words, day code, needs, page, per page).
    Raises InvalidInputError naming the field."""
    q = (q or "").strip()
    if len(q) > MAX_TEXT_LENGTH:
        raise InvalidInputError(
            _("Search words can be at most %(count)s characters.") % {"count": MAX_TEXT_LENGTH}, field="q"
        )
    if "\x00" in q:
        raise InvalidInputError(_("Search words cannot contain that character."), field="q")
    day_code = parse_day(day)
    needs = list(dict.fromkeys(accessibility or ()))
    if unknown := [need for need in needs if need not in ACCESSIBILITY_FIELDS]:
        raise InvalidInputError(
            _("Unknown accessibility need: %(need)s.") % {"need": unknown[0][:30]}, field="accessibility"
        )
    try:
        page = max(1, int(page))
        per_page = min(MAX_PER_PAGE, max(1, int(per_page)))
    except (TypeError, ValueError):
        raise InvalidInputError(_("Page must be a whole number."), field="page") from None
    return q, day_code, needs, page, per_page


def asset_search_rows(
    *,
    near: str | None = None,
    lat: float | None = None,
    lng: float | None = None,
    radius_km: float | None = DEFAULT_RADIUS_KM,
    category: str | None = None,
    q: str | None = None,
    day: str | None = None,
    free_only: bool = False,
    accessibility: list[str] | tuple[str, ...] = (),
    source: str | None = None,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
) -> AssetSearchPage[RankedRow]:
    """The search itself (see module docstring): a page of RankedRows, nearest first.
    `asset_search` loads them as objects for pages; the API loads just its fields.
    `source` keeps only services from one feed source (its id) or, as "local", those
    entered here (see source_filter).

    Raises GeocodingError / AmbiguousPlaceError (field "near") or InvalidInputError
    naming the field for bad filters.
    """
    origin = _origin(near, lat, lng)
    radius = _check_radius(radius_km)
    q, day_code, needs, page, per_page = _checked_filters(q, day, accessibility, page, per_page)
    from_source = source_filter(source)

    lat_range, lng_range, cells = _search_box(origin, radius)
    prefixes = area_prefixes(origin.district)
    # The ids stay as the database gives them (hex digits on SQLite) while ranking:
    # only the page's rows need them as UUIDs. Hex and str(UUID) sort alike.
    rows: Iterable[tuple[Any, ...]]
    finish: Callable[[Any], Any] = unchanged
    if category and not q and from_source is None:
        rows, finish = CATEGORY_CANDIDATES.raw_rows(
            later=(0, 1),
            lat_range=lat_range,
            lng_range=lng_range,
            cells=cells,
            prefixes=prefixes,
            category=category,
            day=Fixed(day_code),
            free_only=Fixed(free_only),
            accessibility=Fixed.options(needs),
        )
    else:
        filters = _RowFilters(
            lat_range=lat_range,
            lng_range=lng_range,
            cells=cells,
            prefixes=prefixes,
            q=q or None,
            day=day_code,
            free_only=free_only,
            accessibility=needs,
            extra=from_source,
        )
        if category:
            rows = _filtered_rows(category=category, **filters).values_list(
                "service_at_location_id", "service_id", "latitude", "longitude", "service__last_reviewed"
            )
        else:
            rows = _filtered_rows(category=None, **filters).values_list(
                "id", "service_id", "location__latitude", "location__longitude", "service__last_reviewed"
            )

    cutoff = stale_before()
    # service id (as the database gave it) -> (rank, km, stale, the row of its nearest place)
    nearest: dict[UUID | str, tuple[float, float, bool, tuple[Any, ...]]] = {}
    for row in rows:
        service_id, lat_, lng_, reviewed = row[1:]
        assert lat_ is not None and lng_ is not None  # as in services_near
        km = great_circle_km(origin.lat, origin.lng, lat_, lng_)
        if km > radius:
            continue
        stale = reviewed is None or reviewed < cutoff
        rank = km + (STALE_PENALTY_KM if stale else 0.0)
        best = nearest.get(service_id)
        if best is None or km < best[1]:
            nearest[service_id] = (rank, km, stale, row)
    ordered = sorted(nearest.items(), key=lambda item: (item[1][0], item[1][1], str(item[0])))
    count = len(ordered)
    # An unknown category matches nothing; only then is it worth a query to say so.
    if not count and category and not TaxonomyTerm.objects.filter(slug=category).exists():
        raise InvalidInputError(_("Choose a category from the list."), field="category")
    start = (page - 1) * per_page
    results: list[RankedRow] = []
    for _id, (_rank, km, stale, row) in ordered[start : start + per_page]:
        sal_id, service_id = finish(row)[:2]
        results.append(
            RankedRow(
                service_at_location_id=sal_id,
                service_id=service_id,
                distance_km=round(km, 2),
                distance_miles=round(km_to_miles(km), 2),
                is_stale=stale,
            )
        )
    return AssetSearchPage(results=results, count=count, page=page, per_page=per_page, origin=origin, radius_km=radius)


class SearchCriteria(TypedDict, total=False):
    """asset_search_rows's arguments, which asset_search passes on."""

    near: str | None
    lat: float | None
    lng: float | None
    radius_km: float | None
    category: str | None
    q: str | None
    day: str | None
    free_only: bool
    accessibility: list[str] | tuple[str, ...]
    source: str | None
    page: int
    per_page: int


def asset_search(**criteria: Unpack[SearchCriteria]) -> AssetSearchPage[AssetResult]:
    """asset_search_rows (same arguments and errors), with each result's service (its
    organisation, capacity and terms) and nearest location loaded: a fixed number of
    queries whatever the page size."""
    found = asset_search_rows(**criteria)
    loaded: dict[UUID, ServiceAtLocation] = {}
    if found.results:
        loaded = (
            ServiceAtLocation.objects.filter(id__in=[row.service_at_location_id for row in found.results])
            .select_related("service__organisation", "service__capacity", "service__source", "location")
            .prefetch_related(Prefetch("service__taxonomy_terms", queryset=TaxonomyTerm.objects.order_by("name")))
            .in_bulk()
        )
    results = [
        AssetResult(
            service=loaded[row.service_at_location_id].service,
            location=loaded[row.service_at_location_id].location,
            service_at_location_id=row.service_at_location_id,
            distance_km=row.distance_km,
            distance_miles=row.distance_miles,
            is_stale=row.is_stale,
            place_note=place_note(loaded[row.service_at_location_id].location),
        )
        for row in found.results
    ]
    return AssetSearchPage(
        results=results,
        count=found.count,
        page=found.page,
        per_page=found.per_page,
        origin=found.origin,
        radius_km=found.radius_km,
    )


@dataclass
class ListedService:
    """One service in a listing without a place: no distance, its first place if any."""

    service: Service
    location: Location | None
    is_stale: bool
    place_note: str = ""


AssetListPage = ResultsPage["ListedService"]


def asset_listing(
    *,
    category: str | None = None,
    q: str | None = None,
    day: str | None = None,
    free_only: bool = False,
    accessibility: list[str] | tuple[str, ...] = (),
    source: str | None = None,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
) -> AssetListPage:
    """The directory without a place: every searchable service matching the words and
    filters (the same ones asset_search takes, source included), by name. No distance,
    so no service-area rule (that needs a place). A fixed number of queries whatever
    the page size. Raises InvalidInputError naming the field for bad filters."""
    q, day_code, needs, page, per_page = _checked_filters(q, day, accessibility, page, per_page)
    conditions: list[Q | Exists] = [Q(status__in=SEARCHABLE_STATUSES)]
    if category:
        conditions.append(
            Exists(ServiceAttribute.objects.filter(service_id=OuterRef("id"), taxonomy_term__slug=category))
        )
    if q:
        conditions.append(Q(name__icontains=q) | Q(description__icontains=q) | Q(organisation__name__icontains=q))
    if day_code:
        conditions.append(Exists(Schedule.objects.filter(service_id=OuterRef("id"), byday__contains=day_code)))
    if free_only:
        conditions.append(Q(is_free=True))
    if needs:
        suitable = ServiceAtLocation.objects.filter(
            service_id=OuterRef("id"), **{f"location__{need}": True for need in needs}
        )
        conditions.append(Exists(suitable))
    if (from_source := source_filter(source, service_ref="")) is not None:
        conditions.append(from_source)
    matching = Service.objects.filter(*conditions)
    count = matching.count()
    if not count and category and not TaxonomyTerm.objects.filter(slug=category).exists():
        raise InvalidInputError(_("Choose a category from the list."), field="category")
    start = (page - 1) * per_page
    services = list(
        matching.order_by("name", "id")
        .select_related("organisation", "capacity", "source")
        .prefetch_related(
            Prefetch("taxonomy_terms", queryset=TaxonomyTerm.objects.order_by("name")),
            Prefetch(
                "service_at_locations",
                queryset=ServiceAtLocation.objects.select_related("location").order_by("id"),
            ),
        )[start : start + per_page]
    )
    results = []
    for service in services:
        places = list(service.service_at_locations.all())
        location = places[0].location if places else None
        results.append(
            ListedService(
                service=service,
                location=location,
                is_stale=service_is_stale(service),
                place_note=place_note(location) if location else "",
            )
        )
    return AssetListPage(results=results, count=count, page=page, per_page=per_page)


def service_detail(*, service_id: UUID | str) -> Service:
    """A service with everything its page shows, in a fixed number of queries."""
    try:
        return (
            Service.objects.select_related("organisation", "capacity", "source")
            .prefetch_related(
                "service_at_locations__location",
                "schedules",
                "contacts",
                "service_areas",
                Prefetch("attributes", queryset=ServiceAttribute.objects.select_related("taxonomy_term")),
            )
            .get(id=service_id)
        )
    except (Service.DoesNotExist, ValueError, TypeError):
        raise NotFoundError(_("We could not find that service. It may have been removed.")) from None


def place_note(location: Location) -> str:
    """A plain warning when the location's point is only the centre of its postcode
    district (the geocoder had no exact point for its postcode), else ""."""
    if location.placed_by != PlacedBy.DISTRICT:
        return ""
    district = postcode_district(location.postcode.strip().upper()) if location.postcode else ""
    if not district:
        return _("Shown at the centre of its postcode area: the exact place may be up to 1.5 miles away.")
    return _("Shown at the centre of %(district)s: the exact place may be up to 1.5 miles away.") % {
        "district": district
    }


def service_is_stale(service: Service) -> bool:
    return is_stale(service.last_reviewed)


def membership_for(user: User | AnonymousUser | None) -> OrganisationMembership | None:
    if user is None or not user.is_authenticated:
        return None
    return OrganisationMembership.objects.select_related("organisation").filter(user=user).first()


def organisation_can_be_claimed(organisation: Organisation) -> bool:
    """Whether a group organiser may ask to manage this organisation. Never a
    timebank's own: whoever manages it would receive every referral sent to the
    timebank (health data meant for its coordinators)."""
    return organisation.timebank_id is None and organisation.organisation_type != OrganisationType.TIMEBANK


def user_can_edit_service(*, user: User | AnonymousUser, service: Service) -> bool:
    """Coordinators, and organisers or staff of the organisation that runs it."""
    if not user.is_authenticated:
        return False
    if user.is_coordinator:
        return True
    return OrganisationMembership.objects.filter(
        user=user,
        organisation_id=service.organisation_id,
        role__in=[MembershipRole.ORGANISER, MembershipRole.STAFF],
    ).exists()


def organisation_services(*, organisation: Organisation) -> QuerySet[Service]:
    return Service.objects.filter(organisation=organisation).order_by("name")


def taxonomy_terms() -> QuerySet[TaxonomyTerm]:
    return TaxonomyTerm.objects.select_related("taxonomy").order_by("name")


def open_problem_reports() -> QuerySet[ProblemReport]:
    """The coordinators' queue: unresolved reports, oldest first."""
    return (
        ProblemReport.objects.filter(resolved_at__isnull=True)
        .select_related("service__organisation", "reporter")
        .order_by("created_at")
    )


def pending_claims() -> QuerySet[OrganisationClaim]:
    return (
        OrganisationClaim.objects.filter(status=ClaimStatus.PENDING)
        .select_related("organisation", "service", "user")
        .order_by("created_at")
    )


def timebank_service(*, timebank: Timebank) -> Service | None:
    """The directory listing of a timebank itself (referrals to the timebank point here)."""
    return (
        Service.objects.filter(organisation__timebank=timebank)
        .select_related("organisation")
        .order_by("created_at")
        .first()
    )
