"""The FHIR R4 interface (/fhir/R4/): resources a FHIR library can read, a referral
made by a transaction Bundle that is the same as one made through the JSON API,
search, paging, the JSON API's messages as OperationOutcomes, idempotent create,
and what the consent policy lets each organisation see."""

import copy
import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task
from rest_framework.test import APIClient

from referrals.models import AccessAction, AccessOutcome, Referral, ReferralAccessLog, ReferralHistory
from tests.api.conftest import EXAMPLE_BODY

pytestmark = pytest.mark.django_db

BASE = "/fhir/R4/"
OURS = "http://testserver/fhir/R4/"


def fhir_bundle(service_id, *, identifier: str | None = "REF-0001", consent_scopes=None, **changes) -> dict:
    """The JSON API's documented example (tests/api/conftest.py EXAMPLE_BODY) as a transaction Bundle."""
    body: dict[str, Any] = copy.deepcopy(EXAMPLE_BODY)
    person, consent = body["person"], body["consent"]
    patient = {
        "resourceType": "Patient",
        "name": [
            {"use": "official", "given": [person["given_name"]], "family": person["family_name"]},
            {"use": "usual", "given": [person["preferred_name"]]},
        ],
        "birthDate": person["date_of_birth"],
        "telecom": [{"system": "phone", "value": person["phone"], "rank": 1}],
        "address": [{"postalCode": person["postcode"]}],
        "extension": [
            {"url": OURS + "StructureDefinition/preferred-contact", "valueCode": person["preferred_contact"]},
            {"url": OURS + "StructureDefinition/contact-times", "valueString": person["contact_times"]},
            {"url": OURS + "StructureDefinition/communication-need", "valueCode": "large-print"},
        ],
    }
    consent_resource = {
        "resourceType": "Consent",
        "status": "active",
        "scope": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]
        },
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "dateTime": consent["recorded_at"],
        "provision": {
            "type": "permit",
            "action": [
                {"coding": [{"system": OURS + "CodeSystem/consent-scope", "code": scope}]}
                for scope in (consent["scopes"] if consent_scopes is None else consent_scopes)
            ],
        },
        "extension": [
            {"url": OURS + "StructureDefinition/consent-method", "valueCode": consent["method"]},
            {"url": OURS + "StructureDefinition/consent-recorded-by", "valueString": consent["recorded_by"]},
        ],
    }
    service_request = {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "urn:uuid:00000000-0000-4000-8000-000000000001"},
        "priority": body["priority"],
        "performer": [{"reference": f"HealthcareService/{service_id}"}],
        "reasonCode": [
            *(
                {"coding": [{"system": OURS + "CodeSystem/timecommons-social-prescribing", "code": n}]}
                for n in body["needs"]
            ),
            {"text": body["what_matters"]},
        ],
        "note": [{"text": body["notes"]}],
    }
    if identifier:
        service_request["identifier"] = [{"system": "https://gp.example.org/referrals", "value": identifier}]
    task = {"resourceType": "Task", "status": "requested", "intent": "order"}
    resources = {"Patient": patient, "Consent": consent_resource, "ServiceRequest": service_request, "Task": task}
    for kind, change in changes.items():
        change(resources[kind])
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"urn:uuid:00000000-0000-4000-8000-00000000000{i}",
                "resource": resource,
                "request": {"method": "POST", "url": kind},
            }
            for i, (kind, resource) in enumerate(resources.items(), start=1)
        ],
    }


def post(party, bundle) -> tuple[int, dict]:
    response = party.api.post(BASE, bundle, format="json")
    assert response["Content-Type"].startswith("application/fhir+json")
    return response.status_code, response.json()


@pytest.fixture
def fhir_referral(surgery, garden_service):
    """A referral the surgery made through FHIR; its id."""

    def make(party=None, **kwargs):
        status, body = post(party or surgery, fhir_bundle(garden_service.pk, **kwargs))
        assert status == 200, body
        task = next(e for e in body["entry"] if e["response"].get("location", "").startswith("Task/"))
        return task["response"]["location"].split("/")[1]

    return make


def get(party, path, **params):
    response = party.api.get(BASE + path, params)
    assert response["Content-Type"].startswith("application/fhir+json")
    return response.status_code, response.json()


# --- Resources a FHIR library reads --------------------------------------------------------


