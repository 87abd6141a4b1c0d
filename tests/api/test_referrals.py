"""Referrals through the API: the lifecycle between two organisations, the
state machine's refusals, consent, minimisation and the access log."""

import itertools

import pytest

from referrals import states
from referrals.models import (
    AccessOutcome,
    GpRecordEvent,
    Outcome,
    Referral,
    ReferralAccessLog,
    ReferralHistory,
    ReferralStatus,
)

pytestmark = pytest.mark.django_db


def transition(party, referral_id, to, reason=None, business_status=None):
    return party.api.post(
        f"/api/v1/referrals/{referral_id}/transition/",
        {"to": to, "reason": reason, "business_status": business_status},
        format="json",
    )


def test_the_documented_example_creates_a_requested_referral_with_its_history(surgery, greenfingers, make_referral):
    body = make_referral()
    assert body["status"] == "requested"
    assert [row["to_status"] for row in body["history"]] == ["requested"]
    assert body["person"]["given_name"] == "Joan"
    referral = Referral.objects.get(pk=body["id"])
    assert referral.referring_organisation == surgery.organisation
    assert referral.receiving_organisation == greenfingers.organisation
    assert sorted(referral.needs.values_list("slug", flat=True)) == ["befriending-and-loneliness", "green-and-outdoor"]
    assert referral.consent.scopes == ["share-with-service", "share-back-with-referrer"]


def test_the_full_lifecycle_between_two_organisations(surgery, greenfingers, make_referral):
    referral_id = make_referral()["id"]

    seen = greenfingers.api.get("/api/v1/referrals/").json()
    assert [r["id"] for r in seen["results"]] == [referral_id]

    accepted = transition(greenfingers, referral_id, "accepted", business_status="contact-attempted")
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["business_status"] == "contact-attempted"
    assert (
        transition(greenfingers, referral_id, "in-progress", business_status="first-session-attended").status_code
        == 200
    )
    outcome = greenfingers.api.post(
        f"/api/v1/referrals/{referral_id}/outcomes/",
        {
            "instrument": "ons4",
            "stage": "follow-up",
            "answers": {"life_satisfaction": 7, "worthwhile": 7, "happiness": 6, "anxiety": 3},
        },
        format="json",
    )
    assert outcome.status_code == 201, outcome.json()
    assert transition(greenfingers, referral_id, "completed").status_code == 200

    final = surgery.api.get(f"/api/v1/referrals/{referral_id}/").json()
    assert final["status"] == "completed"
    assert [row["to_status"] for row in final["history"]] == ["requested", "accepted", "in-progress", "completed"]
    # Consent included sharing back, so the referrer sees the receiver's outcome.
    assert [o["answers"]["life_satisfaction"] for o in final["outcomes"]] == [7]
    # Referral made (when requested), seen (first session attended), then discharged
    # (completed): referrals/gp_events.py.
    assert [e["snomed_code"] for e in final["gp_record_events"]] == ["871731000000106", "308335008", "58000006"]
    assert ReferralHistory.objects.filter(referral_id=referral_id).count() == 4


def test_the_example_transition_and_outcome_bodies_work_as_written(greenfingers, surgery, make_referral):
    referral_id = make_referral()["id"]
    response = greenfingers.api.post(
        f"/api/v1/referrals/{referral_id}/transition/",
        {"to": "accepted", "reason": None, "business_status": "contact-attempted"},
        format="json",
    )
    assert response.status_code == 200
    response = surgery.api.post(
        f"/api/v1/referrals/{referral_id}/outcomes/",
        {
            "instrument": "ons4",
            "stage": "baseline",
            "answers": {"life_satisfaction": 4, "worthwhile": 5, "happiness": 3, "anxiety": 7},
        },
        format="json",
    )
    assert response.status_code == 201
    assert Outcome.objects.get(referral_id=referral_id).answers == {
        "life_satisfaction": 4,
        "worthwhile": 5,
        "happiness": 3,
        "anxiety": 7,
    }


@pytest.mark.parametrize(
    "answers",
    [
        {"life_satisfaction": 11, "worthwhile": 5, "happiness": 3, "anxiety": 7},
        {"life_satisfaction": 4, "worthwhile": 5, "happiness": 3},
        {"life_satisfaction": 4, "worthwhile": 5, "happiness": 3, "anxiety": 7, "mood": 2},
    ],
)
def test_an_ons4_answer_out_of_range_or_missing_is_refused(surgery, make_referral, answers):
    referral_id = make_referral()["id"]
    response = surgery.api.post(
        f"/api/v1/referrals/{referral_id}/outcomes/",
        {"instrument": "ons4", "stage": "baseline", "answers": answers},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]
    assert not Outcome.objects.exists()


