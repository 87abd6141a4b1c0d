"""Hostile and odd input on the fields added with several timebanks.

Each probe sends what a careless or hostile person might (nothing, spaces,
10,000 characters, a NUL byte, other alphabets, numbers out of range, the
wrong JSON type, a list for a string, duplicates, an unknown short name,
another timebank's ids) and checks the answer is the form again with a message
next to the field (pages) or a 400 naming the field (API), a "not found" for
an address that names nothing, never a 500, and that no row was written.
"""

import pytest
from django.test import Client
from django.urls import reverse

from assets.models import OrganisationMembership
from referrals.models import Referral
from tests.api.conftest import (  # noqa: F401
    fresh_cache,
    garden_service,
    greenfingers,
    referral_body,
    surgery,
)
from tests.factories import ListingFactory, MemberFactory, UserFactory, category
from tests.timebank.test_members_pages import JOIN, error_next_to
from tests.timebank.test_safeguarding_paths import REASON, prepare, written
from timebank.models import Category, Member, Role, SafeguardingOverride, Timebank, User

pytestmark = pytest.mark.django_db

LONG = "x" * 10_000
NUL = "Cav\x00ersham"


def counts():
    return {
        "timebanks": Timebank.objects.count(),
        "members": Member.objects.count(),
        "users": User.objects.count(),
        "categories": Category.objects.count(),
        "referrals": Referral.objects.count(),
        "overrides": SafeguardingOverride.objects.count(),
        "coordinator links": Timebank.coordinators.through.objects.count(),
    }


@pytest.fixture
def caversham(db):
    return Timebank.objects.create(name="Caversham", slug="caversham", area="Caversham and Emmer Green")


@pytest.fixture
def admin_client(db, client):
    client.force_login(UserFactory(username="nia", first_name="Nia", roles=[Role.ADMIN]))
    return client


# --- 1. The network administrator's "new timebank" page ------------------------------------------

NEW_TIMEBANK = {
    "name": "Tilehurst Timebank",
    "slug": "",
    "area": "Tilehurst, Reading",
    "contact_email": "hello@tilehurst.example.org",
    "contact_phone": "0118 496 0300",
    "overdraft_hours": "10",
    "ceiling_hours": "",
    "other_coordinators": "",
}

BAD_NEW_TIMEBANK = [
    ("name", "", "Enter the timebank"),
    ("name", "   ", "Enter the timebank"),
    ("name", LONG, "at most 120 characters"),
    ("name", NUL, "Null characters are not allowed."),
    ("slug", LONG, "at most 60 characters"),
    ("slug", "Tilehurst Town", "Use only lower-case letters, numbers and hyphens"),
    ("slug", "tîlehurst", "Use only lower-case letters, numbers and hyphens"),
    ("slug", "-", "Use only lower-case letters, numbers and hyphens"),
    ("slug", NUL, "Null characters are not allowed."),
    ("slug", "caversham", "Another timebank already uses the short name caversham"),
    ("area", LONG, "at most 160 characters"),
    ("area", NUL, "Null characters are not allowed."),
    ("contact_email", "not an address", "Enter the contact e-mail address in the right format"),
    ("contact_email", LONG, "at most 254 characters"),
    ("contact_email", "hello@tile\x00hurst.org", "Null characters are not allowed."),
    ("contact_phone", LONG, "at most 30 characters"),
    ("contact_phone", "0118\x00", "Null characters are not allowed."),
    ("overdraft_hours", "", "Enter a whole number of hours from 0 to"),
    ("overdraft_hours", "-1", "Enter a whole number of hours from 0 to 100."),
    ("overdraft_hours", "101", "Enter a whole number of hours from 0 to 100."),
    ("overdraft_hours", "9" * 40, "Enter a whole number of hours from 0 to 100."),
    ("overdraft_hours", "1.5", "Enter a whole number of hours from 0 to 100."),
    ("overdraft_hours", "1e9", "Enter a whole number of hours from 0 to 100."),
    ("overdraft_hours", "ten", "Enter a whole number of hours from 0 to 100."),
    ("overdraft_hours", "\u0661\u0660\x00", "Enter a whole number of hours from 0 to 100."),
    ("ceiling_hours", "0", "Enter a whole number of hours from 1 to 1000."),
    ("ceiling_hours", "-40", "Enter a whole number of hours from 1 to 1000."),
    ("ceiling_hours", "1001", "Enter a whole number of hours from 1 to 1000."),
    ("ceiling_hours", "-" + "9" * 40, "Enter a whole number of hours from 1 to 1000."),
    ("other_coordinators", LONG, "at most 2000 characters"),
    ("other_coordinators", "nobody-here", "We could not find a login for nobody-here."),
    ("other_coordinators", "jo\x00", "Null characters are not allowed."),
    ("other_coordinators", "\n".join(f"person{n}" for n in range(11)), "Enter at most 10 people."),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_NEW_TIMEBANK)
