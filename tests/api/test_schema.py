"""docs/quality.md A9 and F2: the OpenAPI schema validates, names every /api/ route,
and no generated request (valid or not) makes the server answer 5xx."""

import io
import re

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.api.test_object_scoping import PUBLIC, api_routes
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_the_schema_validates_without_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null", stdout=io.StringIO())


def test_every_api_route_is_in_the_schema():
    schema = Client().get("/api/schema/?format=json").json()
    documented = {re.sub(r"\{[^}]+\}", "{}", path) for path in schema["paths"]}
    for name, route in api_routes().items():
        # FHIR routes are described by their CapabilityStatement (/fhir/R4/metadata, docs/fhir.md).
        if name in PUBLIC or route.startswith("fhir/"):
            continue
        path = "/" + re.sub(r"<[^>]+>", "{}", route)
        assert path in documented, f"{name} ({path}) is missing from the OpenAPI schema"


def test_the_documented_example_is_in_the_schema():
    schema = Client().get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/referrals/"]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    example = next(iter(examples.values()))["value"]
    assert example["person"]["given_name"] == "Joan"
    assert example["target"].keys() == {"service"}
    timebank_example = list(examples.values())[1]["value"]
    assert timebank_example["target"] == {"timebank": "caversham"}


def test_the_target_timebank_is_documented_as_a_short_name_or_true():
    schema = Client().get("/api/schema/?format=json").json()
    target = schema["components"]["schemas"]["TargetInRequest"]["properties"]["timebank"]
    assert {option["type"] for option in target["oneOf"]} == {"string", "boolean"}
    assert "short name" in target["description"]


CSRF = "a" * 32


def _callers(surgery):
    member = MemberFactory(display_name="Fuzz")
    web = Client()
    web.force_login(member.user)
    return {
        "client": ({"Authorization": f"Bearer {surgery.token}"}, {}),
        "member": ({"X-CSRFToken": CSRF}, {"sessionid": web.cookies["sessionid"].value, "csrftoken": CSRF}),
        "anonymous": ({}, {}),
    }


def in_test_transaction(django_app):
    """A WSGI app that keeps the test's database connection open: Django closes
    it when a response ends (close_old_connections), which would end the
    test's transaction; the Django test client avoids this the same way."""

    def app(environ, start_response):
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            result = django_app(environ, start_response)
            body = list(result)
            result.close()
            return body
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)

    return app


def test_no_generated_request_gets_a_server_error(surgery, greenfingers, make_referral, monkeypatch):
    from api.throttles import ClientScopedThrottle

    # Throttles would turn most examples into 429s; they are tested on their own.
    monkeypatch.setattr(ClientScopedThrottle, "allow_request", lambda self, request, view: True)
    make_referral()
    app = in_test_transaction(get_wsgi_application())
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)
    failures: list[str] = []
    exercised = 0
    callers = _callers(surgery)
    for result in schema.get_all_operations():
        operation = result.ok()
        exercised += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=6,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def exercise(case):
                for caller, (headers, cookies) in callers.items():
                    response = case.call(headers=headers, cookies=cookies)
                    if response.status_code >= 500:
                        failures.append(f"{operation.label} as {caller}: {response.status_code}")  # noqa: B023 (run at once, in this loop)

            exercise()
    assert exercised >= 20
    assert not failures, sorted(set(failures))
