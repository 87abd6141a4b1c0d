"""Retention of referrals (docs/quality.md D5): closed referrals are anonymised
REFERRAL_RETENTION_DAYS after they closed, by `manage.py anonymise_referrals`.
Every test runs the job on a frozen clock (time_machine)."""

import datetime
import io
import logging

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from privacy.retention import (
    ANONYMISED_VALUES,
    HANDLED_SEPARATELY,
    referrals_anonymise,
    referrals_due_for_anonymising,
)
from referrals.actors import actor_for_user
from referrals.models import (
    PERSONAL_DATA_FIELDS,
    AccessAction,
    Consent,
    Outcome,
    Referral,
    ReferralAccessLog,
    ReferralHistory,
)
from referrals.services import referral_transition
from tests.referrals.test_pages import staff
from timebank.models import Account, Entry, Member, Role, Transfer

pytestmark = pytest.mark.django_db

# What the example referral says about Joan, and what her link worker wrote:
# none of it may be left once she is anonymised.
PERSONAL_VALUES = [
    "Joan",
    "Rivers",
    "0118 496 0000",
    "1948-05-02",
    "7QE",
    "weekday afternoons",
    "large-print",
    "Getting out of the house",
    "walking frame",
    "befriending-and-loneliness",
    "moved to Bristol",
]
ONS4 = {"life_satisfaction": 7, "worthwhile": 7, "happiness": 6, "anxiety": 3}


@pytest.fixture
def now():
    """The moment the job runs. Real time, so the fixtures' OAuth tokens
    (issued just now, valid for ten minutes) still work when frozen there."""
    return timezone.now().replace(microsecond=0)


def frozen(moment):
    return time_machine.travel(moment, tick=False)


def days_before(now, days):
    return now - datetime.timedelta(days=days)


def api_transition(party, referral_id, to, reason=None):
    response = party.api.post(
        f"/api/v1/referrals/{referral_id}/transition/", {"to": to, "reason": reason}, format="json"
    )
    assert response.status_code == 200, response.json()


@pytest.fixture
def refer(make_referral):
    """Make a referral (the example body) on a given day, by the surgery's API client."""

    def make(when, **changes):
        with frozen(when):
            consent = {
                "given": True,
                "scopes": ["share-with-service", "share-back-with-referrer"],
                "method": "verbal",
                "recorded_by": "Sam Patel, link worker",
                "recorded_at": when.isoformat(),
            }
            return make_referral(consent=consent, **changes)["id"]

    return make


@pytest.fixture
def closed_on(refer, surgery):
    """A referral made 5 years before `now` and cancelled by the surgery on `when`."""

    def make(now, when):
        referral_id = refer(days_before(now, 5 * 365))
        with frozen(when):
            api_transition(surgery, referral_id, "cancelled", reason="Joan moved to Bristol")
        return referral_id

    return make


def anonymise(now) -> int:
    with frozen(now):
        return referrals_anonymise()


def test_every_personal_field_has_a_rule():
    """docs/quality.md D3 + D5: a new personal field must say what anonymising does to it."""
    assert set(ANONYMISED_VALUES) | HANDLED_SEPARATELY == set(PERSONAL_DATA_FIELDS)


def test_a_referral_closed_731_days_ago_is_anonymised_and_one_closed_729_days_ago_is_not(now, closed_on):
    old = closed_on(now, days_before(now, 731))
    recent = closed_on(now, days_before(now, 729))

    assert anonymise(now) == 1

    gone = Referral.objects.get(pk=old)
    assert gone.anonymised_at == now and gone.modified_at == now
    assert (gone.given_name, gone.family_name, gone.preferred_name) == ("Anonymised", "", "")
    assert gone.date_of_birth is None and gone.postcode == "RG1"
    assert (gone.phone, gone.email, gone.preferred_contact, gone.contact_times) == ("", "", "", "")
    assert gone.communication_needs == [] and gone.do_not_contact is False
    assert (gone.what_matters, gone.notes, gone.status_reason) == ("", "", "")
    assert not gone.needs.exists()
    assert set(ReferralHistory.objects.filter(referral_id=old).values_list("reason", flat=True)) == {""}
    # Kept: the status and its history, and who recorded consent (staff, not the person).
    assert gone.status == "cancelled"
    assert list(gone.history.values_list("to_status", flat=True)) == ["requested", "cancelled"]
    assert Consent.objects.get(referral_id=old).recorded_by == "Sam Patel, link worker"

    kept = Referral.objects.get(pk=recent)
    assert kept.anonymised_at is None
    assert (kept.given_name, kept.phone, kept.postcode) == ("Joan", "0118 496 0000", "RG1 7QE")
    assert kept.needs.count() == 2
    assert kept.history.get(to_status="cancelled").reason == "Joan moved to Bristol"


