"""Many timebanks, each sealed off: the feedback, ideas and votes pages.

Timebank A ("Oxford Road") has a member who suggested an idea, an exchange
and an activity they rated, and a referral to A that its coordinator accepted. Timebank B
("Caversham") has a coordinator, a member and an applicant. None of B's
people may see or change A's idea, exchange or referral (404, or the
"waiting" page for the applicant), A's rows are the same afterwards, and B's
lists and report show none of A's rows. tests/timebank/test_tenancy_pages.py
checks that every page of this app with an argument is named here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from assets.models import Organisation, OrganisationMembership
from coproduction.involvement.models import Opportunity, Participation
from coproduction.voice import services
from coproduction.voice.models import Idea, IdeaVote, Rating
from core.errors import NotFoundError
from referrals.actors import actor_for_user
from referrals.models import AccessOutcome, Referral, ReferralAccessLog
from referrals.services import ConsentDetails, PersonDetails, referral_create, referral_transition
from tests.assets.factories import ServiceFactory
from tests.brokering.factories import exchange as make_exchange
from tests.factories import ListingFactory, MemberFactory, UserFactory, category
from timebank.models import Exchange, Member, MemberStatus, Role, Timebank

pytestmark = pytest.mark.django_db

SECRET = "Oxfordian"


@dataclass
class TimebankA:
    timebank: Timebank
    member: Member
    coordinator: Any
    idea: Idea
    exchange: Exchange
    referral: Referral
    opportunity: Opportunity


def _referral_to(timebank: Timebank, coordinator) -> Referral:
    practice = Organisation.objects.create(name="Oxford Road Surgery", organisation_type="gp-practice")
    link_worker = UserFactory(username="sam", roles=[Role.LINK_WORKER])
    OrganisationMembership.objects.create(user=link_worker, organisation=practice, role="link-worker")
    referral = referral_create(
        actor=actor_for_user(link_worker),
        person=PersonDetails(
            given_name=SECRET,
            family_name="Person",
            postcode="RG1 7QE",
            preferred_contact="phone",
            phone="0118 496 0000",
        ),
        consent=ConsentDetails(
            given=True,
            scopes=["share-with-service", "share-back-with-referrer"],
            method="verbal",
            recorded_by="Sam",
            recorded_at=timezone.now() - datetime.timedelta(days=1),
        ),
        what_matters="Meeting people",
        target_timebank=timebank.slug,
    )
    return referral_transition(actor=actor_for_user(coordinator), referral_id=referral.pk, to="accepted")


@pytest.fixture
def a() -> TimebankA:
    timebank = Timebank.objects.create(name="Oxford Road", slug="oxford-road")
    coordinator = UserFactory(username="a-coordinator", roles=[Role.COORDINATOR], coordinates=[timebank])
    member = MemberFactory(timebank=timebank, display_name="Olive")
    helper = MemberFactory(timebank=timebank, display_name="Harry")
    listing = ListingFactory(member=helper, category=category("gardening", timebank=timebank))
    exchange = make_exchange(helper, member, status="posted", listing=listing, description=f"{SECRET} weeding")
    services.rating_record_for_exchange(
        by_user=member.user, exchange_id=exchange.public_id, answer=services.RatingAnswer(score=4, words=SECRET)
    )
    idea = services.idea_propose(by_user=member.user, title=f"{SECRET} coffee morning")
    services.idea_vote(by_user=helper.user, idea_id=idea.public_id)
    services.idea_respond(by_user=coordinator, idea_id=idea.public_id, status="planned", response=f"{SECRET} soon")
    opportunity = Opportunity.objects.create(
        timebank=timebank,
        title=f"{SECRET} planning day",
        what="Plan the year.",
        starts_at=timezone.now() - datetime.timedelta(days=1),
        duration_minutes=60,
        contact_name="Coordinator",
        contact_phone="0118 496 0999",
        status="published",
    )
    Participation.objects.create(opportunity=opportunity, member=member, status="attended")
    services.rating_record_for_opportunity(
        by_user=member.user, opportunity_id=opportunity.public_id, answer=services.RatingAnswer(score=5)
    )
    return TimebankA(timebank, member, coordinator, idea, exchange, _referral_to(timebank, coordinator), opportunity)


@pytest.fixture
def b() -> Timebank:
    return Timebank.objects.create(name="Caversham", slug="caversham")


@pytest.fixture
def b_coordinator(b):
    return UserFactory(username="b-coordinator", roles=[Role.COORDINATOR], coordinates=[b])


@pytest.fixture
def b_member(b):
    return MemberFactory(timebank=b, display_name="Bea").user


@pytest.fixture
def b_applicant(b):
    return MemberFactory(timebank=b, display_name="Ben", status=MemberStatus.APPLIED).user


# Every page of this app with an argument, A's object in it, and what B's people send.
PAGES = {
    "voice:idea": lambda a: ({"public_id": a.idea.public_id}, {}),
    "voice:idea-vote": lambda a: ({"public_id": a.idea.public_id}, {"action": "vote"}),
    "voice:idea-respond": lambda a: ({"public_id": a.idea.public_id}, {"status": "done", "response": "Taken over"}),
    "voice:rate-exchange": lambda a: ({"public_id": a.exchange.public_id}, {"score": "1", "words": "Taken over"}),
    "voice:rate-opportunity": lambda a: ({"public_id": a.opportunity.public_id}, {"score": "1"}),
    "voice:rate-referral": lambda a: ({"referral_id": a.referral.pk}, {"score": "1", "person_agreed": "on"}),
}


def snapshot(a: TimebankA) -> dict[str, Any]:
    a.idea.refresh_from_db()
    return {
        "idea": (a.idea.title, a.idea.status, a.idea.response),
        "votes": sorted(IdeaVote.objects.filter(idea=a.idea).values_list("member_id", flat=True)),
        "ratings": sorted(Rating.objects.values_list("pk", "score", "words", "member_id", "referral_id")),
    }


def _refused(response) -> bool:
    """404; for an applicant also the "waiting for a coordinator" page, showing nothing of A's."""
    if response.status_code == 404:
        return True
    templates = {t.name for t in getattr(response, "templates", []) or []}
    return response.status_code == 200 and "timebank/members/waiting.html" in templates


