"""Safeguarding writes: recording checks (references, DBS) and incidents,
restricting a member from a category, which categories need checks, and the
reminders to coordinators about checks that expire.

Everything here is for coordinators only; pages check the role before
calling. The reads (and what makes a check current) are
brokering.selectors.safeguarding's.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from brokering.mail import send_after_commit
from brokering.selectors.safeguarding import DBS_KINDS, coordinator_emails, reminder_days
from core.errors import ConflictError, InvalidInputError
from timebank.models import (
    Category,
    CategoryRestriction,
    Incident,
    Member,
    SafeguardingCheck,
    SafeguardingCheckKind,
    User,
)


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
