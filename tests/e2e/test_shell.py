"""The shell every page shares (templates/base.html, static/css/site.css,
static/js/menu.js, timebank.context_processors.shell) and the notices its
footer links to (privacy.notices): what a visitor, a member and staff see.

The page tests use Django's test client; the menu's behaviour (the Menu button
by keyboard, no JavaScript, print, 200% text) is checked in Chromium.
"""

import re

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from assets.models import OrganisationMembership
from privacy.registry import EXPORT_REGISTRY
from tests.assets.factories import OrganisationFactory
from tests.e2e.test_journeys import log_in
from tests.factories import MemberFactory, UserFactory
from timebank.models import MemberStatus, Role, Timebank

MEMBER_LINKS = ("My hours", "Offers and requests", "My exchanges")


def menu_labels(html: str) -> list[str]:
    """The link texts of the header's menus, in order."""
    header = html.split("<header", 1)[1].split("</header>", 1)[0]
    return [re.sub(r"<[^>]+>", "", text).strip() for text in re.findall(r"<a [^>]*>(.*?)</a>", header, re.S)]


def current_links(html: str) -> list[str]:
    return re.findall(r'<a class="site-nav__link" href="([^"]+)" aria-current="page">', html)


# --- Header and menus ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_member_sees_their_timebanks_name_and_the_page_they_are_on_is_marked(client, timebank):
    timebank.name = "Oxford Road Timebank"
    timebank.save()
    member = MemberFactory(display_name="Mary", user__username="mary")
    client.force_login(member.user)

    html = client.get("/hours/").content.decode()

    assert '<span class="brand__name">Oxford Road Timebank</span>' in html
    assert re.search(r'<img class="brand__mark" src="[^"]+logo\.svg" alt=""', html)
    assert "<title>" in html and "· Oxford Road Timebank</title>" in html
    labels = menu_labels(html)
    assert all(link in labels for link in MEMBER_LINKS)
    assert {"Take part", "Ideas", "How are we doing?"} <= set(labels)
    assert "Workbench" not in labels and "Referrals" not in labels
    assert current_links(html) == ["/hours/"]
    # A page inside a section marks its section: an exchange list is "My exchanges".
    assert current_links(client.get("/exchanges/?show=all").content.decode()) == ["/exchanges/"]


@pytest.mark.django_db
def test_staff_without_a_member_profile_see_their_own_links_and_no_member_links(client, timebank):
    coordinator = UserFactory(username="cora", roles=[Role.COORDINATOR])
    client.force_login(coordinator)
    labels = menu_labels(client.get("/coordinator/workbench/").content.decode())
    assert {"Coordinator", "Workbench", "Reports", "Two-step sign-in"} <= set(labels)
    # Co-production: opportunities, the self-assessment and members' ideas to answer.
    assert {"Involvement", "Self-assessment", "Ideas"} <= set(labels)
    assert not set(MEMBER_LINKS) & set(labels)
    assert "My profile" not in labels
    reports = client.get("/coordinator/reports/").content.decode()
    assert 'href="/coordinate/feedback/"' in reports and 'href="/involvement/manage/expenses/report/"' in reports

    link_worker = UserFactory(username="lena", roles=[Role.LINK_WORKER])
    OrganisationMembership.objects.create(
        user=link_worker, organisation=OrganisationFactory(organisation_type="health"), role="link-worker"
    )
    client.force_login(link_worker)
    html = client.get("/referrals/").content.decode()
    labels = menu_labels(html)
    assert "Referrals" in labels and "Workbench" not in labels
    assert not set(MEMBER_LINKS) & set(labels)
    assert current_links(html) == ["/referrals/"]


@pytest.mark.django_db
def test_someone_waiting_for_approval_is_not_offered_member_pages(client, timebank):
    applicant = MemberFactory(display_name="Amy", user__username="amy", status=MemberStatus.APPLIED)
    client.force_login(applicant.user)
    labels = menu_labels(client.get("/").content.decode())
    assert not set(MEMBER_LINKS) & set(labels)
    assert "Find local groups" in labels and "My profile" in labels


@pytest.mark.django_db
def test_a_visitor_sees_join_and_log_in_and_a_network_is_called_timecommons(client, timebank):
    timebank.name = "Oxford Road Timebank"
    timebank.save()
    html = client.get("/directory/").content.decode()
    assert '<span class="brand__name">Oxford Road Timebank</span>' in html  # the only timebank
    labels = menu_labels(html)
    assert {"Join", "Log in", "Find local groups"} <= set(labels)
    assert "My hours" not in labels and "Log out" not in html
    assert current_links(html) == ["/directory/"]

    Timebank.objects.create(name="Caversham Timebank", slug="caversham", area="Caversham")
    assert '<span class="brand__name">TimeCommons</span>' in client.get("/").content.decode()
    # A timebank's own page speaks for that timebank.
    assert '<span class="brand__name">Caversham Timebank</span>' in client.get("/t/caversham/").content.decode()


# --- Footer and the notices ----------------------------------------------------------


