"""The search index (SearchEntry) is kept by database triggers: whatever writes the
directory, forms, bulk writes, queryset updates, deletes or the Open Referral
import, a category search finds exactly what the tables say, and the index holds
one row per (category on a service) x (place it runs), no more, no fewer."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from assets.models import (
    Location,
    SearchEntry,
    Service,
    ServiceAtLocation,
    ServiceAttribute,
    TaxonomyTerm,
)
from assets.selectors import asset_search
from tests.assets.factories import LocationFactory, ServiceFactory, service_at

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).parent / "samples"
RG1 = (51.45161, -0.96977)
HACKNEY = (51.5466, -0.0740)


def expected_entries() -> set[tuple]:
    """What the index should hold, worked out from the tables themselves."""
    places = list(ServiceAtLocation.objects.select_related("location"))
    return {
        (
            attr.id,
            attr.taxonomy_term_id,
            attr.service_id,
            sal.id,
            sal.location_id,
            sal.location.latitude,
            sal.location.longitude,
        )
        for attr in ServiceAttribute.objects.all()
        for sal in places
        if sal.service_id == attr.service_id
    }


def actual_entries() -> list[tuple]:
    return list(
        SearchEntry.objects.values_list(
            "attribute_id",
            "taxonomy_term_id",
            "service_id",
            "service_at_location_id",
            "location_id",
            "latitude",
            "longitude",
        )
    )


def assert_index_matches_tables():
    actual = actual_entries()
    assert len(actual) == len(set(actual)), "the index holds a row twice"
    assert set(actual) == expected_entries()


def walking_near(point) -> list[str]:
    return [
        r.service.name
        for r in asset_search(lat=point[0], lng=point[1], radius_km=3, category="physical-activity").results
    ]


def test_a_new_service_is_found_by_category_and_indexed_once_per_category_and_place():
    walk = service_at(*RG1, name="Walk", categories=["physical-activity", "green-and-outdoor"])
    second_hall = LocationFactory(latitude=RG1[0] + 0.01, longitude=RG1[1])
    ServiceAtLocation.objects.create(service=walk, location=second_hall)
    assert SearchEntry.objects.filter(service=walk).count() == 4  # 2 categories x 2 places
    assert walking_near(RG1) == ["Walk"]
    assert_index_matches_tables()


def test_moving_a_location_moves_its_search_rows_by_save_and_by_update():
    service_at(*RG1, name="Walk", categories=["physical-activity"])
    location = Location.objects.get()
    location.latitude, location.longitude = HACKNEY
    location.save()
    assert walking_near(RG1) == [] and walking_near(HACKNEY) == ["Walk"]
    Location.objects.update(latitude=RG1[0], longitude=RG1[1])
    assert walking_near(RG1) == ["Walk"] and walking_near(HACKNEY) == []
    Location.objects.update(latitude=None, longitude=None)  # an online-only place: in no box
    assert walking_near(RG1) == []
    assert_index_matches_tables()


def test_changing_categories_changes_what_a_category_search_finds():
    walk = service_at(*RG1, name="Walk", categories=["food"])
    assert walking_near(RG1) == []
    ServiceAttribute.objects.filter(service=walk).update(
        taxonomy_term=TaxonomyTerm.objects.get(slug="physical-activity")
    )
    assert walking_near(RG1) == ["Walk"]
    ServiceAttribute.objects.filter(service=walk).delete()
    assert walking_near(RG1) == []
    walk.taxonomy_terms.add(TaxonomyTerm.objects.get(slug="physical-activity"))
    assert walking_near(RG1) == ["Walk"]
    assert_index_matches_tables()


def test_removing_a_place_a_location_or_a_service_removes_its_rows():
    walk = service_at(*RG1, name="Walk", categories=["physical-activity"])
    lunch = service_at(*RG1, name="Lunch", categories=["physical-activity"])
    tea = service_at(*RG1, name="Tea", categories=["physical-activity"])
    ServiceAtLocation.objects.filter(service=walk).delete()
    Location.objects.filter(service_at_locations__service=lunch).delete()
    tea.delete()
    assert walking_near(RG1) == []
    assert SearchEntry.objects.count() == 0
    assert_index_matches_tables()


def test_bulk_writes_in_any_order_are_indexed_even_a_place_written_before_its_location():
    term = TaxonomyTerm.objects.get(slug="physical-activity")
    with transaction.atomic():
        service = ServiceFactory(name="Imported walk")
        location = Location(latitude=RG1[0], longitude=RG1[1], name="Park")
        place = ServiceAtLocation(service=service, location=location)
        # Foreign keys are checked at commit, so an import may write the link first.
        ServiceAttribute.objects.bulk_create([ServiceAttribute(service=service, taxonomy_term=term)])
        ServiceAtLocation.objects.bulk_create([place])
        Location.objects.bulk_create([location])
    assert walking_near(RG1) == ["Imported walk"]
    assert_index_matches_tables()


def test_the_open_referral_import_and_reimport_keep_the_index_right():
    for _ in range(2):
        call_command(
            "import_openreferral",
            str(SAMPLES / "oruk_v1_services.json"),
            "--no-progress",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
        assert SearchEntry.objects.exists()
        assert_index_matches_tables()
    assert [r.service.name for r in asset_search(near="E8", category="food").results] == ["Hackney Lunch Club"]


def test_a_category_search_matches_the_same_services_as_a_search_without_the_index():
    """The two paths (index with a category, plain locations without) agree."""
    for n in range(12):
        service_at(
            RG1[0] + n * 0.002, RG1[1] - n * 0.003, name=f"S{n}", categories=["food" if n % 3 else "physical-activity"]
        )
    with_index = {r.service.name for r in asset_search(near="RG1", radius_km=3, category="food", per_page=100).results}
    without = {
        r.service.name
        for r in asset_search(near="RG1", radius_km=3, per_page=100).results
        if "food" in {t.slug for t in r.service.taxonomy_terms.all()}
    }
    assert with_index == without and len(with_index) > 3


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "add_service",
                "add_place",
                "add_category",
                "drop_category",
                "drop_place",
                "move",
                "drop_location",
                "drop_service",
            ]
        ),
        st.integers(min_value=0, max_value=50),
    ),
    min_size=1,
    max_size=15,
)


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(OPERATIONS)
def test_any_sequence_of_directory_writes_leaves_the_index_equal_to_the_tables(operations):
    terms = list(TaxonomyTerm.objects.order_by("slug")[:3])
    with transaction.atomic():
        for operation, n in operations:
            services, locations = list(Service.objects.order_by("id")), list(Location.objects.order_by("id"))
            places, attributes = (
                list(ServiceAtLocation.objects.order_by("id")),
                list(ServiceAttribute.objects.order_by("id")),
            )
            if operation == "add_service" or not services:
                service_at(RG1[0] + n / 1000, RG1[1], categories=[terms[n % 3].slug])
            elif operation == "add_place":
                location = (
                    locations[n % len(locations)]
                    if n % 2 and locations
                    else LocationFactory(latitude=RG1[0] - n / 1000)
                )
                ServiceAtLocation.objects.get_or_create(service=services[n % len(services)], location=location)
            elif operation == "add_category":
                services[n % len(services)].taxonomy_terms.add(terms[n % 3])
            elif operation == "drop_category" and attributes:
                attributes[n % len(attributes)].delete()
            elif operation == "drop_place" and places:
                places[n % len(places)].delete()
            elif operation == "move" and locations:
                Location.objects.filter(id=locations[n % len(locations)].id).update(latitude=HACKNEY[0] + n / 1000)
            elif operation == "drop_location" and locations:
                locations[n % len(locations)].delete()
            elif operation == "drop_service":
                services[n % len(services)].delete()
        assert_index_matches_tables()
        transaction.set_rollback(True)
