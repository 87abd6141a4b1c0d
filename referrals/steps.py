"""Making a referral on the web: a short sequence of questions, one a page,
then a page to check the answers and send (referrals.views).

Owns the questions (one form each, in `STEPS` order), where the answers wait
until the end, and the age check against the receiving service.

Invariants:
- consent is asked first, as a yes/no question with nothing chosen; "no" ends
  the journey and forgets its answers;
- answers wait in the server-side session (`JOURNEYS_KEY`), under a random
  journey id, never in the address, a log or a message; nothing is written to
  the referrals tables until the link worker sends it from the check page,
  and the answers are forgotten once it is sent;
- every answer is checked again when the referral is sent (the forms are
  bound to the kept answers), and the service checks it all once more;
- who the service is for (its ages at the date-of-birth step, its areas at
  the postcode step) is referrals.eligibility's one rule: a person outside it
  is not referred until the link worker changes the answer or ticks that they
  have checked with the group and gives a reason (the service checks it again).
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy as _, ngettext
from django_stubs_ext import StrOrPromise

from assets.models import Service, TaxonomyTerm
from core.places.postcodes import PostcodeError, normalise_postcode
from referrals import eligibility
from referrals.communication import CATEGORIES, interpreter_code
from referrals.models import ConsentMethod, ConsentScope, PreferredContact, Priority
from timebank.models import Timebank

JOURNEYS_KEY = "referral_journeys"
# A link worker may have a few referrals on the go in different tabs; older ones are dropped.
MAX_JOURNEYS = 5
# Nobody alive is older than this: a date giving an older age is a mistyped year.
OLDEST_AGE = 110


# --- Where the referral goes -------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    service: Service | None = None
    timebank: Timebank | None = None

    @property
    def name(self) -> str:
        return self.service.name if self.service else (self.timebank.name if self.timebank else "")

    @property
    def has_age_range(self) -> bool:
        return bool(eligibility.age_range_words(self.service))

    @property
    def age_range(self) -> str:
        """ "ages 11 to 18", "ages 60 and over", "ages up to 25", or ""."""
        return eligibility.age_range_words(self.service, ages=True)


age_on = eligibility.age_on

# The tick and reason that confirm an exception to who the service is for.
CONFIRM_LABEL = _("I have checked with the group that they can take this person")
REASON_MAX = 220  # two reasons (age, area) and their labels fit the referral's 500


def _percent(message, **values) -> str:
    """`message % values`, done when the text is shown (so in the page's language)."""
    return str(message) % values


# A message with values, translated when it is shown: forms are made at import time.
_lazy_percent = lazy(_percent, str)


def _override_reason(label: StrOrPromise) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=REASON_MAX,
        required=False,
        help_text=_("For example, the organiser agreed on the phone. The group will see this."),
        error_messages={
            "max_length": _lazy_percent(_("The reason must be %(count)s characters or fewer."), count=REASON_MAX)
        },
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def check_override(form: StepForm, cleaned: dict, warning: str, *, confirm: str, reason: str, change) -> None:
    """The exception the link worker confirms when the person is outside who the
    service is for: ticked, with a reason; kept as `eligibility_override_reason`."""
    cleaned["eligibility_override_reason"] = ""
    if not warning:
        return
    text = (cleaned.get(reason) or "").strip()
    if not cleaned.get(confirm):
        form.add_error(confirm, f"{warning} {change}")
    elif not text and reason not in form.errors:
        form.add_error(
            reason, gettext("Give the reason the group can take this person, like: the organiser agreed by phone.")
        )
    else:
        cleaned["eligibility_override_reason"] = text


# --- The questions -----------------------------------------------------------------------------


class StepForm(forms.Form):
    """One page's question(s). `target` is where the referral goes."""

    def __init__(self, *args, target: Target, **kwargs):
        self.target = target
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["null_characters_not_allowed"] = _("Remove the unusual characters and try again.")

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str) and "\x00" in value:
                self.add_error(name, gettext("Remove the unusual characters and try again."))
        return cleaned


