"""Forms that move hours: gifts, donations to and grants from the community
pot, and reversals. Time is typed as people say it ("1½ hours", "90") and
parsed by timebank.hours into whole minutes."""

from django import forms

from timebank.hours import DurationError, parse_duration
from timebank.models import Member


class HoursField(forms.CharField):
    """A length of time typed in words; cleans to whole minutes."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", "For example 1 hour, 1½ hours, 90 minutes or 1:30. At most 24 hours at a time.")
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        try:
            return parse_duration(text)
        except DurationError as error:
            raise forms.ValidationError(str(error)) from None


class MemberChoiceField(forms.ModelChoiceField):
    def __init__(self, queryset, **kwargs):
        kwargs.setdefault("empty_label", "Choose a member")
        super().__init__(queryset=queryset, to_field_name="public_id", **kwargs)

    def label_from_instance(self, member: Member) -> str:
        if member.postcode_district:
            return f"{member.display_name} ({member.postcode_district})"
        return member.display_name


class GiveHoursForm(forms.Form):
    receiver = MemberChoiceField(queryset=Member.objects.none(), label="Who would you like to give hours to?")
    hours = HoursField(label="How much time?")
    note = forms.CharField(label="A message with your gift", max_length=200, required=False)

    def __init__(self, *args, receivers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["receiver"].queryset = receivers


class DonateForm(forms.Form):
    hours = HoursField(label="How much time would you like to give to the community pot?")
    note = forms.CharField(label="A note", max_length=200, required=False)


class PotGrantForm(forms.Form):
    member = MemberChoiceField(queryset=Member.objects.none(), label="Give hours from the pot to")
    hours = HoursField(label="How much time?")
    reason = forms.CharField(
        label="Reason", max_length=200, help_text="For example: welcome hours, or help while unwell."
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members


class PotDonationForm(forms.Form):
    """A coordinator records a member's donation to the pot for them."""

    member = MemberChoiceField(queryset=Member.objects.none(), label="Donation from")
    hours = HoursField(label="How much time?")
    note = forms.CharField(label="A note", max_length=200, required=False)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members


class ReverseTransferForm(forms.Form):
    reason = forms.CharField(
        label="Why is this being reversed?",
        max_length=250,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The people involved may see this reason on their statement.",
    )
