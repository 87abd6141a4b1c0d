"""Feedback, ideas and votes (coproduction.voice): each rule, through the real
services and pages, with what a person sees and what is in the database."""

from __future__ import annotations

import datetime
import io
import threading
import uuid

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from assets.models import OrganisationMembership
from coproduction.involvement.models import Opportunity, Participation
from coproduction.voice import services
from coproduction.voice.models import Idea, IdeaStatus, IdeaVote, Rating, Subject
from core.errors import ConflictError, InvalidInputError, NotAllowedError, NotFoundError
from privacy import selectors as privacy_export
from privacy.services import member_erase
from tests.assets.factories import OrganisationFactory, ServiceFactory
from tests.brokering.factories import exchange as make_exchange
from tests.factories import ListingFactory, MemberFactory, UserFactory, category
from timebank.models import MemberStatus, Role, Timebank

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def margaret():
    return MemberFactory(display_name="Margaret", user__username="margaret")


@pytest.fixture
def tariq():
    return MemberFactory(display_name="Tariq", user__username="tariq")


@pytest.fixture
def coordinator():
    return UserFactory(username="coord", roles=[Role.COORDINATOR])


def login(client, user):
    client.force_login(user)
    return client


def posted_exchange(provider, receiver, **extra):
    listing = ListingFactory(member=provider, category=category("gardening", timebank=provider.timebank))
    return make_exchange(provider, receiver, status="posted", listing=listing, description="Weeding", **extra)


# --- Ideas and votes ----------------------------------------------------------------------------


def test_a_member_proposes_an_idea_for_their_own_timebank(client, margaret):
    login(client, margaret.user)
    page = client.post(reverse("voice:idea-new"), {"title": "  A coffee morning  ", "description": "Tea and chat."})
    idea = Idea.objects.get()
    assert page.status_code == 302 and page.url == reverse("voice:idea", args=[idea.public_id])
    assert (idea.timebank_id, idea.proposed_by, idea.title, idea.status) == (
        margaret.timebank_id,
        margaret,
        "A coffee morning",
        IdeaStatus.OPEN,
    )
    shown = client.get(page.url).content.decode()
    assert "A coffee morning" in shown and "0 votes" in shown and "Suggested by Margaret" in shown


def test_an_idea_without_a_title_shows_the_form_again_with_the_message_and_keeps_nothing(client, margaret):
    login(client, margaret.user)
    page = client.post(reverse("voice:idea-new"), {"title": "   ", "description": "x" * 2001})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Enter your idea in a few words." in html and "There is a problem" in html
    assert "Ensure this value has at most 2000 characters" in html
    assert not Idea.objects.exists()


def test_one_vote_per_member_a_second_vote_leaves_one(client, margaret, tariq):
    idea = services.idea_propose(by_user=margaret.user, title="Seed swap")
    login(client, tariq.user)
    vote_url = reverse("voice:idea-vote", args=[idea.public_id])
    client.post(vote_url, {"action": "vote"})
    client.post(vote_url, {"action": "vote"})
    assert IdeaVote.objects.filter(idea=idea).count() == 1
    html = client.get(reverse("voice:idea", args=[idea.public_id])).content.decode()
    assert "1 vote" in html and "You voted for this" in html and "Take back my vote" in html


def test_the_database_refuses_a_second_vote_even_past_the_service(margaret, tariq):
    idea = services.idea_propose(by_user=margaret.user, title="Seed swap")
    IdeaVote.objects.create(idea=idea, member=tariq)
    with pytest.raises(IntegrityError), transaction.atomic():
        IdeaVote.objects.create(idea=idea, member=tariq)
    assert IdeaVote.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_double_click_at_the_same_moment_leaves_one_vote():
    timebank = Timebank.objects.create(name="Vote tests", slug=f"vote-{uuid.uuid4().hex[:8]}")
    proposer, voter = (MemberFactory(timebank=timebank, user__roles=[]) for _ in range(2))
    idea = services.idea_propose(by_user=proposer.user, title="Bench by the bus stop")
    barrier, errors = threading.Barrier(4), []

    def vote():
        try:
            barrier.wait()
            services.idea_vote(by_user=voter.user, idea_id=idea.public_id)
        except Exception as error:  # any error fails the test below
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=vote) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert IdeaVote.objects.filter(idea=idea, member=voter).count() == 1


