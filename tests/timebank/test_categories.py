"""Categories of help and their safeguarding rules belong to a timebank: a new
timebank starts with its own copy of the template, names are unique within a
timebank only, a listing (or exchange, or restriction) uses its own timebank's
categories, a coordinator edits only their timebank's list, and the API looks a
category's slug up in the caller's timebank."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from brokering.services.safeguarding import category_safeguarding_set, restriction_add
from core.errors import InvalidInputError, NotAllowedError
from tests.factories import ListingFactory, MemberFactory, UserFactory, category, login_with_second_step
from timebank.categories import DEFAULT_CATEGORIES
from timebank.forms.listings import ListingBrowseForm, ListingForm
from timebank.models import Category, Listing, Role, Timebank
from timebank.selectors.safeguarding import safeguarding_problems
from timebank.services import exchanges as exchange_services, listings as listing_services
from timebank.services.timebanks import categories_from_template, timebank_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def network_admin(db):
    return UserFactory(username="nia", roles=[Role.ADMIN])


@pytest.fixture
def caversham(network_admin) -> Timebank:
    return timebank_create(by_user=network_admin, name="Caversham", slug="caversham")


@pytest.fixture
def cav_coordinator(caversham):
    return UserFactory(username="jo", roles=[Role.COORDINATOR], coordinates=[caversham])


@pytest.fixture
def carl(caversham):
    return MemberFactory(timebank=caversham, display_name="Carl", user__username="carl")


def _rules(timebank):
    return list(
        Category.objects.filter(timebank=timebank)
        .order_by("position")
        .values_list("name", "slug", "description", "needs_dbs_check", "needs_references", "is_active")
    )


# --- A new timebank's own list ------------------------------------------------------------------


def test_a_new_timebank_gets_its_own_copy_of_the_template(timebank, coordinator, caversham):
    template = [
        (t.name, t.slug, t.description, t.needs_dbs_check, t.needs_references, True) for t in DEFAULT_CATEGORIES
    ]
    assert _rules(caversham) == template
    # Its own rows, not the default timebank's.
    assert not set(caversham.categories.values_list("pk", flat=True)) & set(
        timebank.categories.values_list("pk", flat=True)
    )


def test_the_copy_is_the_template_not_the_default_timebanks_local_changes(timebank, coordinator, network_admin):
    gardening = category("gardening")
    listing_services.category_update(
        category=gardening, name="Allotments", needs_dbs_check=True, needs_references=True, by_user=coordinator
    )
    listing_services.category_set_active(category=category("pets"), active=False, by_user=coordinator)
    emmer = timebank_create(by_user=network_admin, name="Emmer Green")
    copied = Category.objects.get(timebank=emmer, slug="gardening")
    assert (copied.name, copied.needs_dbs_check, copied.needs_references) == ("Gardening", False, False)
    assert Category.objects.get(timebank=emmer, slug="pets").is_active


def test_copying_the_template_again_adds_only_what_is_missing(caversham):
    Category.objects.filter(timebank=caversham, slug="music").delete()
    added = categories_from_template(timebank=caversham)
    assert [c.slug for c in added] == ["music"]
    assert categories_from_template(timebank=caversham) == []
    assert caversham.categories.count() == len(DEFAULT_CATEGORIES)


# --- Unique within a timebank only ----------------------------------------------------------------


def test_two_timebanks_may_both_have_gardening_but_one_timebank_has_it_once(timebank, caversham, coordinator):
    assert category("gardening").timebank == timebank
    assert category("gardening", timebank=caversham).timebank == caversham
    with pytest.raises(IntegrityError), transaction.atomic():
        Category.objects.create(timebank=caversham, name="Gardening 2", slug="gardening")
    with pytest.raises(IntegrityError), transaction.atomic():
        Category.objects.create(timebank=caversham, name="Gardening", slug="gardening-2")
    # A name one timebank uses is free in another.
    cav_coordinator = UserFactory(username="cc", roles=[Role.COORDINATOR], coordinates=[caversham])
    listing_services.category_create(timebank=caversham, name="Punting", by_user=cav_coordinator)
    made = listing_services.category_create(timebank=timebank, name="Punting", by_user=coordinator)
    assert made.timebank == timebank and made.slug == "punting"
    with pytest.raises(InvalidInputError) as refused:
        listing_services.category_create(timebank=timebank, name="punting", by_user=coordinator)
    assert refused.value.field == "name"


# --- Editing is per timebank ----------------------------------------------------------------------


def test_a_coordinator_changes_only_their_timebanks_categories(timebank, coordinator, caversham, cav_coordinator):
    theirs = category("lifts-and-transport", timebank=caversham)
    before = _rules(caversham)
    ours = category("lifts-and-transport")
    listing_services.category_update(
        category=ours, name="Lifts", needs_dbs_check=False, needs_references=False, by_user=coordinator
    )
    listing_services.category_set_active(category=ours, active=False, by_user=coordinator)
    category_safeguarding_set(
        category=category("music"), needs_dbs_check=True, needs_references=True, by_user=coordinator
    )
    assert _rules(caversham) == before
    theirs.refresh_from_db()
    assert (theirs.name, theirs.needs_dbs_check, theirs.is_active) == ("Lifts and transport", True, True)

    # And they may not change another timebank's.
    for call in (
        lambda: listing_services.category_update(
            category=theirs, name="x", needs_dbs_check=False, needs_references=False, by_user=coordinator
        ),
        lambda: listing_services.category_set_active(category=theirs, active=False, by_user=coordinator),
        lambda: listing_services.category_create(timebank=caversham, name="x", by_user=coordinator),
        lambda: category_safeguarding_set(
            category=theirs, needs_dbs_check=False, needs_references=False, by_user=coordinator
        ),
    ):
        with pytest.raises(NotAllowedError):
            call()
    assert _rules(caversham) == before


def test_the_safeguarding_rule_reads_the_timebanks_own_rules(timebank, coordinator, caversham, carl):
    today = timezone.localdate()
    # The default timebank relaxes its "Lifts" checks; Caversham's still need them.
    listing_services.category_update(
        category=category("lifts-and-transport"),
        name="Lifts and transport",
        needs_dbs_check=False,
        needs_references=False,
        by_user=coordinator,
    )
    theirs = category("lifts-and-transport", timebank=caversham)
    codes = {p.code for p in safeguarding_problems(helper=carl, category=theirs, where="public", today=today)}
    assert codes, "Caversham's category still needs checks"


# --- A listing uses its own timebank's categories -------------------------------------------------


def test_a_listing_with_another_timebanks_category_is_refused(alice, carl, caversham):
    for member, wrong in ((alice, category("gardening", timebank=caversham)), (carl, category("gardening"))):
        with pytest.raises(InvalidInputError) as refused:
            listing_services.listing_create(
                member=member, kind="request", category=wrong, title="Lawn", where="public", by_user=member.user
            )
        assert refused.value.field == "category"
    assert not Listing.objects.exists()
    made = listing_services.listing_create(
        member=carl,
        kind="request",
        category=category("gardening", timebank=caversham),
        title="Lawn",
        where="public",
        by_user=carl.user,
    )
    with pytest.raises(InvalidInputError) as refused:
        listing_services.listing_update(listing=made, by_user=carl.user, category=category("music"))
    assert refused.value.field == "category"
    made.refresh_from_db()
    assert made.category == category("gardening", timebank=caversham)


def test_an_exchange_or_restriction_with_another_timebanks_category_is_refused(alice, bob, coordinator, caversham):
    wrong = category("gardening", timebank=caversham)
    with pytest.raises(InvalidInputError) as refused:
        exchange_services.exchange_record_for_members(
            provider=alice, receivers=[bob], minutes=60, by_user=coordinator, description="Lawn", category=wrong
        )
    assert refused.value.field == "category"
    with pytest.raises(InvalidInputError) as refused:
        exchange_services.exchange_propose(
            timebank=alice.timebank, provider=alice, receivers=[bob], by_user=alice.user, category=wrong
        )
    assert refused.value.field == "category"
    with pytest.raises(InvalidInputError) as refused:
        restriction_add(member=alice, category=wrong, reason="x", by_user=coordinator)
    assert refused.value.field == "category"


def test_forms_offer_only_the_timebanks_own_categories(timebank, caversham):
    Category.objects.create(timebank=caversham, name="Punting", slug="punting")
    for form in (ListingForm(timebank=caversham), ListingBrowseForm(timebank=caversham)):
        choices = form.fields["category"].queryset
        assert {c.timebank_id for c in choices} == {caversham.pk}
        assert "punting" in {c.slug for c in choices}
    assert "punting" not in {c.slug for c in ListingForm(timebank=timebank).fields["category"].queryset}


# --- The coordinators' pages ----------------------------------------------------------------------


def test_the_category_pages_work_in_the_coordinators_timebank(client, timebank, caversham, cav_coordinator):
    Category.objects.create(timebank=timebank, name="Oxfordian punting", slug="oxfordian-punting")
    client.force_login(cav_coordinator)
    listed = client.get(reverse("timebank:category-list")).context["categories"]
    assert {c.timebank_id for c in listed} == {caversham.pk}
    assert "Oxfordian" not in client.get(reverse("brokering:safeguarding-categories")).content.decode()

    response = client.post(reverse("timebank:category-create"), {"name": "Gardening", "description": ""})
    assert response.status_code == 200  # Caversham has Gardening already
    response = client.post(reverse("timebank:category-create"), {"name": "Punting", "description": ""})
    assert response.status_code == 302
    assert Category.objects.get(slug="punting").timebank == caversham

    # Another timebank's category is not found, and stays as it was.
    ours = category("gardening")
    before = _rules(timebank)
    edit = reverse("timebank:category-edit", args=[ours.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, {"name": "Taken", "needs_dbs_check": "on"}).status_code == 404
    assert client.post(reverse("timebank:category-set-active", args=[ours.pk]), {"active": "0"}).status_code == 404
    response = client.post(reverse("brokering:safeguarding-categories"), {"category": ours.pk, "needs_dbs_check": "on"})
    assert response.status_code == 404
    assert _rules(timebank) == before

    theirs = category("gardening", timebank=caversham)
    response = client.post(
        reverse("brokering:safeguarding-categories"), {"category": theirs.pk, "needs_dbs_check": "on"}
    )
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.needs_dbs_check and not category("gardening").needs_dbs_check


def test_listing_pages_offer_the_members_own_timebanks_categories(client, caversham, carl):
    Category.objects.create(timebank=Timebank.get_default(), name="Oxfordian punting", slug="oxfordian-punting")
    client.force_login(carl.user)
    page = client.get(reverse("timebank:listing-create"))
    assert {c.timebank_id for c in page.context["form"].fields["category"].queryset} == {caversham.pk}
    response = client.post(
        reverse("timebank:listing-create"),
        {"kind": "request", "category": category("gardening").pk, "title": "Lawn", "where": "public"},
    )
    assert response.status_code == 200 and "category" in response.context["form"].errors
    assert not Listing.objects.exists()


# --- The API: a slug is looked up in the caller's timebank -----------------------------------------


def _api(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def test_the_api_finds_a_category_slug_in_the_callers_timebank(timebank, caversham, carl):
    Category.objects.create(timebank=timebank, name="Oxfordian punting", slug="oxfordian-punting")
    api = _api(carl.user)
    body = {"kind": "request", "category": "gardening", "title": "Lawn", "where": "public"}
    response = api.post("/api/v1/listings/", body, format="json")
    assert response.status_code == 201, response.json()
    listing = Listing.objects.get(public_id=response.json()["id"])
    assert listing.category == category("gardening", timebank=caversham)

    for slug in ("oxfordian-punting", "no-such-category"):
        response = api.post("/api/v1/listings/", {**body, "category": slug}, format="json")
        assert response.status_code == 400
        assert "category" in response.json()["error"]["fields"]

    detail = f"/api/v1/listings/{listing.public_id}/"
    assert api.patch(detail, {"category": "oxfordian-punting"}, format="json").status_code == 400
    response = api.patch(detail, {"category": "music"}, format="json")
    assert response.status_code == 200 and response.json()["category"] == "music"
    listing.refresh_from_db()
    assert listing.category == category("music", timebank=caversham)


# --- The admin ------------------------------------------------------------------------------------


def test_the_admin_shows_a_coordinator_only_their_timebanks_categories(client, timebank, caversham):
    staff = UserFactory(username="staff-jo", is_staff=True, roles=[Role.COORDINATOR], coordinates=[caversham])
    login_with_second_step(client, staff)
    rows = client.get(reverse("admin:timebank_category_changelist")).context["cl"].result_list
    assert rows and {c.timebank_id for c in rows} == {caversham.pk}
    ours = category("gardening")
    assert client.get(reverse("admin:timebank_category_change", args=[ours.pk])).status_code == 404
    theirs = category("gardening", timebank=caversham)
    page = client.get(reverse("admin:timebank_category_change", args=[theirs.pk]))
    assert page.status_code == 200
    assert "timebank" not in page.context["adminform"].form.fields  # a category stays in its timebank


def test_the_admin_refuses_a_listing_in_another_timebanks_category(client, caversham, carl):
    staff = UserFactory(username="staff-jo", is_staff=True, roles=[Role.COORDINATOR], coordinates=[caversham])
    login_with_second_step(client, staff)
    response = client.post(
        reverse("admin:timebank_listing_add"),
        {
            "timebank": caversham.pk,
            "member": carl.pk,
            "kind": "offer",
            "category": category("gardening").pk,
            "title": "Lawns",
            "description": "x",
            "where": "public",
            "status": "open",
            "expires_on": (timezone.localdate() + datetime.timedelta(30)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "category" in response.context["adminform"].form.errors
    assert not Listing.objects.exists()


def test_a_listing_factory_in_another_timebank_uses_that_timebanks_category(caversham, carl):
    listing = ListingFactory(member=carl)
    assert listing.timebank == caversham and listing.category.timebank == caversham


def test_a_timebank_added_in_the_admin_gets_its_own_categories(client):
    staff = UserFactory(username="staff-nia", is_staff=True, is_superuser=True)
    login_with_second_step(client, staff)
    response = client.post(
        reverse("admin:timebank_timebank_add"),
        {
            "name": "Tilehurst",
            "slug": "tilehurst",
            "default_min_balance": "-600",
            "auto_confirm_days": "7",
            "max_open_exchanges_per_member": "5",
            "request_wait_alert_days": "14",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    tilehurst = Timebank.objects.get(slug="tilehurst")
    assert tilehurst.categories.count() == len(DEFAULT_CATEGORIES)


def test_two_coordinators_adding_the_same_name_at_once_get_a_message_not_an_error(timebank, coordinator, monkeypatch):
    existing = Category.objects.filter(timebank=timebank).first()
    before = Category.objects.count()
    # The second request checked before the first one's row was there: its check saw no clash.
    monkeypatch.setattr(
        listing_services,
        "_clean_category_fields",
        lambda **kwargs: (existing.name, existing.slug, ""),
    )

    with pytest.raises(InvalidInputError) as refused:
        listing_services.category_create(timebank=timebank, name="Anything", by_user=coordinator)

    assert refused.value.field == "name" and "already a category with that name" in refused.value.message
    assert Category.objects.count() == before


def test_a_coordinator_gives_a_category_its_welsh_name_and_members_reading_welsh_see_it(
    client, caversham, cav_coordinator, carl
):
    client.force_login(cav_coordinator)
    response = client.post(
        reverse("timebank:category-create"),
        {"name": "Punting", "description": "On the river", "name_cy": "  Pwntio  ", "description_cy": "Ar yr afon"},
    )
    assert response.status_code == 302
    punting = Category.objects.get(timebank=caversham, slug="punting")
    assert (punting.name_cy, punting.description_cy) == ("Pwntio", "Ar yr afon")

    # Bad Welsh input: the form again with the message by the field; nothing saved.
    edit = reverse("timebank:category-edit", args=[punting.pk])
    for field, value in (("name_cy", "x" * 81), ("description_cy", "bad\x00text")):
        data = {"name": "Punting", "name_cy": "Pwntio", "description_cy": "", field: value}
        response = client.post(edit, data)
        assert response.status_code == 200 and field in response.context["form"].errors, field
    punting.refresh_from_db()
    assert punting.name_cy == "Pwntio"

    # Editing keeps the Welsh unless it is changed; emptying it shows the English again.
    client.post(edit, {"name": "Punting on the Thames", "name_cy": "Pwntio", "description_cy": ""})
    punting.refresh_from_db()
    assert (punting.name, punting.name_cy, punting.description_cy) == ("Punting on the Thames", "Pwntio", "")
    ListingFactory(member=carl, kind="offer", category=punting, title="A trip upriver")
    client.force_login(carl.user)
    client.cookies["timecommons_language"] = "cy"
    assert "Pwntio" in client.get(reverse("timebank:listing-browse")).content.decode()
    client.cookies["timecommons_language"] = "en-gb"
    assert "Punting on the Thames" in client.get(reverse("timebank:listing-browse")).content.decode()
