"""Pages of feedback, ideas and votes: thin views over coproduction.voice's
services and selectors, behind timebank.pages' access rules (another
timebank's idea, an exchange the member was not part of, a referral the
person's organisation did not receive: 404)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coproduction.involvement.models import ParticipationStatus
from coproduction.voice import selectors, services
from coproduction.voice.forms import (
    EasyScoreForm,
    EasyWordsForm,
    IdeaForm,
    IdeaResponseForm,
    PeriodForm,
    RatingForm,
    ReferralRatingForm,
)
from coproduction.voice.models import FACES, VOTABLE_STATUSES, Idea, Rating
from core.errors import DomainError, NotFoundError
from referrals import states
from referrals.actors import actor_for_user
from referrals.consent import referral_parties
from referrals.services import referral_read
from timebank.models import Member, Role, Timebank
from timebank.pages import (
    browsing_timebank,
    coordinator_page,
    member_page,
    not_found,
    not_found_as_404,
    not_found_unless,
    page_number,
    put_error_on_form,
    role_page,
    timebank_data_page,
)
from timebank.permissions import is_coordinator_of

PAGE_SIZE = 20
EASY_READ = "easy-read"


# --- Ideas --------------------------------------------------------------------------------------


@timebank_data_page
def idea_list(request: HttpRequest) -> HttpResponse:
    timebank = browsing_timebank(request)
    member = selectors.voting_member(request.user)  # type: ignore[arg-type]
    if member is not None and member.timebank_id != timebank.pk:
        member = None  # a coordinator looking at another timebank they coordinate
    page = Paginator(selectors.ideas_for_timebank(timebank=timebank, member=member), PAGE_SIZE).get_page(
        page_number(request)
    )
    return render(
        request,
        "voice/ideas.html",
        {"page": page, "timebank": timebank, "member": member, "votable": VOTABLE_STATUSES},
    )


@member_page()
def idea_new(request: HttpRequest, member: Member) -> HttpResponse:
    form = IdeaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            idea = services.idea_propose(
                by_user=request.user,  # type: ignore[arg-type]
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
            )
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, _("Thank you. Your idea is on the list for others to vote for."))
            return redirect("voice:idea", public_id=idea.public_id)
    return render(request, "voice/idea_new.html", {"form": form})


def _idea_or_404(request: HttpRequest, public_id: object) -> Idea:
    idea = selectors.idea_detail(user=request.user, idea_id=public_id)  # type: ignore[arg-type]
    not_found_unless(idea is not None)
    return idea  # type: ignore[return-value]


@timebank_data_page
def idea_detail(request: HttpRequest, public_id: object) -> HttpResponse:
    idea = _idea_or_404(request, public_id)
    member = selectors.voting_member(request.user)  # type: ignore[arg-type]
    can_vote = member is not None and member.timebank_id == idea.timebank_id and idea.status in VOTABLE_STATUSES
    return render(
        request,
        "voice/idea_detail.html",
        {
            "idea": idea,
            "can_vote": can_vote,
            "can_respond": is_coordinator_of(request.user, idea.timebank_id),
        },
    )


@require_POST
@timebank_data_page
def idea_vote(request: HttpRequest, public_id: object) -> HttpResponse:
    _idea_or_404(request, public_id)  # another timebank's idea: not found, whoever asks
    withdraw = request.POST.get("action") == "withdraw"
    try:
        if withdraw:
            services.idea_vote_withdraw(by_user=request.user, idea_id=public_id)  # type: ignore[arg-type]
            messages.success(request, _("Your vote is taken back."))
        else:
            services.idea_vote(by_user=request.user, idea_id=public_id)  # type: ignore[arg-type]
            messages.success(request, _("Thank you for your vote."))
    except NotFoundError:
        raise not_found() from None
    except DomainError as error:
        messages.error(request, error.message)
    if request.POST.get("back") == "list":
        return redirect(reverse("voice:ideas") + "#idea-" + str(public_id))
    return redirect("voice:idea", public_id=public_id)


@coordinator_page
def idea_respond(request: HttpRequest, timebank: Timebank, public_id: object) -> HttpResponse:
    idea = selectors.idea_detail(user=request.user, idea_id=public_id)  # type: ignore[arg-type]
    not_found_unless(idea is not None and idea.timebank_id == timebank.pk)
    assert idea is not None
    initial = {"status": idea.status, "response": idea.response} if idea.response else {}
    form = IdeaResponseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.idea_respond(
                by_user=request.user,  # type: ignore[arg-type]
                idea_id=idea.public_id,
                status=form.cleaned_data["status"],
                response=form.cleaned_data["response"],
            )
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, _("Your answer is shown to every member."))
            return redirect("voice:idea", public_id=idea.public_id)
    return render(request, "voice/idea_respond.html", {"idea": idea, "form": form})


@timebank_data_page
def you_said_we_did(request: HttpRequest) -> HttpResponse:
    timebank = browsing_timebank(request)
    page = Paginator(selectors.you_said_we_did(timebank=timebank), PAGE_SIZE).get_page(page_number(request))
    return render(request, "voice/you_said_we_did.html", {"page": page, "timebank": timebank})


# --- Ratings ------------------------------------------------------------------------------------


@dataclass
class RatingPage:
    """What a rating page is about, and how to save the answer."""

    title: str
    back_url: str
    back_label: str
    ready: bool
    not_ready: str
    existing: Rating | None
    save: Callable[[services.RatingAnswer], Rating]


def rating_member_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Pages where a member rates something: the view is called with their
    Member. Anyone else (an applicant, a coordinator or organiser without a
    member profile) gets the one "not found" answer, as for another
    timebank's exchange."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        member = selectors.voting_member(request.user)  # type: ignore[arg-type]
        not_found_unless(member is not None)
        return view(request, member, *args, **kwargs)

    return wrapper


def _wants_easy_read(request: HttpRequest, member: Member) -> bool:
    """Easy read when asked for (?easy=1), or when the member's communication
    needs include it (unless they chose the standard form, ?easy=0)."""
    asked = request.GET.get("easy", "")
    if asked in ("0", "1"):
        return asked == "1"
    return EASY_READ in (member.communication_needs or [])


def _rate(request: HttpRequest, member: Member, subject: RatingPage) -> HttpResponse:
    easy = _wants_easy_read(request, member)
    context: dict[str, object] = {"subject": subject, "easy": easy, "faces": FACES}
    if request.GET.get("done") == "1" and subject.existing is not None:
        return render(request, "voice/rate_thanks.html", {**context, "rating": subject.existing})
    if not subject.ready:
        return render(request, "voice/rate_not_ready.html", context)
    initial = {"score": subject.existing.score, "words": subject.existing.words} if subject.existing else {}
    done_url = f"{request.path}?done=1&easy={int(easy)}"
    if not easy:
        form = RatingForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            answer = services.RatingAnswer(score=form.cleaned_data["score"], words=form.cleaned_data["words"])
            if _saved(form, subject, answer):
                return redirect(done_url)
        return render(request, "voice/rate.html", {**context, "form": form})
    # Easy read: one question a screen. Nothing is kept until the last one.
    if request.method == "POST" and request.POST.get("step") == "words":
        words_form = EasyWordsForm(request.POST)
        if words_form.is_valid():
            answer = services.RatingAnswer(
                score=words_form.cleaned_data["score"], words=words_form.cleaned_data["words"], easy_read=True
            )
            if _saved(words_form, subject, answer):
                return redirect(done_url)
        if "score" in words_form.errors:
            return render(request, "voice/rate_easy.html", {**context, "form": EasyScoreForm(initial=initial)})
        return render(request, "voice/rate_easy_words.html", {**context, "form": words_form})
    score_form = EasyScoreForm(request.POST or None, initial=initial)
    if request.method == "POST" and score_form.is_valid():
        words_form = EasyWordsForm(
            initial={"score": score_form.cleaned_data["score"], "words": initial.get("words", "")}
        )
        return render(
            request,
            "voice/rate_easy_words.html",
            {**context, "form": words_form, "chosen": score_form.cleaned_data["score"]},
        )
    return render(request, "voice/rate_easy.html", {**context, "form": score_form})


def _saved(form: RatingForm | EasyWordsForm, subject: RatingPage, answer: services.RatingAnswer) -> bool:
    try:
        subject.save(answer)
    except NotFoundError:
        raise not_found() from None
    except DomainError as error:
        put_error_on_form(form, error)
        return False
    return True


@rating_member_page
def rate_exchange(request: HttpRequest, member: Member, public_id: object) -> HttpResponse:
    exchange = selectors.exchange_to_rate(member=member, exchange_id=public_id)
    not_found_unless(exchange is not None)
    assert exchange is not None
    user = request.user
    subject = RatingPage(
        title=exchange.description or (exchange.listing.title if exchange.listing else _("Exchange")),
        back_url=reverse("timebank:exchange-detail", args=[exchange.public_id]),
        back_label=_("Back to the exchange"),
        ready=exchange.status in services.RATEABLE_EXCHANGE_STATUSES,
        not_ready=_("You can say how it went once the exchange has happened."),
        existing=selectors.my_rating(member=member, exchange=exchange),
        save=lambda answer: services.rating_record_for_exchange(
            by_user=user,  # type: ignore[arg-type]
            exchange_id=exchange.public_id,
            answer=answer,
        ),
    )
    return _rate(request, member, subject)


@rating_member_page
def rate_opportunity(request: HttpRequest, member: Member, public_id: object) -> HttpResponse:
    participation = selectors.opportunity_to_rate(member=member, opportunity_id=public_id)
    not_found_unless(participation is not None)
    assert participation is not None
    opportunity = participation.opportunity
    user = request.user
    subject = RatingPage(
        title=opportunity.title,
        back_url=reverse("involvement:opportunity", args=[opportunity.public_id]),
        back_label=_("Back to the activity"),
        ready=participation.status == ParticipationStatus.ATTENDED,
        not_ready=_("You can say how it went once you have been to it."),
        existing=selectors.my_rating(member=member, opportunity=opportunity),
        save=lambda answer: services.rating_record_for_opportunity(
            by_user=user,  # type: ignore[arg-type]
            opportunity_id=opportunity.public_id,
            answer=answer,
        ),
    )
    return _rate(request, member, subject)


@rating_member_page
def rate_service(request: HttpRequest, member: Member, service_id: object) -> HttpResponse:
    service = selectors.service_to_rate(service_id=service_id)
    not_found_unless(service is not None)
    assert service is not None
    user = request.user
    subject = RatingPage(
        title=service.name,
        back_url=reverse("assets:service", args=[service.pk]),
        back_label=_("Back to %(service)s") % {"service": service.name},
        ready=True,
        not_ready="",
        existing=selectors.my_rating(member=member, service=service),
        save=lambda answer: services.rating_record_for_service(
            by_user=user,  # type: ignore[arg-type]
            service_id=service.pk,
            answer=answer,
        ),
    )
    return _rate(request, member, subject)


@login_required
def rate_referral(request: HttpRequest, referral_id: object) -> HttpResponse:
    """The receiving side records the person's own rating of their first contact."""
    actor = actor_for_user(request.user)
    with not_found_as_404():
        referral = referral_read(actor=actor, referral_id=referral_id)  # logged as a read (D2)
    not_found_unless(states.RECEIVER in referral_parties(actor, referral))
    existing = Rating.objects.filter(referral=referral).first()
    form = ReferralRatingForm(request.POST or None, initial={"score": existing.score} if existing else {})
    if request.method == "POST" and form.is_valid():
        try:
            services.rating_record_for_referral(
                actor=actor,
                referral_id=referral.pk,
                score=form.cleaned_data["score"],
                person_agreed=form.cleaned_data["person_agreed"],
            )
        except NotFoundError:
            raise not_found() from None
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, _("The person's rating is kept. Thank you."))
            return redirect("referrals:detail", referral_id=referral.pk)
    return render(
        request, "voice/rate_referral.html", {"referral": referral, "form": form, "existing": existing, "faces": FACES}
    )


@role_page(Role.GROUP_ORGANISER)
def service_feedback(request: HttpRequest) -> HttpResponse:
    """An organiser reads the feedback on their organisation's services."""
    ratings = selectors.service_feedback_for_organiser(user=request.user)  # type: ignore[arg-type]
    page = Paginator(ratings, PAGE_SIZE).get_page(page_number(request))
    return render(request, "voice/service_feedback.html", {"page": page, "faces": FACES})


@coordinator_page
def ratings_report(request: HttpRequest, timebank: Timebank) -> HttpResponse:
    # Always bound: with no dates asked for, the last 90 days.
    form = PeriodForm(request.GET)
    report = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        report = selectors.ratings_report(timebank=timebank, start=start, end=end)
    return render(request, "voice/report.html", {"form": form, "report": report, "timebank": timebank})
