"""The link worker's and group organiser's referral pages."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from assets.models import Capacity, OrganisationMembership
from referrals.models import Referral, ReferralAccessLog, ReferralStatus
from tests.factories import UserFactory
from tests.referrals.journey import ANSWERS, STEPS, refer, start
from timebank.models import Role

pytestmark = pytest.mark.django_db


def staff(organisation, username, role) -> Client:
    user = UserFactory(username=username, roles=[role])
    OrganisationMembership.objects.create(
        user=user, organisation=organisation, role="link-worker" if role == Role.LINK_WORKER else "organiser"
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def sam(surgery):
    return staff(surgery.organisation, "sam", Role.LINK_WORKER)


@pytest.fixture
def olu(greenfingers):
    return staff(greenfingers.organisation, "olu", Role.GROUP_ORGANISER)


# What the one long form used to post: an address that names no target must still send people back.
FORM = {"given_name": "Joan", "family_name": "Rivers", "postcode": "RG1 7QE", "preferred_contact": "phone"}


def test_a_link_worker_finds_a_service_and_makes_a_referral(sam, garden_service):
    posted = sam.post("/referrals/new/", {"near": "RG1", "category": "green-and-outdoor"})
    assert posted.status_code == 302 and "RG1" not in posted["Location"]
    search = sam.get(posted["Location"])
    assert search.status_code == 200
    assert f"?service={garden_service.pk}" in search.content.decode()
    response = refer(sam, f"/referrals/new/?service={garden_service.pk}")
    referral = Referral.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/referrals/{referral.pk}/"
    assert referral.status == ReferralStatus.REQUESTED and referral.target_service == garden_service
    page = sam.get(response["Location"])
    assert "Joan Rivers" in page.content.decode()
    assert "no-store" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    listing = sam.get("/referrals/")
    assert "Joan Rivers" in listing.content.decode()


def test_the_place_a_link_worker_searches_near_never_reaches_an_address(sam, garden_service):
    # The place is usually the person's own postcode: access logs must not get it (issue 12).
    posted = sam.post("/referrals/new/", {"near": "RG1 1AA", "q": "garden"})
    assert posted.status_code == 302
    assert "RG1" not in posted["Location"] and "garden" not in posted["Location"]
    shown = sam.get(posted["Location"])
    html = shown.content.decode()
    assert f"?service={garden_service.pk}" in html
    links = re.findall(r'(?:href|action)="([^"]*)"', html)
    assert links and not [link for link in links if "RG1" in link]
    # The old address form searches for nothing; an empty place is a message by the field.
    assert f"?service={garden_service.pk}" not in sam.get("/referrals/new/?near=RG1").content.decode()
    empty = sam.post("/referrals/new/", {"near": ""})
    assert empty.status_code == 400 and "Enter the person&#x27;s postcode" in empty.content.decode()


@pytest.mark.parametrize(
    "step,changes,field_message",
    [
        ("sharing", {"scopes": []}, "Select what the person agreed to share"),
        ("contact", {"phone": ""}, "Enter a phone number"),
        ("postcode", {"postcode": "nowhere"}, "Enter a real UK postcode"),
        ("name", {"given_name": ""}, "Enter the person&#x27;s first name"),
    ],
)
def test_bad_input_comes_back_with_the_message_next_to_the_field(sam, garden_service, step, changes, field_message):
    page = start(sam, f"/referrals/new/?service={garden_service.pk}")
    for earlier in STEPS[: STEPS.index(step)]:
        page = sam.post(page, ANSWERS[earlier])["Location"]
    response = sam.post(page, {**ANSWERS[step], **changes})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and field_message in html
    assert not Referral.objects.exists()


def test_an_organiser_accepts_rejects_with_a_reason_and_marks_the_first_session(sam, olu, garden_service):
    Capacity.objects.create(service=garden_service, places_available=6)
    refer(sam, f"/referrals/new/?service={garden_service.pk}")
    refer(sam, f"/referrals/new/?service={garden_service.pk}", name={"given_name": "Dennis"})
    joan, dennis = Referral.objects.get(given_name="Joan"), Referral.objects.get(given_name="Dennis")

    incoming = olu.get("/referrals/in/").content.decode()
    assert "Joan Rivers" in incoming and "Dennis Rivers" in incoming and ">6<" in incoming

    assert olu.post(f"/referrals/{joan.pk}/", {"to": "accepted"}).status_code == 302
    refused = olu.post(f"/referrals/{dennis.pk}/", {"to": "rejected", "reason": ""})
    assert refused.status_code == 200 and "Give a reason" in refused.content.decode()
    assert olu.post(f"/referrals/{dennis.pk}/", {"to": "rejected", "reason": "Group is full"}).status_code == 302
    olu.post(f"/referrals/{joan.pk}/", {"to": "in-progress", "business_status": "first-session-attended"})
    olu.post(f"/referrals/{joan.pk}/", {"to": "completed"})
    joan.refresh_from_db(), dennis.refresh_from_db()
    assert (joan.status, dennis.status, dennis.status_reason) == ("completed", "rejected", "Group is full")
    assert list(joan.history.values_list("business_status", flat=True)) == ["", "", "first-session-attended", ""]


def test_outsiders_and_plain_members_see_no_referral(sam, garden_service, other_practice, alice):
    refer(sam, f"/referrals/new/?service={garden_service.pk}")
    referral = Referral.objects.get()
    outsider = staff(other_practice.organisation, "nosy", Role.LINK_WORKER)
    assert outsider.get(f"/referrals/{referral.pk}/").status_code == 404
    assert "Joan" not in outsider.get("/referrals/").content.decode()
    member = Client()
    member.force_login(alice.user)
    assert member.get(f"/referrals/{referral.pk}/").status_code == 404
    assert member.get("/referrals/").status_code == 404
    assert ReferralAccessLog.objects.filter(referral_id=referral.pk, outcome="refused").count() == 2


def _queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        html = client.get(url).content.decode()
    return len(captured), html


def test_the_referral_lists_run_the_same_queries_for_one_and_many(sam, olu, garden_service):
    refer(sam, f"/referrals/new/?service={garden_service.pk}")
    mine_one, _ = _queries(sam, "/referrals/")
    in_one, _ = _queries(olu, "/referrals/in/")
    for n in range(15):
        refer(sam, f"/referrals/new/?service={garden_service.pk}", name={"given_name": f"Person{n}"})
    mine_many, html = _queries(sam, "/referrals/")
    assert "Person14" in html
    in_many, html = _queries(olu, "/referrals/in/")
    assert "Person14" in html
    assert (mine_one, in_one) == (mine_many, in_many)


# --- Referring to a timebank: which one -----------------------------------------------------------


def test_with_one_timebank_the_page_offers_the_timebank_as_before(sam, timebank):
    from timebank.models import Member, MemberStatus

    page = sam.get("/referrals/new/").content.decode()
    assert "Refer to the timebank" in page and f"?timebank={timebank.slug}" in page
    # The address the page used before an install could have several timebanks still works.
    form = sam.get("/referrals/new/?timebank=1", follow=True)
    assert form.status_code == 200 and f"Referral to {timebank.name}" in form.content.decode()
    response = refer(sam, "/referrals/new/?timebank=1")
    assert response.status_code == 302, response.content.decode()
    assert Referral.objects.get().target_timebank == timebank
    assert Member.objects.get(status=MemberStatus.APPLIED).timebank == timebank


def test_with_several_timebanks_the_link_worker_chooses_one_by_name_and_area(sam, timebank):
    from timebank.models import Member, MemberStatus, Timebank

    caversham = Timebank.objects.create(name="Caversham", slug="caversham", area="Caversham and Emmer Green")
    page = sam.get("/referrals/new/").content.decode()
    assert "Refer to Caversham</a>: Caversham and Emmer Green" in page
    assert f"Refer to {timebank.name}</a>" in page
    assert "?timebank=1" not in page
    form = sam.get("/referrals/new/?timebank=caversham", follow=True).content.decode()
    assert "Referral to Caversham" in form and "Caversham and Emmer Green" in form
    response = refer(sam, "/referrals/new/?timebank=caversham")
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.target_timebank == caversham
    assert Member.objects.get(status=MemberStatus.APPLIED).timebank == caversham


@pytest.mark.parametrize("value", ["1", "nowhere"])
def test_with_several_timebanks_an_unnamed_or_unknown_one_sends_the_link_worker_back_to_choose(sam, timebank, value):
    from timebank.models import Timebank

    Timebank.objects.create(name="Caversham", slug="caversham")
    response = sam.post(f"/referrals/new/?timebank={value}", FORM)
    assert response.status_code == 302 and response["Location"] == "/referrals/new/"
    assert not Referral.objects.exists()
    assert "Choose which timebank" in sam.get(response["Location"]).content.decode()
