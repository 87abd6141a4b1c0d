"""Safeguarding writes: recording checks (references, DBS) and incidents,
restricting a member from a category, which categories need checks, and the
reminders to coordinators about checks that expire.

Everything here is for the coordinators of the member's timebank
(timebank.permissions.require_coordinator_of); the reminders go to each
timebank's own coordinators. The reads (and what makes a check current) are
brokering.selectors.safeguarding's.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from brokering.mail import send_after_commit
from brokering.selectors.safeguarding import coordinator_emails, reminder_days
from core.errors import ConflictError, InvalidInputError
from timebank.models import (
    Category,
    CategoryRestriction,
    Incident,
    Member,
    SafeguardingCheck,
    User,
)
from timebank.permissions import require_coordinator_of


def incident_record(
    *, member: Member, occurred_at: datetime.datetime, what_happened: str, action_taken: str, by_user: User
) -> Incident:
    require_coordinator_of(by_user, member.timebank_id)
    if not what_happened.strip():
        raise InvalidInputError(_("Say what happened."), field="what_happened")
    if occurred_at > timezone.now():
        raise InvalidInputError(_("The time of the incident cannot be in the future."), field="occurred_at")
    return Incident.objects.create(
        member=member,
        occurred_at=occurred_at,
        what_happened=what_happened.strip(),
        action_taken=action_taken.strip(),
        recorded_by=by_user,
    )


def restriction_add(*, member: Member, category: Category, reason: str, by_user: User) -> CategoryRestriction:
    require_coordinator_of(by_user, member.timebank_id)
    if category.timebank_id != member.timebank_id:
        raise InvalidInputError(
            _("That category is not one of %(name)s's timebank's. Choose one from the list.")
            % {"name": member.display_name},
            field="category",
        )
    try:
        # Why atomic: the unique constraint may refuse the row; roll back only this insert.
        with transaction.atomic():
            return CategoryRestriction.objects.create(
                member=member, category=category, reason=reason.strip(), recorded_by=by_user
            )
    except IntegrityError:
        raise ConflictError(
            _("%(name)s is already restricted from %(category)s.")
            % {"name": member.display_name, "category": category.label}
        ) from None


def restriction_remove(*, restriction: CategoryRestriction, by_user: User) -> None:
    require_coordinator_of(by_user, restriction.member.timebank_id)
    restriction.delete()


def category_safeguarding_set(
    *, category: Category, needs_dbs_check: bool, needs_references: bool, by_user: User
) -> Category:
    # Each timebank sets the checks for its own categories: only its coordinators.
    require_coordinator_of(by_user, category.timebank_id)
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
        # One e-mail per timebank, to its own coordinators: nobody hears of another timebank's members.
        by_timebank: dict[int, list[SafeguardingCheck]] = {}
        for check in checks:
            by_timebank.setdefault(check.member.timebank_id, []).append(check)
        for timebank_id, its_checks in sorted(by_timebank.items()):
            send_after_commit(
                to=coordinator_emails(timebank_id=timebank_id),
                template="safeguarding_reminder",
                context={"checks": its_checks, "today": today},
            )
        SafeguardingCheck.objects.filter(pk__in=[c.pk for c in checks]).update(reminded_at=timezone.now())
    return len(checks)
