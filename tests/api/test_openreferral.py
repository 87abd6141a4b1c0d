"""The public Open Referral UK 3.0 feed: every response validated against the profile's
compiled schemas (copied into tests/api/oruk_schemas/), filters combined with AND."""

import datetime
import json
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.core.cache import cache
from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker

from assets.models import Contact, Location, Organisation, Service, ServiceAtLocation, Taxonomy, TaxonomyTerm
from tests.assets.factories import service_at

pytestmark = pytest.mark.django_db
SCHEMAS = Path(__file__).parent / "oruk_schemas"
PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"}

formats = FormatChecker()


@formats.checks("date-time", raises=ValueError)
def _is_datetime(value):
    return not isinstance(value, str) or bool(datetime.datetime.fromisoformat(value.replace("Z", "+00:00")))


@formats.checks("uri")
def _is_uri(value):
    parsed = urlparse(value) if isinstance(value, str) else None
    return parsed is None or bool(parsed.scheme and parsed.netloc)


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((SCHEMAS / f"{name}.json").read_text()), format_checker=formats)


def term_validator() -> Draft202012Validator:
    service = json.loads((SCHEMAS / "service.json").read_text())
    return Draft202012Validator(
        service["properties"]["attributes"]["items"]["properties"]["taxonomy_term"], format_checker=formats
    )


