"""Every write of feedback, ideas and votes.

Rules (docs/coproduction-voice.md):
- A rating is 1 to 5 with optional words (at most 500 characters). One per
  person per thing: rating again changes the score and words (the unique
  constraints in models.py hold it even when two requests race).
- An exchange is rated by a member who took part in it (provider or
  receiver), once it is done, confirmed or posted.
- An activity (an involvement opportunity) is rated by a member whose
  attendance was recorded.
- A service of the directory is rated by a member of a timebank; its
  organisers get a short e-mail (no name, no words) after commit.
- A referral's first contact is rated on the referred person's behalf by the
  receiving side (the service's organisation, or the target timebank's
  coordinator), only with the person's consent to share their details with
  the service, once the referral has been accepted; the score only (no free
  text about a health referral is kept beyond the referral's own retention),
  and every attempt is in the referral access log (docs/quality.md D2).
- An idea is proposed by a member of a timebank; members of that timebank
  vote (one each, may withdraw) while it is open, under consideration or
  planned; a coordinator of that timebank responds publicly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assets.models import OrganisationMembership, Service
from assets.models.directory import MembershipRole
from coproduction.involvement.models import Participation, ParticipationStatus
from coproduction.voice.models import (
    IDEA_TEXT_MAX_LENGTH,
    IDEA_TITLE_MAX_LENGTH,
    RESPONSE_MAX_LENGTH,
    VOTABLE_STATUSES,
    WORDS_MAX_LENGTH,
    Idea,
    IdeaStatus,
    IdeaVote,
    Rating,
    Score,
    Subject,
)
from coproduction.voice.selectors import as_uuid
from core.errors import ConflictError, InvalidInputError, NotAllowedError, NotFoundError
from core.text import clean_text
from referrals import states
from referrals.actors import Actor
from referrals.consent import consent_allows, referral_parties
from referrals.models import AccessAction, AccessOutcome, ConsentScope, ReferralStatus
from referrals.selectors import referrals_visible_to
from referrals.services import access_log_record
from timebank.models import Exchange, ExchangeStatus, Member, User
from timebank.notifications import notify, notify_address
from timebank.permissions import SEES_OWN_TIMEBANK, is_coordinator_of

# Exchanges that have happened, so can be rated.
RATEABLE_EXCHANGE_STATUSES = (ExchangeStatus.DONE, ExchangeStatus.CONFIRMED, ExchangeStatus.POSTED)
# A referral whose first contact can have happened: the receiver accepted it.
RATEABLE_REFERRAL_STATUSES = (
    ReferralStatus.ACCEPTED,
    ReferralStatus.IN_PROGRESS,
    ReferralStatus.ON_HOLD,
    ReferralStatus.COMPLETED,
)


@dataclass(frozen=True)
class RatingAnswer:
    """What the person chose: a score and optional words."""

    score: object
    words: str = ""
    easy_read: bool = False


def _clean_answer(answer: RatingAnswer) -> tuple[int, str]:
    try:
        score = int(str(answer.score))
    except (TypeError, ValueError):
        score = 0
    if score not in Score.values:
        raise InvalidInputError(_("Choose how it went, from Very good to Bad."), field="score")
    words = clean_text(answer.words, field="words", label=_("what you want to say"), max_length=WORDS_MAX_LENGTH)
    return score, words


def _rating_member(by_user: User) -> Member:
    """The member rating: an approved member with a login."""
    member = Member.objects.filter(user_id=by_user.pk, status__in=SEES_OWN_TIMEBANK, erased_at__isnull=True).first()
    if member is None:
        raise NotAllowedError(_("Only members of a timebank can give feedback here."))
    return member


def _save(*, key: dict[str, Any], values: dict[str, Any]) -> tuple[Rating, bool]:
    """Create the one rating for `key`, or change it. The unique constraint
    decides between two requests racing to create it: the loser changes the
    winner's row instead of making a second."""
    values = {**values, "rated_at": timezone.now()}
    try:
        # A savepoint, so a lost race leaves the outer transaction usable.
        with transaction.atomic():
            return Rating.objects.update_or_create(**key, defaults=values)
    except IntegrityError:
        Rating.objects.filter(**key).update(**values)
        return Rating.objects.get(**key), False


def rating_record_for_exchange(*, by_user: User, exchange_id: object, answer: RatingAnswer) -> Rating:
    """A member rates an exchange they took part in, once it has happened."""
    score, words = _clean_answer(answer)
    member = _rating_member(by_user)
    # One transaction: the rating is written against the exchange as it is now.
    with transaction.atomic():
        exchange = (
            Exchange.objects.select_related("listing").filter(public_id=pk).first()
            if (pk := as_uuid(exchange_id))
            else None
        )
        is_party = exchange is not None and (
            exchange.provider_id == member.pk or exchange.receiver_links.filter(member=member).exists()
        )
        if exchange is None or not is_party:
            raise NotFoundError(_("There is no such exchange."))
        if exchange.status not in RATEABLE_EXCHANGE_STATUSES:
            raise ConflictError(_("You can say how it went once the exchange has happened."))
        rating, _created = _save(
            key={"member": member, "exchange": exchange},
            values={
                "subject": Subject.EXCHANGE,
                "timebank_id": exchange.timebank_id,
                "category_id": exchange.listing.category_id if exchange.listing else None,
                "score": score,
                "words": words,
                "recorded_by": by_user,
                "easy_read": answer.easy_read,
            },
        )
        return rating


