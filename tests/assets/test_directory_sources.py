"""The directory says where each listing came from (a feed, and when it was last
checked there, or added here), can be filtered by it, and says when a place or the
searcher's own postcode is known only to its postcode district (issue 13)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assets.models import FeedSource, Location, PlacedBy, Service
from tests.assets.factories import service_at

pytestmark = pytest.mark.django_db
CHECKED = datetime.datetime(2026, 12, 3, 10, 30, tzinfo=datetime.UTC)
DISTRICT_NOTE = "Shown at the centre of RG1: the exact place may be up to 1.5 miles away."


@pytest.fixture
def reading_feed(db):
    return FeedSource.objects.create(name="Reading Services Guide", url="https://feed.example/oruk")


@pytest.fixture
def listings(reading_feed):
    from_feed = service_at(51.4600, -0.9700, name="Carers coffee morning")
    Service.objects.filter(pk=from_feed.pk).update(source=reading_feed, source_checked_at=CHECKED)
    local = service_at(51.4620, -0.9700, name="Tuesday lunch club")
    return from_feed, local


def results(response) -> list[str]:
    return [result.service.name for result in response.context["page"].results]


def test_each_result_says_where_it_came_from(client, listings):
    html = client.get("/directory/", {"near": "RG1"}).content.decode()
    assert "From Reading Services Guide, last checked 3 December 2026" in html
    assert "Added here" in html


def test_the_directory_filters_by_feed_or_by_added_here(client, reading_feed, listings):
    response = client.get("/directory/", {"near": "RG1", "source": str(reading_feed.id)})
    assert results(response) == ["Carers coffee morning"]
    response = client.get("/directory/", {"near": "RG1", "source": "local"})
    assert results(response) == ["Tuesday lunch club"]
    assert results(client.get("/directory/", {"near": "RG1"})) == ["Carers coffee morning", "Tuesday lunch club"]
    html = client.get("/directory/").content.decode()
    assert "Where it came from" in html and ">Reading Services Guide</option>" in html and ">Added here<" in html


def test_the_filter_works_with_a_category_too(client, reading_feed):
    fed = service_at(51.4600, -0.9700, name="Fed food bank", categories=["food"])
    Service.objects.filter(pk=fed.pk).update(source=reading_feed)
    service_at(51.4610, -0.9700, name="Local food bank", categories=["food"])
    response = client.get("/directory/", {"near": "RG1", "category": "food", "source": "local"})
    assert results(response) == ["Local food bank"]
    response = client.get("/directory/", {"near": "RG1", "category": "food", "source": str(reading_feed.id)})
    assert results(response) == ["Fed food bank"]


@pytest.mark.parametrize("value", ["00000000-0000-0000-0000-000000000000", "nonsense", "local\x00"])
def test_an_unknown_source_comes_back_on_the_form_not_a_500(client, listings, value):
    response = client.get("/directory/", {"near": "RG1", "source": value})
    assert response.status_code == 200
    assert response.context["page"] is None
    html = response.content.decode()
    assert "Choose where the listings came from from the list." in html.split('id="id_source_error"', 1)[1]


def test_the_service_page_says_where_it_came_from(client, listings):
    from_feed, local = listings
    html = client.get(f"/directory/services/{from_feed.id}/").content.decode()
    assert "From Reading Services Guide, last checked 3 December 2026" in html
    assert "Added here" in client.get(f"/directory/services/{local.id}/").content.decode()


def test_a_place_known_only_to_its_district_says_so_in_results_and_on_the_page(client, listings):
    from_feed, local = listings
    Location.objects.filter(service_at_locations__service=from_feed).update(
        placed_by=PlacedBy.DISTRICT, postcode="RG1 7QE"
    )
    Location.objects.filter(service_at_locations__service=local).update(placed_by=PlacedBy.POSTCODE)
    html = client.get("/directory/", {"near": "RG1"}).content.decode()
    assert html.count(DISTRICT_NOTE) == 1
    assert html.index("Carers coffee morning") < html.index(DISTRICT_NOTE) < html.index("Tuesday lunch club")
    assert DISTRICT_NOTE in client.get(f"/directory/services/{from_feed.id}/").content.decode()
    assert "may be up to 1.5 miles away" not in client.get(f"/directory/services/{local.id}/").content.decode()


def test_a_full_postcode_found_only_to_its_district_makes_distances_approximate(client, listings):
    # The offline tables have no point for this unit postcode, only its district's centre.
    html = client.get("/directory/", {"near": "RG1 9ZZ"}).content.decode()
    assert "We could only find the area of RG1 9ZZ (RG1)" in html and "may be a mile or so out" in html
    # A district asked for as a district is exactly what the person meant.
    assert "may be a mile or so out" not in client.get("/directory/", {"near": "RG1"}).content.decode()


def test_the_search_page_query_count_does_not_grow_with_sources(client, listings, django_assert_max_num_queries):
    client.get("/directory/", {"near": "RG1"})  # warm the geocoder cache
    with CaptureQueriesContext(connection) as few:
        client.get("/directory/", {"near": "RG1", "source": "local"})
    for n in range(10):
        feed = FeedSource.objects.create(name=f"Feed {n}", url=f"https://{n}.example/oruk")
        extra = service_at(51.46, -0.97, name=f"Extra {n}")
        Service.objects.filter(pk=extra.pk).update(source=feed, source_checked_at=CHECKED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/directory/", {"near": "RG1"})
    assert len(response.context["page"].results) == 12
    assert response.content.decode().count("last checked 3 December 2026") == 11
