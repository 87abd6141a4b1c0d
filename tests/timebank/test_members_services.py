"""Member services: joining, the status table, profiles, offline members."""

import pytest
from django.contrib.auth.models import Group
from hypothesis import HealthCheck, given, settings, strategies as st

from core.errors import ConflictError, InvalidInputError, NotAllowedError
from tests.factories import MemberFactory, UserFactory
from timebank.models import Account, Availability, Member, MemberStatus, Role, User
from timebank.services import members as services


def apply(timebank, **overrides):
    data = {
        "timebank": timebank,
        "display_name": "Dev Patel",
        "email": "Dev@Example.org",
        "phone": "0118 496 0000",
        "postcode": "rg1 7qe",
        "about": "I can fix bikes.",
        "availability_slots": ["mon-morning", "sat-afternoon"],
        "communication_needs": ["large-print"],
        "password": "a long enough passphrase",
    }
    data.update(overrides)
    return services.member_apply(**data)


def test_an_application_creates_a_member_waiting_for_approval_who_can_log_in(timebank):
    member = apply(timebank)
    member.refresh_from_db()
    assert member.status == MemberStatus.APPLIED
    assert member.postcode == "RG1 7QE" and member.postcode_district == "RG1"
    assert member.latitude == pytest.approx(51.45, abs=0.1) and member.longitude == pytest.approx(-0.97, abs=0.1)
    assert member.availability == Availability.from_slots(["mon-morning", "sat-afternoon"])
    assert member.communication_needs == ["large-print"]
    assert member.user.username == "dev@example.org" and member.user.check_password("a long enough passphrase")
    assert member.user.has_role(Role.MEMBER)
    assert not Account.objects.filter(member=member).exists()


def test_an_application_without_a_password_cannot_log_in_yet(timebank):
    member = apply(timebank, password=None)
    assert not member.user.has_usable_password()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"display_name": "  "}, "display_name"),
        ({"email": ""}, "email"),
        ({"postcode": "not a postcode"}, "postcode"),
        ({"postcode": "ZZ9 9ZZ"}, "postcode"),  # right shape, no such district
        ({"password": "123"}, "password"),
        ({"availability_slots": ["someday-morning"]}, "availability"),
        ({"communication_needs": ["telepathy"]}, "communication_needs"),
        ({"about": "x" * 2001}, "about"),
        ({"display_name": "Nul\x00byte"}, "display_name"),
    ],
)
def test_a_bad_application_is_refused_with_a_message_for_the_field_and_nothing_is_saved(timebank, overrides, field):
    users, members = User.objects.count(), Member.objects.count()
    with pytest.raises(InvalidInputError) as error:
        apply(timebank, **overrides)
    assert error.value.field == field
    assert error.value.message
    assert (User.objects.count(), Member.objects.count()) == (users, members)


def test_a_second_application_with_the_same_email_is_refused(timebank):
    apply(timebank)
    with pytest.raises(InvalidInputError) as error:
        apply(timebank, email="dev@EXAMPLE.org", display_name="Someone else")
    assert error.value.field == "email"
    assert Member.objects.filter(display_name="Someone else").count() == 0


# --- The status table ------------------------------------------------------------------------

ALLOWED = [
    ("approve", MemberStatus.APPLIED, MemberStatus.APPROVED),
    ("decline", MemberStatus.APPLIED, MemberStatus.DECLINED),
    ("pause", MemberStatus.APPROVED, MemberStatus.PAUSED),
    ("pause", MemberStatus.ACTIVE, MemberStatus.PAUSED),
    ("resume", MemberStatus.PAUSED, MemberStatus.ACTIVE),
    ("leave", MemberStatus.APPROVED, MemberStatus.LEFT),
    ("leave", MemberStatus.ACTIVE, MemberStatus.LEFT),
    ("leave", MemberStatus.PAUSED, MemberStatus.LEFT),
    ("activate", MemberStatus.APPROVED, MemberStatus.ACTIVE),
]
SERVICES = {
    "approve": services.member_approve,
    "decline": services.member_decline,
    "pause": services.member_pause,
    "resume": services.member_resume,
    "leave": services.member_leave,
    "activate": services.member_activate,
}


@pytest.mark.parametrize("action, source, target", ALLOWED)
def test_a_coordinator_makes_each_allowed_status_change(action, source, target, coordinator):
    member = MemberFactory(status=source, with_account=False)
    SERVICES[action](member=member, by_user=coordinator)
    member.refresh_from_db()
    assert member.status == target


REFUSED = [
    (action, source)
    for action in SERVICES
    for source in MemberStatus.values
    if (action, source) not in {(a, s) for a, s, _ in ALLOWED}
]


@pytest.mark.parametrize("action, source", REFUSED)
def test_every_other_status_change_is_refused_as_a_conflict(action, source, coordinator):
    member = MemberFactory(status=source, with_account=False)
    with pytest.raises(ConflictError) as error:
        SERVICES[action](member=member, by_user=coordinator)
    assert member.display_name in error.value.message
    member.refresh_from_db()
    assert member.status == source