def rating_record_for_service(*, by_user: User, service_id: object, answer: RatingAnswer) -> Rating:
    """A member rates a service of the directory; its organisers are told (after commit)."""
    score, words = _clean_answer(answer)
    member = _rating_member(by_user)
    # One transaction: the e-mail to the organisers is queued on its commit (L12).
    with transaction.atomic():
        service = Service.objects.filter(pk=pk).first() if (pk := as_uuid(service_id)) else None
        if service is None:
            raise NotFoundError(_("There is no such service."))
        rating, created = _save(
            key={"member": member, "service": service},
            values={
                "subject": Subject.SERVICE,
                "timebank_id": member.timebank_id,
                "score": score,
                "words": words,
                "recorded_by": by_user,
                "easy_read": answer.easy_read,
            },
        )
        if created:
            _tell_organisers(service)
        return rating


def rating_record_for_opportunity(*, by_user: User, opportunity_id: object, answer: RatingAnswer) -> Rating:
    """A member rates an activity (an involvement opportunity) they attended."""
    score, words = _clean_answer(answer)
    member = _rating_member(by_user)
    # One transaction: the rating is written against the attendance as it is now.
    with transaction.atomic():
        pk = as_uuid(opportunity_id)
        participation = (
            Participation.objects.select_related("opportunity").filter(opportunity__public_id=pk, member=member).first()
            if pk
            else None
        )
        if participation is None:
            raise NotFoundError(_("There is no such activity."))
        if participation.status != ParticipationStatus.ATTENDED:
            raise ConflictError(_("You can say how it went once you have been to it."))
        opportunity = participation.opportunity
        rating, _created = _save(
            key={"member": member, "opportunity": opportunity},
            values={
                "subject": Subject.OPPORTUNITY,
                "timebank_id": opportunity.timebank_id,
                "score": score,
                "words": words,
                "recorded_by": by_user,
                "easy_read": answer.easy_read,
            },
        )
        return rating


def _tell_organisers(service: Service) -> None:
    """A short notice to the service's organisers: which service, and where to
    read the feedback. No name, no score, no words (they read those signed in)."""
    organisers = (
        OrganisationMembership.objects.filter(organisation_id=service.organisation_id, role=MembershipRole.ORGANISER)
        .select_related("user")
        .order_by("pk")
    )
    for membership in organisers:
        user = membership.user
        if not user.email or not user.is_active:
            continue
        notify_address(
            address=user.email,
            subject=_("New feedback on %(service)s") % {"service": service.name},
            template="voice/emails/service_feedback.txt",
            context={"service": service, "feedback_path": reverse("voice:service-feedback")},
            log_as=f"user {user.pk}",
        )


def rating_record_for_referral(*, actor: Actor, referral_id: object, score: object, person_agreed: bool) -> Rating:
    """The receiving side records the referred person's own rating of their
    first contact, on their behalf. Logged in the referral access log, allowed
    or refused (D2); a refusal leaves nothing written."""
    try:
        rating = _referral_rating(actor=actor, referral_id=referral_id, score=score, person_agreed=person_agreed)
    except (NotFoundError, NotAllowedError, ConflictError, InvalidInputError):
        access_log_record(
            actor=actor,
            action=AccessAction.OUTCOME,
            outcome=AccessOutcome.REFUSED,
            referral_ids=[as_uuid(referral_id)],
        )
        raise
    access_log_record(
        actor=actor, action=AccessAction.OUTCOME, outcome=AccessOutcome.ALLOWED, referral_ids=[rating.referral_id]
    )
    return rating


def _referral_rating(*, actor: Actor, referral_id: object, score: object, person_agreed: bool) -> Rating:
    clean_score, _words = _clean_answer(RatingAnswer(score=score))
    if not person_agreed:
        raise InvalidInputError(
            _("Record a rating only when the person told you it themselves and agreed to it being kept."),
            field="person_agreed",
        )
    # One transaction: the referral is read, checked and rated as it is now.
    with transaction.atomic():
        pk = as_uuid(referral_id)
        referral = referrals_visible_to(actor).filter(pk=pk).first() if pk else None
        if referral is None or states.RECEIVER not in referral_parties(actor, referral):
            raise NotFoundError(_("There is no referral with this id that you can see."))
        if referral.anonymised_at is not None:
            raise ConflictError(_("This referral's personal details were removed, so it can no longer be rated."))
        if referral.status not in RATEABLE_REFERRAL_STATUSES:
            raise ConflictError(_("You can record how the first contact went once the referral is accepted."))
        if not consent_allows(referral, ConsentScope.SHARE_WITH_SERVICE):
            raise NotAllowedError(
                _("The person has not agreed to share their details with the service, so no rating can be kept.")
            )
        rating, _created = _save(
            key={"referral": referral},
            values={
                "subject": Subject.REFERRAL,
                "timebank_id": referral.target_timebank_id,
                "score": clean_score,
                "words": "",
                "recorded_by": actor.user if isinstance(actor.user, User) else None,
                "on_behalf": True,
            },
        )
        return rating


