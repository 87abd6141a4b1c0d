"""Who a service is for, checked on every referral (issue 15): its ages (on the
day of the referral, limits included) and its areas (postcode prefixes), through
the API, a draft requested later, and the referral pages; the link worker's
confirmed exception with a reason, and who is shown that reason."""

import datetime

import pytest
from django.utils import timezone

from assets.models import Service, ServiceArea
from referrals import services
from referrals.actors import Actor
from referrals.eligibility import age_exclusion
from referrals.models import AccessOutcome, Consent, Referral, ReferralAccessLog, ReferralStatus, WebhookDelivery
from tests.referrals.journey import ANSWERS, STEPS, answer_all, start
from tests.referrals.test_pages import staff
from tests.referrals.test_referral_steps import summary
from timebank.models import Member, MemberStatus, Role

pytestmark = pytest.mark.django_db

REFERRALS = "/api/v1/referrals/"
REASON = "The organiser agreed by phone: she used to play and wants to help coach."


def born_years_ago(years: int, *, days: int = 0) -> datetime.date:
    """The birthday that makes someone `years` old today (`days` later: still one younger)."""
    today = timezone.localdate()
    try:
        birthday = today.replace(year=today.year - years)
    except ValueError:  # 29 February in a year without one
        birthday = today.replace(year=today.year - years, day=28)
    return birthday + datetime.timedelta(days=days)


@pytest.fixture
def netball(garden_service):
    """Walking netball: people aged 50 to 80."""
    garden_service.name = "Walking Netball"
    garden_service.minimum_age, garden_service.maximum_age = 50, 80
    garden_service.save()
    return garden_service


def person(referral_body, **changes):
    return {**referral_body()["person"], **changes}


def post(party, body):
    return party.api.post(REFERRALS, body, format="json")


def nothing_written():
    return not (
        Referral.objects.exists()
        or Consent.objects.exists()
        or Member.objects.filter(status=MemberStatus.APPLIED).exists()
        or WebhookDelivery.objects.exists()
    )


# --- Ages ------------------------------------------------------------------------------------------


def test_a_person_younger_than_the_group_is_refused_with_a_message_naming_the_ages(surgery, netball, referral_body):
    body = referral_body(person=person(referral_body, date_of_birth=born_years_ago(34).isoformat()))
    response = post(surgery, body)
    assert response.status_code == 400
    error = response.json()["error"]
    expected = (
        "Walking Netball is for people aged 50 to 80. The person is 34. "
        "If you have agreed with the group that they can join, confirm and give a reason."
    )
    assert error["fields"] == {"person.date_of_birth": [expected]}
    assert "Joan" not in error["message"] and "Rivers" not in error["message"]
    assert nothing_written()
    refused = ReferralAccessLog.objects.get()
    assert refused.outcome == AccessOutcome.REFUSED and refused.referral_id is None


@pytest.mark.parametrize(
    "born,accepted",
    [
        (born_years_ago(50), True),  # 50 today: the youngest age is included
        (born_years_ago(50, days=1), False),  # 50 tomorrow: still 49
        (born_years_ago(80), True),  # 80 today: the oldest age is included
        (born_years_ago(81, days=1), True),  # 81 tomorrow: still 80
        (born_years_ago(81), False),  # 81 today
    ],
)
def test_the_age_limits_are_inclusive_on_the_day_of_the_referral(surgery, netball, referral_body, born, accepted):
    response = post(surgery, referral_body(person=person(referral_body, date_of_birth=born.isoformat())))
    assert response.status_code == (201 if accepted else 400), response.json()
    assert Referral.objects.exists() is accepted
    if accepted:
        assert response.json()["eligibility_override"] is False
        assert Referral.objects.get().eligibility_override_reason == ""


def test_a_service_with_only_an_oldest_age_names_it(surgery, garden_service, referral_body):
    garden_service.maximum_age = 25
    garden_service.save()
    response = post(surgery, referral_body(person=person(referral_body, date_of_birth=born_years_ago(60).isoformat())))
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(
        "Community garden mornings is for people aged up to 25. The person is 60."
    )


def test_a_service_with_no_age_limits_takes_any_age_and_no_date_of_birth(surgery, garden_service, referral_body):
    assert post(surgery, referral_body(person=person(referral_body, date_of_birth=None))).status_code == 201
    old = post(surgery, referral_body(person=person(referral_body, date_of_birth=born_years_ago(104).isoformat())))
    assert old.status_code == 201
    assert Referral.objects.count() == 2


def test_a_negative_limit_is_no_limit():
    service = Service(name="Lunch club", minimum_age=-1, maximum_age=None)
    assert age_exclusion(service, date_of_birth=born_years_ago(3), on=timezone.localdate()) is None


