"""Forms for joining, profiles, logging in and the coordinator's member pages.

Forms only parse what was typed; the rules live in timebank.services.members,
whose DomainErrors the views put back next to the field they name.
"""

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext, gettext_lazy as _

from core.communication import need_label
from core.form_messages import PlainErrorsMixin, messages
from core.places.postcodes import POSTCODE_HELP, PostcodeError, normalise_postcode
from core.text import lazy_text
from timebank.models import Availability, CommunicationNeed, GuardianConsentMethod, Member, MemberStatus, User
from timebank.models.members import DigestFrequency, MemberKind
from timebank.services.members import MAX_TRAVEL_RADIUS_KM, MIN_TRAVEL_RADIUS_KM


class TelInput(forms.TextInput):
    """A phone number box: phones show their number pad (WCAG 1.3.5 with autocomplete="tel")."""

    input_type = "tel"


def _own(token: str) -> dict[str, str]:
    """Attributes for a box about the person filling in the form: the browser may fill it in (WCAG 1.3.5)."""
    return {"autocomplete": token}


# A coordinator typing in someone else's details: the browser must not offer the coordinator's own.
SOMEONE_ELSE = {"autocomplete": "off"}


def _availability_field(label: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=Availability.choices(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Tick all that usually suit. You can change this at any time."),
    )


def _communication_field(label: Any) -> forms.MultipleChoiceField:
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


def _is_carer_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=_("I look after someone (I am a carer)"),
        required=False,
        help_text=_(
            "For example a parent, partner, child or friend who needs help because of illness, "
            "disability, age or their mental health. You can then ask for a break."
        ),
    )


def _cares_for_field() -> forms.CharField:
    return forms.CharField(
        label=_("Who do you look after?"),
        max_length=300,
        required=False,
        help_text=_("A few words, like “my mum, who has dementia”. Only the timebank's coordinators see this."),
    )