def _text(label, *, max_length: int, required_message="", **kwargs) -> forms.CharField:
    messages = {
        "max_length": _lazy_percent(
            _("%(label)s must be %(count)s characters or fewer."), label=label, count=max_length
        )
    }
    if required_message:
        messages["required"] = required_message
    return forms.CharField(
        label=label, max_length=max_length, required=bool(required_message), error_messages=messages, **kwargs
    )


class ConsentForm(StepForm):
    agreed = forms.ChoiceField(
        label=_("Has the person agreed to be referred?"),
        help_text=_("They need to agree before you can send their details to anyone."),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Select yes if the person has agreed to be referred.")},
    )


SCOPE_CHOICES = [
    (ConsentScope.SHARE_WITH_SERVICE.value, _("Their name and contact details, with the group or service")),
    (ConsentScope.SHARE_BACK.value, _("What happens next, with you and their GP")),
    (ConsentScope.CODES_ONLY.value, _("Codes only, with no name or contact details")),
]
METHOD_CHOICES = [
    (ConsentMethod.VERBAL.value, _("They told me")),
    (ConsentMethod.WRITTEN.value, _("In writing")),
    (ConsentMethod.DIGITAL.value, _("Online or by e-mail")),
]


class SharingForm(StepForm):
    scopes = forms.MultipleChoiceField(
        label=_("What did they agree to share?"),
        help_text=_("Select all that they agreed to."),
        choices=SCOPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Select what the person agreed to share.")},
    )
    method = forms.ChoiceField(
        label=_("How did they agree?"),
        choices=METHOD_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select how the person agreed.")},
    )

    def clean(self):
        cleaned = super().clean()
        scopes = cleaned.get("scopes") or []
        if ConsentScope.CODES_ONLY in scopes and ConsentScope.SHARE_WITH_SERVICE in scopes:
            self.add_error("scopes", gettext("Select either their details or codes only, not both."))
        elif scopes and self.target.timebank and ConsentScope.SHARE_WITH_SERVICE not in scopes:
            self.add_error(
                "scopes",
                gettext(
                    "The timebank needs their name and contact details so a coordinator can call them. "
                    "Select that, or choose a group instead."
                ),
            )
        return cleaned


class NameForm(StepForm):
    given_name = _text(
        _("First name"),
        max_length=100,
        required_message=_("Enter the person's first name."),
        widget=forms.TextInput(),
    )
    family_name = _text(_("Last name"), max_length=100, required_message=_("Enter the person's last name."))
    preferred_name = _text(_("The name they like to be called"), max_length=100)

    def clean(self):
        cleaned = super().clean()
        for name in ("given_name", "family_name", "preferred_name"):
            if isinstance(cleaned.get(name), str):
                cleaned[name] = cleaned[name].strip()
        return cleaned


class DateInput(forms.TextInput):
    """A day, month or year box: numbers, no browser autofill (it is someone else's date)."""

    def __init__(self, size_class: str):
        super().__init__(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "class": f"date-input__{size_class}",
                "spellcheck": "false",
            }
        )


