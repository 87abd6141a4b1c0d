"""The directory's results page (issue 14): results first with the search in words
and a way to change it, miles everywhere on pages, words without a place, a clear
answer when nothing is near, "Back to search" keeping the search (and nothing
else), suburbs such as Caversham found, and the source filter without a place."""

import re
from html import unescape

import pytest

from assets.forms import RADIUS_MILES
from assets.models import FeedSource, Service, ServiceStatus
from core.places.geocoding import geocode
from tests.assets.factories import service_at

pytestmark = pytest.mark.django_db

# The centre of Reading and of RG4 (Caversham), 1.7 miles apart.
READING = (51.4600, -0.9700)
CAVERSHAM = (51.4830, -0.9700)


def text_of(html: str) -> str:
    """The page's main text as a person reads it (tags dropped, spaces squeezed)."""
    main = html[html.index("<main") : html.index("</main>")] if "<main" in html else html
    main = re.sub(r"<script.*?</script>", " ", main, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", main)).split())


def links(html: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="([^"]*)"', html)]


@pytest.fixture
def walk(db):
    return service_at(*READING, name="Thames walk", categories=["physical-activity"], days=["TU"], is_free=False)


def test_the_results_lead_with_what_was_found_and_the_search_in_words(client, walk):
    service_at(*READING, name="Lunch club", description="Hot food and a walk after.", is_free=True)
    response = client.get("/directory/", {"near": "RG1", "radius": "5", "q": "walk", "free_only": "on"})
    html = response.content.decode()
    text = text_of(html)
    assert response.status_code == 200
    assert "<h1" in html and re.search(r"<h1[^>]*>1 group within 5 miles of RG1</h1>", html)
    assert "Your search: “walk”, free only." in text
    # The heading and summary come first, the form is behind "Change your search", then the list, then the map.
    assert (
        html.index("<h1")
        < html.index("Change your search")
        < html.index('name="near"')
        < html.index("Lunch club")
        < html.index('id="directory-map"')
    )
    assert "Thames walk" not in text


def test_without_a_search_the_form_shows_place_and_words_first_and_the_rest_under_more_filters(client):
    html = client.get("/directory/").content.decode()
    assert "Find local groups and activities" in html
    more = html.index("More filters")
    assert html.index('name="near"') < html.index('name="radius"') < html.index('name="q"') < more
    assert more < html.index('name="category"') < html.index('name="source"')


def test_distances_are_in_miles_and_the_choice_and_summary_agree(client, walk):
    service_at(51.4700, -0.9700, name="Lunch club")
    for miles, label in RADIUS_MILES:
        html = client.get("/directory/", {"near": "RG1", "radius": miles}).content.decode()
        text = text_of(html)
        assert f"within {label} of RG1" in text
        assert re.search(rf'<option value="{miles}" selected>{label}</option>', html)
        assert " km" not in text and "kilomet" not in text
    assert [label for _, label in RADIUS_MILES][:3] == ["1 mile", "2 miles", "3 miles"]
    text = text_of(client.get("/directory/", {"near": "RG1", "radius": 3}).content.decode())
    assert "0.6 miles away" in text and "1.3 miles away" in text


def test_words_without_a_place_list_matching_groups_across_the_directory_by_name(client, walk):
    service_at(53.4800, -2.2400, name="Manchester walk")
    service_at(*READING, name="Another walk group", status=ServiceStatus.INACTIVE)
    service_at(*READING, name="Knitting circle")
    response = client.get("/directory/", {"q": "walk"})
    html = response.content.decode()
    assert response.status_code == 200
    assert [r.service.name for r in response.context["listing"].results] == ["Manchester walk", "Thames walk"]
    text = text_of(html)
    assert "2 groups" in text and "Your search: “walk”." in text
    assert "Add a postcode or place to see the nearest first." in text
    assert "Knitting circle" not in text and "miles away" not in text


def test_a_category_alone_lists_that_category_and_bad_filters_come_back_on_the_form(client, walk):
    service_at(*READING, name="Knitting circle")
    response = client.get("/directory/", {"category": "physical-activity"})
    assert [r.service.name for r in response.context["listing"].results] == ["Thames walk"]
    response = client.get("/directory/", {"q": "walk", "source": "nonsense"})
    assert response.status_code == 200
    assert "Choose where the listings came from from the list." in response.content.decode()


