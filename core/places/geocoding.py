"""Turning what a person typed into a point: the one geocoding entry point.

`geocode(query)` accepts a UK postcode (full, "RG1 7QE", or district, "RG1"),
a place name ("Reading", "Newport, WLS") or "lat,lng", and returns a
`GeocodeResult`. It raises `GeocodingError` (an InvalidInputError) with a
plain message a person can act on, or `AmbiguousPlaceError` carrying the
choices when a place name means more than one town. It never lets an
upstream failure become a 500. `geocode_postcodes(postcodes)` answers many
postcodes at once the same way (None for one it cannot place), for imports.

Settings:
- GEOCODER: "offline" (default) or a geopy geocoder name ("nominatim", ...);
  a named geocoder is tried for place names and for full postcodes missing
  from the unit-postcode table, and the offline one answers when it fails.
- GEOCODER_USER_AGENT, GEOCODER_OPTIONS (extra keyword arguments, e.g. api_key),
  GEOCODER_TIMEOUT (connect, read) seconds, capped at (3, 10) (docs/quality.md A10).
- GEOCODER_CACHE_SECONDS: how long answers stay in the Django cache.

The offline geocoder is a geopy `Geocoder` over core/places/data/gb_outcodes.csv and
gb_places.csv (Code-Point Open and GeoNames: see core/places/data/README.md), read
once per process. Full unit postcodes resolve to their own point when
`manage.py import_postcodes` has filled the PostcodePoint table.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import logging
import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext
from geopy.adapters import RequestsAdapter
from geopy.distance import EARTH_RADIUS, great_circle
from geopy.geocoders import get_geocoder_for_service
from geopy.geocoders.base import Geocoder
from geopy.location import Location as GeopyLocation
from geopy.point import Point

from core.errors import InvalidInputError
from core.models import PostcodePoint
from core.places.postcodes import PostcodeError, normalise_postcode, postcode_district

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
MAX_QUERY_LENGTH = 100
GRID_DEGREES = 0.2
# A point further than this from every postcode district is not in the UK.
MAX_DISTRICT_DISTANCE_KM = 40
CACHE_PREFIX = "geocode:v1:"
ADMIN1_NAMES = {
    "ENG": "England",
    "SCT": "Scotland",
    "WLS": "Wales",
    "NIR": "Northern Ireland",
}

_LATLNG = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*[, ]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
_CHOICE_SUFFIX = re.compile(r"^(?P<name>.+?)\s*\((?P<district>[A-Za-z0-9 ]{2,8})\)\s*$")


class GeocodingError(InvalidInputError):
    code = "geocoding_failed"


@dataclass(frozen=True)
class PlaceChoice:
    name: str
    admin1: str
    lat: float
    lng: float
    district: str

    @property
    def label(self) -> str:
        near = f", near {self.district}" if self.district else ""
        return f"{self.name} ({ADMIN1_NAMES.get(self.admin1, self.admin1)}{near})"

    @property
    def query(self) -> str:
        """What to search for to pick exactly this place."""
        return f"{self.name} ({self.district})" if self.district else f"{self.lat:.5f},{self.lng:.5f}"


class AmbiguousPlaceError(GeocodingError):
    code = "ambiguous_place"

    def __init__(self, message: str, *, choices: list[PlaceChoice], field: str | None = "near"):
        super().__init__(message, field=field)
        self.choices = choices


@dataclass(frozen=True)
class GeocodeResult:
    lat: float
    lng: float
    label: str
    kind: str  # postcode | district | place | latlng
    # The postcode district the point is in (or nearest to); "" outside the UK.
    district: str = ""
    postcode: str = ""
    source: str = field(default="offline", compare=False)

    @property
    def point(self) -> tuple[float, float]:
        return (self.lat, self.lng)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lat, lng) points. Within 0.3% of
    geodesic in the UK and about 15 times faster."""
    return great_circle(a, b).km