def test_metadata_is_a_public_capability_statement(client):
    response = client.get(BASE + "metadata")
    assert response.status_code == 200
    statement = CapabilityStatement.model_validate(response.json())
    assert statement.fhirVersion == "4.0.1"
    assert statement.format == ["json"]
    resources = {r.type: r for r in statement.rest[0].resource}
    assert set(resources) == {"Task", "ServiceRequest", "Patient", "HealthcareService", "Organization"}
    assert {p.name for p in resources["Task"].searchParam} == {"status", "_lastUpdated", "owner", "requester"}
    assert statement.rest[0].security.service[0].coding[0].code == "OAuth"


def test_each_referral_resource_is_valid_fhir_and_says_what_was_referred(
    surgery, greenfingers, fhir_referral, garden_service
):
    referral_id = fhir_referral()
    status, task = get(surgery, f"Task/{referral_id}")
    assert status == 200
    task = Task.model_validate(task)
    assert (task.status, task.intent) == ("requested", "order")
    assert task.focus.reference == f"ServiceRequest/{referral_id}"
    assert task.for_fhir.reference == f"Patient/{referral_id}"
    assert task.owner.reference == f"Organization/{greenfingers.organisation.pk}"
    assert task.requester.reference == f"Organization/{surgery.organisation.pk}"

    status, sr = get(surgery, f"ServiceRequest/{referral_id}")
    sr = ServiceRequest.model_validate(sr)
    assert sr.status == "active"
    assert sr.code.coding[0].code == "871731000000106"
    assert sr.subject.reference == f"Patient/{referral_id}"
    assert sorted(c.coding[0].code for c in sr.reasonCode if c.coding) == [
        "befriending-and-loneliness",
        "green-and-outdoor",
    ]
    assert [c.text for c in sr.reasonCode if not c.coding] == [EXAMPLE_BODY["what_matters"]]
    assert {p.reference for p in sr.performer} == {
        f"Organization/{greenfingers.organisation.pk}",
        f"HealthcareService/{garden_service.pk}",
    }
    assert (sr.identifier[0].system, sr.identifier[0].value) == ("https://gp.example.org/referrals", "REF-0001")

    status, patient = get(surgery, f"Patient/{referral_id}")
    patient = Patient.model_validate(patient)
    assert patient.name[0].given == ["Joan"] and patient.name[0].family == "Rivers"
    assert patient.birthDate == datetime.date(1948, 5, 2)
    assert patient.address[0].postalCode == "RG1 7QE"
    assert patient.telecom[0].value == "0118 496 0000"


def test_the_directory_is_healthcare_services_and_organizations(surgery, greenfingers, garden_service):
    status, service = get(surgery, f"HealthcareService/{garden_service.pk}")
    assert status == 200
    service = HealthcareService.model_validate(service)
    assert service.name == "Community garden mornings"
    assert service.active is True
    assert service.providedBy.reference == f"Organization/{greenfingers.organisation.pk}"
    assert service.category[0].coding[0].code == "green-and-outdoor"
    assert service.contained and service.location[0].reference.startswith("#location-")

    status, organisation = get(surgery, f"Organization/{greenfingers.organisation.pk}")
    assert Organization.model_validate(organisation).name == "Greenfingers Garden Club"

    status, found = get(surgery, "HealthcareService", name="community", active="true")
    bundle = Bundle.model_validate(found)
    assert bundle.total == 1 and bundle.entry[0].resource.id == str(garden_service.pk)
    status, found = get(surgery, "HealthcareService", organization=f"Organization/{surgery.organisation.pk}")
    assert found["total"] == 0

    # By category, like the JSON API's ?category=: the code alone or with its system.
    system = service.category[0].coding[0].system
    for token in ("green-and-outdoor", f"{system}|green-and-outdoor"):
        status, found = get(surgery, "HealthcareService", **{"service-category": token})
        assert status == 200 and [e["resource"]["id"] for e in found["entry"]] == [str(garden_service.pk)]
    status, found = get(surgery, "HealthcareService", **{"service-category": "befriending-and-loneliness"})
    assert found["total"] == 0


def test_the_directory_needs_the_directory_scope(garden_service):
    from tests.api.conftest import Party

    party = Party("Referrals only", "gp-practice", scopes=["referrals:read"])
    status, outcome = get(party, f"HealthcareService/{garden_service.pk}")
    assert status == 403
    OperationOutcome.model_validate(outcome)