# --- Ideas and votes ----------------------------------------------------------------------------


def idea_propose(*, by_user: User, title: str, description: str = "") -> Idea:
    """A member proposes an idea for their own timebank."""
    member = _rating_member(by_user)
    clean_title = clean_text(
        title, field="title", label=_("a short title"), max_length=IDEA_TITLE_MAX_LENGTH, required=True
    )
    clean_description = clean_text(
        description, field="description", label=_("your idea in a few words"), max_length=IDEA_TEXT_MAX_LENGTH
    )
    return Idea.objects.create(
        timebank_id=member.timebank_id, proposed_by=member, title=clean_title, description=clean_description
    )


def _idea_for_member(member: Member, idea_id: object, *, lock: bool = False) -> Idea:
    queryset = Idea.objects.filter(timebank_id=member.timebank_id)
    if lock:
        queryset = queryset.select_for_update()
    idea = queryset.filter(public_id=pk).first() if (pk := as_uuid(idea_id)) else None
    if idea is None:
        raise NotFoundError(_("There is no such idea."))
    return idea


def idea_vote(*, by_user: User, idea_id: object) -> IdeaVote:
    """A member votes for an idea of their timebank: one vote each. Voting
    again (a second request, a double click) leaves the one vote there is."""
    member = _rating_member(by_user)
    # One transaction: the idea is locked so a vote never lands on an idea a
    # coordinator is closing at the same moment.
    with transaction.atomic():
        idea = _idea_for_member(member, idea_id, lock=True)
        if idea.status not in VOTABLE_STATUSES:
            raise ConflictError(_("This idea has had its answer, so it can no longer be voted for."))
        try:
            # A savepoint: if another request made the vote first, the unique
            # constraint refuses this one and the existing vote is returned.
            with transaction.atomic():
                vote, _created = IdeaVote.objects.get_or_create(idea=idea, member=member)
        except IntegrityError:
            vote = IdeaVote.objects.get(idea=idea, member=member)
        return vote


def idea_vote_withdraw(*, by_user: User, idea_id: object) -> None:
    """A member takes their vote back (nothing happens if they had none)."""
    member = _rating_member(by_user)
    with transaction.atomic():
        idea = _idea_for_member(member, idea_id)
        IdeaVote.objects.filter(idea=idea, member=member).delete()


def idea_respond(*, by_user: User, idea_id: object, status: str, response: str) -> Idea:
    """A coordinator of the idea's timebank answers it publicly."""
    if status not in IdeaStatus.values or status == IdeaStatus.OPEN:
        raise InvalidInputError(_("Choose what is happening with this idea."), field="status")
    clean_response = clean_text(
        response, field="response", label=_("your answer"), max_length=RESPONSE_MAX_LENGTH, required=True
    )
    # One transaction with the idea locked: two coordinators answering at once
    # leave one answer, the later one.
    with transaction.atomic():
        idea = Idea.objects.select_for_update().filter(public_id=pk).first() if (pk := as_uuid(idea_id)) else None
        if idea is None or not is_coordinator_of(by_user, idea.timebank_id):
            raise NotFoundError(_("There is no such idea."))
        idea.status = status
        idea.response = clean_response
        idea.responded_by = by_user
        idea.responded_at = timezone.now()
        idea.save(update_fields=["status", "response", "responded_by", "responded_at"])
        # The person who proposed it hears the answer (after commit; not an erased
        # member, nor one without an address: they see it on the idea's page).
        proposer = idea.proposed_by
        if proposer.erased_at is None:
            notify(
                to_member=proposer,
                subject=_("Your idea has been answered"),
                template="voice/emails/idea_answered.txt",
                context={"idea": idea, "idea_path": reverse("voice:idea", args=[idea.public_id])},
            )
        return idea


# --- Erasure ------------------------------------------------------------------------------------

ERASED_IDEA_TITLE = "An idea from a former member"


def voice_member_erase(member: Member) -> None:
    """privacy.services.member_erase: blank the member's words. Scores and votes
    stay (they say nothing about the person once the name is gone); a
    coordinator's public answer to their idea stays."""
    Rating.objects.filter(member=member).exclude(words="").update(words="")
    Idea.objects.filter(proposed_by=member).update(title=ERASED_IDEA_TITLE, description="")
