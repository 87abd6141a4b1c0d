"""Forms for involvement. They only parse what people type (durations into
minutes, pounds into pence); the rules live in coproduction.involvement.services."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from assets.models import Organisation
from coproduction.involvement.models import ExpenseClaim, ExpenseKind, Opportunity, Participation
from coproduction.involvement.money import format_pence, parse_pounds
from coproduction.involvement.services import LineEstimate, OpportunityDetails
from core.errors import InvalidInputError
from core.form_messages import PlainErrorsMixin, plain_error_messages
from timebank.hours import DurationError, format_minutes, parse_duration
from timebank.models import Member, Timebank
from timebank.models.members import MemberKind


class CheckboxList(forms.CheckboxSelectMultiple):
    """Checkboxes whose group id is kept, so the error summary links to the group."""

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return id_ if index is None else super().id_for_label(id_, index)


def _minutes(text: str, *, field: str, allow_zero: bool) -> int:
    try:
        minutes = parse_duration(text)
    except DurationError as error:
        raise forms.ValidationError(str(error)) from None
    if minutes == 0 and not allow_zero:
        raise forms.ValidationError(_("Enter how long it lasts, like 2 hours."))
    return minutes


def _pence(text: str, *, field: str) -> int:
    try:
        return parse_pounds(text, field=field)
    except InvalidInputError as error:
        raise forms.ValidationError(error.message) from None


class OpportunityForm(PlainErrorsMixin, forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=150,
        error_messages={"required": _("Enter a title, like Planning the new café.")},
    )
    what = forms.CharField(
        label=_("What it is"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say what it is and what people will do.")},
    )
    why_it_matters = forms.CharField(
        label=_("Why it matters"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    what_will_change = forms.CharField(
        label=_("What will change because of it"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    starts_at = forms.DateTimeField(
        label=_("When it starts"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": _("Enter the date and time it starts.")},
    )
    duration = forms.CharField(
        label=_("How long it lasts"),
        max_length=30,
        help_text=_("For example 2 hours, or 90 minutes."),
        error_messages={"required": _("Enter how long it lasts, like 2 hours.")},
    )
    online = forms.BooleanField(label=_("Online (people join from home)"), required=False)
    place = forms.CharField(label=_("Where"), max_length=200, required=False, help_text=_("The building and room."))
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    access_information = forms.CharField(
        label=_("Access information"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Step-free access, toilets, hearing loop, parking, quiet room."),
    )
    contact_name = forms.CharField(
        label=_("Contact's name"), max_length=100, error_messages={"required": _("Enter the name of the contact.")}
    )
    contact_phone = forms.CharField(
        label=_("Contact's phone number"),
        max_length=30,
        error_messages={"required": _("Enter a phone number people can call.")},
    )
    hours = forms.CharField(
        label=_("Hours credited to each person who comes"),
        max_length=30,
        required=False,
        help_text=_("For example 2 hours. Leave blank for none."),
    )
    payment = forms.CharField(
        label=_("Money paid to each person who comes, in pounds"),
        max_length=12,
        required=False,
        help_text=_("For example 25.00. Leave blank for none."),
    )
    covers = forms.MultipleChoiceField(
        label=_("Expenses covered"),
        choices=ExpenseKind.choices,
        required=False,
        widget=CheckboxList,
    )
    expenses_note = forms.CharField(label=_("About expenses"), max_length=300, required=False)
    host_organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label=_("Hosted by"),
        required=False,
        empty_label=_("The timebank itself"),
    )
    paid_from = forms.ModelChoiceField(
        queryset=Member.objects.none(),
        label=_("Hours paid by"),
        required=False,
        empty_label=_("The community pot"),
    )

    def __init__(
        self, *args: Any, timebank: Timebank | None, staff_of: Organisation | None = None, **kwargs: Any
    ) -> None:
        """`timebank`: the coordinator's timebank, or None for staff of an
        organisation posting (they choose the timebank). `staff_of`: the
        organisation of a staff user, who host it themselves and whose hours
        come from the community pot (coordinators decide otherwise)."""
        super().__init__(*args, **kwargs)
        self.staff_of = staff_of
        if staff_of is not None:
            del self.fields["host_organisation"]
            del self.fields["paid_from"]
        else:
            # Only organisations with staff on the site can host: their staff manage it.
            self.fields["host_organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
                memberships__isnull=False
            ).distinct()
            self.fields["paid_from"].queryset = Member.objects.filter(  # type: ignore[attr-defined]
                timebank=timebank, kind=MemberKind.ORGANISATION, erased_at__isnull=True
            )
        if timebank is None:
            self.fields["timebank"] = forms.ModelChoiceField(
                queryset=Timebank.objects.order_by("name"),
                label=_("Which timebank's members is it for?"),
                empty_label=_("Choose a timebank"),
                error_messages={"required": _("Choose the timebank whose members you are inviting.")},
            )
            self.order_fields(["timebank"])
            self._generic_messages = plain_error_messages(self)

    def clean_duration(self) -> int:
        return _minutes(self.cleaned_data["duration"], field="duration", allow_zero=False)

    def clean_hours(self) -> int:
        text = self.cleaned_data["hours"].strip()
        return _minutes(text, field="hours", allow_zero=True) if text else 0

    def clean_payment(self) -> int:
        text = self.cleaned_data["payment"].strip()
        return _pence(text, field="payment") if text else 0

    def details(self) -> OpportunityDetails:
        data = self.cleaned_data
        return OpportunityDetails(
            title=data["title"],
            what=data["what"],
            why_it_matters=data["why_it_matters"],
            what_will_change=data["what_will_change"],
            starts_at=data["starts_at"],
            duration_minutes=data["duration"],
            online=data["online"],
            place=data["place"],
            postcode=data["postcode"],
            access_information=data["access_information"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            hours_minutes=data["hours"],
            payment_pence=data["payment"],
            covers_travel=ExpenseKind.TRAVEL in data["covers"],
            covers_care=ExpenseKind.CARE in data["covers"],
            covers_other=ExpenseKind.OTHER in data["covers"],
            expenses_note=data["expenses_note"],
            host_organisation=self.staff_of if self.staff_of is not None else data["host_organisation"],
            paid_from=None if self.staff_of is not None else data["paid_from"],
        )

    @classmethod
    def initial_from(cls, opportunity: Opportunity) -> dict[str, object]:
        return {
            "title": opportunity.title,
            "what": opportunity.what,
            "why_it_matters": opportunity.why_it_matters,
            "what_will_change": opportunity.what_will_change,
            "starts_at": opportunity.starts_at,
            "duration": format_minutes(opportunity.duration_minutes),
            "online": opportunity.online,
            "place": opportunity.place,
            "postcode": opportunity.postcode,
            "access_information": opportunity.access_information,
            "contact_name": opportunity.contact_name,
            "contact_phone": opportunity.contact_phone,
            "hours": format_minutes(opportunity.hours_minutes) if opportunity.hours_minutes else "",
            "payment": format_pence(opportunity.payment_pence)[1:] if opportunity.payment_pence else "",
            "covers": opportunity.covered_kinds,
            "expenses_note": opportunity.expenses_note,
            "host_organisation": opportunity.host_organisation_id,
            "paid_from": opportunity.paid_from_id,
        }


class SignUpForm(PlainErrorsMixin, forms.Form):
    """One step. The access-needs question is only on it the first time."""

    access_needs = forms.CharField(
        label=_("Anything the organiser should arrange so you can take part?"),
        help_text=_("For example a ramp, a hearing loop, a seat near the front, breaks. We will remember this."),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, ask_access_needs: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not ask_access_needs:
            del self.fields["access_needs"]


class AccessNeedsForm(PlainErrorsMixin, forms.Form):
    access_needs = forms.CharField(
        label=_("Your access needs"),
        help_text=_("Organisers see this when you sign up to take part."),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class AttendanceForm(PlainErrorsMixin, forms.Form):
    attended = forms.MultipleChoiceField(
        label=_("Who came?"), required=False, widget=CheckboxList, help_text=_("Tick everyone who took part.")
    )

    def __init__(self, *args: Any, participants: list[Participation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [(str(p.pk), p.member.display_name) for p in participants]  # type: ignore[attr-defined]

    def attended_ids(self) -> list[int]:
        return [int(value) for value in self.cleaned_data["attended"]]


class EstimateForm(PlainErrorsMixin, forms.Form):
    """One amount (and what it is for) per kind of cost the opportunity covers."""

    def __init__(self, *args: Any, kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(ExpenseKind.choices)
        self.kinds = kinds
        for kind in kinds:
            self.fields[f"estimate_{kind}"] = forms.CharField(
                label=_("%(kind)s: about how much, in pounds") % {"kind": labels[kind]},
                max_length=12,
                required=False,
                help_text=_("For example 4.20. Leave blank if none."),
            )
            self.fields[f"description_{kind}"] = forms.CharField(
                label=_("%(kind)s: what it is for") % {"kind": labels[kind]},
                max_length=200,
                required=False,
            )
        # The fields above came after PlainErrorsMixin's pass: give them plain words too.
        self._generic_messages = plain_error_messages(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lines = []
        for kind in self.kinds:
            text = (data.get(f"estimate_{kind}") or "").strip()
            if not text:
                continue
            try:
                pence = parse_pounds(text, field=f"estimate_{kind}")
            except InvalidInputError as error:
                self.add_error(f"estimate_{kind}", error.message)
                continue
            lines.append(LineEstimate(kind=kind, description=data.get(f"description_{kind}", ""), estimate_pence=pence))
        if not lines and not self.errors and self.kinds:
            self.add_error(f"estimate_{self.kinds[0]}", _("Enter at least one cost, like 4.20."))
        self.lines = lines
        return data


class ActualsForm(PlainErrorsMixin, forms.Form):
    """The actual amount of each estimated cost, with an optional receipt."""

    def __init__(self, *args: Any, claim: ExpenseClaim, receipt_over: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = list(claim.lines.all())
        for line in self.lines:
            name = line.description or line.get_kind_display()
            self.fields[f"actual_{line.pk}"] = forms.CharField(
                label=_("%(name)s: what it came to, in pounds") % {"name": name},
                max_length=12,
                help_text=_("You estimated %(amount)s.") % {"amount": format_pence(line.estimate_pence)},
                error_messages={"required": _("Enter what it came to, or 0 if nothing.")},
                initial=format_pence(line.estimate_pence)[1:],
            )
            self.fields[f"receipt_{line.pk}"] = forms.FileField(
                label=_("%(name)s: receipt") % {"name": name},
                required=False,
                help_text=_("A photo or PDF. Only needed for costs over %(amount)s.") % {"amount": receipt_over},
                widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
            )
        self._generic_messages = plain_error_messages(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.actuals: dict[int, int] = {}
        for line in self.lines:
            text = (data.get(f"actual_{line.pk}") or "").strip()
            if not text:
                continue
            try:
                self.actuals[line.pk] = parse_pounds(text, field=f"actual_{line.pk}")
            except InvalidInputError as error:
                self.add_error(f"actual_{line.pk}", error.message)
        return data

    def receipt_bytes(self, limit: int) -> dict[int, bytes]:
        """The uploaded files, each read up to one byte past the limit (so the
        service can refuse an oversized one without reading it all)."""
        found: dict[int, bytes] = {}
        for line in self.lines:
            upload = self.cleaned_data.get(f"receipt_{line.pk}")
            if upload:
                found[line.pk] = upload.read(limit + 1)
        return found


class TextForm(PlainErrorsMixin, forms.Form):
    text = forms.CharField(
        label=_("Your answer"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write your answer.")},
    )

    def __init__(self, *args: Any, label: str, required_message: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].label = label
        self.fields["text"].error_messages["required"] = required_message