def great_circle_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """The same great-circle formula and Earth radius as geopy.distance.great_circle,
    without building geopy Point objects (about 100 times faster), for ranking
    thousands of candidates in one search. tests/core/test_geocoding.py checks
    it against geopy."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    delta = math.radians(lng2 - lng1)
    sin_phi1, cos_phi1, sin_phi2, cos_phi2 = math.sin(phi1), math.cos(phi1), math.sin(phi2), math.cos(phi2)
    cos_delta, sin_delta = math.cos(delta), math.sin(delta)
    angle = math.atan2(
        math.sqrt((cos_phi2 * sin_delta) ** 2 + (cos_phi1 * sin_phi2 - sin_phi1 * cos_phi2 * cos_delta) ** 2),
        sin_phi1 * sin_phi2 + cos_phi1 * cos_phi2 * cos_delta,
    )
    return EARTH_RADIUS * angle


def km_to_miles(km: float) -> float:
    return km * 0.621371


def not_found_message(query: str) -> str:
    return gettext("We could not find '%(query)s'. Try the first part of the postcode, like RG1, or a town name.") % {
        "query": query
    }


# --- The offline tables -----------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    name: str
    key: str
    lat: float
    lng: float
    admin1: str
    population: int


def _name_key(text: str) -> str:
    text = text.lower().replace("&", " and ")
    text = re.sub(r"['’.]", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = re.sub(r"\bsaint\b", "st", text)
    return " ".join(text.split())


class _Tables:
    """The outward-code and place tables, loaded once per process."""

    def __init__(self) -> None:
        self.outcodes: dict[str, tuple[float, float]] = {}
        with open(DATA_DIR / "gb_outcodes.csv", newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                self.outcodes[row["outcode"].upper()] = (float(row["latitude"]), float(row["longitude"]))
        self.places: dict[str, list[_Place]] = {}
        with open(DATA_DIR / "gb_places.csv", newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                place = _Place(
                    name=row["name"],
                    key=_name_key(row["name"]),
                    lat=float(row["latitude"]),
                    lng=float(row["longitude"]),
                    admin1=row["admin1"],
                    population=int(row["population"] or 0),
                )
                self.places.setdefault(place.key, []).append(place)
        # Outcodes bucketed in 0.2-degree cells so "nearest district" looks at a few dozen rows.
        self._grid: dict[tuple[int, int], list[tuple[str, float, float]]] = {}
        for code, (lat, lng) in self.outcodes.items():
            self._grid.setdefault(self._cell(lat, lng), []).append((code, lat, lng))

    @staticmethod
    def _cell(lat: float, lng: float) -> tuple[int, int]:
        return (math.floor(lat / GRID_DEGREES), math.floor(lng / GRID_DEGREES))

    def nearest_outcode(self, lat: float, lng: float) -> tuple[str, float]:
        cell_lat, cell_lng = self._cell(lat, lng)
        nearby = [
            row
            for d_lat in (-1, 0, 1)
            for d_lng in (-1, 0, 1)
            for row in self._grid.get((cell_lat + d_lat, cell_lng + d_lng), ())
        ] or [(code, o_lat, o_lng) for code, (o_lat, o_lng) in self.outcodes.items()]
        # A flat-earth comparison picks the nearest; only the winner needs the true distance.
        shrink = math.cos(math.radians(lat)) ** 2
        code, o_lat, o_lng = min(nearby, key=lambda row: (row[1] - lat) ** 2 + shrink * (row[2] - lng) ** 2)
        return code, great_circle_km(lat, lng, o_lat, o_lng)


@functools.lru_cache(maxsize=1)
def _tables() -> _Tables:
    return _Tables()


@functools.lru_cache(maxsize=4096)
def district_near(lat: float, lng: float) -> str:
    """The postcode district nearest a point, or "" when none is within 40 km."""
    code, km = _tables().nearest_outcode(lat, lng)
    return code if km <= MAX_DISTRICT_DISTANCE_KM else ""


class OfflineGeocoder(Geocoder):
    """A geopy geocoder answering from the shipped tables, with no network.

    `geocode` takes a postcode district or a place name (optionally "Name, ENG"
    or "Name (RG1)") and returns geopy Locations whose `raw` holds kind,
    admin1 and district. With exactly_one=False every matching place comes back,
    largest first, which is how ambiguity is detected.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def geocode(self, query, *, exactly_one=True, timeout=None):
        text = str(query).strip()
        tables = _tables()
        code = re.sub(r"\s+", "", text.upper())
        if code in tables.outcodes:
            lat, lng = tables.outcodes[code]
            found = [self._location(code, lat, lng, {"kind": "district", "district": code, "admin1": ""})]
        else:
            found = [
                self._location(
                    place.name,
                    place.lat,
                    place.lng,
                    {"kind": "place", "admin1": place.admin1, "district": district_near(place.lat, place.lng)},
                )
                for place in self._places(text)
            ]
        if not found:
            return None
        return found[0] if exactly_one else found

    def reverse(self, query, *, exactly_one=True, timeout=None):
        point = Point(query)
        code = district_near(point.latitude, point.longitude)
        if not code:
            return None
        lat, lng = _tables().outcodes[code]
        location = self._location(code, lat, lng, {"kind": "district", "district": code, "admin1": ""})
        return location if exactly_one else [location]

    @staticmethod
    def _location(address: str, lat: float, lng: float, raw: dict) -> GeopyLocation:
        return GeopyLocation(address, Point(lat, lng), raw)

    @staticmethod
    def _places(text: str) -> list[_Place]:
        tables = _tables()
        wanted_admin1 = wanted_district = None
        if match := _CHOICE_SUFFIX.match(text):
            text, wanted_district = match.group("name"), re.sub(r"\s+", "", match.group("district").upper())
        elif "," in text:
            head, tail = text.rsplit(",", 1)
            tail_key = tail.strip().upper()
            by_name = {name.upper(): code for code, name in ADMIN1_NAMES.items()}
            if tail_key in ADMIN1_NAMES or tail_key in by_name:
                text, wanted_admin1 = head, by_name.get(tail_key, tail_key)
        places = tables.places.get(_name_key(text), [])
        if wanted_admin1:
            places = [p for p in places if p.admin1 == wanted_admin1]
        if wanted_district:
            places = [p for p in places if district_near(p.lat, p.lng) == wanted_district]
        return sorted(places, key=lambda p: -p.population)


