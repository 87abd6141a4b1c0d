"""Issue 18 in a real browser: a visitor switches to Cymraeg on the home page,
joins, and after approval suggests an exchange and sees their hours, every
page in Welsh with `<html lang="cy">` and no axe violations; then the same
journey in the easy-read view.

The words the test looks for come from the Welsh catalogue (`cy()`), and each
must differ from the English, so an untranslated page fails here."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.utils import translation
from playwright.sync_api import expect

from tests.e2e.test_voice_journey import check_page
from tests.factories import ListingFactory, MemberFactory, UserFactory, category, dbs_checked
from timebank.models import CommunicationNeed, Exchange, ExchangeStatus, Member, MemberStatus, Role
from timebank.services import members as member_services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long and careful passphrase"


def cy(english: str) -> str:
    """The Welsh the pages show for `english`; it must be translated."""
    with translation.override("cy"):
        welsh = translation.gettext(english)
    assert welsh != english, f"no Welsh for {english!r}"
    return welsh


def press(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def welsh_page(page, where: str) -> None:
    assert page.evaluate("document.documentElement.lang") == "cy", f"{where} is not in Welsh"
    check_page(page, where)


# The words each view uses (the easy-read join form words its questions its own way).
STANDARD = {
    "name": "Your name",
    "email": "E-mail address",
    "postcode": "Postcode",
    "send": "Send my application",
    "suggest": "Suggest an exchange",
}
EASY_READ = {
    "name": "Your name",
    "email": "Your e-mail address",
    "postcode": "Your postcode",
    "send": "Send my form to join",
    "suggest": "Send my idea for an exchange",
}


def join_in_welsh(page, words: dict, *, name: str, email: str) -> Member:
    page.goto("/")
    press(page, "Cymraeg")
    welsh_page(page, "home page")
    expect(page.get_by_role("link", name=cy("Skip to main content"))).to_be_attached()

    page.goto("/join/")
    welsh_page(page, "join")
    page.get_by_label(cy(words["name"]), exact=True).fill(name)
    page.get_by_label(cy(words["email"]), exact=True).fill(email)
    page.get_by_label(cy(words["postcode"]), exact=True).fill("RG1 7QE")
    page.get_by_label(cy("Choose a password"), exact=True).fill(PASSWORD)
    page.get_by_label(cy("Type the password again"), exact=True).fill(PASSWORD)
    press(page, cy(words["send"]))
    welsh_page(page, "join sent")
    expect(page.get_by_role("heading", level=1)).to_have_text(cy("Look in your e-mail"))
    member = Member.objects.get(display_name=name)
    assert (member.status, member.language) == (MemberStatus.APPLIED, "cy")

    # The e-mail to finish joining is in Welsh too.
    message = mail.outbox[-1]
    assert message.to == [email]
    assert cy("Finish joining: confirm your e-mail address") in message.subject
    link = re.search(r"https?://\S+(/join/confirm/\S+/)", message.body).group(1)
    page.goto(link)
    return member


def log_in_in_welsh(page, username: str) -> None:
    page.goto("/login/")
    welsh_page(page, "log in")
    page.get_by_label(cy("E-mail address or username"), exact=True).fill(username)
    page.get_by_label(cy("Password"), exact=True).fill(PASSWORD)
    press(page, cy("Log in"))
    expect(page.get_by_role("button", name=cy("Log out"))).to_be_visible()


def suggest_and_see_hours(page, words: dict, offer) -> None:
    page.goto(f"/listings/{offer.public_id}/")
    welsh_page(page, "an offer")
    expect(page.locator("main")).to_contain_text("Garddio")  # its category, named in Welsh
    press(page, cy(words["suggest"]))
    exchange = Exchange.objects.get(listing=offer)
    assert exchange.status == ExchangeStatus.PROPOSED
    welsh_page(page, "the exchange")

    page.goto("/hours/")
    welsh_page(page, "my hours")
    expect(page.get_by_role("heading", level=1)).to_have_text(cy("My hours"))


@pytest.fixture
def offer(db):
    alice = MemberFactory(display_name="Alice", user__username="alice")
    dbs_checked(alice)
    return ListingFactory(member=alice, kind="offer", category=category("gardening"), title="Weeding and mowing")


def test_a_visitor_joins_in_welsh_and_after_approval_suggests_an_exchange_and_sees_their_hours(page, offer):
    cora = UserFactory(username="cora", roles=[Role.COORDINATOR])
    dewi = join_in_welsh(page, STANDARD, name="Dewi", email="dewi@example.org")
    member_services.member_approve(member=dewi, by_user=cora, note="Met at the library")
    mail.outbox.clear()

    page.context.clear_cookies()  # the joining link signed them in: start again, as another day
    page.goto("/login/")
    press(page, "Cymraeg")
    log_in_in_welsh(page, "dewi@example.org")
    # Another computer whose cookie says English: the profile keeps Welsh.
    page.context.add_cookies([{"name": "timecommons_language", "value": "en-gb", "url": page.url}])
    page.goto("/")
    welsh_page(page, "member home, with an English cookie")
    suggest_and_see_hours(page, STANDARD, offer)
    # Alice reads English: the e-mail about Dewi's suggestion is in hers, not his.
    assert mail.outbox and "TimeCommons" in mail.outbox[-1].subject


def test_the_same_journey_in_easy_read(page, offer):
    cora = UserFactory(username="cora", roles=[Role.COORDINATOR])
    page.goto("/")
    press(page, "Easy read")
    expect(page.locator("body")).to_have_class(re.compile(r"\beasy-read\b"))
    dewi = join_in_welsh(page, EASY_READ, name="Dewi", email="dewi@example.org")
    expect(page.locator("body")).to_have_class(re.compile(r"\beasy-read\b"))
    # Chosen once, before joining: kept on the profile as their communication need.
    assert CommunicationNeed.EASY_READ in dewi.communication_needs
    member_services.member_approve(member=dewi, by_user=cora, note="Met at the library")

    page.context.clear_cookies()  # another computer: the profile brings back Welsh and easy read
    page.goto("/login/")
    press(page, "Cymraeg")
    log_in_in_welsh(page, "dewi@example.org")
    suggest_and_see_hours(page, EASY_READ, offer)
    expect(page.locator("body")).to_have_class(re.compile(r"\beasy-read\b"))
    for picture in page.locator("main img").all():
        assert picture.get_attribute("alt"), "every easy-read picture says what it shows"
