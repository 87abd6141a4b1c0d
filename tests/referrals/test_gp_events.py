"""GP record events (referrals/gp_events.py): each moment's SNOMED CT code is
written when it happens and not before, once, dated the day it happened; the
codes are the committed list (referrals/data/snomed_social_prescribing.csv)."""

import csv
import datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from referrals import gp_events, snomed
from referrals.models import GpRecordEvent, Referral

pytestmark = pytest.mark.django_db

CSV_PATH = Path(settings.BASE_DIR) / "referrals" / "data" / "snomed_social_prescribing.csv"


# Clocks are only ever moved back, between the example's consent (20 Nov 2026) and
# now, so the API tokens (valid 10 minutes from now) still work.


def committed_rows() -> list[dict[str, str]]:
    with CSV_PATH.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


COMMITTED = {row["moment"]: row for row in committed_rows()}
REFERRED = COMMITTED["referred"]["concept_id"]
DECLINED = COMMITTED["declined"]["concept_id"]
DISCHARGED = COMMITTED["discharged"]["concept_id"]
NOT_ATTENDED = COMMITTED["not-attended"]["concept_id"]
SEEN = COMMITTED["seen"]["concept_id"]


def codes(referral_id) -> list[str]:
    return list(
        GpRecordEvent.objects.filter(referral_id=referral_id).order_by("pk").values_list("snomed_code", flat=True)
    )


def move(party, referral_id, to, reason=None, business_status=None):
    response = party.api.post(
        f"/api/v1/referrals/{referral_id}/transition/",
        {"to": to, "reason": reason, "business_status": business_status},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return response.json()


# --- The committed codes ------------------------------------------------------------------------

_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 7, 6, 8, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]


def verhoeff_valid(digits: str) -> bool:
    check = 0
    for i, digit in enumerate(reversed(digits)):
        check = _D[check][_P[i % 8][int(digit)]]
    return check == 0


def test_the_verhoeff_check_catches_a_wrong_digit_and_a_swap():
    assert verhoeff_valid("871731000000106")
    assert not verhoeff_valid("871731000000107")  # last digit wrong
    assert not verhoeff_valid("871371000000106")  # two digits swapped


@pytest.mark.parametrize("moment", sorted(COMMITTED))
def test_each_committed_id_is_a_well_formed_snomed_concept_id(moment):
    concept_id = COMMITTED[moment]["concept_id"]
    assert concept_id.isdigit() and not concept_id.startswith("0")
    assert 6 <= len(concept_id) <= 18
    assert verhoeff_valid(concept_id), f"{concept_id} fails its Verhoeff check digit"
    # The two digits before the check digit: 00 a core concept, 10 an extension
    # concept whose 7-digit namespace comes before them (1000000: the UK's).
    partition = concept_id[-3:-1]
    assert partition in {"00", "10"}, f"{concept_id} is not a concept id (partition {partition})"
    if partition == "10":
        assert len(concept_id) >= 11
        assert concept_id[-10:-3] == "1000000", "a UK edition concept carries the NHS England namespace"


def test_the_code_table_is_exactly_the_committed_list():
    assert {moment: (c.code, c.term) for moment, c in snomed.CONCEPTS.items()} == {
        moment: (row["concept_id"], row["term"]) for moment, row in COMMITTED.items()
    }
    assert set(COMMITTED) <= set(snomed.MOMENTS)
    for row in COMMITTED.values():
        assert row["source"].strip() and datetime.date.fromisoformat(row["accessed"])


def test_the_national_social_prescribing_codes_are_the_referral_and_the_decline():
    assert snomed.CONCEPTS[snomed.REFERRED].code == "871731000000106"
    assert snomed.CONCEPTS[snomed.DECLINED].code == "871711000000103"


def test_the_readme_credits_snomed_ct():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    assert "SNOMED CT" in readme and "SNOMED International" in readme


# --- When each moment is written ---------------------------------------------------------------


def test_making_a_referral_writes_referral_made_dated_the_day_it_is_requested(make_referral):
    with time_machine.travel(datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC), tick=False):
        referral_id = make_referral()["id"]
    [event] = GpRecordEvent.objects.filter(referral_id=referral_id)
    assert (event.snomed_code, event.occurred_on) == (REFERRED, datetime.date(2026, 11, 23))
    assert event.display == COMMITTED["referred"]["term"]


def test_a_draft_writes_nothing_until_it_is_requested(surgery, make_referral):
    with time_machine.travel(datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC), tick=False):
        referral_id = make_referral(status="draft")["id"]
    assert codes(referral_id) == []
    with time_machine.travel(datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.UTC), tick=False):
        move(surgery, referral_id, "requested")
    assert list(GpRecordEvent.objects.filter(referral_id=referral_id).values_list("snomed_code", "occurred_on")) == [
        (REFERRED, datetime.date(2026, 11, 24))
    ]


