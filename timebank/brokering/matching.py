"""Match suggestions: who could help with a request, and why, in plain words.

Two steps, so a request among 100,000 members stays under 50 ms (QUALITY P6):

1. SQL prefilter on indexed columns: open, unexpired offers in the request's
   category and timebank, from members who can exchange, inside a lat/lng
   bounding box of the requester's travel radius (skipped for phone and online
   help), not restricted from the category, and with current checks when the
   category needs them. One query for a whole page of requests.
2. Python scoring of the few candidates left: exact great-circle distance
   within both people's travel radius, availability overlap (a bitwise AND of
   the Availability masks), the home-visit rule, reliability and recent
   activity, reciprocity, and the cap on open exchanges per helper (one
   grouped query for every candidate).

Exclusions (never suggested): the requester; members restricted from the
category; members without a current DBS check (or reference) when the
category needs one; members without a current DBS check for help in the
requester's home (BROKERING_HOME_VISITS_NEED_DBS); helpers at the
timebank's cap of open exchanges; members further than either person's
travel radius for in-person help.

Score out of 100: category 30, distance 25, availability 20, reliability and
recent activity 15, DBS checked 5, reciprocity 5. Ties go to the nearer, then
the longer-standing member.
"""
import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils import timezone
from geopy.distance import great_circle

from assets.selectors import asset_search
from timebank.brokering.safeguarding import DBS_KINDS, REFERENCE_KINDS, current_check_exists
from timebank.errors import DomainError
from timebank.models import Availability, CategoryRestriction, Exchange, ExchangeStatus, Listing, ListingKind, ListingStatus, Member
from timebank.models import MemberStatus, Where

CAN_EXCHANGE = [MemberStatus.APPROVED, MemberStatus.ACTIVE]
# Exchanges a helper is still busy with: these count toward the cap.
OPEN_EXCHANGE_STATUSES = [ExchangeStatus.PROPOSED, ExchangeStatus.ACCEPTED]
COMPLETED_EXCHANGE_STATUSES = [ExchangeStatus.DONE, ExchangeStatus.CONFIRMED, ExchangeStatus.POSTED]
DISTANCE_FREE = {Where.ONLINE, Where.PHONE}
KM_PER_MILE = 1.609344
RECENT_DAYS = 90
# One degree of latitude is ~111.2 km everywhere; longitude shrinks with cos(latitude).
KM_PER_DEGREE = 111.2

WEIGHT_CATEGORY = 30
WEIGHT_DISTANCE = 25
WEIGHT_AVAILABILITY = 20
WEIGHT_RELIABILITY = 10
WEIGHT_RECENT = 5
WEIGHT_DBS = 5
WEIGHT_RECIPROCITY = 5
# Hours received beyond hours given at which the reciprocity nudge is full.
RECIPROCITY_FULL_MINUTES = 600


def home_visits_need_dbs() -> bool:
    return settings.BROKERING_HOME_VISITS_NEED_DBS


@dataclass
class Reason:
    text: str
    # Safeguarding reasons are for coordinators only, never shown to members.
    safeguarding: bool = False


@dataclass
class Suggestion:
    member: Member
    offer: Listing
    score: int
    distance_km: float | None
    reason_list: list[Reason] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        return [reason.text for reason in self.reason_list]

    @property
    def public_reasons(self) -> list[str]:
        return [reason.text for reason in self.reason_list if not reason.safeguarding]

    @property
    def explanation(self) -> str:
        return " · ".join(self.reasons)

    @property
    def public_explanation(self) -> str:
        return " · ".join(self.public_reasons)


def describe_distance(km: float) -> str:
    miles = km / KM_PER_MILE
    if miles < 0.1:
        return "less than 0.1 miles away"
    text = f"{miles:.1f}".removesuffix(".0")
    return f"{text} mile away" if text == "1" else f"{text} miles away"


def describe_free_times(mask: int, limit: int = 3) -> str:
    """"free Tuesday mornings and Friday afternoons" from an availability mask."""
    slots = [f"{text}s" for text in Availability.describe(mask)]
    if len(slots) > limit:
        shown = ", ".join(slots[:limit])
        return f"free {shown} and {len(slots) - limit} more times"
    if len(slots) > 1:
        return f"free {', '.join(slots[:-1])} and {slots[-1]}"
    return f"free {slots[0]}"


def bounding_box(lat: float, lng: float, radius_km: float) -> tuple[float, float, float, float]:
    d_lat = radius_km / KM_PER_DEGREE
    d_lng = radius_km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    return lat - d_lat, lat + d_lat, lng - d_lng, lng + d_lng


