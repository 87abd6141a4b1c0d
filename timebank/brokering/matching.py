"""Match suggestions: who could help with a request, and why, in plain words.

Two steps, so a request among 100,000 members stays under 50 ms (QUALITY P6):

1. SQL prefilter on indexed columns: open, unexpired offers in the request's
   category and timebank, from members who can exchange, inside a lat/lng
   bounding box of the requester's travel radius, not restricted from the
   category, and with current checks when the category needs them. The same
   query brings each helper's exchange counts (correlated subqueries on the
   exchange_provider_status index) and balance, as plain values, not models.
   Phone and online help has no box, so each category's pool is capped at
   DISTANCE_FREE_POOL helpers (those free most often, then the most recently
   active) with a window function.
2. Python scoring of the candidates left: exact great-circle distance within
   both people's travel radius, availability overlap (a bitwise AND of the
   Availability masks), the home-visit rule, reliability and recent activity,
   reciprocity and the cap on open exchanges; then one query loads the
   winners. At most three queries for a whole page of requests.

Exclusions (never suggested): the requester; members restricted from the
category; members without a current DBS check (or reference) when the
category needs one; members without a current DBS check for help in the
requester's home (BROKERING_HOME_VISITS_NEED_DBS); helpers at the
timebank's cap of open exchanges; members further than either person's
travel radius for in-person help.

Availability ranks rather than excludes: a helper with no free time in common
may still arrange one, so they stay on the list, lower down.

Score out of 100: category 30, distance 25, availability 20, reliability and
recent activity 15, DBS checked 5, reciprocity 5. Ties go to the nearer, then
the longer-standing member.
"""
import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils import timezone
from geopy.distance import great_circle

from assets.selectors import asset_search
from timebank.brokering.safeguarding import DBS_KINDS, REFERENCE_KINDS
from timebank.errors import DomainError
from timebank.models import (
    Account,
    Availability,
    Category,
    CategoryRestriction,
    Exchange,
    ExchangeStatus,
    Listing,
    ListingKind,
    ListingStatus,
    Member,
    MemberStatus,
    SafeguardingCheck,
    Where,
)

CAN_EXCHANGE = [MemberStatus.APPROVED, MemberStatus.ACTIVE]
# Exchanges a helper is still busy with: these count toward the cap.
OPEN_EXCHANGE_STATUSES = [ExchangeStatus.PROPOSED, ExchangeStatus.ACCEPTED]
COMPLETED_EXCHANGE_STATUSES = [ExchangeStatus.DONE, ExchangeStatus.CONFIRMED, ExchangeStatus.POSTED]
DISTANCE_FREE = {Where.ONLINE, Where.PHONE}
KM_PER_MILE = 1.609344
RECENT_DAYS = 90
# Phone and online help cannot be narrowed by distance: each category's pool of
# candidates is capped before scoring so a large timebank stays fast (P6).
DISTANCE_FREE_POOL = 300
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


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _in(name: str, values, params: dict) -> str:
    """An IN list of named parameters: name_0, name_1, ..."""
    keys = []
    for i, value in enumerate(values):
        params[f"{name}_{i}"] = str(value)
        keys.append(f"%({name}_{i})s")
    return f"({', '.join(keys)})"


