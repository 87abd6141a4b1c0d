"""Forms for the steps of an exchange and for coordinators recording and
resolving exchanges. Time is typed as people say it ("1.5 hours", "90",
"1:30") and parsed into whole minutes by timebank.hours (through HoursField)."""

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _, ngettext

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
        label=_("A message about what you have in mind"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    agreed_for = forms.DateTimeField(
        label=_("When (if you have agreed a time)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        error_messages=messages(
            invalid=_("Enter the date and time you agreed, like 27/3/2026 14:30, or leave it blank.")
        ),
    )


class NoteForm(PlainErrorsMixin, forms.Form):
    """Accept, decline, cancel and confirm: an optional note for the other person."""

    note = forms.CharField(label=_("A note (the other person will see it)"), max_length=500, required=False)


HELP_DATE_LABEL = _("When was the help given?")
HELP_DATE_HELP = _("Leave blank for today.")


def help_date_field(*, label: Any = HELP_DATE_LABEL, help_text: Any = HELP_DATE_HELP) -> forms.DateField:
    """The day the help was given: one date input, as elsewhere on the site; the
    service checks it is not in the future nor too long ago."""
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=help_text,
        error_messages=messages(
            invalid=_("Enter the day the help was given, like 27/3/2026, or leave it blank for today.")
        ),
    )


class RecordTimeForm(PlainErrorsMixin, forms.Form):
    minutes = HoursField(
        label=_("How long did it take?"),
        error_messages=messages(required=_("Enter how long you helped for, like 1 hour 30 minutes.")),
    )
    helped_on = help_date_field()


class DisputeForm(PlainErrorsMixin, forms.Form):
    note = forms.CharField(
        label=_("What is not right?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: it took one hour, not two. A coordinator will read this."),
        error_messages=messages(required=_("Enter what is not right, like: it took one hour, not two.")),
    )


class ResolveForm(PlainErrorsMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        widget=ChoiceList,
        choices=[
            ("confirm", _("Confirm the time as recorded")),
            ("change", _("Change the time, then confirm")),
            ("cancel", _("Cancel the exchange: no hours move")),
        ],
        error_messages=messages(
            required=_("Choose a decision."), invalid_choice=_("Choose one of the decisions listed.")
        ),
    )
    minutes = OptionalHoursField(label=_("New time (only if changing it)"))
    helped_on = help_date_field(
        label=_("Day the help was given (only if changing it)"), help_text=_("Leave blank to keep the day recorded.")
    )
    note = forms.CharField(
        label=_("Note explaining the decision"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=messages(required=_("Enter a note explaining the decision.")),
    )
    override_limits = forms.BooleanField(
        label=_("Let it through although it takes them past their limit"),
        required=False,
        help_text=_(
            "Only if confirming is stopped by someone's account limit. Their limit is widened to the "
            "balance it leaves, and your note is recorded with it."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == "change" and not cleaned.get("minutes") and "minutes" not in self.errors:
            self.add_error("minutes", _("Enter the new time, for example 1.5 hours."))
        return cleaned


class RecordForMembersForm(PlainErrorsMixin, forms.Form):
    provider = MemberChoiceField(
        queryset=Member.objects.none(),
        label=_("Who gave the time?"),
        error_messages=messages(required=_("Choose who gave the time.")),
    )
    receivers = forms.ModelMultipleChoiceField(
        queryset=Member.objects.none(),
        to_field_name="public_id",
        label=_("Who received it?"),
        widget=CheckboxList,
        help_text=_("Tick everyone who received the help; for a group session tick them all."),
        error_messages=messages(
            required=_("Tick everyone who received the help."),
            invalid_choice=_("Tick members from the list only."),
            invalid_pk_value=_("Tick members from the list only."),
        ),
    )
    minutes = HoursField(
        label=_("How long did it take?"),
        error_messages=messages(required=_("Enter how long the help took, like 1 hour 30 minutes.")),
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(), label=_("Category"), required=False, empty_label=_("No category")
    )
    description = forms.CharField(
        label=_("What was the help?"),
        max_length=250,
        error_messages=messages(required=_("Enter what the help was, like a lift to the doctor.")),
    )
    where = forms.ChoiceField(
        label=_("Where was the help given?"),
        choices=[("", _("Not stated")), *Where.choices],
        required=False,
        help_text=_("Help in someone's home needs a current DBS check."),
    )
    occurred_on = forms.DateField(
        label=_("When did it happen?"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave blank for today."),
        error_messages=messages(invalid=_("Enter the date it happened, like 27/3/2026, or leave it blank for today.")),
    )
    safeguarding_override_reason = forms.CharField(
        label=_("Reason for going ahead despite the safeguarding check"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Only if you were told the safeguarding rules stop this exchange and you have checked it "
            "yourself. Your reason is recorded."
        ),
    )

    def __init__(self, *args, members, timebank: Timebank, **kwargs):
        super().__init__(*args, **kwargs)
        occurred_on = self.fields["occurred_on"]
        days = settings.EXCHANGE_HELP_DATE_MAX_DAYS_BACK
        occurred_on.help_text = ngettext(
            "Leave blank for today. Help given up to %(days)s day ago can be recorded.",
            "Leave blank for today. Help given up to %(days)s days ago can be recorded.",
            days,
        ) % {"days": days}
        for name in ("provider", "receivers"):
            cast(forms.ModelChoiceField, self.fields[name]).queryset = members
        cast(forms.ModelChoiceField, self.fields["category"]).queryset = active_categories(timebank=timebank)
