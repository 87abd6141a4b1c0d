"""Forms for offers and requests, browsing them, and the category taxonomy.
Forms only parse what people type; the rules live in timebank.services.listings."""

from django import forms

from timebank.models import Category, ListingKind, Where
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


class ListingForm(forms.Form):
    kind = forms.ChoiceField(
        label="Is this an offer or a request?",
        choices=[
            (ListingKind.OFFER, "An offer: I can help with this"),
            (ListingKind.REQUEST, "A request: I'd like help with this"),
        ],
        widget=ChoiceList,
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(), label="Category", empty_label="Choose a category"
    )
    title = forms.CharField(label="Title", max_length=120, help_text="A few words, for example “Help with the garden”.")
    description = forms.CharField(
        label="More about it",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What, when you are free, anything people should know.",
    )
    where = forms.ChoiceField(label="Where would it happen?", choices=Where.choices, widget=ChoiceList)
    expires_on = forms.DateField(
        label="Show it until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave blank to show it for three months. At most a year.",
    )

    def __init__(self, *args, with_kind: bool = True, current_category: Category | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        categories = active_categories()
        if current_category is not None and not current_category.is_active:
            # Editing a listing whose category was switched off: it may keep it.
            categories = Category.objects.filter(pk=current_category.pk) | categories
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = categories
        if not with_kind:
            del self.fields["kind"]


class ListingBrowseForm(forms.Form):
    kind = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[
            ("", "Offers and requests"),
            (ListingKind.OFFER, "Offers of help"),
            (ListingKind.REQUEST, "Requests for help"),
        ],
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(), label="Category", required=False, empty_label="All categories"
    )
    q = forms.CharField(label="Words to look for", required=False, max_length=TEXT_MAX)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = active_categories()


class CategoryForm(forms.Form):
    name = forms.CharField(label="Name", max_length=80)
    description = forms.CharField(label="Description", max_length=300, required=False)
    needs_references = forms.BooleanField(label="Helpers need references", required=False)
    needs_dbs_check = forms.BooleanField(label="Helpers need a current DBS check", required=False)