class DateOfBirthForm(StepForm):
    """GOV.UK's date input: day, month, year; a message for each way a date goes wrong."""

    day = forms.CharField(label=_("Day"), max_length=10, required=False, widget=DateInput("day"))
    month = forms.CharField(label=_("Month"), max_length=10, required=False, widget=DateInput("month"))
    year = forms.CharField(label=_("Year"), max_length=10, required=False, widget=DateInput("year"))
    confirm_age = forms.BooleanField(label=CONFIRM_LABEL, required=False)
    age_reason = _override_reason(_("Why they can take this person"))

    # The page asks the date as one question; these name it in messages.
    label = _("What is their date of birth?")
    example = _("For example, 27 3 1950")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.required = self.target.has_age_range
        self.age: int | None = None
        self.age_warning = ""
        for name in ("day", "month", "year"):
            self.fields[name].error_messages["max_length"] = gettext("Date of birth must be a real date.")
        if not self.is_bound:
            self._warn_from(self.initial)

    def _warn_from(self, values) -> None:
        try:
            born = datetime.date(int(values.get("year")), int(values.get("month")), int(values.get("day")))
        except (TypeError, ValueError):
            return
        self._note_age(born)

    def _note_age(self, born: datetime.date) -> None:
        today = timezone.localdate()
        self.age = age_on(born, today)
        excluded = eligibility.age_exclusion(self.target.service, date_of_birth=born, on=today)
        self.age_warning = excluded.reason if excluded else ""

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        parts = {name: (cleaned.get(name) or "").strip() for name in ("day", "month", "year")}
        cleaned["date_of_birth"] = None
        missing = [name for name, value in parts.items() if not value]
        if len(missing) == 3:
            if self.required:
                self.add_error(
                    "day",
                    gettext("Enter the person's date of birth, for example 27 3 1950. %(name)s is for %(ages)s.")
                    % {"name": self.target.name, "ages": self.target.age_range},
                )
            return cleaned
        if missing:
            self.add_error(missing[0], _missing_parts_message(missing))
            return cleaned
        bad = [name for name, value in parts.items() if not value.isdigit()]
        if bad:
            self.add_error(bad[0], gettext("Date of birth must be a real date, in numbers, like 27 3 1950."))
            return cleaned
        if len(parts["year"]) != 4:
            self.add_error("year", gettext("Year must include 4 numbers, like 1950."))
            return cleaned
        try:
            born = datetime.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        except ValueError:
            field = "month" if not 1 <= int(parts["month"]) <= 12 else "day"
            self.add_error(field, gettext("Date of birth must be a real date. Check the day and month."))
            return cleaned
        if born > timezone.localdate():
            self.add_error("day", gettext("Date of birth must be in the past."))
            return cleaned
        age = age_on(born, timezone.localdate())
        if age > OLDEST_AGE:
            self.add_error(
                "year",
                ngettext(
                    "Check the year. This date makes the person %(age)s year old.",
                    "Check the year. This date makes the person %(age)s years old.",
                    age,
                )
                % {"age": age},
            )
            return cleaned
        self._note_age(born)
        check_override(
            self,
            cleaned,
            self.age_warning,
            confirm="confirm_age",
            reason="age_reason",
            change=gettext(
                "Change the date of birth if it is wrong, or tick that you have checked with the group "
                "and give a reason."
            ),
        )
        cleaned["date_of_birth"] = born
        return cleaned


def _missing_parts_message(missing: list[str]) -> str:
    """ "Date of birth must include a month and a year.": whole sentences, one for each gap."""
    key = tuple(missing)
    if key == ("day",):
        return gettext("Date of birth must include a day.")
    if key == ("month",):
        return gettext("Date of birth must include a month.")
    if key == ("year",):
        return gettext("Date of birth must include a year.")
    if key == ("day", "month"):
        return gettext("Date of birth must include a day and a month.")
    if key == ("day", "year"):
        return gettext("Date of birth must include a day and a year.")
    return gettext("Date of birth must include a month and a year.")