@functools.lru_cache(maxsize=1)
def offline_geocoder() -> OfflineGeocoder:
    return OfflineGeocoder()


def _remote_geocoder() -> Geocoder | None:
    name = getattr(settings, "GEOCODER", "offline") or "offline"
    if name == "offline":
        return None
    connect, read = getattr(settings, "GEOCODER_TIMEOUT", (3, 10))
    geocoder_class = get_geocoder_for_service(name)
    return geocoder_class(
        user_agent=getattr(settings, "GEOCODER_USER_AGENT", "TimeCommons"),
        # Never wait longer than a person would (docs/quality.md A10): connect <= 3 s, read <= 10 s.
        timeout=(min(float(connect), 3.0), min(float(read), 10.0)),
        adapter_factory=RequestsAdapter,
        **getattr(settings, "GEOCODER_OPTIONS", {}),
    )


def _remote_lookup(query: str, *, kind: str) -> GeocodeResult | None:
    """Ask the configured online geocoder; None when there is none or it fails."""
    try:
        geocoder = _remote_geocoder()
        if geocoder is None:
            return None
        found = geocoder.geocode(f"{query}, United Kingdom", exactly_one=True)
    except Exception as exc:
        logger.warning("Online geocoder failed (%s); using the offline tables.", type(exc).__name__)
        return None
    if found is None:
        return None
    lat, lng = float(found.latitude), float(found.longitude)
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return GeocodeResult(lat=lat, lng=lng, label=query, kind=kind, district=district_near(lat, lng), source="remote")


# --- The entry point -------------------------------------------------------------------


def geocode(query: str) -> GeocodeResult:
    """Turn a postcode, district, place name or "lat,lng" into a point (cached)."""
    text = " ".join(str(query or "").split())
    if not text:
        raise GeocodingError(gettext("Enter a postcode, like RG1 7QE, or a town name."), field="near")
    if len(text) > MAX_QUERY_LENGTH or any(ord(ch) < 32 for ch in text):
        raise GeocodingError(not_found_message(text[:20]), field="near")
    digest = hashlib.sha1(text.lower().encode(), usedforsecurity=False).hexdigest()
    key = f"{CACHE_PREFIX}{_cache_generation()}:{digest}"
    cached = cache.get(key)
    if cached is not None:
        return GeocodeResult(**cached)
    result = _geocode_uncached(text)
    cache.set(key, asdict(result), getattr(settings, "GEOCODER_CACHE_SECONDS", 7 * 24 * 3600))
    return result


def _cache_generation() -> int:
    generation = cache.get_or_set(CACHE_PREFIX + "generation", 1, timeout=None)
    assert generation is not None  # the key only ever holds an int: 1, then incremented
    return generation


def forget_cached_answers() -> None:
    """Start a new cache generation (after the postcode table changes)."""
    try:
        cache.incr(CACHE_PREFIX + "generation")
    except ValueError:
        cache.set(CACHE_PREFIX + "generation", 2, timeout=None)


def _geocode_uncached(text: str) -> GeocodeResult:
    if match := _LATLNG.match(text):
        lat, lng = float(match.group(1)), float(match.group(2))
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise GeocodingError(
                gettext("That is not a point on the map: latitude goes from -90 to 90 and longitude from -180 to 180."),
                field="near",
            )
        return GeocodeResult(
            lat=lat, lng=lng, label=f"{lat:.4f}, {lng:.4f}", kind="latlng", district=district_near(lat, lng)
        )
    try:
        postcode = normalise_postcode(text)
    except PostcodeError:
        postcode = ""
    if postcode:
        return _geocode_postcode(postcode, text)
    return _geocode_place(text)