def _all_moves():
    statuses = ReferralStatus.values
    return [(a, b) for a, b in itertools.product(statuses, statuses)]


def _force_status(referral_id, status):
    Referral.objects.filter(pk=referral_id).update(status=status)


@pytest.mark.parametrize("from_status,to_status", [m for m in _all_moves() if states.who_may_move(*m) is None])
def test_every_illegal_transition_is_a_409_with_a_plain_message(
    surgery, greenfingers, make_referral, from_status, to_status
):
    referral_id = make_referral()["id"]
    _force_status(referral_id, from_status)
    for party in (surgery, greenfingers):
        response = transition(party, referral_id, to_status, reason="Because", business_status="contacted")
        assert response.status_code == 409, (party.organisation.name, response.json())
        assert response.json()["error"]["code"] == "conflict"
        assert "Joan" not in response.json()["error"]["message"]
    assert Referral.objects.get(pk=referral_id).status == from_status
    assert ReferralHistory.objects.filter(referral_id=referral_id).count() == 1


@pytest.mark.parametrize("from_status,to_status", [m for m in _all_moves() if states.who_may_move(*m) is not None])
def test_every_legal_transition_is_made_only_by_its_party(surgery, greenfingers, make_referral, from_status, to_status):
    referral_id = make_referral()["id"]
    _force_status(referral_id, from_status)
    party = states.who_may_move(from_status, to_status)
    right, wrong = (surgery, greenfingers) if party == states.REFERRER else (greenfingers, surgery)
    refused = transition(wrong, referral_id, to_status, reason="Because", business_status="contacted")
    assert refused.status_code == 403
    assert Referral.objects.get(pk=referral_id).status == from_status
    allowed = transition(right, referral_id, to_status, reason="Because", business_status="contacted")
    assert allowed.status_code == 200, allowed.json()
    assert Referral.objects.get(pk=referral_id).status == to_status


@pytest.mark.parametrize("to_status", sorted(states.REASON_REQUIRED))
def test_a_reason_is_required_for_rejected_cancelled_on_hold_and_failed(
    surgery, greenfingers, make_referral, to_status
):
    referral_id = make_referral()["id"]
    start = (
        ReferralStatus.REQUESTED
        if to_status in (ReferralStatus.REJECTED, ReferralStatus.CANCELLED)
        else ReferralStatus.ACCEPTED
    )
    _force_status(referral_id, start)
    party = surgery if states.who_may_move(start, to_status) == states.REFERRER else greenfingers
    response = transition(party, referral_id, to_status, reason="")
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]
    assert Referral.objects.get(pk=referral_id).status == start


def test_a_referral_without_consent_cannot_be_requested(surgery, referral_body):
    for consent in (None, {**referral_body()["consent"], "given": False}):
        response = surgery.api.post("/api/v1/referrals/", referral_body(consent=consent), format="json")
        assert response.status_code == 400
        assert "consent" in response.json()["error"]["fields"]
    body = referral_body()
    del body["consent"]
    assert surgery.api.post("/api/v1/referrals/", body, format="json").status_code == 400
    assert not Referral.objects.exists()


def test_a_draft_without_consent_is_kept_then_requested_once_consent_is_recorded(surgery, greenfingers, referral_body):
    response = surgery.api.post("/api/v1/referrals/", referral_body(consent=None, status="draft"), format="json")
    assert response.status_code == 201
    referral_id = response.json()["id"]
    assert greenfingers.api.get("/api/v1/referrals/").json()["count"] == 0
    assert greenfingers.api.get(f"/api/v1/referrals/{referral_id}/").status_code == 404
    assert transition(surgery, referral_id, "requested").status_code == 400
    consent = surgery.api.post(f"/api/v1/referrals/{referral_id}/consent/", referral_body()["consent"], format="json")
    assert consent.status_code == 200
    assert transition(surgery, referral_id, "requested").status_code == 200
    assert greenfingers.api.get("/api/v1/referrals/").json()["count"] == 1


