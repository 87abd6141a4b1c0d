"""The public Open Referral UK feed's parameters as real clients send them (issue 13):
`start_time`/`end_time` windows, `per_page` above the maximum cut to it (and said so),
ORUK v1's `text` and `vocabulary`, and `/service_at_locations/{id}` answering a
service_at_location. Every page is checked against the profile's schemas."""

import copy
import datetime
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from assets.models import (
    Organisation,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceAttribute,
    Taxonomy,
    TaxonomyTerm,
)
from tests.api.test_openreferral import PAGE_KEYS, SCHEMAS, assert_valid, formats, get, validator
from tests.assets.factories import service_at

pytestmark = pytest.mark.django_db
OPENAPI = Path(__file__).resolve().parents[2] / "api" / "openreferral" / "openapi.json"
CLAMP_KEYS = {"per_page", "note"}


def names(response):
    assert response.status_code == 200, response.content
    return sorted(item["name"] for item in response.json()["contents"])


def sal_service_names(response):
    assert response.status_code == 200, response.content
    return sorted(item["service"]["name"] for item in response.json()["contents"])


def page_validator(item_schema: str) -> Draft202012Validator:
    """Our OpenAPI document's Page schema, with every key it does not describe refused,
    and the profile's item schema for `contents`."""
    page = copy.deepcopy(json.loads(OPENAPI.read_text())["components"]["schemas"]["Page"])
    page["properties"]["contents"] = {
        "type": "array",
        "items": json.loads((SCHEMAS / f"{item_schema}.json").read_text()),
    }
    page["required"] = sorted(PAGE_KEYS)
    page["unevaluatedProperties"] = False
    return Draft202012Validator(page, format_checker=formats)


def field_error(response, field):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["message"] and error["fields"][field] == [error["message"]]
    return error["message"]


# --- start_time / end_time ------------------------------------------------------------------


def schedule(service, byday, opens, closes):
    return Schedule.objects.create(service=service, byday=byday, opens_at=opens, closes_at=closes)


@pytest.fixture
def timetable(db):
    t = datetime.time
    coffee = service_at(51.46, -0.97, name="Morning coffee")
    schedule(coffee, "TU", t(9, 30), t(11))
    choir = service_at(51.46, -0.97, name="Afternoon choir")
    schedule(choir, "TU", t(14), t(16))
    schedule(choir, "TH", t(10), t(12))
    shelter = service_at(51.46, -0.97, name="Night shelter")
    schedule(shelter, "MO,TU,WE,TH,FR,SA,SU", t(22), t(2))
    untimed = service_at(51.46, -0.97, name="Drop in any time")
    Schedule.objects.create(service=untimed, byday="MO")
    service_at(51.46, -0.97, name="No timetable")
    return {"coffee": coffee, "choir": choir, "shelter": shelter}


def test_a_time_window_finds_services_that_run_within_it(client, timetable):
    window = {"start_time": "09:00", "end_time": "12:00"}
    assert names(get(client, "/openreferral/services", **window)) == ["Afternoon choir", "Morning coffee"]
    assert sal_service_names(get(client, "/openreferral/service_at_locations", **window)) == [
        "Afternoon choir",
        "Morning coffee",
    ]
    # The edges count: opening at 09:30:00 is "at or after 09:30"; closing at 11:00 is "by 11:00".
    assert names(get(client, "/openreferral/services", start_time="09:30:00", end_time="11:00")) == ["Morning coffee"]
    assert names(get(client, "/openreferral/services", start_time="09:31", end_time="11:00")) == []


def test_a_start_time_or_an_end_time_alone_bounds_one_side(client, timetable):
    assert names(get(client, "/openreferral/services", start_time="14:00")) == ["Afternoon choir", "Night shelter"]
    # The shelter closes at 02:00 the next morning, not by noon; a schedule without times never matches.
    assert names(get(client, "/openreferral/services", end_time="12:00")) == ["Afternoon choir", "Morning coffee"]


def test_the_day_and_the_window_must_hold_for_the_same_schedule(client, timetable):
    # The choir meets on Thursday mornings and Tuesday afternoons: not on Thursday afternoons.
    assert names(get(client, "/openreferral/services", day="TH", start_time="13:00")) == ["Night shelter"]
    assert names(get(client, "/openreferral/services", day="TH", start_time="09:00", end_time="12:00")) == [
        "Afternoon choir"
    ]
    assert names(get(client, "/openreferral/services", day="tuesday", start_time="09:00", end_time="12:00")) == [
        "Morning coffee"
    ]
    assert sal_service_names(
        get(client, "/openreferral/service_at_locations", day="TU", start_time="13:00", end_time="17:00")
    ) == ["Afternoon choir"]


