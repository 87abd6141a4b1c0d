"""API fixtures: two organisations, each with an OAuth client whose tokens come
from POST /o/token/, a service that takes referrals, and a referral body that
is the API's documented example (api.serializers.referrals.REFERRAL_EXAMPLE) as written."""

import base64
import copy
import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from api.clients import api_client_create
from assets.models import OrganisationType
from tests.assets.factories import service_at

ALL_SCOPES = ["directory:read", "referrals:read", "referrals:write"]


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttle counters and geocoding answers live in the cache."""
    cache.clear()
    yield
    cache.clear()


def token_for(client_id: str, secret: str, scope: str | None = None) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    response = Client().post("/o/token/", data, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def at_once(count: int, work, *, before=lambda: None) -> list:
    """Run `work(before())` in `count` threads, each with its own database
    connection, released together once every `before()` has run; the results in
    no particular order."""
    results, barrier = [], threading.Barrier(count)

    def run():
        try:
            ready = before()
            barrier.wait()
            results.append(work(ready))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


class Party:
    """An organisation with an API client and an authenticated APIClient."""

    def __init__(self, name: str, organisation_type: str, scopes=ALL_SCOPES):
        self.client_row, self.client_id, self.secret = api_client_create(
            organisation_name=name, scopes=scopes, organisation_type=organisation_type
        )
        self.organisation = self.client_row.organisation
        self.token = token_for(self.client_id, self.secret)
        self.api = APIClient()
        self.api.credentials(HTTP_AUTHORIZATION=f"Bearer {self.token}")

    def new_api(self) -> APIClient:
        """Another connection for the same client (one per thread)."""
        return APIClient(HTTP_AUTHORIZATION=f"Bearer {self.token}")


@pytest.fixture
def surgery(db) -> Party:
    return Party("Oxford Road Surgery", OrganisationType.GP_PRACTICE)


@pytest.fixture
def greenfingers(db) -> Party:
    return Party("Greenfingers Garden Club", OrganisationType.VOLUNTARY)


@pytest.fixture
def other_practice(db) -> Party:
    return Party("Tilehurst Medical Centre", OrganisationType.GP_PRACTICE)


@pytest.fixture
def garden_service(greenfingers):
    return service_at(
        51.4516,
        -0.9698,
        categories=["green-and-outdoor"],
        organisation=greenfingers.organisation,
        name="Community garden mornings",
        accepts_referrals=True,
    )


EXAMPLE_BODY = {
    "person": {
        "given_name": "Joan",
        "family_name": "Rivers",
        "preferred_name": "Jo",
        "date_of_birth": "1948-05-02",
        "postcode": "RG1 7QE",
        "phone": "0118 496 0000",
        "email": None,
        "preferred_contact": "phone",
        "contact_times": "weekday afternoons",
        "communication_needs": ["large-print"],
        "do_not_contact": False,
    },
    "consent": {
        "given": True,
        "scopes": ["share-with-service", "share-back-with-referrer"],
        "method": "verbal",
        "recorded_by": "Sam Patel, link worker",
        "recorded_at": "2026-11-20T10:15:00Z",
    },
    "what_matters": "Getting out of the house and meeting people who like gardening.",
    "needs": ["befriending-and-loneliness", "green-and-outdoor"],
    "target": {"service": "<service id>"},
    "priority": "routine",
    "notes": "Uses a walking frame; prefers afternoons.",
}


@pytest.fixture
def referral_body(garden_service):
    def make(**changes):
        body = copy.deepcopy(EXAMPLE_BODY)
        body["target"] = {"service": str(garden_service.pk)}
        for key, value in changes.items():
            body[key] = value
        return body

    return make


@pytest.fixture
def make_referral(surgery, referral_body):
    """A referral made by the surgery through the API; returns its JSON."""

    def make(party=None, **changes):
        response = (party or surgery).api.post("/api/v1/referrals/", referral_body(**changes), format="json")
        assert response.status_code == 201, response.json()
        return response.json()

    return make