def test_without_a_token_there_is_nothing_but_metadata(fhir_referral):
    referral_id = fhir_referral()
    response = APIClient().get(f"{BASE}Task/{referral_id}")
    assert response.status_code == 401
    assert OperationOutcome.model_validate(response.json()).issue[0].code == "login"


# --- Making a referral ----------------------------------------------------------------------


def _comparable(referral: Referral) -> dict:
    fields = {
        f.name: getattr(referral, f.name)
        for f in Referral._meta.concrete_fields
        if f.name
        not in {"id", "created_at", "modified_at", "requested_at", "external_id_system", "external_id", "member"}
    }
    consent = referral.consent
    fields["consent"] = (consent.given, consent.scopes, consent.method, consent.recorded_by, consent.recorded_at)
    fields["needs"] = sorted(referral.needs.values_list("slug", flat=True))
    fields["history"] = list(
        ReferralHistory.objects.filter(referral=referral).values_list(
            "from_status", "to_status", "reason", "organisation"
        )
    )
    return fields


def test_a_fhir_referral_is_the_same_as_one_made_through_the_json_api(surgery, fhir_referral, make_referral):
    via_fhir = Referral.objects.get(pk=fhir_referral())
    via_json = Referral.objects.get(pk=make_referral()["id"])
    assert _comparable(via_fhir) == _comparable(via_json)
    assert (via_fhir.external_id_system, via_fhir.external_id) == ("https://gp.example.org/referrals", "REF-0001")
    created = ReferralAccessLog.objects.filter(referral_id=via_fhir.pk, action=AccessAction.CREATE)
    assert list(created.values_list("outcome", flat=True)) == [AccessOutcome.ALLOWED]


def test_the_transaction_response_gives_where_each_resource_is(surgery, garden_service):
    status, body = post(surgery, fhir_bundle(garden_service.pk))
    assert status == 200
    bundle = Bundle.model_validate(body)
    assert bundle.type == "transaction-response"
    referral = Referral.objects.get()
    assert [(e.response.status, e.response.location) for e in bundle.entry] == [
        ("201 Created", f"Patient/{referral.pk}"),
        ("201 Created", None),
        ("201 Created", f"ServiceRequest/{referral.pk}"),
        ("201 Created", f"Task/{referral.pk}"),
    ]


def test_the_same_identifier_twice_returns_the_first_referral(surgery, garden_service):
    first_status, _first = post(surgery, fhir_bundle(garden_service.pk, identifier="REF-42"))
    again_status, again = post(surgery, fhir_bundle(garden_service.pk, identifier="REF-42"))
    assert (first_status, again_status) == (200, 200)
    assert Referral.objects.count() == 1
    referral = Referral.objects.get()
    assert again["entry"][2]["response"] == {"status": "200 OK", "location": f"ServiceRequest/{referral.pk}"}
    assert ReferralHistory.objects.filter(referral=referral).count() == 1
    # Another identifier is another referral.
    post(surgery, fhir_bundle(garden_service.pk, identifier="REF-43"))
    assert Referral.objects.count() == 2


def test_a_draft_task_makes_a_draft_referral(surgery, garden_service):
    status, body = post(surgery, fhir_bundle(garden_service.pk, Task=lambda t: t.update(status="draft")))
    assert status == 200, body
    assert Referral.objects.get().status == "draft"


def _json_error(party, body) -> dict:
    response = party.api.post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 400
    return response.json()["error"]["fields"]


def _set_postcode(value):
    return lambda patient: patient.update(address=[{"postalCode": value}])