def _geocode_postcode(postcode: str, text: str) -> GeocodeResult:
    district = postcode_district(postcode)
    if " " in postcode:
        unit = PostcodePoint.objects.filter(postcode=postcode).values_list("latitude", "longitude").first()
        if unit:
            return GeocodeResult(
                lat=unit[0], lng=unit[1], label=postcode, kind="postcode", district=district, postcode=postcode
            )
        remote = _remote_lookup(postcode, kind="postcode")
        if remote and remote.district:
            return GeocodeResult(
                lat=remote.lat,
                lng=remote.lng,
                label=postcode,
                kind="postcode",
                district=district,
                postcode=postcode,
                source="remote",
            )
    centroid = _tables().outcodes.get(district)
    if centroid is None:
        raise GeocodingError(not_found_message(text), field="near")
    label = district if postcode == district else f"{postcode} ({district} area)"
    return GeocodeResult(
        lat=centroid[0], lng=centroid[1], label=label, kind="district", district=district, postcode=postcode
    )


# SQLite allows 999 parameters in a statement on older builds.
_POSTCODE_BATCH = 500


def geocode_postcodes(postcodes: Iterable[str]) -> dict[str, GeocodeResult | None]:
    """Many postcodes at once (an import's chunk), answered as `geocode` would answer
    each: {postcode as given: result, or None when it cannot be placed}.

    One PostcodePoint query per 500 unit postcodes; district centres come from the
    in-memory tables. Only when settings.GEOCODER names an online geocoder are the
    unit postcodes missing from the table asked one by one, through `geocode` (and
    so its cache). Never raises for a bad postcode: it is simply None."""
    given = {text: _normalised_or_empty(text) for text in postcodes}
    units = sorted({postcode for postcode in given.values() if " " in postcode})
    found: dict[str, tuple[float, float]] = {}
    for start in range(0, len(units), _POSTCODE_BATCH):
        rows = PostcodePoint.objects.filter(postcode__in=units[start : start + _POSTCODE_BATCH])
        found.update((code, (lat, lng)) for code, lat, lng in rows.values_list("postcode", "latitude", "longitude"))
    remote = (getattr(settings, "GEOCODER", "offline") or "offline") != "offline"
    results: dict[str, GeocodeResult | None] = {}
    for text, postcode in given.items():
        if not postcode:
            results[text] = None
        elif postcode in found:
            lat, lng = found[postcode]
            results[text] = GeocodeResult(
                lat=lat,
                lng=lng,
                label=postcode,
                kind="postcode",
                district=postcode_district(postcode),
                postcode=postcode,
            )
        elif remote and " " in postcode:
            try:
                results[text] = geocode(postcode)
            except GeocodingError:
                results[text] = None
        else:
            results[text] = _district_centre(postcode)
    return results


def _normalised_or_empty(text: str) -> str:
    try:
        return normalise_postcode(str(text or ""))
    except PostcodeError:
        return ""


def _district_centre(postcode: str) -> GeocodeResult | None:
    district = postcode_district(postcode)
    centroid = _tables().outcodes.get(district)
    if centroid is None:
        return None
    label = district if postcode == district else f"{postcode} ({district} area)"
    return GeocodeResult(
        lat=centroid[0], lng=centroid[1], label=label, kind="district", district=district, postcode=postcode
    )


def _geocode_place(text: str) -> GeocodeResult:
    if not re.search(r"[A-Za-z]", text):
        raise GeocodingError(not_found_message(text), field="near")
    # The named online geocoder goes first when there is one; the tables answer when it fails.
    remote = _remote_lookup(text, kind="place")
    if remote:
        return remote
    found = offline_geocoder().geocode(text, exactly_one=False) or []
    if len(found) > 1:
        choices = [
            PlaceChoice(
                name=loc.address,
                admin1=loc.raw["admin1"],
                lat=loc.latitude,
                lng=loc.longitude,
                district=loc.raw["district"],
            )
            for loc in found
        ]
        raise AmbiguousPlaceError(
            gettext("There is more than one place called '%(place)s'. Which one do you mean?")
            % {"place": found[0].address},
            choices=choices,
        )
    if found:
        loc = found[0]
        return GeocodeResult(
            lat=loc.latitude, lng=loc.longitude, label=loc.address, kind=loc.raw["kind"], district=loc.raw["district"]
        )
    raise GeocodingError(not_found_message(text), field="near")
