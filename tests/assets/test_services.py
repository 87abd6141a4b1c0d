"""Directory writes: review reminders, claims' wrong states, capacity."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from assets.models import OrganisationMembership, ReviewReminder
from assets.services import (
    capacity_update,
    organisation_claim_approve,
    organisation_claim_request,
    review_reminders_send,
)
from core.errors import ConflictError, InvalidInputError, NotAllowedError
from tests.assets.factories import service_at
from tests.factories import UserFactory
from timebank.models import Role

pytestmark = pytest.mark.django_db


def months_ago(months: int, extra_days: int = 3) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=int(months * 30.44) + extra_days)


def test_review_reminders_go_to_organisers_at_10_11_and_12_months_once_each(django_capture_on_commit_callbacks):
    organiser = UserFactory(username="org", email="org@example.org", roles=[Role.GROUP_ORGANISER])
    due = service_at(51.46, -0.97, name="Ten months", last_reviewed=months_ago(10))
    OrganisationMembership.objects.create(user=organiser, organisation=due.organisation, role="organiser")
    service_at(51.46, -0.97, name="Fresh", last_reviewed=months_ago(2))
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("review_reminders", stdout=out)
    assert "Sent 1 reminder." in out.getvalue()
    assert [m.to for m in mail.outbox] == [["org@example.org"]] and "Ten months" in mail.outbox[0].subject
    assert review_reminders_send() == 0  # not again this month
    later = timezone.localdate() + datetime.timedelta(days=31)
    assert review_reminders_send(today=later) == 1
    assert sorted(ReviewReminder.objects.values_list("months", flat=True)) == [10, 11]


def test_a_claim_by_a_member_without_the_organiser_role_is_refused():
    walk = service_at(51.46, -0.97)
    with pytest.raises(NotAllowedError):
        organisation_claim_request(by_user=UserFactory(roles=[Role.MEMBER]), service=walk, message="Mine")


def test_a_decided_claim_cannot_be_decided_again(coordinator):
    walk = service_at(51.46, -0.97)
    claim = organisation_claim_request(by_user=UserFactory(roles=[Role.GROUP_ORGANISER]), service=walk, message="Mine")
    organisation_claim_approve(claim=claim, by_user=coordinator)
    with pytest.raises(ConflictError):
        organisation_claim_approve(claim=claim, by_user=coordinator)
    with pytest.raises(NotAllowedError):
        organisation_claim_approve(claim=claim, by_user=UserFactory())


def test_capacity_is_kept_by_organisers_only(coordinator):
    walk = service_at(51.46, -0.97)
    with pytest.raises(NotAllowedError):
        capacity_update(service=walk, by_user=UserFactory(), places_available=3, waitlist_open=False)
    with pytest.raises(InvalidInputError):
        capacity_update(service=walk, by_user=coordinator, places_available=-1, waitlist_open=False)
    capacity_update(service=walk, by_user=coordinator, places_available=0, waitlist_open=True)
    walk.refresh_from_db()
    assert (walk.capacity.places_available, walk.capacity.waitlist_open) == (0, True)