def test_without_a_date_of_birth_an_age_limited_group_needs_the_date_or_a_confirmed_exception(
    surgery, netball, referral_body
):
    body = referral_body(person=person(referral_body, date_of_birth=None))
    refused = post(surgery, body)
    assert refused.status_code == 400
    message = refused.json()["error"]["fields"]["person.date_of_birth"][0]
    assert "Walking Netball is for people aged 50 to 80. Give the person's date of birth" in message
    assert nothing_written()
    confirmed = post(surgery, {**body, "eligibility_override": {"confirmed": True, "reason": "She is 62."}})
    assert confirmed.status_code == 201
    assert Referral.objects.get().eligibility_override_reason == "She is 62."


# --- Areas -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prefixes,postcode,accepted",
    [
        (["RG1", "RG4"], "RG1 7QE", True),  # the district is one of the areas
        (["RG"], "RG30 2NB", True),  # the postcode area covers every district in it
        (["RG4"], "RG1 7QE", False),
        (["OX1", "OX2"], "RG1 7QE", False),
        ([], "OX1 1AA", True),  # no areas: anywhere
    ],
)
def test_a_service_with_areas_takes_only_people_whose_postcode_is_inside_one(
    surgery, garden_service, referral_body, prefixes, postcode, accepted
):
    for prefix in prefixes:
        ServiceArea.objects.create(service=garden_service, postcode_prefix=prefix)
    response = post(surgery, referral_body(person=person(referral_body, postcode=postcode)))
    assert response.status_code == (201 if accepted else 400), response.json()
    assert Referral.objects.exists() is accepted
    if not accepted:
        message = response.json()["error"]["fields"]["person.postcode"][0]
        assert message.startswith(f"Community garden mornings is only for people who live in {' or '.join(prefixes)}.")
        assert postcode not in message
        assert nothing_written()


# --- The exception: confirmed, with a reason -------------------------------------------------------


def test_a_confirmed_exception_with_a_reason_is_accepted_kept_and_shown(surgery, netball, referral_body):
    body = referral_body(
        person=person(referral_body, date_of_birth=born_years_ago(34).isoformat()),
        eligibility_override={"confirmed": True, "reason": f"  {REASON}  "},
    )
    response = post(surgery, body)
    assert response.status_code == 201, response.json()
    assert response.json()["eligibility_override"] is True
    assert response.json()["eligibility_override_reason"] == REASON
    referral = Referral.objects.get()
    assert referral.status == ReferralStatus.REQUESTED and referral.eligibility_override_reason == REASON
    assert surgery.api.get(f"{REFERRALS}{referral.pk}/").json()["eligibility_override_reason"] == REASON


def test_confirming_without_a_reason_is_a_400_on_the_reason_and_writes_nothing(surgery, netball, referral_body):
    body = referral_body(
        person=person(referral_body, date_of_birth=born_years_ago(34).isoformat()),
        eligibility_override={"confirmed": True, "reason": "   "},
    )
    response = post(surgery, body)
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert list(fields) == ["eligibility_override.reason"]
    assert fields["eligibility_override.reason"][0].startswith("Give the reason the group can take this person")
    assert nothing_written()


def test_a_reason_not_confirmed_is_no_exception(surgery, netball, referral_body):
    body = referral_body(
        person=person(referral_body, date_of_birth=born_years_ago(34).isoformat()),
        eligibility_override={"confirmed": False, "reason": REASON},
    )
    assert post(surgery, body).status_code == 400
    assert nothing_written()


def test_a_reason_given_when_no_exception_is_needed_is_not_kept(surgery, netball, referral_body):
    body = referral_body(
        person=person(referral_body, date_of_birth=born_years_ago(60).isoformat()),
        eligibility_override={"confirmed": True, "reason": REASON},
    )
    response = post(surgery, body)
    assert response.status_code == 201
    assert response.json()["eligibility_override"] is False
    assert Referral.objects.get().eligibility_override_reason == ""


