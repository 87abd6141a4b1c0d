"""The directory through the API: search near a place, one service, categories."""

import pytest

from tests.assets.factories import service_at

pytestmark = pytest.mark.django_db


def test_search_near_a_postcode_returns_services_with_organisation_locations_and_distance(surgery, garden_service):
    far = service_at(51.75, -1.25, categories=["green-and-outdoor"], name="Oxford allotments")
    response = surgery.api.get("/api/v1/services/?near=RG1&radius_km=3&category=green-and-outdoor")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["count"] == 1
    result = body["results"][0]
    assert result["id"] == str(garden_service.pk)
    assert result["organisation"] == {"id": str(garden_service.organisation.pk), "name": "Greenfingers Garden Club"}
    assert len(result["locations"]) == 1 and result["locations"][0]["postcode"] == "RG1 7QE"
    assert 0 <= result["distance_miles"] <= result["distance_km"] < 3
    assert str(far.pk) not in {r["id"] for r in body["results"]}


def test_search_with_bad_input_is_a_400_naming_the_field(surgery):
    for query, field in [
        ("near=ZZ99", "near"),
        ("near=RG1&radius_km=500", "radius_km"),
        ("near=RG1&page_size=101", "page_size"),
    ]:
        response = surgery.api.get(f"/api/v1/services/?{query}")
        assert response.status_code == 400, query
        assert field in response.json()["error"]["fields"], response.json()


def test_one_service_and_categories(surgery, garden_service):
    assert surgery.api.get(f"/api/v1/services/{garden_service.pk}/").json()["name"] == "Community garden mornings"
    assert surgery.api.get("/api/v1/services/00000000-0000-0000-0000-000000000000/").status_code == 404
    slugs = {c["slug"] for c in surgery.api.get("/api/v1/categories/?page_size=100").json()["results"]}
    assert {"befriending-and-loneliness", "green-and-outdoor"} <= slugs


def test_the_search_runs_the_same_number_of_queries_for_one_and_many_results(
    surgery, garden_service, django_assert_max_num_queries
):
    surgery.api.get("/api/v1/services/?near=RG1")  # warm the geocoder cache and token lookup
    with django_assert_max_num_queries(12):
        assert surgery.api.get("/api/v1/services/?near=RG1").json()["count"] == 1
    for n in range(30):
        service_at(51.4516, -0.9698, name=f"Group {n}")
    with django_assert_max_num_queries(12):
        assert surgery.api.get("/api/v1/services/?near=RG1&page_size=40").json()["count"] == 31


def test_search_results_are_exactly_what_the_documented_serializer_gives(surgery, garden_service):
    """The API builds search results from narrow queries; they must match ServiceResultSerializer."""
    from api.serializers.directory import ServiceResultSerializer
    from assets.models import Location, ServiceArea
    from assets.selectors import asset_search

    service_at(
        51.4530,
        -0.9700,
        categories=["green-and-outdoor", "older-people"],
        name="Paid garden",
        is_free=False,
        cost_amount=2,
        cost_description="£2 a session",
        last_reviewed=None,
    )
    accessible = service_at(51.4540, -0.9690, categories=["green-and-outdoor"], name="Step-free garden", areas=["RG1"])
    Location.objects.filter(service_at_locations__service=accessible).update(
        step_free_access=True, quiet_space=True, address_1="2 Park Lane", address_2="", city="Reading"
    )
    assert ServiceArea.objects.exists()
    body = surgery.api.get("/api/v1/services/?near=RG1&radius_km=3&category=green-and-outdoor").json()
    found = asset_search(near="RG1", radius_km=3, category="green-and-outdoor")
    expected = []
    for result in found.results:
        service = result.service
        service.distance_km, service.distance_miles = result.distance_km, result.distance_miles
        service.matched_locations = [result.location]
        expected.append(service)
    assert body["count"] == 3
    assert body["results"] == ServiceResultSerializer(expected, many=True).data
    step_free = next(r for r in body["results"] if r["name"] == "Step-free garden")
    assert step_free["locations"][0]["accessibility"] == ["Step-free access", "Quiet space"]
    assert step_free["locations"][0]["address"] == "2 Park Lane, Reading, RG1 7QE"
    from api.serializers.directory import _RESULT_CATEGORIES, _RESULT_ROWS

    assert all(plan is not None for plan in [*_RESULT_ROWS._plans.values(), *_RESULT_CATEGORIES._plans.values()])
    paid = next(r for r in body["results"] if r["name"] == "Paid garden")
    assert paid["is_stale"] is True and paid["last_reviewed"] is None and paid["is_free"] is False
    assert paid["categories"] == ["green-and-outdoor", "older-people"]