@pytest.mark.parametrize("who", ["b_coordinator", "b_member", "b_applicant"])
@pytest.mark.parametrize("name", sorted(PAGES))
def test_timebank_bs_people_cannot_see_or_change_as_feedback_and_ideas(client, request, a, who, name):
    kwargs, post = PAGES[name](a)
    url = reverse(name, kwargs=kwargs)
    before = snapshot(a)
    client.force_login(request.getfixturevalue(who))
    got = client.get(url)
    assert got.status_code == 405 or _refused(got), f"GET {url} as {who}: {got.status_code}"
    assert SECRET not in got.content.decode()
    posted = client.post(url, post)
    assert _refused(posted), f"POST {url} as {who}: {posted.status_code}"
    assert SECRET not in posted.content.decode()
    assert snapshot(a) == before


def test_as_own_people_open_the_same_pages(client, a):
    client.force_login(a.coordinator)
    for name in ("voice:idea", "voice:idea-respond", "voice:rate-referral"):
        kwargs, _post = PAGES[name](a)
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 200, name
    client.force_login(a.member.user)
    for name in ("voice:idea", "voice:rate-exchange", "voice:rate-opportunity"):
        kwargs, _post = PAGES[name](a)
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 200, name


def test_bs_coordinator_is_refused_as_referral_and_the_attempt_is_logged(a, b_coordinator):
    with pytest.raises(NotFoundError):
        services.rating_record_for_referral(
            actor=actor_for_user(b_coordinator), referral_id=a.referral.pk, score=1, person_agreed=True
        )
    assert not Rating.objects.filter(referral=a.referral).exists()
    assert ReferralAccessLog.objects.filter(
        referral_id=a.referral.pk, user=b_coordinator, outcome=AccessOutcome.REFUSED
    ).exists()


