"""In a real browser: text people typed never runs as code, and the pages work
under the Content-Security-Policy: our own pages without the browser reporting
any violation; the API's documentation and browsable pages with only the
violations each test names.

Every request that leaves the test server (map tiles) is refused, so nothing
here reaches the internet.
"""

import re

import pytest
from playwright.sync_api import expect

from assets.models import Organisation, OrganisationType
from tests.assets.factories import service_at
from tests.e2e.test_journeys import log_in, press
from tests.factories import UserFactory
from timebank.models import Category, Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HOSTILE = '<img src=x onerror="window.__xss=1">'

# Runs before any page script (Playwright injects it outside the page's policy):
# keeps every violation the browser reports.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def watched(page, live_server):
    """The page, kept to the test server, with its CSP violations and console errors recorded."""
    page.route(
        re.compile(r".*"),
        lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort(),
    )
    page.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.console_messages = console
    return page


def violations(page) -> list[str]:
    reported = page.evaluate("window.__violations")
    from_console = [text for text in page.console_messages if "Content Security Policy" in text]
    return reported + from_console


def test_a_hostile_service_name_shows_as_text_in_the_list_and_the_map_and_runs_nothing(watched):
    group = Organisation.objects.create(name=f"Group {HOSTILE}", organisation_type=OrganisationType.VOLUNTARY)
    service_at(51.4560, -0.9850, name=HOSTILE, description=f"Tea {HOSTILE}", organisation=group)

    page = watched
    page.goto("/directory/")
    page.get_by_label("Postcode or place").fill("RG1")
    press(page, "Search")

    result = page.locator("ol.results > li").first
    expect(result.get_by_role("heading")).to_have_text(HOSTILE)
    expect(result).to_contain_text(f"Tea {HOSTILE}")
    # Hovering the service's marker opens its tooltip: the name, as text.
    page.locator("#directory-map .map-number").first.hover()
    tooltip = page.locator(".leaflet-tooltip")
    expect(tooltip).to_have_text(f"1: {HOSTILE}")
    assert tooltip.locator("img").count() == 0
    page.locator("#directory-map .map-number").first.click()
    expect(page.locator(".leaflet-popup-content")).to_contain_text(HOSTILE)

    service_page = result.get_by_role("link", name=HOSTILE)
    with page.expect_navigation():
        service_page.click()
    expect(page.locator("main")).to_contain_text(f"Group {HOSTILE}")

    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("main img").count() == 0
    assert violations(page) == []


def test_the_home_page_and_coordinator_pages_break_no_rule_of_the_policy(watched, timebank):
    UserFactory(username="cora", roles=[Role.COORDINATOR])
    Category.objects.create(timebank=timebank, slug="hostile", name=f"Odd {HOSTILE}")
    page = watched

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert violations(page) == []

    log_in(page, "cora")
    assert violations(page) == []
    page.goto("/coordinator/safeguarding/categories/")
    # The labels beside the check boxes sit on the same line (a class, not a style= attribute).
    expect(page.get_by_text("DBS check", exact=True).first).to_have_css("display", "inline")
    assert violations(page) == []
    page.goto(f"/coordinator/reports/funder-summary/?timebank={timebank.pk}")
    # The chart keeps its colours as presentation attributes, not style attributes.
    expect(page.locator(".chart svg").first).to_be_visible()
    assert page.locator(".chart svg path[fill='#1d5e3b']").count() > 0
    assert violations(page) == []
    page.goto("/coordinator/")
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert violations(page) == []


def test_the_api_documentation_pages_work_under_their_policy(watched):
    page = watched
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("TimeCommons API")
    assert violations(page) == []
    page.goto("/api/redoc/")
    expect(page.locator("h1").first).to_contain_text("TimeCommons API")
    expect(page.get_by_role("search").or_(page.get_by_placeholder("Search")).first).to_be_visible()
    # ReDoc's "powered by" logo is on its CDN: the policy refuses it, and nothing else.
    refused = [v for v in page.evaluate("window.__violations") if "cdn.redoc.ly" not in v]
    assert refused == []


def test_the_browsable_api_works_under_the_strict_policy(watched):
    page = watched
    page.goto("/api/v1/services/?near=RG1")
    # DRF's page draws the answer and its scripts run (the format menu opens).
    expect(page.locator(".response-info")).to_contain_text("Log in or send a valid access token.")
    page.locator(".format-selection .dropdown-toggle").click()
    expect(page.locator(".format-selection .dropdown-menu").get_by_role("link", name="json")).to_be_visible()
    # Only DRF's cosmetic inline styles (syntax colours, two floats) are refused.
    refused = page.evaluate("window.__violations")
    assert refused and all(v.startswith(("style-src-attr", "style-src-elem")) for v in refused), refused
