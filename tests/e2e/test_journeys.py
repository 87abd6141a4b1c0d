"""Whole journeys in a real browser: what a member, a coordinator and a
visitor see and do, and what is in the database afterwards."""

import re

import pytest
from playwright.sync_api import expect

from tests.assets.factories import service_at
from tests.factories import ListingFactory, MemberFactory, UserFactory, category, dbs_checked
from timebank.models import Account, Exchange, ExchangeStatus, Member, MemberStatus, Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def press(page, name: str) -> None:
    """Click a submit button and wait for the page the server sends back."""
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail address or username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    press(page, "Log in")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def log_out(page) -> None:
    press(page, "Log out")


def test_a_neighbour_joins_and_a_coordinator_approves_them(page):
    UserFactory(username="cora", roles=[Role.COORDINATOR])

    page.goto("/join/")
    page.get_by_label("Your name").fill("Dorothy")
    page.get_by_label("E-mail address").fill("dorothy@example.org")
    page.get_by_label("Postcode").fill("rg1 7qe")
    page.get_by_label("Choose a password").fill("a long and careful passphrase")
    page.get_by_label("Type the password again").fill("a long and careful passphrase")
    press(page, "Send my application")
    # The same answer whether or not the address had a login; the link to finish is e-mailed.
    expect(page.get_by_role("heading", level=1)).to_have_text("Look in your e-mail")

    dorothy = Member.objects.get(display_name="Dorothy")
    assert dorothy.status == MemberStatus.APPLIED
    assert dorothy.postcode == "RG1 7QE"

    page.context.clear_cookies()
    log_in(page, "cora")
    page.goto("/coordinator/applications/")
    expect(page.locator("main")).to_contain_text("Dorothy")
    press(page, "Approve Dorothy")

    dorothy.refresh_from_db()
    assert dorothy.status == MemberStatus.APPROVED
    assert Account.objects.filter(member=dorothy).exists()


def test_a_form_mistake_is_shown_next_to_the_field_and_in_the_summary(page):
    page.goto("/join/")
    page.get_by_label("Your name").fill("Ed")
    page.get_by_label("Postcode").fill("HELLO")
    press(page, "Send my application")

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("does not look like a UK postcode")
    expect(page.locator("#id_postcode_error")).to_contain_text("does not look like a UK postcode")
    assert not Member.objects.filter(display_name="Ed").exists()


def test_alice_gardens_for_bob_and_both_see_the_hours(page):
    alice = MemberFactory(display_name="Alice", user__username="alice")
    dbs_checked(alice)  # her offer is help at home (the safeguarding rule)
    MemberFactory(display_name="Bob", user__username="bob")
    offer = ListingFactory(member=alice, kind="offer", category=category("gardening"), title="Weeding and mowing")

    # Bob finds Alice's offer and suggests an exchange.
    log_in(page, "bob")
    page.goto(f"/listings/{offer.public_id}/")
    press(page, "Suggest an exchange")
    exchange = Exchange.objects.get(listing=offer)
    assert exchange.status == ExchangeStatus.PROPOSED
    log_out(page)

    # Alice accepts, then records two hours once the garden is done.
    log_in(page, "alice")
    page.goto(f"/exchanges/{exchange.public_id}/")
    press(page, "Accept")
    page.get_by_label("How long did it take?").fill("2 hours")
    press(page, "Record the time")
    exchange.refresh_from_db()
    assert (exchange.status, exchange.minutes) == (ExchangeStatus.DONE, 120)
    log_out(page)

    # Bob confirms; the ledger moves two hours from Bob to Alice.
    log_in(page, "bob")
    page.goto(f"/exchanges/{exchange.public_id}/")
    press(page, "Confirm the time")
    exchange.refresh_from_db()
    assert exchange.status == ExchangeStatus.POSTED
    assert Account.objects.get(member__display_name="Alice").balance == 120
    assert Account.objects.get(member__display_name="Bob").balance == -120

    page.goto("/hours/")
    expect(page.locator("main")).to_contain_text("2 hours below zero")


def test_the_directory_lists_results_and_draws_markers_when_tiles_cannot_load(page, live_server):
    service_at(51.4560, -0.9850, name="Oxford Road Lunch Club", categories=["food"])
    service_at(51.4600, -0.9700, name="Thames Walking Group", categories=["physical-activity"])
    # No tile server is reachable: every request off the test server fails.
    page.route(
        re.compile(r".*"),
        lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort(),
    )

    page.goto("/directory/")
    page.get_by_label("Postcode or place").fill("RG1")
    press(page, "Search")

    results = page.locator("ol.results > li")
    expect(results).to_have_count(2)
    expect(results.first).to_contain_text("miles")
    # Leaflet draws circle markers as SVG paths: one per result plus the search point.
    expect(page.locator("#directory-map .leaflet-interactive")).to_have_count(3)


def test_the_skip_link_is_the_first_thing_a_keyboard_reaches(page):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
