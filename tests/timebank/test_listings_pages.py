"""Pages for offers and requests: browsing, a listing's page with "suggest an
exchange", my listings (create, change, close, reopen) and categories, for the
owner, an outsider and a coordinator, and bad input on every form."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import ListingFactory, MemberFactory, category, dbs_checked
from timebank.models import Category, Exchange, Listing


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice.user)
    return client


@pytest.fixture
def as_coordinator(client, coordinator):
    client.force_login(coordinator)
    return client


def field_error(response, field_id, text):
    """The message sits next to the field (and in the summary at the top)."""
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="{field_id}_error"' in html, html
    assert text in html
    assert "There is a problem" in html


# --- Browsing -------------------------------------------------------------------


def test_browsing_needs_a_login(client, db):
    response = client.get(reverse("timebank:listing-browse"))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_members_browse_and_filter_offers_and_requests(as_alice, bob):
    ListingFactory(member=bob, kind="offer", title="Mowing lawns")
    ListingFactory(member=bob, kind="request", title="Lift to the dentist", category=category("lifts-and-transport"))
    ListingFactory(member=bob, kind="offer", title="Old closed offer", status="closed")
    page = as_alice.get(reverse("timebank:listing-browse")).content.decode()
    assert "Mowing lawns" in page and "Lift to the dentist" in page and "Old closed offer" not in page
    page = as_alice.get(reverse("timebank:listing-browse"), {"kind": "request"}).content.decode()
    assert "Lift to the dentist" in page and "Mowing lawns" not in page
    gardening = category("gardening")
    page = as_alice.get(reverse("timebank:listing-browse"), {"category": gardening.pk, "q": "mowing"}).content.decode()
    assert "Mowing lawns" in page and "Lift to the dentist" not in page


@pytest.mark.parametrize(
    "params", [{"category": "999999"}, {"category": "abc"}, {"kind": "swap"}, {"page": "-1"}, {"q": "\x00"}]
)
def test_junk_filters_show_the_page_not_an_error(as_alice, bob, params):
    ListingFactory(member=bob, title="Mowing lawns")
    response = as_alice.get(reverse("timebank:listing-browse"), params)
    assert response.status_code == 200


def test_browse_pages_through_many_listings_keeping_the_filters(as_alice, bob):
    for n in range(25):
        ListingFactory(member=bob, kind="offer", title=f"Offer number {n}")
    first = as_alice.get(reverse("timebank:listing-browse"), {"kind": "offer"}).content.decode()
    assert "Page 1 of 2" in first and "kind=offer&amp;page=2" in first
    second = as_alice.get(reverse("timebank:listing-browse"), {"kind": "offer", "page": "2"}).content.decode()
    assert second.count("Offer number") == 5


def test_the_browse_page_runs_the_same_queries_for_1_and_30_listings(as_alice, bob, django_assert_max_num_queries):
    ListingFactory(member=bob)
    with CaptureQueriesContext(connection) as one_row:
        assert as_alice.get(reverse("timebank:listing-browse")).status_code == 200
    for _ in range(29):
        ListingFactory(member=MemberFactory())
    with django_assert_max_num_queries(len(one_row)):
        response = as_alice.get(reverse("timebank:listing-browse"))
    assert response.content.decode().count("<h3>") == 20


# --- A listing's page and suggesting an exchange ---------------------------------------


def test_a_member_suggests_an_exchange_from_an_offer(as_alice, alice, bob):
    dbs_checked(bob)  # the offer is help at home (safeguarding rule)
    offer = ListingFactory(member=bob, kind="offer", title="Mowing lawns")
    page = as_alice.get(reverse("timebank:listing-detail", args=[offer.public_id])).content.decode()
    assert "Ask Bob for this help" in page
    response = as_alice.post(reverse("timebank:listing-detail", args=[offer.public_id]), {"description": "Saturday?"})
    exchange = Exchange.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "timebank:exchange-detail", args=[exchange.public_id]
    )
    assert exchange.provider == bob and list(exchange.receivers.all()) == [alice] and exchange.status == "proposed"


def test_a_bad_time_on_the_suggestion_comes_back_next_to_the_field(as_alice, bob):
    offer = ListingFactory(member=bob)
    response = as_alice.post(
        reverse("timebank:listing-detail", args=[offer.public_id]), {"agreed_for": "next tuesday-ish"}
    )
    field_error(response, "id_agreed_for", "Enter the date and time you agreed")
    assert not Exchange.objects.exists()


def test_the_owner_sees_no_suggest_form_and_cannot_post_one(client, bob):
    client.force_login(bob.user)
    offer = ListingFactory(member=bob)
    page = client.get(reverse("timebank:listing-detail", args=[offer.public_id])).content.decode()
    assert "Suggest an exchange" not in page and "Change this offer" in page
    client.post(reverse("timebank:listing-detail", args=[offer.public_id]), {"description": "me"})
    assert not Exchange.objects.exists()


def test_a_closed_listing_is_not_found_for_others_but_visible_to_its_owner(as_alice, client, bob):
    closed = ListingFactory(member=bob, status="closed")
    assert as_alice.get(reverse("timebank:listing-detail", args=[closed.public_id])).status_code == 404
    client.force_login(bob.user)
    assert client.get(reverse("timebank:listing-detail", args=[closed.public_id])).status_code == 200


# --- My offers and requests -----------------------------------------------------------


def test_a_member_lists_an_offer(as_alice, alice):
    response = as_alice.post(
        reverse("timebank:listing-create"),
        {"kind": "offer", "category": category("pets").pk, "title": "Dog walking", "where": "public", "expires_on": ""},
    )
    assert response.status_code == 302 and response["Location"] == reverse("timebank:my-listings")
    listing = Listing.objects.get()
    assert (listing.member, listing.title, listing.kind) == (alice, "Dog walking", "offer")
    assert "Dog walking" in as_alice.get(reverse("timebank:my-listings")).content.decode()


@pytest.mark.parametrize(
    "changes,field_id,text",
    [
        ({"title": ""}, "id_title", "Enter a title, like Help with the garden."),
        ({"kind": "swap"}, "id_kind", "Choose one of the options for"),
        ({"category": "999999"}, "id_category", "Choose a category from the list."),
        ({"where": ""}, "id_where", "Choose where it would happen"),
        ({"expires_on": "2001-01-01"}, "id_expires_on", "The end date must be in the future."),
        ({"expires_on": "not a date"}, "id_expires_on", "Enter the last day to show it"),
        ({"title": "x" * 200}, "id_title", "at most 120 characters"),
    ],
)
def test_bad_input_on_the_new_listing_form_comes_back_next_to_the_field(as_alice, changes, field_id, text):
    data = {"kind": "offer", "category": category("pets").pk, "title": "Dog walking", "where": "public"}
    data.update(changes)
    field_error(as_alice.post(reverse("timebank:listing-create"), data), field_id, text)
    assert not Listing.objects.exists()


def test_the_owner_changes_a_listing_and_an_outsider_cannot(as_alice, alice, client, bob):
    listing = ListingFactory(member=alice, title="Dog walking")
    url = reverse("timebank:listing-edit", args=[listing.public_id])
    data = {"category": category("pets").pk, "title": "Dog walking at weekends", "where": "public", "expires_on": ""}
    assert as_alice.post(url, data).status_code == 302
    listing.refresh_from_db()
    assert listing.title == "Dog walking at weekends"
    field_error(as_alice.post(url, {**data, "title": ""}), "id_title", "Enter a title")
    client.force_login(bob.user)
    assert client.get(url).status_code == 404
    assert client.post(url, {**data, "title": "Taken over"}).status_code == 404
    assert client.post(reverse("timebank:listing-close", args=[listing.public_id])).status_code == 404
    listing.refresh_from_db()
    assert listing.title == "Dog walking at weekends" and listing.status == "open"


def test_a_coordinator_can_change_any_listing(as_coordinator, alice):
    listing = ListingFactory(member=alice)
    data = {"category": category("pets").pk, "title": "Fixed by Cora", "where": "phone", "expires_on": ""}
    assert as_coordinator.post(reverse("timebank:listing-edit", args=[listing.public_id]), data).status_code == 302
    listing.refresh_from_db()
    assert (listing.title, listing.where) == ("Fixed by Cora", "phone")


def test_the_owner_closes_and_reopens_a_listing(as_alice, alice):
    # Help in public: reopening an offer passes the safeguarding rule (no DBS needed).
    listing = ListingFactory(member=alice, where="public")
    as_alice.post(reverse("timebank:listing-close", args=[listing.public_id]))
    listing.refresh_from_db()
    assert listing.status == "closed"
    response = as_alice.post(reverse("timebank:listing-close", args=[listing.public_id]), follow=True)
    assert "already closed" in response.content.decode()
    as_alice.post(reverse("timebank:listing-reopen", args=[listing.public_id]))
    listing.refresh_from_db()
    assert listing.status == "open"
    assert as_alice.get(reverse("timebank:listing-close", args=[listing.public_id])).status_code == 405


def test_a_login_without_a_member_profile_is_told_so(as_coordinator):
    response = as_coordinator.get(reverse("timebank:my-listings"))
    assert response.status_code == 200
    assert not Listing.objects.filter(member__user__username="cora").exists()


# --- Categories ------------------------------------------------------------------


def test_members_cannot_reach_the_category_pages(as_alice):
    for url in (
        reverse("timebank:category-list"),
        reverse("timebank:category-create"),
        reverse("timebank:category-edit", args=[1]),
    ):
        assert as_alice.get(url).status_code == 404
    assert as_alice.post(reverse("timebank:category-set-active", args=[1]), {"active": "0"}).status_code == 404
    assert Category.objects.get(pk=1).is_active


def test_coordinators_add_change_and_switch_off_categories(as_coordinator):
    assert "Gardening" in as_coordinator.get(reverse("timebank:category-list")).content.decode()
    response = as_coordinator.post(
        reverse("timebank:category-create"), {"name": "Bike repair", "needs_references": "on"}
    )
    assert response.status_code == 302
    bikes = Category.objects.get(slug="bike-repair")
    assert bikes.needs_references and not bikes.needs_dbs_check
    field_error(
        as_coordinator.post(reverse("timebank:category-create"), {"name": "gardening"}), "id_name", "already a category"
    )
    field_error(
        as_coordinator.post(reverse("timebank:category-create"), {"name": ""}),
        "id_name",
        "Enter a name for the category",
    )
    assert (
        as_coordinator.post(reverse("timebank:category-edit", args=[bikes.pk]), {"name": "Bicycle repair"}).status_code
        == 302
    )
    as_coordinator.post(reverse("timebank:category-set-active", args=[bikes.pk]), {"active": "0"})
    bikes.refresh_from_db()
    assert bikes.name == "Bicycle repair" and not bikes.is_active
    assert Category.objects.filter(name__iexact="gardening").count() == 1


def test_a_listing_created_today_shows_until_its_end_date(as_alice, bob):
    listing = ListingFactory(member=bob, expires_on=timezone.localdate() + datetime.timedelta(days=1))
    assert as_alice.get(reverse("timebank:listing-detail", args=[listing.public_id])).status_code == 200
