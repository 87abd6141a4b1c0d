"""asset_search: distance ordering, filters, the ALISS service-area rule, staleness."""

import datetime

import pytest
from django.utils import timezone

from assets.models import Location, ServiceStatus
from assets.selectors import asset_search
from core.errors import InvalidInputError
from core.places.geocoding import GeocodingError
from tests.assets.factories import service_at

pytestmark = pytest.mark.django_db

# RG1 centroid is (51.45161, -0.96977); 0.009 degrees of latitude is about 1 km.
RG1 = (51.45161, -0.96977)


def north(km: float) -> tuple[float, float]:
    return (RG1[0] + km / 111.2, RG1[1])


def test_results_are_nearest_first_within_the_radius_with_miles_and_km():
    far = service_at(*north(4), name="Far")
    near = service_at(*north(0.5), name="Near")
    middle = service_at(*north(2), name="Middle")
    service_at(*north(9), name="Outside")
    page = asset_search(near="RG1", radius_km=5)
    assert [r.service for r in page.results] == [near, middle, far]
    assert page.count == 3
    assert page.results[1].distance_km == pytest.approx(2.0, abs=0.05)
    assert page.results[1].distance_miles == pytest.approx(1.24, abs=0.05)


def test_a_service_at_two_locations_appears_once_at_its_nearest():
    service = service_at(*north(3), name="Two halls")
    location = Location.objects.create(name="Nearer hall", latitude=north(1)[0], longitude=north(1)[1])
    service.service_at_locations.create(location=location)
    page = asset_search(near="RG1", radius_km=5)
    assert page.count == 1 and page.results[0].location == location


def test_filters_combine_category_text_day_free_and_accessibility():
    match = service_at(*north(1), name="Tuesday walk", categories=["physical-activity"], days=["TU"])
    match.location = None
    service_at(*north(1), name="Tuesday lunch", categories=["food"], days=["TU"])
    service_at(*north(1), name="Monday walk", categories=["physical-activity"], days=["MO"])
    service_at(*north(1), name="Paid walk", categories=["physical-activity"], days=["TU"], is_free=False, cost_amount=3)
    hits = asset_search(near="RG1", category="physical-activity", day="tuesday", free_only=True)
    assert [r.service.name for r in hits.results] == ["Tuesday walk"]
    assert [r.service.name for r in asset_search(near="RG1", q="LUNCH").results] == ["Tuesday lunch"]
    Location.objects.filter(service_at_locations__service=match).update(step_free_access=True, hearing_loop=True)
    assert [
        r.service for r in asset_search(near="RG1", accessibility=["step_free_access", "hearing_loop"]).results
    ] == [match]
    assert asset_search(near="RG1", accessibility=["step_free_access", "parking"]).count == 0


def test_the_service_area_rule_hides_services_outside_their_areas():
    covers_rg1 = service_at(*north(1), name="RG1 only", areas=["RG1"])
    covers_rg = service_at(*north(1), name="All RG", areas=["RG"])
    service_at(*north(1), name="RG4 only", areas=["RG4"])
    everywhere = service_at(*north(1), name="No areas")
    found = {r.service for r in asset_search(near="RG1 7QE").results}
    assert found == {covers_rg1, covers_rg, everywhere}


def test_stale_services_rank_after_fresh_ones_at_a_similar_distance_and_say_so():
    old = timezone.localdate() - datetime.timedelta(days=400)
    stale = service_at(*north(1.0), name="Stale", last_reviewed=old)
    fresh = service_at(*north(1.4), name="Fresh")
    much_further = service_at(*north(4), name="Much further")
    page = asset_search(near="RG1")
    assert [r.service for r in page.results] == [fresh, stale, much_further]
    assert [r.is_stale for r in page.results] == [False, True, False]


def test_closed_services_are_not_found_but_temporarily_closed_ones_are():
    service_at(*north(1), name="Gone", status=ServiceStatus.DEFUNCT)
    service_at(*north(1), name="Paused", status=ServiceStatus.TEMPORARILY_CLOSED)
    assert [r.service.name for r in asset_search(near="RG1").results] == ["Paused"]