def test_the_receiver_sees_the_reason_only_with_consent_to_share(surgery, greenfingers, netball, referral_body):
    outside = person(referral_body, date_of_birth=born_years_ago(34).isoformat())
    override = {"confirmed": True, "reason": REASON}
    shared = post(surgery, referral_body(person=outside, eligibility_override=override)).json()
    codes_only = post(
        surgery,
        referral_body(
            person=outside,
            eligibility_override=override,
            consent={**referral_body()["consent"], "scopes": ["codes-only"]},
        ),
    ).json()
    seen = greenfingers.api.get(f"{REFERRALS}{shared['id']}/").json()
    assert seen["eligibility_override"] is True and seen["eligibility_override_reason"] == REASON
    hidden = greenfingers.api.get(f"{REFERRALS}{codes_only['id']}/").json()
    assert hidden["eligibility_override"] is True and "eligibility_override_reason" not in hidden
    listed = {row["id"]: row for row in greenfingers.api.get(REFERRALS).json()["results"]}
    assert "eligibility_override_reason" not in listed[codes_only["id"]]
    assert listed[shared["id"]]["eligibility_override_reason"] == REASON


def test_a_timebank_referral_has_no_age_or_area_check(surgery, referral_body):
    body = referral_body(
        person=person(referral_body, date_of_birth=born_years_ago(12).isoformat(), postcode="OX1 1AA"),
        target={"timebank": True},
    )
    response = post(surgery, body)
    assert response.status_code == 201, response.json()
    assert response.json()["eligibility_override"] is False


# --- A draft is checked when it is requested -------------------------------------------------------


def test_a_draft_outside_the_ages_is_checked_when_requested(surgery, netball, referral_body):
    body = referral_body(person=person(referral_body, date_of_birth=born_years_ago(34).isoformat()), status="draft")
    draft = post(surgery, body)
    assert draft.status_code == 201 and draft.json()["status"] == "draft"
    url = f"{REFERRALS}{draft.json()['id']}/transition/"
    refused = surgery.api.post(url, {"to": "requested"}, format="json")
    assert refused.status_code == 400
    assert "The person is 34." in refused.json()["error"]["fields"]["person.date_of_birth"][0]
    referral = Referral.objects.get()
    assert referral.status == ReferralStatus.DRAFT and referral.requested_at is None
    assert referral.history.count() == 1 and not WebhookDelivery.objects.exists()
    no_reason = surgery.api.post(url, {"to": "requested", "eligibility_override": {"confirmed": True}}, format="json")
    assert no_reason.status_code == 400 and "eligibility_override.reason" in no_reason.json()["error"]["fields"]
    requested = surgery.api.post(
        url, {"to": "requested", "eligibility_override": {"confirmed": True, "reason": REASON}}, format="json"
    )
    assert requested.status_code == 200, requested.json()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REQUESTED and referral.eligibility_override_reason == REASON


def test_a_draft_keeps_the_reason_given_when_it_was_made(surgery, netball, referral_body):
    body = referral_body(
        person=person(referral_body, date_of_birth=born_years_ago(34).isoformat()),
        status="draft",
        eligibility_override={"confirmed": True, "reason": REASON},
    )
    draft = post(surgery, body).json()
    requested = surgery.api.post(f"{REFERRALS}{draft['id']}/transition/", {"to": "requested"}, format="json")
    assert requested.status_code == 200
    assert requested.json()["eligibility_override_reason"] == REASON


def test_the_service_layer_checks_the_same_rule(surgery, netball):
    actor = Actor(organisation=surgery.organisation)
    details = services.PersonDetails(
        given_name="Joan",
        family_name="Rivers",
        postcode="RG1 7QE",
        preferred_contact="letter",
        date_of_birth=born_years_ago(90),
    )
    consent = services.ConsentDetails(
        given=True, scopes=["share-with-service"], method="verbal", recorded_by="Sam", recorded_at=timezone.now()
    )
    with pytest.raises(services.InvalidInputError) as refused:
        services.referral_create(actor=actor, person=details, consent=consent, target_service_id=netball.pk)
    assert refused.value.field == "person.date_of_birth"
    assert "The person is 90." in refused.value.message
    made = services.referral_create(
        actor=actor,
        person=details,
        consent=consent,
        target_service_id=netball.pk,
        eligibility_override_reason="Her daughter plays and will bring her.",
    )
    assert made.eligibility_override_reason == "Her daughter plays and will bring her."


# --- The referral pages ----------------------------------------------------------------------------


@pytest.fixture
def sam(surgery):
    return staff(surgery.organisation, "sam", Role.LINK_WORKER)


@pytest.fixture
def url(netball):
    return f"/referrals/new/?service={netball.pk}"


def dob(born: datetime.date, **more) -> dict:
    return {"day": str(born.day), "month": str(born.month), "year": str(born.year), **more}


# A date of birth inside the netball group's ages, for pages after that question.
SIXTY = {"date-of-birth": dob(born_years_ago(60))}


