"""The assessment app's models in the personal-data registry (privacy/registry.py):
what each holds about a member, how to find one member's rows for the subject
access export, and what erasure blanks. Imported by privacy.selectors.

A person's answers are linked to their login only so that they answer once per
round and can change their answers; results show totals only. Erasure unlinks
the answers from the login (the totals stay right) and forgets who opened a round.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from coproduction.assessment.models import Answer, AnswerSet, Round
from privacy.registry import Selection, register_member_eraser, register_no_personal_data, register_personal_data


def _answer_sets_of(member: Any) -> QuerySet[AnswerSet]:
    if member.user_id is None:
        return AnswerSet.objects.none()
    return AnswerSet.objects.filter(respondent_id=member.user_id)


def _rounds_opened_by(member: Any) -> QuerySet[Round]:
    if member.user_id is None:
        return Round.objects.none()
    return Round.objects.filter(opened_by_id=member.user_id)


def assessment_erase_member(member: Any) -> None:
    """Unlink the member's answers and the rounds they opened from their login."""
    if member.user_id is None:
        return
    AnswerSet.objects.filter(respondent_id=member.user_id).update(respondent=None)
    Round.objects.filter(opened_by_id=member.user_id).update(opened_by=None)


register_personal_data(
    "assessment.AnswerSet",
    Selection(
        _answer_sets_of, note=gettext_lazy("Each round of the co-production self-assessment you answered, and when.")
    ),
)
register_personal_data(
    "assessment.Answer",
    Selection(
        lambda member: Answer.objects.filter(answer_set__in=_answer_sets_of(member)),
        note=gettext_lazy(
            "Your answer to each statement of the self-assessment (0 not at all to 3 completely; empty: don't know)."
        ),
    ),
)
register_personal_data(
    "assessment.Round",
    Selection(_rounds_opened_by, note=gettext_lazy("Rounds of the self-assessment you opened as a coordinator.")),
)
register_no_personal_data("assessment.Rung", "A rung of the ladder of co-production: the same for everyone.")
register_no_personal_data("assessment.Value", "A value of co-production: the same for everyone.")
register_no_personal_data(
    "assessment.Statement", "A statement of the self-assessment, written by a network administrator."
)
register_member_eraser(assessment_erase_member)