def test_an_open_referral_is_kept_however_old(now, refer, greenfingers):
    referral_id = refer(days_before(now, 5 * 365))
    with frozen(days_before(now, 5 * 365 - 1)):
        api_transition(greenfingers, referral_id, "accepted")
        api_transition(greenfingers, referral_id, "in-progress")

    assert anonymise(now) == 0
    assert Referral.objects.get(pk=referral_id).given_name == "Joan"


def test_outcomes_stay_for_the_wellbeing_report(now, refer, greenfingers):
    referral_id = refer(days_before(now, 800))
    with frozen(days_before(now, 780)):
        api_transition(greenfingers, referral_id, "accepted")
        recorded = greenfingers.api.post(
            f"/api/v1/referrals/{referral_id}/outcomes/",
            {"instrument": "ons4", "stage": "follow-up", "answers": ONS4},
            format="json",
        )
        assert recorded.status_code == 201, recorded.json()
        api_transition(greenfingers, referral_id, "completed")

    assert anonymise(now) == 1
    assert [o.answers for o in Outcome.objects.filter(referral_id=referral_id)] == [ONS4]


def test_running_twice_changes_nothing_the_second_time(now, closed_on):
    referral_id = closed_on(now, days_before(now, 731))
    assert anonymise(now) == 1
    row = Referral.objects.filter(pk=referral_id).values().get()
    history = list(ReferralHistory.objects.filter(referral_id=referral_id).values())
    log_rows = ReferralAccessLog.objects.count()

    later = now + datetime.timedelta(minutes=5)
    assert anonymise(later) == 0
    with frozen(later):
        assert not referrals_due_for_anonymising().exists()
    assert Referral.objects.filter(pk=referral_id).values().get() == row
    assert list(ReferralHistory.objects.filter(referral_id=referral_id).values()) == history
    assert ReferralAccessLog.objects.count() == log_rows


def test_the_access_log_gets_one_anonymise_row_per_referral_with_no_actor(now, closed_on):
    first = closed_on(now, days_before(now, 731))
    second = closed_on(now, days_before(now, 1000))

    with frozen(now):
        assert referrals_anonymise(chunk_size=1) == 2

    rows = ReferralAccessLog.objects.filter(action=AccessAction.ANONYMISE)
    assert sorted(str(r.referral_id) for r in rows) == sorted([first, second])
    for row in rows:
        assert (row.outcome, row.user_id, row.application_id, row.organisation_id) == ("allowed", None, None, None)
        assert row.at == now


def test_an_anonymised_referral_still_shows_through_the_api_without_personal_data(
    now, closed_on, surgery, greenfingers
):
    referral_id = closed_on(now, days_before(now, 731))
    anonymise(now)

    with frozen(now):
        detail = surgery.api.get(f"/api/v1/referrals/{referral_id}/")
        listing = surgery.api.get("/api/v1/referrals/")
        received = greenfingers.api.get(f"/api/v1/referrals/{referral_id}/")
    assert detail.status_code == 200, detail.content
    assert listing.status_code == 200 and received.status_code == 200
    assert detail.json()["person"] == {
        "given_name": "Anonymised",
        "family_name": "",
        "preferred_name": "",
        "postcode": "RG1",
    }
    assert received.json()["person"]["given_name"] == "Anonymised"
    assert [r["id"] for r in listing.json()["results"]] == [referral_id]
    for response in (detail, listing, received):
        body = response.content.decode()
        for value in PERSONAL_VALUES:
            assert value not in body


def test_an_anonymised_referral_still_shows_on_the_link_workers_pages(now, closed_on, surgery):
    referral_id = closed_on(now, days_before(now, 731))
    anonymise(now)
    sam = staff(surgery.organisation, "sam", Role.LINK_WORKER)

    with frozen(now):
        detail = sam.get(f"/referrals/{referral_id}/")
        listing = sam.get("/referrals/")
    assert detail.status_code == 200 and listing.status_code == 200
    assert "details were removed" in detail.content.decode() and "Anonymised" in listing.content.decode()
    assert "Update the referral" not in detail.content.decode()  # read-only now
    for response in (detail, listing):
        for value in PERSONAL_VALUES:
            assert value not in response.content.decode()


