"""Forms for the directory pages: thin, every input labelled, messages in plain English."""

from django import forms

from assets.models import ACCESSIBILITY_FEATURES, DAY_CODES, FeedSchedule, ProblemKind, Service, TaxonomyTerm
from assets.selectors import LOCAL_SOURCE, MAX_TEXT_LENGTH, feed_sources
from assets.services import feed_url_problem

KM_PER_MILE = 1.609344
# (miles, label): people in the UK think in miles; each label shows km too.
RADIUS_MILES = [
    (1, "1 mile (1.6 km)"),
    (2, "2 miles (3.2 km)"),
    (3, "3 miles (4.8 km)"),
    (5, "5 miles (8 km)"),
    (10, "10 miles (16 km)"),
    (25, "25 miles (40 km)"),
]


class AssetSearchForm(forms.Form):
    near = forms.CharField(
        label="Postcode or town",
        max_length=100,
        required=False,
        help_text="For example RG1 7QE, RG1 or Reading.",
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    radius = forms.TypedChoiceField(
        label="How far",
        choices=RADIUS_MILES,
        coerce=int,
        initial=3,
        required=False,
        # Why the ignore: Django takes any empty_value (here the default, 3 miles); the stubs allow only str or None.
        empty_value=3,  # type: ignore[arg-type]
    )
    category = forms.ChoiceField(label="What kind of thing", required=False)
    q = forms.CharField(label="Words to look for", max_length=MAX_TEXT_LENGTH, required=False)
    day = forms.ChoiceField(label="Day", choices=[("", "Any day"), *DAY_CODES], required=False)
    free_only = forms.BooleanField(label="Free only", required=False)
    accessibility = forms.MultipleChoiceField(
        label="Access needs",
        choices=ACCESSIBILITY_FEATURES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    source = forms.ChoiceField(
        label="Where it came from",
        required=False,
        error_messages={"invalid_choice": "Choose where the listings came from from the list."},
    )
    page = forms.IntegerField(min_value=1, max_value=10_000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "Anything")] + [
            (term.slug, term.name)
            for term in TaxonomyTerm.objects.filter(taxonomy__slug="timecommons-social-prescribing")
        ]
        # Listings come from feeds as well as from people here; each feed is a choice.
        self.fields["source"].choices = [("", "Anywhere"), (LOCAL_SOURCE, "Added here")] + [
            (str(feed_id), name) for feed_id, name in feed_sources().values_list("id", "name")
        ]

    def clean_near(self):
        return " ".join(self.cleaned_data["near"].split())

    @property
    def radius_km(self) -> float:
        return (self.cleaned_data.get("radius") or 3) * KM_PER_MILE


class ProblemReportForm(forms.Form):
    kind = forms.ChoiceField(label="What is wrong?", choices=ProblemKind.choices, widget=forms.RadioSelect)
    details = forms.CharField(
        label="Tell us more", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    reporter_email = forms.EmailField(label="Your e-mail, if you would like a reply", required=False, max_length=254)


class ClaimForm(forms.Form):
    message = forms.CharField(
        label="How are you involved with this group?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example: I am the secretary and run the Tuesday sessions.",
    )


class ServiceEditForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = [
            "name",
            "description",
            "status",
            "alert",
            "url",
            "email",
            "phone",
            "is_free",
            "cost_amount",
            "cost_description",
            "minimum_age",
            "maximum_age",
            "eligibility_description",
            "accepts_self_referral",
            "accepts_referrals",
            "drop_in",
            "by_appointment",
        ]
        labels = {
            "url": "Website",
            "email": "E-mail",
            "is_free": "It is free",
            "cost_amount": "Cost in pounds",
            "cost_description": "What the cost covers",
            "minimum_age": "Youngest age",
            "maximum_age": "Oldest age",
            "eligibility_description": "Who it is for",
            "accepts_self_referral": "People can just get in touch",
            "accepts_referrals": "Link workers can refer people",
            "drop_in": "People can drop in",
            "by_appointment": "By appointment",
        }

    def clean(self):
        data = super().clean()
        minimum, maximum = data.get("minimum_age"), data.get("maximum_age")
        if minimum is not None and maximum is not None and minimum > maximum:
            self.add_error("maximum_age", "The oldest age must not be less than the youngest age.")
        if data.get("is_free") and data.get("cost_amount"):
            self.add_error("cost_amount", "A free service has no cost. Untick 'It is free' or clear the amount.")
        return data


class CapacityForm(forms.Form):
    places_available = forms.IntegerField(label="Places left", min_value=0, max_value=100_000, required=False)
    waitlist_open = forms.BooleanField(label="Waiting list open", required=False)


class DecisionForm(forms.Form):
    note = forms.CharField(label="Note (optional)", max_length=500, required=False)


class FeedSourceForm(forms.Form):
    """Add or change a feed source. Web addresses only: files are for the command line."""

    name = forms.CharField(label="Name", max_length=200, help_text="Who publishes it, like Reading Services Guide.")
    url = forms.CharField(
        label="Feed address",
        max_length=500,
        help_text="The feed's web address, without /services at the end, like https://example.org/openreferral.",
        widget=forms.URLInput(attrs={"autocomplete": "url"}),
    )
    schedule = forms.ChoiceField(label="How often to import it", choices=FeedSchedule.choices)
    is_active = forms.BooleanField(
        label="Import it", required=False, initial=True, help_text="Untick to stop importing it for now."
    )

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        if problem := feed_url_problem(url):
            raise forms.ValidationError(problem)
        return url
