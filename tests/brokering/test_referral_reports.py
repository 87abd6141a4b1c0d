"""Referral reports and the ONS4 change, against a hand-computed scenario."""

import datetime

import pytest
from django.utils import timezone

from assets.models import Organisation, OrganisationType
from brokering.selectors.reports import Period, report_build
from referrals.models import Consent, Outcome, Referral
from tests.assets.factories import service_at

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PERIOD = Period(TODAY - datetime.timedelta(days=30), TODAY)


def ons4(life, worth, happy, anxious):
    return {"life_satisfaction": life, "worthwhile": worth, "happiness": happy, "anxiety": anxious}


@pytest.fixture
def scenario(timebank):
    surgery = Organisation.objects.create(name="Oxford Road Surgery", organisation_type=OrganisationType.GP_PRACTICE)
    pcn = Organisation.objects.create(name="West Reading PCN", organisation_type=OrganisationType.GP_PRACTICE)
    garden = service_at(51.45, -0.97, name="Community garden")

    def referral(source, *, days_ago=5, status="requested", business_status="", service=None, to_timebank=False):
        made = Referral.objects.create(
            referring_organisation=source,
            target_service=service,
            target_timebank=timebank if to_timebank else None,
            given_name="A",
            family_name="Person",
            postcode="RG1 7QE",
            preferred_contact="phone",
            status=status,
            business_status=business_status,
            requested_at=None if days_ago is None else timezone.now() - datetime.timedelta(days=days_ago),
        )
        # Reports count only referrals whose consent stands, and what happened to a
        # referral to a service only when the person agreed to share it (referrals/consent.py).
        Consent.objects.create(
            referral=made,
            given=True,
            scopes=["share-with-service", "share-back-with-referrer"],
            method="verbal",
            recorded_by="Sam",
            recorded_at=timezone.now(),
        )
        return made

    first = referral(surgery, service=garden, status="in-progress", business_status="first-session-attended")
    second = referral(surgery, to_timebank=True, status="accepted", business_status="contacted")
    third = referral(pcn, service=garden, status="completed", business_status="first-session-attended")
    referral(pcn, service=garden, days_ago=60)  # before the period
    referral(pcn, service=garden, days_ago=None, status="draft")  # never sent
    referral(pcn, service=garden, status="entered-in-error")
    Outcome.objects.create(referral=first, instrument="ons4", stage="baseline", answers=ons4(4, 5, 3, 8))
    Outcome.objects.create(referral=first, instrument="ons4", stage="follow-up", answers=ons4(6, 6, 5, 5))
    Outcome.objects.create(referral=third, instrument="ons4", stage="baseline", answers=ons4(2, 3, 4, 6))
    Outcome.objects.create(referral=third, instrument="ons4", stage="follow-up", answers=ons4(5, 6, 6, 4))
    # Only a baseline: not counted in the change.
    Outcome.objects.create(referral=second, instrument="ons4", stage="baseline", answers=ons4(0, 0, 0, 10))


@pytest.fixture
def arithmetic_only(monkeypatch):
    """The scenario is small: these tests check the arithmetic, so small-number
    suppression is turned off for them (tests/security/test_data_protection.py tests it)."""
    from brokering.selectors import reports

    monkeypatch.setattr(reports, "SMALL_NUMBER_LIMIT", 1)


def rows(slug, timebank):
    return report_build(slug=slug, timebank=timebank, period=PERIOD).rows


def test_referrals_are_counted_by_source_status_target_and_outcome(arithmetic_only, scenario, timebank):
    assert rows("referrals-source", timebank) == [["Oxford Road Surgery", "2"], ["West Reading PCN", "1"]]
    assert rows("referrals-status", timebank) == [["Accepted", "1"], ["Completed", "1"], ["In progress", "1"]]
    assert rows("referrals-target", timebank) == [["Community garden", "2"], [f"Timebank: {timebank.name}", "1"]]
    assert rows("referrals-outcome", timebank) == [["First session attended", "2"], ["Contacted", "1"]]


def test_the_ons4_change_compares_the_same_people_at_referral_and_follow_up(arithmetic_only, scenario, timebank):
    table = rows("ons4", timebank)
    # Life satisfaction: (4+2)/2 = 3.0 -> (6+5)/2 = 5.5, +2.5; anxiety (8+6)/2 = 7.0 -> (5+4)/2 = 4.5, -2.5.
    assert table[0][1:] == ["2", "3.0", "5.5", "+2.5"]
    assert table[1][1:] == ["2", "4.0", "6.0", "+2.0"]
    assert table[2][1:] == ["2", "3.5", "5.5", "+2.0"]
    assert table[3][1:] == ["2", "7.0", "4.5", "-2.5"]


def test_no_outcomes_gives_no_data_not_an_error(timebank):
    assert rows("ons4", timebank)[0][1:] == ["0", "no data", "no data", "no data"]
    assert rows("referrals-source", timebank) == []


def test_a_referral_report_page_has_its_csv_and_chart(arithmetic_only, scenario, timebank, coordinator, client):
    client.force_login(coordinator)
    query = f"?timebank={timebank.pk}&start={PERIOD.start}&end={PERIOD.end}"
    page = client.get(f"/coordinator/reports/ons4/{query}").content.decode()
    assert "Change in mean score" in page and "For anxiety a fall is an improvement" in page
    download = client.get(f"/coordinator/reports/referrals-source/csv/{query}").content.decode()
    assert download.splitlines() == ["Referred by,Referrals", "Oxford Road Surgery,2", "West Reading PCN,1"]