def test_a_member_may_take_their_vote_back(client, margaret, tariq):
    idea = services.idea_propose(by_user=margaret.user, title="Seed swap")
    services.idea_vote(by_user=tariq.user, idea_id=idea.public_id)
    login(client, tariq.user)
    client.post(reverse("voice:idea-vote", args=[idea.public_id]), {"action": "withdraw"})
    assert not IdeaVote.objects.exists()


def test_ideas_are_listed_most_votes_first(client, margaret, tariq):
    quiet = services.idea_propose(by_user=margaret.user, title="Quiet idea")
    popular = services.idea_propose(by_user=margaret.user, title="Popular idea")
    services.idea_vote(by_user=tariq.user, idea_id=popular.public_id)
    services.idea_vote(by_user=margaret.user, idea_id=popular.public_id)
    services.idea_vote(by_user=tariq.user, idea_id=quiet.public_id)
    html = login(client, tariq.user).get(reverse("voice:ideas")).content.decode()
    assert html.index("Popular idea") < html.index("Quiet idea")
    assert "2 votes" in html and "1 vote" in html


def test_only_approved_members_vote_not_applicants_nor_coordinators_without_a_profile(margaret, coordinator):
    idea = services.idea_propose(by_user=margaret.user, title="Seed swap")
    applicant = MemberFactory(status=MemberStatus.APPLIED)
    for user in (applicant.user, coordinator):
        with pytest.raises(NotAllowedError):
            services.idea_vote(by_user=user, idea_id=idea.public_id)
    assert not IdeaVote.objects.exists()


def test_an_answered_idea_takes_no_more_votes(margaret, tariq, coordinator):
    idea = services.idea_propose(by_user=margaret.user, title="Seed swap")
    services.idea_respond(
        by_user=coordinator, idea_id=idea.public_id, status=IdeaStatus.NOT_NOW, response="Maybe later."
    )
    with pytest.raises(ConflictError):
        services.idea_vote(by_user=tariq.user, idea_id=idea.public_id)
    assert not IdeaVote.objects.exists()


def test_a_coordinator_answers_publicly_and_done_ideas_are_on_you_said_we_did(client, margaret, tariq, coordinator):
    done = services.idea_propose(by_user=margaret.user, title="Coffee morning")
    planned = services.idea_propose(by_user=margaret.user, title="Phone drop-in")
    login(client, coordinator)
    answer = client.post(
        reverse("voice:idea-respond", args=[done.public_id]),
        {"status": "done", "response": "We started one at the library, first Tuesday of the month."},
    )
    assert answer.status_code == 302
    services.idea_respond(by_user=coordinator, idea_id=planned.public_id, status="planned", response="In March.")
    done.refresh_from_db()
    assert (done.status, done.responded_by, done.responded_at is not None) == ("done", coordinator, True)

    login(client, tariq.user)
    detail = client.get(reverse("voice:idea", args=[done.public_id])).content.decode()
    assert "first Tuesday of the month" in detail and "Done" in detail
    wall = client.get(reverse("voice:you-said-we-did")).content.decode()
    assert "Coffee morning" in wall and "first Tuesday of the month" in wall
    assert "Phone drop-in" not in wall


def test_the_person_who_proposed_the_idea_hears_the_answer_after_commit(
    margaret, coordinator, django_capture_on_commit_callbacks
):
    idea = services.idea_propose(by_user=margaret.user, title="Coffee morning")
    with django_capture_on_commit_callbacks(execute=True):
        services.idea_respond(
            by_user=coordinator, idea_id=idea.public_id, status="planned", response="We will start one in March."
        )
    (notice,) = mail.outbox
    assert notice.to == [margaret.user.email or margaret.email]
    assert "Coffee morning" in notice.body and "We will start one in March." in notice.body and "Planned" in notice.body
    assert reverse("voice:idea", args=[idea.public_id]) in notice.body
    # A refused answer sends nothing.
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidInputError):
        services.idea_respond(by_user=coordinator, idea_id=idea.public_id, status="done", response="")
    assert len(mail.outbox) == 1


