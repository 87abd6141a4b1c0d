"""The timebank path of a referral: what happens to a referral to the timebank
as the person joins and takes part, told by the timebank's hooks
(timebank/hooks.py, connected in referrals.apps).

| the timebank says                   | the referral                                         |
|-------------------------------------|------------------------------------------------------|
| member_approved                     | requested -> accepted, "joined-timebank"             |
| member_declined                     | requested -> rejected, the coordinator's note as why |
| first_exchange_posted               | accepted -> in-progress, "first-exchange-posted"     |
| exchange_posted, given reaches 60   | (status kept) "first-hour-given"                     |
| (REFERRAL_FOLLOW_UP_DAYS after accepted, referral_follow_ups_due) | "follow-up-due"          |

Invariants:
- every move is one the state table allows (states.py) and keeps business
  status only on accepted, in-progress or on-hold; a referral that has moved on
  meanwhile (cancelled by the referrer, entered in error) is left alone;
- each move writes a history row, a webhook event and an access log row, like
  referral_transition; the actor is the coordinator who decided, or nobody when
  the system noticed, for the timebank's organisation;
- each moment happens once per referral (first_exchange_at,
  first_hour_given_at, follow_up_due_at are set once, under a row lock).

The moments for the GP record (referrals/gp_events.py) are: the approval
(`_accept`, requested -> accepted), the first hour (`referral_note_hours_given`)
and the follow-up prompt (`referral_follow_ups_due`).
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone

from core.errors import ConflictError
from referrals import gp_events, states
from referrals.actors import Actor
from referrals.models import (
    AccessAction,
    AccessOutcome,
    BusinessStatus,
    Referral,
    ReferralHistory,
    ReferralStatus,
)
from referrals.services import access_log_record
from referrals.webhooks import queue_referral_event
from timebank.models import Member, User
from timebank.selectors.accounts import member_minutes_given

# Minutes given that make "their first hour".
FIRST_HOUR_MINUTES = 60
DECLINED_REASON = "The timebank could not take the application."
FOLLOW_UP_REASON = "Three months since the person joined: time to ask how it is going."
# The statuses a referral on the timebank path can still move from.
_OPEN = frozenset({ReferralStatus.REQUESTED}) | states.ACTIVE


def _move(
    referral: Referral,
    *,
    to: str,
    business_status: str,
    by_user: User | None = None,
    reason: str = "",
) -> None:
    """Move a locked referral (or change its business status), with its history
    row, webhook event and access log row. The caller checked the move is legal."""
    from_status = referral.status
    if states.who_may_move(from_status, to) is None:
        # The callers choose only legal moves; this guards the table's invariant.
        raise ConflictError(f"A referral that is {from_status} cannot be moved to {to}.")
    referral.status = to
    referral.business_status = business_status
    if from_status != to:
        referral.status_reason = reason
    referral.save()
    ReferralHistory.objects.create(
        referral=referral,
        from_status=from_status,
        to_status=to,
        business_status=business_status,
        reason=reason,
        organisation_id=referral.receiving_organisation_id,
        actor=by_user,
    )
    # The GP record's coded events for this moment ("seen" at the first exchange).
    gp_events.record_transition(referral, from_status=from_status)
    queue_referral_event(
        referral=referral, event="referral.status_changed" if from_status != to else "referral.updated"
    )
    access_log_record(
        actor=Actor(user=by_user, organisation=referral.receiving_organisation),
        action=AccessAction.TRANSITION,
        outcome=AccessOutcome.ALLOWED,
        referral_ids=[referral.pk],
    )


def _locked_referrals(member: Member | int, **filters: object) -> list[Referral]:
    """The member's referrals still on the path, oldest first, locked (only their rows)."""
    return list(
        Referral.objects.select_for_update(of=("self",))
        .select_related("receiving_organisation")
        .filter(member=member, anonymised_at__isnull=True, status__in=_OPEN, **filters)
        .order_by("created_at")
    )


def _accept(referral: Referral, *, by_user: User | None) -> None:
    _move(referral, to=ReferralStatus.ACCEPTED, business_status=BusinessStatus.JOINED_TIMEBANK, by_user=by_user)


def referral_accept_on_approval(*, member: Member, by_user: User | None) -> list[Referral]:
    """member_approved: the coordinator approved the application a referral made,
    so the referral is accepted. One still waiting only; others are left as they are."""
    # Why atomic + lock: inside the approval's transaction already; the lock stops
    # the referrer cancelling the same referral halfway through.
    with transaction.atomic():
        referrals = [r for r in _locked_referrals(member) if r.status == ReferralStatus.REQUESTED]
        for referral in referrals:
            _accept(referral, by_user=by_user)
    return referrals


