"""Forms for the link worker's and group organiser's referral pages (the
referral's own questions are in referrals.steps). They check shapes only; the
rules are the services'. A service's refusal is put next to the field it names
by timebank.pages.put_error_on_form."""

from django import forms
from django.utils.translation import gettext, gettext_lazy as _

from referrals.models import (
    BusinessStatus,
    ReferralStatus,
)

# The referral's questions, one page each, are in referrals.steps.


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("Move the referral to"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=False,
        help_text=_("Needed for rejected, cancelled, on hold and failed."),
    )
    business_status = forms.ChoiceField(
        label=_("What has happened"), choices=[("", _("Nothing to add")), *BusinessStatus.choices], required=False
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
        label=_("Postcode or place"),
        max_length=100,
        error_messages={"required": _("Enter the person's postcode or the name of a place.")},
    )
    category = forms.CharField(max_length=100, required=False)
    q = forms.CharField(label=_("Words to look for"), max_length=100, required=False)

    def clean(self):
        cleaned = super().clean()
        for field in ("near", "q", "category"):
            if "\x00" in (cleaned.get(field) or ""):
                self.add_error(field, gettext("Remove the unusual characters and try again."))
        return cleaned


class ListFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any")), *ReferralStatus.choices], required=False)
    name = forms.CharField(label=_("Person's name"), max_length=100, required=False)
