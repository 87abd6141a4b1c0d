"""Ranking and explanations for hand-built scenarios."""

import importlib

import pytest
from django.apps import apps as django_apps

from brokering.selectors import matching
from brokering.selectors.matching import suggest_for_requests, suggest_helpers
from tests.brokering.factories import (
    dbs_check,
    exchange,
    member_at,
    offer,
    reference_check,
    request_for,
)
from tests.factories import category
from timebank import ledger
from timebank.models import CategoryRestriction, Listing
from timebank.services.listings import listing_create
from timebank.services.members import member_update_profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def requester():
    return member_at("Rita", free=["tue-morning"], radius=5)


def names(suggestions):
    return [s.member.display_name for s in suggestions]


def test_the_nearest_dbs_checked_gardener_free_on_tuesdays_comes_first(requester):
    dev = member_at("Dev", km=1.93, free=["tue-morning", "wed-evening"])
    dbs_check(dev)
    offer(dev)
    fay = member_at("Fay", km=0.8, free=["fri-afternoon"])
    dbs_check(fay)
    offer(fay)
    nat = member_at("Nat", km=0.5, free=["tue-morning"])  # nearest, free, but no DBS: not for home visits
    offer(nat)
    far = member_at("Far", km=10, free=["tue-morning"], radius=20)  # beyond Rita's 5 km
    dbs_check(far)
    offer(far)

    suggestions = suggest_helpers(request=request_for(requester))

    assert names(suggestions) == ["Dev", "Fay"]
    assert suggestions[0].explanation == (
        "1.2 miles away · offers gardening · free Tuesday mornings · DBS checked · new helper"
    )
    assert suggestions[1].reasons[:3] == ["0.5 miles away", "offers gardening", "no free times in common"]
    assert suggestions[0].distance_km == pytest.approx(1.93, abs=0.01)


def test_an_expired_dbs_check_removes_a_member_from_home_visit_suggestions(requester):
    ola = member_at("Ola", km=1, free=["tue-morning"])
    dbs_check(ola, expires_in_days=-1)
    offer(ola)
    assert suggest_helpers(request=request_for(requester)) == []

    dbs_check(ola, expires_in_days=10)
    assert names(suggest_helpers(request=request_for(requester))) == ["Ola"]


def test_help_in_a_public_place_does_not_need_a_dbs_check(requester):
    ola = member_at("Ola", km=1, free=["tue-morning"])
    offer(ola)
    [only] = suggest_helpers(request=request_for(requester, where="public"))
    assert only.member == ola
    assert "DBS checked" not in only.reasons


def test_distance_is_ignored_for_phone_help(requester):
    pen = member_at("Pen", km=50, free=["tue-morning"])
    offer(pen, "language-and-conversation")
    [only] = suggest_helpers(request=request_for(requester, "language-and-conversation", where="phone"))
    assert only.member == pen
    assert only.distance_km is None
    assert only.reasons[:3] == ["offers language and conversation", "can help by phone", "free Tuesday mornings"]


def test_in_person_help_needs_both_people_within_their_travel_radius(requester):
    # 4 km is inside Rita's 5 km but outside Sam's own 3 km.
    sam = member_at("Sam", km=4, free=["tue-morning"], radius=3)
    offer(sam)
    tom = member_at("Tom", km=4, free=["tue-morning"], radius=10)
    offer(tom)
    assert names(suggest_helpers(request=request_for(requester, where="public"))) == ["Tom"]


def test_a_category_needing_dbs_and_references_only_suggests_members_with_both_current(requester):
    # Lifts need a DBS check and references, even in a public place.
    both = member_at("Both", km=1)
    dbs_check(both)
    reference_check(both)
    offer(both, "lifts-and-transport")
    dbs_only = member_at("Dbs Only", km=1)
    dbs_check(dbs_only)
    offer(dbs_only, "lifts-and-transport")
    neither = member_at("Neither", km=1)
    offer(neither, "lifts-and-transport")

    [only] = suggest_helpers(request=request_for(requester, "lifts-and-transport", where="public"))
    assert only.member == both
    assert "references checked" in only.reasons


def test_a_member_restricted_from_the_category_is_never_suggested(requester, coordinator):
    ray = member_at("Ray", km=1)
    offer(ray)
    CategoryRestriction.objects.create(member=ray, category=category("gardening"), reason="incident")
    assert suggest_helpers(request=request_for(requester, where="public")) == []
    # Only that category: Ray is still suggested for music.
    offer(ray, "music")
    assert names(suggest_helpers(request=request_for(requester, "music", where="public"))) == ["Ray"]


def test_a_helper_at_the_cap_of_open_exchanges_is_not_suggested(requester, timebank, alice):
    busy = member_at("Busy", km=1)
    offer(busy)
    timebank.max_open_exchanges_per_member = 2
    timebank.save()
    exchange(busy, alice)
    request = request_for(requester, where="public")
    [one] = suggest_helpers(request=request)
    assert "1 of 2 open exchanges" in one.reasons
    exchange(busy, alice, status="accepted")
    assert suggest_helpers(request=request) == []
    # Finished exchanges do not count toward the cap.
    exchange(busy, alice, status="posted")
    assert suggest_helpers(request=request) == []