class JoinForm(PlainErrorsMixin, PostcodeFieldMixin, forms.Form):
    display_name = forms.CharField(
        label=_("Your name"),
        max_length=80,
        help_text=_("The name other members will see, for example Alice or Alice B."),
        widget=forms.TextInput(attrs=_own("name")),
        error_messages=messages(required=_("Enter your name, like Alice or Alice B.")),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("You will use this to log in."),
        widget=forms.EmailInput(attrs=_own("email")),
        error_messages=messages(
            required=_("Enter your e-mail address, like name@example.com."),
            invalid=_("Enter your e-mail address in the right format, like name@example.com."),
        ),
    )
    phone = forms.CharField(label=_("Phone number"), max_length=30, required=False, widget=TelInput(attrs=_own("tel")))
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=20,
        help_text=POSTCODE_HELP,
        widget=forms.TextInput(attrs=_own("postal-code")),
        error_messages=messages(required=_("Enter your postcode, like RG1 7QE, or just the first part, like RG1.")),
    )
    about = forms.CharField(
        label=_("What could you help with, and what would you like help with?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        required=False,
        help_text=_("A few words is fine. Everyone has something to give."),
    )
    availability = _availability_field(_("When are you usually free?"))
    communication_needs = _communication_field(_("How should we keep in touch?"))
    is_carer = _is_carer_field()
    cares_for = _cares_for_field()
    under_18 = forms.BooleanField(
        label=_("I am under 18"),
        required=False,
        help_text=_(
            "Young people are very welcome. A coordinator will ask your parent or guardian to agree "
            "before you start, and you will take part in group activities or help a coordinator has arranged."
        ),
    )
    password = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters. Not a common word, and not only numbers."),
        error_messages=messages(required=_("Choose a password of at least 8 characters.")),
    )
    password_again = forms.CharField(
        label=_("Type the password again"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages=messages(required=_("Type your password again, so we know it is right.")),
    )

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password"), cleaned.get("password_again")
        if first and second and first != second:
            self.add_error("password_again", _("The two passwords are different. Type the same password twice."))
        if first:
            # The service checks the password rules too; checking them here as well
            # shows a weak password together with every other problem, not in a second round.
            email = cleaned.get("email") or ""
            someone = User(username=email, email=email, first_name=(cleaned.get("display_name") or "")[:150])
            try:
                validate_password(first, someone)
            except forms.ValidationError as error:
                self.add_error("password", " ".join(error.messages))
        return cleaned


RADIUS_RANGE = {"min": MIN_TRAVEL_RADIUS_KM, "max": MAX_TRAVEL_RADIUS_KM}
RADIUS_MESSAGE = lazy_text(
    lambda: gettext("Enter a whole number of kilometres from %(min)s to %(max)s.") % RADIUS_RANGE
)


class ProfileForm(PlainErrorsMixin, PostcodeFieldMixin, forms.Form):
    display_name = forms.CharField(
        label=_("Name"),
        max_length=80,
        widget=forms.TextInput(attrs=_own("name")),
        error_messages=messages(required=_("Enter the name other members will see, like Alice or Alice B.")),
    )
    phone = forms.CharField(label=_("Phone number"), max_length=30, required=False, widget=TelInput(attrs=_own("tel")))
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=20,
        help_text=POSTCODE_HELP,
        widget=forms.TextInput(attrs=_own("postal-code")),
        error_messages=messages(required=_("Enter the postcode, like RG1 7QE, or just the first part, like RG1.")),
    )
    travel_radius_km = forms.IntegerField(
        label=_("How far will you travel to help? (kilometres)"),
        min_value=MIN_TRAVEL_RADIUS_KM,
        max_value=MAX_TRAVEL_RADIUS_KM,
        help_text=lazy_text(
            lambda: gettext("From %(min)s to %(max)s. 1 kilometre is about a 12 minute walk.") % RADIUS_RANGE
        ),
        error_messages=messages(
            required=_("Enter how far you will travel to help, in kilometres, like 3."),
            invalid=RADIUS_MESSAGE,
            min_value=RADIUS_MESSAGE,
            max_value=RADIUS_MESSAGE,
        ),
    )
    availability = _availability_field(_("When are you usually free?"))
    communication_needs = _communication_field(_("How should we keep in touch?"))
    digest = forms.ChoiceField(
        label=_("A weekly e-mail of new offers and requests near you"),
        choices=DigestFrequency.choices,
        widget=forms.RadioSelect,
        error_messages=messages(required=_("Choose how often you would like the e-mail of new offers and requests.")),
    )
    about = forms.CharField(
        label=_("About you"), widget=forms.Textarea(attrs={"rows": 5}), max_length=2000, required=False
    )
    is_carer = _is_carer_field()
    cares_for = _cares_for_field()
    what_matters = forms.CharField(
        label=_("What matters to you"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        required=False,
        help_text=_(
            "Only you and the timebank's coordinators see this, never other members. "
            "It may have come from the person who referred you: change it as you like."
        ),
    )
    # On the coordinator's copy only: a young carer's rules stop when a coordinator unticks this.
    under_18 = forms.BooleanField(
        label=_("Under 18 (a young carer)"),
        required=False,
        help_text=_(
            "Needs a parent's or guardian's consent before approval, and no one-to-one help with an adult "
            "unless a coordinator approves it. Untick when they turn 18."
        ),
    )

    def __init__(self, *args: Any, member: Member | None = None, own: bool = False, **kwargs: Any) -> None:
        """`member`: whose profile, so needs a referral brought that are not in the
        timebank's list (braille, an interpreter, …) stay ticked and are kept.
        `own`: the member is editing their own profile, so "What matters to you"
        is on the form (a coordinator's copy of the form leaves it as it is)."""
        super().__init__(*args, **kwargs)
        field = cast(forms.MultipleChoiceField, self.fields["communication_needs"])
        known = {value for value, _ in CommunicationNeed.choices}
        extra = [code for code in (member.communication_needs if member else []) or [] if code not in known]
        if extra:
            field.choices = [*CommunicationNeed.choices, *((code, need_label(code)) for code in extra)]
        if not own:
            del self.fields["what_matters"]
        else:
            del self.fields["under_18"]

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
            "what_matters": member.what_matters,
            "is_carer": member.is_carer,
            "cares_for": member.cares_for,
            "under_18": member.under_18,
        }


