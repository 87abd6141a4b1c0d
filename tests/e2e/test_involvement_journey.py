"""Taking part in planning, in a real browser: a member signs up to an
opportunity, the organiser records that she came, she sees the hours on "My
hours", claims a bus fare and sees it paid. axe runs on every page the journey
visits, and each fits a 320 px screen."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from coproduction.involvement.models import (
    ClaimStatus,
    ExpenseClaim,
    Opportunity,
    OpportunityStatus,
    Participation,
    ParticipationStatus,
)
from tests.coproduction.test_involvement import has_started, published
from tests.e2e.test_accessibility_crawl import Findings, check_page
from tests.e2e.test_journeys import log_in, log_out, press
from tests.factories import MemberFactory, UserFactory
from timebank.models import Account, Role, Timebank

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def axe(page, where: str, findings: Findings) -> None:
    """axe and the 320 px check, then back to a wide window for the next step.
    After a link's click the new page may still be loading: wait for it (and its
    stylesheet) so axe judges the page as people see it."""
    page.wait_for_load_state("load")
    check_page(page, where, findings)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_member_signs_up_attends_sees_her_hours_and_claims_a_bus_fare(page, live_server):
    timebank = Timebank.get_default()
    coordinator = UserFactory(username="cora", first_name="Cora", roles=[Role.COORDINATOR], coordinates=[timebank])
    margaret = MemberFactory(display_name="Margaret", user__username="margaret", communication_needs=["large-print"])
    opportunity = published(coordinator, timebank=timebank, title="Bus routes listening session", hours_minutes=120)
    findings = Findings()

    # The member finds it and says "I'd like to take part", once, with her access needs.
    log_in(page, "margaret")
    page.goto("/involvement/")
    axe(page, "opportunities", findings)
    with page.expect_navigation():
        page.get_by_role("link", name="Bus routes listening session").click()
    axe(page, "opportunity", findings)
    page.get_by_label("Anything the organiser should arrange").fill("A seat near the front")
    press(page, "I'd like to take part")
    expect(page.get_by_text("You have signed up")).to_be_visible()
    joined = Participation.objects.get(member=margaret)
    assert (joined.access_needs, joined.communication_needs) == ("A seat near the front", ["large-print"])

    # She tells us the bus fare she expects; an empty form first shows what to do.
    with page.expect_navigation():
        page.get_by_role("link", name="Tell us your expected costs").click()
    press(page, "Send my estimate")
    expect(page.locator(".error-summary")).to_contain_text("Enter at least one cost")
    axe(page, "estimate with an error", findings)
    page.get_by_label("Travel: about how much, in pounds").fill("4.50")
    page.get_by_label("Travel: what it is for").fill("Bus there and back")
    press(page, "Send my estimate")
    axe(page, "claim (estimate)", findings)
    log_out(page)

    # The day comes; the organiser records who came.
    has_started(opportunity)
    log_in(page, "cora")
    page.goto(f"/involvement/manage/{opportunity.public_id}/")
    axe(page, "manage", findings)
    page.get_by_label("Margaret").check()
    press(page, "Save attendance")
    expect(page.get_by_text("1 person credited with hours")).to_be_visible()
    assert Participation.objects.get(pk=joined.pk).status == ParticipationStatus.ATTENDED
    log_out(page)

    # She sees the hours, then sends the actual fare.
    log_in(page, "margaret")
    page.goto(reverse("timebank:my-hours"))
    expect(page.locator("main")).to_contain_text("Taking part in planning")
    assert Account.objects.get(member=margaret).balance == 120
    page.goto("/involvement/expenses/")
    axe(page, "my expenses", findings)
    with page.expect_navigation():
        page.get_by_role("link", name="Bus routes listening session").click()
    page.get_by_label("Bus there and back: what it came to, in pounds").fill("4.20")
    press(page, "Send my claim")
    expect(page.locator("main")).to_contain_text("Waiting for approval")
    axe(page, "claim (sent)", findings)
    log_out(page)

    # The coordinator approves it and marks it paid.
    claim = ExpenseClaim.objects.get(participation=joined)
    log_in(page, "cora")
    page.goto(f"/involvement/manage/expenses/{claim.public_id}/")
    axe(page, "claim review", findings)
    press(page, "Approve this claim")
    press(page, "Mark as paid")
    page.goto("/involvement/manage/expenses/report/")
    axe(page, "expenses report", findings)
    expect(page.locator("main")).to_contain_text("1 of 1")
    log_out(page)

    # She sees it paid.
    log_in(page, "margaret")
    page.goto(f"/involvement/expenses/{claim.public_id}/")
    expect(page.locator(".lead")).to_contain_text("Paid")
    expect(page.locator("main")).to_contain_text("£4.20")
    assert ExpenseClaim.objects.get(pk=claim.pk).status == ClaimStatus.PAID
    assert not findings.problems, "\n".join(findings.problems)


def test_a_coordinator_posts_an_opportunity_too_soon_and_sees_why_it_cannot_be_published(page, live_server):
    timebank = Timebank.get_default()
    UserFactory(username="cora", first_name="Cora", roles=[Role.COORDINATOR], coordinates=[timebank])
    findings = Findings()
    log_in(page, "cora")
    page.goto(reverse("involvement:manage-list"))
    axe(page, "organiser's list", findings)
    with page.expect_navigation():
        page.get_by_role("link", name="Post an opportunity").click()
    press(page, "Save draft")
    expect(page.locator(".error-summary")).to_contain_text("Enter a title")
    axe(page, "new opportunity with errors", findings)
    page.get_by_label("Title").fill("Patient panel")
    page.get_by_label("What it is").fill("Tell the practice how booking could be easier.")
    soon = timezone.localtime(timezone.now() + datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("When it starts").fill(soon)
    page.get_by_label("How long it lasts").fill("2 hours")
    page.get_by_label("Where").fill("Oxford Road Surgery")
    page.get_by_label("Contact's name").fill("Priya")
    page.get_by_label("Contact's phone number").fill("0118 496 0000")
    press(page, "Save draft")
    press(page, "Publish")
    expect(page.locator(".error-summary")).to_contain_text("14 days' notice")
    axe(page, "publishing refused", findings)
    opportunity = Opportunity.objects.get(title="Patient panel")
    assert opportunity.status == OpportunityStatus.DRAFT and opportunity.publish_refused_reason
    assert not findings.problems, "\n".join(findings.problems)