@pytest.mark.parametrize(
    ("json_change", "fhir_change", "expression"),
    [
        (
            lambda body: body["person"].update(postcode="NOT A POSTCODE"),
            {"Patient": _set_postcode("NOT A POSTCODE")},
            "Patient.address[0].postalCode",
        ),
        (
            lambda body: body.update(needs=["befriending-and-loneliness", "juggling"]),
            {
                "ServiceRequest": lambda sr: sr["reasonCode"].append(
                    {"coding": [{"system": OURS + "CodeSystem/timecommons-social-prescribing", "code": "juggling"}]}
                )
            },
            "ServiceRequest.reasonCode.coding.code",
        ),
        (
            lambda body: body["person"].pop("given_name"),
            {"Patient": lambda p: p["name"][0].pop("given")},
            "Patient.name.where(use='official').given[0]",
        ),
        (
            lambda body: body["person"].update(phone=None),
            {"Patient": lambda p: p.pop("telecom")},
            "Patient.telecom.where(system='phone').value",
        ),
        (
            lambda body: body.pop("consent"),
            {"Consent": lambda c: c.update(status="rejected")},
            "Consent",
        ),
    ],
)
def test_mistakes_get_the_json_apis_messages_at_their_fhir_paths(
    surgery, garden_service, referral_body, json_change, fhir_change, expression
):
    json_body = referral_body()
    json_change(json_body)
    json_messages = [m for messages in _json_error(surgery, json_body).values() for m in messages]

    status, outcome = post(surgery, fhir_bundle(garden_service.pk, **fhir_change))
    assert status == 400
    outcome = OperationOutcome.model_validate(outcome)
    assert [issue.diagnostics for issue in outcome.issue] == json_messages
    assert outcome.issue[0].expression == [expression]
    assert not Referral.objects.exists()


def test_a_resource_that_is_not_valid_fhir_is_refused_without_quoting_it(surgery, garden_service):
    status, outcome = post(
        surgery, fhir_bundle(garden_service.pk, Patient=lambda p: p.update(birthDate="Joan's birthday"))
    )
    assert status == 400
    issue = OperationOutcome.model_validate(outcome).issue[0]
    assert "Patient.birthDate" in issue.diagnostics and "Joan" not in issue.diagnostics
    assert not Referral.objects.exists()


# --- Search and paging ----------------------------------------------------------------------


def test_tasks_are_found_by_status_owner_requester_and_last_updated(
    surgery, greenfingers, other_practice, fhir_referral
):
    first, second = fhir_referral(identifier="A"), fhir_referral(identifier="B")
    greenfingers.api.post(f"/api/v1/referrals/{first}/transition/", {"to": "accepted"}, format="json")

    def ids(**params):
        status, body = get(surgery, "Task", **params)
        assert status == 200, body
        Bundle.model_validate(body)
        return {e["resource"]["id"] for e in body.get("entry", [])}

    assert ids(status="accepted") == {first}
    assert ids(status="requested") == {second}
    assert ids(status="requested,accepted") == {first, second}
    assert ids(owner=f"Organization/{greenfingers.organisation.pk}") == {first, second}
    assert ids(owner=f"Organization/{other_practice.organisation.pk}") == set()
    assert ids(requester=str(surgery.organisation.pk)) == {first, second}
    yesterday = (timezone.now() - datetime.timedelta(days=1)).date().isoformat()
    tomorrow = (timezone.now() + datetime.timedelta(days=1)).date().isoformat()
    assert ids(_lastUpdated=f"ge{yesterday}") == {first, second}
    assert ids(_lastUpdated=f"gt{tomorrow}") == set()
    assert ids(_lastUpdated=[f"ge{yesterday}", f"lt{tomorrow}"]) == {first, second}
    # The receiver finds them too; ServiceRequest status is FHIR's.
    _status, body = get(
        greenfingers, "ServiceRequest", status="active", performer=f"Organization/{greenfingers.organisation.pk}"
    )
    assert body["total"] == 2


def test_searches_page_with_count_and_a_next_link(surgery, fhir_referral):
    made = {fhir_referral(identifier=f"R{i}") for i in range(5)}
    seen, url, pages = set(), f"{BASE}Task?_count=2", 0
    while url:
        body = surgery.api.get(url).json()
        assert body["total"] == 5
        seen |= {e["resource"]["id"] for e in body["entry"]}
        url = next((link["url"] for link in body["link"] if link["relation"] == "next"), None)
        pages += 1
    assert (seen, pages) == (made, 3)
    listed = ReferralAccessLog.objects.filter(action=AccessAction.LIST)
    assert listed.count() == 5


def test_an_unknown_search_parameter_is_a_400_outcome(surgery):
    status, outcome = get(surgery, "Task", patient="Patient/1")
    assert status == 400
    issue = OperationOutcome.model_validate(outcome).issue[0]
    assert "patient" in issue.diagnostics and "_lastUpdated" in issue.diagnostics