def test_time_filters_combine_with_the_other_filters(client, timetable):
    window = {"start_time": "09:00", "end_time": "12:00"}
    assert names(get(client, "/openreferral/services", search="coffee", **window)) == ["Morning coffee"]
    assert names(get(client, "/openreferral/services", search="shelter", **window)) == []
    body = get(client, "/openreferral/services", **window).json()
    assert body["total_items"] == 2
    assert_valid(page_validator("service_list"), body)


@pytest.mark.parametrize("value", ["9am", "9:30", "25:00", "12:60", "09:30:61", "09:30Z", "09:30+01:00", "noon"])
@pytest.mark.parametrize("name", ["start_time", "end_time"])
@pytest.mark.parametrize("path", ["/openreferral/services", "/openreferral/service_at_locations"])
def test_a_time_that_is_not_a_time_of_day_is_a_400_naming_it(client, timetable, path, name, value):
    message = field_error(get(client, path, **{name: value}), name)
    assert "09:30" in message


def test_a_window_that_ends_before_it_starts_is_a_400(client, timetable):
    message = field_error(get(client, "/openreferral/services", start_time="14:00", end_time="09:00"), "end_time")
    assert "before" in message
    field_error(get(client, "/openreferral/service_at_locations", start_time="14:00", end_time="13:59:59"), "end_time")
    # A window of one moment is allowed.
    assert get(client, "/openreferral/services", start_time="10:00", end_time="10:00").status_code == 200


# --- per_page above the maximum -------------------------------------------------------------


def many_services(count: int) -> None:
    organisation = Organisation.objects.create(name="Big directory", organisation_type="voluntary")
    Service.objects.bulk_create(
        Service(organisation=organisation, name=f"Service {n:04d}", description="A service.") for n in range(count)
    )


@pytest.mark.parametrize("asked", ["500", "1000"])
def test_per_page_above_100_gives_100_and_says_so(client, asked):
    many_services(130)
    response = get(client, "/openreferral/services", per_page=asked)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PAGE_KEYS | CLAMP_KEYS
    assert (body["size"], len(body["contents"]), body["per_page"]) == (100, 100, 100)
    assert (body["total_items"], body["total_pages"], body["last_page"]) == (130, 2, False)
    assert asked in body["note"] and "100" in body["note"]
    assert response["X-Per-Page-Clamped"] == "100"
    assert "X-Per-Page-Clamped" in response["Access-Control-Expose-Headers"]
    assert_valid(page_validator("service_list"), body)
    rest = get(client, "/openreferral/services", per_page=asked, page=2).json()
    assert (rest["size"], rest["last_page"]) == (30, True)
    seen = {item["id"] for item in body["contents"] + rest["contents"]}
    assert len(seen) == 130


def test_minimal_pages_hold_1000_and_more_is_cut_to_1000(client):
    many_services(1005)
    whole = get(client, "/openreferral/services", minimal="true", per_page="1000")
    assert set(whole.json()) == PAGE_KEYS and "X-Per-Page-Clamped" not in whole
    assert whole.json()["size"] == 1000
    response = get(client, "/openreferral/services", minimal="true", per_page="5000")
    body = response.json()
    assert (body["size"], body["per_page"], body["total_items"], body["total_pages"]) == (1000, 1000, 1005, 2)
    assert response["X-Per-Page-Clamped"] == "1000" and "5000" in body["note"]
    assert all(set(item) == {"id", "last_modified"} for item in body["contents"])


def test_other_lists_cut_per_page_too_and_a_page_within_the_limit_is_unchanged(client):
    many_services(3)
    service_at(51.46, -0.97, name="Walk")
    for path, item_schema in [
        ("/openreferral/service_at_locations", "service_at_location_list"),
        ("/openreferral/organizations", "organization_list"),
    ]:
        clamped = get(client, path, per_page="500")
        assert clamped["X-Per-Page-Clamped"] == "100" and clamped.json()["per_page"] == 100
        assert_valid(page_validator(item_schema), clamped.json())
        plain = get(client, path, per_page="100")
        assert set(plain.json()) == PAGE_KEYS and "X-Per-Page-Clamped" not in plain
    assert get(client, "/openreferral/taxonomy_terms", per_page="999").json()["per_page"] == 100


@pytest.mark.parametrize("value", ["0", "-1", "lots", "1.5", "1e3"])
def test_per_page_below_one_or_not_a_whole_number_is_still_a_400(client, value):
    field_error(get(client, "/openreferral/services", per_page=value), "per_page")


# --- text and vocabulary (ORUK v1) ----------------------------------------------------------


@pytest.fixture
def hubs(db):
    taxonomy = Taxonomy.objects.create(
        slug="family-hubs", name="Family Hubs Services", uri="https://example.org/vocab/family-hubs"
    )
    term = TaxonomyTerm.objects.create(taxonomy=taxonomy, slug="parenting-support", name="Parenting support")
    parenting = service_at(51.46, -0.97, name="Parenting café", description="Support for new parents.")
    ServiceAttribute.objects.create(service=parenting, taxonomy_term=term)
    walk = service_at(51.46, -0.97, name="Thames walk", categories=["physical-activity"])
    return {"taxonomy": taxonomy, "parenting": parenting, "walk": walk}


