"""Forms for the link worker's and group organiser's referral pages. They
check shapes only; the rules are the services'. A service's refusal is put
next to the field it names by timebank.pages.put_error_on_form ("person.phone"
-> phone, "consent.scopes" -> consent_scopes; `service_error_fields` names the rest)."""

from django import forms
from django.utils import timezone

from assets.models import TaxonomyTerm
from referrals.models import (
    BusinessStatus,
    ConsentMethod,
    ConsentScope,
    PreferredContact,
    Priority,
    ReferralStatus,
)


class ReferralForm(forms.Form):
    given_name = forms.CharField(label="Given name", max_length=100)
    family_name = forms.CharField(label="Family name", max_length=100)
    preferred_name = forms.CharField(label="Preferred name", max_length=100, required=False)
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        help_text="For example 2 5 1948, or 1948-05-02",
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d %m %Y"],
    )
    postcode = forms.CharField(label="Postcode", max_length=10)
    phone = forms.CharField(label="Phone", max_length=30, required=False)
    email = forms.EmailField(label="E-mail", max_length=254, required=False)
    preferred_contact = forms.ChoiceField(label="Best way to contact them", choices=PreferredContact.choices)
    contact_times = forms.CharField(label="Best times to contact them", max_length=200, required=False)
    communication_needs = forms.CharField(
        label="Communication needs",
        max_length=200,
        required=False,
        help_text="Codes separated by commas, like large-print, bsl",
    )
    do_not_contact = forms.BooleanField(label="Do not contact this person directly", required=False)
    what_matters = forms.CharField(
        label="What matters to them", widget=forms.Textarea(attrs={"rows": 4}), max_length=2000, required=False
    )
    needs = forms.ModelMultipleChoiceField(
        label="Needs",
        queryset=TaxonomyTerm.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    priority = forms.ChoiceField(label="Priority", choices=Priority.choices, initial=Priority.ROUTINE)
    notes = forms.CharField(
        label="Notes for the receiving organisation",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )
    consent_given = forms.BooleanField(label="The person has given consent", required=False)
    consent_scopes = forms.MultipleChoiceField(
        label="What they agreed to share",
        choices=ConsentScope.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    consent_method = forms.ChoiceField(label="How consent was given", choices=ConsentMethod.choices)
    consent_recorded_by = forms.CharField(label="Consent recorded by", max_length=200)
    save_as_draft = forms.BooleanField(label="Save as a draft (do not send yet)", required=False)

    # Fields the services name differently (see timebank.pages.put_error_on_form).
    service_error_fields = {"consent": "consent_given"}

    def clean_communication_needs(self) -> list[str]:
        return [part.strip().lower() for part in self.cleaned_data["communication_needs"].split(",") if part.strip()]

    def consent_recorded_at(self):
        return timezone.now()


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label="Move the referral to")
    reason = forms.CharField(
        label="Reason", max_length=500, required=False, help_text="Needed for rejected, cancelled, on hold and failed."
    )
    business_status = forms.ChoiceField(
        label="What has happened", choices=[("", "Nothing to add"), *BusinessStatus.choices], required=False
    )

    def __init__(self, *args, moves: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        to = self.fields["to"]
        assert isinstance(to, forms.ChoiceField)
        to.choices = [(m, ReferralStatus(m).label) for m in moves]


class ServiceSearchForm(forms.Form):
    """Where the person lives (often their own postcode) and what they need: posted,
    never put in the address (timebank.private_search)."""

    near = forms.CharField(
        label="Postcode or place",
        max_length=100,
        error_messages={"required": "Enter the person's postcode or the name of a place."},
    )
    category = forms.CharField(max_length=100, required=False)
    q = forms.CharField(label="Words to look for", max_length=100, required=False)

    def clean(self):
        cleaned = super().clean()
        for field in ("near", "q", "category"):
            if "\x00" in (cleaned.get(field) or ""):
                self.add_error(field, "Remove the unusual characters and try again.")
        return cleaned


class ListFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=[("", "Any"), *ReferralStatus.choices], required=False)
    name = forms.CharField(label="Person's name", max_length=100, required=False)
