"""GET /api/v1/gp-record-events/: the referrer's system pulls the coded events
on the referrals its organisation made, oldest first, with a cursor."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals.models import AccessAction, GpRecordEvent, ReferralAccessLog
from tests.api.conftest import Party

pytestmark = pytest.mark.django_db

URL = "/api/v1/gp-record-events/"
REFERRED, DECLINED, DISCHARGED = "871731000000106", "871711000000103", "58000006"


def move(party, referral_id, to, reason=None, business_status=None):
    response = party.api.post(
        f"/api/v1/referrals/{referral_id}/transition/",
        {"to": to, "reason": reason, "business_status": business_status},
        format="json",
    )
    assert response.status_code == 200, response.json()


def pull_all(api, page_size=2, between_pages=lambda: None):
    """Follow `next` to the end; returns every item and the last cursor."""
    items, url = [], f"{URL}?page_size={page_size}"
    while url:
        body = api.get(url).json()
        items += body["results"]
        url, cursor = body["next"], body["cursor"]
        between_pages()
    return items, cursor


def test_the_referrer_gets_each_event_with_its_code_term_and_dates(surgery, greenfingers, make_referral):
    referral_id = make_referral()["id"]
    move(greenfingers, referral_id, "accepted")
    move(greenfingers, referral_id, "completed")
    body = surgery.api.get(URL).json()
    assert body["next"] is None
    events = GpRecordEvent.objects.filter(referral_id=referral_id).order_by("pk")
    assert body["results"] == [
        {
            "id": event.pk,
            "referral_id": referral_id,
            "snomed_code": event.snomed_code,
            "term": event.display,
            "system": "http://snomed.info/sct",
            "occurred_on": event.occurred_on.isoformat(),
            "recorded_at": body["results"][i]["recorded_at"],
        }
        for i, event in enumerate(events)
    ]
    assert [(r["snomed_code"], r["term"]) for r in body["results"]] == [
        (REFERRED, "Referral to social prescribing service"),
        (DISCHARGED, "Patient discharge"),
    ]


def test_the_receiver_and_another_practice_get_none_of_the_referrers_events(
    surgery, greenfingers, other_practice, make_referral
):
    referral_id = make_referral()["id"]
    move(greenfingers, referral_id, "rejected", reason="Said no", business_status="person-declined")
    assert len(surgery.api.get(URL).json()["results"]) == 2
    for outsider in (greenfingers, other_practice):
        body = outsider.api.get(URL).json()
        assert body["results"] == [] and body["next"] is None


def test_without_share_back_the_referrer_gets_only_the_referral_made(
    surgery, greenfingers, make_referral, referral_body
):
    consent = referral_body()["consent"] | {"scopes": ["share-with-service"]}
    referral_id = make_referral(consent=consent)["id"]
    move(greenfingers, referral_id, "accepted")
    move(greenfingers, referral_id, "failed", reason="Decided not to go", business_status="person-declined")
    assert set(GpRecordEvent.objects.filter(referral_id=referral_id).values_list("snomed_code", flat=True)) == {
        REFERRED,
        DECLINED,
    }
    assert [r["snomed_code"] for r in surgery.api.get(URL).json()["results"]] == [REFERRED]


def test_paging_with_the_cursor_skips_and_repeats_nothing_while_events_arrive(surgery, greenfingers, make_referral):
    referral_ids = [make_referral()["id"] for _ in range(5)]
    arriving = iter(referral_ids)

    def close_one_more():
        referral_id = next(arriving, None)
        if referral_id is not None:
            move(greenfingers, referral_id, "rejected", reason="Said no", business_status="person-declined")

    items, cursor = pull_all(surgery.api, page_size=2, between_pages=close_one_more)
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), "an event came twice"
    assert ids == sorted(ids)
    every_event = list(
        GpRecordEvent.objects.filter(referral__referring_organisation=surgery.organisation)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # Everything written before the last page was read is in the pages, in order.
    assert ids == every_event[: len(ids)]
    assert len(ids) >= 7  # 5 referrals made, and declines written while paging

    # Later, from the saved cursor, only what is new.
    make_referral()
    newer = [item["id"] for item in surgery.api.get(f"{URL}?cursor={cursor}").json()["results"]]
    expected = list(
        GpRecordEvent.objects.filter(referral__referring_organisation=surgery.organisation, pk__gt=ids[-1])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert newer == expected and len(newer) >= 1


def test_each_page_writes_one_list_row_per_referral_in_it(surgery, make_referral):
    referral_ids = {make_referral()["id"] for _ in range(3)}
    before = ReferralAccessLog.objects.filter(action=AccessAction.LIST).count()
    surgery.api.get(URL)
    rows = ReferralAccessLog.objects.filter(action=AccessAction.LIST).order_by("pk")[before:]
    assert sorted(str(row.referral_id) for row in rows) == sorted(referral_ids)
    assert {row.organisation_id for row in rows} == {surgery.organisation.pk}


@pytest.mark.parametrize("query", ["cursor=not-a-cursor", "cursor=eyJhZnRlciI6IC0xfQ", "page_size=0", "page_size=101"])
def test_a_bad_cursor_or_page_size_is_a_400_naming_the_field(surgery, make_referral, query):
    make_referral()
    response = surgery.api.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {query.split("=")[0]}


def test_a_huge_cursor_is_refused_not_a_server_error(surgery):
    from referrals.gp_events import encode_cursor

    response = surgery.api.get(f"{URL}?cursor={encode_cursor(10**30)}")
    assert response.status_code == 400


def test_a_client_without_referrals_read_is_refused(db):
    directory_only = Party("Reading Libraries", "voluntary", scopes=["directory:read"])
    assert directory_only.api.get(URL).status_code == 403


def test_the_queries_do_not_grow_with_the_events(surgery, make_referral):
    make_referral()
    with CaptureQueriesContext(connection) as one:
        assert len(surgery.api.get(URL).json()["results"]) == 1
    for _ in range(6):
        make_referral()
    with CaptureQueriesContext(connection) as seven:
        assert len(surgery.api.get(URL).json()["results"]) == 7
    assert len(seven.captured_queries) == len(one.captured_queries)