def test_an_answer_needs_a_status_and_words_and_bad_input_changes_nothing(client, margaret, coordinator):
    idea = services.idea_propose(by_user=margaret.user, title="Coffee morning")
    login(client, coordinator)
    page = client.post(reverse("voice:idea-respond", args=[idea.public_id]), {"status": "", "response": ""})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Choose what is happening with this idea." in html and "Enter your answer." in html
    with pytest.raises(InvalidInputError):
        services.idea_respond(by_user=coordinator, idea_id=idea.public_id, status="open", response="x")
    idea.refresh_from_db()
    assert (idea.status, idea.response) == ("open", "")


def test_a_member_cannot_answer_ideas(client, margaret, tariq):
    idea = services.idea_propose(by_user=margaret.user, title="Coffee morning")
    login(client, tariq.user)
    assert client.get(reverse("voice:idea-respond", args=[idea.public_id])).status_code == 404
    with pytest.raises(NotFoundError):
        services.idea_respond(by_user=tariq.user, idea_id=idea.public_id, status="done", response="Done it myself")
    assert Idea.objects.get().status == "open"


def test_visitors_are_sent_to_log_in_for_ideas_and_you_said_we_did(client):
    for name in ("voice:ideas", "voice:you-said-we-did"):
        page = client.get(reverse(name))
        assert page.status_code == 302 and "/login/" in page.url


# --- Rating an exchange ---------------------------------------------------------------------------


def test_a_member_rates_an_exchange_they_took_part_in_and_may_change_it(client, margaret, tariq):
    exchange = posted_exchange(tariq, margaret)
    login(client, margaret.user)
    url = reverse("voice:rate-exchange", args=[exchange.public_id])
    form = client.get(url + "?easy=0").content.decode()
    assert "How did it go?" in form and "Very good" in form and "Not good" in form and "<legend>" in form
    first = client.post(url + "?easy=0", {"score": "4", "words": "Kind and quick."})
    assert first.status_code == 302
    thanks = client.get(first.url).content.decode()
    assert "Thank you" in thanks and "Good" in thanks and "Kind and quick." in thanks
    client.post(url + "?easy=0", {"score": "5", "words": ""})
    rating = Rating.objects.get()
    assert (rating.subject, rating.member, rating.exchange, rating.score, rating.words) == (
        Subject.EXCHANGE,
        margaret,
        exchange,
        5,
        "",
    )
    assert rating.timebank_id == exchange.timebank_id and rating.category.slug == "gardening"


def test_the_provider_may_rate_too_but_not_someone_outside_the_exchange(client, margaret, tariq):
    exchange = posted_exchange(tariq, margaret)
    services.rating_record_for_exchange(
        by_user=tariq.user, exchange_id=exchange.public_id, answer=services.RatingAnswer(score=5)
    )
    outsider = MemberFactory()
    assert (
        login(client, outsider.user).get(reverse("voice:rate-exchange", args=[exchange.public_id])).status_code == 404
    )
    with pytest.raises(NotFoundError):
        services.rating_record_for_exchange(
            by_user=outsider.user, exchange_id=exchange.public_id, answer=services.RatingAnswer(score=1)
        )
    assert list(Rating.objects.values_list("member", flat=True)) == [tariq.pk]


def test_an_exchange_that_has_not_happened_cannot_be_rated(client, margaret, tariq):
    exchange = make_exchange(tariq, margaret, status="accepted")
    html = login(client, margaret.user).get(reverse("voice:rate-exchange", args=[exchange.public_id])).content.decode()
    assert "once the exchange has happened" in html and "<form" not in html.split("<main", 1)[-1]
    with pytest.raises(ConflictError):
        services.rating_record_for_exchange(
            by_user=margaret.user, exchange_id=exchange.public_id, answer=services.RatingAnswer(score=3)
        )
    assert not Rating.objects.exists()


def test_no_face_chosen_or_too_many_words_shows_the_message_next_to_the_field(client, margaret, tariq):
    exchange = posted_exchange(tariq, margaret)
    login(client, margaret.user)
    url = reverse("voice:rate-exchange", args=[exchange.public_id]) + "?easy=0"
    html = client.post(url, {"score": "", "words": "x" * 501}).content.decode()
    assert "Choose how it went, from Very good to Bad." in html
    assert "Ensure this value has at most 500 characters" in html
    assert 'id="id_score_group"' in html and 'href="#id_score_group"' in html
    assert client.post(url, {"score": "9"}).status_code == 200
    assert not Rating.objects.exists()