# --- Other organisations and consent --------------------------------------------------------


def test_another_organisation_gets_404_and_finds_nothing(other_practice, fhir_referral):
    referral_id = fhir_referral()
    for kind in ("Task", "ServiceRequest", "Patient"):
        status, outcome = get(other_practice, f"{kind}/{referral_id}")
        assert status == 404
        assert OperationOutcome.model_validate(outcome).issue[0].code == "not-found"
        status, body = get(other_practice, "Task")
        assert body["total"] == 0
    refused = ReferralAccessLog.objects.filter(referral_id=referral_id, outcome=AccessOutcome.REFUSED)
    assert refused.count() == 3


def test_an_unknown_address_under_fhir_is_an_outcome(surgery):
    response = surgery.api.get(BASE + "Task/not-a-uuid")
    assert response.status_code == 404
    assert OperationOutcome.model_validate(response.json()).issue[0].code == "not-found"


def test_without_consent_to_share_the_receiver_gets_no_patient(greenfingers, fhir_referral):
    referral_id = fhir_referral(consent_scopes=["codes-only"])
    status, _ = get(greenfingers, f"Patient/{referral_id}")
    assert status == 404
    status, sr = get(greenfingers, f"ServiceRequest/{referral_id}")
    sr = ServiceRequest.model_validate(sr)
    assert sr.subject.reference is None and "not shared" in sr.subject.display
    assert [c.text for c in sr.reasonCode if not c.coding] == []
    assert sr.note is None
    status, task = get(greenfingers, f"Task/{referral_id}")
    assert Task.model_validate(task).for_fhir is None
    refused = ReferralAccessLog.objects.filter(referral_id=referral_id, outcome=AccessOutcome.REFUSED)
    assert refused.count() == 1


def test_with_consent_the_receiver_sees_the_person_to_contact(greenfingers, fhir_referral):
    referral_id = fhir_referral()
    status, patient = get(greenfingers, f"Patient/{referral_id}")
    assert status == 200
    patient = Patient.model_validate(patient)
    assert patient.name[0].given == ["Joan"]
    assert patient.birthDate is None  # not what a receiver needs
    assert patient.address[0].postalCode == "RG1"


def test_a_referrer_without_share_back_sees_only_its_own_status(surgery, greenfingers, fhir_referral):
    referral_id = fhir_referral(consent_scopes=["share-with-service"])
    greenfingers.api.post(
        f"/api/v1/referrals/{referral_id}/transition/",
        {"to": "accepted", "business_status": "contact-attempted"},
        format="json",
    )
    status, task = get(surgery, f"Task/{referral_id}")
    assert status == 200
    task = Task.model_validate(task)
    assert task.status == "requested" and task.businessStatus is None
    status, receiver_task = get(greenfingers, f"Task/{referral_id}")
    assert status == 200
    receiver_task = Task.model_validate(receiver_task)
    assert receiver_task.status == "accepted"
    assert receiver_task.businessStatus.coding[0].code == "contact-attempted"
    assert receiver_task.businessStatus.coding[0].system == OURS + "CodeSystem/referral-business-status"
    # Searching for the receiver's status does not give it away.
    _status, found = get(surgery, "Task", status="accepted")
    assert found["total"] == 0
    _status, found = get(surgery, "Task", status="requested")
    assert found["total"] == 1


def test_another_organisations_identifier_is_its_own(surgery, other_practice, garden_service):
    post(surgery, fhir_bundle(garden_service.pk, identifier="REF-7"))
    status, body = post(other_practice, fhir_bundle(garden_service.pk, identifier="REF-7"))
    assert status == 200
    assert body["entry"][2]["response"]["status"] == "201 Created"
    assert sorted(Referral.objects.values_list("referring_organisation__name", flat=True)) == [
        "Oxford Road Surgery",
        "Tilehurst Medical Centre",
    ]


def test_the_documented_example_bundle_works_as_written(surgery, garden_service):
    text = (Path(__file__).resolve().parents[2] / "docs" / "fhir-referral-bundle.json").read_text()
    status, body = post(surgery, json.loads(text.replace("SERVICE-ID", str(garden_service.pk))))
    assert status == 200, body
    referral = Referral.objects.get()
    assert referral.target_service == garden_service
    assert referral.consent.scopes == ["share-with-service", "share-back-with-referrer"]
    assert referral.communication_needs == ["large-print"]


