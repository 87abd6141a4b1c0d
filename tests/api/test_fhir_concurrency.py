"""Idempotent create through FHIR under concurrency: the same ServiceRequest.identifier
posted at once from several connections makes exactly one referral (the unique
constraint per referrer decides), and every request gets that referral back."""

import pytest

from referrals.models import Referral
from tests.api.conftest import at_once
from tests.api.test_fhir import BASE, fhir_bundle


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_one_identifier_make_one_referral(surgery, garden_service):
    bundle = fhir_bundle(garden_service.pk, identifier="REF-RACE")

    def send(api):
        response = api.post(BASE, bundle, format="json")
        body = response.json()
        return response.status_code, body["entry"][2]["response"]

    results = at_once(6, send, before=surgery.new_api)
    referral = Referral.objects.get()
    assert [status for status, _ in results] == [200] * 6
    assert {answer["location"] for _, answer in results} == {f"ServiceRequest/{referral.pk}"}
    assert sorted(answer["status"] for _, answer in results) == ["200 OK"] * 5 + ["201 Created"]
    assert referral.history.count() == 1
