"""The API's foundation: who may call, tokens, scopes, one error shape,
pagination, throttles, health, and making API clients."""

import base64
import datetime
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from api.models import ApiClient
from api.throttles import ClientScopedThrottle
from assets.models import Organisation
from tests.api.conftest import Party, token_for

pytestmark = pytest.mark.django_db


def test_every_api_operation_needs_credentials_and_says_so_in_json(garden_service):
    anonymous = APIClient()
    for url in ("/api/v1/referrals/", "/api/v1/services/?near=RG1", "/api/v1/me/", "/api/v1/webhooks/"):
        response = anonymous.get(url)
        assert response.status_code == 401, url
        assert response.json()["error"]["code"] == "not_authenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")
    assert bad.get("/api/v1/referrals/").status_code == 401


def test_a_token_in_the_query_string_is_refused(surgery):
    response = APIClient().get(f"/api/v1/referrals/?access_token={surgery.token}")
    assert response.status_code == 401
    assert "Authorization header" in response.json()["error"]["message"]


def test_client_credentials_tokens_live_at_most_ten_minutes(surgery):
    token = AccessToken.objects.get(application=surgery.client_row.application)
    assert token.expires - timezone.now() <= datetime.timedelta(seconds=600)
    AccessToken.objects.filter(pk=token.pk).update(expires=timezone.now() - datetime.timedelta(seconds=1))
    assert surgery.api.get("/api/v1/referrals/").status_code == 401


