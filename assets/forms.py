"""Forms for the directory pages: thin, every input labelled, messages in plain English."""

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy as _, ngettext

from assets.models import ACCESSIBILITY_CHOICES, DAY_CHOICES, FeedSchedule, ProblemKind, Service, TaxonomyTerm
from assets.selectors import LOCAL_SOURCE, MAX_TEXT_LENGTH, feed_sources
from assets.services import feed_url_problem
from core.form_messages import PlainErrorsMixin, messages

KM_PER_MILE = 1.609344
DEFAULT_RADIUS_MILES = 3
# The directory's own query parameters: the only ones a "Back to search" link carries.
SEARCH_PARAMETERS = ("near", "radius", "q", "category", "day", "free_only", "accessibility", "source", "page")
# Shown first; the rest go under "More filters".
MAIN_SEARCH_FIELDS = ("near", "radius", "q")


def miles_text(miles: float) -> str:
    """'1 mile', '3 miles', '0.4 miles': how every directory page writes a distance."""
    shown = f"{miles:.1f}".removesuffix(".0") if miles < 10 else f"{miles:.0f}"
    # A whole number picks its plural form; a fraction reads as "many" (0.4 miles).
    count = int(shown) if shown.isdigit() else 100
    return ngettext("%(miles)s mile", "%(miles)s miles", count) % {"miles": shown}


# (miles, label): people in the UK think in miles, so pages say miles only (the API
# keeps km). The results page says the same words as these labels (miles_text).
RADIUS_MILES = [(miles, lazy(miles_text, str)(miles)) for miles in (1, 2, 3, 5, 10, 25)]


class FieldGroup:
    """Some of a form's fields, shaped like a form for includes/form_fields.html."""

    def __init__(self, fields):
        self.fields = list(fields)

    def visible_fields(self):
        return [field for field in self.fields if not field.is_hidden]

    def hidden_fields(self):
        return [field for field in self.fields if field.is_hidden]


