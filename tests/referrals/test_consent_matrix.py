"""The consent policy (referrals/consent.py) on every read path: each consent the
service allows (given, and withdrawn after being given) x each viewer (the
referrer, the receiving organisation, a timebank coordinator receiving a timebank
referral, an unrelated organisation) x the API detail and list (and its status
filter), the pages, webhook deliveries and the report CSV downloads."""

import csv
import io
from typing import cast

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assets.models import Organisation, OrganisationMembership, OrganisationType
from brokering.selectors import reports
from referrals import webhooks
from referrals.models import (
    AccessAction,
    AccessOutcome,
    DeliveryState,
    Referral,
    ReferralAccessLog,
    WebhookDelivery,
    WebhookSubscription,
)
from tests.factories import UserFactory
from timebank.models import Role, User

pytestmark = pytest.mark.django_db

SHARE = "share-with-service"
BACK = "share-back-with-referrer"
CODES = "codes-only"
# Every set of scopes a given consent may have (referrals.services._clean_consent:
# not empty, and never both codes only and sharing with the service).
SCOPE_SETS = [(SHARE,), (BACK,), (CODES,), (SHARE, BACK), (CODES, BACK)]
CONSENTS = [(scopes, withdrawn) for scopes in SCOPE_SETS for withdrawn in (False, True)]
# A referral to the timebank needs consent to share with it.
TIMEBANK_CONSENTS = [(scopes, withdrawn) for scopes in ((SHARE,), (SHARE, BACK)) for withdrawn in (False, True)]

WHAT_MATTERS = "Growing tomatoes again with people who like a chat."
RECEIVER_REASON = "Waiting for a place on the Thursday group."
SECRET_NOTE = "Uses a walking frame; prefers afternoons."


def label(consent):
    scopes, withdrawn = consent
    return "+".join(scopes) + (" withdrawn" if withdrawn else " given")


def shares_back(scopes, withdrawn) -> bool:
    return BACK in scopes and not withdrawn


def shares_details(scopes, withdrawn) -> bool:
    return SHARE in scopes and not withdrawn


def consent_body(scopes, *, given=True):
    return {
        "given": given,
        "scopes": list(scopes),
        "method": "verbal",
        "recorded_by": "Sam Patel, link worker",
        "recorded_at": timezone.now().isoformat(),
    }


def move(party, referral_id, to, **fields):
    response = party.api.post(f"/api/v1/referrals/{referral_id}/transition/", {"to": to, **fields}, format="json")
    assert response.status_code == 200, response.json()
    return response


def subscribe(*parties):
    # Straight to the table: registering checks the address on the internet.
    return {
        p.organisation.pk: WebhookSubscription.objects.create(
            organisation=p.organisation, url="https://hooks.example/in", secret="s"
        )
        for p in parties
    }


def staff_client(organisation, username) -> Client:
    user = cast(User, UserFactory(username=username, roles=[Role.LINK_WORKER]))
    OrganisationMembership.objects.create(user=user, organisation=organisation, role="link-worker")
    client = Client()
    client.force_login(user)
    return client


def logged(action, referral_id) -> int:
    return ReferralAccessLog.objects.filter(
        action=action, outcome=AccessOutcome.ALLOWED, referral_id=referral_id
    ).count()


@pytest.fixture
def service_referral(surgery, greenfingers, referral_body):
    """A referral to the garden group with the given consent, accepted, put on
    hold with a reason, with an outcome from each side; consent withdrawn last."""

    def make(scopes, withdrawn):
        subscribe(surgery, greenfingers)
        body = referral_body(consent=consent_body(scopes), what_matters=WHAT_MATTERS, notes=SECRET_NOTE)
        made = surgery.api.post("/api/v1/referrals/", body, format="json")
        assert made.status_code == 201, made.json()
        referral_id = made.json()["id"]
        move(greenfingers, referral_id, "accepted", business_status="contacted")
        move(greenfingers, referral_id, "on-hold", reason=RECEIVER_REASON, business_status="waitlisted")
        for party, stage in ((surgery, "baseline"), (greenfingers, "follow-up")):
            answers = {"life_satisfaction": 5, "worthwhile": 5, "happiness": 5, "anxiety": 5}
            recorded = party.api.post(
                f"/api/v1/referrals/{referral_id}/outcomes/",
                {"instrument": "ons4", "stage": stage, "answers": answers},
                format="json",
            )
            assert recorded.status_code == 201, recorded.json()
        if withdrawn:
            gone = surgery.api.post(
                f"/api/v1/referrals/{referral_id}/consent/", consent_body(scopes, given=False), format="json"
            )
            assert gone.status_code == 200 and gone.json()["consent"]["withdrawn_at"]
        return referral_id

    return make


