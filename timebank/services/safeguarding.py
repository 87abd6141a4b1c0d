"""Enforcing the safeguarding rule on every path that puts two people together.

The rule itself is timebank.selectors.safeguarding (`safeguarding_problems`).
The services that list an offer, propose, accept, introduce, record for
members or arrange a group exchange call `safeguarding_require` BEFORE they
write anything, and, when a coordinator overrode the rule, call
`safeguarding_override_record` inside their transaction once the exchange or
listing exists:

- no problems: nothing happens;
- problems and no override reason: SafeguardingError (409) whose message
  names each problem and what to do;
- problems and a reason from someone who does not coordinate the timebank:
  SafeguardingError too (members cannot override);
- problems and a reason from a coordinator of the timebank: allowed; the
  override is recorded (SafeguardingOverride, append-only) with the reason.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext

from core.errors import ConflictError, InvalidInputError
from timebank.models import (
    Category,
    Exchange,
    Listing,
    Member,
    SafeguardingCheck,
    SafeguardingCheckKind,
    SafeguardingOverride,
    Timebank,
    User,
)
from timebank.permissions import is_coordinator_of, require_coordinator_of
from timebank.selectors.safeguarding import DBS_KINDS, YOUNG_PERSON, Problem, safeguarding_problems

OVERRIDE_FIELD = "safeguarding_override_reason"
REASON_MAX = 1000


class SafeguardingError(ConflictError):
    """The safeguarding rule stops this pairing. `problems` says why."""

    code = "safeguarding"

    def __init__(self, message: str, *, problems: list[Problem], field: str | None = None):
        super().__init__(message, field=field)
        self.problems = problems


@dataclass(frozen=True)
class Clearance:
    """A coordinator's override, checked and waiting to be recorded."""

    timebank: Timebank
    helper: Member
    category: Category | None
    where: str
    problems: list[Problem]
    reason: str
    by_user: User

    @property
    def note(self) -> str:
        """The exchange's history note. Members read the history, so it says
        only that a coordinator decided; the problems and the reason are in the
        SafeguardingOverride row, for coordinators."""
        return "A coordinator checked the safeguarding rules and agreed this can go ahead (reason recorded)."


def safeguarding_require(
    *,
    timebank: Timebank,
    helper: Member,
    category: Category | None,
    where: str | None,
    by_user: User | None,
    override_reason: str = "",
    today: datetime.date,
    covered: Iterable[str] = (),
    carers_break: bool = False,
    receivers: Sequence[Member] | None = None,
) -> Clearance | None:
    """Refuse (SafeguardingError) unless `helper` may help with `category` at
    `where`, or a coordinator of `timebank` overrides with a reason. Returns
    the Clearance to record when a coordinator overrode, else None.

    `covered`: problem codes already overridden for this exchange (an
    introduction a coordinator overrode is then accepted by the helper).
    `carers_break` and `receivers`: see safeguarding_problems."""
    already = set(covered)
    problems = [
        p
        for p in safeguarding_problems(
            helper=helper, category=category, where=where, today=today, carers_break=carers_break, receivers=receivers
        )
        if p.code not in already
    ]
    if not problems:
        return None
    reason = " ".join((override_reason or "").split())
    may_override = by_user is not None and is_coordinator_of(by_user, timebank)
    # A restriction is a coordinator-only record: the helper and coordinators
    # are told about it, anyone else only that the helper cannot help just now.
    told_everything = may_override or (by_user is not None and helper.user_id == by_user.pk)
    # Who is under 18 is for coordinators only: an adult helper is not told a named member's age.
    message = " ".join(
        p.message if may_override or (told_everything and p.code != YOUNG_PERSON) else p.message_for_others
        for p in problems
    )
    if not reason:
        if may_override:
            message = gettext(
                "%(problems)s To go ahead anyway, write your reason for overriding this; it will be recorded."
            ) % {"problems": message}
        raise SafeguardingError(message, problems=problems, field=OVERRIDE_FIELD if may_override else None)
    if not may_override or by_user is None:
        raise SafeguardingError(
            gettext("%(problems)s Only a coordinator of this timebank can agree to go ahead despite this.")
            % {"problems": message},
            problems=problems,
        )
    if len(reason) > REASON_MAX:
        raise InvalidInputError(
            gettext("Keep the reason to %(max)s characters or fewer.") % {"max": REASON_MAX}, field=OVERRIDE_FIELD
        )
    return Clearance(
        timebank=timebank,
        helper=helper,
        category=category,
        where=where or "",
        problems=problems,
        reason=reason,
        by_user=by_user,
    )


def safeguarding_override_record(
    *, clearance: Clearance, exchange: Exchange | None = None, listing: Listing | None = None
) -> SafeguardingOverride:
    """Record a coordinator's override (call inside the transaction that writes
    the exchange or listing, so both commit or neither does)."""
    return SafeguardingOverride.objects.create(
        timebank=clearance.timebank,
        member=clearance.helper,
        category=clearance.category,
        where=clearance.where,
        problems=[p.code for p in clearance.problems],
        problems_text=" ".join(p.message for p in clearance.problems),
        reason=clearance.reason,
        exchange=exchange,
        listing=listing,
        overridden_by=clearance.by_user,
    )


# --- Safeguarding checks (DBS, references) -----------------------------------------------


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
    require_coordinator_of(by_user, member.timebank_id)
    if kind not in SafeguardingCheckKind.values:
        raise InvalidInputError(gettext("Choose the kind of check."), field="kind")
    if checked_on > timezone.localdate():
        raise InvalidInputError(gettext("The check date cannot be in the future."), field="checked_on")
    if expires_on is not None and expires_on < checked_on:
        raise InvalidInputError(
            gettext("The expiry date must be on or after the date of the check."), field="expires_on"
        )
    if kind in DBS_KINDS and not reference_number.strip():
        raise InvalidInputError(gettext("Enter the DBS certificate number."), field="reference_number")
    if kind == SafeguardingCheckKind.REFERENCE and not referee_name.strip():
        raise InvalidInputError(gettext("Enter who gave the reference."), field="referee_name")
    return SafeguardingCheck.objects.create(
        member=member,
        kind=kind,
        checked_on=checked_on,
        expires_on=expires_on,
        reference_number=reference_number.strip(),
        referee_name=referee_name.strip(),
        recorded_by=by_user,
    )
