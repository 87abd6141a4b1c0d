"""GET /api/v1/listings/{id}/suggestions/: coordinators and the timebank's own API clients."""

import pytest
from rest_framework.test import APIClient

from assets.models import OrganisationType
from tests.api.conftest import Party, fresh_cache  # noqa: F401 - autouse cache reset
from tests.assets.factories import service_at
from tests.brokering.factories import dbs_check, member_at, offer, request_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def rita():
    return member_at("Rita", free=["tue-morning"], radius=5)


@pytest.fixture
def gardening_request(rita):
    dev = member_at("Dev", km=1.93, free=["tue-morning"])
    dbs_check(dev)
    offer(dev)
    pen = member_at("Pen", km=1)
    offer(pen)  # no DBS check: not for a home visit
    return request_for(rita)


@pytest.fixture
def timebank_party(timebank):
    party = Party("Our timebank", OrganisationType.TIMEBANK, scopes=["brokering:read"])
    party.organisation.timebank = timebank
    party.organisation.save()
    return party


def url(listing):
    return f"/api/v1/listings/{listing.public_id}/suggestions/"


def test_a_coordinator_gets_ranked_members_with_reasons_and_nearby_services(coordinator, gardening_request):
    service_at(51.4570, -0.9855, categories=["green-and-outdoor"], name="Community garden mornings")
    api = APIClient()
    api.force_login(coordinator)
    response = api.get(url(gardening_request))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [first] = body["results"]
    assert first["member"]["display_name"] == "Dev"
    assert first["distance_km"] == pytest.approx(1.93, abs=0.01)
    assert first["reasons"][:4] == ["1.2 miles away", "offers gardening", "free Tuesday mornings", "DBS checked"]
    assert isinstance(first["score"], int)
    assert set(first) == {"member", "score", "distance_km", "reasons"}
    assert set(first["member"]) == {"id", "display_name"}
    assert [a["name"] for a in body["assets"]] == ["Community garden mornings"]
    assert body["assets"][0]["distance_km"] < 1
    assert response["Cache-Control"].count("no-store") == 1


def test_phone_help_has_no_distance(coordinator, rita):
    pen = member_at("Pen", km=80)
    offer(pen, "language-and-conversation")
    api = APIClient()
    api.force_login(coordinator)
    body = api.get(url(request_for(rita, "language-and-conversation", where="phone"))).json()
    assert body["results"][0]["distance_km"] is None


def test_the_timebanks_own_api_client_may_read_suggestions(timebank_party, gardening_request):
    response = timebank_party.api.get(url(gardening_request))
    assert response.status_code == 200
    assert response.json()["results"][0]["member"]["display_name"] == "Dev"


def test_another_organisations_client_gets_404(gardening_request):
    other = Party("Another timebank", OrganisationType.TIMEBANK, scopes=["brokering:read"])
    response = other.api.get(url(gardening_request))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_client_without_the_scope_is_refused(timebank):
    party = Party("Our timebank", OrganisationType.TIMEBANK, scopes=["directory:read"])
    party.organisation.timebank = timebank
    party.organisation.save()
    listing = request_for(member_at("Rita"))
    assert party.api.get(url(listing)).status_code == 403


def test_members_are_refused_and_strangers_must_authenticate(alice, gardening_request):
    api = APIClient()
    assert api.get(url(gardening_request)).status_code == 401
    api.force_login(alice.user)
    response = api.get(url(gardening_request))
    assert response.status_code == 403
    assert "Dev" not in response.content.decode()


def test_an_offer_or_unknown_id_is_not_found(coordinator, rita):
    api = APIClient()
    api.force_login(coordinator)
    assert api.get(url(offer(rita))).status_code == 404
    assert api.get("/api/v1/listings/00000000-0000-0000-0000-000000000000/suggestions/").status_code == 404