# --- The API: one referral ---------------------------------------------------------------------


@pytest.mark.parametrize("consent", CONSENTS, ids=label)
def test_the_referrer_sees_what_happens_next_only_with_share_back(consent, service_referral, surgery, greenfingers):
    scopes, withdrawn = consent
    referral_id = service_referral(scopes, withdrawn)
    before = logged(AccessAction.READ, referral_id)
    body = surgery.api.get(f"/api/v1/referrals/{referral_id}/").json()

    assert logged(AccessAction.READ, referral_id) == before + 1
    # The referrer always sees the person it referred.
    assert body["person"]["given_name"] == "Joan" and body["what_matters"] == WHAT_MATTERS
    recorders = {o["stage"] for o in body["outcomes"]}
    if shares_back(scopes, withdrawn):
        assert (body["status"], body["business_status"], body["status_reason"]) == (
            "on-hold",
            "waitlisted",
            RECEIVER_REASON,
        )
        assert [row["to_status"] for row in body["history"]] == ["requested", "accepted", "on-hold"]
        assert recorders == {"baseline", "follow-up"}
    else:
        assert (body["status"], body["business_status"], body["status_reason"]) == ("requested", "", "")
        assert [row["to_status"] for row in body["history"]] == ["requested"]
        assert {row["organisation"]["id"] for row in body["history"]} == {str(surgery.organisation.pk)}
        assert RECEIVER_REASON not in str(body)
        assert recorders == {"baseline"}  # its own outcome only
        assert body["first_exchange_at"] is None
    # The GP record: the referral made is the referrer's own moment, always there.
    assert "871731000000106" in {event["snomed_code"] for event in body["gp_record_events"]}


@pytest.mark.parametrize("consent", CONSENTS, ids=label)
def test_the_receiver_sees_who_the_person_is_only_with_consent_to_share(
    consent, service_referral, surgery, greenfingers
):
    scopes, withdrawn = consent
    referral_id = service_referral(scopes, withdrawn)
    before = logged(AccessAction.READ, referral_id)
    body = greenfingers.api.get(f"/api/v1/referrals/{referral_id}/").json()

    assert logged(AccessAction.READ, referral_id) == before + 1
    # The receiver always sees its own work.
    assert (body["status"], body["business_status"], body["status_reason"]) == (
        "on-hold",
        "waitlisted",
        RECEIVER_REASON,
    )
    assert "gp_record_events" not in body
    assert set(body["consent"]) == {"given", "scopes", "withdrawn_at"}
    if shares_details(scopes, withdrawn):
        assert body["person"]["given_name"] == "Joan" and body["person"]["phone"] == "0118 496 0000"
        assert body["what_matters"] == WHAT_MATTERS and body["notes"] == SECRET_NOTE
        assert {o["stage"] for o in body["outcomes"]} == {"baseline", "follow-up"}
    else:
        assert body["person"] == {"do_not_contact": False}
        assert "what_matters" not in body and "notes" not in body
        assert "Joan" not in str(body) and WHAT_MATTERS not in str(body)
        assert {o["stage"] for o in body["outcomes"]} == {"follow-up"}  # its own outcome only


@pytest.mark.parametrize("consent", CONSENTS, ids=label)
def test_an_unrelated_organisation_finds_nothing(consent, service_referral, other_practice):
    referral_id = service_referral(*consent)
    assert other_practice.api.get(f"/api/v1/referrals/{referral_id}/").status_code == 404
    listed = other_practice.api.get("/api/v1/referrals/?status=on-hold&status=requested").json()
    assert listed["results"] == []
    assert ReferralAccessLog.objects.filter(
        referral_id=referral_id, outcome=AccessOutcome.REFUSED, organisation=other_practice.organisation
    ).exists()


