"""Many timebanks in one install, each sealed off: the cross-timebank matrix,
built from the URL resolver.

Timebank A ("Oxford Road", the default one) has members, a listing, an
exchange, ledger rows, safeguarding records and a referral to it. Timebank B
("Caversham") has its own coordinator (staff, a member of B too), a member and
an applicant. Logged in with a session, none of B's people may read or change
anything of A's:

- every route under /api/ with an argument, and every admin change / history /
  delete view (and the old "<id>/" redirect) of a model holding timebank data,
  answers 404 (or 403) for A's objects, whatever the method;
- every list under /api/ and every admin changelist shows none of A's rows;
- afterwards A's ledger (transfers, entries, balances), listings, exchanges,
  members, safeguarding records, settings and referral are as they were.

A new route fails `test_every_api_route_with_an_argument_is_in_the_matrix` or
`test_every_admin_route_of_timebank_data_is_in_the_matrix` until it is added to
the map below (or to an exclusion list, with a reason), and a new admin model
fails `test_every_admin_model_is_timebank_data_or_shared` until someone says
which it is.
"""

import datetime
import re

import pytest
from django.contrib import admin as django_admin
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from referrals.models import AccessOutcome, Outcome, Referral, ReferralAccessLog, ReferralHistory, WebhookSubscription
from tests.factories import ListingFactory, MemberFactory, UserFactory, category, login_with_second_step
from timebank import ledger
from timebank.models import (
    Account,
    Category,
    CategoryRestriction,
    Entry,
    Exchange,
    ExchangeHistory,
    ExchangeReceiver,
    Incident,
    Listing,
    Member,
    MemberStatus,
    Role,
    SafeguardingCheck,
    Timebank,
    Transfer,
    User,
)

# --- The routes, from the resolver ---------------------------------------------------------------


