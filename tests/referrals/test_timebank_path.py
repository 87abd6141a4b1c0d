"""The timebank path of a referral, end to end: a link worker's API client
refers someone to the timebank; the coordinator approves (or declines) the
application; the person's exchanges are recorded; three months on the
follow-up is due. At each step the link worker sees the referral move through
legal states only (referrals/states.py), with a history row, a webhook
delivery and an access log row."""

import datetime
import io
import itertools
import socket
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from core import netguard
from referrals import states
from referrals.models import (
    AccessAction,
    Referral,
    ReferralAccessLog,
    ReferralHistory,
    ReferralStatus,
    WebhookDelivery,
)
from referrals.timebank_path import DECLINED_REASON, FOLLOW_UP_REASON, referral_follow_ups_due
from timebank.models import Member, MemberStatus
from timebank.services import exchanges as exchange_services, members as member_services

pytestmark = pytest.mark.django_db

PUBLIC_IP = "93.184.216.34"


def resolves_to(address):
    """The webhook's host name resolves to a public address (no DNS query leaves the machine)."""
    return mock.patch.object(
        netguard.socket, "getaddrinfo", return_value=[(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 443))]
    )


@pytest.fixture
def hook(surgery):
    """The surgery's system subscribes to webhooks about its referrals."""
    with resolves_to(PUBLIC_IP):
        response = surgery.api.post("/api/v1/webhooks/", {"url": "https://hooks.example.org/referrals"}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def refer_to_timebank(surgery, referral_body, **person_changes) -> Referral:
    body = referral_body(target={"timebank": True})
    body["person"].update(person_changes)
    body["person"]["communication_needs"] = ["large-print", "braille", "Polish interpreter"]
    response = surgery.api.post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 201, response.json()
    return Referral.objects.get(pk=response.json()["id"])


def assert_legal(referral: Referral) -> None:
    """The status and business status are a combination the state rules allow."""
    referral.refresh_from_db()
    if referral.business_status:
        assert referral.status in states.BUSINESS_STATUS_UPDATABLE, (referral.status, referral.business_status)
    rows = list(referral.history.order_by("at", "pk"))
    for before, after in itertools.pairwise(rows):
        assert before.to_status == after.from_status
        assert states.who_may_move(after.from_status, after.to_status) is not None, (after.from_status, after.to_status)


def events_for(referral: Referral) -> list[tuple[str, str]]:
    return [
        (d.payload["event"], d.payload["status"])
        for d in WebhookDelivery.objects.filter(payload__referral_id=str(referral.pk)).order_by("created_at", "pk")
    ]


def record(provider: Member, receiver: Member, minutes: int, by_user) -> None:
    """A coordinator records an exchange that happened (posted to the ledger at once)."""
    exchange_services.exchange_record_for_members(
        provider=provider, receivers=[receiver], minutes=minutes, by_user=by_user, description="A lift to the shops"
    )


def test_a_referral_goes_from_the_link_worker_to_the_first_hour_and_the_follow_up(
    surgery, referral_body, coordinator, alice, hook, django_capture_on_commit_callbacks, settings
):
    # The link worker refers Jo, with consent to share their details with the timebank.
    referral = refer_to_timebank(surgery, referral_body, email="jo.rivers@example.org")
    assert referral.status == ReferralStatus.REQUESTED and referral.business_status == ""
    member = referral.member
    assert member.status == MemberStatus.APPLIED and member.user is None
    assert member.what_matters == "Getting out of the house and meeting people who like gardening."
    # Every Accessible Information Standard code is kept, not only the timebank's own.
    assert member.communication_needs == ["large-print", "braille", "interpreter-polish"]

    # The coordinator approves the application: the referral is accepted.
    with django_capture_on_commit_callbacks(execute=False):
        member_services.member_approve(member=member, by_user=coordinator, note="Spoke to Jo")
    referral.refresh_from_db()
    assert (referral.status, referral.business_status) == (ReferralStatus.ACCEPTED, "joined-timebank")
    accepted = referral.history.get(to_status=ReferralStatus.ACCEPTED)
    assert (accepted.from_status, accepted.actor, accepted.business_status) == (
        ReferralStatus.REQUESTED,
        coordinator,
        "joined-timebank",
    )
    assert ("referral.status_changed", "accepted") in events_for(referral)
    assert ReferralAccessLog.objects.filter(
        referral_id=referral.pk, action=AccessAction.TRANSITION, user=coordinator
    ).exists()
    assert_legal(referral)

    # Their first exchange (they give 30 minutes) is recorded: the referral is in progress.
    member.refresh_from_db()
    record(member, alice, 30, coordinator)
    referral.refresh_from_db()
    assert (referral.status, referral.business_status) == (ReferralStatus.IN_PROGRESS, "first-exchange-posted")
    assert referral.first_exchange_at is not None and referral.first_hour_given_at is None
    assert ("referral.status_changed", "in-progress") in events_for(referral)
    assert_legal(referral)

    # Receiving does not count as giving; a second 30 minutes given makes the first hour.
    record(alice, member, 45, coordinator)
    referral.refresh_from_db()
    assert referral.business_status == "first-exchange-posted" and referral.first_hour_given_at is None
    record(member, alice, 30, coordinator)
    referral.refresh_from_db()
    assert (referral.status, referral.business_status) == (ReferralStatus.IN_PROGRESS, "first-hour-given")
    assert referral.first_hour_given_at is not None
    assert referral.history.filter(business_status="first-hour-given").count() == 1
    assert ("referral.updated", "in-progress") in events_for(referral)
    # The link worker's system sees the same (the person agreed to share progress back).
    seen = surgery.api.get(f"/api/v1/referrals/{referral.pk}/").json()
    assert (seen["status"], seen["business_status"]) == ("in-progress", "first-hour-given")
    # A third exchange does not say it again.
    record(member, alice, 60, coordinator)
    assert referral.history.filter(business_status="first-hour-given").count() == 1
    assert_legal(referral)

    # Not yet three months: nothing. At REFERRAL_FOLLOW_UP_DAYS after the acceptance: the prompt, once.
    assert settings.REFERRAL_FOLLOW_UP_DAYS == 91
    assert referral_follow_ups_due() == []
    later = accepted.at + datetime.timedelta(days=91)
    assert [r.pk for r in referral_follow_ups_due(now=later)] == [referral.pk]
    referral.refresh_from_db()
    assert (referral.status, referral.business_status) == (ReferralStatus.IN_PROGRESS, "follow-up-due")
    assert referral.follow_up_due_at == later
    assert referral.history.last().reason == FOLLOW_UP_REASON
    assert referral_follow_ups_due(now=later + datetime.timedelta(days=1)) == []
    assert referral.history.filter(business_status="follow-up-due").count() == 1
    assert_legal(referral)


def test_what_the_link_worker_sees_reads_well_at_each_step(surgery, referral_body, coordinator, client):
    referral = refer_to_timebank(surgery, referral_body)
    member_services.member_approve(member=referral.member, by_user=coordinator)
    client.force_login(coordinator)
    page = client.get(f"/referrals/{referral.pk}/")
    assert page.status_code == 200
    assert "Joined the timebank" in page.content.decode()


def test_declining_the_application_rejects_the_referral_with_the_coordinators_reason(
    surgery, referral_body, coordinator, hook, django_capture_on_commit_callbacks
):
    referral = refer_to_timebank(surgery, referral_body)
    with django_capture_on_commit_callbacks(execute=False):
        member_services.member_decline(member=referral.member, by_user=coordinator, note="Lives outside our area")
    referral.refresh_from_db()
    assert (referral.status, referral.status_reason, referral.business_status) == (
        ReferralStatus.REJECTED,
        "Lives outside our area",
        "",
    )
    row = referral.history.last()
    assert (row.from_status, row.to_status, row.reason, row.actor) == (
        ReferralStatus.REQUESTED,
        ReferralStatus.REJECTED,
        "Lives outside our area",
        coordinator,
    )
    assert ("referral.status_changed", "rejected") in events_for(referral)
    assert_legal(referral)
    api = surgery.api.get(f"/api/v1/referrals/{referral.pk}/").json()
    assert api["status"] == "rejected"


def test_a_decline_without_a_note_gives_a_plain_reason(surgery, referral_body, coordinator):
    referral = refer_to_timebank(surgery, referral_body)
    member_services.member_decline(member=referral.member, by_user=coordinator)
    referral.refresh_from_db()
    assert (referral.status, referral.status_reason) == (ReferralStatus.REJECTED, DECLINED_REASON)


def test_a_referral_cancelled_meanwhile_is_left_alone_when_the_application_is_approved(
    surgery, referral_body, coordinator
):
    referral = refer_to_timebank(surgery, referral_body)
    member = referral.member
    response = surgery.api.post(
        f"/api/v1/referrals/{referral.pk}/transition/", {"to": "cancelled", "reason": "Moved away"}, format="json"
    )
    assert response.status_code == 200, response.json()
    # Cancelling declined the application, so there is nothing to approve.
    member.refresh_from_db()
    assert member.status == MemberStatus.DECLINED
    Member.objects.filter(pk=member.pk).update(status=MemberStatus.APPLIED)
    member.refresh_from_db()
    member_services.member_approve(member=member, by_user=coordinator)
    referral.refresh_from_db()
    assert (referral.status, referral.business_status) == (ReferralStatus.CANCELLED, "")
    assert not referral.history.filter(to_status=ReferralStatus.ACCEPTED).exists()


def test_the_follow_up_covers_service_referrals_and_the_command_runs_it_once(
    surgery, greenfingers, make_referral, settings
):
    settings.REFERRAL_FOLLOW_UP_DAYS = 0
    referral_id = make_referral()["id"]
    assert (
        greenfingers.api.post(
            f"/api/v1/referrals/{referral_id}/transition/", {"to": "accepted"}, format="json"
        ).status_code
        == 200
    )
    still_requested = make_referral()["id"]
    call_command("referral_follow_ups", stdout=io.StringIO())
    referral = Referral.objects.get(pk=referral_id)
    assert (referral.status, referral.business_status) == (ReferralStatus.ACCEPTED, "follow-up-due")
    assert Referral.objects.get(pk=still_requested).business_status == ""
    call_command("referral_follow_ups", stdout=io.StringIO())
    assert ReferralHistory.objects.filter(referral_id=referral_id, business_status="follow-up-due").count() == 1


def test_a_referred_person_with_an_e_mail_is_invited_to_go_online_when_approved(
    surgery, referral_body, coordinator, django_capture_on_commit_callbacks
):
    referral = refer_to_timebank(surgery, referral_body, email="jo.rivers@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        member_services.member_approve(member=referral.member, by_user=coordinator)
    member = Member.objects.select_related("user").get(pk=referral.member_id)
    assert member.user is not None and member.user.email == "jo.rivers@example.org"
    assert not member.user.has_usable_password()
    assert [m.to for m in mail.outbox] == [["jo.rivers@example.org"]]
    assert "/invitation/" in mail.outbox[0].body


def test_the_first_exchange_of_an_old_approval_accepts_then_moves_the_referral(
    surgery, referral_body, coordinator, alice
):
    """An application approved before the path was connected left the referral
    requested: the first exchange accepts it first, never leaving it requested
    with a business status."""
    referral = refer_to_timebank(surgery, referral_body)
    member = referral.member
    Member.objects.filter(pk=member.pk).update(status=MemberStatus.APPROVED, approved_at=timezone.now())
    member.refresh_from_db()
    record(alice, member, 60, coordinator)
    referral.refresh_from_db()
    assert (referral.status, referral.business_status) == (ReferralStatus.IN_PROGRESS, "first-exchange-posted")
    assert list(referral.history.values_list("to_status", flat=True)) == [
        ReferralStatus.REQUESTED,
        ReferralStatus.ACCEPTED,
        ReferralStatus.IN_PROGRESS,
    ]
    assert_legal(referral)
