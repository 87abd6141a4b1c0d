"""Forms for offers and requests, browsing them, and a timebank's categories.
Forms only parse what people type; the rules live in timebank.services.listings."""

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from core.form_messages import PlainErrorsMixin, messages
from timebank.models import CarersBreak, Category, ListingKind, Timebank, Where
from timebank.selectors.listings import TEXT_MAX, active_categories


class ChoiceList(forms.RadioSelect):
    """Radio buttons whose group id is kept, so the error summary's link and the
    message id ("<id>-error") in includes/form_fields.html point at the group."""

    def id_for_label(self, id_, index=None):
        return id_ if index is None else super().id_for_label(id_, index)


class CheckboxList(forms.CheckboxSelectMultiple):
    """Checkboxes with their group id kept, as ChoiceList."""

    def id_for_label(self, id_, index=None):
        return id_ if index is None else super().id_for_label(id_, index)


class ListingForm(PlainErrorsMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Is this an offer or a request?"),
        choices=[
            (ListingKind.OFFER, _("An offer: I can help with this")),
            (ListingKind.REQUEST, _("A request: I'd like help with this")),
        ],
        widget=ChoiceList,
        error_messages=messages(required=_("Choose whether this is an offer or a request.")),
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        label=_("Category"),
        empty_label=_("Choose a category"),
        error_messages=messages(
            required=_("Choose a category, like Gardening."), invalid_choice=_("Choose a category from the list.")
        ),
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        help_text=_("A few words, for example “Help with the garden”."),
        error_messages=messages(required=_("Enter a title, like Help with the garden.")),
    )
    description = forms.CharField(
        label=_("More about it"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What, when you are free, anything people should know."),
    )
    where = forms.ChoiceField(
        label=_("Where would it happen?"),
        choices=Where.choices,
        widget=ChoiceList,
        error_messages=messages(required=_("Choose where it would happen, like at my home or by phone.")),
    )
    expires_on = forms.DateField(
        label=_("Show it until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave blank to show it for three months. At most a year."),
        error_messages=messages(invalid=_("Enter the last day to show it, like 27/3/2026, or leave it blank.")),
    )
    # Only on the forms of members who look after someone (`carer`): a request
    # may be a carer's break (timebank.services.listings).
    carers_break = forms.ChoiceField(
        label=_("Is this a break for you as a carer?"),
        choices=[("", _("No")), *CarersBreak.choices],
        widget=ChoiceList,
        required=False,
        help_text=_(
            "Only for a request. Helpers for a carer's break have a current DBS check, "
            "and a coordinator sees your request and helps find someone."
        ),
        error_messages=messages(invalid_choice=_("Choose what kind of break you would like.")),
    )
    # A coordinator's reason to go ahead when the safeguarding rule refuses an
    # offer (timebank.services.safeguarding). Only on the forms of coordinators
    # of the member's timebank (`may_override`), and shown only once the rule
    # has refused (`offer_override`): members never see it.
    safeguarding_override_reason = forms.CharField(
        label=_("Reason to go ahead anyway"),
        max_length=1000,
        required=False,
        widget=forms.HiddenInput,
        help_text=_("Only if you have checked this yourself. Your reason is recorded for coordinators."),
    )

    def __init__(
        self,
        *args,
        timebank: Timebank,
        with_kind: bool = True,
        current_category: Category | None = None,
        may_override: bool = False,
        carer: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if not carer:
            del self.fields["carers_break"]
        if not may_override:
            del self.fields["safeguarding_override_reason"]
        elif (self.data.get("safeguarding_override_reason") or "").strip():
            self.offer_override()
        # The listing's own timebank's categories only (each timebank has its own list).
        categories = active_categories(timebank=timebank)
        if current_category is not None and not current_category.is_active:
            # Editing a listing whose category was switched off: it may keep it.
            categories = Category.objects.filter(pk=current_category.pk) | categories
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = categories
        if not with_kind:
            del self.fields["kind"]

    def offer_override(self) -> None:
        """Show the reason field (after a refusal the coordinator may override)."""
        field = self.fields.get("safeguarding_override_reason")
        if field is not None:
            field.widget = forms.Textarea(attrs={"rows": 3, "maxlength": 1000})


class ListingReopenForm(PlainErrorsMixin, forms.Form):
    """Opening a closed listing again: a button, and after the safeguarding rule
    refused an offer, a coordinator's reason to go ahead anyway."""

    safeguarding_override_reason = forms.CharField(
        label=_("Reason to go ahead anyway"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
        help_text=_("Only if you have checked this yourself. Your reason is recorded for coordinators."),
    )


class ListingBrowseForm(PlainErrorsMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("Offers and requests")),
            (ListingKind.OFFER, _("Offers of help")),
            (ListingKind.REQUEST, _("Requests for help")),
        ],
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(), label=_("Category"), required=False, empty_label=_("All categories")
    )
    q = forms.CharField(label=_("Words to look for"), required=False, max_length=TEXT_MAX)

    def __init__(self, *args, timebank: Timebank, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["category"]).queryset = active_categories(timebank=timebank)


class CategoryForm(PlainErrorsMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        error_messages=messages(required=_("Enter a name for the category, like Gardening.")),
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    name_cy = forms.CharField(
        label=_("Name in Welsh (optional)"),
        max_length=80,
        required=False,
        help_text=_("Shown to people reading in Cymraeg. Leave it empty to show the English name."),
    )
    description_cy = forms.CharField(label=_("Description in Welsh (optional)"), max_length=300, required=False)
    needs_references = forms.BooleanField(label=_("Helpers need references"), required=False)
    needs_dbs_check = forms.BooleanField(label=_("Helpers need a current DBS check"), required=False)
