"""Safeguarding reads: members' checks (references, DBS) with expiry, the
incident log, category restrictions, and who to tell about checks running out.

Everything here is for coordinators only; pages check the role before calling.
A check is *current* on a day when it was made on or before that day and has
not expired (no expiry date means it does not expire): `current_checks_q`
here, and the same condition in the candidate SQL of
brokering.selectors.matching.
"""

from __future__ import annotations

import datetime
from typing import TypedDict

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet

from timebank.models import (
    CategoryRestriction,
    Incident,
    Member,
    MemberStatus,
    Role,
    SafeguardingCheck,
    SafeguardingCheckKind,
    Timebank,
    User,
)

DBS_KINDS = [SafeguardingCheckKind.DBS_BASIC, SafeguardingCheckKind.DBS_STANDARD, SafeguardingCheckKind.DBS_ENHANCED]
REFERENCE_KINDS = [SafeguardingCheckKind.REFERENCE]


def reminder_days() -> int:
    """How many days before a check expires the coordinators are reminded."""
    days: int = settings.SAFEGUARDING_REMINDER_DAYS
    return days


def current_checks_q(*, today: datetime.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}checked_on__lte": today}) & (
        Q(**{f"{prefix}expires_on__isnull": True}) | Q(**{f"{prefix}expires_on__gte": today})
    )


def members_with_safeguarding(*, timebank: Timebank) -> QuerySet[Member]:
    """Members who can exchange (or are applying), with their checks and restrictions prefetched."""
    return (
        Member.objects.filter(timebank=timebank)
        .exclude(status__in=[MemberStatus.LEFT, MemberStatus.DECLINED])
        .prefetch_related(
            Prefetch("safeguarding_checks", queryset=SafeguardingCheck.objects.order_by("kind", "-checked_on")),
            Prefetch("category_restrictions", queryset=CategoryRestriction.objects.select_related("category")),
        )
        .order_by("display_name", "pk")
    )


class MemberSafeguarding(TypedDict):
    checks: list[SafeguardingCheck]
    incidents: list[Incident]
    restrictions: list[CategoryRestriction]


def member_safeguarding(*, member: Member) -> MemberSafeguarding:
    """One member's checks, incidents and restrictions, for their safeguarding page."""
    return {
        "checks": list(member.safeguarding_checks.select_related("recorded_by").order_by("kind", "-checked_on")),
        "incidents": list(member.incidents.select_related("recorded_by")),
        "restrictions": list(member.category_restrictions.select_related("category", "recorded_by")),
    }


def checks_expiring(*, timebank: Timebank, today: datetime.date, within_days: int) -> QuerySet[SafeguardingCheck]:
    """Checks that expire between today and `within_days` from now, soonest first."""
    return (
        SafeguardingCheck.objects.filter(
            member__timebank=timebank,
            expires_on__gte=today,
            expires_on__lte=today + datetime.timedelta(days=within_days),
        )
        .select_related("member")
        .order_by("expires_on", "pk")
    )


def incidents_for(*, timebank: Timebank) -> QuerySet[Incident]:
    return Incident.objects.filter(member__timebank=timebank).select_related("member", "recorded_by")


def coordinator_emails() -> list[str]:
    """The addresses of every active coordinator and administrator."""
    return list(
        User.objects.filter(Q(groups__name__in=[Role.COORDINATOR, Role.ADMIN]) | Q(is_superuser=True), is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
