"""Involvement opportunities and attendance credited in hours (coproduction.involvement):
each rule through the real services and pages, with what a person sees and what
is in the database afterwards."""

from __future__ import annotations

import datetime
import threading
import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assets.models import OrganisationMembership
from coproduction.involvement import selectors, services
from coproduction.involvement.models import (
    InvolvementProfile,
    Opportunity,
    OpportunityStatus,
    Participation,
    ParticipationStatus,
)
from core.errors import ConflictError, InvalidInputError, NotAllowedError
from tests.assets.factories import OrganisationFactory
from tests.factories import MemberFactory, UserFactory
from timebank import ledger
from timebank.models import Account, AccountKind, Availability, Member, MemberStatus, Role, Timebank, Transfer
from timebank.models.members import MemberKind

pytestmark = pytest.mark.django_db


# --- Shared helpers (imported by the other involvement and expenses test files) ------------


def details(**overrides) -> services.OpportunityDetails:
    values = {
        "title": "Planning the new café",
        "what": "Help us choose what the café in the library offers.",
        "why_it_matters": "It is your library.",
        "what_will_change": "The menu and opening times.",
        "starts_at": timezone.now() + datetime.timedelta(days=20),
        "duration_minutes": 120,
        "contact_name": "Priya",
        "contact_phone": "0118 496 0000",
        "place": "Central Library, room 2",
        "postcode": "RG1 3BQ",
        "access_information": "Step-free. Hearing loop.",
        "hours_minutes": 120,
        "covers_travel": True,
        "covers_care": True,
    }
    values.update(overrides)
    return services.OpportunityDetails(**values)


def published(by_user, *, timebank: Timebank | None = None, **overrides) -> Opportunity:
    """A published opportunity (publishing checked its notice)."""
    timebank = timebank or Timebank.get_default()
    opportunity = services.opportunity_create(by_user=by_user, timebank=timebank, details=details(**overrides))
    return services.opportunity_publish(by_user=by_user, opportunity=opportunity)


def has_started(opportunity: Opportunity) -> Opportunity:
    """Time passes: the opportunity began an hour ago."""
    Opportunity.objects.filter(pk=opportunity.pk).update(starts_at=timezone.now() - datetime.timedelta(hours=1))
    opportunity.refresh_from_db()
    return opportunity


def balance(member: Member) -> int:
    return Account.objects.get(member=member).balance


def pot_balance(timebank: Timebank) -> int:
    return ledger.system_account(timebank=timebank, kind=AccountKind.POT).balance


@pytest.fixture
def organiser():
    return UserFactory(username="cora", first_name="Cora", roles=[Role.COORDINATOR])


@pytest.fixture
def margaret():
    return MemberFactory(
        display_name="Margaret",
        user__username="margaret",
        communication_needs=["large-print", "phone-only"],
        availability=0,
    )


@pytest.fixture
def tariq():
    return MemberFactory(display_name="Tariq", user__username="tariq")


# --- Publishing and notice ------------------------------------------------------------------


@pytest.mark.parametrize("days", [3, 13])
def test_it_refuses_to_publish_below_the_minimum_notice_and_keeps_the_reason(organiser, settings, days):
    settings.INVOLVEMENT_MIN_NOTICE_DAYS = 14
    opportunity = services.opportunity_create(
        by_user=organiser,
        timebank=Timebank.get_default(),
        details=details(starts_at=timezone.now() + datetime.timedelta(days=days)),
    )
    with pytest.raises(ConflictError, match="14 days' notice"):
        services.opportunity_publish(by_user=organiser, opportunity=opportunity)
    opportunity.refresh_from_db()
    assert opportunity.status == OpportunityStatus.DRAFT
    assert "14 days' notice" in opportunity.publish_refused_reason
    assert opportunity.publish_refused_at is not None
    assert opportunity.published_at is None


def test_the_minimum_notice_is_a_setting(organiser, settings):
    settings.INVOLVEMENT_MIN_NOTICE_DAYS = 3
    opportunity = published(organiser, starts_at=timezone.now() + datetime.timedelta(days=4))
    assert opportunity.status == OpportunityStatus.PUBLISHED
    assert opportunity.published_at is not None