class AssetSearchForm(PlainErrorsMixin, forms.Form):
    near = forms.CharField(
        label=_("Postcode or place"),
        max_length=100,
        required=False,
        help_text=_("For example RG1 7QE, RG1, Reading or Caversham."),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    radius = forms.TypedChoiceField(
        label=_("How far"),
        choices=RADIUS_MILES,
        coerce=int,
        initial=DEFAULT_RADIUS_MILES,
        error_messages=messages(invalid_choice=_("Choose how far from the list, like 3 miles.")),
        required=False,
        # Why the ignore: Django takes any empty_value (here the default, 3 miles); the stubs allow only str or None.
        empty_value=DEFAULT_RADIUS_MILES,  # type: ignore[arg-type]
    )
    q = forms.CharField(label=_("Words to look for"), max_length=MAX_TEXT_LENGTH, required=False)
    category = forms.ChoiceField(
        label=_("What kind of thing"),
        required=False,
        error_messages=messages(invalid_choice=_("Choose what kind of thing from the list, or Anything.")),
    )
    day = forms.ChoiceField(label=_("Day"), choices=[("", _("Any day")), *DAY_CHOICES], required=False)
    free_only = forms.BooleanField(label=_("Free only"), required=False)
    accessibility = forms.MultipleChoiceField(
        label=_("Access needs"),
        choices=ACCESSIBILITY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    source = forms.ChoiceField(
        label=_("Where it came from"),
        required=False,
        error_messages={"invalid_choice": _("Choose where the listings came from from the list.")},
    )
    page = forms.IntegerField(min_value=1, max_value=10_000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", gettext("Anything"))] + [
            (term.slug, term.label)
            for term in TaxonomyTerm.objects.filter(taxonomy__slug="timecommons-social-prescribing")
        ]
        # Listings come from feeds as well as from people here; each feed is a choice.
        self.fields["source"].choices = [("", gettext("Anywhere")), (LOCAL_SOURCE, gettext("Added here"))] + [
            (str(feed_id), name) for feed_id, name in feed_sources().values_list("id", "name")
        ]

    def clean_near(self):
        return " ".join(self.cleaned_data["near"].split())

    @property
    def radius_miles(self) -> int:
        return self.cleaned_data.get("radius") or DEFAULT_RADIUS_MILES

    @property
    def radius_km(self) -> float:
        return self.radius_miles * KM_PER_MILE

    def main_fields(self) -> FieldGroup:
        return FieldGroup(self[name] for name in MAIN_SEARCH_FIELDS)

    def more_fields(self) -> FieldGroup:
        # The page number is left out: a changed search starts again at page 1.
        return FieldGroup(field for field in self if field.name not in (*MAIN_SEARCH_FIELDS, "page"))


class ProblemReportForm(PlainErrorsMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("What is wrong?"),
        choices=ProblemKind.choices,
        widget=forms.RadioSelect,
        error_messages=messages(required=_("Choose what is wrong.")),
    )
    details = forms.CharField(
        label=_("Tell us more"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    reporter_email = forms.EmailField(
        label=_("Your e-mail, if you would like a reply"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages=messages(
            invalid=_("Enter your e-mail address in the right format, like name@example.com, or leave it blank.")
        ),
    )


class ClaimForm(PlainErrorsMixin, forms.Form):
    message = forms.CharField(
        label=_("How are you involved with this group?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example: I am the secretary and run the Tuesday sessions."),
        error_messages=messages(required=_("Enter how you are involved, like: I run the Tuesday sessions.")),
    )


class ServiceEditForm(PlainErrorsMixin, forms.ModelForm):
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
            "name": _("Name"),
            "description": _("Description"),
            "status": _("Status"),
            "alert": _("Alert"),
            "phone": _("Phone"),
            "url": _("Website"),
            "email": _("E-mail"),
            "is_free": _("It is free"),
            "cost_amount": _("Cost in pounds"),
            "cost_description": _("What the cost covers"),
            "minimum_age": _("Youngest age"),
            "maximum_age": _("Oldest age"),
            "eligibility_description": _("Who it is for"),
            "accepts_self_referral": _("People can just get in touch"),
            "accepts_referrals": _("Link workers can refer people"),
            "drop_in": _("People can drop in"),
            "by_appointment": _("By appointment"),
        }
        help_texts = {"alert": _("A short notice shown at the top, like a holiday closure.")}
        error_messages = {
            "name": messages(required=_("Enter the name of the service, like Tuesday Lunch Club.")),
            "description": messages(required=_("Enter what the service does, in a sentence or two.")),
            "status": messages(required=_("Choose whether the service is running.")),
            "url": messages(invalid=_("Enter the website in the right format, like https://example.org.")),
            "email": messages(invalid=_("Enter the e-mail address in the right format, like name@example.com.")),
            "cost_amount": messages(invalid=_("Enter the cost in pounds, like 2.50.")),
            "minimum_age": messages(invalid=_("Enter the youngest age as a whole number of years, like 18.")),
            "maximum_age": messages(invalid=_("Enter the oldest age as a whole number of years, like 65.")),
        }

    def clean(self):
        data = super().clean()
        minimum, maximum = data.get("minimum_age"), data.get("maximum_age")
        if minimum is not None and maximum is not None and minimum > maximum:
            self.add_error("maximum_age", gettext("The oldest age must not be less than the youngest age."))
        if data.get("is_free") and data.get("cost_amount"):
            self.add_error(
                "cost_amount", gettext("A free service has no cost. Untick 'It is free' or clear the amount.")
            )
        return data


class CapacityForm(PlainErrorsMixin, forms.Form):
    places_available = forms.IntegerField(
        label=_("Places left"),
        min_value=0,
        max_value=100_000,
        required=False,
        error_messages=messages(
            invalid=_("Enter the places left as a whole number, like 5, or leave it blank."),
            min_value=_("Enter the places left as 0 or more."),
            max_value=_("Enter at most 100,000 places."),
        ),
    )
    waitlist_open = forms.BooleanField(label=_("Waiting list open"), required=False)


class DecisionForm(PlainErrorsMixin, forms.Form):
    note = forms.CharField(label=_("Note (optional)"), max_length=500, required=False)


class FeedSourceForm(PlainErrorsMixin, forms.Form):
    """Add or change a feed source. Web addresses only: files are for the command line."""

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("Who publishes it, like Reading Services Guide."),
        error_messages=messages(required=_("Enter who publishes the feed, like Reading Services Guide.")),
    )
    url = forms.CharField(
        label=_("Feed address"),
        max_length=500,
        help_text=_("The feed's web address, without /services at the end, like https://example.org/openreferral."),
        widget=forms.URLInput(attrs={"autocomplete": "url"}),
        error_messages=messages(required=_("Enter the feed's web address, like https://example.org/openreferral.")),
    )
    schedule = forms.ChoiceField(
        label=_("How often to import it"),
        choices=FeedSchedule.choices,
        error_messages=messages(required=_("Choose how often to import the feed.")),
    )
    is_active = forms.BooleanField(
        label=_("Import it"), required=False, initial=True, help_text=_("Untick to stop importing it for now.")
    )

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        if problem := feed_url_problem(url):
            raise forms.ValidationError(problem)
        return url