def needs_distance(listing: Listing) -> bool:
    return listing.where not in DISTANCE_FREE


def _offer_clause(request: Listing) -> Q:
    requester = request.member
    clause = Q(category_id=request.category_id, timebank_id=request.timebank_id) & ~Q(member_id=request.member_id)
    if needs_distance(request) and requester.latitude is not None and requester.longitude is not None:
        lat_lo, lat_hi, lng_lo, lng_hi = bounding_box(requester.latitude, requester.longitude, requester.travel_radius_km)
        clause &= Q(
            member__latitude__gte=lat_lo,
            member__latitude__lte=lat_hi,
            member__longitude__gte=lng_lo,
            member__longitude__lte=lng_hi,
        )
    return clause


def _candidate_offers(requests: list[Listing], today: datetime.date) -> list[Listing]:
    clauses = Q()
    for request in requests:
        clauses |= _offer_clause(request)
    return list(
        Listing.objects.filter(
            clauses,
            kind=ListingKind.OFFER,
            status=ListingStatus.OPEN,
            expires_on__gte=today,
            member__status__in=CAN_EXCHANGE,
        )
        .annotate(
            has_dbs=current_check_exists(kinds=DBS_KINDS, today=today),
            has_references=current_check_exists(kinds=REFERENCE_KINDS, today=today),
            restricted=Exists(
                CategoryRestriction.objects.filter(member=OuterRef("member"), category=OuterRef("category"))
            ),
        )
        # Safeguarding fit for the category is decided in SQL so excluded members never leave the database.
        .filter(Q(category__needs_dbs_check=False) | Q(has_dbs=True))
        .filter(Q(category__needs_references=False) | Q(has_references=True))
        .filter(restricted=False)
        .select_related("member", "member__account", "category")
        .order_by("pk")
    )


def _helper_stats(member_ids: set[int]) -> dict[int, dict]:
    if not member_ids:
        return {}
    rows = (
        Exchange.objects.filter(provider_id__in=member_ids)
        .values("provider_id")
        .annotate(
            open=Count("pk", filter=Q(status__in=OPEN_EXCHANGE_STATUSES)),
            completed=Count("pk", filter=Q(status__in=COMPLETED_EXCHANGE_STATUSES)),
            cancelled=Count("pk", filter=Q(status=ExchangeStatus.CANCELLED)),
            last_done=Max("done_at"),
        )
        .order_by()
    )
    return {row["provider_id"]: row for row in rows}


def _score(request: Listing, offer: Listing, stats: dict | None, now: datetime.datetime) -> Suggestion | None:
    requester, helper = request.member, offer.member
    reasons: list[Reason] = []
    score = WEIGHT_CATEGORY

    offers_text = Reason(f"offers {offer.category.name.lower()}")
    distance_km = None
    if needs_distance(request):
        if requester.latitude is None or requester.longitude is None:
            reasons += [offers_text, Reason("distance not known")]
        elif helper.latitude is None or helper.longitude is None:
            return None
        else:
            distance_km = great_circle(
                (requester.latitude, requester.longitude), (helper.latitude, helper.longitude)
            ).km
            reach = min(requester.travel_radius_km, helper.travel_radius_km)
            if distance_km > reach:
                return None
            score += WEIGHT_DISTANCE * (1 - distance_km / reach) if reach else WEIGHT_DISTANCE
            reasons += [Reason(describe_distance(distance_km)), offers_text]
    else:
        # Phone and online help: distance does not matter, so everyone gets the same points.
        score += WEIGHT_DISTANCE
        reasons += [offers_text, Reason("can help by phone" if request.where == Where.PHONE else "can help online")]

    if request.where == Where.HOME and home_visits_need_dbs() and not offer.has_dbs:
        return None

    wanted, free = requester.availability, helper.availability
    overlap = wanted & free
    if wanted and free:
        if overlap:
            score += WEIGHT_AVAILABILITY * overlap.bit_count() / wanted.bit_count()
            reasons.append(Reason(describe_free_times(overlap)))
        else:
            reasons.append(Reason("no free times in common"))
    else:
        # Unknown availability is neither good nor bad news.
        score += WEIGHT_AVAILABILITY / 2

    if offer.has_dbs:
        score += WEIGHT_DBS
        reasons.append(Reason("DBS checked", safeguarding=True))
    if offer.category.needs_references and offer.has_references:
        reasons.append(Reason("references checked", safeguarding=True))

    stats = stats or {"open": 0, "completed": 0, "cancelled": 0, "last_done": None}
    cap = request.timebank.max_open_exchanges_per_member
    if stats["open"] >= cap:
        return None
    completed, cancelled = stats["completed"], stats["cancelled"]
    if completed + cancelled:
        score += WEIGHT_RELIABILITY * completed / (completed + cancelled)
        times = "once" if completed == 1 else f"{completed} times"
        if completed:
            reasons.append(
                Reason(f"has helped {times}" + (", never cancelled" if not cancelled else f", cancelled {cancelled}"))
            )
        else:
            reasons.append(Reason(f"cancelled {cancelled} and has not helped yet"))
    else:
        score += WEIGHT_RELIABILITY / 2
        reasons.append(Reason("new helper"))
    if stats["last_done"] and stats["last_done"] >= now - datetime.timedelta(days=RECENT_DAYS):
        score += WEIGHT_RECENT
        reasons.append(Reason("active in the last 3 months"))

    account = getattr(helper, "account", None)
    balance = account.balance if account is not None else 0
    if balance < 0:
        score += WEIGHT_RECIPROCITY * min(1, -balance / RECIPROCITY_FULL_MINUTES)
        reasons.append(Reason("has received more help than given: a chance to give back"))

    if stats["open"]:
        reasons.append(Reason(f"{stats['open']} of {cap} open exchanges"))

    return Suggestion(member=helper, offer=offer, score=round(score), distance_km=distance_km, reason_list=reasons)


