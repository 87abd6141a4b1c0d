"""import_openreferral / export_openreferral: 3.0 and v1, idempotent, bad records skipped whole."""

import io
import json
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from assets.models import (
    Location,
    Organisation,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    TaxonomyTerm,
    stable_uuid,
)
from assets.openreferral.report import RecordError
from assets.selectors import asset_search
from assets.services import openreferral_import, service_import_record

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).parent / "samples"
V3 = str(SAMPLES / "oruk3_services.json")
V1 = str(SAMPLES / "oruk_v1_services.json")


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_openreferral", *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_an_oruk_3_file_imports_good_records_and_reports_the_bad_one():
    out, err = run(V3)
    assert "2 created, 0 updated, 1 skipped" in out
    assert "3d0f5a6b-9c8e-4f70-b2c3-d4e5f6a7b8c9" in err and "status 'sometimes'" in err
    walk = Service.objects.get(id="0b7d3c4e-6a51-4c1e-9d1f-3f7d7d0c2a11")
    assert walk.organisation.name == "Reading Walks" and walk.is_free and walk.minimum_age == 16
    assert str(walk.last_reviewed) == "2025-11-02"
    assert list(walk.schedules.values_list("byday", flat=True)) == ["TU,SA"]
    assert list(walk.service_areas.values_list("postcode_prefix", flat=True)) == ["RG"]
    location = Location.objects.get(id="d4b1e7f3-2f5c-4d9b-8a6f-3e8c9b0d1f22")
    assert location.step_free_access and location.accessible_toilet and not location.hearing_loop
    assert location.postcode == "RG4 8BY"
    assert [t.slug for t in walk.taxonomy_terms.all()] == ["physical-activity"]  # matched the seeded term
    cafe = Service.objects.get(name="Online Carers Café")
    assert not cafe.is_free and cafe.cost_description == "£2 a session"
    assert TaxonomyTerm.objects.filter(name="Carer breaks", taxonomy__slug="imported").exists()
    assert not Service.objects.filter(name="Broken record").exists()


def test_importing_twice_updates_and_never_duplicates():
    run(V3)
    Service.objects.filter(name="Caversham Walking for Health").update(name="Edited locally")
    out, _ = run(V3)
    assert "0 created, 1 updated, 1 skipped, 1 unchanged" in out  # only the edited one is rewritten
    assert Service.objects.count() == 2 and Organisation.objects.count() == 1
    assert Schedule.objects.count() == 1 and ServiceAtLocation.objects.count() == 2
    assert Service.objects.filter(name="Caversham Walking for Health").exists()


def test_an_oruk_v1_file_imports_with_stable_ids():
    out, err = run(V1)
    assert "2 created, 0 updated, 1 skipped" in out
    assert "1003" in err and "latitude 200 is out of range" in err
    lunch = Service.objects.get(id=stable_uuid("oruk-service", "1001"))
    assert lunch.minimum_age == 60 and lunch.eligibility_description == "older people"
    assert not lunch.is_free and "3.50" in lunch.cost_description
    assert lunch.schedules.get().byday == "WE"
    location = lunch.service_at_locations.get().location
    assert location.step_free_access and location.hearing_loop and location.postcode == "E8 2LG"
    assert lunch.contacts.get().phone == "020 0000 0000"
    assert [t.name for t in lunch.taxonomy_terms.all()] == ["Food"]
    run(V1)
    assert Service.objects.count() == 2 and Location.objects.count() == 2
    assert not Location.objects.filter(name="Nowhere").exists()  # the bad record left nothing behind


def test_imported_services_are_found_by_search():
    run(V1)
    assert [r.service.name for r in asset_search(near="E8").results] == ["Hackney Lunch Club", "Dalston Men's Shed"]


def test_modified_after_leaves_older_records_alone():
    out, _ = run(V3, "--modified-after", "2026-01-01")
    # The walk says it last changed in 2025; records that do not say are imported.
    assert "1 created, 0 updated, 1 skipped, 1 not modified since" in out
    assert not Service.objects.filter(name="Caversham Walking for Health").exists()
    with pytest.raises(CommandError):
        run(V3, "--modified-after", "last tuesday")


