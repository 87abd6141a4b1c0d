"""Safeguarding records: checks (references, DBS) with expiry, the incident log,
category restrictions and which categories need checks.

Everything here is for coordinators only; views check the role before calling.
A check is *current* on a day when it was made on or before that day and has
not expired (no expiry date means it does not expire): `current_checks_q`
here, and the same condition in the candidate SQL of matching.py.
"""
import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from brokering.mail import send_after_commit
from core.errors import ConflictError, InvalidInputError
from timebank.models import (
    Category,
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
    return settings.SAFEGUARDING_REMINDER_DAYS


# --- selectors -------------------------------------------------------------------------------


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


def member_safeguarding(*, member: Member) -> dict:
    checks = list(member.safeguarding_checks.select_related("recorded_by").order_by("kind", "-checked_on"))
    return {
        "checks": checks,
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


# --- services --------------------------------------------------------------------------------


def check_record(
    *,
    member: Member,
    kind: str,
    checked_on: datetime.date,
    expires_on: datetime.date | None,
    reference_number: str = "",
    referee_name: str = "",
    by_user: User,
) -> SafeguardingCheck:
    if kind not in SafeguardingCheckKind.values:
        raise InvalidInputError("Choose the kind of check.", field="kind")
    if checked_on > timezone.localdate():
        raise InvalidInputError("The check date cannot be in the future.", field="checked_on")
    if expires_on is not None and expires_on < checked_on:
        raise InvalidInputError("The expiry date must be on or after the date of the check.", field="expires_on")
    if kind in DBS_KINDS and not reference_number.strip():
        raise InvalidInputError("Enter the DBS certificate number.", field="reference_number")
    if kind == SafeguardingCheckKind.REFERENCE and not referee_name.strip():
        raise InvalidInputError("Enter who gave the reference.", field="referee_name")
    return SafeguardingCheck.objects.create(
        member=member,
        kind=kind,
        checked_on=checked_on,
        expires_on=expires_on,
        reference_number=reference_number.strip(),
        referee_name=referee_name.strip(),
        recorded_by=by_user,
    )


def incident_record(
    *, member: Member, occurred_at: datetime.datetime, what_happened: str, action_taken: str, by_user: User
) -> Incident:
    if not what_happened.strip():
        raise InvalidInputError("Say what happened.", field="what_happened")
    if occurred_at > timezone.now():
        raise InvalidInputError("The time of the incident cannot be in the future.", field="occurred_at")
    return Incident.objects.create(
        member=member,
        occurred_at=occurred_at,
        what_happened=what_happened.strip(),
        action_taken=action_taken.strip(),
        recorded_by=by_user,
    )


def restriction_add(*, member: Member, category: Category, reason: str, by_user: User) -> CategoryRestriction:
    try:
        # Why atomic: the unique constraint may refuse the row; roll back only this insert.
        with transaction.atomic():
            return CategoryRestriction.objects.create(
                member=member, category=category, reason=reason.strip(), recorded_by=by_user
            )
    except IntegrityError:
        raise ConflictError(f"{member.display_name} is already restricted from {category.name}.") from None


def restriction_remove(*, restriction: CategoryRestriction) -> None:
    restriction.delete()


def category_safeguarding_set(*, category: Category, needs_dbs_check: bool, needs_references: bool) -> Category:
    category.needs_dbs_check = needs_dbs_check
    category.needs_references = needs_references
    category.save(update_fields=["needs_dbs_check", "needs_references"])
    return category


def coordinator_emails() -> list[str]:
    return list(
        User.objects.filter(Q(groups__name__in=[Role.COORDINATOR, Role.ADMIN]) | Q(is_superuser=True), is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


def check_reminders_send(*, today: datetime.date | None = None) -> int:
    """E-mail coordinators, once per check, about checks that expire soon or
    have expired without a reminder. Returns how many checks were included."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=reminder_days())
    # Why atomic + select_for_update: two overlapping runs must not both remind.
    with transaction.atomic():
        checks = list(
            SafeguardingCheck.objects.select_for_update(of=("self",))
            .filter(reminded_at__isnull=True, expires_on__isnull=False, expires_on__lte=horizon)
            .select_related("member", "member__timebank")
            .order_by("expires_on", "pk")
        )
        if not checks:
            return 0
        send_after_commit(
            to=coordinator_emails(),
            template="safeguarding_reminder",
            context={"checks": checks, "today": today},
        )
        SafeguardingCheck.objects.filter(pk__in=[c.pk for c in checks]).update(reminded_at=timezone.now())
    return len(checks)