def test_the_database_keeps_one_rating_per_member_per_exchange(margaret, tariq):
    exchange = posted_exchange(tariq, margaret)
    values = {"subject": "exchange", "member": margaret, "exchange": exchange, "score": 3, "rated_at": timezone.now()}
    Rating.objects.create(**values)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(**values)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(**{**values, "member": tariq, "score": 6})


def test_the_exchange_page_offers_the_rate_link_only_once_it_has_happened(client, margaret, tariq):
    done = posted_exchange(tariq, margaret)
    waiting = make_exchange(tariq, margaret, status="accepted")
    login(client, margaret.user)
    link = reverse("voice:rate-exchange", args=[done.public_id])
    assert link in client.get(reverse("timebank:exchange-detail", args=[done.public_id])).content.decode()
    waiting_page = client.get(reverse("timebank:exchange-detail", args=[waiting.public_id])).content.decode()
    assert "Rate this exchange" not in waiting_page


# --- Easy read ----------------------------------------------------------------------------------


def test_easy_read_asks_one_question_a_screen_and_keeps_nothing_until_the_end(client, tariq):
    margaret = MemberFactory(communication_needs=["easy-read"])
    exchange = posted_exchange(tariq, margaret)
    login(client, margaret.user)
    url = reverse("voice:rate-exchange", args=[exchange.public_id])
    first = client.get(url).content.decode()
    assert "Pick one face." in first and "Anything you want to say" not in first and 'name="words"' not in first
    second = client.post(url + "?easy=1", {"step": "score", "score": "2"}).content.decode()
    assert "Do you want to tell us more?" in second and "Not good" in second
    assert not Rating.objects.exists()
    done = client.post(url + "?easy=1", {"step": "words", "score": "2", "words": "Late."})
    assert done.status_code == 302
    rating = Rating.objects.get()
    assert (rating.score, rating.words, rating.easy_read) == (2, "Late.", True)


def test_easy_read_is_a_link_away_for_everyone_and_the_standard_form_for_easy_readers(client, margaret, tariq):
    exchange = posted_exchange(tariq, margaret)
    login(client, margaret.user)
    url = reverse("voice:rate-exchange", args=[exchange.public_id])
    assert "Use the easy read version" in client.get(url).content.decode()
    assert "Pick one face." in client.get(url + "?easy=1").content.decode()


# --- Rating a directory service -------------------------------------------------------------------


@pytest.fixture
def befrienders():
    organisation = OrganisationFactory(name="Befrienders")
    organiser = UserFactory(username="priya", roles=[Role.GROUP_ORGANISER], email="priya@example.org")
    OrganisationMembership.objects.create(user=organiser, organisation=organisation, role="organiser")
    return ServiceFactory(organisation=organisation, name="Tuesday tea club"), organiser


def test_a_member_rates_a_service_and_its_organiser_is_told_after_commit(
    client, margaret, befrienders, django_capture_on_commit_callbacks
):
    service = befrienders[0]
    login(client, margaret.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("voice:rate-service", args=[service.pk]) + "?easy=0", {"score": "5", "words": "Warm welcome"}
        )
    rating = Rating.objects.get()
    assert (rating.subject, rating.service, rating.timebank_id, rating.member) == (
        "service",
        service,
        margaret.timebank_id,
        margaret,
    )
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == ["priya@example.org"] and "Tuesday tea club" in notice.subject
    assert "Margaret" not in notice.body and "Warm welcome" not in notice.body
    assert reverse("voice:service-feedback") in notice.body
    # Changing the rating sends no second notice.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("voice:rate-service", args=[service.pk]) + "?easy=0", {"score": "4"})
    assert len(mail.outbox) == 1 and Rating.objects.get().score == 4


def test_a_rating_that_is_refused_sends_nothing(margaret, befrienders, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidInputError):
        services.rating_record_for_service(
            by_user=margaret.user, service_id=befrienders[0].pk, answer=services.RatingAnswer(score=0)
        )
    assert mail.outbox == [] and not Rating.objects.exists()


