"""Every write of the co-production self-assessment: opening and closing a
round, saving a person's answers, and a network administrator's changes to
the statements.

Invariants:
- one open round per timebank (the constraint `assessment_one_open_round_per_timebank`;
  opening locks the timebank row first so two coordinators opening at once get
  a plain refusal rather than a database error);
- a round asks the statements that were in use when it was opened, and only
  those; answers are saved only while the round is open, all at once;
- one answer set per person per round: saving again replaces their answers;
- a statement that has been answered is retired, never deleted.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coproduction.assessment.models import Answer, AnswerSet, Round, Rung, Score, Statement, Value
from coproduction.assessment.selectors import respondent_side
from core.errors import ConflictError, InvalidInputError, NotAllowedError
from timebank.models import Timebank, User
from timebank.permissions import is_network_admin, require_coordinator_of

TITLE_MAX = 100
TEXT_MAX = 300
NEXT_STEP_MAX = 1000


def _clean_text(text: str, *, field: str, limit: int, required: bool = True) -> str:
    text = " ".join((text or "").split())
    if required and not text:
        raise InvalidInputError(_("Enter the wording."), field=field)
    if len(text) > limit:
        raise InvalidInputError(_("Keep it to %(limit)s characters or fewer.") % {"limit": limit}, field=field)
    return text


# --- Rounds ---------------------------------------------------------------------------------


def round_open(*, by_user: User, timebank: Timebank, title: str, opened_on: datetime.date | None = None) -> Round:
    """Open a round for `timebank` asking every statement now in use."""
    require_coordinator_of(by_user, timebank, message=_("Only a coordinator of this timebank can open a round."))
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInputError(_("Give the round a name, for example “Spring 2026”."), field="title")
    if len(title) > TITLE_MAX:
        raise InvalidInputError(
            _("Keep the name to %(limit)s characters or fewer.") % {"limit": TITLE_MAX}, field="title"
        )
    statements = list(Statement.objects.filter(retired_at__isnull=True))
    if not statements:
        raise ConflictError(_("There are no statements in use. Ask a network administrator to add some."))
    # Why atomic and the lock: the check for an open round and the new row go
    # together; a second coordinator opening at the same moment waits here and
    # then sees the first round.
    with transaction.atomic():
        Timebank.objects.select_for_update().filter(pk=timebank.pk).first()
        if Round.objects.filter(timebank=timebank, closed_at__isnull=True).exists():
            raise ConflictError(_("A round is already open. Close it before opening a new one."))
        round = Round.objects.create(
            timebank=timebank, title=title, opened_on=opened_on or timezone.localdate(), opened_by=by_user
        )
        round.statements.set(statements)
    return round


def round_close(*, by_user: User, round: Round) -> Round:
    """Close an open round: no more answers; its results are final."""
    require_coordinator_of(by_user, round.timebank_id, message=_("Only a coordinator of this timebank can close it."))
    # Why atomic and the lock: closing and a last answer must not interleave.
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        if not locked.is_open:
            raise ConflictError(_("This round is already closed."))
        locked.closed_at = timezone.now()
        locked.save(update_fields=["closed_at"])
    round.closed_at = locked.closed_at  # the caller's copy shows the round closed too
    return locked


# --- Answers --------------------------------------------------------------------------------


def answers_save(*, by_user: User, round: Round, scores: Mapping[int, int | None]) -> AnswerSet:
    """Save `by_user`'s answers to every statement of an open round, as staff
    (a coordinator of the round's timebank) or as a member of it. `scores`
    maps each statement id to 0-3, or None for "Don't know"."""
    side = respondent_side(user=by_user, timebank_id=round.timebank_id)
    if side is None:
        raise NotAllowedError(_("Only this timebank's coordinators and members can answer."))
    asked = set(round.statements.values_list("pk", flat=True))
    missing = sorted(asked - set(scores))
    if missing:
        raise InvalidInputError(_("Choose an answer for every statement."), field=f"statement_{missing[0]}")
    if set(scores) - asked:
        raise InvalidInputError(_("Answer only the statements of this round."))
    allowed = set(Score.values)
    for statement_id, score in scores.items():
        if score is not None and score not in allowed:
            raise InvalidInputError(_("Choose one of the answers given."), field=f"statement_{statement_id}")
    # Why atomic and the lock: the answers replace the person's earlier ones
    # all together, and not after the round has been closed.
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        if not locked.is_open:
            raise ConflictError(_("This round has closed, so answers can no longer be changed."))
        answer_set, _created = AnswerSet.objects.update_or_create(
            round=locked, respondent=by_user, defaults={"side": side, "submitted_at": timezone.now()}
        )
        answer_set.answers.all().delete()
        Answer.objects.bulk_create(
            Answer(answer_set=answer_set, statement_id=statement_id, score=scores[statement_id])
            for statement_id in sorted(asked)
        )
    return answer_set


# --- Statements (network administrators) ----------------------------------------------------


def _require_network_admin(by_user: User) -> None:
    if not is_network_admin(by_user):
        raise NotAllowedError(_("Only a network administrator can change the statements."))


def statement_save(
    *,
    by_user: User,
    statement: Statement | None,
    rung: Rung,
    value: Value,
    staff_text: str,
    member_text: str,
    next_step: str = "",
) -> Statement:
    """Add a statement (`statement=None`) or change one. Changing the wording
    of an answered statement changes it in old rounds too: make it clearer,
    but to ask something else, retire it and add a new one."""
    _require_network_admin(by_user)
    fields = {
        "rung": rung,
        "value": value,
        "staff_text": _clean_text(staff_text, field="staff_text", limit=TEXT_MAX),
        "member_text": _clean_text(member_text, field="member_text", limit=TEXT_MAX),
        "next_step": _clean_text(next_step, field="next_step", limit=NEXT_STEP_MAX, required=False),
    }
    if statement is None:
        return Statement.objects.create(**fields, position=Statement.objects.count() + 1)
    for name, new in fields.items():
        setattr(statement, name, new)
    statement.save(update_fields=list(fields))
    return statement


def next_step_set(*, by_user: User, guidance: Rung | Value, next_step: str) -> Rung | Value:
    """Change the suggested next step of a rung (how to reach it) or a value."""
    _require_network_admin(by_user)
    guidance.next_step = _clean_text(next_step, field="next_step", limit=NEXT_STEP_MAX, required=False)
    guidance.save(update_fields=["next_step"])
    return guidance


def statement_retire(*, by_user: User, statement: Statement, retired: bool = True) -> Statement:
    """Retire a statement (new rounds no longer ask it; old rounds keep its
    answers), or bring a retired one back."""
    _require_network_admin(by_user)
    statement.retired_at = timezone.now() if retired else None
    statement.save(update_fields=["retired_at"])
    return statement