def test_the_receiver_sees_no_contact_details_when_the_person_asked_not_to_be_contacted(
    surgery, greenfingers, referral_body
):
    body = referral_body()
    body["person"]["do_not_contact"] = True
    referral_id = surgery.api.post("/api/v1/referrals/", body, format="json").json()["id"]
    person = greenfingers.api.get(f"/api/v1/referrals/{referral_id}/").json()["person"]
    assert person["do_not_contact"] is True
    assert person["given_name"] == "Joan"
    for hidden in ("phone", "email", "contact_times", "preferred_contact", "date_of_birth", "postcode"):
        assert hidden not in person
    assert person["postcode_district"] == "RG1"
    # The referrer still sees what it recorded.
    assert surgery.api.get(f"/api/v1/referrals/{referral_id}/").json()["person"]["phone"] == "0118 496 0000"


def test_the_receiver_sees_what_it_needs_to_contact_the_person_and_no_more(surgery, greenfingers, make_referral):
    referral_id = make_referral()["id"]
    body = greenfingers.api.get(f"/api/v1/referrals/{referral_id}/").json()
    assert set(body["person"]) == {
        "given_name",
        "family_name",
        "preferred_name",
        "postcode_district",
        "communication_needs",
        "do_not_contact",
        "phone",
        "email",
        "preferred_contact",
        "contact_times",
    }
    assert "gp_record_events" not in body
    assert set(body["consent"]) == {"given", "scopes", "withdrawn_at"}


def test_codes_only_consent_or_withdrawal_hides_the_person_from_the_receiver(surgery, greenfingers, referral_body):
    consent = {**referral_body()["consent"], "scopes": ["codes-only"]}
    referral_id = surgery.api.post("/api/v1/referrals/", referral_body(consent=consent), format="json").json()["id"]
    body = greenfingers.api.get(f"/api/v1/referrals/{referral_id}/").json()
    assert body["person"] == {"do_not_contact": False}
    assert "what_matters" not in body and "notes" not in body
    assert body["needs"] == ["befriending-and-loneliness", "green-and-outdoor"]

    shared_id = surgery.api.post("/api/v1/referrals/", referral_body(), format="json").json()["id"]
    withdraw = surgery.api.post(
        f"/api/v1/referrals/{shared_id}/consent/", {**referral_body()["consent"], "given": False}, format="json"
    )
    assert withdraw.status_code == 200
    assert withdraw.json()["consent"]["withdrawn_at"] is not None
    assert greenfingers.api.get(f"/api/v1/referrals/{shared_id}/").json()["person"] == {"do_not_contact": False}


def test_mass_assignment_of_status_organisation_or_ids_is_refused(surgery, other_practice, referral_body):
    body = referral_body(status="accepted")
    body["organisation"] = str(other_practice.organisation.pk)
    body["created_by"] = 1
    body["is_staff"] = True
    body["id"] = "00000000-0000-0000-0000-000000000001"
    response = surgery.api.post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"organisation", "created_by", "is_staff", "id"} <= set(fields)
    only_status = surgery.api.post("/api/v1/referrals/", referral_body(status="accepted"), format="json")
    assert only_status.status_code == 400
    assert "status" in only_status.json()["error"]["fields"]
    assert not Referral.objects.exists()

    referral_id = surgery.api.post("/api/v1/referrals/", referral_body(), format="json").json()["id"]
    sneaky = surgery.api.post(
        f"/api/v1/referrals/{referral_id}/transition/",
        {"to": "entered-in-error", "reason": "x", "referring_organisation": str(other_practice.organisation.pk)},
        format="json",
    )
    assert sneaky.status_code == 400
    referral = Referral.objects.get(pk=referral_id)
    assert referral.referring_organisation == surgery.organisation
    assert referral.status == ReferralStatus.REQUESTED


RESPONSE_KEYS = {
    "referrer": {
        "id",
        "status",
        "business_status",
        "status_reason",
        "priority",
        "referring_organisation",
        "target",
        "person",
        "consent",
        "what_matters",
        "needs",
        "notes",
        "eligibility_override",
        "eligibility_override_reason",
        "first_exchange_at",
        "requested_at",
        "created_at",
        "modified_at",
        "history",
        "outcomes",
        "gp_record_events",
    },
    "receiver": {
        "id",
        "status",
        "business_status",
        "status_reason",
        "priority",
        "referring_organisation",
        "target",
        "person",
        "consent",
        "what_matters",
        "needs",
        "notes",
        "eligibility_override",
        "eligibility_override_reason",
        "first_exchange_at",
        "requested_at",
        "created_at",
        "modified_at",
        "history",
        "outcomes",
    },
}


def test_each_roles_response_keys_match_the_committed_allowlist(surgery, greenfingers, make_referral):
    referral_id = make_referral()["id"]
    assert set(surgery.api.get(f"/api/v1/referrals/{referral_id}/").json()) == RESPONSE_KEYS["referrer"]
    assert set(greenfingers.api.get(f"/api/v1/referrals/{referral_id}/").json()) == RESPONSE_KEYS["receiver"]