def test_an_anonymised_referral_can_no_longer_be_changed(now, closed_on, surgery):
    referral_id = closed_on(now, days_before(now, 731))
    anonymise(now)

    with frozen(now):
        moved = surgery.api.post(
            f"/api/v1/referrals/{referral_id}/transition/",
            {"to": "entered-in-error", "reason": "Wrong Joan"},
            format="json",
        )
    assert moved.status_code == 409
    assert "retention period" in moved.json()["error"]["message"]
    assert Referral.objects.get(pk=referral_id).status == "cancelled"


def test_a_timebank_referral_is_anonymised_without_touching_the_member_or_the_ledger(now, refer, coordinator, alice):
    from timebank.services import exchanges as exchange_services
    from timebank.services.members import member_approve

    referral_id = refer(days_before(now, 800), target={"timebank": True})
    referral = Referral.objects.get(pk=referral_id)
    jo = referral.member
    with frozen(days_before(now, 790)):
        member_approve(member=jo, by_user=coordinator)
        exchange_services.exchange_record_for_members(
            provider=alice,
            receivers=[Member.objects.get(pk=jo.pk)],
            minutes=60,
            by_user=coordinator,
            description="A walk",
        )
        cora = actor_for_user(coordinator)
        # The approval accepted the referral and the first exchange put it in progress
        # (referrals/timebank_path.py): the coordinator only completes it.
        assert Referral.objects.get(pk=referral_id).status == "in-progress"
        referral_transition(actor=cora, referral_id=referral_id, to="completed")

    member_before = Member.objects.filter(pk=jo.pk).values().get()
    accounts_before = list(Account.objects.order_by("pk").values_list("pk", "balance"))
    ledger_before = (Transfer.objects.count(), Entry.objects.count())

    assert anonymise(now) == 1

    assert Referral.objects.get(pk=referral_id).member_id is None  # no way back to a name
    assert Member.objects.filter(pk=jo.pk).values().get() == member_before
    assert list(Account.objects.order_by("pk").values_list("pk", "balance")) == accounts_before
    assert (Transfer.objects.count(), Entry.objects.count()) == ledger_before


def test_the_command_prints_counts_only(now, closed_on, caplog):
    referral_id = closed_on(now, days_before(now, 731))
    closed_on(now, days_before(now, 10))
    cutoff_day = (timezone.localdate(now) - datetime.timedelta(days=730)).isoformat()

    caplog.set_level(logging.DEBUG)
    dry, real, again = io.StringIO(), io.StringIO(), io.StringIO()
    with frozen(now):
        call_command("anonymise_referrals", "--dry-run", stdout=dry)
        assert Referral.objects.get(pk=referral_id).anonymised_at is None
        call_command("anonymise_referrals", stdout=real)
        call_command("anonymise_referrals", stdout=again)

    assert dry.getvalue() == f"Would anonymise 1 referral closed before {cutoff_day}. Nothing was changed.\n"
    assert real.getvalue() == f"Anonymised 1 referral closed before {cutoff_day}.\n"
    assert again.getvalue() == f"Anonymised 0 referrals closed before {cutoff_day}.\n"
    assert Referral.objects.get(pk=referral_id).anonymised_at == now
    printed = dry.getvalue() + real.getvalue() + again.getvalue() + caplog.text
    for value in PERSONAL_VALUES:
        assert value not in printed


def test_the_retention_period_is_a_setting(now, closed_on, settings):
    settings.REFERRAL_RETENTION_DAYS = 30
    old = closed_on(now, days_before(now, 31))
    recent = closed_on(now, days_before(now, 29))

    assert anonymise(now) == 1
    assert Referral.objects.get(pk=old).anonymised_at == now
    assert Referral.objects.get(pk=recent).anonymised_at is None


def test_a_retention_period_below_one_day_is_refused_in_plain_words(settings):
    settings.REFERRAL_RETENTION_DAYS = 0
    with pytest.raises(CommandError, match="REFERRAL_RETENTION_DAYS must be a whole number of days, at least 1"):
        call_command("anonymise_referrals", stdout=io.StringIO())