def test_the_organiser_reads_the_feedback_without_names_and_other_organisers_see_none(client, margaret, befrienders):
    service, organiser = befrienders
    services.rating_record_for_service(
        by_user=margaret.user, service_id=service.pk, answer=services.RatingAnswer(score=2, words="Too noisy")
    )
    html = login(client, organiser).get(reverse("voice:service-feedback")).content.decode()
    assert "Tuesday tea club" in html and "Too noisy" in html and "Not good" in html
    assert "Margaret" not in html
    stranger = UserFactory(username="other-organiser", roles=[Role.GROUP_ORGANISER])
    OrganisationMembership.objects.create(user=stranger, organisation=OrganisationFactory(), role="organiser")
    assert "Too noisy" not in login(client, stranger).get(reverse("voice:service-feedback")).content.decode()
    assert login(client, margaret.user).get(reverse("voice:service-feedback")).status_code == 404


def test_the_service_page_offers_members_the_rate_link_and_visitors_none(client, margaret, befrienders):
    service = befrienders[0]
    link = reverse("voice:rate-service", args=[service.pk])
    assert link not in client.get(reverse("assets:service", args=[service.pk])).content.decode()
    assert link in login(client, margaret.user).get(reverse("assets:service", args=[service.pk])).content.decode()


# --- Rating an activity (an involvement opportunity) --------------------------------------------


def opportunity_with(member, *, status="attended", title="Planning the summer fair"):
    """An activity of the member's timebank and their sign-up to it (rows as
    coproduction.involvement keeps them; its own tests cover how they are made)."""
    opportunity = Opportunity.objects.create(
        timebank=member.timebank,
        title=title,
        what="Help choose the stalls.",
        starts_at=timezone.now() - datetime.timedelta(days=2),
        duration_minutes=90,
        contact_name="Coordinator",
        contact_phone="0118 496 0999",
        status="published",
    )
    Participation.objects.create(opportunity=opportunity, member=member, status=status)
    return opportunity


def test_a_member_who_attended_an_activity_rates_it(client, margaret):
    opportunity = opportunity_with(margaret)
    login(client, margaret.user)
    url = reverse("voice:rate-opportunity", args=[opportunity.public_id]) + "?easy=0"
    assert client.post(url, {"score": "5", "words": "I felt listened to."}).status_code == 302
    rating = Rating.objects.get()
    assert (rating.subject, rating.opportunity, rating.member, rating.timebank_id, rating.score) == (
        "opportunity",
        opportunity,
        margaret,
        margaret.timebank_id,
        5,
    )
    from coproduction.voice.selectors import ratings_report

    today = timezone.localdate()
    (row,) = ratings_report(timebank=margaret.timebank, start=today, end=today).by_activity
    assert row.name.startswith("Planning the summer fair") and row.counts[5] == 1


def test_the_activity_page_offers_the_rating_once_the_member_attended(client, margaret):
    attended = opportunity_with(margaret)
    signed_up = opportunity_with(margaret, status="signed-up", title="Choosing the bus routes")
    login(client, margaret.user)

    attended_page = client.get(reverse("involvement:opportunity", args=[attended.public_id])).content.decode()
    signed_up_page = client.get(reverse("involvement:opportunity", args=[signed_up.public_id])).content.decode()

    rate_url = reverse("voice:rate-opportunity", args=[attended.public_id])
    assert "Rate this activity" in attended_page and rate_url in attended_page
    assert "Rate this activity" not in signed_up_page


def test_only_those_who_attended_may_rate_an_activity(client, margaret, tariq):
    signed_up = opportunity_with(margaret, status="signed-up")
    html = login(client, margaret.user).get(reverse("voice:rate-opportunity", args=[signed_up.public_id])).content
    assert b"once you have been to it" in html
    with pytest.raises(ConflictError):
        services.rating_record_for_opportunity(
            by_user=margaret.user, opportunity_id=signed_up.public_id, answer=services.RatingAnswer(score=4)
        )
    attended = opportunity_with(margaret)
    assert (
        login(client, tariq.user).get(reverse("voice:rate-opportunity", args=[attended.public_id])).status_code == 404
    )
    with pytest.raises(NotFoundError):
        services.rating_record_for_opportunity(
            by_user=tariq.user, opportunity_id=attended.public_id, answer=services.RatingAnswer(score=4)
        )
    assert not Rating.objects.exists()


