"""Carers and young carers as members in their own right (issue 17, part 6):
saying you look after someone, a parent's or guardian's consent before a
young carer is approved, carers' break requests that need DBS-checked helpers,
and no one-to-one exchange between a young carer and an adult without a
coordinator's approval (group activities are fine)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import ConflictError, InvalidInputError, NotAllowedError
from privacy.services import member_erase
from tests.factories import ListingFactory, MemberFactory, category, dbs_checked
from tests.timebank.test_members_pages import JOIN, PROFILE, error_next_to
from timebank.models import (
    Exchange,
    Listing,
    Member,
    MemberStatus,
    SafeguardingCheck,
    SafeguardingOverride,
    Timebank,
)
from timebank.services.exchanges import (
    exchange_accept,
    exchange_propose,
    exchange_propose_from_listing,
    exchange_record_for_members,
)
from timebank.services.listings import listing_create, listing_update
from timebank.services.members import (
    UNDER_18_NEEDS_CONSENT,
    member_approve,
    member_cares_for_link,
    member_create,
    member_guardian_consent_record,
    member_join,
    member_update_profile,
)
from timebank.services.safeguarding import SafeguardingError

pytestmark = pytest.mark.django_db

CONSENT = {"guardian_name": "Karen W.", "relationship": "Mother", "method": "in-person"}


@pytest.fixture
def nadia(db):
    return MemberFactory(display_name="Nadia", user__username="nadia", is_carer=True, cares_for="My mum")


@pytest.fixture
def jade(db):
    """A young carer, approved with her mother's consent."""
    return MemberFactory(
        display_name="Jade",
        user__username="jade",
        is_carer=True,
        under_18=True,
        guardian_name="Karen W.",
        guardian_relationship="Mother",
        guardian_consent_method="in-person",
        guardian_consent_at=timezone.now(),
    )


def applicant_under_18(**extra) -> Member:
    return MemberFactory(display_name="Jade", status=MemberStatus.APPLIED, under_18=True, is_carer=True, **extra)


# --- Saying you look after someone ------------------------------------------------------------


def test_someone_joining_can_say_they_look_after_someone_and_that_they_are_under_18(client):
    response = client.post(
        reverse("timebank:join"), {**JOIN, "is_carer": "on", "cares_for": "My dad", "under_18": "on"}
    )
    assert response.status_code == 302
    member = Member.objects.get(email="priya@example.org")
    assert (member.is_carer, member.cares_for, member.under_18) == (True, "My dad", True)
    assert member.status == MemberStatus.APPLIED


def test_the_join_page_asks_both_questions(client):
    page = client.get(reverse("timebank:join")).content.decode()
    assert "I look after someone (I am a carer)" in page
    assert "I am under 18" in page


def test_who_you_look_after_is_kept_only_for_a_carer():
    member = member_join(
        timebank=Timebank.get_default(),
        display_name="Priya",
        email="priya@example.org",
        postcode="RG1 7QE",
        password="a long enough passphrase",
        is_carer=False,
        cares_for="My dad",
    )
    assert member is not None and (member.is_carer, member.cares_for) == (False, "")