# --- The API: lists and the status filter ------------------------------------------------------


@pytest.mark.parametrize("consent", CONSENTS, ids=label)
def test_list_rows_and_the_status_filter_show_only_what_each_side_sees(
    consent, service_referral, surgery, greenfingers
):
    scopes, withdrawn = consent
    referral_id = service_referral(scopes, withdrawn)

    def found(party, query):
        before = logged(AccessAction.LIST, referral_id)
        rows = party.api.get(f"/api/v1/referrals/?{query}").json()["results"]
        assert logged(AccessAction.LIST, referral_id) == before + (1 if rows else 0)
        return {row["id"]: row for row in rows}

    referrer_sees = "on-hold" if shares_back(scopes, withdrawn) else "requested"
    row = found(surgery, "")[referral_id]
    assert row["status"] == referrer_sees
    assert row["business_status"] == ("waitlisted" if shares_back(scopes, withdrawn) else "")
    assert set(found(surgery, f"status={referrer_sees}")) == {referral_id}
    hidden = "requested" if referrer_sees == "on-hold" else "on-hold"
    assert found(surgery, f"status={hidden}") == {}
    # The receiver's own view is never narrowed.
    assert found(greenfingers, "status=on-hold")[referral_id]["status"] == "on-hold"
    assert ("given_name" in found(greenfingers, "")[referral_id]["person"]) == shares_details(scopes, withdrawn)


def test_modified_after_does_not_tell_a_referrer_without_share_back_that_the_receiver_moved(
    service_referral, surgery, greenfingers
):
    referral_id = service_referral((SHARE,), False)
    seen = surgery.api.get(f"/api/v1/referrals/{referral_id}/").json()["modified_at"]
    move(greenfingers, referral_id, "in-progress", business_status="first-session-attended")
    assert surgery.api.get(f"/api/v1/referrals/{referral_id}/").json()["modified_at"] == seen
    assert surgery.api.get("/api/v1/referrals/", {"modified_after": seen}).json()["results"] == []
    assert greenfingers.api.get("/api/v1/referrals/", {"modified_after": seen}).json()["results"]


# --- Refusals name no status the referrer cannot see -------------------------------------------


@pytest.mark.parametrize("consent", [((SHARE,), False), ((SHARE, BACK), True), ((SHARE, BACK), False)], ids=label)
def test_a_refused_cancel_names_no_status_the_referrer_cannot_see(consent, service_referral, surgery, greenfingers):
    scopes, withdrawn = consent
    referral_id = service_referral(scopes, withdrawn)
    move(greenfingers, referral_id, "failed", reason="Could not reach them")
    refused = surgery.api.post(
        f"/api/v1/referrals/{referral_id}/transition/", {"to": "cancelled", "reason": "Moved away"}, format="json"
    )
    assert refused.status_code == 409
    message = refused.json()["error"]["message"]
    if shares_back(scopes, withdrawn):
        assert "failed" in message
    else:
        assert "failed" not in message and "on hold" not in message
        assert "did not agree to share" in message
    assert Referral.objects.get(pk=referral_id).status == "failed"


# --- Webhooks ------------------------------------------------------------------------------------


def _events(organisation, referral_id):
    rows = WebhookDelivery.objects.filter(
        subscription__organisation=organisation, payload__referral_id=str(referral_id)
    ).order_by("created_at", "pk")
    return [(row.payload["event"], row.payload["status"]) for row in rows]