def test_list_filters_by_status_target_modified_and_name_for_the_referrer_only(
    surgery, greenfingers, make_referral, referral_body
):
    first = make_referral()["id"]
    body = referral_body()
    body["person"]["given_name"] = "Dennis"
    second = surgery.api.post("/api/v1/referrals/", body, format="json").json()["id"]
    transition(greenfingers, first, "accepted")

    def ids(party, query):
        return {r["id"] for r in party.api.get(f"/api/v1/referrals/?{query}").json()["results"]}

    assert ids(surgery, "status=accepted") == {first}
    assert ids(surgery, "status=requested&status=accepted") == {first, second}
    assert ids(surgery, "name=dennis") == {second}
    assert ids(greenfingers, "name=dennis") == set()
    assert ids(surgery, "target=timebank") == set()
    assert len(ids(surgery, f"target={Referral.objects.get(pk=first).target_service_id}")) == 2
    assert ids(surgery, "modified_after=2999-01-01T00:00:00Z") == set()


def test_reads_changes_and_refusals_are_in_the_access_log(surgery, greenfingers, other_practice, make_referral):
    referral_id = make_referral()["id"]
    greenfingers.api.get(f"/api/v1/referrals/{referral_id}/")
    other_practice.api.get(f"/api/v1/referrals/{referral_id}/")
    transition(surgery, referral_id, "accepted")  # wrong party: refused
    rows = list(
        ReferralAccessLog.objects.filter(referral_id=referral_id).values_list("action", "outcome", "organisation_id")
    )
    assert ("create", AccessOutcome.ALLOWED, surgery.organisation.pk) in rows
    assert ("read", AccessOutcome.ALLOWED, greenfingers.organisation.pk) in rows
    assert ("read", AccessOutcome.REFUSED, other_practice.organisation.pk) in rows
    assert ("transition", AccessOutcome.REFUSED, surgery.organisation.pk) in rows
    with pytest.raises(PermissionError):
        ReferralAccessLog.objects.filter(referral_id=referral_id).delete()
    with pytest.raises(PermissionError):
        ReferralAccessLog.objects.update(outcome="allowed")


def test_responses_with_personal_data_are_not_cached(surgery, make_referral):
    referral_id = make_referral()["id"]
    response = surgery.api.get(f"/api/v1/referrals/{referral_id}/")
    assert "no-store" in response["Cache-Control"]


def test_errors_never_quote_the_persons_details(surgery, referral_body):
    body = referral_body()
    body["person"]["postcode"] = "JOAN123456"
    response = surgery.api.post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 400
    assert "JOAN" not in response.content.decode().upper().replace("JOAN RIVERS", "")


def test_accepting_then_the_person_declining_records_both_gp_events(surgery, greenfingers, make_referral):
    referral_id = make_referral()["id"]
    transition(greenfingers, referral_id, "accepted")
    transition(greenfingers, referral_id, "failed", reason="Decided not to go", business_status="person-declined")
    assert set(GpRecordEvent.objects.filter(referral_id=referral_id).values_list("snomed_code", flat=True)) == {
        "871731000000106",
        "871711000000103",
    }


def test_a_referral_to_a_service_that_takes_no_referrals_is_refused(surgery, referral_body, garden_service):
    garden_service.accepts_referrals = False
    garden_service.save()
    response = surgery.api.post("/api/v1/referrals/", referral_body(), format="json")
    assert response.status_code == 400
    assert "target.service" in response.json()["error"]["fields"]


# --- Which timebank a referral goes to -----------------------------------------------------------


@pytest.fixture
def two_timebanks(db):
    """Oxford Road (the default timebank) and Caversham, each with its own coordinator."""
    from tests.factories import UserFactory
    from timebank.models import Role, Timebank

    oxford_road = Timebank.get_default()
    caversham = Timebank.objects.create(name="Caversham", slug="caversham", area="Caversham and Emmer Green")
    return {
        "oxford_road": oxford_road,
        "caversham": caversham,
        "oxford_coordinator": UserFactory(username="ox-coord", roles=[Role.COORDINATOR], coordinates=[oxford_road]),
        "caversham_coordinator": UserFactory(username="cav-coord", roles=[Role.COORDINATOR], coordinates=[caversham]),
    }


def _coordinator_api(user):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(user)
    return api


