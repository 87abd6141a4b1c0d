"""Forms for joining, profiles, logging in and the coordinator's member pages.

Forms only parse what was typed; the rules live in timebank.services.members,
whose DomainErrors the views put back next to the field they name.
"""

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from core.places.postcodes import POSTCODE_HELP, PostcodeError, normalise_postcode
from timebank.models import Availability, CommunicationNeed, Member, MemberStatus, User
from timebank.models.members import DigestFrequency, MemberKind
from timebank.services.members import MAX_TRAVEL_RADIUS_KM, MIN_TRAVEL_RADIUS_KM


def _availability_field(label: str) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=Availability.choices(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Tick all that usually suit. You can change this at any time.",
    )


def _communication_field(label: str) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, choices=CommunicationNeed.choices, widget=forms.CheckboxSelectMultiple, required=False
    )


class PostcodeFieldMixin:
    """Checks the postcode's format as the form is cleaned, with the plain message."""

    cleaned_data: dict[str, Any]  # the form's, which this mixin is always combined with

    def clean_postcode(self) -> str:
        try:
            return normalise_postcode(self.cleaned_data.get("postcode", ""))
        except PostcodeError as error:
            raise forms.ValidationError(error.message) from None


class JoinForm(PostcodeFieldMixin, forms.Form):
    display_name = forms.CharField(
        label="Your name", max_length=80, help_text="The name other members will see, for example Alice or Alice B."
    )
    email = forms.EmailField(label="E-mail address", max_length=254, help_text="You will use this to log in.")
    phone = forms.CharField(label="Phone number", max_length=30, required=False)
    postcode = forms.CharField(label="Postcode", max_length=20, help_text=POSTCODE_HELP)
    about = forms.CharField(
        label="What could you help with, and what would you like help with?",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        required=False,
        help_text="A few words is fine. Everyone has something to give.",
    )
    availability = _availability_field("When are you usually free?")
    communication_needs = _communication_field("How should we keep in touch?")
    password = forms.CharField(
        label="Choose a password",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters. Not a common word, and not only numbers.",
    )
    password_again = forms.CharField(
        label="Type the password again",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password"), cleaned.get("password_again")
        if first and second and first != second:
            self.add_error("password_again", "The two passwords are different. Type the same password twice.")
        return cleaned


class ProfileForm(PostcodeFieldMixin, forms.Form):
    display_name = forms.CharField(label="Name", max_length=80)
    phone = forms.CharField(label="Phone number", max_length=30, required=False)
    postcode = forms.CharField(label="Postcode", max_length=20, help_text=POSTCODE_HELP)
    travel_radius_km = forms.IntegerField(
        label="How far will you travel to help? (kilometres)",
        min_value=MIN_TRAVEL_RADIUS_KM,
        max_value=MAX_TRAVEL_RADIUS_KM,
        help_text=f"From {MIN_TRAVEL_RADIUS_KM} to {MAX_TRAVEL_RADIUS_KM}. 1 kilometre is about a 12 minute walk.",
    )
    availability = _availability_field("When are you usually free?")
    communication_needs = _communication_field("How should we keep in touch?")
    digest = forms.ChoiceField(
        label="A weekly e-mail of new offers and requests near you",
        choices=DigestFrequency.choices,
        widget=forms.RadioSelect,
    )
    about = forms.CharField(
        label="About you", widget=forms.Textarea(attrs={"rows": 5}), max_length=2000, required=False
    )

    @staticmethod
    def initial_for(member: Member) -> dict:
        return {
            "display_name": member.display_name,
            "phone": member.phone,
            "postcode": member.postcode,
            "travel_radius_km": member.travel_radius_km,
            "availability": Availability.to_slots(member.availability),
            "communication_needs": member.communication_needs,
            "digest": member.digest,
            "about": member.about,
        }


class OfflineMemberForm(PostcodeFieldMixin, forms.Form):
    kind = forms.ChoiceField(
        label="Is this a person or an organisation?",
        choices=MemberKind.choices,
        initial=MemberKind.PERSON,
        widget=forms.RadioSelect,
    )
    display_name = forms.CharField(label="Name", max_length=80)
    phone = forms.CharField(label="Phone number", max_length=30, required=False)
    email = forms.EmailField(label="E-mail address", max_length=254, required=False)
    postcode = forms.CharField(label="Postcode", max_length=20, help_text=POSTCODE_HELP)
    about = forms.CharField(
        label="What they could help with, and would like help with",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        required=False,
    )
    availability = _availability_field("When are they usually free?")
    communication_needs = _communication_field("How should we keep in touch?")


class MemberSearchForm(forms.Form):
    q = forms.CharField(label="Name, e-mail, phone or postcode", max_length=100, required=False)
    status = forms.ChoiceField(label="Status", choices=[("", "Any status"), *MemberStatus.choices], required=False)


STATUS_ACTION_CHOICES = [
    ("approve", "Approve the application"),
    ("decline", "Decline the application"),
    ("pause", "Pause (no new exchanges for now)"),
    ("resume", "Resume"),
    ("leave", "Mark as left"),
]


class MemberStatusForm(forms.Form):
    action = forms.ChoiceField(label="Change", choices=STATUS_ACTION_CHOICES, widget=forms.RadioSelect)
    note = forms.CharField(
        label="Note", max_length=300, required=False, help_text="Why, for the record. The member does not see this."
    )
    return_to = forms.ChoiceField(
        choices=[("member", "member"), ("applications", "applications")],
        required=False,
        widget=forms.HiddenInput,
    )


class LoginForm(AuthenticationForm):
    """Log in with a username or the e-mail address used to join."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "E-mail address or username"

    def clean_username(self) -> str:
        typed = (self.cleaned_data.get("username") or "").strip()
        if "@" in typed and not User.objects.filter(username__iexact=typed).exists():
            matches = list(User.objects.filter(email__iexact=typed).values_list("username", flat=True)[:2])
            if len(matches) == 1:
                return matches[0]
        return typed


class ResetPasswordForm(PasswordResetForm):
    """Also lets someone whose application was made for them (no password yet)
    choose their first password through the e-mailed link."""

    def get_users(self, email):
        users = User._default_manager.filter(email__iexact=email, is_active=True)
        return (user for user in users if user.email and user.email.lower() == email.lower())
