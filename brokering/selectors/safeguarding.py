"""Safeguarding reads: members' checks (references, DBS) with expiry, the
incident log, category restrictions, and who to tell about checks running out.

Everything here is for coordinators only; pages check the role before calling.
A check is *current* on a day when it was made on or before that day and has
not expired (no expiry date means it does not expire). That rule, the kinds of
check and the home-visit rule are timebank.selectors.safeguarding's (one
definition for suggestions and for every booking path); they are re-exported
here for brokering's modules, and matching's candidate SQL applies the same
condition.
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
    Timebank,
    User,
)

# Re-exported for brokering's modules; the definitions are the timebank's.
from timebank.selectors.safeguarding import (
    DBS_KINDS as DBS_KINDS,
    REFERENCE_KINDS as REFERENCE_KINDS,
    current_checks_q as current_checks_q,
)


def reminder_days() -> int:
    """How many days before a check expires the coordinators are reminded."""
    days: int = settings.SAFEGUARDING_REMINDER_DAYS
    return days


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


def coordinator_emails(*, timebank_id: int) -> list[str]:
    """The addresses of the active people who coordinate this timebank: its
    listed coordinators and the network administrators (timebank.permissions),
    never another timebank's coordinators."""
    coordinates_it = Q(groups__name=Role.COORDINATOR, coordinated_timebanks__pk=timebank_id)
    runs_the_network = Q(groups__name=Role.ADMIN) | Q(is_superuser=True)
    return sorted(
        set(
            User.objects.filter(coordinates_it | runs_the_network, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