@pytest.mark.parametrize("action, source, target", ALLOWED)
def test_a_member_cannot_change_anyones_status_not_even_their_own(action, source, target, alice):
    other = MemberFactory(status=source, with_account=False)
    for member in (other, alice):
        with pytest.raises(NotAllowedError):
            SERVICES[action](member=member, by_user=alice.user)
    other.refresh_from_db()
    assert other.status == source


def test_approval_opens_the_account_with_the_timebanks_limit_and_records_when(timebank, coordinator):
    member = apply(timebank)
    services.member_approve(member=member, by_user=coordinator, note="Met at the library")
    member.refresh_from_db()
    assert member.approved_at is not None and member.status_note == "Met at the library"
    account = Account.objects.get(member=member)
    assert (account.balance, account.min_balance) == (0, timebank.default_min_balance)


def test_the_system_can_activate_an_approved_member_without_a_user(coordinator):
    member = MemberFactory(status=MemberStatus.APPROVED)
    services.member_activate(member=member)
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE


def test_user_make_coordinator_gives_the_role_and_the_admin(db):
    user = UserFactory(username="newcoord")
    services.user_make_coordinator(user=user)
    user = User.objects.get(pk=user.pk)
    assert user.is_staff and user.is_coordinator
    assert Group.objects.get(name=Role.COORDINATOR).user_set.filter(pk=user.pk).exists()


# --- Profiles ----------------------------------------------------------------------------------


def profile(member, by_user, **overrides):
    data = {
        "member": member,
        "by_user": by_user,
        "display_name": "Alice Smith",
        "postcode": "rg30 2aa",
        "travel_radius_km": 5,
        "availability_slots": ["tue-evening"],
        "communication_needs": ["bsl", "phone-only"],
        "digest": "never",
        "phone": "0118 000",
        "about": "Gardener",
    }
    data.update(overrides)
    return services.member_update_profile(**data)


def test_a_member_updates_their_own_profile_and_the_point_follows_the_postcode(alice):
    profile(alice, alice.user)
    alice.refresh_from_db()
    assert (alice.display_name, alice.postcode, alice.postcode_district) == ("Alice Smith", "RG30 2AA", "RG30")
    assert alice.latitude == pytest.approx(51.45, abs=0.1)
    assert (alice.travel_radius_km, alice.digest) == (5, "never")
    assert Availability.to_slots(alice.availability) == ["tue-evening"]
    assert alice.communication_needs == ["bsl", "phone-only"]
    assert Account.objects.get(member=alice).name == "Alice Smith"


def test_a_coordinator_can_update_a_members_profile_but_another_member_cannot(alice, bob, coordinator):
    profile(alice, coordinator, display_name="Alice C")
    with pytest.raises(NotAllowedError):
        profile(alice, bob.user, display_name="Hacked")
    alice.refresh_from_db()
    assert alice.display_name == "Alice C"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"travel_radius_km": 0}, "travel_radius_km"),
        ({"travel_radius_km": 101}, "travel_radius_km"),
        ({"postcode": "RG1 7Q"}, "postcode"),
        ({"postcode": ""}, "postcode"),
        ({"digest": "daily"}, "digest"),
        ({"display_name": ""}, "display_name"),
    ],
)
def test_a_bad_profile_change_is_refused_and_nothing_changes(alice, overrides, field):
    before = Member.objects.filter(pk=alice.pk).values().get()
    with pytest.raises(InvalidInputError) as error:
        profile(alice, alice.user, **overrides)
    assert error.value.field == field
    assert Member.objects.filter(pk=alice.pk).values().get() == before


# --- Members who are not online -----------------------------------------------------------------


def test_a_coordinator_adds_a_member_who_is_not_online_with_an_open_account(timebank, coordinator):
    member = services.member_create_offline(
        timebank=timebank, by_user=coordinator, display_name="Mrs Edna Hall", phone="0118 496 0123", postcode="RG4"
    )
    member.refresh_from_db()
    assert member.user is None and member.status == MemberStatus.APPROVED and member.approved_at
    assert member.postcode_district == "RG4"
    assert Account.objects.filter(member=member).exists()


def test_a_member_cannot_add_offline_members(timebank, alice):
    with pytest.raises(NotAllowedError):
        services.member_create_offline(timebank=timebank, by_user=alice.user, display_name="X", postcode="RG1")
    assert not Member.objects.filter(display_name="X").exists()


def test_an_organisation_can_be_a_member(timebank, coordinator):
    member = services.member_create_offline(
        timebank=timebank,
        by_user=coordinator,
        display_name="Elm Court Care Home",
        postcode="RG1 5AA",
        kind="organisation",
    )
    assert Member.objects.get(pk=member.pk).kind == "organisation"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.text(max_size=90),
    postcode=st.text(max_size=12),
    radius=st.integers(min_value=-5, max_value=200),
    slots=st.lists(st.sampled_from(["mon-morning", "sun-evening", "x", ""]), max_size=3),
)
def test_any_profile_input_is_saved_or_refused_with_a_plain_message(alice, name, postcode, radius, slots):
    try:
        profile(
            alice, alice.user, display_name=name, postcode=postcode, travel_radius_km=radius, availability_slots=slots
        )
    except InvalidInputError as error:
        assert error.field and error.message
    else:
        alice.refresh_from_db()
        assert 1 <= alice.travel_radius_km <= 100 and alice.display_name == name.strip()