def test_reliable_helpers_rank_above_those_who_cancel(requester, alice):
    kept = member_at("Kept", km=1)
    offer(kept)
    flaky = member_at("Flaky", km=1)
    offer(flaky)
    for _ in range(3):
        exchange(kept, alice, status="posted")
        exchange(flaky, alice, status="cancelled")
    exchange(flaky, alice, status="posted")
    suggestions = suggest_helpers(request=request_for(requester, where="public"))
    assert names(suggestions) == ["Kept", "Flaky"]
    assert "has helped 3 times, never cancelled" in suggestions[0].reasons
    assert "has helped once, cancelled 3" in suggestions[1].reasons


def test_members_who_received_more_than_they_gave_are_nudged_up(requester, alice):
    giver = member_at("Giver", km=1)
    offer(giver)
    taker = member_at("Taker", km=1)
    offer(taker)
    ledger.gift(giver=taker, receiver=alice, minutes=120)
    suggestions = suggest_helpers(request=request_for(requester, where="public"))
    assert names(suggestions) == ["Taker", "Giver"]
    assert suggestions[0].score > suggestions[1].score
    assert "has received more help than given: a chance to give back" in suggestions[0].reasons


def test_the_requester_and_closed_or_expired_offers_are_never_suggested(requester):
    offer(requester)
    gone = member_at("Gone", km=1)
    offer(gone, status="closed")
    left = member_at("Left", km=1, status="left")
    offer(left)
    import datetime

    from django.utils import timezone

    stale = member_at("Stale", km=1)
    offer(stale, expires_on=timezone.localdate() - datetime.timedelta(days=1))
    assert suggest_helpers(request=request_for(requester, where="public")) == []


def test_members_see_no_safeguarding_reasons(requester):
    dev = member_at("Dev", km=1, free=["tue-morning"])
    dbs_check(dev)
    offer(dev)
    [one] = suggest_helpers(request=request_for(requester))
    assert "DBS checked" in one.reasons
    assert "DBS checked" not in one.public_reasons


def test_suggestions_for_many_requests_take_the_same_number_of_queries(requester, django_assert_max_num_queries):
    helpers = [member_at(f"Helper {i}", km=0.1 * i) for i in range(5)]
    for helper in helpers:
        offer(helper)
        offer(helper, "music")
    requests = [
        request_for(requester, where="public"),
        request_for(requester, "music", where="public"),
        request_for(requester, "music", where="phone"),
    ]
    # Candidates, their exchange counts, the winners: three queries for any number of requests.
    with django_assert_max_num_queries(3):
        results = suggest_for_requests(requests=requests)
    assert [len(results[r.pk]) for r in requests] == [5, 5, 5]


def test_an_offer_follows_its_helper_when_they_move(requester):
    ola = member_at("Ola", km=1, free=["tue-morning"])
    listing = listing_create(
        member=ola, kind="offer", category=category("gardening"), title="Weeding", where="public", by_user=ola.user
    )
    # The listing carries its owner's place, which the candidate search reads.
    assert (listing.latitude, listing.longitude) == (ola.latitude, ola.longitude)
    public = request_for(requester, where="public")
    assert names(suggest_helpers(request=public)) == ["Ola"]

    member_update_profile(member=ola, by_user=ola.user, display_name="Ola", postcode="OX1", travel_radius_km=3)
    ola.refresh_from_db()
    listing.refresh_from_db()
    assert (listing.latitude, listing.longitude) == (ola.latitude, ola.longitude)
    assert suggest_helpers(request=public) == []  # Oxford is beyond Rita's 5 km

    member_update_profile(member=ola, by_user=ola.user, display_name="Ola", postcode="RG1", travel_radius_km=3)
    assert names(suggest_helpers(request=public)) == ["Ola"]


def test_existing_listings_take_their_members_place_when_migrated(requester):
    ola = member_at("Ola", km=1)
    listing = offer(ola)
    Listing.objects.filter(pk=listing.pk).update(latitude=None, longitude=None)
    importlib.import_module("timebank.migrations.0005_listing_place").copy_member_place(django_apps, None)
    listing.refresh_from_db()
    assert (listing.latitude, listing.longitude) == (ola.latitude, ola.longitude)
    assert names(suggest_helpers(request=request_for(requester, where="public"))) == ["Ola"]


def test_phone_help_considers_the_newest_offers_when_a_category_has_very_many(requester, monkeypatch):
    monkeypatch.setattr(matching, "DISTANCE_FREE_POOL", 2)
    # Oldest first: the best-matched helper listed long ago and falls outside the pool of two.
    for name, free in [("Old", ["tue-morning"]), ("Mid", []), ("New", ["fri-evening"])]:
        offer(member_at(name, km=50, free=free), "language-and-conversation")
    phone = request_for(requester, "language-and-conversation", where="phone")
    assert names(suggest_helpers(request=phone)) == ["Mid", "New"]