# The candidate query is written in SQL once, here: building it through the ORM
# (three EXISTS, four correlated counts, a window) took longer than running it,
# which mattered against the 50 ms budget. It uses only SQL that SQLite and
# PostgreSQL share, and named parameters for every value.
def _candidate_sql(*, where: str, pooled: bool, params: dict) -> str:
    listing, member, category = _table(Listing), _table(Member), _table(Category)
    account, check, restriction, exchange = (
        _table(Account), _table(SafeguardingCheck), _table(CategoryRestriction), _table(Exchange)
    )
    current = "c.checked_on <= %(today)s AND (c.expires_on IS NULL OR c.expires_on >= %(today)s)"
    has_dbs = (f"EXISTS (SELECT 1 FROM {check} c WHERE c.member_id = l.member_id AND {current} "
               f"AND c.kind IN {_in('dbs', DBS_KINDS, params)})")
    has_refs = (f"EXISTS (SELECT 1 FROM {check} c WHERE c.member_id = l.member_id AND {current} "
                f"AND c.kind IN {_in('ref', REFERENCE_KINDS, params)})")

    def count(statuses, name):
        return (f"(SELECT COUNT(*) FROM {exchange} e WHERE e.provider_id = l.member_id "
                f"AND e.status IN {_in(name, statuses, params)})")

    recent = (f"EXISTS (SELECT 1 FROM {exchange} e WHERE e.provider_id = l.member_id AND e.status IN "
              f"{_in('recent', COMPLETED_EXCHANGE_STATUSES, params)} AND e.done_at >= %(recent_since)s)")
    joins = f"""
        FROM {listing} l
        JOIN {member} m ON m.id = l.member_id
        JOIN {category} cat ON cat.id = l.category_id
        LEFT JOIN {account} a ON a.member_id = l.member_id
    """
    open_offers = f"""
        WHERE l.kind = %(offer)s AND l.status = %(open)s AND l.expires_on >= %(today)s
          AND m.status IN {_in('can', CAN_EXCHANGE, params)}
          AND ({where})
    """
    safeguarding_fit = f"""
          AND (cat.needs_dbs_check = %(false)s OR {has_dbs})
          AND (cat.needs_references = %(false)s OR {has_refs})
          AND NOT EXISTS (SELECT 1 FROM {restriction} r WHERE r.member_id = l.member_id
                          AND r.category_id = l.category_id)
    """
    columns = f"""
        SELECT l.id AS pk, l.member_id, l.category_id, l.timebank_id,
               m.latitude AS lat, m.longitude AS lng, m.travel_radius_km AS radius, m.availability AS free,
               {has_dbs} AS has_dbs, {has_refs} AS has_references, COALESCE(a.balance, 0) AS balance,
               {count(OPEN_EXCHANGE_STATUSES, 'open')} AS open_count,
               {count(COMPLETED_EXCHANGE_STATUSES, 'completed')} AS completed_count,
               {count([ExchangeStatus.CANCELLED], 'cancelled')} AS cancelled_count,
               {recent} AS recent
    """
    if not pooled:
        return f"{columns} {joins} {open_offers} {safeguarding_fit} ORDER BY l.id"
    # The pool is chosen on cheap columns only (how many day-parts the helper is
    # free, then how recently they exchanged); checks and counts are then worked
    # out for the pool alone.
    slots = " + ".join(f"((m.availability >> {bit}) & 1)" for bit in range(21))
    ranked = (
        f"SELECT l.id AS pk, ROW_NUMBER() OVER (PARTITION BY l.timebank_id, l.category_id "
        f"ORDER BY ({slots}) DESC, m.last_exchange_at DESC NULLS LAST, l.id) AS pool_rank "
        f"FROM {listing} l JOIN {member} m ON m.id = l.member_id {open_offers}"
    )
    return (
        f"{columns} {joins} WHERE l.id IN (SELECT pk FROM ({ranked}) ranked WHERE pool_rank <= %(pool_size)s) "
        f"{safeguarding_fit} ORDER BY l.id"
    )


def _fetch(sql: str, params: dict, *, distance_free: bool) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row), distance_free=distance_free) for row in cursor.fetchall()]


def _candidate_rows(requests: list[Listing], today: datetime.date, now: datetime.datetime) -> list[dict]:
    """At most two queries for any number of requests: one for in-person help
    (bounding boxes), one for phone and online help (no box, so each category's
    pool is capped at DISTANCE_FREE_POOL offers, from those free most often,
    then the most recently active, before the safeguarding fit is applied)."""
    base = {
        "today": connection.ops.adapt_datefield_value(today),
        "recent_since": connection.ops.adapt_datetimefield_value(now - datetime.timedelta(days=RECENT_DAYS)),
        "offer": ListingKind.OFFER.value,
        "open": ListingStatus.OPEN.value,
        "false": False,
        "pool_size": DISTANCE_FREE_POOL,
    }
    rows: list[dict] = []
    for distance_free in (False, True):
        chosen = [r for r in requests if needs_distance(r) != distance_free]
        if not chosen:
            continue
        params = dict(base)
        clauses = []
        for i, request in enumerate(chosen):
            params[f"cat{i}"], params[f"tb{i}"] = request.category_id, request.timebank_id
            clause = f"(l.category_id = %(cat{i})s AND l.timebank_id = %(tb{i})s"
            requester = request.member
            if not distance_free and requester.latitude is not None and requester.longitude is not None:
                box = bounding_box(requester.latitude, requester.longitude, requester.travel_radius_km)
                params.update({f"lat_lo{i}": box[0], f"lat_hi{i}": box[1], f"lng_lo{i}": box[2], f"lng_hi{i}": box[3]})
                clause += (f" AND m.latitude BETWEEN %(lat_lo{i})s AND %(lat_hi{i})s"
                           f" AND m.longitude BETWEEN %(lng_lo{i})s AND %(lng_hi{i})s")
            clauses.append(clause + ")")
        sql = _candidate_sql(where=" OR ".join(clauses), pooled=distance_free, params=params)
        rows += _fetch(sql, params, distance_free=distance_free)
    return rows