def test_publishing_with_enough_notice_clears_an_earlier_refusal(organiser, settings):
    settings.INVOLVEMENT_MIN_NOTICE_DAYS = 14
    opportunity = services.opportunity_create(
        by_user=organiser,
        timebank=Timebank.get_default(),
        details=details(starts_at=timezone.now() + datetime.timedelta(days=5)),
    )
    with pytest.raises(ConflictError):
        services.opportunity_publish(by_user=organiser, opportunity=opportunity)
    services.opportunity_update(
        by_user=organiser,
        opportunity=opportunity,
        details=details(starts_at=timezone.now() + datetime.timedelta(days=15)),
    )
    services.opportunity_publish(by_user=organiser, opportunity=opportunity)
    opportunity.refresh_from_db()
    assert (opportunity.status, opportunity.publish_refused_reason) == (OpportunityStatus.PUBLISHED, "")


def test_the_organiser_sees_why_publishing_was_refused(client, organiser, settings):
    settings.INVOLVEMENT_MIN_NOTICE_DAYS = 14
    opportunity = services.opportunity_create(
        by_user=organiser,
        timebank=Timebank.get_default(),
        details=details(starts_at=timezone.now() + datetime.timedelta(days=2)),
    )
    client.force_login(organiser)
    url = reverse("involvement:manage", args=[opportunity.public_id])
    response = client.post(url, {"action": "publish"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert "14 days&#x27; notice" in response.content.decode()
    # Later, the draft still says why it was refused.
    page = client.get(url).content.decode()
    assert "Publishing was refused on" in page
    assert Opportunity.objects.get(pk=opportunity.pk).status == OpportunityStatus.DRAFT


def test_a_coordinator_posts_an_opportunity_through_the_form(client, organiser):
    client.force_login(organiser)
    starts = timezone.localtime(timezone.now() + datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("involvement:opportunity-new"),
        {
            "title": "Bus routes panel",
            "what": "Tell the council which routes matter.",
            "starts_at": starts,
            "duration": "1.5 hours",
            "place": "Town hall",
            "contact_name": "Priya",
            "contact_phone": "0118 496 0000",
            "hours": "2 hours",
            "payment": "25.00",
            "covers": ["travel", "care"],
        },
    )
    opportunity = Opportunity.objects.get(title="Bus routes panel")
    assert response.status_code == 302
    assert (opportunity.duration_minutes, opportunity.hours_minutes, opportunity.payment_pence) == (90, 120, 2500)
    assert opportunity.covered_kinds == ["travel", "care"]
    assert opportunity.status == OpportunityStatus.DRAFT


def test_the_form_shows_bad_input_next_to_the_field_and_saves_nothing(client, organiser):
    client.force_login(organiser)
    response = client.post(
        reverse("involvement:opportunity-new"),
        {"title": "", "what": "x", "starts_at": "soon", "duration": "ages", "contact_name": "P", "contact_phone": "1"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a title" in page
    assert "Enter the date and time it starts" in page or "real date and time" in page
    assert not Opportunity.objects.exists()


def test_a_place_or_online_is_required(organiser):
    with pytest.raises(InvalidInputError, match="Online") as raised:
        services.opportunity_create(
            by_user=organiser, timebank=Timebank.get_default(), details=details(place="", online=False)
        )
    assert raised.value.field == "place"


def test_only_coordinators_or_the_host_organisations_staff_post_and_manage(organiser, margaret):
    with pytest.raises(NotAllowedError):
        services.opportunity_create(by_user=margaret.user, timebank=Timebank.get_default(), details=details())
    surgery = OrganisationFactory(name="Oxford Road Surgery")
    staff = UserFactory(username="gp-staff")
    OrganisationMembership.objects.create(user=staff, organisation=surgery)
    hosted = services.opportunity_create(
        by_user=organiser, timebank=Timebank.get_default(), details=details(host_organisation=surgery)
    )
    # The practice's staff manage what their practice hosts, and nothing else.
    assert services.opportunity_publish(by_user=staff, opportunity=hosted).status == OpportunityStatus.PUBLISHED
    other = services.opportunity_create(by_user=organiser, timebank=Timebank.get_default(), details=details())
    with pytest.raises(NotAllowedError):
        services.opportunity_publish(by_user=staff, opportunity=other)


# --- Signing up in one step -------------------------------------------------------------------


def test_sign_up_is_one_step_and_carries_the_profiles_needs_never_asking_twice(client, organiser, margaret):
    first = published(organiser)
    second = published(organiser, title="Library opening hours")
    client.force_login(margaret.user)

    page = client.get(reverse("involvement:opportunity", args=[first.public_id])).content.decode()
    assert 'name="access_needs"' in page  # asked once, the first time
    client.post(
        reverse("involvement:opportunity", args=[first.public_id]), {"access_needs": "Step-free access, please"}
    )
    joined = Participation.objects.get(opportunity=first, member=margaret)
    assert joined.access_needs == "Step-free access, please"
    assert joined.communication_needs == ["large-print", "phone-only"]

    page = client.get(reverse("involvement:opportunity", args=[second.public_id])).content.decode()
    assert 'name="access_needs"' not in page  # never asked again
    assert "Step-free access, please" in page  # shown, with a link to change it
    response = client.post(reverse("involvement:opportunity", args=[second.public_id]), {})
    assert response.status_code == 302
    again = Participation.objects.get(opportunity=second, member=margaret)
    assert again.access_needs == "Step-free access, please"
    assert again.communication_needs == ["large-print", "phone-only"]
    assert InvolvementProfile.objects.filter(member=margaret).count() == 1


def test_the_organiser_sees_what_to_arrange(client, organiser, margaret):
    opportunity = published(organiser)
    services.participation_sign_up(by_user=margaret.user, opportunity=opportunity, access_needs="A ramp")
    client.force_login(organiser)
    page = client.get(reverse("involvement:manage", args=[opportunity.public_id])).content.decode()
    assert "Margaret" in page and "A ramp" in page and "Large print" in page


def test_signing_up_twice_is_refused_and_withdrawing_then_rejoining_works(organiser, margaret):
    opportunity = published(organiser)
    joined = services.participation_sign_up(by_user=margaret.user, opportunity=opportunity)
    with pytest.raises(ConflictError, match="already"):
        services.participation_sign_up(by_user=margaret.user, opportunity=opportunity)
    services.participation_withdraw(by_user=margaret.user, participation=joined)
    again = services.participation_sign_up(by_user=margaret.user, opportunity=opportunity)
    assert again.pk == joined.pk and again.status == ParticipationStatus.SIGNED_UP


def test_drafts_and_other_timebanks_cannot_be_joined(organiser, margaret):
    draft = services.opportunity_create(by_user=organiser, timebank=Timebank.get_default(), details=details())
    with pytest.raises(ConflictError):
        services.participation_sign_up(by_user=margaret.user, opportunity=draft)
    elsewhere = Timebank.objects.create(name="Caversham", slug="caversham")
    stranger = MemberFactory(timebank=elsewhere, user__username="carl")
    with pytest.raises(NotAllowedError):
        services.participation_sign_up(by_user=stranger.user, opportunity=published(organiser))
    applicant = MemberFactory(user__username="app", status=MemberStatus.APPLIED)
    with pytest.raises(NotAllowedError):
        services.participation_sign_up(by_user=applicant.user, opportunity=published(organiser))


def test_members_see_open_opportunities_and_why_they_fit(client, organiser, tariq):
    Member.objects.filter(pk=tariq.pk).update(availability=0)
    soon = published(organiser, online=True, title="Online panel")
    day, part = selectors.part_of_day(soon.starts_at)
    Member.objects.filter(pk=tariq.pk).update(availability=Availability.bit(day, part))
    services.opportunity_create(by_user=organiser, timebank=Timebank.get_default(), details=details(title="A draft"))
    client.force_login(tariq.user)
    page = client.get(reverse("involvement:opportunities")).content.decode()
    assert "Online panel" in page and "A draft" not in page
    assert "Online: you can join from home." in page
    assert "At a time you said you are free." in page
    assert "Near you, in RG1." in page  # the panel's postcode RG1 3BQ; Tariq lives in RG1


# --- Attendance credited in hours --------------------------------------------------------------


def test_attendance_credits_hours_once_in_one_transfer_and_the_ledger_balances(organiser, margaret, tariq):
    carol = MemberFactory(display_name="Carol", user__username="carol")
    opportunity = published(organiser, hours_minutes=90)
    rows = [services.participation_sign_up(by_user=m.user, opportunity=opportunity) for m in (margaret, tariq, carol)]
    has_started(opportunity)
    pot_before = pot_balance(opportunity.timebank)

    result = services.attendance_record(by_user=organiser, opportunity=opportunity, attended=[rows[0].pk, rows[1].pk])

    assert result.newly_attended == 2
    transfer = Transfer.objects.get(kind="involve")
    assert transfer.entries.count() == 3  # the pot's leg and one for each person who came
    assert (balance(margaret), balance(tariq), balance(carol)) == (90, 90, 0)
    assert pot_balance(opportunity.timebank) == pot_before - 180
    assert Participation.objects.get(pk=rows[2].pk).status == ParticipationStatus.DID_NOT_ATTEND
    assert selectors.member_attended(member=margaret, opportunity=opportunity)
    assert not selectors.member_attended(member=carol, opportunity=opportunity)

    # Recording the same again pays nothing; adding Carol pays only Carol.
    again = services.attendance_record(by_user=organiser, opportunity=opportunity, attended=[rows[0].pk, rows[1].pk])
    assert again.transfer is None and Transfer.objects.filter(kind="involve").count() == 1
    services.attendance_record(by_user=organiser, opportunity=opportunity, attended=[r.pk for r in rows])
    assert (balance(margaret), balance(tariq), balance(carol)) == (90, 90, 90)
    assert Transfer.objects.filter(kind="involve").count() == 2
    call_command("ledger_check")  # raises CommandError on any difference


def test_hours_come_from_the_organisations_account_when_it_pays(organiser, margaret):
    care_home = MemberFactory(display_name="Elm Care Home", user=None, kind=MemberKind.ORGANISATION)
    ledger.transfer_post(
        timebank=care_home.timebank,
        kind="grant",
        legs=[
            ledger.Leg(account=ledger.system_account(timebank=care_home.timebank, kind=AccountKind.POT), minutes=-600),
            ledger.Leg(account=ledger.account_for_member(member=care_home), minutes=600),
        ],
    )
    opportunity = published(organiser, paid_from=care_home, hours_minutes=60)
    joined = services.participation_sign_up(by_user=margaret.user, opportunity=opportunity)
    has_started(opportunity)
    services.attendance_record(by_user=organiser, opportunity=opportunity, attended=[joined.pk])
    assert (balance(care_home), balance(margaret)) == (540, 60)


def test_attendance_waits_for_the_start_and_a_payer_short_of_hours_changes_nothing(organiser, margaret):
    poor = MemberFactory(display_name="Tiny charity", user=None, kind=MemberKind.ORGANISATION)
    ledger.account_set_limits(account=ledger.account_for_member(member=poor), min_balance=0, max_balance=None)
    opportunity = published(organiser, paid_from=poor, hours_minutes=60)
    joined = services.participation_sign_up(by_user=margaret.user, opportunity=opportunity)
    with pytest.raises(ConflictError, match="once the opportunity has started"):
        services.attendance_record(by_user=organiser, opportunity=opportunity, attended=[joined.pk])
    has_started(opportunity)
    with pytest.raises(ledger.LimitExceededError):
        services.attendance_record(by_user=organiser, opportunity=opportunity, attended=[joined.pk])
    joined.refresh_from_db()
    assert joined.status == ParticipationStatus.SIGNED_UP and joined.credited_by_id is None
    assert balance(margaret) == 0


def test_the_organiser_records_attendance_on_the_page_and_the_member_sees_the_hours(client, organiser, margaret):
    opportunity = published(organiser, hours_minutes=120)
    joined = services.participation_sign_up(by_user=margaret.user, opportunity=opportunity)
    has_started(opportunity)
    client.force_login(organiser)
    url = reverse("involvement:manage", args=[opportunity.public_id])
    client.post(url, {"action": "attendance", "attended": [str(joined.pk)]})
    client.post(url, {"action": "attendance", "attended": [str(joined.pk)]})
    assert balance(margaret) == 120
    client.force_login(margaret.user)
    page = client.get(reverse("timebank:my-hours")).content.decode()
    assert "Taking part in planning" in page


def test_only_managers_record_attendance(organiser, margaret):
    opportunity = has_started(published(organiser))
    with pytest.raises(NotAllowedError):
        services.attendance_record(by_user=margaret.user, opportunity=opportunity, attended=[])


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_recordings_credit_each_person_once():
    timebank = Timebank.objects.create(name="Concurrent", slug=f"c-{uuid.uuid4().hex[:8]}")
    boss = UserFactory(username=f"boss-{uuid.uuid4().hex[:6]}", roles=[Role.COORDINATOR], coordinates=[timebank])
    people = [MemberFactory(timebank=timebank, user__username=f"p{i}-{uuid.uuid4().hex[:6]}") for i in range(3)]
    opportunity = published(boss, timebank=timebank, hours_minutes=60)
    rows = [services.participation_sign_up(by_user=p.user, opportunity=opportunity) for p in people]
    has_started(opportunity)
    barrier = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    def record() -> None:
        try:
            barrier.wait()
            services.attendance_record(by_user=boss, opportunity=opportunity, attended=[r.pk for r in rows])
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert Transfer.objects.filter(timebank=timebank, kind="involve").count() == 1
    assert [balance(p) for p in people] == [60, 60, 60]
    call_command("ledger_check")


def test_the_lists_run_the_same_number_of_queries_for_one_row_and_many(client, organiser, margaret):
    def count(url: str, user) -> int:
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    first = published(organiser)
    services.participation_sign_up(by_user=margaret.user, opportunity=first)
    pages = [(reverse("involvement:opportunities"), margaret.user), (reverse("involvement:manage-list"), organiser)]
    one = [count(url, user) for url, user in pages]
    for index in range(4):
        more = published(organiser, title=f"Panel {index}")
        services.participation_sign_up(by_user=margaret.user, opportunity=more)
    assert [count(url, user) for url, user in pages] == one


def test_organisation_staff_see_only_what_their_organisation_hosts(client, organiser):
    surgery = OrganisationFactory(name="Oxford Road Surgery")
    staff = UserFactory(username="gp-staff")
    OrganisationMembership.objects.create(user=staff, organisation=surgery)
    published(organiser, title="Patient panel", host_organisation=surgery)
    published(organiser, title="Timebank's own panel")
    client.force_login(staff)
    page = client.get(reverse("involvement:manage-list")).content.decode()
    assert "Patient panel" in page and "own panel" not in page
    # They post as their organisation, to the timebank they choose; hours come from the pot.
    starts = timezone.localtime(timezone.now() + datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    form = client.get(reverse("involvement:opportunity-new")).content.decode()
    assert 'name="timebank"' in form and 'name="paid_from"' not in form and 'name="host_organisation"' not in form
    client.post(
        reverse("involvement:opportunity-new"),
        {
            "timebank": Timebank.get_default().pk,
            "title": "Surgery open evening",
            "what": "Meet the practice team.",
            "starts_at": starts,
            "duration": "1 hour",
            "online": "on",
            "contact_name": "Priya",
            "contact_phone": "0118 496 0000",
        },
    )
    posted = Opportunity.objects.get(title="Surgery open evening")
    assert (posted.host_organisation_id, posted.paid_from_id, posted.created_by_id) == (surgery.pk, None, staff.pk)
    payer = MemberFactory(display_name="Rich charity", user=None, kind=MemberKind.ORGANISATION)
    with pytest.raises(NotAllowedError):
        services.opportunity_create(
            by_user=staff, timebank=Timebank.get_default(), details=details(host_organisation=surgery, paid_from=payer)
        )
    nobody = UserFactory(username="nobody")
    client.force_login(nobody)
    assert client.get(reverse("involvement:manage-list")).status_code == 404


def test_host_staff_change_the_details_but_not_who_hosts_or_pays(organiser):
    surgery, other = OrganisationFactory(name="Surgery"), OrganisationFactory(name="Other group")
    staff = UserFactory(username="gp-staff")
    OrganisationMembership.objects.create(user=staff, organisation=surgery)
    OrganisationMembership.objects.create(user=UserFactory(username="other-staff"), organisation=other)
    payer = MemberFactory(display_name="Rich charity", user=None, kind=MemberKind.ORGANISATION)
    draft = services.opportunity_create(
        by_user=organiser, timebank=Timebank.get_default(), details=details(host_organisation=surgery)
    )
    services.opportunity_update(
        by_user=staff,
        opportunity=draft,
        details=details(title="Renamed", host_organisation=other, paid_from=payer),
    )
    draft.refresh_from_db()
    assert (draft.title, draft.host_organisation_id, draft.paid_from_id) == ("Renamed", surgery.pk, None)
