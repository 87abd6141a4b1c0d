"""Offers and requests: who may list and change them, end dates, reminders
then hiding, browsing, and the coordinators' categories."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from core.errors import ConflictError, InvalidInputError, NotAllowedError
from tests.factories import ListingFactory, MemberFactory, category, dbs_checked
from timebank.models import Category, Listing, MemberStatus
from timebank.selectors.listings import listing_browse, open_requests_oldest_first
from timebank.services import listings as svc


def create(member, by_user, **overrides):
    fields = {
        "member": member,
        "kind": "offer",
        "category": category("gardening"),
        "title": "Weeding and mowing",
        "where": "home",
        "by_user": by_user,
    }
    fields.update(overrides)
    if fields["kind"] == "offer" and fields["where"] == "home" and not member.safeguarding_checks.exists():
        dbs_checked(member)  # offering help at home needs a current DBS check (the safeguarding rule)
    return svc.listing_create(**fields)


def today():
    return timezone.localdate()


def test_a_member_lists_an_offer_that_lasts_the_default_time(alice):
    listing = create(alice, alice.user, description="  Front gardens only.  ")
    listing.refresh_from_db()
    assert listing.member == alice and listing.timebank == alice.timebank
    assert listing.status == "open" and listing.description == "Front gardens only."
    assert listing.expires_on == today() + datetime.timedelta(days=settings.LISTING_LIFETIME_DAYS)


def test_a_coordinator_can_list_for_a_member(alice, coordinator):
    listing = create(alice, coordinator, kind="request")
    assert listing.member == alice and listing.kind == "request"


def test_nobody_lists_for_someone_else(alice, bob):
    with pytest.raises(NotAllowedError):
        create(alice, bob.user)
    assert not Listing.objects.exists()


def test_an_applicant_cannot_list_yet(alice):
    alice.status = MemberStatus.APPLIED
    alice.save()
    with pytest.raises(NotAllowedError):
        create(alice, alice.user)
    assert not Listing.objects.exists()


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"description": "x" * 2001}, "description"),
        ({"where": "moon"}, "where"),
        ({"kind": "swap"}, "kind"),
        ({"category": None}, "category"),
        ({"expires_on": "soon"}, "expires_on"),
        ({"expires_on": datetime.date(2000, 1, 1)}, "expires_on"),
        ({"expires_on": "today"}, "expires_on"),
        ({"expires_on": "a year and a day"}, "expires_on"),
    ],
)
def test_bad_listing_input_is_refused_on_its_field(alice, overrides, field):
    if overrides.get("expires_on") == "today":
        overrides["expires_on"] = today()
    if overrides.get("expires_on") == "a year and a day":
        overrides["expires_on"] = today() + datetime.timedelta(days=366)
    with pytest.raises(InvalidInputError) as refused:
        create(alice, alice.user, **overrides)
    assert refused.value.field == field
    assert not Listing.objects.exists()


def test_a_switched_off_category_cannot_be_chosen_but_an_old_listing_keeps_it(alice):
    listing = create(alice, alice.user)
    gardening = category("gardening")
    Category.objects.filter(pk=gardening.pk).update(is_active=False)
    gardening.refresh_from_db()
    with pytest.raises(InvalidInputError):
        create(alice, alice.user, category=gardening)
    svc.listing_update(listing=listing, by_user=alice.user, title="Mowing", category=gardening)
    listing.refresh_from_db()
    assert listing.title == "Mowing" and listing.category == gardening


def test_the_owner_changes_a_listing_and_a_new_end_date_earns_a_new_reminder(alice):
    listing = create(alice, alice.user)
    Listing.objects.filter(pk=listing.pk).update(reminded_at=timezone.now())
    listing.refresh_from_db()
    later = today() + datetime.timedelta(days=200)
    svc.listing_update(listing=listing, by_user=alice.user, title="Mowing only", expires_on=later, where="public")
    listing.refresh_from_db()
    changed = (listing.title, listing.expires_on, listing.where, listing.reminded_at)
    assert changed == ("Mowing only", later, "public", None)


def test_an_outsider_cannot_change_close_or_reopen_a_listing(alice, bob):
    listing = create(alice, alice.user)
    with pytest.raises(NotAllowedError):
        svc.listing_update(listing=listing, by_user=bob.user, title="Mine now")
    with pytest.raises(NotAllowedError):
        svc.listing_close(listing=listing, by_user=bob.user)
    listing.refresh_from_db()
    assert listing.title == "Weeding and mowing" and listing.status == "open"


def test_only_some_fields_can_be_changed(alice):
    listing = create(alice, alice.user)
    with pytest.raises(InvalidInputError):
        svc.listing_update(listing=listing, by_user=alice.user, status="closed", member=None)
    listing.refresh_from_db()
    assert listing.status == "open"


def test_close_and_reopen_and_refuse_doing_either_twice(alice, coordinator):
    listing = create(alice, alice.user)
    svc.listing_close(listing=listing, by_user=alice.user)
    listing.refresh_from_db()
    assert listing.status == "closed" and listing.closed_at
    with pytest.raises(ConflictError, match="already closed"):
        svc.listing_close(listing=listing, by_user=alice.user)
    svc.listing_reopen(listing=listing, by_user=coordinator)
    listing.refresh_from_db()
    assert listing.status == "open" and listing.closed_at is None
    with pytest.raises(ConflictError, match="already open"):
        svc.listing_reopen(listing=listing, by_user=alice.user)


def test_reopening_a_listing_that_ran_out_gives_it_a_fresh_end_date(alice):
    # Help in public: reopening an offer passes the safeguarding rule (no DBS needed).
    listing = ListingFactory(
        member=alice, status="closed", where="public", expires_on=today() - datetime.timedelta(days=3)
    )
    svc.listing_reopen(listing=listing, by_user=alice.user)
    listing.refresh_from_db()
    assert listing.expires_on == today() + datetime.timedelta(days=settings.LISTING_LIFETIME_DAYS)


# --- Reminders, then hiding ---------------------------------------------------------


def test_owners_are_reminded_once_before_the_end_and_then_the_listing_is_hidden(
    alice, timebank, django_capture_on_commit_callbacks
):
    start = today()
    ends = start + datetime.timedelta(days=settings.LISTING_REMINDER_DAYS + 1)
    listing = ListingFactory(member=alice, expires_on=ends)
    with django_capture_on_commit_callbacks(execute=True):
        assert svc.listing_remind_and_expire(today=start) == (0, 0)
        soon = start + datetime.timedelta(days=1)
        assert svc.listing_remind_and_expire(today=soon) == (1, 0)
        assert svc.listing_remind_and_expire(today=soon) == (0, 0)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [alice.email]
    assert listing.title in mail.outbox[0].subject
    assert f"/my/listings/{listing.public_id}/edit/" in mail.outbox[0].body
    after_end = listing.expires_on + datetime.timedelta(days=1)
    assert listing in listing_browse(timebank=timebank, today=listing.expires_on)
    with time_machine.travel(datetime.datetime.combine(after_end, datetime.time(9)), tick=False):
        out = StringIO()
        call_command("listing_reminders", stdout=out)
        assert "1 listing closed" in out.getvalue()
        assert listing not in listing_browse(timebank=timebank)
    listing.refresh_from_db()
    assert listing.status == "closed" and listing.closed_at


def test_a_member_without_e_mail_is_not_reminded_by_e_mail_but_the_reminder_is_recorded(timebank):
    member = MemberFactory(user=None, email="")
    listing = ListingFactory(member=member, expires_on=today() + datetime.timedelta(days=2))
    assert svc.listing_remind_and_expire() == (1, 0)
    listing.refresh_from_db()
    assert listing.reminded_at is not None and mail.outbox == []


# --- Browsing --------------------------------------------------------------------


def test_browse_shows_open_listings_of_members_who_can_take_part_filtered(alice, bob, carol, timebank):
    garden = ListingFactory(member=alice, kind="offer", title="Garden help", category=category("gardening"))
    lift = ListingFactory(
        member=bob,
        kind="request",
        title="Lift to the surgery",
        description="Tuesday mornings",
        category=category("lifts-and-transport"),
    )
    ListingFactory(member=bob, status="closed", title="Closed one")
    ListingFactory(member=bob, expires_on=today() - datetime.timedelta(days=1), title="Ran out")
    paused = MemberFactory(status=MemberStatus.PAUSED)
    ListingFactory(member=paused, title="Paused member's")
    assert set(listing_browse(timebank=timebank)) == {garden, lift}
    assert list(listing_browse(timebank=timebank, kind="request")) == [lift]
    assert list(listing_browse(timebank=timebank, category=category("gardening"))) == [garden]
    assert list(listing_browse(timebank=timebank, text="tuesday SURGERY")) == [lift]
    assert list(listing_browse(timebank=timebank, text="surgery\x00")) == [lift]


def test_open_requests_come_oldest_first(alice, bob, timebank):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=10)):
        old = ListingFactory(member=alice, kind="request")
    new = ListingFactory(member=bob, kind="request")
    ListingFactory(member=bob, kind="offer")
    assert list(open_requests_oldest_first(timebank=timebank)) == [old, new]
    Listing.objects.filter(pk=old.pk).update(matched_at=timezone.now())
    assert list(open_requests_oldest_first(timebank=timebank, unmatched_only=True)) == [new]


# --- Categories ------------------------------------------------------------------


def test_coordinators_add_rename_and_switch_off_categories(coordinator, alice, timebank):
    with pytest.raises(NotAllowedError):
        svc.category_create(timebank=timebank, name="Bike repair", by_user=alice.user)
    created = svc.category_create(
        timebank=timebank, name="  Bike   repair ", description="Punctures, brakes", by_user=coordinator
    )
    assert (created.name, created.slug, created.is_active) == ("Bike repair", "bike-repair", True)
    assert created.timebank == timebank
    with pytest.raises(InvalidInputError) as refused:
        svc.category_create(timebank=timebank, name="bike REPAIR", by_user=coordinator)
    assert refused.value.field == "name"
    svc.category_update(
        category=created, name="Bicycle repair", needs_dbs_check=False, needs_references=True, by_user=coordinator
    )
    created.refresh_from_db()
    assert (created.name, created.slug, created.needs_references) == ("Bicycle repair", "bicycle-repair", True)
    svc.category_set_active(category=created, active=False, by_user=coordinator)
    created.refresh_from_db()
    assert not created.is_active
    with pytest.raises(ConflictError):
        svc.category_set_active(category=created, active=False, by_user=coordinator)