def test_pages_hold_per_page_results_and_the_count_is_the_total():
    for km in range(1, 8):
        service_at(*north(km * 0.5), name=f"S{km}")
    second = asset_search(near="RG1", per_page=3, page=2)
    assert (
        second.count == 7 and second.num_pages == 3 and [r.service.name for r in second.results] == ["S4", "S5", "S6"]
    )


def test_a_point_can_be_given_as_lat_and_lng():
    service = service_at(*north(1))
    assert asset_search(lat=RG1[0], lng=RG1[1]).results[0].service == service


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"near": ""}, "near"),
        ({"near": "XX9 9ZZ"}, "near"),
        ({"near": "RG1", "radius_km": 500}, "radius"),
        ({"near": "RG1", "category": "no-such-thing"}, "category"),
        ({"near": "RG1", "day": "someday"}, "day"),
        ({"near": "RG1", "accessibility": ["jetpack"]}, "accessibility"),
        ({"near": "RG1", "q": "x" * 101}, "q"),
    ],
)
def test_bad_search_input_names_the_field(kwargs, field):
    with pytest.raises(InvalidInputError) as error:
        asset_search(**kwargs)
    assert error.value.field == field


def test_the_query_count_does_not_grow_with_results(django_assert_max_num_queries):
    for km in range(20):
        service_at(*north(km * 0.2), categories=["food"])
    asset_search(near="RG1", radius_km=10)  # warm the geocoder cache and term lookup
    with django_assert_max_num_queries(4):
        page = asset_search(near="RG1", radius_km=10, per_page=20)
        assert all(r.service.taxonomy_terms.all() for r in page.results)


def test_an_unknown_place_is_a_geocoding_error():
    with pytest.raises(GeocodingError):
        asset_search(near="Nowhereville")


def test_the_grid_cell_follows_latitude_and_longitude_on_every_kind_of_write():
    from assets.models import grid_cell_for

    saved = Location.objects.create(name="Saved", latitude=51.5466, longitude=-0.0740)
    bulk = Location.objects.bulk_create([Location(name="Bulk", latitude=-33.87, longitude=151.21)])[0]
    nowhere = Location.objects.create(name="Online only")
    cells = dict(Location.objects.values_list("name", "grid_cell"))
    assert cells == {
        "Saved": grid_cell_for(51.5466, -0.0740),
        "Bulk": grid_cell_for(-33.87, 151.21),
        "Online only": None,
    }
    # West of Greenwich the column is floor(), not truncation: -0.074 * 20 is column -2.
    assert grid_cell_for(51.5466, -0.0740) == 1030 * 10_000 - 2
    Location.objects.filter(id=saved.id).update(latitude=51.4516, longitude=0.0301)
    Location.objects.filter(id=nowhere.id).update(latitude=51.0, longitude=-1.0)
    cells = dict(Location.objects.values_list("id", "grid_cell"))
    assert cells[saved.id] == grid_cell_for(51.4516, 0.0301) == 1029 * 10_000 + 0
    assert cells[nowhere.id] == grid_cell_for(51.0, -1.0) and cells[bulk.id] == grid_cell_for(-33.87, 151.21)


def test_search_finds_services_in_every_grid_cell_the_circle_touches():
    # Near Greenwich, at a cell corner: 51.45 N is a row edge and 0 and -0.05 are column edges.
    origin = (51.4502, -0.0003)
    around = {
        "North east": (51.4600, 0.0300),
        "North west": (51.4600, -0.0600),
        "South east": (51.4400, 0.0300),
        "South west": (51.4380, -0.0550),
        "Across the meridian": (51.4502, 0.0004),
    }
    for name, point in around.items():
        service_at(*point, name=name, categories=["food"])
    service_at(51.4502, 0.0800, name="Just outside", categories=["food"])  # 5.6 km east
    service_at(51.4502, -0.0010, name="Other category", categories=["housing"])
    page = asset_search(lat=origin[0], lng=origin[1], radius_km=5, category="food")
    assert {r.service.name for r in page.results} == set(around)
    assert page.results[0].service.name == "Across the meridian"
    assert asset_search(lat=origin[0], lng=origin[1], radius_km=6, category="food").count == len(around) + 1