def assert_valid(name_or_validator, document):
    checker = validator(name_or_validator) if isinstance(name_or_validator, str) else name_or_validator
    errors = sorted(checker.iter_errors(document), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def assert_page(body, item_validator):
    assert set(body) == PAGE_KEYS
    for item in body["contents"]:
        assert_valid(item_validator, item)


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()


@pytest.fixture
def directory(db):
    walk = service_at(
        51.4600,
        -0.9700,
        name="Thames walk",
        categories=["physical-activity", "green-and-outdoor"],
        days=["TU"],
        url="https://walk.example.org",
        email="walk@example.org",
        minimum_age=16,
    )
    Location.objects.filter(service_at_locations__service=walk).update(
        step_free_access=True, accessibility_description="Flat path"
    )
    Contact.objects.create(service=walk, name="Sam", title="Leader", phone="0118 000 0000")
    lunch = service_at(
        51.4620,
        -0.9800,
        name="Lunch club",
        categories=["food"],
        areas=["RG1"],
        is_free=False,
        cost_amount=3,
        cost_description="per meal",
        organisation=walk.organisation,
    )
    far = service_at(51.5466, -0.0723, name="Hackney walk", categories=["physical-activity"])
    return {"walk": walk, "lunch": lunch, "far": far}


def get(client, url, **params):
    response = client.get(url, params, HTTP_ORIGIN="https://elsewhere.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    return response


def test_the_root_names_the_version_profile_and_openapi(client):
    body = get(client, "/openreferral/").json()
    assert body["version"] == "HSDS-UK-3.0" and body["profile"].startswith("https://")
    assert get(client, urlparse(body["openapi_url"]).path).json()["openapi"].startswith("3.")


def test_services_list_validates_and_paginates_with_the_profile_keys(client, directory):
    body = get(client, "/openreferral/services", per_page=2).json()
    assert_page(body, validator("service_list"))
    assert (body["total_items"], body["total_pages"], body["size"], body["first_page"], body["last_page"]) == (
        3,
        2,
        2,
        True,
        False,
    )
    second = get(client, "/openreferral/services", per_page=2, page=2).json()
    assert second["last_page"] and second["size"] == 1 and not second["empty"]
    assert {s["name"] for s in body["contents"] + second["contents"]} == {"Thames walk", "Lunch club", "Hackney walk"}


def test_a_full_service_validates(client, directory):
    body = get(client, f"/openreferral/services/{directory['walk'].id}").json()
    assert_valid("service", body)
    assert body["schedules"][0]["byday"] == "TU" and body["cost_options"][0]["amount"] == 0
    assert {a["taxonomy_term"]["code"] for a in body["attributes"]} == {"physical-activity", "green-and-outdoor"}
    assert body["service_at_locations"][0]["location"]["addresses"][0]["postal_code"] == "RG1 7QE"
    lunch = get(client, f"/openreferral/services/{directory['lunch'].id}").json()
    assert_valid("service", lunch)
    assert lunch["cost_options"][0]["amount"] == 3.0 and lunch["service_areas"][0]["extent"] == "RG1"


def test_service_at_locations_validate_list_and_detail(client, directory):
    body = get(client, "/openreferral/service_at_locations").json()
    assert_page(body, validator("service_at_location_list"))
    assert body["total_items"] == 3
    sal = ServiceAtLocation.objects.get(service=directory["walk"])
    assert_valid("service_at_location", get(client, f"/openreferral/service_at_locations/{sal.id}").json())


def test_organizations_validate_list_and_detail(client, directory):
    Organisation.objects.create(name="A GP practice that runs nothing", organisation_type="gp-practice")
    body = get(client, "/openreferral/organizations").json()
    assert_page(body, validator("organization_list"))
    assert body["total_items"] == 2  # only organisations that run services are published
    detail = get(client, f"/openreferral/organizations/{directory['walk'].organisation_id}").json()
    assert_valid("organization", detail)
    assert {s["name"] for s in detail["services"]} == {"Thames walk", "Lunch club"}


def test_taxonomies_and_terms_are_published_with_stable_ids(client):
    taxonomies = get(client, "/openreferral/taxonomies").json()
    assert set(taxonomies) == PAGE_KEYS and taxonomies["total_items"] == Taxonomy.objects.count()
    taxonomy = get(client, f"/openreferral/taxonomies/{taxonomies['contents'][0]['id']}").json()
    assert len(taxonomy["taxonomy_terms"]) == 17
    terms = get(client, "/openreferral/taxonomy_terms", per_page=100).json()
    assert_page(terms, term_validator())
    green = TaxonomyTerm.objects.get(slug="green-and-outdoor")
    assert green.id == uuid.uuid5(uuid.UUID("6f1c4f0e-2b7a-4c57-9a39-3c1a4f0d9b21"), "taxonomy_term:green-and-outdoor")
    assert_valid(term_validator(), get(client, f"/openreferral/taxonomy_terms/{green.id}").json())


def names(response):
    return sorted(s["name"] for s in response.json()["contents"])


def test_filters_combine_with_and(client, directory):
    activity = TaxonomyTerm.objects.get(slug="physical-activity")
    assert names(get(client, "/openreferral/services", taxonomy_term_id=activity.id)) == ["Hackney walk", "Thames walk"]
    assert names(get(client, "/openreferral/services", taxonomy_term_id=activity.id, search="thames")) == [
        "Thames walk"
    ]
    assert names(get(client, "/openreferral/services", taxonomy_term_id=activity.id, search="lunch")) == []
    org = directory["walk"].organisation_id
    assert names(get(client, "/openreferral/services", organization_id=org)) == ["Lunch club", "Thames walk"]
    assert names(get(client, "/openreferral/services", organization_id=org, taxonomy_term_id=activity.id)) == [
        "Thames walk"
    ]
    assert names(get(client, "/openreferral/services", taxonomy_id=activity.taxonomy_id, day="TU")) == ["Thames walk"]


def test_postcode_applies_service_areas_and_proximity_is_in_metres(client, directory):
    assert names(get(client, "/openreferral/services", postcode="RG1 7QE")) == [
        "Hackney walk",
        "Lunch club",
        "Thames walk",
    ]
    assert names(get(client, "/openreferral/services", postcode="E8")) == ["Hackney walk", "Thames walk"]
    near = get(client, "/openreferral/services", postcode="RG1", proximity="2000")
    assert_page(near.json(), validator("service_list"))
    assert [s["name"] for s in near.json()["contents"]] == ["Thames walk", "Lunch club"]  # nearest first
    assert names(get(client, "/openreferral/services", postcode="RG1", proximity="1000")) == ["Thames walk"]
    sals = get(client, "/openreferral/service_at_locations", postcode="E8", proximity="5000").json()
    assert_page(sals, validator("service_at_location_list"))
    assert [s["service"]["name"] for s in sals["contents"]] == ["Hackney walk"]


def test_modified_after_and_minimal(client, directory):
    Service.objects.filter(pk=directory["far"].pk).update(modified_at=timezone.now() - datetime.timedelta(days=10))
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    assert names(get(client, "/openreferral/services", modified_after=since)) == ["Lunch club", "Thames walk"]
    minimal = get(client, "/openreferral/services", minimal="true").json()
    assert set(minimal) == PAGE_KEYS and all(set(item) == {"id", "last_modified"} for item in minimal["contents"])


def test_ndjson_streams_every_matching_full_service(client, directory):
    response = get(client, "/openreferral/services", format="ndjson", search="walk")
    assert response.streaming and response["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert sorted(line["name"] for line in lines) == ["Hackney walk", "Thames walk"]
    for line in lines:
        assert_valid("service", line)


@pytest.mark.parametrize(
    "params",
    [
        {"page": "x"},
        {"per_page": "0"},
        {"per_page": "-5"},
        {"taxonomy_term_id": "nope"},
        {"proximity": "100"},
        {"postcode": "XX9 9ZZ"},
        {"postcode": "RG1", "proximity": "far"},
        {"modified_after": "yesterday"},
        {"format": "xml"},
        {"search": "a\x00b"},
        {"day": "caturday"},
        {"minimal": "perhaps"},
    ],
)
def test_bad_parameters_are_400_with_a_message_never_500(client, directory, params):
    response = get(client, "/openreferral/services", **params)
    assert response.status_code == 400 and response.json()["error"]["message"]


def test_unknown_ids_are_404_and_writes_are_refused(client, directory):
    assert get(client, f"/openreferral/services/{uuid.uuid4()}").status_code == 404
    assert get(client, "/openreferral/services/not-a-uuid").status_code == 404
    assert client.post("/openreferral/services", {}).status_code == 405


def test_the_service_list_costs_the_same_queries_for_1_and_many_rows(client, directory, django_assert_max_num_queries):
    for n in range(30):
        service_at(51.46, -0.97, name=f"Extra {n}", categories=["food"])
    with django_assert_max_num_queries(3):
        assert get(client, "/openreferral/services", per_page=50).json()["size"] == 33
    with django_assert_max_num_queries(9):
        get(client, f"/openreferral/services/{directory['walk'].id}")