def test_a_missing_or_broken_file_is_a_plain_error(tmp_path):
    with pytest.raises(CommandError, match="There is no file"):
        run(str(tmp_path / "nope.json"))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CommandError, match="is not JSON"):
        run(str(broken))


def test_a_feed_url_is_paged_and_each_service_fetched_in_full():
    full = json.loads(Path(V3).read_text())["contents"][0]
    pages = {
        "https://feed.example/openreferral/services?page=1&per_page=50": {
            "total_items": 2,
            "page_number": 1,
            "last_page": False,
            "contents": [{"id": full["id"], "name": "x", "status": "active"}],
        },
        "https://feed.example/openreferral/services?page=2&per_page=50": {
            "total_items": 2,
            "page_number": 2,
            "last_page": True,
            "contents": [{"id": "2c9e4f5a-8b7d-4e6f-a1b2-c3d4e5f6a7b8"}],
        },
        f"https://feed.example/openreferral/services/{full['id']}": full,
    }

    def fake_get(url, **kwargs):
        assert kwargs["timeout"] == (3, 10)
        response = mock.Mock(status_code=200 if url in pages else 404)
        response.raise_for_status.side_effect = None if url in pages else __import__("requests").HTTPError("404")
        response.raw.read.return_value = json.dumps(pages.get(url, {})).encode()
        return response

    session = mock.Mock(get=mock.Mock(side_effect=fake_get))
    summary, total = openreferral_import(source="https://feed.example/openreferral/", session=session)
    assert (summary.created, summary.skipped, total) == (1, 1, 2)
    assert "HTTPError" in summary.errors[0][1]


def test_export_writes_one_full_service_per_line(tmp_path):
    run(V3)
    target = tmp_path / "feed.ndjson"
    call_command("export_openreferral", "--output", str(target), stderr=io.StringIO())
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert {line["name"] for line in lines} == {"Caversham Walking for Health", "Online Carers Café"}
    Service.objects.all().delete()
    Location.objects.all().delete()
    run(str(target))  # the export is itself importable
    assert Service.objects.count() == 2 and ServiceArea.objects.get().postcode_prefix == "RG"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
record_keys = st.sampled_from(
    [
        "id",
        "name",
        "status",
        "organization",
        "service_at_locations",
        "schedules",
        "minimum_age",
        "attributes",
        "cost_options",
        "contacts",
        "regular_schedules",
        "eligibilitys",
        "service_areas",
    ]
)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(record_keys, json_values, max_size=8))
def test_any_record_is_imported_or_refused_with_a_reason(record):
    from django.db import transaction

    try:
        with transaction.atomic():
            service_import_record(record)
    except RecordError as error:
        assert error.reason


def oruk_record(n: int, **overrides) -> dict:
    """A small, complete ORUK 3.0 service; ids are stable for the same n."""
    ids = [str(stable_uuid("test-record", f"{n}:{k}")) for k in range(6)]
    record = {
        "id": ids[0],
        "name": f"Group {n}",
        "status": "active",
        "organization": {"id": str(stable_uuid("test-org", str(n % 3))), "name": f"Org {n % 3}"},
        "schedules": [{"id": ids[1], "freq": "WEEKLY", "byday": "WE"}],
        "service_areas": [{"id": ids[2], "extent": "RG1"}],
        "contacts": [{"id": ids[3], "name": "Sam", "phones": [{"number": "0118 000 0000"}]}],
        "service_at_locations": [
            {
                "id": ids[4],
                "location": {
                    "id": ids[5],
                    "name": f"Hall {n}",
                    "latitude": 51.45 + n / 10_000,
                    "longitude": -0.97,
                    "addresses": [{"address_1": "1 High Street", "postal_code": "RG1 1AA"}],
                },
            }
        ],
        "attributes": [{"link_type": "category", "taxonomy_term": {"name": "Food", "code": "food"}}],
    }
    return record | overrides


def write_ndjson(path, records) -> str:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return str(path)


