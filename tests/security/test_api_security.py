"""Issue 12, API edges: an Idempotency-Key left behind by a dead worker, request
bodies that are too big or nested too deep, and token introspection."""

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone

from api import idempotency
from api.models import IdempotencyKey, IdempotencyState
from referrals.models import Referral
from tests.api import conftest as api_fixtures
from tests.api.conftest import at_once

# The API's fixed cast (tests/api/conftest.py), for this folder's tests too.
fresh_cache = api_fixtures.fresh_cache
garden_service = api_fixtures.garden_service
greenfingers = api_fixtures.greenfingers
other_practice = api_fixtures.other_practice
referral_body = api_fixtures.referral_body
surgery = api_fixtures.surgery

KEY = "7d4a2b9e-1c3f-4e8a-b5d6-0f9e8d7c6b5a"


def _claim_left_by_a_dead_worker(party, body, *, age_seconds):
    """The row a request leaves when its worker is killed mid-request: claimed,
    in progress, nothing created."""
    party.api.post("/api/v1/referrals/", body, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    Referral.objects.all().delete()
    IdempotencyKey.objects.filter(key=KEY).update(
        state=IdempotencyState.IN_PROGRESS,
        response_status=None,
        response_body=None,
        created_at=timezone.now() - datetime.timedelta(seconds=age_seconds),
    )


# --- 1. Idempotency-Key lease ------------------------------------------------


@pytest.mark.django_db
def test_a_retry_after_a_dead_worker_lease_is_served_and_makes_exactly_one_referral(surgery, referral_body, settings):
    body = referral_body()
    _claim_left_by_a_dead_worker(surgery, body, age_seconds=settings.API_IDEMPOTENCY_LEASE_SECONDS + 1)
    assert not Referral.objects.exists()

    retry = surgery.api.post("/api/v1/referrals/", body, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    again = surgery.api.post("/api/v1/referrals/", body, format="json", HTTP_IDEMPOTENCY_KEY=KEY)

    assert retry.status_code == 201, retry.json()
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == retry.json()["id"]
    assert Referral.objects.count() == 1
    assert IdempotencyKey.objects.get(key=KEY).state == IdempotencyState.DONE


@pytest.mark.django_db
def test_a_retry_within_the_lease_is_a_409_with_retry_after(surgery, referral_body, settings):
    body = referral_body()
    _claim_left_by_a_dead_worker(surgery, body, age_seconds=1)

    retry = surgery.api.post("/api/v1/referrals/", body, format="json", HTTP_IDEMPOTENCY_KEY=KEY)

    assert retry.status_code == 409
    assert retry.json()["error"]["code"] == "idempotency_key_in_use"
    assert 1 <= int(retry["Retry-After"]) <= settings.API_IDEMPOTENCY_LEASE_SECONDS
    assert not Referral.objects.exists()


def test_the_lease_outlasts_the_gunicorn_worker_timeout(settings):
    import runpy

    from django.conf import settings as django_settings

    gunicorn = runpy.run_path(str(django_settings.BASE_DIR / "gunicorn.conf.py"))
    # By then gunicorn has killed the worker that took the claim.
    assert gunicorn["timeout"] < settings.API_IDEMPOTENCY_LEASE_SECONDS


@pytest.mark.django_db
def test_a_request_that_lost_its_claim_does_not_store_its_answer_over_the_new_one(surgery, referral_body, settings):
    body = referral_body()
    _claim_left_by_a_dead_worker(surgery, body, age_seconds=settings.API_IDEMPOTENCY_LEASE_SECONDS + 1)
    slow = IdempotencyKey.objects.get(key=KEY)
    assert idempotency.claim_take_over(record=IdempotencyKey.objects.get(key=KEY))

    # The slow first request, still alive after all, finishes late.
    late = type("Answer", (), {"status_code": 201, "data": {"id": "late"}})()
    assert idempotency.finish(slow, late) is False
    row = IdempotencyKey.objects.get(key=KEY)
    assert row.state == IdempotencyState.IN_PROGRESS and row.response_body is None


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_takeovers_of_a_dead_claim_have_one_winner(surgery, referral_body, settings):
    body = referral_body()
    _claim_left_by_a_dead_worker(surgery, body, age_seconds=settings.API_IDEMPOTENCY_LEASE_SECONDS + 60)
    stale_at = IdempotencyKey.objects.get(key=KEY).created_at

    # Each retry has read the stale claim before any of them tries to take it.
    won = at_once(
        8, lambda seen: idempotency.claim_take_over(record=seen), before=lambda: IdempotencyKey.objects.get(key=KEY)
    )
    assert sorted(won) == [False] * 7 + [True]
    assert IdempotencyKey.objects.get(key=KEY).created_at > stale_at


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_after_a_dead_worker_make_exactly_one_referral(surgery, referral_body, settings):
    body = referral_body()
    _claim_left_by_a_dead_worker(surgery, body, age_seconds=settings.API_IDEMPOTENCY_LEASE_SECONDS + 60)

    def post(_):
        return surgery.new_api().post("/api/v1/referrals/", body, format="json", HTTP_IDEMPOTENCY_KEY=KEY).status_code

    statuses = at_once(10, post)
    assert Referral.objects.count() == 1
    assert sorted(set(statuses)) in ([201], [201, 409])


# --- 3. Bodies too big or too deep, and token introspection -----------------


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.django_db
def test_a_body_over_one_mebibyte_is_a_413_in_the_api_error_shape(surgery, referral_body):
    body = referral_body(notes="x" * (1024 * 1024 + 10))
    for key in (None, KEY):
        extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        response = surgery.api.post("/api/v1/referrals/", body, format="json", **extra)
        assert response.status_code == 413
        error = response.json()["error"]
        assert error["code"] == "too_large" and "1 MB" in error["message"]
    assert not Referral.objects.exists()
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_a_body_over_one_mebibyte_to_the_feed_is_a_413_in_json(client):
    response = client.generic("POST", "/openreferral/services", "x" * (1024 * 1024 + 10), "application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


@pytest.mark.django_db
def test_a_form_over_one_mebibyte_gets_a_413_page(client):
    response = client.post("/join/", {"display_name": "x" * (1024 * 1024 + 10)})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert b"too large" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("key", [None, KEY])
@pytest.mark.parametrize("depth", [65, 1000, 100_000])
def test_json_nested_too_deep_is_a_400_with_a_message(surgery, referral_body, depth, key):
    body = json.dumps(referral_body())[:-1] + ', "deep": ' + _nested(depth) + "}"
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    response = surgery.api.generic("POST", "/api/v1/referrals/", body, "application/json", **extra)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "parse_error" and "64" in error["message"]
    assert not Referral.objects.exists()


@pytest.mark.django_db
def test_json_nested_within_the_limit_is_still_read(surgery, referral_body):
    body = json.dumps(referral_body())[:-1] + ', "deep": ' + _nested(60) + "}"
    response = surgery.api.generic("POST", "/api/v1/referrals/", body, "application/json")
    # Read and checked field by field: the unknown field is named, the body was not refused whole.
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"deep": ["This field is not accepted."]}


@pytest.mark.django_db
def test_a_client_cannot_introspect_another_clients_token(surgery, other_practice):
    import base64

    basic = base64.b64encode(f"{other_practice.client_id}:{other_practice.secret}".encode()).decode()
    response = Client().post("/o/introspect/", {"token": surgery.token}, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 404
    assert b"active" not in response.content
