"""Shapes seen in real council ORUK feeds (issue 13): each once refused or mangled a
service. Fixtures are small dicts reproducing those shapes; nothing is fetched."""

import datetime
import json

import pytest

from assets.models import Schedule, Service
from assets.openreferral import clean
from assets.openreferral.prepare import prepare_record
from assets.selectors import asset_search
from assets.services import openreferral_import

pytestmark = pytest.mark.django_db

SERVICE_ID = "5b0c6a7e-1d2f-4e3a-9b8c-7d6e5f4a3b21"


def oruk(**overrides) -> dict:
    """An ORUK 3.0 service like Open Place Directory / Outpost publish."""
    record = {
        "id": SERVICE_ID,
        "name": "Drug and alcohol support",
        "status": "active",
        "organization": {"id": "6c1d7b8f-2e3a-4f4b-8c9d-8e7f6a5b4c32", "name": "Council"},
        "service_at_locations": [
            {
                "id": "7d2e8c9a-3f4b-4a5c-9d0e-9f8a7b6c5d43",
                "location": {
                    "id": "8e3f9dab-4a5c-4b6d-8e1f-a09b8c7d6e54",
                    "name": "Hub",
                    "latitude": 51.45,
                    "longitude": -0.97,
                    "addresses": [{"address_1": "1 High St", "postal_code": "RG1 1AA"}],
                },
            }
        ],
        "cost_options": [{"amount": 0, "option": "Free"}],
    }
    return record | overrides


def import_records(tmp_path, *records):
    path = tmp_path / "feed.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    summary, _ = openreferral_import(source=str(path))
    return summary


def test_minus_one_ages_mean_no_limit(tmp_path):
    summary = import_records(tmp_path, oruk(minimum_age=-1, maximum_age=-1))
    assert (summary.created, summary.skipped) == (1, 0)
    service = Service.objects.get(id=SERVICE_ID)
    assert service.minimum_age is None and service.maximum_age is None


def test_last_modified_without_a_time_zone_is_read_as_utc(tmp_path):
    assert clean.modified_at({"last_modified": "2024-03-01T10:00:00"}) == datetime.datetime(
        2024, 3, 1, 10, tzinfo=datetime.UTC
    )
    assert clean.modified_at({"last_modified": "2024-03-01"}) == datetime.datetime(2024, 3, 1, tzinfo=datetime.UTC)
    path = tmp_path / "feed.ndjson"
    path.write_text(json.dumps(oruk(last_modified="2024-03-01T10:00:00")) + "\n")
    since = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    summary, _ = openreferral_import(source=str(path), modified_after=since)
    assert (summary.created, summary.unchanged) == (0, 1)


def test_saying_nothing_about_cost_is_unknown_not_free(tmp_path, client):
    unknown = oruk(cost_options=[], fees="")
    stated = oruk(id="9f4a0ebc-5b6d-4c7e-9f2a-b1ac9d8e7f65", name="Lunch club", cost_options=[], fees="Free")
    stated["service_at_locations"] = [{"location": {**unknown["service_at_locations"][0]["location"]}}]
    summary = import_records(tmp_path, unknown, stated)
    assert (summary.created, summary.skipped) == (2, 0)
    service = Service.objects.get(id=SERVICE_ID)
    assert not service.is_free and service.cost_amount is None and service.cost_description == ""
    assert Service.objects.get(name="Lunch club").is_free
    free_only = asset_search(lat=51.45, lng=-0.97, radius_km=1, free_only=True)
    assert [result.service.name for result in free_only.results] == ["Lunch club"]
    page = client.get(f"/directory/services/{SERVICE_ID}/").content.decode()
    assert "Ask the group about any cost" in page and ">Free<" not in page


def test_a_long_url_or_description_is_cleaned_and_the_service_kept(tmp_path):
    long_url = "https://www.example.gov.uk/directory/" + "a" * 296  # 333 characters, valid
    image = "<img src='data:image/png;base64," + "A" * 30_000 + "'>"
    long_text = "word " * 5_000  # 25,000 characters once the image is gone
    prepared = prepare_record(oruk(url=long_url, description=f"<p>Intro</p>{image}<p>{long_text}</p>"))
    assert prepared.service.url == ""
    assert len(prepared.service.description) <= 20_000 and prepared.service.description.endswith("word…")
    assert "base64" not in prepared.service.description
    assert any(w.startswith("url ") for w in prepared.warnings)
    assert any(w.startswith("description ") for w in prepared.warnings)
    summary = import_records(tmp_path, oruk(url=long_url, description=long_text))
    assert (summary.created, summary.skipped) == (1, 0)
    # The import's report says what was changed in the service it kept.
    assert [w for _id, w in summary.warnings if w.startswith("url ")] and summary.warnings[0][0] == SERVICE_ID
    assert Service.objects.get(id=SERVICE_ID).description.startswith("word word")


def test_html_descriptions_become_plain_paragraphs(tmp_path, client):
    escaped = (
        "&lt;p&gt;Struggling with Drug &amp;amp; Alcohol?&lt;/p&gt;&lt;ul&gt;&lt;li&gt;Advice&lt;/li&gt;"
        "&lt;li&gt;Groups&lt;/li&gt;&lt;/ul&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    )
    import_records(tmp_path, oruk(description=escaped))
    service = Service.objects.get(id=SERVICE_ID)
    assert service.description == "Struggling with Drug & Alcohol?\n\n• Advice\n• Groups"
    assert clean.plain_text("<div>Fish &amp;amp; chips<br>Fridays</div>") == "Fish & chips\nFridays"
    html = client.get(f"/directory/services/{SERVICE_ID}/").content.decode()
    assert "<p>Struggling with Drug &amp; Alcohol?</p>" in html
    assert "&lt;p&gt;" not in html and "alert(1)" not in html


def test_outpost_schedules_are_read_and_an_unreadable_one_dropped(tmp_path):
    schedules = [
        {"id": "0a5b1fcd-6c7e-4d8f-a03b-c2bdae9f8076", "freq": "week", "byday": "TH"},
        {"id": "1b6c20de-7d8f-4e9a-b14c-d3cebfa09187", "freq": "monthly", "byday": ["1mo", "Wednesday"]},
        {"id": "2c7d31ef-8e9a-4fab-825d-e4dfc0b1a298", "freq": "daily"},
        {"id": "3d8e42f0-9fab-40bc-936e-f5e0d1c2b3a9", "freq": "fortnightly", "byday": "TH"},
    ]
    prepared = prepare_record(oruk(schedules=schedules))
    assert prepared.warnings == ["a schedule was left out: schedule freq 'fortnightly' is not weekly, monthly or daily"]
    summary = import_records(tmp_path, oruk(schedules=schedules))
    assert (summary.created, summary.skipped) == (1, 0)
    rows = Schedule.objects.filter(service_id=SERVICE_ID).order_by("id")
    assert [(s.freq, s.byday) for s in rows] == [
        ("WEEKLY", "TH"),
        ("MONTHLY", "1MO,WE"),
        ("WEEKLY", "MO,TU,WE,TH,FR,SA,SU"),
    ]