def referral_reject_on_decline(*, member: Member, by_user: User | None, note: str = "") -> list[Referral]:
    """member_declined: the application was declined, so the referral is rejected
    with the coordinator's note as the reason (a plain default when none)."""
    reason = (note or "").strip()[:500] or DECLINED_REASON
    with transaction.atomic():
        referrals = [r for r in _locked_referrals(member) if r.status == ReferralStatus.REQUESTED]
        for referral in referrals:
            _move(referral, to=ReferralStatus.REJECTED, business_status="", by_user=by_user, reason=reason)
    return referrals


def referral_note_first_exchange(*, member: Member) -> Referral | None:
    """first_exchange_posted: the person has started. Their referral moves to in
    progress with "first-exchange-posted" (accepted first, if an approval made
    before the timebank path was connected left it requested). On hold, it stays
    on hold with the new business status. Does nothing after the first."""
    # Why atomic + lock: two exchanges posted at once must record "first" once.
    with transaction.atomic():
        referral = next(iter(_locked_referrals(member, first_exchange_at__isnull=True)), None)
        if referral is None:
            return None
        if referral.status == ReferralStatus.REQUESTED:
            _accept(referral, by_user=None)
        referral.first_exchange_at = timezone.now()
        to = ReferralStatus.IN_PROGRESS if referral.status == ReferralStatus.ACCEPTED else referral.status
        _move(referral, to=to, business_status=BusinessStatus.FIRST_EXCHANGE_POSTED)
        return referral


def referral_note_hours_given(*, giver: Member, minutes: int) -> Referral | None:
    """exchange_posted: when the giver was referred and has not yet given their
    first hour, add up what they have given; at 60 minutes their referral says
    "first-hour-given" (its status stays as it is)."""
    # One indexed query (Referral.member) for every posted exchange; the sum only
    # for the few givers who were referred and have not reached their hour.
    waiting = Referral.objects.filter(
        member=giver, first_hour_given_at__isnull=True, anonymised_at__isnull=True, status__in=states.ACTIVE
    ).exists()
    if not waiting or member_minutes_given(member=giver) < FIRST_HOUR_MINUTES:
        return None
    with transaction.atomic():
        referral = next(
            iter(
                r
                for r in _locked_referrals(giver, first_hour_given_at__isnull=True)
                if r.status in states.BUSINESS_STATUS_UPDATABLE
            ),
            None,
        )
        if referral is None:
            return None
        referral.first_hour_given_at = timezone.now()
        _move(referral, to=referral.status, business_status=BusinessStatus.FIRST_HOUR_GIVEN)
        return referral


def referral_follow_ups_due(*, now: datetime.datetime | None = None) -> list[Referral]:
    """Raise the follow-up prompt on each referral (to the timebank or a service)
    accepted at least REFERRAL_FOLLOW_UP_DAYS ago and still active: the business
    status says "follow-up-due" and the link worker is told by webhook. Once
    per referral: running it again raises nothing new. Returns those prompted."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.REFERRAL_FOLLOW_UP_DAYS)
    # When the referral was first accepted: its first history row into accepted.
    accepted_at = (
        ReferralHistory.objects.filter(referral=OuterRef("pk"), to_status=ReferralStatus.ACCEPTED)
        .order_by()
        .values("referral")
        .annotate(first=Min("at"))
        .values("first")
    )
    due_ids = list(
        Referral.objects.filter(status__in=states.ACTIVE, follow_up_due_at__isnull=True, anonymised_at__isnull=True)
        .annotate(accepted_at=Subquery(accepted_at))
        .filter(accepted_at__lte=cutoff)
        .values_list("pk", flat=True)
    )
    prompted = []
    for pk in due_ids:
        # Why one transaction each: one referral's fault must not hold back the rest,
        # and the lock + recheck makes two runs at once prompt once.
        with transaction.atomic():
            referral = (
                Referral.objects.select_for_update(of=("self",))
                .select_related("receiving_organisation")
                .filter(pk=pk, status__in=states.ACTIVE, follow_up_due_at__isnull=True, anonymised_at__isnull=True)
                .first()
            )
            if referral is None:
                continue
            referral.follow_up_due_at = now
            _move(referral, to=referral.status, business_status=BusinessStatus.FOLLOW_UP_DUE, reason=FOLLOW_UP_REASON)
            prompted.append(referral)
    return prompted