def test_as_coordinator_records_the_referred_persons_rating_on_their_behalf(client, a):
    client.force_login(a.coordinator)
    url = reverse("voice:rate-referral", kwargs={"referral_id": a.referral.pk})
    missing = client.post(url, {"score": "4"}).content.decode()
    assert "Tick this only if the person told you the rating" in missing
    assert not Rating.objects.filter(referral=a.referral).exists()
    assert client.post(url, {"score": "4", "person_agreed": "on"}).status_code == 302
    rating = Rating.objects.get(referral=a.referral)
    assert (rating.subject, rating.score, rating.words, rating.on_behalf, rating.member) == (
        "referral",
        4,
        "",
        True,
        None,
    )
    assert rating.timebank == a.timebank and rating.recorded_by == a.coordinator
    assert ReferralAccessLog.objects.filter(
        referral_id=a.referral.pk, user=a.coordinator, action="outcome", outcome=AccessOutcome.ALLOWED
    ).exists()


def test_no_rating_is_kept_once_the_person_withdrew_consent(a):
    a.referral.consent.withdrawn_at = timezone.now()
    a.referral.consent.save(update_fields=["withdrawn_at"])
    with pytest.raises(Exception) as refused:
        services.rating_record_for_referral(
            actor=actor_for_user(a.coordinator), referral_id=a.referral.pk, score=4, person_agreed=True
        )
    assert "has not agreed to share" in str(refused.value)
    assert not Rating.objects.filter(referral=a.referral).exists()


def test_bs_member_cannot_vote_for_as_idea_through_the_service(a, b_member):
    with pytest.raises(NotFoundError):
        services.idea_vote(by_user=b_member, idea_id=a.idea.public_id)
    assert IdeaVote.objects.filter(idea=a.idea).count() == 1


def test_bs_lists_and_report_show_none_of_as_rows(client, a, b_coordinator, b_member):
    for user in (b_coordinator, b_member):
        client.force_login(user)
        for name in ("voice:ideas", "voice:you-said-we-did"):
            response = client.get(reverse(name))
            assert response.status_code == 200 and SECRET not in response.content.decode(), name
    client.force_login(b_coordinator)
    report = client.get(reverse("voice:report")).content.decode()
    assert "Gardening" not in report and "No ratings in this period." in report
    client.force_login(a.coordinator)
    assert "Gardening" in client.get(reverse("voice:report")).content.decode()


def test_a_service_is_shared_but_each_timebanks_ratings_count_only_in_its_own_report(client, a, b, b_member):
    # "voice:rate-service": the directory is shared by every timebank, so B's
    # member may rate a service A's members use; the rating is B's, not A's.
    service = ServiceFactory(name="Shared lunch club")
    client.force_login(b_member)
    url = reverse("voice:rate-service", kwargs={"service_id": service.pk})
    assert client.post(url + "?easy=0", {"score": "2"}).status_code == 302
    assert Rating.objects.get(service=service).timebank == b
    client.force_login(a.coordinator)
    assert "Shared lunch club" not in client.get(reverse("voice:report")).content.decode()


def test_the_referral_page_offers_the_receiver_not_the_referrer_the_rating_link(client, a):
    detail = reverse("referrals:detail", kwargs={"referral_id": a.referral.pk})
    link = reverse("voice:rate-referral", kwargs={"referral_id": a.referral.pk})
    client.force_login(a.coordinator)
    assert link in client.get(detail).content.decode()
    client.force_login(UserFactory(username="sam"))  # the link worker who made the referral
    page = client.get(detail)
    assert page.status_code == 200 and link not in page.content.decode()
    assert client.get(link).status_code == 404
