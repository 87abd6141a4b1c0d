"""Why no one is suggested for a request, in plain words, for coordinators.

When the matcher (brokering.selectors.matching) finds no helper for a request,
the workbench says why, from the same filters the matcher applies, in the
order it applies them:

1. no open offer in the request's category and timebank from anyone else:
   "No member offers Gardening yet.";
2. the helpers who offer it are away (paused), restricted from the category,
   without the DBS check or references the category (or a home visit) needs,
   without a DBS check for a carer's break, under 18 for an adult's request
   (or an adult for an under-18's), too far away for in-person help (further than either person's travel
   radius, or with no known place), or at their timebank's cap of open
   exchanges: "2 members offer Gardening but none has a DBS check for home
   visits."

Each helper is counted once, under the first filter that leaves them out.
Safeguarding reasons are for coordinators only: never show them to members.

Queries: at most four for any number of requests (the offers, then the
restrictions, current checks and open exchanges of the people who made them),
so a workbench page costs the same however many requests say "No one suitable".
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy, ngettext, ngettext_lazy
from geopy.distance import great_circle

from brokering.selectors.matching import CAN_EXCHANGE, OPEN_EXCHANGE_STATUSES, needs_distance
from timebank.models import (
    CategoryRestriction,
    Exchange,
    Listing,
    ListingKind,
    ListingStatus,
    MemberStatus,
    SafeguardingCheck,
)
from timebank.selectors.safeguarding import DBS_KINDS, REFERENCE_KINDS, current_checks_q, home_visit_needs_dbs

# Why a helper who offers the help is left out, in the matcher's order.
AWAY = "away"
RESTRICTED = "restricted"
NO_DBS = "no-dbs"
NO_DBS_HOME = "no-dbs-home"
NO_DBS_BREAK = "no-dbs-break"
AGE = "age"
NO_REFERENCES = "no-references"
TOO_FAR = "too-far"
AT_LIMIT = "at-limit"

# The words for each reason: (a count of helpers left out for it, "but …" when
# the one helper is left out for it, "but …" when every helper is).
_WORDS: dict[str, tuple[Any, Any, Any]] = {
    AWAY: (
        ngettext_lazy("%(count)s is away", "%(count)s are away", "count"),
        gettext_lazy("they are away just now"),
        gettext_lazy("all are away just now"),
    ),
    RESTRICTED: (
        ngettext_lazy("%(count)s may not be suggested for it", "%(count)s may not be suggested for it", "count"),
        gettext_lazy("a coordinator has said not to suggest them for it"),
        gettext_lazy("a coordinator has said not to suggest any of them for it"),
    ),
    NO_DBS: (
        ngettext_lazy("%(count)s has no current DBS check", "%(count)s have no current DBS check", "count"),
        gettext_lazy("they do not have the current DBS check it needs"),
        gettext_lazy("none has the current DBS check it needs"),
    ),
    NO_DBS_HOME: (
        ngettext_lazy(
            "%(count)s has no DBS check for home visits", "%(count)s have no DBS check for home visits", "count"
        ),
        gettext_lazy("they do not have a DBS check for home visits"),
        gettext_lazy("none has a DBS check for home visits"),
    ),
    NO_DBS_BREAK: (
        ngettext_lazy(
            "%(count)s has no DBS check for a carer's break", "%(count)s have no DBS check for a carer's break", "count"
        ),
        gettext_lazy("they do not have a DBS check for a carer's break"),
        gettext_lazy("none has a DBS check for a carer's break"),
    ),
    AGE: (
        ngettext_lazy(
            "%(count)s is not suggested one-to-one because of age (under 18 and adult)",
            "%(count)s are not suggested one-to-one because of age (under 18 and adult)",
            "count",
        ),
        gettext_lazy("suggestions never pair someone under 18 with an adult one-to-one"),
        gettext_lazy("suggestions never pair someone under 18 with an adult one-to-one"),
    ),
    NO_REFERENCES: (
        ngettext_lazy("%(count)s has no current references", "%(count)s have no current references", "count"),
        gettext_lazy("they do not have the current references it needs"),
        gettext_lazy("none has the current references it needs"),
    ),
    TOO_FAR: (
        ngettext_lazy("%(count)s is too far away", "%(count)s are too far away", "count"),
        gettext_lazy("they are too far away"),
        gettext_lazy("all are too far away"),
    ),
    AT_LIMIT: (
        ngettext_lazy(
            "%(count)s is at their limit of open exchanges", "%(count)s are at their limit of open exchanges", "count"
        ),
        gettext_lazy("they are at their limit of open exchanges"),
        gettext_lazy("all are at their limit of open exchanges"),
    ),
}
_ORDER = [AWAY, RESTRICTED, NO_DBS, NO_DBS_HOME, NO_DBS_BREAK, NO_REFERENCES, AGE, TOO_FAR, AT_LIMIT]


@dataclass
class _Helper:
    member_id: int
    status: str
    latitude: float | None
    longitude: float | None
    travel_radius_km: int
    under_18: bool = False


def _left_out_because(
    request: Listing,
    helper: _Helper,
    *,
    restricted: set[tuple[int, int]],
    kinds: dict[int, set[str]],
    open_counts: dict[int, int],
) -> str | None:
    """The first of the matcher's filters that leaves `helper` out, or None if none does."""
    if helper.status == MemberStatus.PAUSED:
        return AWAY
    if (helper.member_id, request.category_id) in restricted:
        return RESTRICTED
    category = request.category
    has = kinds.get(helper.member_id, set())
    has_dbs, has_references = bool(has & set(DBS_KINDS)), bool(has & set(REFERENCE_KINDS))
    if category.needs_dbs_check and not has_dbs:
        return NO_DBS
    if category.needs_references and not has_references:
        return NO_REFERENCES
    if home_visit_needs_dbs(where=request.where) and not has_dbs:
        return NO_DBS_HOME
    if request.carers_break and not has_dbs:
        return NO_DBS_BREAK
    if helper.under_18 != request.member.under_18:
        return AGE
    asker = request.member
    if needs_distance(request) and asker.latitude is not None and asker.longitude is not None:
        if helper.latitude is None or helper.longitude is None:
            return TOO_FAR
        km = great_circle((asker.latitude, asker.longitude), (helper.latitude, helper.longitude)).km
        if km > min(asker.travel_radius_km, helper.travel_radius_km):
            return TOO_FAR
    if open_counts.get(helper.member_id, 0) >= request.timebank.max_open_exchanges_per_member:
        return AT_LIMIT
    return None


