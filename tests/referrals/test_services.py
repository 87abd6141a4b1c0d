"""Referral services beyond the API: the timebank as a target, the first
exchange note, data classification and the append-only access log."""

import pytest
from django.db import connection

from core.errors import ConflictError
from referrals.actors import actor_for_user
from referrals.models import PERSONAL_DATA_FIELDS, Referral, ReferralAccessLog, ReferralStatus
from referrals.services import referral_transition
from referrals.timebank_path import referral_note_first_exchange
from timebank.models import Member, MemberStatus

pytestmark = pytest.mark.django_db


def test_a_referral_to_the_timebank_creates_a_pending_application_the_coordinator_sees(
    surgery, referral_body, coordinator
):
    response = surgery.api.post("/api/v1/referrals/", referral_body(target={"timebank": True}), format="json")
    assert response.status_code == 201, response.json()
    referral = Referral.objects.get(pk=response.json()["id"])
    member = referral.member
    assert (member.status, member.user, member.display_name) == (MemberStatus.APPLIED, None, "Jo Rivers")
    assert member.phone == "0118 496 0000"
    # Placed on the map from the referral's postcode, so matching can find help near them.
    assert member.latitude is not None and abs(member.latitude - 51.45) < 0.1
    assert response.json()["target"] == {"service": None, "timebank": True, "timebank_slug": "default"}

    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(coordinator)
    seen = api.get("/api/v1/referrals/").json()
    assert [r["id"] for r in seen["results"]] == [str(referral.pk)]
    assert (
        api.post(f"/api/v1/referrals/{referral.pk}/transition/", {"to": "accepted"}, format="json").status_code == 200
    )


def test_a_timebank_referral_needs_consent_to_share_details_with_it(surgery, referral_body):
    consent = {**referral_body()["consent"], "scopes": ["codes-only"]}
    response = surgery.api.post(
        "/api/v1/referrals/", referral_body(target={"timebank": True}, consent=consent), format="json"
    )
    assert response.status_code == 400
    assert "consent.scopes" in response.json()["error"]["fields"]
    assert not Member.objects.filter(status=MemberStatus.APPLIED).exists()


def test_rejecting_a_timebank_referral_declines_the_pending_application(surgery, referral_body, coordinator):
    referral = Referral.objects.get(
        pk=surgery.api.post("/api/v1/referrals/", referral_body(target={"timebank": True}), format="json").json()["id"]
    )
    referral_transition(
        actor=actor_for_user(coordinator), referral_id=referral.pk, to="rejected", reason="Outside our area"
    )
    assert Member.objects.get(pk=referral.member_id).status == MemberStatus.DECLINED


def test_the_first_posted_exchange_sets_the_business_status_once(surgery, referral_body):
    referral = Referral.objects.get(
        pk=surgery.api.post("/api/v1/referrals/", referral_body(target={"timebank": True}), format="json").json()["id"]
    )
    noted = referral_note_first_exchange(member=referral.member)
    assert noted.pk == referral.pk
    referral.refresh_from_db()
    assert referral.business_status == "first-exchange-posted" and referral.first_exchange_at is not None
    # Still requested (approved before the timebank path was connected): accepted first, then in progress,
    # so the referral never holds a business status its state does not allow.
    history = list(referral.history.values_list("to_status", "business_status"))
    assert history[-2:] == [
        (ReferralStatus.ACCEPTED, "joined-timebank"),
        (ReferralStatus.IN_PROGRESS, "first-exchange-posted"),
    ]
    assert referral.status == ReferralStatus.IN_PROGRESS
    assert referral_note_first_exchange(member=referral.member) is None
    assert referral.history.count() == 3


def test_a_member_without_a_referral_is_left_alone(alice):
    assert referral_note_first_exchange(member=alice) is None


def test_two_moves_from_the_same_status_cannot_both_succeed(surgery, greenfingers, make_referral):
    from api.actors import actor_for_client

    referral_id = make_referral()["id"]
    receiver = actor_for_client(greenfingers.client_row)
    referral_transition(actor=receiver, referral_id=referral_id, to="accepted")
    with pytest.raises(ConflictError):
        referral_transition(actor=receiver, referral_id=referral_id, to="rejected", reason="Full")


def test_every_field_about_the_person_is_classified():
    """docs/quality.md D3: a new field on Referral must be classified or declared non-personal."""
    non_personal = {
        "id",
        "referring_organisation",
        "receiving_organisation",
        "target_service",
        "target_timebank",
        "created_by",
        "created_by_application",
        "priority",
        "status",
        "business_status",
        "status_reason",
        "member",
        "requested_at",
        "first_exchange_at",
        "first_hour_given_at",
        "follow_up_due_at",
        # The referral's id in the referrer's own system (FHIR ServiceRequest.identifier), not the person's.
        "external_id_system",
        "external_id",
        "created_at",
        "modified_at",
        "anonymised_at",
    }
    fields = {f.name for f in Referral._meta.concrete_fields} | {f.name for f in Referral._meta.many_to_many}
    unclassified = fields - non_personal - set(PERSONAL_DATA_FIELDS)
    assert not unclassified, f"Classify these Referral fields in PERSONAL_DATA_FIELDS: {sorted(unclassified)}"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_raw_updates_and_deletes_of_the_access_log(make_referral):
    from django.db import DatabaseError, transaction

    make_referral()
    assert ReferralAccessLog.objects.exists()
    for sql in ("UPDATE referrals_referralaccesslog SET outcome = 'x'", "DELETE FROM referrals_referralaccesslog"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)


def test_a_referred_persons_first_posted_exchange_tells_the_link_worker(surgery, referral_body, coordinator, alice):
    from timebank.services import exchanges as exchange_services
    from timebank.services.members import member_approve

    referral = Referral.objects.get(
        pk=surgery.api.post("/api/v1/referrals/", referral_body(target={"timebank": True}), format="json").json()["id"]
    )
    jo = referral.member
    member_approve(member=jo, by_user=coordinator)
    exchange = exchange_services.exchange_record_for_members(
        provider=alice, receivers=[Member.objects.get(pk=jo.pk)], minutes=60, by_user=coordinator, description="A walk"
    )

    referral.refresh_from_db()
    assert exchange.status == "posted"
    assert referral.business_status == "first-exchange-posted"
    seen = surgery.api.get(f"/api/v1/referrals/{referral.pk}/").json()
    assert seen["business_status"] == "first-exchange-posted"
