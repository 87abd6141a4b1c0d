"""Re-importing Open Referral UK feeds (issue 13): nothing unchanged is rewritten,
children without ids keep them, accessibility prose does not grow, and two services
sharing one id keep the first."""

import copy
import datetime
import io
import json
import uuid

import pytest
from django.core.management import call_command
from django.urls import reverse

from assets.models import Contact, Location, Organisation, Schedule, Service
from assets.openreferral.mapping import service_full_data
from assets.services import openreferral_import

pytestmark = pytest.mark.django_db

ORG = "6a0f3d2e-1b4c-4d5e-8f90-a1b2c3d4e5f6"
WALKS = "11111111-2222-4333-8444-555555555555"
CAFE = "22222222-3333-4444-8555-666666666666"
HALL = "33333333-4444-4555-8666-777777777777"


def council_record(service_id: str, name: str, **overrides) -> dict:
    """The shape council feeds publish: schedules and contacts without ids, and
    accessibility as one entry per feature plus a sentence."""
    record = {
        "id": service_id,
        "name": name,
        "status": "active",
        "organization": {"id": ORG, "name": "Reading Council"},
        "schedules": [
            {"freq": "WEEKLY", "byday": "TU", "opens_at": "10:00", "closes_at": "11:00"},
            {"freq": "WEEKLY", "byday": "SA", "opens_at": "10:00", "closes_at": "11:00"},
        ],
        "contacts": [{"name": "Sam", "phones": [{"number": "0118 000 0000"}]}],
        "service_at_locations": [
            {
                "location": {
                    "id": HALL,
                    "name": "Caversham Hall",
                    "latitude": 51.46,
                    "longitude": -0.97,
                    "addresses": [{"address_1": "1 Church Road", "postal_code": "RG4 7AA"}],
                    "accessibility": [
                        {"description": "Step-free access"},
                        {"description": "Accessible toilet"},
                        {"description": "Ramp at the side door"},
                    ],
                }
            }
        ],
    }
    return record | overrides


def feed(tmp_path, records, name="feed.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps({"total_items": len(records), "contents": records}))
    return str(path)


def snapshot() -> dict:
    """What a consumer of our feed sees change: last_modified and child ids."""
    return {
        "services": dict(Service.objects.values_list("id", "modified_at")),
        "organisations": dict(Organisation.objects.values_list("id", "modified_at")),
        "locations": dict(Location.objects.values_list("id", "modified_at")),
        "schedules": set(Schedule.objects.values_list("id", "service_id")),
        "contacts": set(Contact.objects.values_list("id", "service_id")),
    }


def test_importing_the_same_feed_twice_rewrites_nothing_and_a_rename_moves_only_that_record(tmp_path):
    records = [
        council_record(WALKS, "Walking for Health", last_modified="2025-10-01T09:00:00Z"),
        council_record(CAFE, "Carers Café"),
    ]
    summary, _ = openreferral_import(source=feed(tmp_path, records))
    assert (summary.created, summary.updated, summary.unchanged, summary.skipped) == (2, 0, 0, 0)
    # The source's own last_modified is kept, not replaced by the time of the import.
    assert Service.objects.get(id=WALKS).modified_at == datetime.datetime(2025, 10, 1, 9, 0, tzinfo=datetime.UTC)
    before = snapshot()

    summary, _ = openreferral_import(source=feed(tmp_path, records))
    assert (summary.created, summary.updated, summary.unchanged, summary.skipped) == (0, 0, 2, 0)
    assert "0 created, 0 updated, 0 skipped, 2 unchanged" in summary.line()
    assert snapshot() == before

    renamed = copy.deepcopy(records)
    renamed[1]["name"] = "Carers Café (Tuesdays)"
    summary, _ = openreferral_import(source=feed(tmp_path, renamed))
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 1)
    after = snapshot()
    assert after["services"][uuid.UUID(WALKS)] == before["services"][uuid.UUID(WALKS)]
    assert after["services"][uuid.UUID(CAFE)] > before["services"][uuid.UUID(CAFE)]
    assert after["organisations"] == before["organisations"] and after["locations"] == before["locations"]
    assert after["schedules"] == before["schedules"] and after["contacts"] == before["contacts"]
    assert Service.objects.get(id=CAFE).name == "Carers Café (Tuesdays)"


def test_children_without_ids_get_the_same_ids_when_their_service_is_rewritten(tmp_path):
    openreferral_import(source=feed(tmp_path, [council_record(WALKS, "Walking for Health")]))
    schedules = set(Schedule.objects.values_list("id", "byday"))
    contacts = set(Contact.objects.values_list("id", flat=True))
    # A new description forces the service and its children to be written again.
    summary, _ = openreferral_import(
        source=feed(tmp_path, [council_record(WALKS, "Walking for Health", description="Now with tea")])
    )
    assert summary.updated == 1
    assert set(Schedule.objects.values_list("id", "byday")) == schedules and len(schedules) == 2
    assert set(Contact.objects.values_list("id", flat=True)) == contacts and len(contacts) == 1


def test_accessibility_text_does_not_grow_over_three_imports(tmp_path, client):
    openreferral_import(source=feed(tmp_path, [council_record(WALKS, "Walking for Health")]))
    for n in range(2):
        # The next harvest reads the record back as our feed publishes it.
        again = service_full_data(Service.objects.get(id=WALKS))
        openreferral_import(source=feed(tmp_path, [again], name=f"again{n}.json"))
    hall = Location.objects.get(id=HALL)
    assert hall.accessibility_description == "Ramp at the side door"
    assert hall.step_free_access and hall.accessible_toilet
    page = client.get(reverse("assets:service", args=[WALKS])).content.decode()
    assert page.count("Ramp at the side door") == 1 and page.count("Step-free access") == 1


def test_two_services_sharing_an_id_keep_the_first_and_say_so(tmp_path):
    records = [council_record(WALKS, "Walking for Health"), council_record(WALKS, "Knit and Natter")]
    out, err = io.StringIO(), io.StringIO()
    call_command("import_openreferral", feed(tmp_path, records), "--no-progress", stdout=out, stderr=err)
    assert "1 created, 0 updated, 1 skipped" in out.getvalue()
    assert f"2 services share id {WALKS}: kept the first" in err.getvalue()
    assert Service.objects.get(id=WALKS).name == "Walking for Health"