def test_a_client_gets_only_its_own_scopes_and_is_refused_outside_them(db, garden_service):
    reader = Party("Directory Reader", "voluntary", scopes=["directory:read"])
    assert reader.api.get("/api/v1/services/?near=RG1").status_code == 200
    assert reader.api.get("/api/v1/referrals/").status_code == 403
    basic = base64.b64encode(f"{reader.client_id}:{reader.secret}".encode()).decode()
    response = Client().post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "referrals:write"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code in (400, 401)
    read_only = Party("Read Only Practice", "gp-practice", scopes=["referrals:read"])
    refused = read_only.api.post("/api/v1/referrals/", {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_allowed"


def test_create_api_client_attaches_to_an_organisation_and_prints_the_secret_once():
    out = io.StringIO()
    call_command(
        "create_api_client",
        "--organisation",
        "Whitley PCN",
        "--scopes",
        "referrals:read",
        "referrals:write",
        stdout=out,
    )
    lines = dict(line.split(": ", 1) for line in out.getvalue().splitlines() if ": " in line)
    organisation = Organisation.objects.get(name="Whitley PCN")
    client = ApiClient.objects.get(organisation=organisation)
    assert client.application.client_id == lines["client_id"]
    assert client.application.client_secret != lines["client_secret"]  # only a hash is stored
    assert token_for(lines["client_id"], lines["client_secret"])
    call_command(
        "create_api_client", "--organisation", "whitley pcn", "--scopes", "directory:read", stdout=io.StringIO()
    )
    assert Organisation.objects.filter(name__iexact="Whitley PCN").count() == 1
    assert ApiClient.objects.filter(organisation=organisation).count() == 2


def test_pages_are_capped_at_one_hundred(surgery):
    body = surgery.api.get("/api/v1/categories/?page_size=1000").json()
    assert len(body["results"]) <= 100
    assert set(body) == {"count", "next", "previous", "results"}


def test_bad_json_and_overlong_strings_give_the_one_error_shape(surgery, referral_body):
    response = surgery.api.generic("POST", "/api/v1/referrals/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    body = referral_body()
    body["what_matters"] = "x" * 2001
    response = surgery.api.post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 400
    assert "what_matters" in response.json()["error"]["fields"]


def test_throttles_answer_429_with_retry_after(surgery, monkeypatch):
    monkeypatch.setattr(
        ClientScopedThrottle, "THROTTLE_RATES", {**ClientScopedThrottle.THROTTLE_RATES, "referrals-read": "3/min"}
    )
    statuses = [surgery.api.get("/api/v1/referrals/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = surgery.api.get("/api/v1/referrals/")
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "throttled"


def test_the_throttle_window_slides_and_retry_after_says_when_a_request_will_pass(surgery, monkeypatch):
    monkeypatch.setattr(
        ClientScopedThrottle, "THROTTLE_RATES", {**ClientScopedThrottle.THROTTLE_RATES, "referrals-read": "10/min"}
    )
    clock = [60 * 1_000_000.0]  # the start of a minute
    monkeypatch.setattr(ClientScopedThrottle, "timer", lambda self: clock[0])

    def get():
        return surgery.api.get("/api/v1/referrals/")

    assert [get().status_code for _ in range(10)] == [200] * 10
    refused = get()
    assert refused.status_code == 429
    # The ten requests slide out of the window through the next minute: one more
    # passes once 1/10 of them has, 6 s into the next minute, 66 s from now.
    assert refused["Retry-After"] == "66"
    # Half-way through the next minute, half of the last minute's ten still count.
    clock[0] += 90
    assert [get().status_code for _ in range(6)] == [200, 200, 200, 200, 200, 429]
    # Two minutes on, the slate is clean.
    clock[0] += 120
    assert [get().status_code for _ in range(10)] == [200] * 10


def test_throttle_counts_are_two_numbers_whatever_the_rate(surgery, monkeypatch):
    """DRF's own throttle keeps every request's time; with a high limit that list is
    read and rewritten whole on each request. Here the cache holds one count per window."""
    from django.core.cache import cache

    monkeypatch.setattr(
        ClientScopedThrottle, "THROTTLE_RATES", {**ClientScopedThrottle.THROTTLE_RATES, "referrals-read": "100000/min"}
    )
    monkeypatch.setattr(ClientScopedThrottle, "timer", lambda self: 60 * 1_000_000.0 + 30)
    for _ in range(30):
        assert surgery.api.get("/api/v1/referrals/").status_code == 200
    assert cache.get(f"throttle_referrals-read_client:{surgery.client_row.application_id}:1000000") == 30


def test_two_workers_at_the_last_place_cannot_both_take_it(db, monkeypatch):
    """Another worker counts a request between this one's read and its increment: the
    increment's own answer decides, so only one of the two gets the last place."""
    from types import SimpleNamespace

    from django.core.cache import cache

    from api import throttles
    from core.counters import counter_get

    request = SimpleNamespace(user=None, headers={}, META={"REMOTE_ADDR": "192.0.2.9"})
    view = SimpleNamespace(throttle_scope="referrals-read")
    monkeypatch.setattr(
        ClientScopedThrottle, "THROTTLE_RATES", {**ClientScopedThrottle.THROTTLE_RATES, "referrals-read": "10/min"}
    )
    throttle = ClientScopedThrottle()
    throttle.timer = lambda: 60 * 1_000_000.0 + 10
    for _ in range(9):
        assert throttle.allow_request(request, view)

    def read_then_another_worker_counts(key):
        """The count, with a second worker's request landing just after our read."""
        value = counter_get(key)
        monkeypatch.setattr(throttles, "counter_get", counter_get)  # the other worker reads plainly
        other = ClientScopedThrottle()
        other.timer = lambda: 60 * 1_000_000.0 + 10
        assert other.allow_request(request, view)  # the other worker takes the last place
        return value

    monkeypatch.setattr(throttles, "counter_get", read_then_another_worker_counts)
    assert throttle.allow_request(request, view) is False
    assert throttle.wait() >= 1
    # Ten counted in all: the refused request was taken off again.
    assert cache.get("throttle_referrals-read_addr:192.0.2.9:1000000") == 10


def test_the_daily_referral_cap_per_client(surgery, greenfingers, referral_body, monkeypatch):
    monkeypatch.setattr(
        ClientScopedThrottle, "THROTTLE_RATES", {**ClientScopedThrottle.THROTTLE_RATES, "referrals-daily": "2/day"}
    )
    statuses = [surgery.api.post("/api/v1/referrals/", referral_body(), format="json").status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    # Another client has its own allowance.
    assert greenfingers.api.post("/api/v1/referrals/", referral_body(), format="json").status_code == 201


def test_health_needs_no_database_and_ready_checks_it(django_assert_num_queries):
    client = Client()
    with django_assert_num_queries(0):
        response = client.get("/health/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    ready = client.get("/health/ready/")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_docs_are_served_without_a_cdn():
    client = Client()
    for url in ("/api/docs/", "/api/redoc/"):
        html = client.get(url).content.decode()
        assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html, url
        assert "/static/drf_spectacular_sidecar/" in html


def test_a_busy_database_is_a_503_with_retry_after_not_a_500(surgery, monkeypatch):
    from django.db import OperationalError

    from api.views import referrals

    def busy(*args, **kwargs):
        raise OperationalError("canceling statement due to statement timeout")

    monkeypatch.setattr(referrals.ReferralListCreateView, "get", busy)
    response = surgery.api.get("/api/v1/referrals/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "statement" not in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/referrals/?modified_after=0581-08-05T14:49:45.97-19:56",  # found by schemathesis on PostgreSQL
        "/api/v1/referrals/?modified_after=2026-01-31T09:00:00%2B23:59",
        "/api/v1/referrals/?modified_after=0001-01-01T00:00:00%2B05:00",
        "/openreferral/services?modified_after=2026-01-31T09:00:00-23:00",
        "/openreferral/services?modified_after=0001-01-01T00:00:00%2B05:00",
        "/openreferral/services?modified_after=0001-01-01",
    ],
)
def test_odd_time_zone_offsets_and_edge_years_are_answered_never_a_500(surgery, url):
    response = surgery.api.get(url)
    assert response.status_code in (200, 400), (url, response.status_code)
    if response.status_code == 400:
        assert "modified_after" in response.json()["error"]["fields"]


def test_a_token_of_an_application_without_an_organisation_is_refused(db):
    """Tokens are loaded with their API client (api/oauth.py); an OAuth application
    made outside create_api_client has none, and gets a 401, not a 500."""
    from oauth2_provider.models import Application

    application = Application.objects.create(
        name="Stray",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    AccessToken.objects.create(
        application=application,
        token="stray-token-123",
        scope="directory:read",
        expires=timezone.now() + datetime.timedelta(minutes=5),
    )
    response = Client().get("/api/v1/services/?near=RG1", HTTP_AUTHORIZATION="Bearer stray-token-123")
    assert response.status_code == 401
    assert "not attached to an organisation" in response.json()["error"]["message"]
