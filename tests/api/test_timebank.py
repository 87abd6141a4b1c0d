"""A member's own timebank through the API (session login)."""

import pytest
from rest_framework.test import APIClient

from tests.factories import ListingFactory, dbs_checked
from timebank.models import Account, Exchange, ExchangeStatus, Listing, ListingStatus

pytestmark = pytest.mark.django_db


def logged_in(member) -> APIClient:
    api = APIClient()
    api.force_login(member.user)
    return api


def test_me_shows_my_profile_and_hours(alice):
    body = logged_in(alice).get("/api/v1/me/").json()
    assert body["display_name"] == "Alice"
    assert body["balance_minutes"] == 0 and body["given_minutes"] == 0


def test_timebank_endpoints_are_for_people_not_api_clients(surgery):
    for url in ("/api/v1/me/", "/api/v1/me/statement/", "/api/v1/listings/", "/api/v1/exchanges/"):
        assert surgery.api.get(url).status_code == 403, url


def test_a_member_lists_changes_and_closes_an_offer_and_an_outsider_cannot(alice, bob):
    dbs_checked(alice)  # offering help at home needs a current DBS check (the safeguarding rule)
    api = logged_in(alice)
    created = api.post(
        "/api/v1/listings/",
        {"kind": "offer", "category": "gardening", "title": "Weeding", "where": "home"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    listing_id = created.json()["id"]
    assert (
        api.patch(f"/api/v1/listings/{listing_id}/", {"title": "Weeding and pruning"}, format="json").status_code == 200
    )
    assert logged_in(bob).patch(f"/api/v1/listings/{listing_id}/", {"title": "Mine"}, format="json").status_code == 404
    assert logged_in(bob).post(f"/api/v1/listings/{listing_id}/close/").status_code == 404
    assert api.post(f"/api/v1/listings/{listing_id}/close/").status_code == 200
    assert api.post(f"/api/v1/listings/{listing_id}/close/").status_code == 409
    listing = Listing.objects.get(public_id=listing_id)
    assert (listing.title, listing.status) == ("Weeding and pruning", ListingStatus.CLOSED)
    bad = api.post(
        "/api/v1/listings/", {"kind": "offer", "category": "nope", "title": "x", "where": "home"}, format="json"
    )
    assert bad.status_code == 400 and "category" in bad.json()["error"]["fields"]


def test_an_exchange_goes_from_proposal_to_posted_hours_through_the_api(alice, bob, carol):
    dbs_checked(alice)  # the offer is help at home (the safeguarding rule)
    offer = ListingFactory(member=alice, kind="offer")
    proposed = logged_in(bob).post("/api/v1/exchanges/", {"listing": str(offer.public_id)}, format="json")
    assert proposed.status_code == 201, proposed.json()
    exchange_id = proposed.json()["id"]
    assert logged_in(carol).post(f"/api/v1/exchanges/{exchange_id}/accept/", {}, format="json").status_code == 404
    assert logged_in(bob).post(
        f"/api/v1/exchanges/{exchange_id}/record/", {"minutes": 60}, format="json"
    ).status_code in (403, 409)
    assert logged_in(alice).post(f"/api/v1/exchanges/{exchange_id}/accept/", {}, format="json").status_code == 200
    assert (
        logged_in(alice).post(f"/api/v1/exchanges/{exchange_id}/record/", {"minutes": 90}, format="json").status_code
        == 200
    )
    confirmed = logged_in(bob).post(f"/api/v1/exchanges/{exchange_id}/confirm/", {}, format="json")
    assert confirmed.status_code == 200, confirmed.json()
    assert Exchange.objects.get(public_id=exchange_id).status == ExchangeStatus.POSTED
    assert Account.objects.get(member=alice).balance == 90
    statement = logged_in(alice).get("/api/v1/me/statement/").json()
    assert [line["minutes"] for line in statement["results"]] == [90]
    assert [e["id"] for e in logged_in(bob).get("/api/v1/exchanges/").json()["results"]] == [exchange_id]
    assert logged_in(carol).get("/api/v1/exchanges/").json()["count"] == 0
