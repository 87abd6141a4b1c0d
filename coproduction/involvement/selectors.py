"""Reads for involvement, always scoped: a member sees their own timebank's
published opportunities and their own claims; a manager (the timebank's
coordinators, staff of the host organisation) sees the opportunities they
manage and their participants and claims. Anything else is not found."""

import datetime
import uuid
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from coproduction.involvement.models import (
    ClaimStatus,
    ExpenseClaim,
    ExpenseLine,
    ExpenseReceipt,
    InvolvementProfile,
    Opportunity,
    OpportunityStatus,
    Participation,
    ParticipationStatus,
)
from coproduction.involvement.services import can_manage, host_organisation_id_of
from core.errors import NotFoundError
from timebank.models import Availability, Member, Timebank
from timebank.permissions import is_coordinator_of

NOT_FOUND = "Not found"


def _uuid(value: object) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFoundError(NOT_FOUND) from None


def member_attended(*, member: Member, opportunity: Opportunity) -> bool:
    """Did this member come (attendance recorded by the organiser)? For other
    apps (voice: only people who came give feedback on an activity)."""
    return Participation.objects.filter(
        opportunity=opportunity, member=member, status=ParticipationStatus.ATTENDED
    ).exists()


# --- What members see ---------------------------------------------------------------------


def part_of_day(moment: datetime.datetime) -> tuple[str, str]:
    """("tue", "morning") for a local time: the Availability slot it falls in."""
    local = timezone.localtime(moment)
    day = Availability.DAYS[local.weekday()]
    part = "morning" if local.hour < 12 else "afternoon" if local.hour < 17 else "evening"
    return day, part


def fit_reasons(*, member: Member, opportunity: Opportunity) -> list[str]:
    """Why an opportunity may suit this member, in plain words."""
    reasons = []
    if opportunity.online:
        reasons.append(_("Online: you can join from home."))
    if member.postcode_district and opportunity.postcode_district == member.postcode_district:
        reasons.append(_("Near you, in %(district)s.") % {"district": member.postcode_district})
    day, part = part_of_day(opportunity.starts_at)
    if member.availability & Availability.bit(day, part):
        reasons.append(_("At a time you said you are free."))
    return reasons


@dataclass
class OpportunityForMember:
    opportunity: Opportunity
    reasons: list[str] = field(default_factory=list)
    participation: Participation | None = None


def opportunities_for_member(*, member: Member) -> list[OpportunityForMember]:
    """Published opportunities of the member's timebank that have not started,
    soonest first, those that fit them best (most reasons) first on a tie of day."""
    rows = list(
        Opportunity.objects.filter(
            timebank_id=member.timebank_id, status=OpportunityStatus.PUBLISHED, starts_at__gt=timezone.now()
        )
        .select_related("host_organisation")
        .prefetch_related(Prefetch("participations", Participation.objects.filter(member=member), to_attr="mine"))
        .order_by("starts_at", "pk")[:200]
    )
    return [
        OpportunityForMember(
            opportunity=row,
            reasons=fit_reasons(member=member, opportunity=row),
            participation=row.mine[0] if row.mine else None,
        )
        for row in rows
    ]


def opportunity_for_member(*, member: Member, public_id: object) -> OpportunityForMember:
    """An opportunity of the member's own timebank they may see: published, or one
    they signed up to (closed or cancelled later)."""
    mine = Participation.objects.filter(member=member)
    opportunity = (
        Opportunity.objects.filter(public_id=_uuid(public_id), timebank_id=member.timebank_id)
        .filter(
            Q(status__in=(OpportunityStatus.PUBLISHED, OpportunityStatus.CLOSED)) | Q(participations__member=member)
        )
        .select_related("host_organisation")
        .distinct()
        .first()
    )
    if opportunity is None:
        raise NotFoundError(NOT_FOUND)
    participation = mine.filter(opportunity=opportunity).first()
    return OpportunityForMember(
        opportunity=opportunity,
        reasons=fit_reasons(member=member, opportunity=opportunity),
        participation=participation,
    )


def access_needs_of(*, member: Member) -> str | None:
    """What the member told us once about access (None: never asked yet)."""
    profile = InvolvementProfile.objects.filter(member=member).first()
    return None if profile is None else profile.access_needs


def claims_of_member(*, member: Member) -> QuerySet[ExpenseClaim]:
    return (
        ExpenseClaim.objects.filter(participation__member=member)
        .select_related("participation__opportunity")
        .prefetch_related("lines")
        .order_by("-created_at", "pk")
    )


# --- What managers see --------------------------------------------------------------------


def _managed(by_user: object, timebank: Timebank | None) -> Q | None:
    """Which opportunities the person manages, as a filter (None: none)."""
    if timebank is not None and is_coordinator_of(by_user, timebank.pk):
        return Q(timebank=timebank)
    host = host_organisation_id_of(by_user)
    return None if host is None else Q(host_organisation_id=host)


def opportunities_managed(*, by_user: object, timebank: Timebank | None) -> QuerySet[Opportunity]:
    """For a coordinator: every opportunity of the timebank they are working in;
    for staff of an organisation: those their organisation hosts."""
    where = _managed(by_user, timebank)
    if where is None:
        return Opportunity.objects.none()
    return (
        Opportunity.objects.filter(where)
        .select_related("host_organisation", "timebank")
        .annotate(signed_up=Count("participations", filter=~Q(participations__status=ParticipationStatus.WITHDRAWN)))
        .order_by("-starts_at", "pk")
    )


def opportunity_to_manage(*, by_user: object, public_id: object) -> Opportunity:
    opportunity = (
        Opportunity.objects.select_related("timebank", "host_organisation", "paid_from")
        .filter(public_id=_uuid(public_id))
        .first()
    )
    if opportunity is None or not can_manage(by_user, opportunity):
        raise NotFoundError(NOT_FOUND)
    return opportunity


