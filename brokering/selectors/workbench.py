"""Reads for the coordinators' workbench and the member's "matches" page:
requests waiting for a match with their best suggestions (or why no one is
suggested: brokering.selectors.explanations), quiet members,
members without a first exchange, listings about to expire, requests near a
helper. (The introduction itself is brokering.services.introductions.)

Every list here is capped and loaded with a fixed number of queries, however
many rows it shows.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from geopy.distance import great_circle

from brokering.selectors.explanations import why_no_suggestions
from brokering.selectors.matching import (
    CAN_EXCHANGE,
    DISTANCE_FREE,
    Suggestion,
    bounding_box,
    describe_distance,
    describe_free_times,
    suggest_for_requests,
)
from core.errors import NotFoundError
from timebank.models import (
    CategoryRestriction,
    CommunicationNeed,
    Listing,
    ListingKind,
    ListingStatus,
    Member,
    SafeguardingCheck,
    Timebank,
)
from timebank.notifications import member_email
from timebank.selectors.safeguarding import DBS_KINDS, REFERENCE_KINDS, current_checks_q, home_visit_needs_dbs

QUIET_DAYS = 90
LIST_LIMIT = 25


@dataclass
class WaitingRequest:
    listing: Listing
    waited_days: int
    overdue: bool
    suggestions: list[Suggestion]
    # Why no one is suggested (brokering.selectors.explanations), when no one is.
    why_no_one: str = ""


def open_requests(*, timebank: Timebank, limit: int = LIST_LIMIT, suggestions_each: int = 3) -> list[WaitingRequest]:
    """Requests still waiting for a match, oldest first, with their top suggestions."""
    now = timezone.now()
    requests = list(
        Listing.objects.filter(
            timebank=timebank,
            kind=ListingKind.REQUEST,
            status=ListingStatus.OPEN,
            matched_at__isnull=True,
            expires_on__gte=timezone.localdate(),
        )
        .select_related("member", "category", "timebank")
        .order_by("created_at", "pk")[:limit]
    )
    suggestions = suggest_for_requests(requests=requests, limit=suggestions_each)
    why = why_no_suggestions(requests=[request for request in requests if not suggestions.get(request.pk)])
    alert = timebank.request_wait_alert_days
    return [
        WaitingRequest(
            listing=request,
            waited_days=(now - request.created_at).days,
            overdue=(now - request.created_at).days > alert,
            suggestions=suggestions.get(request.pk, []),
            why_no_one=why.get(request.pk, ""),
        )
        for request in requests
    ]


def carers_break_requests(
    *, timebank: Timebank, limit: int = LIST_LIMIT, suggestions_each: int = 3
) -> list[WaitingRequest]:
    """Carers' break requests still open (matched or not), oldest first, each
    with who is suggested (only helpers with a current DBS check are): flagged
    to coordinators on the workbench. A fixed number of queries."""
    now = timezone.now()
    requests = list(
        Listing.objects.filter(
            timebank=timebank,
            kind=ListingKind.REQUEST,
            status=ListingStatus.OPEN,
            expires_on__gte=timezone.localdate(),
        )
        .exclude(carers_break="")
        .select_related("member", "category", "timebank")
        .order_by("created_at", "pk")[:limit]
    )
    suggestions = suggest_for_requests(requests=requests, limit=suggestions_each)
    alert = timebank.request_wait_alert_days
    return [
        WaitingRequest(
            listing=request,
            waited_days=(now - request.created_at).days,
            overdue=request.matched_at is None and (now - request.created_at).days > alert,
            suggestions=suggestions.get(request.pk, []),
        )
        for request in requests
    ]


def why_no_one(*, request: Listing) -> str:
    """Why no one is suggested for this request, in a sentence for coordinators ("" when it cannot tell)."""
    return why_no_suggestions(requests=[request]).get(request.pk, "")


def open_request_count(*, timebank: Timebank) -> int:
    return Listing.objects.filter(
        timebank=timebank,
        kind=ListingKind.REQUEST,
        status=ListingStatus.OPEN,
        matched_at__isnull=True,
        expires_on__gte=timezone.localdate(),
    ).count()


def quiet_members(*, timebank: Timebank, days: int = QUIET_DAYS, limit: int = LIST_LIMIT) -> QuerySet[Member]:
    """Members who have exchanged before but not in the last `days` days, longest quiet first."""
    since = timezone.now() - datetime.timedelta(days=days)
    return Member.objects.filter(timebank=timebank, status__in=CAN_EXCHANGE, last_exchange_at__lt=since).order_by(
        "last_exchange_at", "pk"
    )[:limit]


def members_without_first_exchange(*, timebank: Timebank, limit: int = LIST_LIMIT) -> QuerySet[Member]:
    """Approved members who have not yet had an exchange, longest waiting first."""
    return Member.objects.filter(timebank=timebank, status__in=CAN_EXCHANGE, first_exchange_at__isnull=True).order_by(
        "joined_at", "pk"
    )[:limit]


def expiring_listings(*, timebank: Timebank, limit: int = LIST_LIMIT) -> QuerySet[Listing]:
    today = timezone.localdate()
    horizon = today + datetime.timedelta(days=getattr(settings, "LISTING_REMINDER_DAYS", 7))
    return (
        Listing.objects.filter(
            timebank=timebank, status=ListingStatus.OPEN, expires_on__gte=today, expires_on__lte=horizon
        )
        .select_related("member", "category")
        .order_by("expires_on", "pk")[:limit]
    )


def request_for_coordinator(*, timebank: Timebank, public_id: uuid.UUID | str) -> Listing:
    """A request of the coordinator's timebank, or NotFoundError."""
    try:
        return Listing.objects.select_related("member", "category", "timebank").get(
            public_id=public_id, kind=ListingKind.REQUEST, timebank=timebank
        )
    except Listing.DoesNotExist:
        raise NotFoundError(_("No such request.")) from None