def test_a_referral_to_caversham_is_its_application_and_only_its_coordinator_sees_and_moves_it(
    surgery, referral_body, two_timebanks
):
    from django.test import Client

    from timebank.models import Member, MemberStatus

    response = surgery.api.post("/api/v1/referrals/", referral_body(target={"timebank": "caversham"}), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["target"] == {"service": None, "timebank": True, "timebank_slug": "caversham"}
    referral = Referral.objects.get(pk=response.json()["id"])
    assert referral.target_timebank == two_timebanks["caversham"]
    application = Member.objects.get(pk=referral.member_id)
    assert (application.timebank, application.status) == (two_timebanks["caversham"], MemberStatus.APPLIED)
    assert not Member.objects.filter(timebank=two_timebanks["oxford_road"], status=MemberStatus.APPLIED).exists()

    caversham = _coordinator_api(two_timebanks["caversham_coordinator"])
    oxford = _coordinator_api(two_timebanks["oxford_coordinator"])
    assert [r["id"] for r in caversham.get("/api/v1/referrals/").json()["results"]] == [str(referral.pk)]
    assert oxford.get("/api/v1/referrals/").json()["results"] == []
    assert oxford.get(f"/api/v1/referrals/{referral.pk}/").status_code == 404
    assert transition(_Party(oxford), referral.pk, "accepted").status_code == 404
    assert transition(_Party(caversham), referral.pk, "accepted").status_code == 200

    # The applications page: Caversham's coordinator sees Jo, Oxford Road's does not.
    pages = {}
    for name in ("caversham_coordinator", "oxford_coordinator"):
        web = Client()
        web.force_login(two_timebanks[name])
        pages[name] = web.get("/coordinator/applications/").content.decode()
    assert "Jo Rivers" in pages["caversham_coordinator"]
    assert "Jo Rivers" not in pages["oxford_coordinator"]


class _Party:
    """An API client with a login, for `transition`."""

    def __init__(self, api):
        self.api = api


@pytest.mark.parametrize("timebank", ["nowhere", True])
def test_with_several_timebanks_an_unknown_or_missing_name_is_a_400_saying_how_to_choose(
    surgery, referral_body, two_timebanks, timebank
):
    from timebank.models import Member, MemberStatus

    response = surgery.api.post("/api/v1/referrals/", referral_body(target={"timebank": timebank}), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    message = " ".join(error["fields"]["target.timebank"])
    assert "caversham (Caversham)" in message and "default (Our timebank)" in message
    assert "short name" in message
    assert not Referral.objects.exists()
    assert not Member.objects.filter(status=MemberStatus.APPLIED).exists()
    assert ReferralAccessLog.objects.get().outcome == AccessOutcome.REFUSED


@pytest.mark.parametrize("timebank", ["not a slug!", 12, ["caversham"], {"slug": "caversham"}, "x" * 61])
def test_a_timebank_that_is_not_a_short_name_is_a_400_on_the_field(surgery, referral_body, two_timebanks, timebank):
    response = surgery.api.post("/api/v1/referrals/", referral_body(target={"timebank": timebank}), format="json")
    assert response.status_code == 400
    assert "target.timebank" in response.json()["error"]["fields"]
    assert not Referral.objects.exists()


def test_with_one_timebank_naming_none_still_means_it_and_naming_it_works_too(surgery, referral_body, timebank):
    for target in ({"timebank": True}, {"timebank": timebank.slug}):
        response = surgery.api.post("/api/v1/referrals/", referral_body(target=target), format="json")
        assert response.status_code == 201, response.json()
        assert Referral.objects.get(pk=response.json()["id"]).member.timebank == timebank
    unknown = surgery.api.post("/api/v1/referrals/", referral_body(target={"timebank": "caversham"}), format="json")
    assert unknown.status_code == 400
    assert "There is no timebank with that short name" in " ".join(unknown.json()["error"]["fields"]["target.timebank"])


def test_a_service_and_a_timebank_together_are_refused(surgery, referral_body, garden_service, two_timebanks):
    target = {"service": str(garden_service.pk), "timebank": "caversham"}
    response = surgery.api.post("/api/v1/referrals/", referral_body(target=target), format="json")
    assert response.status_code == 400
    assert "target" in response.json()["error"]["fields"]


def test_the_documented_timebank_example_works_as_written(surgery, two_timebanks):
    from api.serializers.referrals import TIMEBANK_REFERRAL_EXAMPLE

    response = surgery.api.post("/api/v1/referrals/", TIMEBANK_REFERRAL_EXAMPLE, format="json")
    assert response.status_code == 201, response.json()
    assert Referral.objects.get().target_timebank == two_timebanks["caversham"]
