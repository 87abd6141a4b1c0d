"""Every non-trivial read of feedback, ideas and votes, scoped to the person
reading: a member sees their own timebank's ideas; a coordinator the timebank
they are working in; an organiser their own organisation's services."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from assets.models import Service
from coproduction.involvement.models import Opportunity, Participation
from coproduction.voice.models import Idea, IdeaStatus, IdeaVote, Rating, Score, Subject
from timebank.models import Exchange, Member, Timebank, User
from timebank.permissions import SEES_OWN_TIMEBANK, visible_timebank_ids


def as_uuid(value: object) -> uuid.UUID | None:
    """An id from an address or a form as a UUID, or None when it is not one."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def voting_member(user: User) -> Member | None:
    """The login's member profile if it may propose and vote (approved, not erased)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Member.objects.filter(user_id=user.pk, status__in=SEES_OWN_TIMEBANK, erased_at__isnull=True).first()


# --- Ideas --------------------------------------------------------------------------------------


def _with_votes(queryset: QuerySet[Idea], member: Member | None) -> QuerySet[Idea]:
    mine = IdeaVote.objects.filter(idea=OuterRef("pk"), member_id=member.pk if member else 0)
    return queryset.select_related("proposed_by", "timebank").annotate(
        vote_count=Count("votes", distinct=True), has_voted=Exists(mine)
    )


def ideas_for_timebank(*, timebank: Timebank, member: Member | None) -> QuerySet[Idea]:
    """A timebank's ideas, most votes first (then newest), with whether `member` voted."""
    ideas = _with_votes(Idea.objects.filter(timebank=timebank), member)
    # vote_count is _with_votes' annotation, which the stubs cannot follow through the helper.
    return ideas.order_by("-vote_count", "-created_at", "-pk")  # type: ignore[misc]


def idea_detail(*, user: User, idea_id: object) -> Idea | None:
    """One idea, if `user` may see its timebank (a member of it, or its coordinator)."""
    pk = as_uuid(idea_id)
    if pk is None:
        return None
    ideas = Idea.objects.filter(public_id=pk, timebank_id__in=visible_timebank_ids(user))
    return _with_votes(ideas, voting_member(user)).select_related("responded_by").first()


def you_said_we_did(*, timebank: Timebank) -> QuerySet[Idea]:
    """The done ideas with what changed, most recently answered first."""
    return (
        Idea.objects.filter(timebank=timebank, status=IdeaStatus.DONE)
        .select_related("proposed_by")
        .annotate(vote_count=Count("votes"))
        .order_by("-responded_at", "-pk")
    )


# --- Ratings ------------------------------------------------------------------------------------


def exchange_to_rate(*, member: Member, exchange_id: object) -> Exchange | None:
    """An exchange `member` took part in (any status), or None."""
    pk = as_uuid(exchange_id)
    if pk is None:
        return None
    return (
        Exchange.objects.filter(public_id=pk)
        .filter(Q(provider=member) | Q(receiver_links__member=member))
        .select_related("listing", "listing__category", "provider")
        .first()
    )


def opportunity_to_rate(*, member: Member, opportunity_id: object) -> Participation | None:
    """The member's sign-up to this activity (with the activity), or None."""
    pk = as_uuid(opportunity_id)
    if pk is None:
        return None
    return Participation.objects.select_related("opportunity").filter(opportunity__public_id=pk, member=member).first()


def service_to_rate(*, service_id: object) -> Service | None:
    pk = as_uuid(service_id)
    return Service.objects.select_related("organisation").filter(pk=pk).first() if pk else None


def my_rating(
    *,
    member: Member,
    exchange: Exchange | None = None,
    service: Service | None = None,
    opportunity: Opportunity | None = None,
) -> Rating | None:
    """The member's own rating of this exchange, service or activity, to change it."""
    if opportunity is not None:
        return Rating.objects.filter(member=member, opportunity=opportunity).first()
    if exchange is not None:
        return Rating.objects.filter(member=member, exchange=exchange).first()
    if service is not None:
        return Rating.objects.filter(member=member, service=service).first()
    return None


def service_feedback_for_organiser(*, user: User) -> QuerySet[Rating]:
    """Ratings of the services of the organiser's own organisation, and of
    referrals' first contact with them: score, words and date, never who."""
    membership = getattr(user, "organisation_membership", None)
    if membership is None:
        return Rating.objects.none()
    organisation_id = membership.organisation_id
    return (
        Rating.objects.filter(
            Q(service__organisation_id=organisation_id) | Q(referral__receiving_organisation_id=organisation_id)
        )
        .select_related("service", "referral__target_service")
        .order_by("-rated_at", "-pk")
    )


# --- Reports ------------------------------------------------------------------------------------


@dataclass
class ReportRow:
    """One line of a ratings report: counts per point of the scale and the average."""

    name: str
    counts: dict[int, int] = field(default_factory=dict)
    total: int = 0
    average: float | None = None

    @property
    def cells(self) -> list[tuple[int, int]]:
        """(score, count) from Very good down to Bad, as the table's columns."""
        return [(score, self.counts.get(score, 0)) for score in sorted(Score.values, reverse=True)]


@dataclass
class RatingsReport:
    start: datetime.date
    end: datetime.date
    by_subject: list[ReportRow]
    by_category: list[ReportRow]
    by_activity: list[ReportRow]


def _aggregates() -> dict[str, Count | Avg]:
    counts: dict[str, Count | Avg] = {f"score_{s}": Count("pk", filter=Q(score=s)) for s in Score.values}
    counts["total"] = Count("pk")
    counts["average"] = Avg("score")
    return counts


def _rows(queryset: QuerySet[Rating], key: str, name_of: dict[str, str] | None = None) -> list[ReportRow]:
    rows = []
    for values in queryset.values(key).annotate(**_aggregates()).order_by(key):
        raw = values[key]
        plain = str(raw) if raw is not None else ""
        rows.append(
            ReportRow(
                name=name_of.get(plain, plain) if name_of else plain,
                counts={s: values[f"score_{s}"] for s in Score.values},
                total=values["total"],
                average=round(values["average"], 1) if values["average"] is not None else None,
            )
        )
    return rows


def ratings_report(*, timebank: Timebank, start: datetime.date, end: datetime.date) -> RatingsReport:
    """Ratings counted for `timebank` (given or changed from `start` to `end`,
    inclusive): by kind of thing, by category of help (exchanges) and by
    activity (each directory service and each involvement opportunity). Nothing of another timebank's."""
    ratings = Rating.objects.filter(timebank=timebank, rated_at__date__gte=start, rated_at__date__lte=end)
    subject_names = {value: str(label) for value, label in Subject.choices}
    by_subject = _rows(ratings, "subject", subject_names)
    exchanges = ratings.filter(subject=Subject.EXCHANGE)
    by_category = _rows(exchanges, "category__name")
    for row in by_category:
        row.name = row.name or "No category"
    by_activity = _rows(ratings.filter(subject=Subject.SERVICE), "service__name")
    activities = _rows(ratings.filter(subject=Subject.OPPORTUNITY), "opportunity__title")
    for row in activities:
        row.name = _("%(title)s (an activity to take part in)") % {"title": row.name}
    by_activity += activities
    return RatingsReport(start=start, end=end, by_subject=by_subject, by_category=by_category, by_activity=by_activity)
