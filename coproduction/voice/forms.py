"""Forms of the feedback, ideas and votes pages: shapes and lengths only; the
rules are the services'."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coproduction.voice.models import (
    IDEA_TEXT_MAX_LENGTH,
    IDEA_TITLE_MAX_LENGTH,
    RESPONSE_MAX_LENGTH,
    WORDS_MAX_LENGTH,
    IdeaStatus,
    Score,
)

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

# Best first, as people read a scale.
SCORE_CHOICES = sorted(Score.choices, key=lambda choice: -choice[0])
CHOOSE_A_FACE = _("Choose how it went, from Very good to Bad.")


def _score_field(label: str | _StrPromise) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": CHOOSE_A_FACE, "invalid_choice": CHOOSE_A_FACE},
    )


def _words_field() -> forms.CharField:
    return forms.CharField(
        label=_("Anything you want to say"),
        required=False,
        max_length=WORDS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Up to %(count)s characters. You do not have to write anything.") % {"count": WORDS_MAX_LENGTH},
    )


class RatingForm(forms.Form):
    score = _score_field(_("How did it go?"))
    words = _words_field()


class EasyScoreForm(forms.Form):
    """Easy read, first screen: one question."""

    score = _score_field(_("How was it?"))


class EasyWordsForm(forms.Form):
    """Easy read, second screen: words, optional; the score chosen comes along."""

    score = forms.TypedChoiceField(choices=SCORE_CHOICES, coerce=int, widget=forms.HiddenInput)
    words = forms.CharField(
        label=_("Do you want to tell us more?"),
        required=False,
        max_length=WORDS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("You can leave this empty."),
    )


class ReferralRatingForm(forms.Form):
    score = _score_field(_("How did the person say their first contact went?"))
    person_agreed = forms.BooleanField(
        label=_("The person told me this rating themselves, and agreed to it being kept"),
        error_messages={"required": _("Tick this only if the person told you the rating and agreed to it being kept.")},
    )


class IdeaForm(forms.Form):
    title = forms.CharField(
        label=_("Your idea in a few words"),
        max_length=IDEA_TITLE_MAX_LENGTH,
        error_messages={"required": _("Enter your idea in a few words.")},
    )
    description = forms.CharField(
        label=_("Tell us more"),
        required=False,
        max_length=IDEA_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What would change, and who would it help?"),
    )


class IdeaResponseForm(forms.Form):
    status = forms.ChoiceField(
        label=_("What is happening with this idea?"),
        choices=[(value, label) for value, label in IdeaStatus.choices if value != IdeaStatus.OPEN],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what is happening with this idea.")},
    )
    response = forms.CharField(
        label=_("Your answer, shown to every member"),
        max_length=RESPONSE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("For a done idea, say what changed."),
        error_messages={"required": _("Enter your answer.")},
    )


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        today = timezone.localdate()
        cleaned["end"] = cleaned.get("end") or today
        cleaned["start"] = cleaned.get("start") or cleaned["end"] - datetime.timedelta(days=90)
        if cleaned["start"] > cleaned["end"]:
            self.add_error("start", _("The start must be on or before the end."))
        return cleaned
