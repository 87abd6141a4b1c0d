"""Match suggestions: who could help with a request, and why, in plain words.

Three queries for any number of requests (a workbench page is one batch):

1. Candidates (SQL, one UNION ALL part per request, see _candidate_sql): open,
   unexpired offers in the request's category and timebank, from members who
   can exchange, inside a lat/lng bounding box of the requester's travel
   radius (read from the listing's own copy of its owner's place, on the
   listing_offer_place index; phone and online help: a pool of the
   DISTANCE_FREE_POOL most recently listed offers), not restricted from the
   category, and with current checks when the category needs them.
2. Exact great-circle distance within both people's travel radius and the
   home-visit rule in Python; then one grouped query for the exchange counts
   of the helpers left (reliability, recent activity, the cap on open
   exchanges).
3. Scoring in Python (availability overlap is a bitwise AND of the
   Availability masks), then one query loads the winners' rows.

Exclusions (never suggested): the requester; members restricted from the
category; members without a current DBS check (or reference) when the
category needs one; members without a current DBS check for help in the
requester's home (BROKERING_HOME_VISITS_NEED_DBS); members without a
current DBS check for a carer's break request (Listing.carers_break); and,
suggestions being one-to-one, anyone under 18 (a young carer) for an adult's
request and any adult for the request of someone under 18. These are the
safeguarding rule of timebank.selectors.safeguarding (which every booking
path enforces), applied here in SQL for speed with the same definitions;
helpers at the
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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy, ngettext
from geopy.distance import great_circle

from assets.selectors import AssetResult, asset_search
from core.errors import DomainError
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
from timebank.selectors.safeguarding import (
    DBS_KINDS,
    REFERENCE_KINDS,
    Problem,
    home_visit_needs_dbs,
    safeguarding_problems_by_helper,
    young_person_problems,
)

CAN_EXCHANGE = [MemberStatus.APPROVED, MemberStatus.ACTIVE]
# Exchanges a helper is still busy with: these count toward the cap.
OPEN_EXCHANGE_STATUSES = [ExchangeStatus.PROPOSED, ExchangeStatus.ACCEPTED]
COMPLETED_EXCHANGE_STATUSES = [ExchangeStatus.DONE, ExchangeStatus.CONFIRMED, ExchangeStatus.POSTED]
DISTANCE_FREE = {Where.ONLINE, Where.PHONE}
KM_PER_MILE = 1.609344
RECENT_DAYS = 90
# Phone and online help cannot be narrowed by distance: each request's pool of
# candidates is capped before scoring so a large timebank stays fast (P6).
# Why the newest offers: "listed recently" is a ranking proxy the index gives
# in order for free (see _request_part); the trade-off is that in a category
# with more offers than this, an older offer from a better-matched helper is
# not considered. Among the pool, Python scores availability, reliability and
# activity as for everyone else.
DISTANCE_FREE_POOL = 500
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


# SQL parameters by name, and one candidate row (the candidate query's columns,
# then the helper's exchange counts): plain dicts, built for speed.
SqlParams = dict[str, Any]
CandidateRow = dict[str, Any]


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
        return _("less than 0.1 miles away")
    text = f"{miles:.1f}".removesuffix(".0")
    if text == "1":
        return _("1 mile away")
    return _("%(miles)s miles away") % {"miles": text}


# "Tuesday mornings": each day and part of the day, as a repeating time (Availability's order).
_REPEATING_SLOTS = {
    ("mon", "morning"): gettext_lazy("Monday mornings"),
    ("mon", "afternoon"): gettext_lazy("Monday afternoons"),
    ("mon", "evening"): gettext_lazy("Monday evenings"),
    ("tue", "morning"): gettext_lazy("Tuesday mornings"),
    ("tue", "afternoon"): gettext_lazy("Tuesday afternoons"),
    ("tue", "evening"): gettext_lazy("Tuesday evenings"),
    ("wed", "morning"): gettext_lazy("Wednesday mornings"),
    ("wed", "afternoon"): gettext_lazy("Wednesday afternoons"),
    ("wed", "evening"): gettext_lazy("Wednesday evenings"),
    ("thu", "morning"): gettext_lazy("Thursday mornings"),
    ("thu", "afternoon"): gettext_lazy("Thursday afternoons"),
    ("thu", "evening"): gettext_lazy("Thursday evenings"),
    ("fri", "morning"): gettext_lazy("Friday mornings"),
    ("fri", "afternoon"): gettext_lazy("Friday afternoons"),
    ("fri", "evening"): gettext_lazy("Friday evenings"),
    ("sat", "morning"): gettext_lazy("Saturday mornings"),
    ("sat", "afternoon"): gettext_lazy("Saturday afternoons"),
    ("sat", "evening"): gettext_lazy("Saturday evenings"),
    ("sun", "morning"): gettext_lazy("Sunday mornings"),
    ("sun", "afternoon"): gettext_lazy("Sunday afternoons"),
    ("sun", "evening"): gettext_lazy("Sunday evenings"),
}


def _repeating_slots(mask: int) -> list[str]:
    return [
        str(_REPEATING_SLOTS[(day, part)])
        for day in Availability.DAYS
        for part in Availability.PARTS
        if mask & Availability.bit(day, part)
    ]


def describe_free_times(mask: int, limit: int = 3, *, both: bool = False) -> str:
    """ "free Tuesday mornings and Friday afternoons" from an availability mask
    ("you are both free …" with `both`)."""
    slots = _repeating_slots(mask)
    if len(slots) > limit:
        more = len(slots) - limit
        values = {"times": ", ".join(slots[:limit]), "count": more}
        if both:
            return (
                ngettext(
                    "you are both free %(times)s and %(count)s more time",
                    "you are both free %(times)s and %(count)s more times",
                    more,
                )
                % values
            )
        return (
            ngettext("free %(times)s and %(count)s more time", "free %(times)s and %(count)s more times", more) % values
        )
    if len(slots) > 1:
        times = _("%(list)s and %(last)s") % {"list": ", ".join(slots[:-1]), "last": slots[-1]}
    else:
        times = slots[0]
    if both:
        return _("you are both free %(times)s") % {"times": times}
    return _("free %(times)s") % {"times": times}


def bounding_box(lat: float, lng: float, radius_km: float) -> tuple[float, float, float, float]:
    d_lat = radius_km / KM_PER_DEGREE
    d_lng = radius_km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    return lat - d_lat, lat + d_lat, lng - d_lng, lng + d_lng


def needs_distance(listing: Listing) -> bool:
    return listing.where not in DISTANCE_FREE


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _in(name: str, values: Iterable[object], params: SqlParams) -> str:
    """An IN list of named parameters: name_0, name_1, ..."""
    keys = []
    for i, value in enumerate(values):
        params[f"{name}_{i}"] = str(value)
        keys.append(f"%({name}_{i})s")
    return f"({', '.join(keys)})"


# The candidate query is written in SQL once, here: building it through the ORM
# (EXISTS checks, a part per request) took longer than running it, which
# mattered against the 50 ms budget. It uses only SQL that SQLite and
# PostgreSQL share, and named parameters for every value.
#
# One statement for any number of requests: a UNION ALL with one small part
# per request, each planned on its own indexes, so a page of requests costs
# what its requests cost and never scans every listing:
# - in-person help reads the category's offers inside the bounding box straight
#   from listing_offer_place (timebank, kind, status, category, latitude,
#   longitude): the listing's copy of its owner's place, so neither the other
#   offers of the category nor their members' rows are visited;
# - phone and online help (and a requester whose place is not known) has no
#   box: each request keeps a pool of the DISTANCE_FREE_POOL newest offers,
#   read newest first from listing_browse (SQLite keeps the rowid at the end of
#   every index, so equal keys come in id order and the read stops at the
#   LIMIT; PostgreSQL sorts the category's index entries, top-N).
# The safeguarding fit and the figures scoring needs are worked out for the
# chosen offers only.
def _request_part(i: int, request: Listing, params: SqlParams, open_offers: str) -> str:
    listing, member = _table(Listing), _table(Member)
    params[f"cat{i}"], params[f"tb{i}"], params[f"asker{i}"] = (
        request.category_id,
        request.timebank_id,
        request.member_id,
    )
    where = (
        f"{open_offers} AND l.category_id = %(cat{i})s AND l.timebank_id = %(tb{i})s AND l.member_id <> %(asker{i})s"
    )
    requester = request.member
    if needs_distance(request) and requester.latitude is not None and requester.longitude is not None:
        box = bounding_box(requester.latitude, requester.longitude, requester.travel_radius_km)
        params.update({f"lat_lo{i}": box[0], f"lat_hi{i}": box[1], f"lng_lo{i}": box[2], f"lng_hi{i}": box[3]})
        where += (
            f" AND l.latitude BETWEEN %(lat_lo{i})s AND %(lat_hi{i})s"
            f" AND l.longitude BETWEEN %(lng_lo{i})s AND %(lng_hi{i})s"
        )
        return (
            f"SELECT {i} AS request_no, l.id AS listing_id FROM {listing} l "
            f"JOIN {member} m ON m.id = l.member_id {where}"
        )
    params[f"pool{i}"] = DISTANCE_FREE_POOL
    return (
        f"SELECT {i} AS request_no, listing_id FROM (SELECT l.id AS listing_id FROM {listing} l "
        f"JOIN {member} m ON m.id = l.member_id {where} ORDER BY l.id DESC LIMIT %(pool{i})s) pool{i}"
    )


def _candidate_sql(requests: list[Listing], params: SqlParams) -> str:
    listing, member, category = _table(Listing), _table(Member), _table(Category)
    account, check, restriction = _table(Account), _table(SafeguardingCheck), _table(CategoryRestriction)
    current = "c.checked_on <= %(today)s AND (c.expires_on IS NULL OR c.expires_on >= %(today)s)"
    has_dbs = (
        f"EXISTS (SELECT 1 FROM {check} c WHERE c.member_id = l.member_id AND {current} "
        f"AND c.kind IN {_in('dbs', DBS_KINDS, params)})"
    )
    has_refs = (
        f"EXISTS (SELECT 1 FROM {check} c WHERE c.member_id = l.member_id AND {current} "
        f"AND c.kind IN {_in('ref', REFERENCE_KINDS, params)})"
    )
    open_offers = (
        f"WHERE l.kind = %(offer)s AND l.status = %(open)s AND l.expires_on >= %(today)s "
        f"AND m.status IN {_in('can', CAN_EXCHANGE, params)}"
    )
    parts = " UNION ALL ".join(_request_part(i, request, params, open_offers) for i, request in enumerate(requests))
    return f"""
        WITH picked (request_no, listing_id) AS ({parts})
        SELECT p.request_no, l.id AS pk, l.member_id,
               m.latitude AS lat, m.longitude AS lng, m.travel_radius_km AS radius, m.availability AS free,
               m.under_18 AS under_18,
               {has_dbs} AS has_dbs, {has_refs} AS has_references, COALESCE(a.balance, 0) AS balance
        FROM picked p
        JOIN {listing} l ON l.id = p.listing_id
        JOIN {member} m ON m.id = l.member_id
        JOIN {category} cat ON cat.id = l.category_id
        LEFT JOIN {account} a ON a.member_id = l.member_id
        WHERE (cat.needs_dbs_check = %(false)s OR {has_dbs})
          AND (cat.needs_references = %(false)s OR {has_refs})
          AND NOT EXISTS (SELECT 1 FROM {restriction} r WHERE r.member_id = l.member_id
                          AND r.category_id = l.category_id)
        ORDER BY p.request_no, l.id
    """


def _candidate_rows(requests: list[Listing], today: datetime.date) -> dict[int, list[CandidateRow]]:
    """Candidate offer rows for each request (by position in `requests`), in one query."""
    params: SqlParams = {
        "today": connection.ops.adapt_datefield_value(today),
        "offer": ListingKind.OFFER.value,
        "open": ListingStatus.OPEN.value,
        "false": False,
    }
    sql = _candidate_sql(requests, params)
    rows: dict[int, list[CandidateRow]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values))
            rows[row["request_no"]].append(row)
    return rows


def _helper_stats(member_ids: set[int], now: datetime.datetime) -> dict[int, Mapping[str, object]]:
    """Open, completed and cancelled exchanges per helper, and whether they
    helped recently: one grouped query for the helpers still in the running."""
    if not member_ids:
        return {}
    since = now - datetime.timedelta(days=RECENT_DAYS)
    rows = (
        Exchange.objects.filter(provider_id__in=member_ids)
        .values("provider_id")
        .annotate(
            open_count=Count("pk", filter=Q(status__in=OPEN_EXCHANGE_STATUSES)),
            completed_count=Count("pk", filter=Q(status__in=COMPLETED_EXCHANGE_STATUSES)),
            cancelled_count=Count("pk", filter=Q(status=ExchangeStatus.CANCELLED)),
            recent=Count("pk", filter=Q(status__in=COMPLETED_EXCHANGE_STATUSES, done_at__gte=since)),
        )
        .order_by()
    )
    return {row["provider_id"]: row for row in rows}


NO_EXCHANGES = {"open_count": 0, "completed_count": 0, "cancelled_count": 0, "recent": 0}


def _place(request: Listing, row: CandidateRow) -> float | bool | None:
    """The distance in km (None when it does not matter or is not known), or
    False when the helper is out of reach, may not visit the requester's home,
    has no current DBS check for a carer's break, or is under 18 where the
    requester is an adult (or the other way round: suggestions are one-to-one)."""
    if (home_visit_needs_dbs(where=request.where) or request.carers_break) and not row["has_dbs"]:
        return False
    if bool(row["under_18"]) != request.member.under_18:
        return False
    requester = request.member
    if not needs_distance(request) or requester.latitude is None or requester.longitude is None:
        return None
    if row["lat"] is None or row["lng"] is None:
        return False
    distance_km: float = great_circle((requester.latitude, requester.longitude), (row["lat"], row["lng"])).km
    return distance_km if distance_km <= min(requester.travel_radius_km, row["radius"]) else False


def _score(request: Listing, row: CandidateRow, distance_km: float | None, cap: int) -> int | None:
    """The score out of 100, or None for a helper at the cap of open exchanges.
    `_explain` gives the same judgement in words; it runs only for the winners."""
    if row["open_count"] >= cap:
        return None
    requester = request.member
    score: float = WEIGHT_CATEGORY
    if distance_km is None:
        # Phone and online help (or an unknown place): distance gives everyone the same points.
        score += WEIGHT_DISTANCE if not needs_distance(request) else 0
    else:
        reach = min(requester.travel_radius_km, row["radius"])
        score += WEIGHT_DISTANCE * (1 - distance_km / reach) if reach else WEIGHT_DISTANCE
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
    return round(score)


def _explain(request: Listing, row: CandidateRow, distance_km: float | None, cap: int) -> list[Reason]:
    requester, category = request.member, request.category
    offers_text = Reason(_("offers %(category)s") % {"category": category.label.lower()})
    if not needs_distance(request):
        reasons = [
            offers_text,
            Reason(_("can help by phone") if request.where == Where.PHONE else _("can help online")),
        ]
    elif distance_km is None:
        reasons = [offers_text, Reason(_("distance not known"))]
    else:
        reasons = [Reason(describe_distance(distance_km)), offers_text]
    wanted, free = requester.availability, row["free"]
    if wanted and free:
        overlap = wanted & free
        reasons.append(Reason(describe_free_times(overlap) if overlap else _("no free times in common")))
    if row["has_dbs"]:
        reasons.append(Reason(_("DBS checked"), safeguarding=True))
    if category.needs_references and row["has_references"]:
        reasons.append(Reason(_("references checked"), safeguarding=True))
    completed, cancelled = row["completed_count"], row["cancelled_count"]
    if completed:
        values = {"count": completed, "cancelled": cancelled}
        if not cancelled:
            text = ngettext(
                "has helped once, never cancelled", "has helped %(count)s times, never cancelled", completed
            )
        else:
            text = ngettext(
                "has helped once, cancelled %(cancelled)s",
                "has helped %(count)s times, cancelled %(cancelled)s",
                completed,
            )
        reasons.append(Reason(text % values))
    elif cancelled:
        reasons.append(Reason(_("cancelled %(count)s and has not helped yet") % {"count": cancelled}))
    else:
        reasons.append(Reason(_("new helper")))
    if row["recent"]:
        reasons.append(Reason(_("active in the last 3 months")))
    if row["balance"] < 0:
        reasons.append(Reason(_("has received more help than given: a chance to give back")))
    if row["open_count"]:
        reasons.append(Reason(_("%(open)s of %(cap)s open exchanges") % {"open": row["open_count"], "cap": cap}))
    return reasons


def suggest_for_requests(*, requests: list[Listing], limit: int = 10) -> dict[int, list[Suggestion]]:
    """Ranked suggestions for each request (by request pk), in three queries
    however many requests or candidates there are: candidates, their
    exchange counts, and the winners' rows.

    Each request needs `member`, `category` and `timebank` loaded (select_related)."""
    requests = [r for r in requests if r.kind == ListingKind.REQUEST]
    if not requests:
        return {}
    now = timezone.now()
    candidates = _candidate_rows(requests, timezone.localdate())

    # Distance, radius and the home-visit rule first: counts only for who is left.
    placed: dict[int, list[tuple[float | None, CandidateRow]]] = {}
    for i, request in enumerate(requests):
        placed[i] = [
            (distance, row) for row in candidates.get(i, []) if (distance := _place(request, row)) is not False
        ]
    stats = _helper_stats({row["member_id"] for kept in placed.values() for _, row in kept}, now)

    ranked_rows: dict[int, list[tuple[int, float | None, CandidateRow]]] = {}
    for i, request in enumerate(requests):
        best: dict[int, tuple[int, float | None, CandidateRow]] = {}
        cap = request.timebank.max_open_exchanges_per_member
        for distance_km, row in placed[i]:
            row.update(stats.get(row["member_id"], NO_EXCHANGES))
            score = _score(request, row, distance_km, cap)
            if score is None:
                continue
            # One line per person, even if they made several offers in the category.
            kept = best.get(row["member_id"])
            if kept is None or score > kept[0]:
                best[row["member_id"]] = (score, distance_km, row)
        ranked_rows[i] = sorted(
            best.values(), key=lambda s: (-s[0], s[1] if s[1] is not None else 0.0, s[2]["member_id"])
        )[:limit]

    # Full objects only for what is shown: one query for every request's winners.
    wanted = {row["pk"] for entries in ranked_rows.values() for _, _, row in entries}
    offers = Listing.objects.select_related("member").in_bulk(wanted) if wanted else {}
    return {
        request.pk: [
            Suggestion(
                member=offers[row["pk"]].member,
                offer=offers[row["pk"]],
                score=score,
                distance_km=distance_km,
                reason_list=_explain(request, row, distance_km, request.timebank.max_open_exchanges_per_member),
            )
            for score, distance_km, row in ranked_rows[i]
        ]
        for i, request in enumerate(requests)
    }


def suggest_helpers(*, request: Listing, limit: int = 10) -> list[Suggestion]:
    return suggest_for_requests(requests=[request], limit=limit).get(request.pk, [])


@dataclass
class HeldBack:
    """A helper left out of a request's suggestions by the safeguarding rule,
    with the rule's problems in plain words (for coordinators only)."""

    member: Member
    offer: Listing
    distance_km: float | None
    problems: list[Problem]

    @property
    def reasons(self) -> list[str]:
        return [problem.message for problem in self.problems]

    @property
    def distance(self) -> str:
        return describe_distance(self.distance_km) if self.distance_km is not None else ""