def participants_of(*, opportunity: Opportunity) -> QuerySet[Participation]:
    return (
        Participation.objects.filter(opportunity=opportunity)
        .select_related("member", "expense_claim")
        .order_by("member__display_name", "pk")
    )


def claim_for_member(*, member: Member, public_id: object) -> ExpenseClaim:
    claim = (
        ExpenseClaim.objects.select_related("participation__opportunity", "participation__member")
        .filter(public_id=_uuid(public_id), participation__member=member)
        .first()
    )
    if claim is None:
        raise NotFoundError(NOT_FOUND)
    return claim


def claim_to_manage(*, by_user: object, public_id: object) -> ExpenseClaim:
    claim = (
        ExpenseClaim.objects.select_related(
            "participation__opportunity__timebank", "participation__member", "approved_by", "paid_by"
        )
        .filter(public_id=_uuid(public_id))
        .first()
    )
    if claim is None or not can_manage(by_user, claim.participation.opportunity):
        raise NotFoundError(NOT_FOUND)
    return claim


def claims_managed(*, by_user: object, timebank: Timebank | None) -> QuerySet[ExpenseClaim]:
    """Claims on opportunities the person manages, those waiting for them first."""
    where = _managed(by_user, timebank)
    if where is None:
        return ExpenseClaim.objects.none()
    opportunities = Opportunity.objects.filter(where).values("pk")
    return (
        ExpenseClaim.objects.filter(participation__opportunity__in=opportunities)
        .select_related("participation__opportunity", "participation__member")
        .annotate(estimate_pence=Sum("lines__estimate_pence"), actual_pence=Sum("lines__actual_pence"))
        .order_by("status", "submitted_at", "created_at", "pk")
    )


def claim_totals(claim: ExpenseClaim) -> tuple[int, int | None]:
    """(estimate, actual) in pence; actual None until it has been sent."""
    lines = list(claim.lines.all())
    estimate = sum(line.estimate_pence for line in lines)
    if any(line.actual_pence is None for line in lines):
        return estimate, None
    return estimate, sum(line.actual_pence or 0 for line in lines)


def claim_lines(claim: ExpenseClaim) -> QuerySet[ExpenseLine]:
    return claim.lines.select_related("receipt").order_by("pk").defer("receipt__data")


def receipt_for(*, by_user: object, member: Member | None, claim_public_id: object, line_id: int) -> ExpenseReceipt:
    """A receipt, for the claimant or someone who manages the opportunity; else not found."""
    claim = (
        ExpenseClaim.objects.select_related("participation__opportunity", "participation__member")
        .filter(public_id=_uuid(claim_public_id))
        .first()
    )
    if claim is None:
        raise NotFoundError(NOT_FOUND)
    own = member is not None and claim.participation.member_id == member.pk
    if not own and not can_manage(by_user, claim.participation.opportunity):
        raise NotFoundError(NOT_FOUND)
    receipt = ExpenseReceipt.objects.filter(line__claim=claim, line_id=line_id).first()
    if receipt is None:
        raise NotFoundError(NOT_FOUND)
    return receipt


# --- The money report ---------------------------------------------------------------------


@dataclass
class ClaimRow:
    reference: str
    opportunity: str
    status: str
    estimate_pence: int
    actual_pence: int | None
    submitted_at: datetime.datetime | None
    paid_at: datetime.datetime | None
    days_to_pay: int | None
    within_promise: bool | None


@dataclass
class ExpensesReport:
    claims: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    approved_pence: int = 0
    paid_pence: int = 0
    paid: int = 0
    paid_within_promise: int = 0
    waiting_past_promise: int = 0
    rows: list[ClaimRow] = field(default_factory=list)


def expenses_report(*, by_user: object, timebank: Timebank | None) -> ExpensesReport:
    """Claims on the opportunities the person manages: how many in each state,
    the money approved and paid, and how many were paid within the promise
    (paid at most `pay_within_days` days after the actual amounts were sent)."""
    report = ExpensesReport()
    now = timezone.now()
    claims = claims_managed(by_user=by_user, timebank=timebank).order_by("created_at", "pk")
    labels = {value: str(label) for value, label in ClaimStatus.choices}
    for claim in claims:
        estimate = claim.estimate_pence or 0  # type: ignore[attr-defined]
        actual = claim.actual_pence if claim.submitted_at else None  # type: ignore[attr-defined]
        report.claims += 1
        report.by_status[labels[claim.status]] = report.by_status.get(labels[claim.status], 0) + 1
        if claim.status in (ClaimStatus.APPROVED, ClaimStatus.PAID):
            report.approved_pence += actual or 0
        days = within = None
        if claim.status == ClaimStatus.PAID and claim.paid_at and claim.submitted_at:
            report.paid += 1
            report.paid_pence += actual or 0
            days = (claim.paid_at - claim.submitted_at).days
            within = claim.paid_at - claim.submitted_at <= datetime.timedelta(days=claim.pay_within_days)
            report.paid_within_promise += int(within)
        elif (
            claim.submitted_at
            and claim.status != ClaimStatus.DECLINED
            and now - claim.submitted_at > datetime.timedelta(days=claim.pay_within_days)
        ):
            report.waiting_past_promise += 1
        report.rows.append(
            ClaimRow(
                reference=str(claim.public_id)[:8],
                opportunity=claim.participation.opportunity.title,
                status=labels[claim.status],
                estimate_pence=estimate,
                actual_pence=actual,
                submitted_at=claim.submitted_at,
                paid_at=claim.paid_at,
                days_to_pay=days,
                within_promise=within,
            )
        )
    return report
