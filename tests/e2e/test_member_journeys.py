"""Members' journeys by keyboard alone (issue 14), in a real browser: Tab to
move, Enter to follow a link or press a button, Space to choose an option,
and typing into the field that has focus. No mouse clicks. Then readability:
Flesch reading ease of at least 60 on the main text of the pages members read
most."""

import re

import pytest
import textstat
from django.core import mail
from playwright.sync_api import expect

from tests.factories import ListingFactory, MemberFactory, UserFactory, category, dbs_checked
from timebank.models import Account, Exchange, ExchangeStatus, Listing, Member, MemberStatus, Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
# Enough Tab presses to cross any page's menu and form; a journey that needs more has lost its way.
MAX_TABS = 80

_FOCUSED = r"""() => {
  const e = document.activeElement;
  const label = e.labels && e.labels.length ? e.labels[0].innerText : "";
  // textContent, not innerText: a button's visually hidden words ("Approve<span> Dorothy</span>") count.
  const text = (e.tagName === "INPUT" ? e.value : e.textContent) || "";
  return {tag: e.tagName, text: text.replace(/\s+/g, " ").trim(), label: label.trim(),
          name: e.getAttribute("name") || "", type: e.type || ""};
}"""


def tab_to(page, wanted, what: str) -> dict:
    """Press Tab until the focused element is the one `wanted(info)` picks."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        info = page.evaluate(_FOCUSED)
        if wanted(info):
            return info
    raise AssertionError(f"Tab never reached {what}")


def tab_to_field(page, name: str) -> None:
    tab_to(page, lambda f: f["name"] == name and f["tag"] in ("INPUT", "SELECT", "TEXTAREA"), f"the field {name}")


def tab_to_control(page, tag: str, text: str) -> None:
    tab_to(page, lambda f: f["tag"] == tag and f["text"].startswith(text), f"{tag} {text!r}")


def type_into(page, name: str, text: str) -> None:
    tab_to_field(page, name)
    page.keyboard.type(text)


def enter_on(page, tag: str, text: str) -> None:
    """Tab to a link (A) or button (BUTTON) and press Enter; wait for the next page."""
    tab_to_control(page, tag, text)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def log_in(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/login/")
    type_into(page, "username", username)
    type_into(page, "password", PASSWORD)
    enter_on(page, "BUTTON", "Log in")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def main_text(page) -> str:
    return page.locator("main").inner_text()


def test_join_then_approval_then_a_first_offer_by_keyboard(page):
    UserFactory(username="cora", roles=[Role.COORDINATOR])

    page.goto("/join/")
    type_into(page, "display_name", "Dorothy")
    type_into(page, "email", "dorothy@example.org")
    type_into(page, "postcode", "rg1 7qe")
    type_into(page, "password", PASSWORD)
    type_into(page, "password_again", PASSWORD)
    enter_on(page, "BUTTON", "Send my application")
    expect(page.get_by_role("heading", level=1)).to_have_text("Look in your e-mail")
    dorothy = Member.objects.get(display_name="Dorothy")
    assert dorothy.status == MemberStatus.APPLIED

    # The e-mailed link finishes joining; her home page says what happens next.
    link = re.search(r"https?://\S+(/join/confirm/\S+/)", mail.outbox[-1].body).group(1)
    page.goto(link)
    page.goto("/")
    expect(page.locator("main")).to_contain_text("What happens next")

    log_in(page, "cora")
    page.goto("/coordinator/applications/")
    enter_on(page, "BUTTON", "Approve Dorothy")
    dorothy.refresh_from_db()
    assert dorothy.status == MemberStatus.APPROVED

    log_in(page, "dorothy@example.org")
    expect(page.locator("main")).to_contain_text("You have 0 hours just now.")
    enter_on(page, "A", "Offer help or ask for help")
    tab_to_field(page, "kind")
    page.keyboard.press("Space")  # the first choice: an offer
    tab_to_field(page, "category")
    page.keyboard.type("Gardening")
    type_into(page, "title", "Weeding and watering")
    enter_on(page, "BUTTON", "Save and share it")

    listing = Listing.objects.get(member=dorothy)
    assert (listing.kind, listing.category.slug, listing.title) == ("offer", "gardening", "Weeding and watering")
    page.goto("/")
    expect(page.locator("main")).to_contain_text("Weeding and watering")


def test_propose_accept_record_and_confirm_by_keyboard(page):
    alice = MemberFactory(display_name="Alice", user__username="alice")
    dbs_checked(alice)  # her offer is help at home (the safeguarding rule)
    MemberFactory(display_name="Bob", user__username="bob")
    offer = ListingFactory(member=alice, kind="offer", category=category("gardening"), title="Weeding and mowing")

    log_in(page, "bob")
    page.goto(f"/listings/{offer.public_id}/")
    enter_on(page, "BUTTON", "Suggest an exchange")
    exchange = Exchange.objects.get(listing=offer)
    assert exchange.status == ExchangeStatus.PROPOSED

    # Alice finds it waiting for her on her home page.
    log_in(page, "alice")
    page.goto("/")
    enter_on(page, "A", "Reply to Bob")
    expect(page.locator("main")).to_contain_text("Nothing is agreed until you say yes.")
    enter_on(page, "BUTTON", "Accept")
    type_into(page, "minutes", "2 hours")
    enter_on(page, "BUTTON", "Record the time")
    exchange.refresh_from_db()
    assert (exchange.status, exchange.minutes) == (ExchangeStatus.DONE, 120)

    log_in(page, "bob")
    page.goto("/")
    enter_on(page, "A", "Confirm 2 hours from Alice")
    enter_on(page, "BUTTON", "Confirm the time")
    exchange.refresh_from_db()
    assert exchange.status == ExchangeStatus.POSTED
    assert Account.objects.get(member__display_name="Alice").balance == 120
    assert Account.objects.get(member__display_name="Bob").balance == -120
    page.goto("/")
    expect(page.locator("main")).to_contain_text("You are 2 hours below zero.")


def test_the_main_text_members_read_is_easy_to_read(page):
    bob = MemberFactory(display_name="Bob", user__username="bob")
    alice = MemberFactory(display_name="Alice", user__username="alice")
    ListingFactory(member=bob, kind="offer", category=category("gardening"), title="Weeding and mowing")
    ListingFactory(member=bob, kind="request", category=category("gardening"), title="A lift to the shops")
    exchange = Exchange.objects.create(timebank=bob.timebank, provider=alice, status=ExchangeStatus.PROPOSED)
    exchange.receivers.add(bob)

    scores = {}
    for path in ("/", "/join/"):
        page.goto(path)
        scores[f"{path} (visitor)"] = textstat.flesch_reading_ease(main_text(page))
    log_in(page, "bob")
    for path in ("/", "/hours/"):
        page.goto(path)
        scores[f"{path} (member)"] = textstat.flesch_reading_ease(main_text(page))
    hard = {name: round(score) for name, score in scores.items() if score < 60}
    assert not hard, f"Flesch reading ease below 60: {hard}"