def test_accepting_writes_nothing_new(greenfingers, make_referral):
    referral_id = make_referral()["id"]
    move(greenfingers, referral_id, "accepted", business_status="contact-attempted")
    assert codes(referral_id) == [REFERRED]


def test_the_service_rejecting_a_referral_writes_no_decline(greenfingers, make_referral):
    referral_id = make_referral()["id"]
    move(greenfingers, referral_id, "rejected", reason="The group is full until spring")
    assert codes(referral_id) == [REFERRED]


def test_a_rejection_because_the_person_declined_writes_declined(greenfingers, make_referral):
    referral_id = make_referral()["id"]
    with time_machine.travel(datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC), tick=False):
        move(greenfingers, referral_id, "rejected", reason="Said no on the phone", business_status="person-declined")
    assert codes(referral_id) == [REFERRED, DECLINED]
    assert GpRecordEvent.objects.get(referral_id=referral_id, snomed_code=DECLINED).occurred_on == datetime.date(
        2026, 11, 30
    )


def test_the_referrer_cancelling_because_the_person_declined_writes_declined(surgery, make_referral):
    referral_id = make_referral()["id"]
    move(surgery, referral_id, "cancelled", reason="Changed their mind", business_status="person-declined")
    assert codes(referral_id) == [REFERRED, DECLINED]


def test_the_referrer_cancelling_for_another_reason_writes_nothing_more(surgery, make_referral):
    referral_id = make_referral()["id"]
    move(surgery, referral_id, "cancelled", reason="Sent to the wrong group")
    assert codes(referral_id) == [REFERRED]


def test_completing_writes_discharged_once(greenfingers, make_referral):
    referral_id = make_referral()["id"]
    move(greenfingers, referral_id, "accepted")
    move(greenfingers, referral_id, "in-progress", business_status="first-session-attended")
    assert codes(referral_id) == [REFERRED, SEEN]
    with time_machine.travel(datetime.datetime(2026, 11, 27, 12, 0, tzinfo=datetime.UTC), tick=False):
        move(greenfingers, referral_id, "completed")
    assert codes(referral_id) == [REFERRED, SEEN, DISCHARGED]
    assert GpRecordEvent.objects.get(referral_id=referral_id, snomed_code=DISCHARGED).occurred_on == datetime.date(
        2026, 11, 27
    )


def test_failing_after_the_person_did_not_attend_writes_discharged(greenfingers, make_referral):
    referral_id = make_referral()["id"]
    move(greenfingers, referral_id, "accepted")
    move(greenfingers, referral_id, "accepted", business_status="did-not-attend")
    assert codes(referral_id) == [REFERRED, NOT_ATTENDED]
    move(greenfingers, referral_id, "failed", reason="Did not come to three sessions", business_status="did-not-attend")
    assert codes(referral_id) == [REFERRED, NOT_ATTENDED, DISCHARGED]


def test_the_person_declining_after_starting_writes_declined_not_discharged(greenfingers, make_referral):
    referral_id = make_referral()["id"]
    move(greenfingers, referral_id, "accepted")
    move(greenfingers, referral_id, "failed", reason="Decided not to go", business_status="person-declined")
    assert codes(referral_id) == [REFERRED, DECLINED]


def test_a_moment_is_written_once_and_keeps_its_first_date(greenfingers, make_referral):
    referral_id = make_referral()["id"]
    move(greenfingers, referral_id, "accepted")
    with time_machine.travel(datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC), tick=False):
        move(greenfingers, referral_id, "accepted", business_status="person-declined")
    with time_machine.travel(datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC), tick=False):
        move(greenfingers, referral_id, "accepted", business_status="contacted")
        move(greenfingers, referral_id, "accepted", business_status="person-declined")
    declined = GpRecordEvent.objects.filter(referral_id=referral_id, snomed_code=DECLINED)
    assert [event.occurred_on for event in declined] == [datetime.date(2026, 11, 25)]


def test_every_moment_has_a_concept(make_referral):
    referral = Referral.objects.get(pk=make_referral()["id"])
    assert set(snomed.CONCEPTS) == set(snomed.MOMENTS)
    assert gp_events.record_moment(referral, snomed.SEEN).snomed_code == SEEN
    assert codes(referral.pk) == [REFERRED, SEEN]


def test_record_moment_returns_the_existing_event_the_second_time(make_referral):
    referral = Referral.objects.get(pk=make_referral()["id"])
    first = gp_events.record_moment(referral, snomed.DISCHARGED, on=timezone.localdate())
    again = gp_events.record_moment(referral, snomed.DISCHARGED, on=datetime.date(2030, 1, 1))
    assert first is not None and again is not None and first.pk == again.pk
    assert again.occurred_on == timezone.localdate()
    assert codes(referral.pk) == [REFERRED, DISCHARGED]
