"""The API's messages follow the request's Accept-Language (issue 18).

Only the human-readable `message` texts change language: codes, field names and
the shape of the answer stay as they are, so programs keep working. Each Welsh
answer is compared with what the catalogue says under `translation.override("cy")`,
so these tests hold before the drafted Welsh is merged (the English comes back)
and after it (the Welsh does)."""

from pathlib import Path

import pytest
import rest_framework
from django.utils import translation

from api.drf_messages import DRF_MESSAGES
from api.throttles import ClientScopedThrottle

WELSH = {"HTTP_ACCEPT_LANGUAGE": "cy"}


def welsh(msgid: str) -> str:
    with translation.override("cy"):
        return translation.gettext(msgid)


def welsh_plural(singular: str, plural: str, count: int) -> str:
    with translation.override("cy"):
        return translation.ngettext(singular, plural, count) % {"count": count}


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    translation.activate("en-gb")


def test_an_unknown_address_is_answered_in_the_language_asked_for(client, db, settings):
    settings.DEBUG = False
    english = client.get("/api/v1/no-such-thing/")
    cymraeg = client.get("/api/v1/no-such-thing/", **WELSH)
    assert english.json() == {
        "error": {"code": "not_found", "message": "There is nothing at this address.", "fields": {}}
    }
    assert cymraeg.status_code == 404
    assert cymraeg.json() == {
        "error": {"code": "not_found", "message": welsh("There is nothing at this address."), "fields": {}}
    }


def test_validation_messages_follow_accept_language_and_field_names_do_not(surgery, referral_body):
    body = referral_body()
    del body["person"]["given_name"]
    english = surgery.api.post("/api/v1/referrals/", body, format="json")
    cymraeg = surgery.api.post("/api/v1/referrals/", body, format="json", **WELSH)
    assert english.status_code == cymraeg.status_code == 400
    assert english.json()["error"] == {
        "code": "invalid",
        "message": "Some fields need attention.",
        "fields": {"person.given_name": ["This field is required."]},
    }
    # The same code and field name; the words from the Welsh catalogue, DRF's own
    # message included (api/drf_messages.py puts it there).
    assert cymraeg.json()["error"] == {
        "code": "invalid",
        "message": welsh("Some fields need attention."),
        "fields": {"person.given_name": [welsh("This field is required.")]},
    }


def test_a_key_the_api_does_not_accept_is_refused_in_welsh(surgery, referral_body):
    body = referral_body(status_reason="sneaky")
    response = surgery.api.post("/api/v1/referrals/", body, format="json", **WELSH)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"status_reason": [welsh("This field is not accepted.")]}
    english = surgery.api.post("/api/v1/referrals/", body, format="json")
    assert english.json()["error"]["fields"] == {"status_reason": ["This field is not accepted."]}


def test_a_filter_error_is_in_welsh_already_from_djangos_own_catalogue(surgery):
    """Django ships Welsh for its form messages, so this one is Welsh today:
    proof that Accept-Language reaches the API's messages at all."""
    english = surgery.api.get("/api/v1/referrals/?modified_after=not-a-date")
    cymraeg = surgery.api.get("/api/v1/referrals/?modified_after=not-a-date", **WELSH)
    assert english.status_code == cymraeg.status_code == 400
    assert english.json()["error"]["fields"] == {"modified_after": ["Enter a valid date/time."]}
    assert cymraeg.json()["error"]["fields"] == {"modified_after": ["Rhowch ddyddiad/amser dilys."]}
    assert cymraeg.json()["error"]["code"] == "invalid"


def test_the_open_referral_feed_answers_in_welsh(client, db):
    english = client.get("/openreferral/services?per_page=lots")
    cymraeg = client.get("/openreferral/services?per_page=lots", **WELSH)
    message = "'per_page' must be a whole number, like 50."
    assert english.json()["error"] == {"code": "invalid", "message": message, "fields": {"per_page": [message]}}
    assert cymraeg.json()["error"] == {
        "code": "invalid",
        "message": welsh(message),
        "fields": {"per_page": [welsh(message)]},
    }


def test_a_fhir_operation_outcome_says_its_diagnostics_in_welsh(surgery):
    english = surgery.api.get("/fhir/R4/Task?colour=blue")
    cymraeg = surgery.api.get("/fhir/R4/Task?colour=blue", **WELSH)
    assert english.status_code == cymraeg.status_code == 400
    english_issue, welsh_issue = english.json()["issue"][0], cymraeg.json()["issue"][0]
    assert english_issue["diagnostics"].startswith("This server does not support the search parameter colour.")
    assert welsh_issue["code"] == english_issue["code"] == "invalid"
    allowed = english_issue["diagnostics"].split("Use: ", 1)[1].rstrip(".")
    with translation.override("cy"):
        expected = translation.gettext("This server does not support the search parameter %(names)s. Use: %(allowed)s.")
    assert welsh_issue["diagnostics"] == expected % {"names": "colour", "allowed": allowed}


def test_a_throttled_caller_is_told_how_long_to_wait_with_the_languages_plural(surgery, monkeypatch):
    monkeypatch.setattr(
        ClientScopedThrottle, "THROTTLE_RATES", {**ClientScopedThrottle.THROTTLE_RATES, "referrals-read": "1/min"}
    )
    monkeypatch.setattr(ClientScopedThrottle, "timer", lambda self: 60 * 1_000_000.0)
    assert surgery.api.get("/api/v1/referrals/").status_code == 200
    refused = surgery.api.get("/api/v1/referrals/", **WELSH)
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    assert wait > 1
    assert refused.json()["error"]["code"] == "throttled"
    assert refused.json()["error"]["message"] == welsh_plural(
        "Request was throttled. Expected available in %(count)s second.",
        "Request was throttled. Expected available in %(count)s seconds.",
        wait,
    )
    english = surgery.api.get("/api/v1/referrals/")
    assert english.json()["error"]["message"] == f"Request was throttled. Expected available in {wait} seconds."


def test_the_drf_messages_listed_for_translation_are_still_drfs_own():
    """Our catalogue translates DRF's messages only while the English is exactly
    DRF's: a DRF upgrade that rewords one fails here, not silently in Welsh."""
    package = Path(rest_framework.__file__).parent
    source = "".join((package / name).read_text() for name in ("fields.py", "serializers.py", "exceptions.py"))
    assert [message for message in DRF_MESSAGES if message not in source] == []