def all_routes() -> list[tuple[str, str, URLPattern]]:
    """(key, route, pattern) for every URL: the key is the namespaced name, or the
    route itself for an unnamed pattern."""
    found: list[tuple[str, str, URLPattern]] = []

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                ns = ":".join(filter(None, [namespace, entry.namespace]))
                walk(entry.url_patterns, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                name = ":".join(filter(None, [namespace, entry.name])) if entry.name else route
                found.append((name, route, entry))

    walk(get_resolver().url_patterns, "", "")
    return found


def _has_argument(route: str) -> bool:
    return "<" in route or "(?P" in route


def api_routes_with_arguments() -> dict[str, str]:
    return {key: route for key, route, _ in all_routes() if route.startswith("api/") and _has_argument(route)}


def api_list_routes() -> dict[str, str]:
    return {key: route for key, route, _ in all_routes() if route.startswith("api/") and not _has_argument(route)}


ADMIN_MODEL_ROUTE = re.compile(r"^admin/(?P<app>[a-z0-9_]+)/(?P<model>[a-z0-9_]+)/")


def admin_routes_with_arguments() -> dict[str, str]:
    return {key: route for key, route, _ in all_routes() if route.startswith("admin/") and _has_argument(route)}


# --- Which admin models hold a timebank's data ----------------------------------------------------

# label -> the world's key for timebank A's object of that model.
TIMEBANK_DATA_MODELS = {
    "timebank.timebank": "timebank_a",
    "timebank.user": "alice_user",
    "timebank.member": "alice",
    "timebank.listing": "listing",
    "timebank.exchange": "exchange",
    "timebank.exchangehistory": "exchange_history",
    "timebank.account": "alice_account",
    "timebank.transfer": "transfer",
    "timebank.entry": "entry",
    "timebank.safeguardingcheck": "check",
    "timebank.incident": "incident",
    "timebank.categoryrestriction": "restriction",
    # Each timebank has its own categories and their safeguarding rules.
    "timebank.category": "category",
    "referrals.referralaccesslog": "access_log",
}
# Registered in the admin, but no timebank's data (each with the reason).
SHARED_ADMIN_MODELS = {
    "auth.group": "roles: the same groups for the whole install",
    "referrals.webhooksubscription": "a referring organisation's, not a timebank's; coordinators have no permission",
    "referrals.webhookdelivery": "a referring organisation's, not a timebank's; coordinators have no permission",
    "assets.organisation": "the public community directory (no coordinator permission)",
    "assets.service": "the public community directory",
    "assets.location": "the public community directory",
    "assets.taxonomy": "the public community directory",
    "assets.problemreport": "the public community directory",
    "assets.organisationclaim": "the public community directory",
    "assets.feedsource": "the feeds the public community directory is imported from",
    "api.apiclient": "an organisation's API clients; network administrators only",
}
# Third-party apps' admin models, none of them a timebank's data.
SHARED_ADMIN_APPS = {
    "oauth2_provider": "OAuth applications and tokens of API clients; no coordinator permission",
    "axes": "login lock-outs; no coordinator permission",
    "otp_totp": "staff's two-step sign-in devices; no coordinator permission",
    "otp_static": "staff's two-step sign-in backup codes; no coordinator permission",
}


def _shared(label: str | None) -> bool:
    return label is not None and (label in SHARED_ADMIN_MODELS or label.split(".")[0] in SHARED_ADMIN_APPS)


# Admin routes with an argument that are no model's object page (each with the reason).
ADMIN_ROUTES_EXCLUDED = {
    "admin:view_on_site": "redirects to a model's get_absolute_url; no timebank model has one",
    "admin:app_list": "an app's index page: its argument is an app label, not an object",
    "admin/(?P<url>.*)$": "the admin's catch-all 404 for unknown URLs",
}
# The object views of each timebank-data model: (name suffix or "", how the route ends).
ADMIN_OBJECT_VIEWS = ["change", "history", "delete"]


def admin_matrix() -> dict[str, str]:
    """{route key: label of the model whose A-object fills it}: the explicit map."""
    matrix: dict[str, str] = {}
    for label in TIMEBANK_DATA_MODELS:
        app, model = label.split(".")
        for view in ADMIN_OBJECT_VIEWS:
            matrix[f"admin:{app}_{model}_{view}"] = label
        # Django's old "<id>/" URL, a redirect to the change page.
        matrix[f"admin/{app}/{model}/<path:object_id>/"] = label
    # django.contrib.auth's UserAdmin names its password page after auth.User.
    matrix["admin:auth_user_password_change"] = "timebank.user"
    return matrix


# --- The API map: route name -> (URL kwargs from A's objects, bodies per method) ---------------------

ONS4 = {"life_satisfaction": 1, "worthwhile": 1, "happiness": 1, "anxiety": 1}
CONSENT = {
    "given": False,
    "scopes": ["codes-only"],
    "method": "verbal",
    "recorded_by": "x",
    "recorded_at": "2026-01-01T00:00:00Z",
}
API_MATRIX = {
    "api:listing-detail": ({"listing_id": "listing"}, {"patch": {"title": "Mine now"}}),
    "api:listing-close": ({"listing_id": "listing"}, {}),
    "listing-suggestions": ({"listing_id": "listing"}, {}),
    **{
        f"api:exchange-{action}": (
            {"exchange_id": "exchange"},
            {"post": {"minutes": 30} if action == "record" else {"note": "x"}},
        )
        for action in ("accept", "decline", "record", "confirm", "dispute", "cancel")
    },
    "api:referral-detail": ({"referral_id": "referral"}, {}),
    "api:referral-transition": ({"referral_id": "referral"}, {"post": {"to": "accepted"}}),
    "api:referral-outcomes": (
        {"referral_id": "referral"},
        {"post": {"instrument": "ons4", "stage": "baseline", "answers": ONS4}},
    ),
    "api:referral-consent": ({"referral_id": "referral"}, {"post": CONSENT}),
    "api:webhook-detail": ({"webhook_id": "webhook"}, {}),
}
API_EXCLUDED = {
    "api:service-detail": "the public community directory: the same for every caller (A1 SHARED)",
}
# Lists: every /api/ route without an argument is checked for A's rows, except these.
API_LISTS_EXCLUDED = {
    "api:schema": "the OpenAPI document: no data",
    "api:docs": "the API's documentation page: no data",
    "api:redoc": "the API's documentation page: no data",
    "api:service-list": "the public community directory (needs a place to search near)",
    "api:category-list": "the directory's categories: shared by every timebank",
}


# --- The world ------------------------------------------------------------------------------------


@pytest.fixture
def world(surgery, make_referral):
    timebank_a = Timebank.get_default()
    timebank_b = Timebank.objects.create(name="Caversham", slug="caversham")
    coordinator_a = UserFactory(
        username="oxford-coord", is_staff=True, roles=[Role.COORDINATOR], coordinates=[timebank_a]
    )
    alice = MemberFactory(timebank=timebank_a, display_name="Alice Oxford", user__username="alice-oxford")
    bob = MemberFactory(timebank=timebank_a, display_name="Bob Oxford", user__username="bob-oxford")
    listing = ListingFactory(timebank=timebank_a, member=alice, kind="request", title="Oxford weeding")
    exchange = Exchange.objects.create(
        timebank=timebank_a, listing=listing, provider=bob, proposed_by=bob.user, status="done", minutes=60
    )
    ExchangeReceiver.objects.create(exchange=exchange, member=alice)
    exchange_history = ExchangeHistory.objects.create(
        exchange=exchange, from_status="accepted", to_status="done", note="Done"
    )
    transfer = ledger.gift(giver=bob, receiver=alice, minutes=30, note="Oxford thanks")
    today = timezone.localdate()
    check = SafeguardingCheck.objects.create(
        member=alice, kind="dbs", reference_number="OX-1", checked_on=today, expires_on=today + datetime.timedelta(700)
    )
    incident = Incident.objects.create(member=alice, occurred_at=timezone.now(), what_happened="Oxford incident")
    restriction = CategoryRestriction.objects.create(member=alice, category=category("gardening"), reason="Oxford")
    a_category = Category.objects.create(timebank=timebank_a, name="Oxford punting", slug="oxford-punting")
    referral_id = make_referral(target={"timebank": timebank_a.slug})["id"]
    referral = Referral.objects.get(pk=referral_id)
    assert referral.target_timebank_id == timebank_a.pk and referral.member is not None
    webhook = WebhookSubscription.objects.create(
        organisation=surgery.organisation, url="https://hooks.example.org/a", secret="s"
    )

    coordinator_b = UserFactory(
        username="caversham-coord", is_staff=True, roles=[Role.COORDINATOR], coordinates=[timebank_b]
    )
    # So that the access log's own scoping is what is tested, not a missing permission.
    coordinator_b.user_permissions.add(Permission.objects.get(codename="view_referralaccesslog"))
    MemberFactory(timebank=timebank_b, user=coordinator_b, display_name="Cass Caversham")
    bea = MemberFactory(timebank=timebank_b, display_name="Bea Caversham", user__username="bea-caversham")
    applicant = MemberFactory(
        timebank=timebank_b,
        display_name="Andy Applicant",
        user__username="andy-applicant",
        status=MemberStatus.APPLIED,
    )
    listing_b = ListingFactory(timebank=timebank_b, member=bea, kind="request", title="Caversham weeding")
    return {
        "timebank_a": timebank_a,
        "timebank_b": timebank_b,
        "coordinator_a": coordinator_a,
        "alice": alice,
        "alice_user": alice.user,
        "alice_account": alice.account,
        "bob": bob,
        "listing": listing,
        "exchange": exchange,
        "exchange_history": exchange_history,
        "transfer": transfer,
        "entry": Entry.objects.filter(transfer=transfer).order_by("pk").first(),
        "check": check,
        "incident": incident,
        "restriction": restriction,
        "category": a_category,
        "referral": referral,
        "access_log": ReferralAccessLog.objects.filter(referral_id=referral.pk).order_by("pk").first(),
        "webhook": webhook,
        "coordinator_b": coordinator_b,
        "member_b": bea.user,
        "applicant_b": applicant.user,
        "listing_b": listing_b,
    }


def snapshot(world) -> dict:
    """Everything of timebank A's that nobody from B may change."""
    timebank_a = world["timebank_a"]
    referral = Referral.objects.get(pk=world["referral"].pk)
    return {
        "transfers": Transfer.objects.filter(timebank=timebank_a).count(),
        "entries": Entry.objects.filter(account__timebank=timebank_a).count(),
        "all_transfers": Transfer.objects.count(),
        "balances": sorted(Account.objects.filter(timebank=timebank_a).values_list("pk", "balance", "min_balance")),
        "listings": sorted(Listing.objects.filter(timebank=timebank_a).values_list("pk", "title", "status")),
        "exchanges": sorted(Exchange.objects.filter(timebank=timebank_a).values_list("pk", "status", "minutes")),
        "exchange_history": ExchangeHistory.objects.filter(exchange__timebank=timebank_a).count(),
        "members": sorted(
            Member.objects.filter(timebank=timebank_a).values_list("pk", "display_name", "status", "user_id")
        ),
        "safeguarding": (
            sorted(SafeguardingCheck.objects.filter(member__timebank=timebank_a).values_list("pk", "reference_number")),
            sorted(Incident.objects.filter(member__timebank=timebank_a).values_list("pk", "what_happened")),
            sorted(CategoryRestriction.objects.filter(member__timebank=timebank_a).values_list("pk", "reason")),
            sorted(
                Category.objects.filter(timebank=timebank_a).values_list(
                    "pk", "name", "slug", "needs_dbs_check", "needs_references", "is_active", "position"
                )
            ),
        ),
        "timebank": Timebank.objects.filter(pk=timebank_a.pk).values().get(),
        "coordinators": sorted(timebank_a.coordinators.values_list("pk", flat=True)),
        "timebanks": Timebank.objects.count(),
        "referral": (referral.status, referral.business_status, referral.status_reason),
        "referral_history": ReferralHistory.objects.filter(referral=referral).count(),
        "outcomes": Outcome.objects.filter(referral=referral).count(),
        "consent": (referral.consent.given, referral.consent.withdrawn_at, sorted(referral.consent.scopes)),
        "webhooks": WebhookSubscription.objects.filter(pk=world["webhook"].pk).count(),
        "users": sorted(User.objects.filter(member__timebank=timebank_a).values_list("pk", "username", "email")),
    }


def a_identifiers(world) -> list[str]:
    """Strings that only A's rows would put in a response."""
    return [
        str(world["listing"].public_id),
        str(world["exchange"].public_id),
        str(world["referral"].pk),
        str(world["alice"].public_id),
        str(world["bob"].public_id),
        str(world["transfer"].public_id),
        "Alice Oxford",
        "Bob Oxford",
        "Oxford weeding",
        "Oxford thanks",
        "Oxford punting",
        world["referral"].given_name,
        world["referral"].family_name,
    ]


CALLERS = ["coordinator_b", "member_b", "applicant_b"]


def session(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def _value(world, key):
    obj = world[key]
    return getattr(obj, "public_id", None) or obj.pk


# --- Coverage: the matrix must name every route -------------------------------------------------------


def test_every_api_route_with_an_argument_is_in_the_matrix():
    routes = set(api_routes_with_arguments())
    missing = routes - set(API_MATRIX) - set(API_EXCLUDED)
    assert not missing, (
        f"Add these API routes to the tenancy matrix (or API_EXCLUDED, with a reason): {sorted(missing)}"
    )
    assert not (set(API_MATRIX) | set(API_EXCLUDED)) - routes, "The matrix names API routes that no longer exist"


def test_every_admin_model_is_timebank_data_or_shared():
    registered = {model._meta.label_lower for model in django_admin.site._registry}
    undecided = {label for label in registered - set(TIMEBANK_DATA_MODELS) if not _shared(label)}
    assert not undecided, (
        f"Say whether these admin models hold a timebank's data (TIMEBANK_DATA_MODELS, and scope their "
        f"ModelAdmin: timebank.admin.TimebankScopedAdmin) or are shared (SHARED_ADMIN_MODELS): {sorted(undecided)}"
    )
    assert not (set(TIMEBANK_DATA_MODELS) | set(SHARED_ADMIN_MODELS)) - registered


def test_every_admin_route_of_timebank_data_is_in_the_matrix():
    matrix = admin_matrix()
    models_by_path = {
        (model._meta.app_label, model._meta.model_name): model._meta.label_lower
        for model in django_admin.site._registry
    }
    missing = []
    for key, route in admin_routes_with_arguments().items():
        match = ADMIN_MODEL_ROUTE.match(route)
        label = models_by_path.get((match["app"], match["model"])) if match else None
        if _shared(label) or key in ADMIN_ROUTES_EXCLUDED:
            continue
        if key not in matrix:
            missing.append(key)
    assert not missing, f"Add these admin routes to the tenancy matrix (or an exclusion, with a reason): {missing}"
    assert not set(matrix) - set(admin_routes_with_arguments()), "The matrix names admin routes that no longer exist"


# --- The API ---------------------------------------------------------------------------------------


def _methods(url: str) -> list[str]:
    view_class = resolve(url).func.view_class
    return [method for method in ("get", "post", "put", "patch", "delete") if hasattr(view_class, method)]


@pytest.mark.django_db
@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route_name", sorted(API_MATRIX))
def test_b_gets_404_for_every_api_object_of_a_and_changes_nothing(world, caller, route_name):
    kwargs_keys, bodies = API_MATRIX[route_name]
    url = reverse(route_name, kwargs={name: _value(world, key) for name, key in kwargs_keys.items()})
    before = snapshot(world)
    api = session(world[caller])

    for method in _methods(url):
        response = getattr(api, method)(url, bodies.get(method, {}), format="json")
        assert response.status_code in (403, 404), (method, url, response.status_code, response.content[:300])
        for text in a_identifiers(world):
            assert text not in response.content.decode(), (method, url, text)

    assert snapshot(world) == before


@pytest.mark.django_db
@pytest.mark.parametrize("caller", CALLERS)
def test_b_sees_none_of_as_rows_in_any_api_list(world, caller):
    api = session(world[caller])
    checked = []
    for key, route in sorted(api_list_routes().items()):
        if key in API_LISTS_EXCLUDED:
            continue
        view_class = resolve("/" + route).func.view_class
        if not hasattr(view_class, "get"):
            continue
        response = api.get("/" + route)
        assert response.status_code in (200, 403), (route, response.status_code)
        body = response.content.decode()
        for text in a_identifiers(world):
            assert text not in body, (route, text)
        checked.append(key)
    assert {"api:listing-list", "api:exchange-list", "api:referral-list", "api:me-statement"} <= set(checked)


@pytest.mark.django_db
def test_bs_lists_show_bs_own_rows_and_the_coordinator_of_a_sees_as(world):
    """The matrix is not vacuous: the same calls find the rows their owners may see."""
    coordinator_b = session(world["coordinator_b"])
    assert coordinator_b.get("/api/v1/referrals/").json()["count"] == 0
    bea = session(world["member_b"])
    listing_b = world["listing_b"]
    assert [row["id"] for row in bea.get("/api/v1/listings/").json()["results"]] == [str(listing_b.public_id)]

    coordinator_a = session(world["coordinator_a"])
    referral_id = str(world["referral"].pk)
    assert [row["id"] for row in coordinator_a.get("/api/v1/referrals/").json()["results"]] == [referral_id]
    assert coordinator_a.get(f"/api/v1/referrals/{referral_id}/").status_code == 200
    suggestions = f"/api/v1/listings/{world['listing'].public_id}/suggestions/"
    assert coordinator_a.get(suggestions).status_code == 200
    assert coordinator_b.get(suggestions).status_code == 404


@pytest.mark.django_db
def test_an_applicant_sees_no_other_members_listings_and_cannot_answer_them(world):
    applicant = session(world["applicant_b"])
    assert applicant.get("/api/v1/listings/").json()["count"] == 0
    response = applicant.post("/api/v1/exchanges/", {"listing": str(world["listing_b"].public_id)}, format="json")
    assert response.status_code == 400 and "listing" in response.json()["error"]["fields"]
    assert not Exchange.objects.filter(listing=world["listing_b"]).exists()


@pytest.mark.django_db
def test_b_cannot_answer_as_listing_through_the_api(world):
    before = snapshot(world)
    response = session(world["member_b"]).post(
        "/api/v1/exchanges/", {"listing": str(world["listing"].public_id)}, format="json"
    )
    assert response.status_code == 400 and "listing" in response.json()["error"]["fields"]
    assert snapshot(world) == before


# --- Referrals: pages and the access log --------------------------------------------------------------


@pytest.mark.django_db
def test_bs_coordinator_cannot_read_or_move_as_referral_on_the_pages_and_each_attempt_is_logged(client, world):
    referral = world["referral"]
    before = snapshot(world)
    client.force_login(world["coordinator_b"])
    refused = ReferralAccessLog.objects.filter(
        referral_id=referral.pk, user=world["coordinator_b"], outcome=AccessOutcome.REFUSED
    )

    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 404
    assert client.post(reverse("referrals:detail", args=[referral.pk]), {"to": "accepted"}).status_code == 404
    incoming = client.get(reverse("referrals:incoming"))
    assert incoming.status_code == 200
    assert referral.given_name not in incoming.content.decode()
    assert refused.count() == 2

    api = session(world["coordinator_b"])
    assert api.get(f"/api/v1/referrals/{referral.pk}/").status_code == 404
    assert (
        api.post(f"/api/v1/referrals/{referral.pk}/transition/", {"to": "accepted"}, format="json").status_code == 404
    )
    assert refused.count() == 4
    assert snapshot(world) == before


@pytest.mark.django_db
def test_as_coordinator_still_reads_and_accepts_the_referral(client, world):
    referral = world["referral"]
    client.force_login(world["coordinator_a"])
    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 200
    response = session(world["coordinator_a"]).post(
        f"/api/v1/referrals/{referral.pk}/transition/", {"to": "accepted"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert Referral.objects.get(pk=referral.pk).status == "accepted"


# --- The admin ----------------------------------------------------------------------------------------


def _admin_url(key: str, obj) -> str:
    if key.startswith("admin:"):
        return reverse(key, args=[obj.pk])
    return "/" + key.replace("<path:object_id>", str(obj.pk))


@pytest.mark.django_db
@pytest.mark.parametrize("route_key", sorted(admin_matrix()))
def test_bs_staff_coordinator_gets_404_for_every_admin_page_of_as_objects(client, world, route_key):
    obj = world[TIMEBANK_DATA_MODELS[admin_matrix()[route_key]]]
    url = _admin_url(route_key, obj)
    before = snapshot(world)
    login_with_second_step(client, world["coordinator_b"])

    # (follow: the old "<id>/" URL redirects to the change page before anything is read)
    response = client.get(url, follow=True)
    assert response.status_code in (403, 404), (url, response.status_code, response.redirect_chain)
    if route_key.startswith("admin:"):
        # A change or delete sent anyway: the same answer, and nothing changed.
        response = client.post(url, {"post": "yes", "display_name": "Hacked", "name": "Hacked", "title": "Hacked"})
        assert response.status_code in (403, 404), (url, response.status_code)
    assert snapshot(world) == before


@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(TIMEBANK_DATA_MODELS))
def test_bs_staff_coordinator_sees_none_of_as_rows_in_any_admin_changelist(client, world, label):
    app, model = label.split(".")
    login_with_second_step(client, world["coordinator_b"])
    response = client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert response.status_code == 200, label
    a_object = world[TIMEBANK_DATA_MODELS[label]]
    shown = {row.pk for row in response.context["cl"].result_list}
    assert a_object.pk not in shown
    model_class = type(a_object)
    a_rows = set(_rows_of_timebank(model_class, world["timebank_a"]).values_list("pk", flat=True))
    assert not shown & a_rows, label


def _rows_of_timebank(model, timebank):
    from timebank.admin import TIMEBANK_FIELD_OF

    paths = {
        **TIMEBANK_FIELD_OF,
        ExchangeHistory: "exchange__timebank",
        Entry: "account__timebank",
        SafeguardingCheck: "member__timebank",
        Incident: "member__timebank",
        CategoryRestriction: "member__timebank",
        User: "member__timebank",
    }
    if model is ReferralAccessLog:
        return model.objects.filter(referral_id__in=Referral.objects.filter(target_timebank=timebank).values("pk"))
    return model.objects.filter(**{paths[model]: timebank.pk})


@pytest.mark.django_db
def test_the_admin_lists_bs_own_rows_to_bs_coordinator(client, world):
    login_with_second_step(client, world["coordinator_b"])
    members = client.get(reverse("admin:timebank_member_changelist")).context["cl"].result_list
    assert {m.timebank_id for m in members} == {world["timebank_b"].pk} and len(members) == 3
    timebanks = client.get(reverse("admin:timebank_timebank_changelist")).context["cl"].result_list
    assert [t.pk for t in timebanks] == [world["timebank_b"].pk]


@pytest.mark.django_db
def test_admin_choices_and_autocomplete_offer_only_bs_rows(client, world):
    login_with_second_step(client, world["coordinator_b"])
    autocomplete = client.get(
        "/admin/autocomplete/",
        {"app_label": "timebank", "model_name": "listing", "field_name": "member", "term": ""},
    )
    assert autocomplete.status_code == 200
    assert "Oxford" not in autocomplete.content.decode() and "Caversham" in autocomplete.content.decode()

    listings_before = Listing.objects.count()
    response = client.post(
        reverse("admin:timebank_listing_add"),
        {
            "timebank": world["timebank_a"].pk,
            "member": world["alice"].pk,
            "kind": "offer",
            "category": category("gardening").pk,
            "title": "Planted in Oxford",
            "description": "x",
            "where": "home",
            "status": "open",
            "expires_on": (timezone.localdate() + datetime.timedelta(30)).isoformat(),
        },
    )
    assert response.status_code == 200  # the form again, with errors
    assert {"timebank", "member"} <= set(response.context["adminform"].form.errors)
    assert Listing.objects.count() == listings_before

    checks_before = SafeguardingCheck.objects.count()
    response = client.post(
        reverse("admin:timebank_safeguardingcheck_add"),
        {"member": world["alice"].pk, "kind": "dbs", "checked_on": timezone.localdate().isoformat()},
    )
    assert "member" in response.context["adminform"].form.errors
    assert SafeguardingCheck.objects.count() == checks_before


@pytest.mark.django_db
def test_a_coordinator_edits_only_their_own_timebanks_settings_and_not_who_coordinates_it(client, world):
    timebank_b = world["timebank_b"]
    login_with_second_step(client, world["coordinator_b"])
    assert client.get(reverse("admin:timebank_timebank_add")).status_code == 403
    page = client.get(reverse("admin:timebank_timebank_change", args=[timebank_b.pk]))
    assert page.status_code == 200
    assert "coordinators" not in page.context["adminform"].form.fields

    response = client.post(
        reverse("admin:timebank_timebank_change", args=[timebank_b.pk]),
        {
            "name": "Caversham Timebank",
            "slug": "caversham",
            "default_min_balance": -300,
            "auto_confirm_days": 7,
            "max_open_exchanges_per_member": 5,
            "request_wait_alert_days": 14,
            "coordinators": [world["coordinator_b"].pk, world["alice_user"].pk],
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    timebank_b.refresh_from_db()
    assert (timebank_b.name, timebank_b.default_min_balance) == ("Caversham Timebank", -300)
    assert list(timebank_b.coordinators.values_list("pk", flat=True)) == [world["coordinator_b"].pk]


@pytest.mark.django_db
def test_a_network_admin_sees_every_timebank_and_only_a_network_admin_adds_one(client, world):
    # An administrator who is also in the coordinator group (for its admin permissions),
    # listed as coordinating no timebank at all.
    admin_user = UserFactory(username="network-admin", is_staff=True, roles=[Role.ADMIN, Role.COORDINATOR])
    admin_user.coordinated_timebanks.clear()
    login_with_second_step(client, admin_user)
    timebanks = client.get(reverse("admin:timebank_timebank_changelist")).context["cl"].result_list
    assert {t.pk for t in timebanks} >= {world["timebank_a"].pk, world["timebank_b"].pk}
    assert client.get(reverse("admin:timebank_member_change", args=[world["alice"].pk])).status_code == 200
    page = client.get(reverse("admin:timebank_timebank_change", args=[world["timebank_a"].pk]))
    assert "coordinators" in page.context["adminform"].form.fields

    login_with_second_step(client, UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:timebank_timebank_add")).status_code == 200