def test_a_referral_to_a_timebank_names_it_by_its_short_name(surgery, garden_service, timebank):
    def to_timebank(service_request):
        service_request["performer"] = [
            {"identifier": {"system": OURS + "NamingSystem/timebank", "value": timebank.slug}}
        ]

    status, body = post(surgery, fhir_bundle(garden_service.pk, ServiceRequest=to_timebank))
    assert status == 200, body
    referral = Referral.objects.get()
    assert referral.target_timebank == timebank
    status, task = get(surgery, f"Task/{referral.pk}")
    # This timebank has no organisation row: its coordinators receive the referral.
    assert referral.receiving_organisation_id is None
    owner = Task.model_validate(task).owner
    assert owner.reference is None and owner.display == f"{timebank.name} (the timebank's coordinators)"


def test_fhir_json_bodies_are_accepted_and_modifiers_we_do_not_support_are_refused(surgery, garden_service):
    response = surgery.api.post(BASE, json.dumps(fhir_bundle(garden_service.pk)), content_type="application/fhir+json")
    assert response.status_code == 200, response.json()
    assert Referral.objects.count() == 1
    status, outcome = get(surgery, "Task", **{"status:not": "requested"})
    assert status == 400
    assert "status:not" in OperationOutcome.model_validate(outcome).issue[0].diagnostics
    status, found = get(surgery, "HealthcareService", **{"name:contains": "garden"})
    assert (status, found["total"]) == (200, 1)


def test_a_search_runs_as_many_queries_for_five_referrals_as_for_one(surgery, fhir_referral):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(expected_total: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            status, body = get(surgery, "ServiceRequest", status="active")
        assert (status, body["total"], len(body["entry"])) == (200, expected_total, expected_total)
        return len(captured.captured_queries)

    fhir_referral(identifier="Q0")
    one = queries(1)
    for i in range(1, 5):
        fhir_referral(identifier=f"Q{i}")
    assert queries(5) == one


# --- Hostile input and the code systems' addresses ------------------------------------------------


def _hostile_bundles(service_id) -> list[Any]:
    good = fhir_bundle(service_id)
    no_entries = {**good, "entry": None}
    list_body = [good]
    wrong_type = {**good, "type": "batch"}
    unknown = copy.deepcopy(good)
    unknown["entry"][0]["resource"]["resourceType"] = "Medication"
    long_name = copy.deepcopy(good)
    for entry in long_name["entry"]:
        if entry["resource"]["resourceType"] == "Patient":
            entry["resource"]["name"] = [{"given": ["x" * 100_000], "family": "\x00<script>"}]
    numbers = copy.deepcopy(good)
    numbers["entry"][0]["resource"]["status"] = 12
    return [{}, "a string", 7, list_body, no_entries, wrong_type, unknown, long_name, numbers]


@pytest.mark.parametrize("index", range(9))
def test_a_hostile_bundle_gets_a_400_outcome_and_writes_nothing(surgery, garden_service, index):
    bundle = _hostile_bundles(garden_service.pk)[index]
    response = surgery.api.post(BASE, bundle, format="json")
    assert response.status_code == 400, response.content[:300]
    outcome = OperationOutcome.model_validate(response.json())
    assert outcome.issue and all(issue.severity == "error" for issue in outcome.issue)
    assert not Referral.objects.exists()


def test_code_systems_are_named_by_address_and_never_looked_up(surgery, garden_service, fhir_referral, monkeypatch):
    """Task, ServiceRequest and HealthcareService carry http://snomed.info/sct and
    the taxonomy's URIs as names of code systems: making and reading them opens no
    connection and looks up no name (the test fence would refuse one anyway)."""
    import socket

    looked_up: list[object] = []
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: looked_up.append(host) or real(host, *a, **k))
    referral_id = fhir_referral()
    bodies = {}
    for path in (f"Task/{referral_id}", f"ServiceRequest/{referral_id}", f"HealthcareService/{garden_service.pk}"):
        status, bodies[path.split("/")[0]] = get(surgery, path)
        assert status == 200
    assert "http://snomed.info/sct" in json.dumps(bodies["ServiceRequest"])
    assert looked_up == []