def helpers_held_back(*, request: Listing, limit: int = 20) -> list[HeldBack]:
    """Helpers who would be candidates for this request (an open offer in its
    category and timebank, able to exchange, within reach for in-person help)
    but whom the safeguarding rule leaves out of the suggestions: a
    coordinator may introduce them anyway with a recorded reason
    (brokering.services.introductions). Nearest first. Three queries: the
    offers (the same bounding box or pool as the candidate SQL, which is left
    as it is), then the rule for all their owners at once
    (timebank.selectors.safeguarding.safeguarding_problems_by_helper)."""
    if request.kind != ListingKind.REQUEST:
        return []
    today = timezone.localdate()
    offers = (
        Listing.objects.filter(
            kind=ListingKind.OFFER,
            status=ListingStatus.OPEN,
            expires_on__gte=today,
            category_id=request.category_id,
            timebank_id=request.timebank_id,
            member__status__in=CAN_EXCHANGE,
        )
        .exclude(member_id=request.member_id)
        .select_related("member")
        .order_by("-pk")
    )
    requester = request.member
    here = (requester.latitude, requester.longitude)
    placed = needs_distance(request) and here[0] is not None and here[1] is not None
    if placed and here[0] is not None and here[1] is not None:
        lat_lo, lat_hi, lng_lo, lng_hi = bounding_box(here[0], here[1], requester.travel_radius_km)
        offers = offers.filter(latitude__range=(lat_lo, lat_hi), longitude__range=(lng_lo, lng_hi))
    else:
        offers = offers[:DISTANCE_FREE_POOL]
    # One line per person: their newest offer in the category.
    by_member: dict[int, Listing] = {}
    for offer in offers:
        by_member.setdefault(offer.member_id, offer)
    distances: dict[int, float | None] = {}
    for member_id, offer in by_member.items():
        helper = offer.member
        if not placed:
            distances[member_id] = None
        elif helper.latitude is not None and helper.longitude is not None:
            km: float = great_circle(here, (helper.latitude, helper.longitude)).km
            if km <= min(requester.travel_radius_km, helper.travel_radius_km):
                distances[member_id] = km
    helpers = [by_member[member_id].member for member_id in distances]
    problems = safeguarding_problems_by_helper(
        helpers=helpers,
        category=request.category,
        where=request.where,
        today=today,
        carers_break=bool(request.carers_break),
    )
    # Suggestions are one-to-one: the young-person rule is about each pair.
    for helper in helpers:
        problems[helper.pk] += young_person_problems(helper=helper, receivers=[request.member])
    held = [
        HeldBack(member=helper, offer=by_member[helper.pk], distance_km=distances[helper.pk], problems=found)
        for helper in helpers
        if (found := problems[helper.pk])
    ]
    held.sort(key=lambda h: (h.distance_km if h.distance_km is not None else 0.0, h.member.display_name, h.member.pk))
    return held[:limit]


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


def suggest_assets(*, request: Listing, limit: int = 3) -> list[AssetResult]:
    """Community services from the directory that meet the same need near the
    requester (assets.selectors.asset_search results, nearest first)."""
    terms: dict[str, str] = getattr(settings, "BROKERING_ASSET_TERMS", ASSET_TERMS_FOR_CATEGORY)
    term = terms.get(request.category.slug)
    requester = request.member
    if not term or requester.latitude is None or requester.longitude is None:
        return []
    radius = max(float(requester.travel_radius_km), ASSET_RADIUS_KM)
    try:
        page = asset_search(
            lat=requester.latitude, lng=requester.longitude, radius_km=radius, category=term, per_page=limit
        )
    except DomainError:
        return []
    results: list[AssetResult] = page.results
    return results
