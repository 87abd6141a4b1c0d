"""Forms that move hours: gifts, donations to and grants from the community
pot, and reversals. Time is typed as people say it ("1½ hours", "90") and
parsed by timebank.hours into whole minutes."""

from django import forms
from django.utils.translation import gettext, gettext_lazy as _

from core.form_messages import PlainErrorsMixin, messages
from timebank.hours import DurationError, parse_duration
from timebank.models import Member


class HoursField(forms.CharField):
    """A length of time typed in words; cleans to whole minutes."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault(
            "help_text", _("For example 1 hour, 1½ hours, 90 minutes or 1:30. At most 24 hours at a time.")
        )
        kwargs.setdefault("error_messages", messages(required=_("Enter how long, like 1 hour 30 minutes.")))
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        try:
            return parse_duration(text)
        except DurationError as error:
            raise forms.ValidationError(str(error)) from None


class MemberChoiceField(forms.ModelChoiceField):
    def __init__(self, queryset, **kwargs):
        kwargs.setdefault("empty_label", _("Choose a member"))
        kwargs.setdefault("error_messages", messages(required=_("Choose a member from the list.")))
        kwargs["error_messages"].setdefault("invalid_choice", _("Choose a member from the list."))
        super().__init__(queryset=queryset, to_field_name="public_id", **kwargs)

    def label_from_instance(self, member: Member) -> str:
        if member.postcode_district:
            return f"{member.display_name} ({member.postcode_district})"
        return member.display_name


class GiveHoursForm(PlainErrorsMixin, forms.Form):
    receiver = MemberChoiceField(
        queryset=Member.objects.none(),
        label=_("Who would you like to give hours to?"),
        error_messages=messages(required=_("Choose who you would like to give hours to.")),
    )
    hours = HoursField(
        label=_("How much time?"),
        error_messages=messages(required=_("Enter how much time you want to give, like 1 hour 30 minutes.")),
    )
    note = forms.CharField(label=_("A message with your gift"), max_length=200, required=False)

    def __init__(self, *args, receivers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["receiver"].queryset = receivers


class DonateForm(PlainErrorsMixin, forms.Form):
    hours = HoursField(
        label=_("How much time would you like to give to the community pot?"),
        error_messages=messages(required=_("Enter how much time you want to give to the pot, like 2 hours.")),
    )
    note = forms.CharField(label=_("A note"), max_length=200, required=False)


class PotGrantForm(PlainErrorsMixin, forms.Form):
    member = MemberChoiceField(
        queryset=Member.objects.none(),
        label=_("Give hours from the pot to"),
        error_messages=messages(required=_("Choose who to give hours from the pot to.")),
    )
    hours = HoursField(
        label=_("How much time?"),
        error_messages=messages(required=_("Enter how much time to give from the pot, like 2 hours.")),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("For example: welcome hours, or help while unwell."),
        error_messages=messages(required=_("Enter the reason for the gift, like welcome hours.")),
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members


class PotDonationForm(PlainErrorsMixin, forms.Form):
    """A coordinator records a member's donation to the pot for them."""

    member = MemberChoiceField(
        queryset=Member.objects.none(),
        label=_("Donation from"),
        error_messages=messages(required=_("Choose who the donation is from.")),
    )
    hours = HoursField(
        label=_("How much time?"),
        error_messages=messages(required=_("Enter how much time they are giving to the pot, like 2 hours.")),
    )
    note = forms.CharField(label=_("A note"), max_length=200, required=False)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members


class ReverseTransferForm(PlainErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is this being reversed?"),
        max_length=250,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The people involved may see this reason on their statement."),
        error_messages=messages(required=_("Enter why this transfer is being reversed.")),
    )
    # Offered only after a limit refused the reversal (timebank.views.accounts).
    override_limits = forms.BooleanField(
        label=_("Let this correction through although it takes them past their limit"),
        required=False,
        help_text=_("Their limit is widened to the balance the correction leaves. Your reason is recorded with it."),
    )

    def __init__(self, *args, override_for: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if override_for is None:
            del self.fields["override_limits"]
        elif override_for:
            label = gettext("Let this correction through although it takes %(name)s past their limit") % {
                "name": override_for
            }
            self.fields["override_limits"].label = label