def test_the_database_keeps_one_rating_per_member_per_activity(margaret):
    opportunity = opportunity_with(margaret)
    values = {"subject": "opportunity", "member": margaret, "opportunity": opportunity, "score": 3}
    Rating.objects.create(**values, rated_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(**values, rated_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(**{**values, "subject": "exchange"}, rated_at=timezone.now())


# --- Reports ------------------------------------------------------------------------------------


def test_the_report_counts_each_point_and_the_average_by_category_and_by_service(client, coordinator, befrienders):
    service = befrienders[0]
    helper = MemberFactory()
    people = [MemberFactory() for _ in range(3)]
    for member, score in zip(people, (5, 4, 4), strict=True):
        exchange = posted_exchange(helper, member)
        services.rating_record_for_exchange(
            by_user=member.user, exchange_id=exchange.public_id, answer=services.RatingAnswer(score=score)
        )
    services.rating_record_for_service(
        by_user=people[0].user, service_id=service.pk, answer=services.RatingAnswer(score=1)
    )
    old = Rating.objects.filter(service=service).get()
    html = login(client, coordinator).get(reverse("voice:report")).content.decode()
    assert "Gardening" in html and "Tuesday tea club" in html
    assert "4.3" in html  # (5 + 4 + 4) / 3
    from coproduction.voice.selectors import ratings_report

    today = timezone.localdate()
    report = ratings_report(timebank=people[0].timebank, start=today, end=today)
    (gardening,) = report.by_category
    assert (gardening.counts, gardening.total, gardening.average) == ({5: 1, 4: 2, 3: 0, 2: 0, 1: 0}, 3, 4.3)
    (tea,) = report.by_activity
    assert (tea.name, tea.total, tea.counts[1]) == ("Tuesday tea club", 1, 1)
    # Outside the period: not counted.
    Rating.objects.filter(pk=old.pk).update(rated_at=timezone.now() - datetime.timedelta(days=200))
    later = ratings_report(timebank=people[0].timebank, start=today - datetime.timedelta(days=90), end=today)
    assert later.by_activity == []


def test_a_period_that_ends_before_it_starts_is_refused_on_the_form(client, coordinator):
    html = login(client, coordinator).get(reverse("voice:report") + "?start=2026-05-01&end=2026-01-01").content.decode()
    assert "The start must be on or before the end." in html and "By kind of thing rated" not in html


def test_members_cannot_open_the_report(client, margaret):
    assert login(client, margaret.user).get(reverse("voice:report")).status_code == 404


# --- Privacy ------------------------------------------------------------------------------------


def test_the_export_holds_the_members_ratings_ideas_and_votes_and_erasure_blanks_their_words(
    margaret, tariq, coordinator
):
    exchange = posted_exchange(tariq, margaret)
    services.rating_record_for_exchange(
        by_user=margaret.user, exchange_id=exchange.public_id, answer=services.RatingAnswer(score=4, words="Lovely")
    )
    idea = services.idea_propose(by_user=margaret.user, title="Margaret's seed swap", description="At number 4")
    services.idea_vote(by_user=margaret.user, idea_id=idea.public_id)
    for label in ("voice.Rating", "voice.Idea", "voice.IdeaVote"):
        assert list(privacy_export.EXPORT_REGISTRY[label].rows(margaret)), label
    member_erase(by_user=coordinator, member=margaret)
    idea.refresh_from_db()
    assert Rating.objects.get().words == "" and Rating.objects.get().score == 4
    assert (idea.title, idea.description) == (services.ERASED_IDEA_TITLE, "")
    assert IdeaVote.objects.filter(member=margaret).count() == 1


# --- Demo ---------------------------------------------------------------------------------------


def test_the_demo_has_ideas_with_votes_one_on_you_said_we_did_and_some_ratings_made_once(client):
    call_command("seed_demo", stdout=io.StringIO())
    counts = (Idea.objects.count(), IdeaVote.objects.count(), Rating.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Idea.objects.count(), IdeaVote.objects.count(), Rating.objects.count()) == counts
    assert counts[0] == 3 and counts[1] >= 5 and counts[2] >= 3
    assert client.post("/login/", {"username": "tariq@example.org", "password": "timecommons-demo"}).status_code == 302
    wall = client.get(reverse("voice:you-said-we-did")).content.decode()
    assert "A monthly coffee morning at the library" in wall and "Battle Library" in wall