class PostcodeForm(StepForm):
    postcode = _text(
        _("What is their postcode?"),
        max_length=10,
        required_message=_("Enter the person's postcode, like RG1 7QE."),
        help_text=_("For example, RG1 7QE."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "input-short"}),
    )

    confirm_area = forms.BooleanField(label=CONFIRM_LABEL, required=False)
    area_reason = _override_reason(_("Why they can take this person"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.area_warning = ""

    def clean_postcode(self):
        try:
            return normalise_postcode(self.cleaned_data["postcode"])
        except PostcodeError:
            # Our own words: PostcodeError's message quotes what was typed.
            raise ValidationError(gettext("Enter a real UK postcode, like RG1 7QE.")) from None

    def clean(self):
        cleaned = super().clean()
        postcode = cleaned.get("postcode")
        excluded = eligibility.area_exclusion(self.target.service, postcode=postcode) if postcode else None
        self.area_warning = excluded.reason if excluded else ""
        check_override(
            self,
            cleaned,
            self.area_warning,
            confirm="confirm_area",
            reason="area_reason",
            change=gettext(
                "Change the postcode if it is wrong, or tick that you have checked with the group and give a reason."
            ),
        )
        return cleaned


CONTACT_CHOICES = [
    (PreferredContact.PHONE.value, _("Phone call")),
    (PreferredContact.TEXT.value, _("Text message")),
    (PreferredContact.EMAIL.value, _("E-mail")),
    (PreferredContact.LETTER.value, _("Letter")),
]


class ContactForm(StepForm):
    preferred_contact = forms.ChoiceField(
        label=_("What is the best way to contact them?"),
        choices=CONTACT_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select the best way to contact the person.")},
    )
    phone = _text(
        _("Phone number"),
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "class": "input-medium"}),
    )
    email = _text(
        _("E-mail address"),
        max_length=254,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "off", "spellcheck": "false"}),
    )
    contact_times = _text(
        _("Best times to contact them"), max_length=200, help_text=_("For example, weekday mornings.")
    )
    do_not_contact = forms.BooleanField(
        label=_("Do not contact them directly. The group should talk to you first."), required=False
    )

    def clean(self):
        cleaned = super().clean()
        how = cleaned.get("preferred_contact")
        phone = (cleaned.get("phone") or "").strip()
        email = (cleaned.get("email") or "").strip().lower()
        cleaned["phone"], cleaned["email"] = phone, email
        if how in (PreferredContact.PHONE, PreferredContact.TEXT) and not phone and "phone" not in self.errors:
            self.add_error("phone", gettext("Enter a phone number, or choose another way to contact them."))
        if email and "email" not in self.errors:
            try:
                validate_email(email)
            except ValidationError:
                self.add_error("email", gettext("Enter an e-mail address in the right format, like name@example.org."))
        if how == PreferredContact.EMAIL and not email and "email" not in self.errors:
            self.add_error("email", gettext("Enter an e-mail address, or choose another way to contact them."))
        return cleaned


class CommunicationForm(StepForm):
    needs = forms.MultipleChoiceField(
        label=_("Do they need any of these to read, hear or talk with us?"),
        help_text=_("Tick all they need. Leave them blank if they need none."),
        choices=CATEGORIES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        # Only a changed or stale page sends a need that is not one of the boxes;
        # the message never echoes what was sent.
        error_messages={
            "invalid_choice": _("Tick the needs from the list."),
            "invalid_list": _("Tick the needs from the list."),
        },
    )
    language = _text(
        _("Do they need someone to speak their language? Which one?"),
        max_length=30,
        help_text=_("For example, Polish."),
        widget=forms.TextInput(attrs={"class": "input-medium", "autocomplete": "off"}),
    )

    def clean(self):
        cleaned = super().clean()
        codes = list(cleaned.get("needs") or [])
        language = (cleaned.get("language") or "").strip()
        if language and "language" not in self.errors:
            code = interpreter_code(language)
            if code is None:
                self.add_error("language", gettext("Enter the language in letters, like Polish."))
            else:
                codes.append(code)
        cleaned["communication_needs"] = codes
        return cleaned


