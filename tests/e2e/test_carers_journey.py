"""Carers in a real browser: a young carer joins and a coordinator records
their guardian's consent before approving them; a carer asks for a break and
the coordinator sees it flagged on the workbench with a DBS-checked helper.
axe-core (WCAG 2.0/2.1/2.2 A and AA) runs on every page the journeys visit,
forms in their error state too, and no page scrolls sideways at 320 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.brokering.factories import dbs_check, member_at, offer, reference_check
from tests.e2e.test_journeys import log_in, press
from tests.e2e.test_voice_journey import check_page
from tests.factories import UserFactory, category
from timebank.models import Listing, Member, MemberStatus, Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_young_carer_joins_and_is_approved_once_their_guardians_consent_is_recorded(page):
    UserFactory(username="cora", roles=[Role.COORDINATOR])

    page.goto("/join/")
    page.get_by_label("Your name").fill("Jade")
    page.get_by_label("E-mail address").fill("jade@example.org")
    page.get_by_label("Postcode").fill("RG1 7QE")
    page.get_by_label("I look after someone (I am a carer)").check()
    page.get_by_label("Who do you look after?").fill("My dad")
    page.get_by_label("I am under 18").check()
    check_page(page, "join, filled in")
    page.get_by_label("Choose a password").fill("a long and careful passphrase")
    page.get_by_label("Type the password again").fill("a long and careful passphrase")
    press(page, "Send my application")
    jade = Member.objects.get(display_name="Jade")
    assert (jade.is_carer, jade.cares_for, jade.under_18, jade.status) == (True, "My dad", True, MemberStatus.APPLIED)

    page.context.clear_cookies()
    log_in(page, "cora")
    page.goto("/coordinator/applications/")
    expect(page.locator("main")).to_contain_text("Under 18")
    check_page(page, "applications with a young carer")
    press(page, "Approve Jade")
    expect(page.locator("main")).to_contain_text("record their parent's or guardian's consent before approving them")
    jade.refresh_from_db()
    assert jade.status == MemberStatus.APPLIED

    page.get_by_role("link", name="Record a parent's or guardian's consent before approving").click()
    press(page, "Record consent")
    expect(page.get_by_role("alert")).to_contain_text("Enter the parent's or guardian's name.")
    check_page(page, "guardian's consent, with errors")
    page.get_by_label("Parent's or guardian's name").fill("Karen W.")
    page.get_by_label("How are they related?").fill("Mother")
    page.get_by_label("By phone, to a coordinator").check()
    press(page, "Record consent")
    expect(page.locator("main")).to_contain_text("Consent from Karen W. (Mother), by phone")
    check_page(page, "a young carer's page")

    page.goto("/coordinator/applications/")
    press(page, "Approve Jade")
    jade.refresh_from_db()
    assert jade.status == MemberStatus.APPROVED and jade.guardian_consent_method == "phone"


def test_a_carer_asks_for_a_break_and_the_coordinator_sees_it_on_the_workbench(page):
    UserFactory(username="cora", roles=[Role.COORDINATOR])
    member_at("Nadia", radius=5, is_carer=True, cares_for="My mum")
    amara = member_at("Amara", km=1)
    dbs_check(amara)
    reference_check(amara)
    offer(amara, "caring-breaks")
    unchecked = member_at("Ursula", km=0.5)
    reference_check(unchecked)
    offer(unchecked, "caring-breaks")
    caring = category("caring-breaks")

    log_in(page, "nadia")
    page.goto("/my/listings/new/")
    page.get_by_label("An offer: I can help with this").check()
    page.get_by_label("Category").select_option(str(caring.pk))
    page.get_by_label("Title").fill("Sit with mum on Thursday")
    page.get_by_label("At home").check()
    page.get_by_label("Someone to sit with the person I look after").check()
    press(page, "Save and share it")
    expect(page.locator("#id_carers_break_error")).to_contain_text("Only a request can ask for a carer's break.")
    check_page(page, "a break offered by mistake, with the error")
    page.get_by_label("A request: I'd like help with this").check()
    press(page, "Save and share it")
    listing = Listing.objects.get(title="Sit with mum on Thursday")
    assert listing.carers_break == "sit" and listing.kind == "request"

    page.goto(f"/listings/{listing.public_id}/")
    expect(page.locator("main")).to_contain_text("A carer's break")
    check_page(page, "a carer's break request")

    page.context.clear_cookies()
    log_in(page, "cora")
    page.goto("/coordinator/workbench/")
    breaks = page.locator("#carers-breaks + p + table")
    expect(breaks).to_contain_text("Sit with mum on Thursday")
    expect(breaks).to_contain_text("Amara")
    expect(breaks).not_to_contain_text("Ursula")
    check_page(page, "the workbench with a carer's break")