def test_text_is_searched_like_search(client, hubs):
    assert names(get(client, "/openreferral/services", text="THAMES")) == ["Thames walk"]
    assert names(get(client, "/openreferral/services", text="new parents")) == ["Parenting café"]
    assert sal_service_names(get(client, "/openreferral/service_at_locations", text="thames")) == ["Thames walk"]
    # Both given: both must match, like every other pair of parameters.
    assert names(get(client, "/openreferral/services", text="walk", search="thames")) == ["Thames walk"]
    assert names(get(client, "/openreferral/services", text="walk", search="parents")) == []


@pytest.mark.parametrize(
    "vocabulary",
    ["Family Hubs Services", "family hubs services", "FAMILY-HUBS", "https://example.org/vocab/family-hubs"],
)
def test_vocabulary_names_a_taxonomy_in_any_case(client, hubs, vocabulary):
    assert names(get(client, "/openreferral/services", vocabulary=vocabulary)) == ["Parenting café"]
    assert sal_service_names(get(client, "/openreferral/service_at_locations", vocabulary=vocabulary)) == [
        "Parenting café"
    ]


def test_vocabulary_by_id_and_combined_with_other_filters(client, hubs):
    assert names(get(client, "/openreferral/services", vocabulary=str(hubs["taxonomy"].id))) == ["Parenting café"]
    seeded = TaxonomyTerm.objects.get(slug="physical-activity").taxonomy
    assert names(get(client, "/openreferral/services", vocabulary=seeded.name)) == ["Thames walk"]
    assert names(get(client, "/openreferral/services", vocabulary=seeded.slug, text="parent")) == []
    activity = TaxonomyTerm.objects.get(slug="physical-activity")
    assert names(get(client, "/openreferral/services", vocabulary="family-hubs", taxonomy_term_id=activity.id)) == []


def test_an_unknown_vocabulary_is_an_empty_page_not_an_error(client, hubs):
    response = get(client, "/openreferral/services", vocabulary="esdServiceTypes")
    assert response.status_code == 200
    body = response.json()
    assert (body["total_items"], body["size"], body["empty"]) == (0, 0, True)
    assert_valid(page_validator("service_list"), body)


def test_a_vocabulary_too_long_is_a_400(client, hubs):
    field_error(get(client, "/openreferral/services", vocabulary="x" * 201), "vocabulary")


# --- /service_at_locations/{id} -------------------------------------------------------------


def strict_service_at_location() -> Draft202012Validator:
    """The profile's service_at_location schema, with all five parts required and nothing
    else allowed at the top: a service body (id, name, status...) cannot pass it."""
    schema = json.loads((SCHEMAS / "service_at_location.json").read_text())
    schema["required"] = ["id", "service_id", "location_id", "location", "service"]
    schema["additionalProperties"] = False
    return Draft202012Validator(schema, format_checker=formats)


def test_a_service_at_location_is_answered_as_one_with_its_location_and_full_service(client):
    walk = service_at(51.46, -0.97, name="Thames walk", categories=["physical-activity"], days=["TU"])
    sal = ServiceAtLocation.objects.get(service=walk)
    body = get(client, f"/openreferral/service_at_locations/{sal.id}").json()
    assert_valid(strict_service_at_location(), body)
    assert (body["id"], body["service_id"], body["location_id"]) == (str(sal.id), str(walk.id), str(sal.location_id))
    assert_valid("service", body["service"])
    assert body["service"]["name"] == "Thames walk" and body["service"]["schedules"][0]["byday"] == "TU"
    assert body["location"]["id"] == str(sal.location_id)
    # What the official spec file declares for this path (a service) is not what is sent.
    assert list(validator("service").iter_errors(body))


def test_the_openapi_document_names_the_right_schema_and_every_new_parameter(client):
    document = get(client, "/openreferral/openapi.json").json()
    detail = document["paths"]["/service_at_locations/{id}"]["get"]["responses"]["200"]
    assert detail["content"]["application/json"]["schema"]["$ref"].endswith("/compiled/service_at_location.json")
    for path in ("/services", "/service_at_locations"):
        documented = {p["$ref"].rsplit("/", 1)[-1] for p in document["paths"][path]["get"]["parameters"]}
        assert {"start_time", "end_time", "day", "text", "vocabulary", "search", "per_page"} <= documented
    parameters = document["components"]["parameters"]
    for name in ("start_time", "end_time", "text", "vocabulary"):
        assert parameters[name]["schema"]["type"] == "string" and parameters[name]["description"]
    assert set(document["components"]["schemas"]["Page"]["properties"]) >= CLAMP_KEYS
