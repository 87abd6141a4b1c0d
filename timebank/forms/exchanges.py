"""Forms for the steps of an exchange and for coordinators recording and
resolving exchanges. Time is typed as people say it ("1.5 hours", "90",
"1:30") and parsed into whole minutes by timebank.hours (through HoursField)."""

from typing import cast

from django import forms
from django.conf import settings

from core.form_messages import PlainErrorsMixin, messages
from timebank.forms.accounts import HoursField, MemberChoiceField
from timebank.forms.listings import CheckboxList, ChoiceList
from timebank.models import Category, Member, Timebank, Where
from timebank.selectors.listings import active_categories


class OptionalHoursField(HoursField):
    """An HoursField that may be left blank (cleans to None)."""

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def clean(self, value):
        if value in self.empty_values or not str(value).strip():
            return None
        return super().clean(value)


class ProposeExchangeForm(PlainErrorsMixin, forms.Form):
    description = forms.CharField(
        label="A message about what you have in mind",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    agreed_for = forms.DateTimeField(
        label="When (if you have agreed a time)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        error_messages=messages(invalid="Enter the date and time you agreed, like 27/3/2026 14:30, or leave it blank."),
    )


class NoteForm(PlainErrorsMixin, forms.Form):
    """Accept, decline, cancel and confirm: an optional note for the other person."""

    note = forms.CharField(label="A note (the other person will see it)", max_length=500, required=False)


def help_date_field(
    *, label: str = "When was the help given?", help_text: str = "Leave blank for today."
) -> forms.DateField:
    """The day the help was given: one date input, as elsewhere on the site; the
    service checks it is not in the future nor too long ago."""
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=help_text,
        error_messages=messages(
            invalid="Enter the day the help was given, like 27/3/2026, or leave it blank for today."
        ),
    )


class RecordTimeForm(PlainErrorsMixin, forms.Form):
    minutes = HoursField(
        label="How long did it take?",
        error_messages=messages(required="Enter how long you helped for, like 1 hour 30 minutes."),
    )
    helped_on = help_date_field()


class DisputeForm(PlainErrorsMixin, forms.Form):
    note = forms.CharField(
        label="What is not right?",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: it took one hour, not two. A coordinator will read this.",
        error_messages=messages(required="Enter what is not right, like: it took one hour, not two."),
    )


class ResolveForm(PlainErrorsMixin, forms.Form):
    outcome = forms.ChoiceField(
        label="Decision",
        widget=ChoiceList,
        choices=[
            ("confirm", "Confirm the time as recorded"),
            ("change", "Change the time, then confirm"),
            ("cancel", "Cancel the exchange: no hours move"),
        ],
        error_messages=messages(required="Choose a decision.", invalid_choice="Choose one of the decisions listed."),
    )
    minutes = OptionalHoursField(label="New time (only if changing it)")
    helped_on = help_date_field(
        label="Day the help was given (only if changing it)", help_text="Leave blank to keep the day recorded."
    )
    note = forms.CharField(
        label="Note explaining the decision",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=messages(required="Enter a note explaining the decision."),
    )
    override_limits = forms.BooleanField(
        label="Let it through although it takes them past their limit",
        required=False,
        help_text="Only if confirming is stopped by someone's account limit. Their limit is widened to the "
        "balance it leaves, and your note is recorded with it.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == "change" and not cleaned.get("minutes") and "minutes" not in self.errors:
            self.add_error("minutes", "Enter the new time, for example 1.5 hours.")
        return cleaned


class RecordForMembersForm(PlainErrorsMixin, forms.Form):
    provider = MemberChoiceField(
        queryset=Member.objects.none(),
        label="Who gave the time?",
        error_messages=messages(required="Choose who gave the time."),
    )
    receivers = forms.ModelMultipleChoiceField(
        queryset=Member.objects.none(),
        to_field_name="public_id",
        label="Who received it?",
        widget=CheckboxList,
        help_text="Tick everyone who received the help; for a group session tick them all.",
        error_messages=messages(
            required="Tick everyone who received the help.",
            invalid_choice="Tick members from the list only.",
            invalid_pk_value="Tick members from the list only.",
        ),
    )
    minutes = HoursField(
        label="How long did it take?",
        error_messages=messages(required="Enter how long the help took, like 1 hour 30 minutes."),
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(), label="Category", required=False, empty_label="No category"
    )
    description = forms.CharField(
        label="What was the help?",
        max_length=250,
        error_messages=messages(required="Enter what the help was, like a lift to the doctor."),
    )
    where = forms.ChoiceField(
        label="Where was the help given?",
        choices=[("", "Not stated"), *Where.choices],
        required=False,
        help_text="Help in someone's home needs a current DBS check.",
    )
    occurred_on = forms.DateField(
        label="When did it happen?",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave blank for today. Help given up to {days} days ago can be recorded.",
        error_messages=messages(invalid="Enter the date it happened, like 27/3/2026, or leave it blank for today."),
    )
    safeguarding_override_reason = forms.CharField(
        label="Reason for going ahead despite the safeguarding check",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only if you were told the safeguarding rules stop this exchange and you have checked it "
        "yourself. Your reason is recorded.",
    )

    def __init__(self, *args, members, timebank: Timebank, **kwargs):
        super().__init__(*args, **kwargs)
        occurred_on = self.fields["occurred_on"]
        occurred_on.help_text = str(occurred_on.help_text).format(days=settings.EXCHANGE_HELP_DATE_MAX_DAYS_BACK)
        for name in ("provider", "receivers"):
            cast(forms.ModelChoiceField, self.fields[name]).queryset = members
        cast(forms.ModelChoiceField, self.fields["category"]).queryset = active_categories(timebank=timebank)
