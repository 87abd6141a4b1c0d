"""The error summary in a real browser (static/js/error-summary.js): focus
lands on the summary when a form comes back with errors, and a link in the
summary moves focus to its field (for a group of radios, to the first one)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in, press
from tests.factories import MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def focused(page) -> dict:
    return page.evaluate(
        "() => ({id: document.activeElement.id, cls: document.activeElement.className,"
        " tag: document.activeElement.tagName})"
    )


def test_focus_moves_to_the_summary_and_a_link_moves_it_to_the_field(page):
    page.goto("/join/")
    page.get_by_label("E-mail address").fill("not an address")
    press(page, "Send my application")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert page.title().startswith("Error: ")
    expect(summary.get_by_role("link", name="Enter your name, like Alice or Alice B.")).to_be_visible()

    summary.get_by_role("link", name="Enter your e-mail address in the right format, like name@example.com.").click()
    expect(page.locator("#id_email")).to_be_focused()
    summary.get_by_role("link", name="Enter your name, like Alice or Alice B.").click()
    expect(page.locator("#id_display_name")).to_be_focused()


def test_a_summary_link_to_a_group_of_radios_focuses_the_first_one(page):
    MemberFactory(display_name="Alice", user__username="alice")
    log_in(page, "alice")
    page.goto("/my/listings/new/")
    press(page, "Save and share it")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name="Choose whether this is an offer or a request.").click()
    expect(page.locator("input[name=kind]").first).to_be_focused()
    assert focused(page)["tag"] == "INPUT"


def test_a_page_without_errors_keeps_focus_where_it_was(page):
    page.goto("/join/")
    expect(page.locator(".error-summary")).to_have_count(0)
    assert "error-summary" not in focused(page)["cls"]