class WhatMattersForm(StepForm):
    what_matters = _text(
        _("What matters to them?"),
        max_length=2000,
        help_text=_("In their words if you can. For example: getting out more, meeting people who like gardening."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    needs = forms.ModelMultipleChoiceField(
        label=_("What kind of help are they looking for?"),
        help_text=_("Select all that apply."),
        queryset=TaxonomyTerm.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Select the kinds of help from the list."),
            "invalid_pk_value": _("Select the kinds of help from the list."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Each kind of help by its name in the page's language.
        self.fields["needs"].label_from_instance = lambda term: term.label  # type: ignore[attr-defined]


PRIORITY_CHOICES = [
    (Priority.ROUTINE.value, _("Routine")),
    (Priority.URGENT.value, _("Urgent: they need help soon")),
]


class ExtraForm(StepForm):
    priority = forms.ChoiceField(
        label=_("How soon do they need help?"),
        choices=PRIORITY_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select how soon the person needs help.")},
    )
    notes = _text(
        _("Anything else the group should know"),
        max_length=2000,
        help_text=_("For example, they use a walking frame. Do not add anything the person has not agreed to share."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@dataclass(frozen=True)
class Step:
    slug: str
    form: type[StepForm]
    title: StrOrPromise  # the page's <title> and, for one-question pages, its heading
    single: bool = True  # one question: its label or legend is the page's heading


STEPS: list[Step] = [
    Step("consent", ConsentForm, _("Has the person agreed to be referred?")),
    Step("sharing", SharingForm, _("What they agreed to share"), single=False),
    Step("name", NameForm, _("What is their name?"), single=False),
    Step("date-of-birth", DateOfBirthForm, _("What is their date of birth?"), single=False),
    Step("postcode", PostcodeForm, _("What is their postcode?")),
    Step("contact", ContactForm, _("How to contact them"), single=False),
    Step("communication", CommunicationForm, _("Help to talk with them"), single=False),
    Step("what-matters", WhatMattersForm, _("What matters to them"), single=False),
    Step("extra", ExtraForm, _("Anything else"), single=False),
]
STEP_BY_SLUG = {step.slug: step for step in STEPS}


def step_after(slug: str) -> Step | None:
    index = [s.slug for s in STEPS].index(slug)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def step_before(slug: str) -> Step | None:
    index = [s.slug for s in STEPS].index(slug)
    return STEPS[index - 1] if index > 0 else None


# --- Where the answers wait ----------------------------------------------------------------------


def _journeys(session) -> dict:
    journeys = session.get(JOURNEYS_KEY)
    return journeys if isinstance(journeys, dict) else {}


def journey_start(session, *, service_id: str = "", timebank_slug: str = "") -> str:
    """A new journey to this target; returns its id (random, says nothing about the person)."""
    journeys = _journeys(session)
    while len(journeys) >= MAX_JOURNEYS:
        journeys.pop(next(iter(journeys)))
    journey_id = secrets.token_urlsafe(9)
    journeys[journey_id] = {"service": service_id, "timebank": timebank_slug, "answers": {}, "referral": ""}
    session[JOURNEYS_KEY] = journeys
    return journey_id


def journey_get(session, journey_id: str) -> dict | None:
    journey = _journeys(session).get(journey_id)
    return journey if isinstance(journey, dict) else None


def journey_save_answers(session, journey_id: str, slug: str, data: MultiValueDict) -> None:
    journeys = _journeys(session)
    journeys[journey_id]["answers"][slug] = {key: data.getlist(key) for key in data}
    session[JOURNEYS_KEY] = journeys


def journey_forget_answers(session, journey_id: str, *, referral_id: str = "") -> None:
    """Drop the answers (sent, or consent refused); keep which referral it made."""
    journeys = _journeys(session)
    journeys[journey_id]["answers"] = {}
    journeys[journey_id]["referral"] = referral_id
    session[JOURNEYS_KEY] = journeys


def answers_for(journey: dict, slug: str) -> MultiValueDict | None:
    stored = journey["answers"].get(slug)
    return MultiValueDict(stored) if isinstance(stored, dict) else None


def bound_form(journey: dict, step: Step, target: Target) -> StepForm | None:
    """The step's form bound to its kept answers, or None if not answered yet."""
    data = answers_for(journey, step.slug)
    return step.form(data, target=target) if data is not None else None


def first_unfinished(journey: dict, target: Target) -> Step | None:
    """The first step without a valid answer (answers are checked again each time)."""
    for step in STEPS:
        form = bound_form(journey, step, target)
        if form is None or not form.is_valid():
            return step
        if step.slug == "consent" and form.cleaned_data["agreed"] != "yes":
            return step
    return None
