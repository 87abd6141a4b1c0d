"""docs/quality.md A1: the cross-organisation matrix, built from the URL resolver.

Every route under /api/ and /fhir/ must be listed below, either as PUBLIC, as SHARED
(the same for every authenticated caller, owning no organisation's data), or
in OWNED with a check that an outsider gets 404 on the owner's objects and 0
of the owner's rows in lists. A new endpoint fails `test_every_api_route_is_covered`
until someone decides which it is and writes its check.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from referrals.models import Outcome, Referral, ReferralHistory, WebhookSubscription
from tests.factories import ListingFactory, MemberFactory, dbs_checked
from timebank.models import Exchange, Listing

PUBLIC = {"api:schema", "api:docs", "api:redoc", "fhir:metadata"}
SHARED = {
    "api:service-list",
    "api:service-detail",
    "api:category-list",
    "fhir:healthcareservice-search",
    "fhir:healthcareservice-read",
    "fhir:organization-read",
}


def api_routes() -> dict[str, str]:
    """{route name: pattern} for every URL under api/ and fhir/."""
    found: dict[str, str] = {}

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                ns = ":".join(filter(None, [namespace, entry.namespace]))
                walk(entry.url_patterns, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                if route.startswith(("api/", "fhir/")):
                    name = ":".join(filter(None, [namespace, entry.name])) or route
                    found[name] = route

    walk(get_resolver().url_patterns, "", "")
    return found


# --- Checks: owner is org A (the surgery, and greenfingers receiving); outsider is org B -------


@pytest.fixture
def world(surgery, greenfingers, other_practice, make_referral):
    referral_id = make_referral()["id"]
    webhook = WebhookSubscription.objects.create(
        organisation=surgery.organisation, url="https://hooks.example.org/a", secret="s"
    )
    alice, mallory = MemberFactory(display_name="Alice"), MemberFactory(display_name="Mallory")
    listing = ListingFactory(member=alice, kind="request")
    exchange_helper = MemberFactory(display_name="Helper")
    dbs_checked(exchange_helper)  # the request is for help at home (the safeguarding rule)
    return {
        "referral_id": referral_id,
        "webhook": webhook,
        "alice": alice,
        "mallory": mallory,
        "listing": listing,
        "helper": exchange_helper,
        "outsider": other_practice,
    }


def _member_api(member) -> APIClient:
    api = APIClient()
    api.force_login(member.user)
    return api


def _assert_referral_unchanged(world):
    referral = Referral.objects.get(pk=world["referral_id"])
    assert referral.status == "requested"
    assert ReferralHistory.objects.filter(referral=referral).count() == 1
    assert not Outcome.objects.filter(referral=referral).exists()


def check_referral_list(world, route):
    assert world["outsider"].api.get("/api/v1/referrals/").json()["count"] == 0


def check_referral_detail(world, route):
    assert world["outsider"].api.get(f"/api/v1/referrals/{world['referral_id']}/").status_code == 404


def _post_referral_action(action, body):
    def check(world, route):
        response = world["outsider"].api.post(
            f"/api/v1/referrals/{world['referral_id']}/{action}/", body, format="json"
        )
        assert response.status_code == 404, response.json()
        _assert_referral_unchanged(world)

    return check


def check_gp_record_event_list(world, route):
    assert world["outsider"].api.get("/api/v1/gp-record-events/").json()["results"] == []


def _fhir_read(kind):
    def check(world, route):
        response = world["outsider"].api.get(f"/fhir/R4/{kind}/{world['referral_id']}")
        assert response.status_code == 404
        assert response.json()["resourceType"] == "OperationOutcome"

    return check


def _fhir_search(kind):
    def check(world, route):
        assert world["outsider"].api.get(f"/fhir/R4/{kind}").json()["total"] == 0

    return check


def check_fhir_transaction(world, route):
    """An outsider sending the owner's identifier makes its own referral, never gets the owner's."""
    referral = Referral.objects.get(pk=world["referral_id"])
    Referral.objects.filter(pk=referral.pk).update(external_id_system="https://gp.example.org", external_id="R1")
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": {
                    "resourceType": "ServiceRequest",
                    "status": "active",
                    "intent": "order",
                    "subject": {"display": "x"},
                    "identifier": [{"system": "https://gp.example.org", "value": "R1"}],
                }
            }
        ],
    }
    response = world["outsider"].api.post("/fhir/R4/", bundle, format="json")
    assert response.status_code == 400
    assert str(referral.pk) not in response.content.decode()
    _assert_referral_unchanged(world)


def check_webhook_list(world, route):
    assert world["outsider"].api.get("/api/v1/webhooks/").json()["count"] == 0


def check_webhook_detail(world, route):
    assert world["outsider"].api.delete(f"/api/v1/webhooks/{world['webhook'].pk}/").status_code == 404
    assert WebhookSubscription.objects.filter(pk=world["webhook"].pk).exists()


def check_me(world, route):
    body = _member_api(world["mallory"]).get("/api/v1/me/").json()
    assert body["id"] == str(world["mallory"].public_id)


def check_statement(world, route):
    from timebank import ledger

    ledger.gift(giver=world["helper"], receiver=world["alice"], minutes=30, note="Thanks")
    assert len(_member_api(world["alice"]).get("/api/v1/me/statement/").json()["results"]) == 1
    assert _member_api(world["mallory"]).get("/api/v1/me/statement/").json()["results"] == []


def check_listing_list(world, route):
    assert _member_api(world["mallory"]).get("/api/v1/listings/").json()["count"] == 0


def check_listing_detail(world, route):
    listing = world["listing"]
    response = _member_api(world["mallory"]).patch(
        f"/api/v1/listings/{listing.public_id}/", {"title": "Mine"}, format="json"
    )
    assert response.status_code == 404
    assert Listing.objects.get(pk=listing.pk).title == listing.title


def check_listing_close(world, route):
    listing = world["listing"]
    assert _member_api(world["mallory"]).post(f"/api/v1/listings/{listing.public_id}/close/").status_code == 404
    assert Listing.objects.get(pk=listing.pk).status == "open"


def check_listing_suggestions(world, route):
    response = _member_api(world["mallory"]).get(f"/api/v1/listings/{world['listing'].public_id}/suggestions/")
    assert response.status_code in (403, 404)
    assert world["outsider"].api.get(f"/api/v1/listings/{world['listing'].public_id}/suggestions/").status_code in (
        403,
        404,
    )


def _exchange(world) -> Exchange:
    from timebank.services.exchanges import exchange_propose_from_listing

    return exchange_propose_from_listing(listing=world["listing"], member=world["helper"], by_user=world["helper"].user)


def check_exchange_list(world, route):
    _exchange(world)
    assert _member_api(world["mallory"]).get("/api/v1/exchanges/").json()["count"] == 0


def _exchange_action(action, body):
    def check(world, route):
        exchange = _exchange(world)
        response = _member_api(world["mallory"]).post(
            f"/api/v1/exchanges/{exchange.public_id}/{action}/", body, format="json"
        )
        assert response.status_code == 404
        assert Exchange.objects.get(pk=exchange.pk).status == "proposed"

    return check


OWNED = {
    "api:referral-list": check_referral_list,
    "api:referral-detail": check_referral_detail,
    "api:referral-transition": _post_referral_action("transition", {"to": "accepted"}),
    "api:referral-outcomes": _post_referral_action(
        "outcomes",
        {
            "instrument": "ons4",
            "stage": "baseline",
            "answers": {"life_satisfaction": 1, "worthwhile": 1, "happiness": 1, "anxiety": 1},
        },
    ),
    "api:referral-consent": _post_referral_action(
        "consent",
        {
            "given": False,
            "scopes": ["codes-only"],
            "method": "verbal",
            "recorded_by": "x",
            "recorded_at": "2026-01-01T00:00:00Z",
        },
    ),
    "api:gp-record-event-list": check_gp_record_event_list,
    "fhir:base": check_fhir_transaction,
    "fhir:task-read": _fhir_read("Task"),
    "fhir:task-search": _fhir_search("Task"),
    "fhir:servicerequest-read": _fhir_read("ServiceRequest"),
    "fhir:servicerequest-search": _fhir_search("ServiceRequest"),
    "fhir:patient-read": _fhir_read("Patient"),
    "api:webhook-list": check_webhook_list,
    "api:webhook-detail": check_webhook_detail,
    "api:me": check_me,
    "api:me-statement": check_statement,
    "api:listing-list": check_listing_list,
    "api:listing-detail": check_listing_detail,
    "api:listing-close": check_listing_close,
    "listing-suggestions": check_listing_suggestions,
    "api:exchange-list": check_exchange_list,
    **{
        f"api:exchange-{action}": _exchange_action(action, {"minutes": 30} if action == "record" else {"note": "x"})
        for action in ("accept", "decline", "record", "confirm", "dispute", "cancel")
    },
}


def test_every_api_route_is_covered():
    routes = set(api_routes())
    uncovered = routes - PUBLIC - SHARED - set(OWNED)
    assert not uncovered, f"Add these API routes to the A1 matrix: {sorted(uncovered)}"
    assert not (set(OWNED) - routes), "The matrix names routes that no longer exist"


@pytest.mark.django_db
@pytest.mark.parametrize("route_name", sorted(OWNED))
def test_an_outsider_sees_none_of_another_organisations_or_members_objects(world, route_name):
    OWNED[route_name](world, api_routes().get(route_name))
