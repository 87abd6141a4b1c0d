"""The GOV.UK error pattern on every form page (issue 14).

Each form page, sent with nothing filled in (or with nonsense where nothing is
not wrong), must come back with: "Error: " at the start of its <title>, the
error summary ("There is a problem", role=alert) whose links go to the fields,
a message above each wrong field that says what to do, and never Django's own
"This field is required." / "Enter a valid …" / "Select a valid choice".
Every problem is shown at once: a page never makes a person fix one thing to
be told about the next.
"""

import html as htmllib
import inspect
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

import assets.forms
import brokering.forms
import privacy.forms
import timebank.forms.accounts
import timebank.forms.exchanges
import timebank.forms.listings
import timebank.forms.members
import timebank.forms.timebanks
import timebank.forms.twofactor
from assets.models import OrganisationMembership
from core.form_messages import PlainErrorsMixin
from tests.assets.factories import service_at
from tests.brokering.factories import exchange as exchange_between
from tests.factories import ListingFactory, UserFactory
from tests.timebank.test_accounts_pages import exchange as transfer_between
from timebank.models import Member, Role, Timebank

pytestmark = pytest.mark.django_db

# A browser sends every box of a form, filled in or not; a view that binds
# `request.POST or None` treats a POST with no keys at all as no POST.
SENT = {"sent": ""}

DJANGO_WORDS = ["This field is required", "Enter a valid", "Select a valid choice", "Ensure this value"]


def title_of(page: str) -> str:
    return htmllib.unescape(re.search(r"<title>(.*?)</title>", page, re.S).group(1)).strip()


def summary_links(page: str) -> list[tuple[str, str]]:
    """(target id, text) of each link in the error summary."""
    summaries = re.findall(r'<div class="error-summary" role="alert" tabindex="-1">(.*?)</div>', page, re.S)
    assert summaries, "no error summary"
    return [link for summary in summaries for link in re.findall(r'<a href="#([^"]+)">(.*?)</a>', summary)]


def assert_error_pattern(response, *, fields: list[str]) -> str:
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    assert title_of(page).startswith("Error: "), title_of(page)
    assert "There is a problem" in page
    for words in DJANGO_WORDS:
        assert words not in page, words
    links = summary_links(page)
    targets = {target for target, _ in links}
    for target, text in links:
        # The link goes to something on the page, and its words are the field's own message.
        assert f'id="{target}"' in page, target
        assert htmllib.unescape(text) in htmllib.unescape(page.split("error-summary", 1)[1].split("</div>", 1)[1])
    for field in fields:
        # Every wrong field at once, each with its own message above it.
        assert any(target.endswith((field, f"{field}_group")) for target in targets), (field, targets)
        assert re.search(rf'id="[^"]*{field}_error"', page), field
    assert '<span class="visually-hidden">Error:</span>' in page
    return page


# --- the pages -----------------------------------------------------------------------------------


@dataclass
class Case:
    who: str  # "anonymous", "member", "coordinator", "organiser", "admin"
    url: Any  # a callable(world) -> url
    data: Any  # dict or callable(world) -> dict
    fields: list[str]


@pytest.fixture
def world(db, alice, bob, coordinator):
    walk = service_at(51.46, -0.97, name="Thames walk", categories=["physical-activity"], days=["TU"])
    organiser = UserFactory(username="olly", roles=[Role.GROUP_ORGANISER])
    OrganisationMembership.objects.create(user=organiser, organisation=walk.organisation, role="organiser")
    admin = UserFactory(username="nia", roles=[Role.ADMIN])
    return {
        "alice": alice,
        "bob": bob,
        "coordinator": coordinator,
        "organiser": organiser,
        "admin": admin,
        "walk": walk,
        "listing": ListingFactory(member=alice, kind="offer"),
        "accepted": exchange_between(alice, bob, status="accepted"),
        "done": exchange_between(bob, alice, status="done", minutes=60),
        "disputed": exchange_between(alice, bob, status="disputed", minutes=60),
        "transfer": transfer_between(alice, bob, 30, alice.timebank),
        "feed": None,
    }


