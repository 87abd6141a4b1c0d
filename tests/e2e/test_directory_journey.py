"""The directory in a real browser (issue 14): search and open a service by keyboard
alone and come back to the same search; the map hidden without JavaScript and shown
with it; its markers numbered like the list, named and out of the Tab order; Esc
closes a popup; plain words (Flesch), no axe-core violations and no sideways
scrolling at 320 px on the results and a service page."""

import re

import pytest
import textstat
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.assets.factories import service_at

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RESULTS = "/directory/?near=RG1&radius=3"


@pytest.fixture
def groups(db):
    lunch = service_at(
        51.4560,
        -0.9850,
        name="Oxford Road Lunch Club",
        categories=["food"],
        description="A hot meal and a chat every Tuesday. Come along, meet new people and make friends.",
    )
    walk = service_at(
        51.4600,
        -0.9700,
        name="Thames Walking Group",
        categories=["physical-activity"],
        description="A gentle walk by the river each week. We go slowly and stop for tea.",
    )
    return lunch, walk


def focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement; return {
            tag: e.tagName, name: e.getAttribute("name"), text: (e.textContent || "").trim(),
            inMap: !!e.closest("#directory-map"), marker: e.classList.contains("leaflet-marker-icon") }; }"""
    )


def tab_until(page, check, limit: int = 80) -> list[dict]:
    """Press Tab until check(focused element) holds; every stop on the way."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stops.append(focused(page))
        if check(stops[-1]):
            return stops
    raise AssertionError(f"Tab never reached it; stops: {stops}")


def no_axe_violations(page, where: str) -> None:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": TAGS}})
    assert results.violations_count == 0, f"{where}: {results.generate_report()}"


def reads_plainly(page, where: str) -> None:
    # The page's own sentences: headings and paragraphs of the main part, as a person reads them.
    pieces = page.locator("main h1, main h2, main p").all_inner_texts()
    text = " ".join(p.strip() if p.strip()[-1:] in ".?!:" else p.strip() + "." for p in pieces if p.strip())
    score = textstat.flesch_reading_ease(text)
    assert score >= 60, f"{where}: Flesch {score:.0f} for {text!r}"


def fits_320(page, where: str) -> None:
    page.set_viewport_size({"width": 320, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{where} is {width} px wide at 320 px"


def test_a_keyboard_user_searches_opens_a_service_and_comes_back_to_the_same_search(page, groups):
    page.goto("/directory/")
    tab_until(page, lambda e: e["name"] == "near")
    page.keyboard.type("RG1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("2 groups within 3 miles of RG1")
    # From the top of the results the first Tab stops on the results are the list's links, not the map.
    stops = tab_until(page, lambda e: e["text"] == "Thames Walking Group")
    assert not any(stop["inMap"] for stop in stops)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Thames Walking Group")
    page.keyboard.press("Tab")
    tab_until(page, lambda e: e["text"] == "Back to search")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/directory/\?near=RG1&radius=3$", page.url)
    expect(page.locator("h1")).to_have_text("2 groups within 3 miles of RG1")


def test_the_map_is_hidden_without_javascript_and_shown_with_it(browser, live_server, page, groups):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        without = context.new_page()
        without.goto(RESULTS)
        expect(without.locator("ol.results > li")).to_have_count(2)
        expect(without.locator("#directory-map")).to_be_hidden()
        expect(without.get_by_text("Map of these results")).to_be_hidden()
        # The search can still be changed: the form is inside a details element.
        without.get_by_text("Change your search").click()
        expect(without.get_by_label("Postcode or place")).to_be_visible()
    finally:
        context.close()
    page.goto(RESULTS)
    expect(page.locator("#directory-map")).to_be_visible()
    expect(page.get_by_role("link", name="Skip the map")).to_be_attached()


def test_markers_are_numbered_like_the_list_named_and_out_of_the_tab_order(page, groups):
    page.goto(RESULTS)
    list_numbers = page.locator("ol.results > li .result-number").all_inner_texts()
    list_names = page.locator("ol.results > li h2").all_inner_texts()
    assert list_numbers == ["1", "2"] and list_names == ["Thames Walking Group", "Oxford Road Lunch Club"]
    markers = page.locator("#directory-map .leaflet-marker-icon")
    expect(markers).to_have_count(2)
    assert markers.all_inner_texts() == ["1", "2"]
    for index, marker in enumerate(markers.all()):
        name = f"{index + 1}: {list_names[index]}"
        assert marker.get_attribute("aria-label") == name and marker.get_attribute("title") == name
        assert marker.get_attribute("tabindex") == "-1"
    # Tab through the whole results page: no marker ever takes focus (only Leaflet's zoom buttons).
    page.locator("h1").focus()
    stops = tab_until(page, lambda e: e["text"] == "Skip the map")
    for _ in range(8):
        page.keyboard.press("Tab")
        stops.append(focused(page))
    assert not any(stop["marker"] for stop in stops)
    focusable_in_map = page.evaluate(
        """() => [...document.querySelectorAll('#directory-map *')].filter(e =>
              e.tabIndex >= 0 && !e.closest('.leaflet-control-container')).length"""
    )
    assert focusable_in_map == 0
    # "Skip the map" jumps past it.
    page.locator("h1").focus()
    tab_until(page, lambda e: e["text"] == "Skip the map")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "after-map"


def test_escape_closes_a_markers_popup_and_tooltip(page, groups):
    page.goto(RESULTS)
    marker = page.locator("#directory-map .leaflet-marker-icon").first
    marker.hover()
    expect(page.locator(".leaflet-tooltip")).to_have_text("1: Thames Walking Group")
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("1: Thames Walking Group")
    expect(popup).to_contain_text("0.6 miles away")
    page.keyboard.press("Escape")
    expect(page.locator(".leaflet-popup")).to_have_count(0)
    expect(page.locator(".leaflet-tooltip")).to_have_count(0)


def test_the_results_and_a_service_page_read_plainly_pass_axe_and_fit_320_px(page, groups):
    _, walk = groups
    page.goto(RESULTS)
    expect(page.locator("#directory-map .leaflet-marker-icon")).to_have_count(2)
    reads_plainly(page, "results")
    no_axe_violations(page, "results")
    fits_320(page, "results")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"/directory/services/{walk.id}/?near=RG1&radius=3")
    reads_plainly(page, "service page")
    no_axe_violations(page, "service page")
    fits_320(page, "service page")