@pytest.mark.django_db
def test_the_footer_gives_the_timebanks_contact_details_or_says_where_to_find_them(client, timebank):
    html = client.get("/").content.decode()
    footer = html.split("<footer", 1)[1]
    for label, address in [
        ("Accessibility statement", "/accessibility/"),
        ("Privacy notice", "/privacy/"),
        ("Cookies", "/cookies/"),
        ("Contact", "/contact/"),
    ]:
        assert f'<a href="{address}">{label}</a>' in footer
    assert "tel:" not in footer and "mailto:" not in footer
    assert "how to contact us" in footer

    timebank.contact_phone = "0118 496 0000"
    timebank.contact_email = "hello@example.org"
    timebank.save()
    footer = client.get("/").content.decode().split("<footer", 1)[1]
    assert '<a href="tel:01184960000">0118 496 0000</a>' in footer
    assert '<a href="mailto:hello@example.org">hello@example.org</a>' in footer


@pytest.mark.django_db
def test_the_notices_need_no_login_and_the_accessibility_statement_says_how_to_ask_and_complain(client, timebank):
    for address in ("/accessibility/", "/privacy/", "/cookies/", "/contact/"):
        assert client.get(address).status_code == 200, address
    text = client.get("/accessibility/").content.decode()
    assert "WCAG" in text and "2.2" in text and "AA" in text
    for other_format in ("large print", "easy read", "audio", "braille"):
        assert other_format in text
    assert "Equality Advisory and Support Service" in text
    assert "We prepared this statement on" in text


@pytest.mark.django_db
@override_settings(REFERRAL_RETENTION_DAYS=400)
def test_the_privacy_notice_lists_everything_the_export_holds_and_the_configured_retention(client, timebank):
    from django.utils.html import escape

    html = client.get("/privacy/").content.decode()
    for label, selection in EXPORT_REGISTRY.items():
        assert escape(str(selection.note)) in html, f"{label}'s data is missing from the privacy notice"
    assert "Until 400 days after the referral closes" in html
    for heading in ("Why", "Who can see it", "How long we keep it", "Your rights", "How to ask"):
        assert heading in html


@pytest.mark.django_db
@override_settings(SESSION_COOKIE_NAME="tc_session", CSRF_COOKIE_NAME="tc_csrf", SESSION_COOKIE_AGE=3 * 86400)
def test_the_cookie_page_names_the_cookies_the_settings_set(client, timebank):
    html = client.get("/cookies/").content.decode()
    assert "<code>tc_session</code>" in html and "<code>tc_csrf</code>" in html
    assert "after 3 days" in html
    assert "We do not use cookies for advertising or to count visitors." in html
    # The language and easy-read choices are kept only when someone makes them.
    assert "<code>timecommons_language</code>" in html and "<code>timecommons_easy_read</code>" in html
    assert html.count("<tr>") == 5  # the header row and the four cookies: nothing else is set


# --- The menu in a browser ----------------------------------------------------------


def menu_link(page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_menu_button_opens_and_closes_the_menu_by_keyboard(page):
    page.set_viewport_size({"width": 320, "height": 700})
    page.goto("/accessibility/")
    button = page.get_by_role("button", name="Menu")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(menu_link(page, "Find local groups")).to_be_hidden()

    for _tab in range(4):  # skip link, name and logo, then the button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('menu-button')"):
            break
    assert page.evaluate("document.activeElement.textContent.trim()") == "Menu"

    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(menu_link(page, "Find local groups")).to_be_visible()
    page.keyboard.press("Space")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(menu_link(page, "Find local groups")).to_be_hidden()

    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # into the menu
    expect(menu_link(page, "Home")).to_be_focused()
    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_without_javascript_the_menu_is_simply_shown(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport={"width": 320, "height": 700}
    )
    page = context.new_page()
    try:
        page.goto("/")
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        expect(menu_link(page, "Find local groups")).to_be_visible()
        expect(page.get_by_role("navigation", name="Account").get_by_role("link", name="Log in")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
    finally:
        context.close()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_on_a_wide_screen_the_menu_shows_without_a_button_and_marks_the_page(page):
    UserFactory(username="cora", roles=[Role.COORDINATOR])
    log_in(page, "cora")
    page.goto("/coordinator/reports/")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(menu_link(page, "Reports")).to_have_attribute("aria-current", "page")
    expect(menu_link(page, "Workbench")).not_to_have_attribute("aria-current", "page")
    expect(page.get_by_role("navigation", name="Account").get_by_role("button", name="Log out")).to_be_visible()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_header_fits_a_phone_at_twice_the_text_size(page, timebank):
    timebank.name = "Caversham and Emmer Green Community Timebank"
    timebank.save()
    MemberFactory(display_name="Mary", user__username="mary")
    log_in(page, "mary")
    page.set_viewport_size({"width": 320, "height": 700})
    for address in ("/", "/hours/", "/privacy/"):
        page.goto(address)
        # 200% text, set through the CSSOM (the page's policy refuses style attributes, not this).
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        page.get_by_role("button", name="Menu").click()
        expect(menu_link(page, "My hours")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{address} is {width} px wide at 320 px with 200% text"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_printed_statement_has_no_menus_footer_or_buttons(page):
    MemberFactory(display_name="Mary", user__username="mary")
    log_in(page, "mary")
    page.goto("/hours/")
    page.emulate_media(media="print")
    expect(page.locator("#site-menu")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.locator("main button:visible").count() == 0
    page.emulate_media(media="screen")
    expect(page.locator(".site-footer")).to_be_visible()


@pytest.mark.django_db
def test_an_address_that_leads_nowhere_gets_a_page_with_the_menu_and_ways_on(client, timebank):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in html
    assert 'aria-label="Main"' in html and 'href="/contact/"' in html