CASES = {
    "join": Case(
        "anonymous", lambda w: reverse("timebank:join"), {}, ["display_name", "email", "postcode", "password"]
    ),
    "log in": Case("anonymous", lambda w: reverse("timebank:login"), {}, ["username", "password"]),
    "forgotten password": Case("anonymous", lambda w: reverse("timebank:password-reset"), {}, ["email"]),
    "give hours": Case("member", lambda w: reverse("timebank:give-hours"), {}, ["receiver", "hours"]),
    "donate hours": Case("member", lambda w: reverse("timebank:donate-hours"), {}, ["hours"]),
    "my profile": Case("member", lambda w: reverse("timebank:my-profile"), {}, ["display_name", "postcode"]),
    "new listing": Case(
        "member", lambda w: reverse("timebank:listing-create"), {}, ["kind", "category", "title", "where"]
    ),
    "edit listing": Case(
        "member", lambda w: reverse("timebank:listing-edit", args=[w["listing"].public_id]), {}, ["title"]
    ),
    "record time": Case(
        "member",
        lambda w: reverse("timebank:exchange-action", args=[w["accepted"].public_id, "record"]),
        {},
        ["minutes"],
    ),
    "dispute": Case(
        "member",
        lambda w: reverse("timebank:exchange-action", args=[w["done"].public_id, "dispute"]),
        {},
        ["note"],
    ),
    "report a problem": Case(
        "anonymous", lambda w: reverse("assets:service-report", args=[w["walk"].id]), {}, ["kind"]
    ),
    "claim a group": Case(
        "organiser", lambda w: reverse("assets:service-claim", args=[w["walk"].id]), {"message": ""}, ["message"]
    ),
    "edit a service": Case(
        "organiser",
        lambda w: reverse("assets:service-edit", args=[w["walk"].id]),
        {"service-name": "", "service-email": "not an address", "capacity-places_available": "lots"},
        ["name", "email", "places_available"],
    ),
    "add a member": Case(
        "coordinator", lambda w: reverse("timebank:coordinator-member-add"), {}, ["kind", "display_name", "postcode"]
    ),
    "edit a member": Case(
        "coordinator",
        lambda w: reverse("timebank:coordinator-member-edit", args=[w["bob"].public_id]),
        {},
        ["display_name", "postcode", "travel_radius_km"],
    ),
    "give for a member": Case(
        "coordinator",
        lambda w: reverse("timebank:coordinator-member-give", args=[w["alice"].public_id]),
        {},
        ["receiver", "hours"],
    ),
    "community pot": Case(
        "coordinator", lambda w: reverse("timebank:coordinator-pot"), {"form": "grant"}, ["member", "hours", "reason"]
    ),
    "reverse a transfer": Case(
        "coordinator",
        lambda w: reverse("timebank:coordinator-transfer-reverse", args=[w["transfer"].public_id]),
        {},
        ["reason"],
    ),
    "record an exchange": Case(
        "coordinator",
        lambda w: reverse("timebank:record-exchange"),
        {},
        ["provider", "receivers", "minutes", "description"],
    ),
    "resolve a dispute": Case(
        "coordinator",
        lambda w: reverse("timebank:dispute-resolve", args=[w["disputed"].public_id]),
        {},
        ["outcome", "note"],
    ),
    "new category": Case("coordinator", lambda w: reverse("timebank:category-create"), {}, ["name"]),
    "safeguarding check": Case(
        "coordinator",
        lambda w: reverse("brokering:safeguarding-member", args=[w["bob"].public_id]),
        {"action": "check", "checked_on": "not a date"},
        ["kind", "checked_on"],
    ),
    "safeguarding incident": Case(
        "coordinator",
        lambda w: reverse("brokering:safeguarding-member", args=[w["bob"].public_id]),
        {"action": "incident"},
        ["occurred_at", "what_happened"],
    ),
    "erase a member": Case(
        "coordinator", lambda w: reverse("privacy:member-erase", args=[w["bob"].public_id]), {}, ["confirm"]
    ),
    "feed sources": Case("coordinator", lambda w: reverse("assets:coordinator-feeds"), {}, ["name", "url", "schedule"]),
    "start a timebank": Case(
        "admin",
        lambda w: reverse("timebank:network-timebank-create"),
        {"overdraft_hours": ""},
        ["name", "overdraft_hours"],
    ),
    "set up two-step sign-in": Case("coordinator", lambda w: reverse("timebank:two-step-setup"), {}, ["code"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_every_form_page_shows_all_its_errors_the_gov_uk_way(client, world, name):
    case = CASES[name]
    who = {
        "member": world["alice"].user,
        "coordinator": world["coordinator"],
        "organiser": world["organiser"],
        "admin": world["admin"],
    }.get(case.who)
    if who is not None:
        client.force_login(who)
    response = client.post(case.url(world), {**SENT, **case.data})
    assert_error_pattern(response, fields=case.fields)


def test_the_new_password_page_from_the_e_mailed_link_uses_the_pattern(client, alice):
    uid = urlsafe_base64_encode(force_bytes(alice.user.pk))
    token = default_token_generator.make_token(alice.user)
    landing = client.get(reverse("timebank:password-reset-confirm", args=[uid, token]))
    assert landing.status_code == 302
    page = assert_error_pattern(client.post(landing["Location"], SENT), fields=["new_password1", "new_password2"])
    assert "Choose a new password of at least 8 characters." in page


def test_a_report_period_with_bad_dates_says_what_to_type(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("brokering:reports"), {"start": "soon", "end": "later"})
    page = assert_error_pattern(response, fields=["start", "end"])
    assert "Enter the first day of the period as a real date, like 1/4/2026." in page


# --- the messages themselves -----------------------------------------------------------------------


def test_messages_say_what_to_type(client):
    page = client.post(reverse("timebank:join"), {**SENT, "email": "alice at home"}).content.decode()
    page = htmllib.unescape(page)
    assert "Enter your name, like Alice or Alice B." in page
    assert "Enter your e-mail address in the right format, like name@example.com." in page
    assert "Enter your postcode, like RG1 7QE, or just the first part, like RG1." in page
    assert "Choose a password of at least 8 characters." in page


def test_record_time_asks_for_how_long_with_an_example(client, alice, bob):
    accepted = exchange_between(alice, bob, status="accepted")
    client.force_login(alice.user)
    page = client.post(reverse("timebank:exchange-action", args=[accepted.public_id, "record"]), SENT)
    assert "Enter how long you helped for, like 1 hour 30 minutes." in page.content.decode()


def test_a_page_with_no_errors_has_no_error_in_its_title(client, alice):
    assert title_of(client.get(reverse("timebank:join")).content.decode()).startswith("Join")
    client.force_login(alice.user)
    profile = client.get(reverse("timebank:my-profile"))
    assert profile.status_code == 200
    assert title_of(profile.content.decode()).startswith("My profile")


def test_a_title_that_already_says_error_is_not_doubled(client):
    title = title_of(client.post(reverse("timebank:login"), SENT).content.decode())
    assert title.startswith("Error: ") and not title.startswith("Error: Error")


def test_a_weak_password_is_reported_with_the_other_problems(client):
    page = htmllib.unescape(
        client.post(reverse("timebank:join"), {"password": "password", "password_again": "password"}).content.decode()
    )
    assert "Enter your name" in page and "This password is too common." in page


def test_the_join_form_shows_every_problem_at_once(client):
    """Passwords that differ are reported together with the missing name, not in a second round."""
    page = client.post(
        reverse("timebank:join"), {"password": "correct horse 1", "password_again": "another thing 2"}
    ).content.decode()
    page = htmllib.unescape(page)
    assert "Enter your name" in page and "The two passwords are different" in page


FORM_MODULES = [
    timebank.forms.accounts,
    timebank.forms.exchanges,
    timebank.forms.listings,
    timebank.forms.members,
    timebank.forms.timebanks,
    timebank.forms.twofactor,
    assets.forms,
    brokering.forms,
    privacy.forms,
]


def form_classes():
    for module in FORM_MODULES:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, forms.BaseForm) and value.__module__ == module.__name__:
                yield value


def build(form_class):
    timebank = Timebank.get_default()
    kwargs = {}
    parameters = inspect.signature(form_class.__init__).parameters
    for name, value in {
        "timebank": timebank,
        "timebanks": Timebank.objects.all(),
        "members": Member.objects.none(),
        "receivers": Member.objects.none(),
        "user": None,
    }.items():
        if name in parameters:
            kwargs[name] = value
    if issubclass(form_class, SetPasswordForm):
        return form_class(None, **kwargs)
    return form_class(**kwargs)


@pytest.mark.parametrize("form_class", list(form_classes()), ids=lambda c: c.__name__)
def test_every_form_has_its_own_words_for_every_error(form_class):
    assert issubclass(form_class, PlainErrorsMixin), "first base must be PlainErrorsMixin"
    form = build(form_class)
    for name, field in form.fields.items():
        for code, message in field.error_messages.items():
            text = str(message)
            for words in [*DJANGO_WORDS, "This field", "is not one of the available choices"]:
                assert words not in text, (name, code, text)
        if field.required:
            assert (name, "required") not in form.generic_messages, f"{name} needs its own 'required' message"


# --- WCAG 1.3.5: the browser can fill in a person's own details --------------------------------------


def input_tag(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert match, name
    return match.group(0)


def test_the_join_and_profile_forms_say_what_each_box_is_for(client, alice):
    join = client.get(reverse("timebank:join")).content.decode()
    assert 'autocomplete="name"' in input_tag(join, "display_name")
    assert 'type="email"' in input_tag(join, "email") and 'autocomplete="email"' in input_tag(join, "email")
    assert 'type="tel"' in input_tag(join, "phone") and 'autocomplete="tel"' in input_tag(join, "phone")
    assert 'autocomplete="postal-code"' in input_tag(join, "postcode")
    assert 'autocomplete="new-password"' in input_tag(join, "password")
    assert 'autocomplete="new-password"' in input_tag(join, "password_again")
    client.force_login(alice.user)
    profile = client.get(reverse("timebank:my-profile")).content.decode()
    assert 'autocomplete="name"' in input_tag(profile, "display_name")
    assert 'type="tel"' in input_tag(profile, "phone") and 'autocomplete="tel"' in input_tag(profile, "phone")
    assert 'autocomplete="postal-code"' in input_tag(profile, "postcode")


def test_logging_in_and_resetting_a_password_say_what_each_box_is_for(client, alice):
    login = client.get(reverse("timebank:login")).content.decode()
    assert 'autocomplete="username"' in input_tag(login, "username")
    assert 'autocomplete="current-password"' in input_tag(login, "password")
    reset = client.get(reverse("timebank:password-reset")).content.decode()
    assert 'type="email"' in input_tag(reset, "email") and 'autocomplete="email"' in input_tag(reset, "email")
    uid = urlsafe_base64_encode(force_bytes(alice.user.pk))
    landing = client.get(
        reverse("timebank:password-reset-confirm", args=[uid, default_token_generator.make_token(alice.user)])
    )
    choose = client.get(landing["Location"]).content.decode()
    assert 'autocomplete="new-password"' in input_tag(choose, "new_password1")
    assert 'autocomplete="new-password"' in input_tag(choose, "new_password2")


def test_a_coordinator_adding_someone_gets_the_right_keyboards_but_not_their_own_details(client, coordinator):
    client.force_login(coordinator)
    add = client.get(reverse("timebank:coordinator-member-add")).content.decode()
    assert 'type="tel"' in input_tag(add, "phone") and 'type="email"' in input_tag(add, "email")
    for name in ("display_name", "phone", "email", "postcode"):
        assert 'autocomplete="off"' in input_tag(add, name), name