def suggest_for_requests(*, requests: list[Listing], limit: int = 10) -> dict[int, list[Suggestion]]:
    """Ranked suggestions for each request (by request pk), with a constant
    number of queries however many requests or candidates there are.

    Each request needs `member` and `timebank` loaded (select_related)."""
    requests = [r for r in requests if r.kind == ListingKind.REQUEST]
    if not requests:
        return {}
    today = timezone.localdate()
    now = timezone.now()
    offers = _candidate_offers(requests, today)
    stats = _helper_stats({offer.member_id for offer in offers})
    by_category: dict[int, list[Listing]] = defaultdict(list)
    for offer in offers:
        by_category[offer.category_id].append(offer)

    results: dict[int, list[Suggestion]] = {}
    for request in requests:
        best: dict[int, Suggestion] = {}
        for offer in by_category.get(request.category_id, []):
            if offer.member_id == request.member_id or offer.timebank_id != request.timebank_id:
                continue
            suggestion = _score(request, offer, stats.get(offer.member_id), now)
            if suggestion is None:
                continue
            # One line per person, even if they made several offers in the category.
            kept = best.get(offer.member_id)
            if kept is None or suggestion.score > kept.score:
                best[offer.member_id] = suggestion
        ranked = sorted(
            best.values(),
            key=lambda s: (-s.score, s.distance_km if s.distance_km is not None else 0.0, s.member.pk),
        )
        results[request.pk] = ranked[:limit]
    return results


def suggest_helpers(*, request: Listing, limit: int = 10) -> list[Suggestion]:
    return suggest_for_requests(requests=[request], limit=limit).get(request.pk, [])


# Timebank categories and the directory's taxonomy terms that meet the same need.
ASSET_TERMS_FOR_CATEGORY = {
    "befriending": "befriending-and-loneliness",
    "lifts-and-transport": "community-transport",
    "gardening": "green-and-outdoor",
    "cooking-and-meals": "food",
    "shopping-and-errands": "food",
    "it-and-phones": "digital-inclusion",
    "forms-and-letters": "money-and-debt-advice",
    "language-and-conversation": "learning-and-skills",
    "learning-and-tutoring": "learning-and-skills",
    "arts-and-crafts": "arts-and-creativity",
    "music": "arts-and-creativity",
    "sport-and-walking": "physical-activity",
    "caring-breaks": "carers-support",
}
ASSET_RADIUS_KM = 5.0


def suggest_assets(*, request: Listing, limit: int = 3) -> list:
    """Community services from the directory that meet the same need near the
    requester (assets.selectors.asset_search results, nearest first)."""
    terms = getattr(settings, "BROKERING_ASSET_TERMS", ASSET_TERMS_FOR_CATEGORY)
    term = terms.get(request.category.slug)
    requester = request.member
    if not term or requester.latitude is None or requester.longitude is None:
        return []
    radius = max(float(requester.travel_radius_km), ASSET_RADIUS_KM)
    try:
        page = asset_search(lat=requester.latitude, lng=requester.longitude, radius_km=radius, category=term,
                            per_page=limit)
    except DomainError:
        return []
    return page.results
