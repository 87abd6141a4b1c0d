"""Idempotency-Key (docs/quality.md L8): replays, mismatches, in-flight retries, and
20 concurrent identical POSTs that make exactly one referral."""

import pytest

from api.models import IdempotencyKey, IdempotencyState
from referrals.models import Referral
from tests.api.conftest import at_once

KEY = "3f0c9d1e-6b1a-4c51-9a43-0d6f1e2b7a11"


@pytest.mark.django_db
def test_a_retry_with_the_same_key_returns_the_first_answer_and_makes_nothing_new(surgery, referral_body):
    first = surgery.api.post("/api/v1/referrals/", referral_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    again = surgery.api.post("/api/v1/referrals/", referral_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Referral.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_a_different_body_is_a_422(surgery, referral_body):
    surgery.api.post("/api/v1/referrals/", referral_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    response = surgery.api.post(
        "/api/v1/referrals/", referral_body(priority="urgent"), format="json", HTTP_IDEMPOTENCY_KEY=KEY
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Referral.objects.count() == 1


@pytest.mark.django_db
def test_a_retry_while_the_first_is_still_running_is_a_409(surgery, referral_body):
    first = surgery.api.post("/api/v1/referrals/", referral_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert first.status_code == 201
    # As the row stands while the first request is still being handled.
    IdempotencyKey.objects.filter(key=KEY).update(state=IdempotencyState.IN_PROGRESS, response_body=None)
    retry = surgery.api.post("/api/v1/referrals/", referral_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert retry.status_code == 409
    assert retry.json()["error"]["code"] == "idempotency_key_in_use"
    assert Referral.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_scoped_per_client(surgery, other_practice, referral_body):
    a = surgery.api.post("/api/v1/referrals/", referral_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    b = other_practice.api.post("/api/v1/referrals/", referral_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


@pytest.mark.django_db
def test_a_malformed_key_is_refused(surgery, referral_body):
    response = surgery.api.post("/api/v1/referrals/", referral_body(), format="json", HTTP_IDEMPOTENCY_KEY="x" * 256)
    assert response.status_code == 400
    assert not Referral.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_identical_posts_make_exactly_one_referral(surgery, referral_body):
    body = referral_body()

    def post(_):
        return surgery.new_api().post("/api/v1/referrals/", body, format="json", HTTP_IDEMPOTENCY_KEY=KEY).status_code

    statuses = at_once(20, post)
    assert Referral.objects.count() == 1
    assert len(statuses) == 20
    assert set(statuses) <= {201, 409}
    assert 201 in statuses


@pytest.mark.django_db
def test_keys_are_kept_a_day_and_purged_after_the_retention_period(surgery, referral_body, settings):
    import datetime
    import io

    from django.core.management import call_command
    from django.utils import timezone

    surgery.api.post("/api/v1/referrals/", referral_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    IdempotencyKey.objects.create(owner="client:0", key="old", request_hash="x")
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - datetime.timedelta(hours=settings.API_IDEMPOTENCY_KEY_HOURS + 1)
    )
    assert settings.API_IDEMPOTENCY_KEY_HOURS >= 24
    call_command("purge_idempotency_keys", stdout=io.StringIO())
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == [KEY]