def walk_to(client, url, step, **changes):
    """Answer the questions before `step` (with `changes` per step); returns `step`'s page."""
    changes = {**SIXTY, **changes}
    page = start(client, url)
    for earlier in STEPS[: STEPS.index(step)]:
        response = client.post(page, {**ANSWERS[earlier], **changes.get(earlier, {})})
        assert response.status_code == 302, response.content.decode()[:2000]
        page = response["Location"]
    assert page.rstrip("/").endswith(step)
    return page


def test_the_date_of_birth_page_explains_and_asks_for_the_tick_and_a_reason(sam, url):
    page = walk_to(sam, url, "date-of-birth")
    born = born_years_ago(34)
    refused = sam.post(page, dob(born))
    html = refused.content.decode()
    assert refused.status_code == 200
    assert "Warning: </span>Walking Netball is for people aged 50 to 80. The person is 34." in html
    assert "I have checked with the group that they can take this person" in html
    assert 'class="conditional"' in html and 'id="id_age_reason"' in html
    assert 'href="#id_confirm_age">Walking Netball is for people aged 50 to 80. The person is 34.' in summary(refused)
    no_reason = sam.post(page, dob(born, confirm_age="on", age_reason=""))
    assert no_reason.status_code == 200
    assert 'href="#id_age_reason">Give the reason the group can take this person' in summary(no_reason)
    confirmed = sam.post(page, dob(born, confirm_age="on", age_reason=REASON))
    assert confirmed.status_code == 302
    assert not Referral.objects.exists()


def test_an_age_inside_the_limits_needs_no_tick(sam, url):
    response = sam.post(walk_to(sam, url, "date-of-birth"), dob(born_years_ago(60)))
    assert response.status_code == 302


def test_the_check_page_shows_the_exception_and_the_referral_keeps_it(sam, url, greenfingers, netball):
    born = born_years_ago(34)
    check = answer_all(sam, start(sam, url), **{"date-of-birth": dob(born, confirm_age="on", age_reason=REASON)})
    html = sam.get(check).content.decode()
    assert "Exception for their age" in html and f"Your reason: {REASON}" in html
    assert "You said you have checked with the group that they can take this person." in html
    assert 'date-of-birth/?change">Change<span class="visually-hidden"> exception for their age' in html
    response = sam.post(check, {"send": "send"})
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.status == ReferralStatus.REQUESTED and referral.eligibility_override_reason == REASON
    detail = sam.get(response["Location"]).content.decode()
    assert "An exception to who Walking Netball is for" in detail and REASON in detail
    organiser = staff(greenfingers.organisation, "olive", Role.GROUP_ORGANISER)
    seen = organiser.get(response["Location"]).content.decode()
    assert "An exception to who Walking Netball is for" in seen and REASON in seen


def test_the_postcode_page_asks_for_an_exception_outside_the_areas(sam, url, netball):
    ServiceArea.objects.create(service=netball, postcode_prefix="OX1")
    page = walk_to(sam, url, "postcode")
    refused = sam.post(page, {"postcode": "RG1 7QE"})
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "Walking Netball is only for people who live in OX1. The person&#x27;s postcode is outside" in html
    assert 'href="#id_confirm_area">' in summary(refused)
    confirmed = sam.post(page, {"postcode": "RG1 7QE", "confirm_area": "on", "area_reason": "They work in OX1."})
    assert confirmed.status_code == 302
    check = answer_all(
        sam,
        start(sam, url),
        **SIXTY,
        postcode={"postcode": "RG1 7QE", "confirm_area": "on", "area_reason": "They work in OX1."},
    )
    assert "Exception for where they live" in sam.get(check).content.decode()
    sam.post(check, {"send": "send"})
    assert Referral.objects.get().eligibility_override_reason == "They work in OX1."


# --- Communication needs: plain refusals, no codes to type -----------------------------------------


def test_the_api_refuses_junk_communication_needs_listing_what_is_accepted(surgery, garden_service, referral_body):
    response = post(surgery, referral_body(person=person(referral_body, communication_needs=["!!!"])))
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["person.communication_needs"][0]
    for accepted in ("large-print", "easy-read", "bsl", "Polish interpreter"):
        assert accepted in message
    assert "!!!" not in message
    assert nothing_written()


def test_the_page_offers_needs_as_boxes_and_refuses_others_plainly(sam, garden_service):
    page = walk_to(sam, f"/referrals/new/?service={garden_service.pk}", "communication")
    html = sam.get(page).content.decode()
    assert 'type="checkbox" name="needs" value="large-print"' in html
    assert 'name="needs" value="large-print"' in html and "Large print" in html
    response = sam.post(page, {"needs": ["telepathy"], "language": ""})
    assert response.status_code == 200
    assert "Tick the needs from the list." in summary(response) and "telepathy" not in summary(response)