def test_a_member_says_on_their_profile_that_they_look_after_someone_and_can_stop(client, alice):
    client.force_login(alice.user)
    response = client.post(reverse("timebank:my-profile"), {**PROFILE, "is_carer": "on", "cares_for": "My husband"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.is_carer, alice.cares_for) == (True, "My husband")
    assert 'value="My husband"' in client.get(reverse("timebank:my-profile")).content.decode()

    client.post(reverse("timebank:my-profile"), {**PROFILE, "cares_for": "My husband"})
    alice.refresh_from_db()
    assert (alice.is_carer, alice.cares_for) == (False, "")


def test_too_long_a_description_of_who_you_look_after_is_shown_next_to_the_field(client, alice):
    client.force_login(alice.user)
    response = client.post(reverse("timebank:my-profile"), {**PROFILE, "is_carer": "on", "cares_for": "x" * 301})
    assert response.status_code == 200
    assert error_next_to(response.content.decode(), "cares_for")
    alice.refresh_from_db()
    assert alice.is_carer is False


def test_a_coordinator_links_a_carer_to_the_member_they_look_after_in_the_same_timebank(coordinator, nadia, bob):
    member_cares_for_link(member=nadia, cared_for=bob, by_user=coordinator)
    nadia.refresh_from_db()
    assert nadia.cares_for_member == bob

    elsewhere = MemberFactory(timebank=Timebank.objects.create(name="Caversham", slug="caversham"))
    with pytest.raises(InvalidInputError):
        member_cares_for_link(member=nadia, cared_for=elsewhere, by_user=coordinator)
    with pytest.raises(NotAllowedError):
        member_cares_for_link(member=nadia, cared_for=None, by_user=bob.user)
    nadia.refresh_from_db()
    assert nadia.cares_for_member == bob


# --- Young carers: a parent's or guardian's consent before approval ---------------------------


def test_a_young_carer_is_not_approved_without_a_guardians_consent(coordinator):
    jade = applicant_under_18()
    with pytest.raises(ConflictError) as refused:
        member_approve(member=jade, by_user=coordinator)
    assert refused.value.message == UNDER_18_NEEDS_CONSENT
    jade.refresh_from_db()
    assert jade.status == MemberStatus.APPLIED and jade.approved_at is None


def test_after_the_consent_is_recorded_the_young_carer_can_be_approved(coordinator):
    jade = applicant_under_18()
    member_guardian_consent_record(member=jade, by_user=coordinator, **CONSENT)
    jade.refresh_from_db()
    assert (jade.guardian_name, jade.guardian_relationship, jade.guardian_consent_method) == (
        "Karen W.",
        "Mother",
        "in-person",
    )
    assert jade.guardian_consent_recorded_by == coordinator and jade.guardian_consent_at is not None
    member_approve(member=jade, by_user=coordinator)
    jade.refresh_from_db()
    assert jade.status == MemberStatus.APPROVED


@pytest.mark.parametrize(
    "change, field",
    [
        ({"guardian_name": " "}, "guardian_name"),
        ({"relationship": ""}, "guardian_relationship"),
        ({"method": "?"}, "method"),
    ],
)
def test_consent_needs_who_their_relationship_and_how(coordinator, change, field):
    jade = applicant_under_18()
    with pytest.raises(InvalidInputError) as refused:
        member_guardian_consent_record(member=jade, by_user=coordinator, **{**CONSENT, **change})
    assert refused.value.field == field
    jade.refresh_from_db()
    assert jade.guardian_consent_at is None and jade.guardian_name == ""


def test_only_a_coordinator_records_consent_and_only_for_someone_under_18(coordinator, alice):
    jade = applicant_under_18()
    with pytest.raises(NotAllowedError):
        member_guardian_consent_record(member=jade, by_user=alice.user, **CONSENT)
    with pytest.raises(ConflictError):
        member_guardian_consent_record(member=alice, by_user=coordinator, **CONSENT)
    alice.refresh_from_db()
    assert alice.guardian_name == ""


def test_the_coordinator_pages_show_the_missing_consent_refuse_approval_and_record_it(client, coordinator):
    jade = applicant_under_18()
    client.force_login(coordinator)
    member_url = reverse("timebank:coordinator-member", args=[jade.public_id])
    assert "No parent's or guardian's consent recorded yet" in client.get(member_url).content.decode()

    status_url = reverse("timebank:coordinator-member-status", args=[jade.public_id])
    refused = client.post(status_url, {"action": "approve", "note": ""}, follow=True)
    assert "record their parent&#x27;s or guardian&#x27;s consent before approving them" in refused.content.decode()
    jade.refresh_from_db()
    assert jade.status == MemberStatus.APPLIED

    edit_url = reverse("timebank:coordinator-member-edit", args=[jade.public_id])
    blank = client.post(edit_url, {"record_consent": "1", "consent-guardian_name": "", "consent-method": "phone"})
    assert blank.status_code == 200
    assert error_next_to(blank.content.decode(), "guardian_name", prefix="consent")
    jade.refresh_from_db()
    assert jade.guardian_consent_at is None

    recorded = client.post(
        edit_url,
        {
            "record_consent": "1",
            "consent-guardian_name": "Karen W.",
            "consent-guardian_relationship": "Mother",
            "consent-method": "phone",
        },
    )
    assert recorded.status_code == 302
    jade.refresh_from_db()
    assert jade.guardian_consent_method == "phone" and jade.guardian_consent_recorded_by == coordinator
    assert "Consent from Karen W. (Mother), by phone" in client.get(member_url).content.decode()
    client.post(status_url, {"action": "approve", "note": ""})
    jade.refresh_from_db()
    assert jade.status == MemberStatus.APPROVED


def test_a_young_carer_cannot_be_added_already_approved(coordinator):
    with pytest.raises(InvalidInputError) as refused:
        member_create(
            timebank=Timebank.get_default(),
            display_name="Jade",
            postcode="RG1 7QE",
            status=MemberStatus.APPROVED,
            by_user=coordinator,
            under_18=True,
        )
    assert refused.value.field == "under_18"
    assert not Member.objects.filter(display_name="Jade").exists()


def test_a_coordinator_unticks_under_18_when_a_young_carer_turns_18_and_a_member_cannot(client, coordinator, jade):
    with pytest.raises(NotAllowedError):
        member_update_profile(
            member=jade, by_user=jade.user, display_name="Jade", postcode="RG1 7QE", travel_radius_km=3, under_18=False
        )
    jade.refresh_from_db()
    assert jade.under_18 is True

    client.force_login(coordinator)
    url = reverse("timebank:coordinator-member-edit", args=[jade.public_id])
    assert "Under 18 (a young carer)" in client.get(url).content.decode()
    response = client.post(url, {**PROFILE, "display_name": "Jade", "is_carer": "on", "cares_for": "My dad"})
    assert response.status_code == 302
    jade.refresh_from_db()
    assert (jade.under_18, jade.is_carer, jade.cares_for) == (False, True, "My dad")

    # Her own profile page does not ask.
    client.force_login(jade.user)
    assert "Under 18 (a young carer)" not in client.get(reverse("timebank:my-profile")).content.decode()


# --- Carers' break requests -------------------------------------------------------------------


def referenced(member: Member) -> None:
    """References taken up: befriending needs them, so only the DBS rule is left to test."""
    SafeguardingCheck.objects.create(
        member=member, kind="reference", referee_name="A neighbour", checked_on=timezone.localdate()
    )


def break_request(member, **extra) -> Listing:
    return listing_create(
        member=member,
        kind="request",
        category=category("befriending"),
        title="Sit with mum on Thursday",
        where="home",
        by_user=member.user,
        carers_break="sit",
        **extra,
    )


def test_a_carer_asks_for_a_break(nadia):
    listing = break_request(nadia)
    listing.refresh_from_db()
    assert listing.carers_break == "sit" and listing.get_carers_break_display().startswith("Someone to sit")


def test_only_a_carers_request_can_be_a_break(nadia, alice):
    with pytest.raises(InvalidInputError) as not_a_carer:
        break_request(alice)
    assert not_a_carer.value.field == "carers_break"
    with pytest.raises(InvalidInputError) as an_offer:
        listing_create(
            member=nadia,
            kind="offer",
            category=category("gardening"),
            title="Mowing",
            where="public",
            by_user=nadia.user,
            carers_break="lift",
        )
    assert an_offer.value.field == "carers_break"
    with pytest.raises(InvalidInputError):
        listing_update(listing=ListingFactory(member=nadia, kind="request"), by_user=nadia.user, carers_break="holiday")
    assert not Listing.objects.exclude(carers_break="").exists()


def test_the_listing_form_offers_a_break_to_carers_only_and_shows_refusals_next_to_it(client, nadia, alice):
    client.force_login(alice.user)
    assert "Is this a break for you as a carer?" not in client.get(reverse("timebank:listing-create")).content.decode()

    client.force_login(nadia.user)
    url = reverse("timebank:listing-create")
    assert "Is this a break for you as a carer?" in client.get(url).content.decode()
    form = {
        "kind": "offer",
        "category": category("befriending").pk,
        "title": "A lift",
        "where": "public",
        "carers_break": "lift",
    }
    refused = client.post(url, form)
    assert refused.status_code == 200
    assert error_next_to(refused.content.decode(), "carers_break")
    assert not Listing.objects.filter(member=nadia).exists()

    saved = client.post(url, {**form, "kind": "request"})
    assert saved.status_code == 302
    listing = Listing.objects.get(member=nadia)
    assert listing.carers_break == "lift"
    page = client.get(reverse("timebank:listing-detail", args=[listing.public_id])).content.decode()
    assert "A carer's break" in page and "A lift" in page


def test_a_helper_without_a_current_dbs_check_cannot_answer_a_break_request(nadia, alice, coordinator):
    referenced(alice)
    a_break = break_request(nadia)
    a_break.where = "public"  # no home visit: the DBS need comes from the break itself
    a_break.save()
    with pytest.raises(SafeguardingError) as refused:
        exchange_propose_from_listing(listing=a_break, member=alice, by_user=alice.user)
    assert "needs a current DBS check before giving a carer a break" in refused.value.message
    assert not Exchange.objects.exists()

    # The same help, not a carer's break, needs no check in a public place.
    ordinary = ListingFactory(member=nadia, kind="request", where="public", category=category("gardening"))
    assert exchange_propose_from_listing(listing=ordinary, member=alice, by_user=alice.user).provider == alice

    dbs_checked(alice)
    made = exchange_propose_from_listing(listing=a_break, member=alice, by_user=alice.user)
    assert made.provider == alice and made.listing == a_break


def test_a_coordinator_may_let_an_unchecked_helper_give_a_break_with_a_recorded_reason(nadia, alice, coordinator):
    referenced(alice)
    a_break = break_request(nadia)
    made = exchange_propose_from_listing(
        listing=a_break,
        member=alice,
        by_user=coordinator,
        safeguarding_override_reason="Her DBS certificate is with us; the update service check is tomorrow.",
    )
    override = SafeguardingOverride.objects.get(exchange=made)
    assert override.problems == ["needs-dbs"] and override.member == alice


# --- Young carers and one-to-one exchanges ----------------------------------------------------


def test_a_young_carer_cannot_ask_an_adult_for_one_to_one_help(jade, alice):
    offer = ListingFactory(member=alice, kind="offer", where="public", category=category("arts-and-crafts"))
    with pytest.raises(SafeguardingError) as refused:
        exchange_propose_from_listing(listing=offer, member=jade, by_user=jade.user)
    assert "needs a coordinator's approval" in refused.value.message
    assert not Exchange.objects.exists()


def test_an_adult_cannot_offer_one_to_one_help_to_a_young_carer(jade, alice):
    request = ListingFactory(member=jade, kind="request", where="public", category=category("arts-and-crafts"))
    with pytest.raises(SafeguardingError) as refused:
        exchange_propose_from_listing(listing=request, member=alice, by_user=alice.user)
    # The adult is not told which member is under 18: that is for coordinators.
    assert refused.value.message == (
        "One-to-one help between a young carer and an adult needs a coordinator's approval. "
        "A coordinator needs to check this first."
    )
    assert not Exchange.objects.exists()


def test_young_carers_may_help_each_other_one_to_one(jade):
    sam = MemberFactory(display_name="Sam", under_18=True, guardian_consent_at=timezone.now())
    offer = ListingFactory(member=sam, kind="offer", where="public", category=category("arts-and-crafts"))
    assert exchange_propose_from_listing(listing=offer, member=jade, by_user=jade.user).provider == sam


def test_a_young_carer_takes_part_in_a_group_activity_without_approval(jade, alice, bob, carol, coordinator):
    exchange = exchange_propose(
        timebank=alice.timebank,
        provider=alice,
        receivers=[jade, bob, carol],
        by_user=alice.user,
        description="Card making workshop",
    )
    assert set(exchange.receivers.all()) == {jade, bob, carol}
    recorded = exchange_record_for_members(
        provider=alice, receivers=[jade, bob], minutes=60, by_user=coordinator, description="Art club"
    )
    assert recorded.status == "posted"
    assert not SafeguardingOverride.objects.exists()


def test_a_coordinator_approves_a_one_to_one_pairing_and_then_the_other_person_can_accept(jade, alice, coordinator):
    with pytest.raises(SafeguardingError):
        exchange_propose(timebank=alice.timebank, provider=alice, receivers=[jade], by_user=coordinator)
    exchange = exchange_propose(
        timebank=alice.timebank,
        provider=alice,
        receivers=[jade],
        by_user=coordinator,
        safeguarding_override_reason="Homework help at the library, her mother agreed.",
    )
    override = SafeguardingOverride.objects.get(exchange=exchange)
    assert override.problems == ["young-person"] and override.overridden_by == coordinator
    accepted = exchange_accept(exchange=exchange, by_user=alice.user)
    assert accepted.status == "accepted"


def test_a_coordinator_recording_one_to_one_help_for_a_young_carer_must_approve_it(jade, alice, coordinator):
    with pytest.raises(SafeguardingError):
        exchange_record_for_members(
            provider=jade, receivers=[alice], minutes=30, by_user=coordinator, description="Shopping"
        )
    assert not Exchange.objects.exists()


# --- Personal data ----------------------------------------------------------------------------


def test_erasing_a_carer_blanks_who_they_look_after_and_their_guardians_details(jade, nadia, coordinator):
    jade.cares_for, jade.cares_for_member = "My dad", nadia
    jade.save()
    member_erase(member=jade, by_user=coordinator)
    jade.refresh_from_db()
    assert (jade.cares_for, jade.cares_for_member, jade.guardian_name, jade.guardian_relationship) == ("", None, "", "")
    assert jade.guardian_consent_method == ""
    # That consent was recorded before approval stays, with nothing about the guardian.
    assert jade.guardian_consent_at is not None
