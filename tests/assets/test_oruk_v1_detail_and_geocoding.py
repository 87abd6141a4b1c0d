"""Open Referral UK as councils really publish it (issue 13): v1 feeds read by URL get
each service's detail, places with only a postcode are put on the map through the
geocoder, and a big source's report stays bounded. Feeds are stand-in sessions, or a
server the test runs on 127.0.0.1: nothing is fetched from anywhere else."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import pytest
import requests
import urllib3

from assets.models import Location, PlacedBy, Schedule, Service, stable_uuid
from assets.openreferral import fetch
from assets.openreferral.report import MAX_LISTED, ImportSummary, SourceError
from assets.selectors import asset_search
from assets.services import openreferral_import
from core.models import PostcodePoint
from core.netguard import GuardedSession
from core.places.geocoding import _tables, geocode_postcodes

pytestmark = pytest.mark.django_db

BASE = "https://council.example/api"
# A unit postcode the test database knows exactly, one only its district is known for,
# and one nobody can place (ZZ99 is no district).
EXACT, EXACT_POINT = "RG1 7QE", (51.45329, -0.97356)
DISTRICT_ONLY = "E8 9ZZ"
NOWHERE = "ZZ99 9ZZ"


def v1_detail(service_id: str, *, name: str, postcode: str, **extra) -> dict:
    """A v1 service as /services/{id} gives it: children included, no coordinates."""
    return {
        "id": service_id,
        "name": name,
        "description": "<p>Tea &amp; a <strong>chat</strong></p><ul><li>Games</li></ul>",
        "status": "active",
        "organization": {"id": "org-1", "name": "Reading Neighbours"},
        "regular_schedules": [{"id": f"rs-{service_id}", "weekday": "Wednesday", "opens_at": "10:00"}],
        "service_taxonomys": [{"id": f"st-{service_id}", "taxonomy": {"id": "tx-1", "name": "Befriending"}}],
        "service_at_locations": [
            {
                "id": f"sal-{service_id}",
                "location": {
                    "id": f"loc-{service_id}",
                    "name": f"{name} hall",
                    "physical_addresses": [
                        {"id": f"pa-{service_id}", "address_1": "1 Kings Road", "postal_code": postcode}
                    ],
                },
            }
        ],
        **extra,
    }


def summary_of(detail: dict) -> dict:
    """What a v1 list page gives for a service: its own fields, none of its children."""
    return {key: detail[key] for key in ("id", "name", "description", "status")}


class StandInFeed:
    """A stand-in for the feed session: answers the URLs it knows, 404 for the rest,
    and notes every URL asked for."""

    def __init__(self, details: list[dict], *, listed: list[dict] | None = None, missing: tuple[str, ...] = ()):
        listed = listed if listed is not None else [summary_of(d) for d in details]
        self.pages = {
            f"{BASE}/services?page=1&per_page=50": {
                "totalElements": len(listed),
                "totalPages": 1,
                "number": 1,
                "size": 50,
                "first": True,
                "last": True,
                "content": listed,
            }
        }
        self.pages |= {f"{BASE}/services/{d['id']}": d for d in details if d["id"] not in missing}
        self.asked: list[str] = []
        self.lock = threading.Lock()

    def get(self, url, **kwargs):
        assert kwargs["timeout"] == (3, 10)
        with self.lock:
            self.asked.append(url)
        response = mock.Mock(status_code=200 if url in self.pages else 404)
        response.raise_for_status.side_effect = None if url in self.pages else requests.HTTPError("404")
        response.raw.read.return_value = json.dumps(self.pages.get(url, {})).encode()
        return response


def import_feed(feed: StandInFeed) -> ImportSummary:
    summary, _ = openreferral_import(source=f"{BASE}/", session=feed)
    return summary


@pytest.fixture
def exact_postcode(db):
    return PostcodePoint.objects.create(postcode=EXACT, latitude=EXACT_POINT[0], longitude=EXACT_POINT[1])


def test_a_v1_feed_by_url_gets_each_services_detail_and_shows_it(client, exact_postcode):
    lunch = v1_detail("101", name="Lunch club", postcode=EXACT)
    feed = StandInFeed([lunch])
    summary = import_feed(feed)
    assert (summary.created, summary.skipped, summary.version) == (1, 0, "1.0")
    assert f"{BASE}/services/101" in feed.asked
    service = Service.objects.get(id=stable_uuid("oruk-service", "101"))
    assert service.description == "Tea & a chat\n\n• Games"
    assert [s.byday for s in Schedule.objects.filter(service=service)] == ["WE"]
    assert [t.name for t in service.taxonomy_terms.all()] == ["Befriending"]
    location = service.service_at_locations.get().location
    assert (location.name, location.postcode) == ("Lunch club hall", EXACT)
    page = client.get(f"/directory/services/{service.id}/").content.decode()
    assert "Lunch club hall" in page and "1 Kings Road" in page
    assert "Wednesday" in page and "Befriending" in page and "Games" in page


def test_a_v1_list_item_that_carries_its_children_is_not_fetched_again(exact_postcode):
    full = v1_detail("102", name="Walking group", postcode=EXACT)
    feed = StandInFeed([full], listed=[full], missing=("102",))
    summary = import_feed(feed)
    assert (summary.created, summary.skipped) == (1, 0)
    assert feed.asked == [f"{BASE}/services?page=1&per_page=50"]


def test_a_failed_detail_fetch_skips_only_that_service_and_keeps_what_was_stored(exact_postcode):
    lunch = v1_detail("101", name="Lunch club", postcode=EXACT)
    shed = v1_detail("103", name="Men's shed", postcode=EXACT)
    assert import_feed(StandInFeed([lunch, shed])).created == 2
    summary = import_feed(StandInFeed([lunch, shed], missing=("103",)))
    assert (summary.unchanged, summary.skipped) == (1, 1)
    record_id, reason = summary.errors[0]
    assert record_id == "103" and f"{BASE}/services/103" in reason and "HTTPError" in reason
    # The summary alone would have wiped its place, times and category: it is left as it was.
    stored = Service.objects.get(id=stable_uuid("oruk-service", "103"))
    assert stored.service_at_locations.count() == 1 and stored.schedules.count() == 1
    assert stored.taxonomy_terms.count() == 1


def test_details_are_fetched_a_few_at_a_time_and_read_in_feed_order(exact_postcode):
    first = v1_detail("201", name="First", postcode=EXACT)
    second = v1_detail("202", name="Second", postcode=EXACT)
    # Both details name the same service: the importer keeps the first it reads.
    first["id"] = second["id"] = "shared"
    feed = StandInFeed([], listed=[{"id": "201", "name": "x"}, {"id": "202", "name": "y"}])
    feed.pages |= {f"{BASE}/services/201": first, f"{BASE}/services/202": second}
    second_asked = threading.Event()
    plain_get = feed.get

    def get(url, **kwargs):
        if url.endswith("/202"):
            second_asked.set()
        elif url.endswith("/201"):
            # The first detail answers only once the second has been asked for: with one
            # fetch at a time this would wait in vain.
            assert second_asked.wait(timeout=10)
        return plain_get(url, **kwargs)

    feed.get = get
    summary = import_feed(feed)
    assert (summary.created, summary.skipped) == (1, 1)
    assert Service.objects.get(id=stable_uuid("oruk-service", "shared")).name == "First"


def test_places_with_only_a_postcode_are_put_on_the_map_and_the_rest_reported(exact_postcode):
    details = [
        v1_detail("301", name="Exact", postcode=EXACT),
        v1_detail("302", name="District", postcode=DISTRICT_ONLY),
        v1_detail("303", name="Nowhere", postcode=NOWHERE),
    ]
    given = v1_detail("304", name="Given", postcode=EXACT)
    given["service_at_locations"][0]["location"] |= {"latitude": 51.5, "longitude": -0.1}
    summary = import_feed(StandInFeed([*details, given]))
    assert (summary.created, summary.skipped, summary.unplaced) == (4, 0, 1)

    def place(name):
        return Location.objects.get(name=f"{name} hall")

    exact = place("Exact")
    assert (exact.latitude, exact.longitude, exact.placed_by) == (*EXACT_POINT, PlacedBy.POSTCODE)
    district = place("District")
    assert (district.latitude, district.longitude) == _tables().outcodes["E8"]
    assert district.placed_by == PlacedBy.DISTRICT
    nowhere = place("Nowhere")
    assert nowhere.latitude is None and nowhere.longitude is None and nowhere.placed_by == PlacedBy.GIVEN
    assert Service.objects.filter(name="Nowhere").exists()  # kept, only not on the map
    assert (place("Given").latitude, place("Given").placed_by) == (51.5, PlacedBy.GIVEN)
    assert [(record_id, NOWHERE in warning) for record_id, warning in summary.warnings] == [("303", True)]
    assert "1 place could not be found from its postcode" in summary.line()

    near = asset_search(lat=EXACT_POINT[0], lng=EXACT_POINT[1], radius_km=1)
    assert [result.service.name for result in near.results] == ["Exact"]
    assert [r.service.name for r in asset_search(near="E8", radius_km=1).results] == ["District"]


def test_reimporting_the_same_feed_changes_nothing(exact_postcode):
    details = [
        v1_detail("401", name="Exact", postcode=EXACT),
        v1_detail("402", name="District", postcode=DISTRICT_ONLY),
        v1_detail("403", name="Nowhere", postcode=NOWHERE),
    ]
    import_feed(StandInFeed(details))
    before = {
        "services": dict(Service.objects.values_list("id", "modified_at")),
        "locations": dict(Location.objects.values_list("id", "modified_at")),
        "schedules": set(Schedule.objects.values_list("id", flat=True)),
    }
    summary = import_feed(StandInFeed(details))
    assert (summary.created, summary.updated, summary.unchanged, summary.skipped) == (0, 0, 3, 0)
    assert summary.unplaced == 1
    assert before == {
        "services": dict(Service.objects.values_list("id", "modified_at")),
        "locations": dict(Location.objects.values_list("id", "modified_at")),
        "schedules": set(Schedule.objects.values_list("id", flat=True)),
    }


def test_the_batch_geocoder_answers_as_the_one_geocoder_does(exact_postcode):
    found = geocode_postcodes([EXACT, "rg17qe", DISTRICT_ONLY, "E8", NOWHERE, "not a postcode", ""])
    assert found[EXACT].point == EXACT_POINT and found[EXACT].kind == "postcode"
    assert found["rg17qe"] == found[EXACT]
    assert found[DISTRICT_ONLY].kind == found["E8"].kind == "district"
    assert found[DISTRICT_ONLY].point == found["E8"].point == _tables().outcodes["E8"]
    assert found[NOWHERE] is None and found["not a postcode"] is None and found[""] is None


def test_a_huge_source_keeps_only_the_first_thousand_errors_and_counts_the_rest(tmp_path):
    path = tmp_path / "feed.ndjson"
    with path.open("w") as handle:
        for n in range(MAX_LISTED + 5):
            handle.write(json.dumps({"id": f"bad-{n}", "name": "No organisation"}) + "\n")
        handle.write("{not json\n")
    summary, total = openreferral_import(source=str(path))
    assert total == MAX_LISTED + 6
    assert summary.skipped == MAX_LISTED + 6
    assert len(summary.errors) == MAX_LISTED and summary.errors_left_off == 6
    assert summary.errors[0] == ("bad-0", "organization is missing")
    assert "the first 1,000 reasons for skipping are listed, 6 more are not" in summary.line()
    assert Service.objects.count() == 0


def test_a_line_of_ndjson_that_is_not_json_is_reported_by_its_number(tmp_path):
    path = tmp_path / "feed.ndjson"
    good = v1_detail("501", name="Lunch club", postcode=DISTRICT_ONLY)
    path.write_text(json.dumps(good) + "\n" + '{"id": "broken",\n' + json.dumps(good | {"id": "502"}) + "\n")
    summary, total = openreferral_import(source=str(path))
    assert (summary.created, summary.skipped, total, summary.version) == (2, 1, 3, "1.0")
    assert summary.errors[0][0] == "line 2" and "not JSON" in summary.errors[0][1]


@pytest.fixture
def keep_alive_server():
    """A feed on 127.0.0.1 that keeps connections open and notes each one's client port."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = -1

        def do_GET(self):
            self.server.client_ports.append(self.client_address[1])
            body = json.dumps({"id": "1"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.client_ports = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_feed_session_reuses_its_connection_but_checks_every_request(monkeypatch, keep_alive_server):
    monkeypatch.setattr("core.netguard.ALLOW_LOOPBACK_FOR_TESTS", True)
    port = keep_alive_server.server_port
    session = GuardedSession(schemes=("http",), ports=(port,), keep_alive=True)
    for n in range(5):
        assert fetch._get_json(session, f"http://127.0.0.1:{port}/services/{n}") == {"id": "1"}
    ports = keep_alive_server.client_ports
    assert len(ports) == 5 and len(set(ports)) == 1  # one connection for all five
    # The kept connection is no way round the guard: the address is checked again.
    monkeypatch.setattr("core.netguard.ALLOW_LOOPBACK_FOR_TESTS", False)
    with pytest.raises(SourceError, match="local or private network"):
        fetch._get_json(session, f"http://127.0.0.1:{port}/services/6")
    assert len(keep_alive_server.client_ports) == 5


def test_a_place_found_exactly_later_is_moved_to_its_postcode_on_the_next_import(exact_postcode):
    details = [v1_detail("601", name="District", postcode=DISTRICT_ONLY)]
    import_feed(StandInFeed(details))
    assert Location.objects.get().placed_by == PlacedBy.DISTRICT
    PostcodePoint.objects.create(postcode=DISTRICT_ONLY, latitude=51.5461, longitude=-0.0553)
    summary = import_feed(StandInFeed(details))
    assert (summary.updated, summary.unchanged) == (1, 0)
    location = Location.objects.get()
    assert (location.latitude, location.longitude, location.placed_by) == (51.5461, -0.0553, PlacedBy.POSTCODE)


def test_a_detail_that_times_out_half_way_skips_only_that_service(exact_postcode):
    feed = StandInFeed([v1_detail("701", name="Slow", postcode=EXACT), v1_detail("702", name="Quick", postcode=EXACT)])
    plain_get = feed.get

    def get(url, **kwargs):
        response = plain_get(url, **kwargs)
        if url.endswith("/701"):
            response.raw.read.side_effect = urllib3.exceptions.ReadTimeoutError(None, url, "read timed out")
        return response

    feed.get = get
    summary = import_feed(feed)
    assert (summary.created, summary.skipped) == (1, 1)
    assert summary.errors[0][0] == "701" and "ReadTimeoutError" in summary.errors[0][1]
    assert Service.objects.get().name == "Quick"
