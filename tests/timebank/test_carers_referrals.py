"""Young carers referred by a social prescriber: a service for adults refuses
someone under 18 unless the link worker confirms an exception with a reason
(referrals/eligibility.py, issue 15), and a referral to the timebank of
someone under 18 makes an application that needs a guardian's consent before
a coordinator approves it."""

import datetime

import pytest
from django.utils import timezone

from core.errors import ConflictError
from referrals.eligibility import OVERRIDE_HINT
from referrals.models import Referral
from tests.api import conftest as api_fixtures
from tests.referrals.test_timebank_path import refer_to_timebank
from timebank.models import MemberStatus
from timebank.services.members import UNDER_18_NEEDS_CONSENT, member_approve, member_guardian_consent_record

pytestmark = pytest.mark.django_db

# The API test cast (an organisation with an OAuth client, a service taking referrals).
fresh_cache = api_fixtures.fresh_cache
surgery = api_fixtures.surgery
greenfingers = api_fixtures.greenfingers
garden_service = api_fixtures.garden_service
referral_body = api_fixtures.referral_body


def fifteen_today() -> str:
    """A date of birth a little over a month short of someone's 16th birthday: they are 15."""
    today = timezone.localdate()
    return (today.replace(year=today.year - 16, day=1) + datetime.timedelta(days=40)).isoformat()


@pytest.fixture
def adults_only(garden_service):
    garden_service.name = "Carers' support group"
    garden_service.minimum_age = 18
    garden_service.save()
    return garden_service


def test_a_young_carer_referred_to_a_group_for_adults_is_refused_unless_the_link_worker_confirms(
    surgery, adults_only, referral_body
):
    body = referral_body()
    body["person"]["date_of_birth"] = fifteen_today()
    refused = surgery.api.post("/api/v1/referrals/", body, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {
        "person.date_of_birth": [
            f"Carers' support group is for people aged 18 and over. The person is 15. {OVERRIDE_HINT}"
        ]
    }
    assert not Referral.objects.exists()

    reason = "The group runs a young carers' session on Saturdays."
    confirmed = surgery.api.post(
        "/api/v1/referrals/", {**body, "eligibility_override": {"confirmed": True, "reason": reason}}, format="json"
    )
    assert confirmed.status_code == 201, confirmed.json()
    assert Referral.objects.get().eligibility_override_reason == reason


def test_a_referral_to_the_timebank_of_someone_under_18_needs_a_guardians_consent_before_approval(
    surgery, referral_body, coordinator
):
    referral = refer_to_timebank(surgery, referral_body, date_of_birth=fifteen_today())
    applicant = referral.member
    assert applicant.under_18 is True and applicant.status == MemberStatus.APPLIED
    with pytest.raises(ConflictError) as refused:
        member_approve(member=applicant, by_user=coordinator)
    assert refused.value.message == str(UNDER_18_NEEDS_CONSENT)

    member_guardian_consent_record(
        member=applicant, by_user=coordinator, guardian_name="Karen W.", relationship="Mother", method="phone"
    )
    member_approve(member=applicant, by_user=coordinator)
    applicant.refresh_from_db()
    assert applicant.status == MemberStatus.APPROVED


def test_an_adult_referred_to_the_timebank_is_not_marked_under_18(surgery, referral_body):
    referral = refer_to_timebank(surgery, referral_body, date_of_birth="1950-04-02")
    assert referral.member.under_18 is False