# --- introductions -----------------------------------------------------------------------------


def needs_letter_or_call(member: Member) -> bool:
    """True when e-mail will not reach the member: a coordinator writes or phones."""
    return not member_email(member) or CommunicationNeed.PHONE_ONLY in (member.communication_needs or [])


# --- the member's own matches ---------------------------------------------------------------------


@dataclass
class NearbyRequest:
    listing: Listing
    distance_km: float | None
    reasons: list[str]

    @property
    def explanation(self) -> str:
        return " · ".join(self.reasons)


def requests_near_helper(*, member: Member, limit: int = 20) -> list[NearbyRequest]:
    """ "People near you who need what you offer": open requests in categories
    the member offers, within both people's travel radius (phone and online
    requests at any distance), that the member may help with."""
    today = timezone.localdate()
    offered = list(
        Listing.objects.filter(member=member, kind=ListingKind.OFFER, status=ListingStatus.OPEN, expires_on__gte=today)
        .values_list("category_id", flat=True)
        .distinct()
    )
    if not offered or not member.can_exchange:
        return []
    restricted = set(CategoryRestriction.objects.filter(member=member).values_list("category_id", flat=True))
    kinds = set(
        SafeguardingCheck.objects.filter(current_checks_q(today=today), member=member).values_list("kind", flat=True)
    )
    has_dbs, has_refs = bool(kinds & set(DBS_KINDS)), bool(kinds & set(REFERENCE_KINDS))
    where = Q(where__in=list(DISTANCE_FREE))
    if member.latitude is not None and member.longitude is not None:
        lat_lo, lat_hi, lng_lo, lng_hi = bounding_box(member.latitude, member.longitude, member.travel_radius_km)
        where |= Q(member__latitude__range=(lat_lo, lat_hi), member__longitude__range=(lng_lo, lng_hi))
    candidates = (
        Listing.objects.filter(
            where,
            timebank=member.timebank,
            kind=ListingKind.REQUEST,
            status=ListingStatus.OPEN,
            matched_at__isnull=True,
            expires_on__gte=today,
            category_id__in=[c for c in offered if c not in restricted],
            member__status__in=CAN_EXCHANGE,
            # One-to-one only with someone on the same side of 18 (young carers, timebank.selectors.safeguarding).
            member__under_18=member.under_18,
        )
        .exclude(member=member)
        .select_related("member", "category")
        .order_by("created_at", "pk")[:500]
    )
    found = []
    for request in candidates:
        category = request.category
        if (category.needs_dbs_check and not has_dbs) or (category.needs_references and not has_refs):
            continue
        if (home_visit_needs_dbs(where=request.where) or request.carers_break) and not has_dbs:
            continue
        reasons, distance = [], None
        if request.where not in DISTANCE_FREE:
            asker = request.member
            if None in (asker.latitude, asker.longitude, member.latitude, member.longitude):
                continue
            distance = great_circle((asker.latitude, asker.longitude), (member.latitude, member.longitude)).km
            if distance > min(asker.travel_radius_km, member.travel_radius_km):
                continue
            reasons.append(describe_distance(distance))
        else:
            reasons.append(request.get_where_display().lower())
        reasons.append(_("asks for %(category)s") % {"category": category.label.lower()})
        if overlap := request.member.availability & member.availability:
            reasons.append(describe_free_times(overlap, both=True))
        found.append(NearbyRequest(listing=request, distance_km=distance, reasons=reasons))
    found.sort(key=lambda r: (r.distance_km if r.distance_km is not None else 0.0, r.listing.created_at))
    return found[:limit]


def help_for_my_requests(*, member: Member, suggestions_each: int = 3) -> list[tuple[Listing, list[Suggestion]]]:
    """ "Help near you for what you asked": the member's open requests with the best few helpers each."""
    requests = list(
        Listing.objects.filter(
            member=member, kind=ListingKind.REQUEST, status=ListingStatus.OPEN, expires_on__gte=timezone.localdate()
        )
        .select_related("member", "category", "timebank")
        .order_by("created_at", "pk")[:LIST_LIMIT]
    )
    suggestions = suggest_for_requests(requests=requests, limit=suggestions_each)
    return [(request, suggestions.get(request.pk, [])) for request in requests]