def test_an_unknown_category_is_refused_even_with_no_services_nearby():
    with pytest.raises(InvalidInputError) as error:
        asset_search(near="RG1", category="no-such-thing")
    assert error.value.field == "category"
    assert asset_search(near="RG1", category="food").count == 0  # a real category with no matches is fine


# --- The one-category search's compiled SQL (core/compiled.py) --------------------------

from hypothesis import HealthCheck, given, settings as hsettings, strategies as st  # noqa: E402

from assets.models import ServiceArea  # noqa: E402
from assets.selectors import CATEGORY_CANDIDATES, _category_candidates, _search_box, area_prefixes  # noqa: E402
from core.compiled import Fixed  # noqa: E402
from core.places.geocoding import geocode  # noqa: E402


def _criteria(lat, lng, radius, district, category, day=None, free_only=False, needs=()):
    origin = geocode(f"{lat},{lng}")
    lat_range, lng_range, cells = _search_box(origin, radius)
    return {
        "lat_range": lat_range,
        "lng_range": lng_range,
        "cells": cells,
        "prefixes": area_prefixes(district),
        "category": category,
        "day": day,
        "free_only": free_only,
        "accessibility": tuple(needs),
    }


def _compiled(criteria):
    fixed = {name: Fixed(criteria[name]) for name in ("day", "free_only", "accessibility")}
    return CATEGORY_CANDIDATES.rows(**{**criteria, **fixed})


@pytest.fixture
def neighbourhood(db):
    """Services of two categories around RG1, some with service areas, some on Tuesdays."""
    for n in range(16):
        service = service_at(
            RG1[0] + (n % 4) * 0.004 - 0.006,
            RG1[1] + (n // 4) * 0.006 - 0.009,
            name=f"S{n}",
            categories=["food" if n % 3 else "physical-activity"],
            days=["TU"] if n % 2 else [],
            is_free=n % 5 != 0,
            cost_amount=None if n % 5 else 2,
        )
        if n % 4 == 0:
            ServiceArea.objects.create(service=service, postcode_prefix="RG1" if n % 8 else "E8")


def test_the_compiled_category_search_is_planned_once_and_gives_the_orms_rows(neighbourhood):
    criteria = _criteria(*RG1, 2, "RG1", "food")
    first = _compiled(criteria)
    assert sorted(first) == sorted(_category_candidates(**criteria)) and len(first) > 4
    plans = [plan for plan in CATEGORY_CANDIDATES._plans.values() if plan is not None]
    assert plans, "the common shape should compile to a reusable plan"
    # Another place and category of the same shape reuses the plan and still matches the ORM.
    other = _criteria(RG1[0] + 0.003, RG1[1] - 0.004, 2, "RG1", "physical-activity")
    if len(other["cells"]) == len(criteria["cells"]):
        count = len(CATEGORY_CANDIDATES._plans)
        assert sorted(_compiled(other)) == sorted(_category_candidates(**other))
        assert len(CATEGORY_CANDIDATES._plans) == count


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    dlat=st.floats(-0.05, 0.05),
    dlng=st.floats(-0.08, 0.08),
    radius=st.floats(0.1, 8),
    district=st.sampled_from(["RG1", "RG4", "E8", ""]),
    category=st.sampled_from(["food", "physical-activity", "housing", "no-such-term"]),
    day=st.sampled_from([None, "TU", "MO"]),
    free_only=st.booleans(),
    needs=st.sampled_from([(), ("step_free_access",)]),
)
def test_the_compiled_category_search_always_agrees_with_the_orm(
    neighbourhood, dlat, dlng, radius, district, category, day, free_only, needs
):
    criteria = _criteria(RG1[0] + dlat, RG1[1] + dlng, radius, district, category, day, free_only, needs)
    assert sorted(_compiled(criteria)) == sorted(_category_candidates(**criteria))