class OfflineMemberForm(PlainErrorsMixin, PostcodeFieldMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Is this a person or an organisation?"),
        choices=MemberKind.choices,
        initial=MemberKind.PERSON,
        widget=forms.RadioSelect,
        error_messages=messages(required=_("Choose whether this is a person or an organisation.")),
    )
    display_name = forms.CharField(
        label=_("Name"),
        max_length=80,
        widget=forms.TextInput(attrs=SOMEONE_ELSE),
        error_messages=messages(required=_("Enter their name, like Alice or Alice B.")),
    )
    phone = forms.CharField(label=_("Phone number"), max_length=30, required=False, widget=TelInput(attrs=SOMEONE_ELSE))
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs=SOMEONE_ELSE),
        error_messages=messages(
            invalid=_("Enter their e-mail address in the right format, like name@example.com, or leave it blank.")
        ),
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=20,
        help_text=POSTCODE_HELP,
        widget=forms.TextInput(attrs=SOMEONE_ELSE),
        error_messages=messages(required=_("Enter their postcode, like RG1 7QE, or just the first part, like RG1.")),
    )
    about = forms.CharField(
        label=_("What they could help with, and would like help with"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        required=False,
    )
    availability = _availability_field(_("When are they usually free?"))
    communication_needs = _communication_field(_("How should we keep in touch?"))


class MemberSearchForm(PlainErrorsMixin, forms.Form):
    q = forms.CharField(label=_("Name, e-mail, phone or postcode"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *MemberStatus.choices], required=False
    )


STATUS_ACTION_CHOICES = [
    ("approve", _("Approve the application")),
    ("decline", _("Decline the application")),
    ("pause", _("Pause (no new exchanges for now)")),
    ("resume", _("Resume")),
    ("leave", _("Mark as left")),
]


class GuardianConsentForm(PlainErrorsMixin, forms.Form):
    """A coordinator records a parent's or guardian's consent for a member under 18."""

    guardian_name = forms.CharField(
        label=_("Parent's or guardian's name"),
        max_length=120,
        error_messages=messages(required=_("Enter the parent's or guardian's name.")),
    )
    guardian_relationship = forms.CharField(
        label=_("How are they related?"),
        max_length=60,
        help_text=_("For example mother, father, grandparent, foster carer."),
        error_messages=messages(required=_("Enter how they are related, like mother or foster carer.")),
    )
    method = forms.ChoiceField(
        label=_("How did they give their consent?"),
        choices=GuardianConsentMethod.choices,
        widget=forms.RadioSelect,
        error_messages=messages(required=_("Choose how the parent or guardian gave their consent.")),
    )


class MemberStatusForm(PlainErrorsMixin, forms.Form):
    action = forms.ChoiceField(
        label=_("Change"),
        choices=STATUS_ACTION_CHOICES,
        widget=forms.RadioSelect,
        error_messages=messages(required=_("Choose what to change.")),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("Why, for the record. The member does not see this."),
    )
    return_to = forms.ChoiceField(
        choices=[("member", "member"), ("applications", "applications")],
        required=False,
        widget=forms.HiddenInput,
    )


class LoginForm(PlainErrorsMixin, AuthenticationForm):
    """Log in with a username or the e-mail address used to join."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Enter a correct e-mail address or username, and password. The password must be typed "
            "exactly, with capital letters where it has them."
        ),
        "inactive": _("You cannot log in with this account. Ask a coordinator for help."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = gettext("E-mail address or username")
        self.fields["username"].error_messages["required"] = gettext("Enter your e-mail address or username.")
        self.fields["password"].error_messages["required"] = gettext("Enter your password.")

    def clean_username(self) -> str:
        typed = (self.cleaned_data.get("username") or "").strip()
        if "@" in typed and not User.objects.filter(username__iexact=typed).exists():
            matches = list(User.objects.filter(email__iexact=typed).values_list("username", flat=True)[:2])
            if len(matches) == 1:
                return matches[0]
        return typed


class ResetPasswordForm(PlainErrorsMixin, PasswordResetForm):
    """Also lets someone whose application was made for them (no password yet)
    choose their first password through the e-mailed link."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].error_messages.update(
            required=_("Enter the e-mail address you joined with, like name@example.com."),
            invalid=_("Enter your e-mail address in the right format, like name@example.com."),
        )

    def get_users(self, email):
        users = User._default_manager.filter(email__iexact=email, is_active=True)
        return (user for user in users if user.email and user.email.lower() == email.lower())


class NewPasswordForm(PlainErrorsMixin, SetPasswordForm):
    """Choosing a new password from the e-mailed link, with messages that say what to do."""

    error_messages = {
        **SetPasswordForm.error_messages,
        "password_mismatch": _("The two passwords are different. Type the same password twice."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].error_messages["required"] = gettext(
            "Choose a new password of at least 8 characters."
        )
        self.fields["new_password2"].error_messages["required"] = gettext("Type your new password again.")
