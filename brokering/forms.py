"""Forms for the brokering pages: input parsing only, the rules live in services."""

import datetime
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brokering.selectors.reports import Period
from core.form_messages import PlainErrorsMixin, messages
from timebank.models import Category, SafeguardingCheckKind, Timebank
from timebank.selectors.listings import active_categories

MAX_REPORT_DAYS = 366 * 5


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


class PeriodForm(PlainErrorsMixin, forms.Form):
    # Only the timebanks the coordinator coordinates (given by the page): none by default.
    timebank = forms.ModelChoiceField(
        queryset=Timebank.objects.none(),
        empty_label=None,
        error_messages=messages(required=_("Choose a timebank."), invalid_choice=_("Choose a timebank from the list.")),
    )
    start = forms.DateField(
        label=_("From"),
        widget=DateInput,
        help_text=_("The first day of the period."),
        error_messages=messages(
            required=_("Enter the first day of the period, like 1/4/2026."),
            invalid=_("Enter the first day of the period as a real date, like 1/4/2026."),
        ),
    )
    end = forms.DateField(
        label=_("To"),
        widget=DateInput,
        help_text=_("The last day of the period (included)."),
        error_messages=messages(
            required=_("Enter the last day of the period, like 31/3/2027."),
            invalid=_("Enter the last day of the period as a real date, like 31/3/2027."),
        ),
    )

    def __init__(self, *args: Any, timebanks: QuerySet[Timebank], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["timebank"]).queryset = timebanks.order_by("name", "pk")

    @staticmethod
    def default_period() -> tuple[datetime.date, datetime.date]:
        """From the first of the month eleven months ago to today: twelve calendar months."""
        today = timezone.localdate()
        return (today.replace(day=1) - datetime.timedelta(days=335)).replace(day=1), today

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The last day must be on or after the first day."))
            elif (end - start).days > MAX_REPORT_DAYS:
                self.add_error("end", _("Choose a period of at most five years."))
        return data

    @property
    def period(self) -> Period:
        return Period(start=self.cleaned_data["start"], end=self.cleaned_data["end"])


class CheckForm(PlainErrorsMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of check"),
        choices=SafeguardingCheckKind.choices,
        error_messages=messages(
            required=_("Choose the kind of check."), invalid_choice=_("Choose the kind of check from the list.")
        ),
    )
    reference_number = forms.CharField(
        label=_("DBS certificate number"), max_length=40, required=False, help_text=_("Needed for a DBS check.")
    )
    referee_name = forms.CharField(
        label=_("Who gave the reference"), max_length=120, required=False, help_text=_("Needed for a reference.")
    )
    checked_on = forms.DateField(
        label=_("Date of the check"),
        widget=DateInput,
        error_messages=messages(
            required=_("Enter the date of the check, like 27/3/2026."),
            invalid=_("Enter the date of the check as a real date, like 27/3/2026."),
        ),
    )
    expires_on = forms.DateField(
        label=_("Expiry date"),
        widget=DateInput,
        required=False,
        help_text=_("Leave blank if it does not expire."),
        error_messages=messages(invalid=_("Enter the expiry date as a real date, like 27/3/2029, or leave it blank.")),
    )


class IncidentForm(PlainErrorsMixin, forms.Form):
    occurred_at = forms.DateTimeField(
        label=_("When it happened"),
        widget=DateTimeInput,
        error_messages=messages(
            required=_("Enter when it happened, like 27/3/2026 14:30."),
            invalid=_("Enter when it happened as a real date and time, like 27/3/2026 14:30."),
        ),
    )
    what_happened = forms.CharField(
        label=_("What happened"),
        max_length=4000,
        widget=forms.Textarea,
        error_messages=messages(required=_("Enter what happened.")),
    )
    action_taken = forms.CharField(label=_("Action taken"), max_length=4000, widget=forms.Textarea, required=False)


class RestrictionForm(PlainErrorsMixin, forms.Form):
    category = forms.ModelChoiceField(
        label=_("Do not suggest them for"),
        queryset=Category.objects.none(),
        error_messages=messages(
            required=_("Choose the category not to suggest them for."),
            invalid_choice=_("Choose a category from the list."),
        ),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args: Any, timebank: Timebank, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The member's own timebank's categories (each timebank has its own list).
        cast(forms.ModelChoiceField, self.fields["category"]).queryset = active_categories(timebank=timebank)


class CategorySafeguardingForm(PlainErrorsMixin, forms.Form):
    needs_dbs_check = forms.BooleanField(label=_("Needs a current DBS check"), required=False)
    needs_references = forms.BooleanField(label=_("Needs current references"), required=False)


class IntroduceForm(PlainErrorsMixin, forms.Form):
    helper = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages=messages(required=_("Choose someone to introduce from the list below.")),
    )
    description = forms.CharField(
        label=_("Note for both people"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Shown after a safeguarding refusal: a coordinator may go ahead with a recorded reason.
    safeguarding_override_reason = forms.CharField(
        label=_("Reason for going ahead despite the safeguarding check (recorded)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