def _sentence(category_name: str, reasons: Counter[str | None]) -> str:
    total = sum(reasons.values())
    if not total:
        return _("No member offers %(category)s yet.") % {"category": category_name}
    offer = ngettext("%(count)s member offers %(category)s", "%(count)s members offer %(category)s", total) % {
        "count": total,
        "category": category_name,
    }
    left_out = [code for code in _ORDER if reasons.get(code)]
    if reasons.get(None) or not left_out:
        return ""  # someone fits: the matcher's own limits (its pool of phone and online offers) left them out
    if len(left_out) == 1:
        they, all_of_them = _WORDS[left_out[0]][1:]
        return _("%(offer)s but %(reason)s.") % {"offer": offer, "reason": they if total == 1 else all_of_them}
    parts = [str(_WORDS[code][0] % {"count": reasons[code]}) for code in left_out]
    listed = _("%(list)s and %(last)s") % {"list": ", ".join(parts[:-1]), "last": parts[-1]}
    return _("%(offer)s but none can help now: %(reasons)s.") % {"offer": offer, "reasons": listed}


def why_no_suggestions(*, requests: list[Listing], today: datetime.date | None = None) -> dict[int, str]:
    """For each request (by pk), why the matcher suggests no one, in a sentence
    ("" when it cannot tell). Each request needs `member`, `category` and
    `timebank` loaded. At most four queries, however many requests."""
    requests = [r for r in requests if r.kind == ListingKind.REQUEST]
    if not requests:
        return {}
    today = today or timezone.localdate()
    rows = (
        Listing.objects.filter(
            kind=ListingKind.OFFER,
            status=ListingStatus.OPEN,
            expires_on__gte=today,
            timebank_id__in={r.timebank_id for r in requests},
            category_id__in={r.category_id for r in requests},
            member__status__in=[*CAN_EXCHANGE, MemberStatus.PAUSED],
        )
        .values_list(
            "timebank_id",
            "category_id",
            "member_id",
            "member__status",
            "member__latitude",
            "member__longitude",
            "member__travel_radius_km",
            "member__under_18",
        )
        .distinct()
    )
    offered: dict[tuple[int, int], dict[int, _Helper]] = defaultdict(dict)
    for timebank_id, category_id, member_id, status, lat, lng, radius, under_18 in rows:
        offered[(timebank_id, category_id)][member_id] = _Helper(member_id, status, lat, lng, radius, under_18)
    member_ids = {member_id for helpers in offered.values() for member_id in helpers}
    restricted: set[tuple[int, int]] = set()
    kinds: dict[int, set[str]] = defaultdict(set)
    open_counts: dict[int, int] = {}
    if member_ids:
        restricted = set(
            CategoryRestriction.objects.filter(
                member_id__in=member_ids, category_id__in={r.category_id for r in requests}
            ).values_list("member_id", "category_id")
        )
        checks = SafeguardingCheck.objects.filter(
            current_checks_q(today=today), member_id__in=member_ids, kind__in=[*DBS_KINDS, *REFERENCE_KINDS]
        ).values_list("member_id", "kind")
        for member_id, kind in checks:
            kinds[member_id].add(kind)
        open_counts = dict(
            Exchange.objects.filter(provider_id__in=member_ids, status__in=OPEN_EXCHANGE_STATUSES)
            .values("provider_id")
            .annotate(count=Count("pk"))
            .order_by()
            .values_list("provider_id", "count")
        )
    explained = {}
    for request in requests:
        helpers = offered.get((request.timebank_id, request.category_id), {})
        reasons: Counter[str | None] = Counter(
            _left_out_because(request, helper, restricted=restricted, kinds=kinds, open_counts=open_counts)
            for member_id, helper in helpers.items()
            if member_id != request.member_id
        )
        explained[request.pk] = _sentence(request.category.name, reasons)
    return explained
