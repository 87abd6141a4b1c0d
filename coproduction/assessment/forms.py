"""The self-assessment's forms: shapes and lengths only; the rules are the
services' (coproduction/assessment/services.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from coproduction.assessment.models import Rung, Score, Side, Statement, Value

DONT_KNOW = "dont-know"
ANSWER_CHOICES = [
    *((str(value), label) for value, label in Score.choices),
    (DONT_KNOW, _("Don’t know")),
]


class RoundOpenForm(forms.Form):
    title = forms.CharField(
        label=_("Name of the round"),
        max_length=100,
        help_text=_("For example, “Spring 2026”. Everyone who answers will see it."),
    )


def statement_field_name(statement_id: int) -> str:
    return f"statement_{statement_id}"


class AnswersForm(forms.Form):
    """One group of choices per statement of the round, worded for the side
    answering: staff read "We ...", members "They ..."."""

    def __init__(self, *args, statements: list[Statement], side: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.statements = statements
        for statement in statements:
            self.fields[statement_field_name(statement.pk)] = forms.ChoiceField(
                label=statement.staff_text if side == Side.STAFF else statement.member_text,
                choices=ANSWER_CHOICES,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Choose an answer for “%(statement)s”.")
                    % {"statement": statement.staff_text if side == Side.STAFF else statement.member_text}
                },
            )

    @staticmethod
    def initial_from(scores: dict[int, int | None]) -> dict[str, str]:
        return {statement_field_name(pk): DONT_KNOW if score is None else str(score) for pk, score in scores.items()}

    def sections(self) -> list[tuple[Rung, list[forms.BoundField]]]:
        """The fields grouped by rung of the ladder, bottom first."""
        grouped: dict[int, tuple[Rung, list[forms.BoundField]]] = {}
        for statement in self.statements:
            rung_fields = grouped.setdefault(statement.rung_id, (statement.rung, []))
            rung_fields[1].append(self[statement_field_name(statement.pk)])
        return list(grouped.values())

    def scores(self) -> dict[int, int | None]:
        return {
            statement.pk: None
            if self.cleaned_data[statement_field_name(statement.pk)] == DONT_KNOW
            else int(self.cleaned_data[statement_field_name(statement.pk)])
            for statement in self.statements
        }


class StatementForm(forms.Form):
    rung = forms.ModelChoiceField(
        label=_("Rung of the ladder"), queryset=Rung.objects.order_by("position"), empty_label=None
    )
    value = forms.ModelChoiceField(label=_("Value"), queryset=Value.objects.order_by("position"), empty_label=None)
    staff_text = forms.CharField(
        label=_("What staff read"),
        max_length=300,
        help_text=_("Start with “We”, for example “We ask members what they think.”"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    member_text = forms.CharField(
        label=_("What members read"),
        max_length=300,
        help_text=_("The same, about the organisation, for example “They ask members what they think.”"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    next_step = forms.CharField(
        label=_("Suggested next step"),
        max_length=1000,
        required=False,
        help_text=_("Shown in the results when this statement scores low."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NextStepForm(forms.Form):
    """One rung's or value's suggested next step, on the next steps page."""

    kind = forms.ChoiceField(choices=[("rung", "rung"), ("value", "value")], widget=forms.HiddenInput)
    pk = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    next_step = forms.CharField(max_length=1000, required=False)