@pytest.mark.parametrize("consent", CONSENTS, ids=label)
def test_the_referrers_webhooks_follow_the_same_policy(consent, service_referral, surgery, greenfingers, monkeypatch):
    scopes, withdrawn = consent
    referral_id = service_referral(scopes, withdrawn)
    everything = [
        ("referral.created", "requested"),
        ("referral.status_changed", "accepted"),
        ("referral.status_changed", "on-hold"),
    ]
    assert _events(greenfingers.organisation, referral_id) == everything
    queued = _events(surgery.organisation, referral_id)
    assert queued == (everything if BACK in scopes else everything[:1])

    # Sent after a withdrawal: what the receiver did is withheld from the referrer.
    monkeypatch.setattr(webhooks, "_post", lambda url, body, headers: 200)
    for delivery in WebhookDelivery.objects.filter(payload__referral_id=str(referral_id)):
        webhooks.deliver(delivery.pk)
    sent = WebhookDelivery.objects.filter(
        subscription__organisation=surgery.organisation, payload__referral_id=str(referral_id)
    )
    withheld = {d.payload["status"] for d in sent if d.state == DeliveryState.FAILED}
    assert withheld == ({"accepted", "on-hold"} if BACK in scopes and withdrawn else set())
    assert all(d.last_error == webhooks.WITHHELD for d in sent if d.state == DeliveryState.FAILED)
    assert {d.state for d in sent if d.payload["event"] == "referral.created"} == {DeliveryState.DELIVERED}

    # Later moves reach the referrer only with share-back standing.
    move(greenfingers, referral_id, "in-progress")
    later = _events(surgery.organisation, referral_id)[len(queued) :]
    assert later == ([("referral.status_changed", "in-progress")] if shares_back(scopes, withdrawn) else [])
    # The referrer's own moves always reach it.
    move(surgery, referral_id, "cancelled", reason="Moved away")
    assert _events(surgery.organisation, referral_id)[-1] == ("referral.status_changed", "cancelled")


# --- Pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("consent", CONSENTS, ids=label)
def test_the_pages_follow_the_same_policy(consent, service_referral, surgery, greenfingers):
    scopes, withdrawn = consent
    referral_id = service_referral(scopes, withdrawn)
    sam = staff_client(surgery.organisation, "sam")
    olu = staff_client(greenfingers.organisation, "olu")
    detail = f"/referrals/{referral_id}/"

    before = logged(AccessAction.READ, referral_id)
    referrer_page = sam.get(detail).content.decode()
    receiver_page = olu.get(detail).content.decode()
    assert logged(AccessAction.READ, referral_id) == before + 2

    assert "Joan" in referrer_page and WHAT_MATTERS in referrer_page
    if shares_back(scopes, withdrawn):
        assert (
            "On hold" in referrer_page and RECEIVER_REASON in referrer_page and "· On the waiting list" in referrer_page
        )
        assert "did not agree to share what happens next" not in referrer_page
    else:
        assert "On hold" not in referrer_page and RECEIVER_REASON not in referrer_page
        # (The update form lists every business status as a choice: the shown one follows a "·".)
        assert "· On the waiting list" not in referrer_page and "· Contacted" not in referrer_page
        if withdrawn:
            assert "withdrew their consent on" in referrer_page
        else:
            assert "did not agree to share what happens next with you" in referrer_page
        # Only the moves the status it sees allows: cancelling is offered, as for any requested referral.
        assert 'value="cancelled"' in referrer_page

    assert "On hold" in receiver_page and RECEIVER_REASON in receiver_page
    assert ("Joan" in receiver_page) == shares_details(scopes, withdrawn)
    assert (WHAT_MATTERS in receiver_page) == shares_details(scopes, withdrawn)
    assert (SECRET_NOTE in receiver_page) == shares_details(scopes, withdrawn)

    before = logged(AccessAction.LIST, referral_id)
    mine = sam.get("/referrals/").content.decode()
    incoming = olu.get("/referrals/in/").content.decode()
    assert logged(AccessAction.LIST, referral_id) == before + 2
    assert ('<span class="tag">On hold</span>' in mine) == shares_back(scopes, withdrawn)
    assert "On hold" in incoming
    assert ("Rivers" in incoming) == shares_details(scopes, withdrawn)
    # Filtering the list by a status the referrer cannot see finds nothing.
    filtered = sam.post("/referrals/", {"status": "on-hold", "name": ""}, follow=True).content.decode()
    assert (f"/referrals/{referral_id}/" in filtered) == shares_back(scopes, withdrawn)

    unrelated = Organisation.objects.create(name="Unrelated Practice", organisation_type=OrganisationType.GP_PRACTICE)
    other = staff_client(unrelated, "ola")
    assert other.get(detail).status_code == 404
    assert f"/referrals/{referral_id}/" not in other.get("/referrals/").content.decode()