def test_the_new_timebank_page_answers_odd_input_next_to_the_field_and_writes_nothing(
    admin_client, caversham, field, value, message
):
    before = counts()
    response = admin_client.post(reverse("timebank:network-timebank-create"), {**NEW_TIMEBANK, field: value})
    page = response.content.decode()
    assert response.status_code == 200
    assert error_next_to(page, field), page
    assert message in page.replace("&#x27;", "'")
    assert counts() == before


def test_a_name_with_no_latin_letters_asks_for_a_short_name_next_to_that_field(admin_client):
    before = counts()
    response = admin_client.post(reverse("timebank:network-timebank-create"), {**NEW_TIMEBANK, "name": "日本語の会"})
    page = response.content.decode()
    assert response.status_code == 200 and error_next_to(page, "slug")
    assert "Enter a short name for the timebank&#x27;s web address" in page
    assert counts() == before


def test_a_coordinator_ticked_and_typed_twice_in_other_cases_coordinates_once(admin_client):
    jo = UserFactory(username="jo", email="jo@example.org", roles=[Role.COORDINATOR])
    data = {**NEW_TIMEBANK, "coordinators": [str(jo.pk)], "other_coordinators": "jo\nJO\n  jo@example.org  \n\n"}
    response = admin_client.post(reverse("timebank:network-timebank-create"), data)
    assert response.status_code == 302
    assert list(Timebank.objects.get(slug="tilehurst-timebank").coordinators.all()) == [jo]


@pytest.mark.parametrize("value", ["999999", "abc", "-1", "1" * 30, "\x00"])
def test_a_ticked_coordinator_who_is_not_offered_is_refused_next_to_the_field(admin_client, value):
    UserFactory(username="jo", roles=[Role.COORDINATOR])
    before = counts()
    data = {**NEW_TIMEBANK, "coordinators": [value]}
    response = admin_client.post(reverse("timebank:network-timebank-create"), data)
    page = response.content.decode()
    assert response.status_code == 200 and error_next_to(page, "coordinators"), page
    assert "Choose one of the options for" in page or "Null characters" in page
    assert counts() == before


def test_a_member_who_is_not_a_coordinator_cannot_be_ticked_and_an_inactive_login_cannot_be_typed(admin_client):
    UserFactory(username="jo", roles=[Role.COORDINATOR])
    member = MemberFactory(display_name="Mo", user__username="mo").user
    UserFactory(username="gone", is_active=False)
    before = counts()
    url = reverse("timebank:network-timebank-create")
    ticked = admin_client.post(url, {**NEW_TIMEBANK, "coordinators": [str(member.pk)]}).content.decode()
    assert error_next_to(ticked, "coordinators") and "Choose one of the options for" in ticked
    typed = admin_client.post(url, {**NEW_TIMEBANK, "other_coordinators": "gone"}).content.decode()
    assert error_next_to(typed, "other_coordinators") and "We could not find a login for gone." in typed
    assert counts() == before


def test_a_list_where_the_name_is_expected_takes_one_value_and_never_fails(admin_client):
    data = {**NEW_TIMEBANK, "name": ["Tilehurst Timebank", LONG]}
    response = admin_client.post(reverse("timebank:network-timebank-create"), data)
    assert response.status_code == 200 and error_next_to(response.content.decode(), "name")
    assert not Timebank.objects.filter(slug="tilehurst-timebank").exists()


# --- 2. Joining a named timebank, and choosing one ---------------------------------------------

BAD_JOIN = [
    ("display_name", "   ", "Enter your name, like Alice or Alice B."),
    ("display_name", LONG, "at most"),
    ("display_name", NUL, "Null characters are not allowed."),
    ("email", "not an address", "Enter your e-mail address in the right format"),
    ("email", "p\x00@example.org", "Null characters are not allowed."),
    ("postcode", LONG, "at most"),
    ("about", "\x00", "Null characters are not allowed."),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_JOIN)