def test_nothing_near_says_so_and_offers_wider_distances_that_find_it(client, walk):
    response = client.get("/directory/", {"near": "Caversham", "radius": "1"})
    html = response.content.decode()
    text = text_of(html)
    assert "No groups within 1 mile of Caversham. Try a wider distance: 2 miles 3 miles" in text
    wider = [href for href in links(html) if "radius=" in href and "page" not in href and href.startswith("?")]
    assert wider == ["?near=Caversham&radius=2", "?near=Caversham&radius=3"]
    found = client.get("/directory/" + wider[0])
    assert [r.service.name for r in found.context["page"].results] == ["Thames walk"]
    assert "1 group within 2 miles of Caversham" in text_of(found.content.decode())


def test_when_a_filter_leaves_nothing_the_page_offers_the_search_without_filters(client, walk):
    html = client.get("/directory/", {"near": "RG1", "q": "walk", "day": "FR"}).content.decode()
    assert "No groups within 3 miles of RG1" in text_of(html)
    assert "?near=RG1&q=walk" in links(html)
    again = client.get("/directory/?near=RG1&q=walk")
    assert [r.service.name for r in again.context["page"].results] == ["Thames walk"]


def test_back_to_search_returns_to_the_same_search_and_carries_nothing_else(client, walk):
    html = client.get("/directory/", {"near": "RG1", "radius": "5", "q": "walk", "next": "https://evil.example/"})
    service_link = next(
        href for href in links(html.content.decode()) if href.startswith(f"/directory/services/{walk.id}/")
    )
    assert service_link == f"/directory/services/{walk.id}/?near=RG1&radius=5&q=walk"
    page = client.get(service_link).content.decode()
    back = re.search(r'<a href="([^"]*)" class="back-link">Back to search</a>', page)
    assert back and unescape(back.group(1)) == "/directory/?near=RG1&radius=5&q=walk"
    # Foreign parameters never make it into the link; odd values stay values of the directory's own.
    odd = client.get(
        f"/directory/services/{walk.id}/",
        {"next": "https://evil.example/", "redirect": "//evil.example", "near": "//evil.example/x"},
    ).content.decode()
    back = re.search(r'<a href="([^"]*)" class="back-link">Back to search</a>', odd)
    assert back and unescape(back.group(1)) == "/directory/?near=%2F%2Fevil.example%2Fx"
    plain = client.get(f"/directory/services/{walk.id}/").content.decode()
    assert '<a href="/directory/" class="back-link">Back to search</a>' in plain


def test_caversham_a_reading_suburb_is_found_as_a_place(client, walk):
    place = geocode("Caversham")
    assert place.kind == "place" and place.district == "RG4"
    assert abs(place.lat - CAVERSHAM[0]) < 0.01 and abs(place.lng - CAVERSHAM[1]) < 0.01
    response = client.get("/directory/", {"near": "caversham", "radius": "3"})
    assert [r.service.name for r in response.context["page"].results] == ["Thames walk"]
    assert "We could not find" not in response.content.decode()


def test_the_source_filter_applies_without_a_place(client):
    feed = FeedSource.objects.create(name="Reading Services Guide", url="https://feed.example/oruk")
    from_feed = service_at(*READING, name="Carers coffee morning")
    Service.objects.filter(pk=from_feed.pk).update(source=feed)
    service_at(53.4800, -2.2400, name="Manchester lunch club")
    local = client.get("/directory/", {"source": "local"})
    assert [r.service.name for r in local.context["listing"].results] == ["Manchester lunch club"]
    assert "Your search: added here." in text_of(local.content.decode())
    fed = client.get("/directory/", {"source": str(feed.id)})
    assert [r.service.name for r in fed.context["listing"].results] == ["Carers coffee morning"]


def test_a_listing_without_a_place_runs_the_same_queries_for_1_and_20_results(
    client, walk, django_assert_max_num_queries
):
    with django_assert_max_num_queries(9) as one:
        client.get("/directory/", {"q": "a"})
    for n in range(20):
        service_at(*READING, name=f"Extra {n}", categories=["physical-activity"])
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get("/directory/", {"q": "a"})
    assert len(response.context["listing"].results) == 20 and response.context["listing"].count == 21
