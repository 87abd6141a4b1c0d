"""Feedback, ideas and votes in a real browser: a member votes for an idea and
sees the count change, rates an exchange (standard and easy read), and a
coordinator answers an idea that then shows on "You said, we did". axe-core
(WCAG 2.0/2.1/2.2 A and AA) runs on every page the journey visits, forms in
their error state too, and no page scrolls sideways at 320 px."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from coproduction.voice import services
from coproduction.voice.models import IdeaVote, Rating
from tests.brokering.factories import exchange as make_exchange
from tests.e2e.test_accessibility_crawl import WCAG_TAGS, describe_violations
from tests.e2e.test_journeys import log_in, log_out, press
from tests.factories import ListingFactory, MemberFactory, UserFactory, category
from timebank.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Axe()
NARROW = 320


def check_page(page, where: str) -> None:
    """No axe violations, and nothing wider than a 320 px screen."""
    page.set_viewport_size({"width": 1280, "height": 900})
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    violations = results.response["violations"]
    assert not violations, describe_violations(where, violations)
    page.set_viewport_size({"width": NARROW, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW, f"{where} scrolls sideways at 320 px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_member_votes_for_an_idea_and_sees_the_count_change(page):
    proposer = MemberFactory(display_name="Tariq", user__username="tariq")
    margaret = MemberFactory(display_name="Margaret", user__username="margaret")
    idea = services.idea_propose(by_user=proposer.user, title="Drop-in help with phones", description="Once a month.")

    log_in(page, "margaret")
    page.goto("/ideas/")
    votes = page.locator(f"#votes-{idea.public_id}")
    expect(votes).to_have_text("0 votes")
    check_page(page, "ideas list")

    press(page, "Vote for this")
    expect(page.locator(f"#votes-{idea.public_id}")).to_have_text("1 vote")
    expect(page.get_by_text("Thank you for your vote.")).to_be_visible()
    assert IdeaVote.objects.filter(idea=idea, member=margaret).count() == 1
    check_page(page, "ideas list after voting")

    page.get_by_role("link", name="Drop-in help with phones").click()
    expect(page.locator("#vote-count")).to_have_text("1 vote")
    check_page(page, "an idea")
    press(page, "Take back my vote")
    expect(page.locator("#vote-count")).to_have_text("0 votes")
    assert not IdeaVote.objects.exists()

    page.goto("/ideas/new/")
    press(page, "Suggest this idea")
    expect(page.get_by_role("alert")).to_contain_text("Enter your idea in a few words.")
    check_page(page, "suggest an idea, with an error")


def test_a_member_rates_an_exchange_then_uses_the_easy_read_version(page):
    helper = MemberFactory(display_name="Kwame", user__username="kwame")
    margaret = MemberFactory(display_name="Margaret", user__username="margaret")
    listing = ListingFactory(member=helper, category=category("gardening"))
    exchange = make_exchange(helper, margaret, status="posted", listing=listing, description="Weeding the front")

    log_in(page, "margaret")
    page.goto(f"/exchanges/{exchange.public_id}/")
    page.get_by_role("link", name="Rate this exchange").click()
    expect(page.get_by_role("heading", name="Say how it went")).to_be_visible()
    check_page(page, "rate an exchange")
    press(page, "Send")
    expect(page.get_by_role("alert")).to_contain_text("Choose how it went")
    check_page(page, "rate an exchange, with an error")
    page.get_by_role("radio", name="Good", exact=True).check()
    page.get_by_label("Anything you want to say (optional)").fill("Kwame was very kind.")
    press(page, "Send")
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    check_page(page, "thank you")
    assert Rating.objects.get(member=margaret).score == 4

    page.get_by_role("link", name="Change my answer").click()
    page.get_by_role("link", name="Use the easy read version").click()
    expect(page.get_by_text("Pick one face.")).to_be_visible()
    check_page(page, "easy read: how was it?")
    page.get_by_role("radio", name="Very good", exact=True).check()
    press(page, "Next")
    expect(page.get_by_role("heading", name="Do you want to tell us more?")).to_be_visible()
    check_page(page, "easy read: tell us more")
    press(page, "Send")
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    rating = Rating.objects.get(member=margaret)
    assert (rating.score, rating.easy_read) == (5, True)


def test_a_coordinator_answers_an_idea_and_members_see_it_on_you_said_we_did(page):
    proposer = MemberFactory(display_name="Margaret", user__username="margaret")
    UserFactory(username="coord", roles=[Role.COORDINATOR])
    idea = services.idea_propose(by_user=proposer.user, title="A monthly coffee morning")

    log_in(page, "coord")
    page.goto(f"/ideas/{idea.public_id}/")
    page.get_by_role("link", name="Answer this idea").click()
    press(page, "Publish the answer")
    expect(page.get_by_role("alert")).to_contain_text("Choose what is happening with this idea.")
    check_page(page, "answer an idea, with errors")
    page.get_by_role("radio", name="Done", exact=True).check()
    page.get_by_label("Your answer, shown to every member").fill("We meet at the library, first Tuesday, 10am.")
    press(page, "Publish the answer")
    expect(page.get_by_text("first Tuesday, 10am")).to_be_visible()
    page.goto("/coordinate/feedback/")
    check_page(page, "feedback report")
    log_out(page)

    log_in(page, "margaret")
    page.goto("/you-said-we-did/")
    expect(page.get_by_role("heading", name="You said: A monthly coffee morning")).to_be_visible()
    expect(page.get_by_text("first Tuesday, 10am")).to_be_visible()
    check_page(page, "you said, we did")