def test_joining_a_named_timebank_answers_odd_input_next_to_the_field(client, caversham, field, value, message):
    before = counts()
    response = client.post(reverse("timebank:timebank-join", args=["caversham"]), {**JOIN, field: value})
    page = response.content.decode()
    assert response.status_code == 200 and error_next_to(page, field), page
    assert message in page
    assert counts() == before


@pytest.mark.parametrize("slug", ["nowhere", "x" * 300, "CAVERSHAM", "caversham-"])
def test_joining_a_timebank_that_does_not_exist_is_not_found_and_writes_nothing(client, caversham, slug):
    before = counts()
    assert client.post(f"/t/{slug}/join/", JOIN).status_code == 404
    assert client.get(f"/t/{slug}/join/").status_code == 404
    assert counts() == before


@pytest.mark.parametrize("path", ["/t/cav%00ersham/join/", "/t/%E6%97%A5%E6%9C%AC/join/", "/t/%20/join/"])
def test_a_join_address_with_odd_characters_is_not_found(client, caversham, path):
    assert client.get(path).status_code == 404
    assert client.post(path, JOIN).status_code == 404


@pytest.mark.parametrize("chosen", ["caversham", str(10**30), "\x00", ["caversham", "default"]])
def test_with_several_timebanks_posting_to_join_only_shows_the_choice_and_writes_nothing(client, caversham, chosen):
    before = counts()
    response = client.post(reverse("timebank:join"), {**JOIN, "timebank": chosen})
    page = response.content.decode()
    assert response.status_code == 200 and "Choose the one nearest to where you live" in page
    assert 'href="/t/caversham/join/"' in page
    assert counts() == before


def test_the_same_e_mail_joining_a_second_timebank_saves_nothing_and_answers_as_for_a_new_one(client, caversham):
    first = client.post(reverse("timebank:timebank-join", args=["caversham"]), JOIN)
    before = counts()
    again = {**JOIN, "email": "  PRIYA@Example.org "}
    response = client.post(reverse("timebank:timebank-join", args=[Timebank.get_default().slug]), again)
    # Whether the address has an account is told only to its owner, by e-mail (tests/security/test_login.py).
    assert (response.status_code, response["Location"]) == (first.status_code, first["Location"])
    assert "There is already an account" not in client.get(response["Location"]).content.decode()
    assert counts() == before


# --- 3. ?coordinating=, ?timebank= on reports and the new-referral page -----------------------


@pytest.fixture
def coordinator_of_both(caversham):
    user = UserFactory(username="cora2", roles=[Role.COORDINATOR], coordinates=[Timebank.get_default(), caversham])
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "value", ["nowhere", "x" * 10_000, "\x00", "cävérsham", "CAVERSHAM", "caversham%", "tilehurst", " caversham"]
)
@pytest.mark.parametrize(
    "page", ["timebank:coordinator-dashboard", "timebank:coordinator-members", "timebank:category-list"]
)
def test_coordinating_a_timebank_that_is_not_yours_or_not_a_short_name_is_not_found(coordinator_of_both, page, value):
    Timebank.objects.create(name="Tilehurst", slug="tilehurst")  # exists, but not theirs
    response = coordinator_of_both.get(reverse(page), {"coordinating": value})
    assert response.status_code == 404