def _score(request: Listing, row: dict, cap: int) -> tuple[int, float | None] | None:
    """(score, distance_km) for one candidate offer row, or None when excluded.
    `_explain` gives the same judgement in words; it runs only for the winners."""
    requester = request.member
    score = WEIGHT_CATEGORY
    distance_km = None
    if needs_distance(request):
        if requester.latitude is not None and requester.longitude is not None:
            if row["lat"] is None or row["lng"] is None:
                return None
            distance_km = great_circle((requester.latitude, requester.longitude), (row["lat"], row["lng"])).km
            reach = min(requester.travel_radius_km, row["radius"])
            if distance_km > reach:
                return None
            score += WEIGHT_DISTANCE * (1 - distance_km / reach) if reach else WEIGHT_DISTANCE
    else:
        # Phone and online help: distance does not matter, so everyone gets the same points.
        score += WEIGHT_DISTANCE
    if request.where == Where.HOME and home_visits_need_dbs() and not row["has_dbs"]:
        return None
    if row["open_count"] >= cap:
        return None
    wanted, free = requester.availability, row["free"]
    if wanted and free:
        score += WEIGHT_AVAILABILITY * (wanted & free).bit_count() / wanted.bit_count()
    else:
        # Unknown availability is neither good nor bad news.
        score += WEIGHT_AVAILABILITY / 2
    if row["has_dbs"]:
        score += WEIGHT_DBS
    completed, cancelled = row["completed_count"], row["cancelled_count"]
    score += WEIGHT_RELIABILITY * (completed / (completed + cancelled) if completed + cancelled else 0.5)
    if row["recent"]:
        score += WEIGHT_RECENT
    if row["balance"] < 0:
        score += WEIGHT_RECIPROCITY * min(1, -row["balance"] / RECIPROCITY_FULL_MINUTES)
    return round(score), distance_km


def _explain(request: Listing, row: dict, distance_km: float | None, cap: int) -> list[Reason]:
    requester, category = request.member, request.category
    offers_text = Reason(f"offers {category.name.lower()}")
    if not needs_distance(request):
        reasons = [offers_text, Reason("can help by phone" if request.where == Where.PHONE else "can help online")]
    elif distance_km is None:
        reasons = [offers_text, Reason("distance not known")]
    else:
        reasons = [Reason(describe_distance(distance_km)), offers_text]
    wanted, free = requester.availability, row["free"]
    if wanted and free:
        overlap = wanted & free
        reasons.append(Reason(describe_free_times(overlap) if overlap else "no free times in common"))
    if row["has_dbs"]:
        reasons.append(Reason("DBS checked", safeguarding=True))
    if category.needs_references and row["has_references"]:
        reasons.append(Reason("references checked", safeguarding=True))
    completed, cancelled = row["completed_count"], row["cancelled_count"]
    if completed:
        times = "once" if completed == 1 else f"{completed} times"
        reasons.append(
            Reason(f"has helped {times}" + (", never cancelled" if not cancelled else f", cancelled {cancelled}"))
        )
    elif cancelled:
        reasons.append(Reason(f"cancelled {cancelled} and has not helped yet"))
    else:
        reasons.append(Reason("new helper"))
    if row["recent"]:
        reasons.append(Reason("active in the last 3 months"))
    if row["balance"] < 0:
        reasons.append(Reason("has received more help than given: a chance to give back"))
    if row["open_count"]:
        reasons.append(Reason(f"{row['open_count']} of {cap} open exchanges"))
    return reasons


def suggest_for_requests(*, requests: list[Listing], limit: int = 10) -> dict[int, list[Suggestion]]:
    """Ranked suggestions for each request (by request pk), in at most three
    queries however many requests or candidates there are.

    Each request needs `member`, `category` and `timebank` loaded (select_related)."""
    requests = [r for r in requests if r.kind == ListingKind.REQUEST]
    if not requests:
        return {}
    today = timezone.localdate()
    now = timezone.now()
    rows = _candidate_rows(requests, today, now)
    by_key: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        by_key[(row["timebank_id"], row["category_id"], row["distance_free"])].append(row)

    ranked_rows: dict[int, list[tuple]] = {}
    for request in requests:
        best: dict[int, tuple] = {}
        key = (request.timebank_id, request.category_id, not needs_distance(request))
        cap = request.timebank.max_open_exchanges_per_member
        for row in by_key.get(key, []):
            if row["member_id"] == request.member_id:
                continue
            scored = _score(request, row, cap)
            if scored is None:
                continue
            # One line per person, even if they made several offers in the category.
            kept = best.get(row["member_id"])
            if kept is None or scored[0] > kept[0]:
                best[row["member_id"]] = (*scored, row)
        ranked_rows[request.pk] = sorted(
            best.values(), key=lambda s: (-s[0], s[1] if s[1] is not None else 0.0, s[2]["member_id"])
        )[:limit]

    request_by_pk = {request.pk: request for request in requests}
    cap_by_pk = {request.pk: request.timebank.max_open_exchanges_per_member for request in requests}
    # Full objects only for what is shown: one query for every request's winners.
    wanted = {row["pk"] for entries in ranked_rows.values() for _, _, row in entries}
    offers = Listing.objects.select_related("member").in_bulk(wanted) if wanted else {}
    return {
        request_pk: [
            Suggestion(
                member=offers[row["pk"]].member,
                offer=offers[row["pk"]],
                score=score,
                distance_km=distance_km,
                reason_list=_explain(request_by_pk[request_pk], row, distance_km, cap_by_pk[request_pk]),
            )
            for score, distance_km, row in entries
        ]
        for request_pk, entries in ranked_rows.items()
    }


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