# --- A timebank coordinator receiving a referral to the timebank --------------------------------


@pytest.fixture
def timebank_referral(surgery, referral_body, timebank):
    def make(scopes, withdrawn):
        subscribe(surgery)
        body = referral_body(
            consent=consent_body(scopes), what_matters=WHAT_MATTERS, notes=SECRET_NOTE, target={"timebank": True}
        )
        made = surgery.api.post("/api/v1/referrals/", body, format="json")
        assert made.status_code == 201, made.json()
        referral_id = made.json()["id"]
        if withdrawn:
            surgery.api.post(
                f"/api/v1/referrals/{referral_id}/consent/", consent_body(scopes, given=False), format="json"
            )
        return referral_id

    return make


@pytest.mark.parametrize("consent", TIMEBANK_CONSENTS, ids=label)
def test_a_timebank_coordinator_is_the_receiver(consent, timebank_referral, timebank, surgery):
    scopes, withdrawn = consent
    referral_id = timebank_referral(scopes, withdrawn)
    coordinator = UserFactory(username="tess", roles=[Role.COORDINATOR], coordinates=[timebank])
    tess = Client()
    tess.force_login(coordinator)

    from referrals.actors import actor_for_user
    from referrals.services import referral_transition

    referral_transition(
        actor=actor_for_user(coordinator), referral_id=referral_id, to="rejected", reason=RECEIVER_REASON
    )
    before = logged(AccessAction.READ, referral_id)
    page = tess.get(f"/referrals/{referral_id}/").content.decode()
    assert logged(AccessAction.READ, referral_id) == before + 1
    assert "Rejected" in page and RECEIVER_REASON in page
    assert ("Joan" in page) == shares_details(scopes, withdrawn)
    assert (WHAT_MATTERS in page) == shares_details(scopes, withdrawn)

    referrer = surgery.api.get(f"/api/v1/referrals/{referral_id}/").json()
    assert referrer["status"] == ("rejected" if shares_back(scopes, withdrawn) else "requested")
    assert _events(surgery.organisation, referral_id)[-1:] == (
        [("referral.status_changed", "rejected")]
        if shares_back(scopes, withdrawn)
        else [("referral.created", "requested")]
    )


# --- Reports and their CSV downloads ------------------------------------------------------------


def _csv(client, slug):
    response = client.get(reverse("brokering:report-csv", kwargs={"slug": slug}))
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode())))[1:]


@pytest.mark.parametrize("consent", CONSENTS, ids=label)
def test_reports_count_only_what_the_consent_lets_the_timebank_see(consent, service_referral, timebank, monkeypatch):
    monkeypatch.setattr(reports, "SMALL_NUMBER_LIMIT", 1)  # one referral: check what is counted, not suppression
    scopes, withdrawn = consent
    service_referral(scopes, withdrawn)
    coordinator = UserFactory(username="tess", roles=[Role.COORDINATOR], coordinates=[timebank])
    tess = Client()
    tess.force_login(coordinator)

    if withdrawn:
        for slug in ("referrals-source", "referrals-status", "referrals-target", "referrals-outcome"):
            assert _csv(tess, slug) == []
    else:
        assert _csv(tess, "referrals-source") == [["Oxford Road Surgery", "1"]]
        shared = BACK in scopes
        assert _csv(tess, "referrals-status") == [["On hold" if shared else reports.NOT_SHARED_LABEL, "1"]]
        assert _csv(tess, "referrals-outcome") == [["On the waiting list" if shared else reports.NOT_SHARED_LABEL, "1"]]
    people = _csv(tess, "ons4")[0][1]
    assert people == ("1" if (SHARE in scopes and BACK in scopes and not withdrawn) else "0")