def test_an_odd_short_name_in_an_address_is_never_sent_to_the_database(coordinator_of_both, sam, caversham):
    """PostgreSQL refuses a NUL byte in a query (a 500): such a name is not looked up at all."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        coordinator_of_both.get(reverse("timebank:coordinator-dashboard"), {"coordinating": "cav\x00ersham"})
        sam.get(reverse("referrals:new"), {"timebank": "cav\x00ersham"})
        Client().get("/t/cav%00ersham/join/")
    assert not [q for q in queries.captured_queries if "\x00" in q["sql"] or "ersham" in q["sql"]]


def test_coordinating_twice_in_one_address_takes_one_and_an_empty_one_the_remembered(coordinator_of_both):
    page = reverse("timebank:coordinator-dashboard")
    assert coordinator_of_both.get(f"{page}?coordinating=default&coordinating=caversham").status_code == 200
    assert coordinator_of_both.get(f"{page}?coordinating=").status_code == 200


@pytest.mark.parametrize(
    "value", ["abc", "-1", "0", "²", "\u0661", "1.0", "9" * 19, "9" * 400, "\x00", " 1", "caversham"]
)
def test_a_report_for_a_timebank_id_that_is_not_a_number_you_coordinate_is_not_found(coordinator_of_both, value):
    for name, args in (("brokering:reports", []), ("brokering:report", ["exchanges"])):
        response = coordinator_of_both.get(reverse(name, args=args), {"timebank": value})
        assert response.status_code == 404, (name, value)


def test_a_report_for_another_timebanks_id_is_not_found(coordinator_of_both):
    other = Timebank.objects.create(name="Tilehurst", slug="tilehurst")
    assert coordinator_of_both.get(reverse("brokering:reports"), {"timebank": str(other.pk)}).status_code == 404


@pytest.mark.parametrize("start", ["", "not a date", "2026-13-45", "\x00", "9" * 400])
def test_a_report_with_an_odd_period_shows_the_form_with_the_message(coordinator_of_both, caversham, start):
    response = coordinator_of_both.get(
        reverse("brokering:reports"), {"timebank": str(caversham.pk), "start": start, "end": "2026-01-01"}
    )
    assert response.status_code == 200
    assert "Enter the first day of the period" in response.content.decode()


@pytest.fixture
def sam(surgery):  # noqa: F811
    user = UserFactory(username="sam", roles=[Role.LINK_WORKER])
    OrganisationMembership.objects.create(user=user, organisation=surgery.organisation, role="link-worker")
    client = Client()
    client.force_login(user)
    return client


REFERRAL_FORM = {
    "given_name": "Joan",
    "family_name": "Rivers",
    "postcode": "RG1 7QE",
    "phone": "0118 496 0000",
    "preferred_contact": "phone",
    "priority": "routine",
    "needs": ["befriending-and-loneliness"],
    "consent_given": "on",
    "consent_scopes": ["share-with-service"],
    "consent_method": "verbal",
    "consent_recorded_by": "Sam Patel",
}


@pytest.mark.parametrize("value", ["nowhere", "x" * 10_000, "\x00", "cävérsham", "1", "true", "-1"])
def test_a_new_referral_to_an_unknown_timebank_sends_the_link_worker_back_to_choose(sam, caversham, value):
    before = counts()
    response = sam.post(reverse("referrals:new") + "?" + _query({"timebank": value}), REFERRAL_FORM)
    assert response.status_code == 302 and response["Location"] == "/referrals/new/"
    assert "Choose which timebank to refer the person to." in sam.get("/referrals/new/").content.decode()
    assert counts() == before


def _query(params):
    from urllib.parse import urlencode

    return urlencode(params)


# --- 4. The API: target.timebank ------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["", " ", "x" * 10_000, "cav\x00ersham", "cävérsham", "caversham\n", 0, 1, -1, 10**30, 1.5, [], {}, ["caversham"]],
)
def test_the_api_answers_an_odd_target_timebank_with_a_400_on_the_field(surgery, referral_body, caversham, value):  # noqa: F811
    before = counts()
    response = surgery.api.post("/api/v1/referrals/", referral_body(target={"timebank": value}), format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] and error["message"]
    assert "target.timebank" in error["fields"], error
    assert counts() == before


@pytest.mark.parametrize("value", ["nowhere", "CAVERSHAM", True])
def test_the_api_answers_an_unknown_timebank_with_several_with_a_400_naming_the_choices(
    surgery,  # noqa: F811
    referral_body,  # noqa: F811
    caversham,
    value,
):
    before = counts()
    response = surgery.api.post("/api/v1/referrals/", referral_body(target={"timebank": value}), format="json")
    assert response.status_code == 400, response.content
    message = " ".join(response.json()["error"]["fields"]["target.timebank"])
    assert "caversham (Caversham)" in message
    assert counts() == before


@pytest.mark.parametrize("target", ["caversham", ["caversham"], None, 12, {"timebank": "caversham", "x": 1}])
def test_the_api_answers_a_target_of_the_wrong_shape_with_a_400(surgery, referral_body, caversham, target):  # noqa: F811
    before = counts()
    response = surgery.api.post("/api/v1/referrals/", referral_body(target=target), format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"]
    assert counts() == before


def test_the_api_refuses_a_service_and_a_timebank_together(surgery, referral_body, garden_service, caversham):  # noqa: F811
    before = counts()
    body = referral_body(target={"service": str(garden_service.pk), "timebank": "caversham"})
    response = surgery.api.post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"]
    assert counts() == before


# --- 5. Safeguarding override reasons, and categories ---------------------------------------------


@pytest.fixture
def ctx(coordinator):
    """As tests/timebank/test_safeguarding_paths.py: Amir helps Bea; `prepare` adds the problem."""
    amir = MemberFactory(display_name="Amir", user__username="amir")
    bea = MemberFactory(display_name="Bea", user__username="bea")
    return {"helper": amir, "receiver": bea, "coordinator": coordinator, "category": category("it-and-phones")}


def _record_form(ctx):
    return {
        "provider": str(ctx["helper"].public_id),
        "receivers": [str(ctx["receiver"].public_id)],
        "minutes": "1 hour",
        "category": str(ctx["category"].pk),
        "where": "home",
        "description": "Set up a new phone",
    }


BAD_REASONS = [
    ("   ", "write your reason for overriding this"),
    ("\t\n", "write your reason for overriding this"),
    (LONG, "at most 1000 characters"),
    ("I checked\x00", "Null characters are not allowed."),
]


@pytest.mark.parametrize(("reason", "message"), BAD_REASONS)
def test_the_record_exchange_page_answers_an_odd_override_reason_next_to_it(ctx, client, reason, message):
    prepare(ctx, "home-no-dbs")
    client.force_login(ctx["coordinator"])
    before = written()
    url = reverse("timebank:record-exchange")
    response = client.post(url, {**_record_form(ctx), "safeguarding_override_reason": reason})
    page = response.content.decode()
    assert response.status_code == 200
    assert error_next_to(page, "safeguarding_override_reason"), page
    assert message in page
    assert written() == before


def test_a_reason_of_1000_letters_in_another_alphabet_is_recorded_as_typed(ctx, client):
    prepare(ctx, "home-no-dbs")
    client.force_login(ctx["coordinator"])
    reason = "ü" * 1000
    url = reverse("timebank:record-exchange")
    response = client.post(url, {**_record_form(ctx), "safeguarding_override_reason": reason})
    assert response.status_code == 302
    assert SafeguardingOverride.objects.get().reason == reason


@pytest.mark.parametrize(("reason", "message"), BAD_REASONS)
def test_the_introduce_page_answers_an_odd_override_reason_next_to_it(ctx, client, reason, message):
    prepare(ctx, "home-no-dbs")
    client.force_login(ctx["coordinator"])
    before = written()
    url = reverse("brokering:introduce", args=[ctx["request"].public_id])
    response = client.post(url, {"helper": str(ctx["helper"].public_id), "safeguarding_override_reason": reason})
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page, page
    assert written() == before


@pytest.mark.parametrize("helper", ["", "not-a-uuid", "\x00", "00000000-0000-0000-0000-000000000000"])
def test_the_introduce_page_with_an_odd_helper_writes_nothing(ctx, client, helper):
    prepare(ctx, "home-no-dbs")
    client.force_login(ctx["coordinator"])
    before = written()
    url = reverse("brokering:introduce", args=[ctx["request"].public_id])
    response = client.post(url, {"helper": helper, "safeguarding_override_reason": REASON})
    assert response.status_code in (200, 302, 404)
    assert written() == before


@pytest.mark.parametrize(("reason", "message"), BAD_REASONS)
def test_the_listing_form_answers_an_odd_override_reason_next_to_it(ctx, client, reason, message):
    prepare(ctx, "home-no-dbs")
    MemberFactory(display_name="Cora", user=ctx["coordinator"])
    client.force_login(ctx["coordinator"])
    before = written()
    form = {"kind": "offer", "category": str(ctx["category"].pk), "title": "Phone help", "where": "home"}
    response = client.post(reverse("timebank:listing-create"), {**form, "safeguarding_override_reason": reason})
    page = response.content.decode()
    assert response.status_code == 200
    assert error_next_to(page, "safeguarding_override_reason"), page
    assert message in page
    assert written() == before


@pytest.mark.parametrize(("reason", "message"), BAD_REASONS)
def test_the_reopen_page_answers_an_odd_override_reason_next_to_it(ctx, client, reason, message):
    prepare(ctx, "home-no-dbs")
    closed = ctx["closed_offer"]
    client.force_login(ctx["coordinator"])
    before = written()
    response = client.post(
        reverse("timebank:listing-reopen", args=[closed.public_id]), {"safeguarding_override_reason": reason}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert error_next_to(page, "safeguarding_override_reason"), page
    assert message in page
    # The message a coordinator sees is about what they typed, not a request for a reason they gave.
    if reason.strip() and "\x00" not in reason:
        assert "write your reason" not in page
    closed.refresh_from_db()
    assert closed.status == "closed" and written() == before


@pytest.fixture
def coordinator_client(coordinator, client):
    client.force_login(coordinator)
    return client


BAD_CATEGORY_NAMES = [
    ("", "Enter a name for the category"),
    ("   ", "Enter a name for the category"),
    (LONG, "at most 80 characters"),
    ("Garden\x00ing", "Null characters are not allowed."),
    ("!!!", "Use some letters or numbers in the name."),
    ("mine", "There is already a category with that name."),
    ("  MINE  ", "There is already a category with that name."),
    ("m-i-n-e", None),
]


@pytest.fixture
def mine(timebank, coordinator):
    from timebank.services.listings import category_create

    return category_create(timebank=timebank, name="Mine", by_user=coordinator)


@pytest.mark.parametrize(("name", "message"), BAD_CATEGORY_NAMES)
def test_the_category_page_answers_an_odd_or_clashing_name_next_to_it(coordinator_client, mine, name, message):
    before = counts()
    response = coordinator_client.post(reverse("timebank:category-create"), {"name": name, "description": ""})
    if message is None:  # a different name whose address clashes: "mine" vs "m-i-n-e" are different slugs
        assert response.status_code == 302
        return
    page = response.content.decode()
    assert response.status_code == 200 and error_next_to(page, "name"), page
    assert message in page
    assert counts() == before


@pytest.mark.parametrize(("name", "message"), [row for row in BAD_CATEGORY_NAMES if row[1]])
def test_renaming_a_category_answers_an_odd_or_clashing_name_next_to_it(
    coordinator_client, mine, timebank, coordinator, name, message
):
    from timebank.services.listings import category_create

    other = category_create(timebank=timebank, name="Other", by_user=coordinator)
    response = coordinator_client.post(reverse("timebank:category-edit", args=[other.pk]), {"name": name})
    page = response.content.decode()
    assert response.status_code == 200 and error_next_to(page, "name"), page
    assert message in page
    other.refresh_from_db()
    assert other.name == "Other"


def test_a_category_description_too_long_or_with_a_nul_is_refused_next_to_it(coordinator_client):
    before = counts()
    for description, message in ((LONG, "at most 300 characters"), ("a\x00", "Null characters are not allowed.")):
        response = coordinator_client.post(
            reverse("timebank:category-create"), {"name": "Reading aloud", "description": description}
        )
        page = response.content.decode()
        assert response.status_code == 200 and error_next_to(page, "description") and message in page
    assert counts() == before


def test_a_category_name_used_by_another_timebank_is_fine_in_this_one(coordinator_client, caversham, coordinator):
    from timebank.services.listings import category_create

    nia = UserFactory(username="nia", roles=[Role.ADMIN])
    category_create(timebank=caversham, name="Boat repairs", by_user=nia)
    response = coordinator_client.post(reverse("timebank:category-create"), {"name": "Boat repairs"})
    assert response.status_code == 302
    assert Category.objects.filter(name="Boat repairs").count() == 2


def test_another_timebanks_category_cannot_be_edited_even_with_a_good_name(coordinator_client, caversham):
    from timebank.services.listings import category_create

    nia = UserFactory(username="nia", roles=[Role.ADMIN])
    theirs = category_create(timebank=caversham, name="Boat repairs", by_user=nia)
    response = coordinator_client.post(reverse("timebank:category-edit", args=[theirs.pk]), {"name": "Renamed"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Boat repairs"


def test_a_listing_cannot_use_another_timebanks_category(client, caversham):
    from timebank.services.listings import category_create

    nia = UserFactory(username="nia", roles=[Role.ADMIN])
    theirs = category_create(timebank=caversham, name="Boat repairs", by_user=nia)
    member = MemberFactory(display_name="Mo", user__username="mo")
    client.force_login(member.user)
    before = counts()
    listings = ListingFactory._meta.model.objects.count()
    form = {"kind": "offer", "category": str(theirs.pk), "title": "Boat help", "where": "public"}
    response = client.post(reverse("timebank:listing-create"), form)
    page = response.content.decode()
    assert response.status_code == 200 and error_next_to(page, "category")
    assert counts() == before and ListingFactory._meta.model.objects.count() == listings