def test_a_big_file_is_written_in_chunks_with_few_queries_and_every_record_counted(tmp_path, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(sys.modules["assets.openreferral.importer"], "CHUNK_SIZE", 10)
    records = [oruk_record(n) for n in range(25)]
    records[13]["service_at_locations"][0]["location"]["latitude"] = 123  # bad: skipped alone
    source = write_ndjson(tmp_path / "feed.ndjson", records)
    progress = []
    with CaptureQueriesContext(connection) as queries:
        summary, total = openreferral_import(source=source, on_record=lambda s: progress.append(s.created))
    assert (summary.created, summary.updated, summary.skipped, total) == (24, 0, 1, 25)
    assert summary.errors == [(records[13]["id"], "latitude 123 is out of range")]
    assert len(progress) == 25 and progress[-1] == 24
    # Three chunks of a fixed number of queries each; one query per table per record would be 300+.
    assert len(queries) < 70
    assert Service.objects.count() == 24 and Location.objects.count() == 24 and ServiceArea.objects.count() == 24
    assert not Service.objects.filter(id=records[13]["id"]).exists()
    assert not Location.objects.filter(name="Hall 13").exists()
    assert set(Service.objects.values_list("taxonomy_terms__slug", flat=True)) == {"food"}
    assert asset_search(lat=51.45, lng=-0.97, radius_km=1, category="food").count == 24

    records[13]["service_at_locations"][0]["location"]["latitude"] = 51.4513
    records[2]["name"] = "Renamed group"
    records[2]["schedules"] = []
    summary, _ = openreferral_import(source=write_ndjson(tmp_path / "feed.ndjson", records))
    assert (summary.created, summary.updated, summary.skipped, summary.unchanged) == (1, 1, 0, 23)
    assert Service.objects.count() == 25 and Schedule.objects.count() == 24 and Location.objects.count() == 25
    renamed = Service.objects.get(id=records[2]["id"])
    assert renamed.name == "Renamed group" and not renamed.schedules.exists()


def test_the_same_service_twice_in_one_file_keeps_the_first_and_reports_the_second(tmp_path):
    first = oruk_record(1)
    second = oruk_record(1, name="Second version", schedules=[])
    summary, _ = openreferral_import(source=write_ndjson(tmp_path / "feed.ndjson", [first, oruk_record(2), second]))
    assert (summary.created, summary.updated, summary.skipped) == (2, 0, 1)
    assert summary.errors == [(first["id"], f"2 services share id {first['id']}: kept the first")]
    service = Service.objects.get(id=first["id"])
    assert service.name != "Second version" and service.schedules.exists()
    assert ServiceAtLocation.objects.filter(service=service).count() == 1


def test_a_record_the_database_refuses_is_skipped_alone_and_its_chunk_neighbours_kept(tmp_path):
    # "Tea" imported once gets an id derived from its name; a later feed calling the same
    # name by another code would create a second term with that id, which the database refuses.
    openreferral_import(
        source=write_ndjson(
            tmp_path / "first.ndjson",
            [
                oruk_record(1, attributes=[{"taxonomy_term": {"name": "Tea"}}]),
            ],
        )
    )
    clash = oruk_record(3, attributes=[{"taxonomy_term": {"name": "Tea", "code": "hot-drinks"}}])
    summary, _ = openreferral_import(
        source=write_ndjson(tmp_path / "second.ndjson", [oruk_record(2), clash, oruk_record(4)])
    )
    assert (summary.created, summary.updated, summary.skipped) == (2, 0, 1)
    assert summary.errors == [(clash["id"], "the database refused it (IntegrityError)")]
    assert not Service.objects.filter(id=clash["id"]).exists()
    assert (
        not Location.objects.filter(name="Hall 3").exists()
        and not Schedule.objects.filter(service_id=clash["id"]).exists()
    )
    assert not TaxonomyTerm.objects.filter(slug="hot-drinks").exists()
    assert Service.objects.filter(name__in=["Group 2", "Group 4"]).count() == 2


def test_a_record_naming_an_unknown_organisation_by_id_is_skipped(tmp_path):
    known = oruk_record(1)
    by_id = oruk_record(2, organization=None, organization_id=known["organization"]["id"])
    unknown = oruk_record(3, organization=None, organization_id="no-such-organisation")
    summary, _ = openreferral_import(source=write_ndjson(tmp_path / "feed.ndjson", [known, by_id, unknown]))
    assert (summary.created, summary.skipped) == (2, 1)
    assert summary.errors[0][0] == unknown["id"] and "is not in this feed or the directory" in summary.errors[0][1]
    assert Service.objects.get(id=by_id["id"]).organisation_id == Service.objects.get(id=known["id"]).organisation_id
