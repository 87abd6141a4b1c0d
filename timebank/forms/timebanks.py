"""The network administrator's form for starting a timebank.

The form parses what was typed (hours into minutes, login names into
people); the rules live in timebank.services.timebanks, whose DomainErrors
the view puts back next to the field they name.
"""

from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_lazy as _

from core.form_messages import PlainErrorsMixin, messages
from core.text import lazy_text
from timebank.models import User
from timebank.selectors.timebanks import coordinator_candidates, users_by_login
from timebank.services.timebanks import MAX_CEILING_MINUTES, MAX_OVERDRAFT_MINUTES, SLUG_MAX_LENGTH

MAX_OTHER_COORDINATORS = 10


def _whole_hours(lowest: int, highest: int) -> dict[str, Any]:
    message = lazy_text(
        lambda: (
            gettext("Enter a whole number of hours from %(lowest)s to %(highest)s.")
            % {"lowest": lowest, "highest": highest}
        )
    )
    return {"required": message, "invalid": message, "min_value": message, "max_value": message}


class CoordinatorChoiceField(forms.ModelMultipleChoiceField):
    # The database's ids are 64-bit: a longer number ticked in a hand-made
    # request would overflow the query (pk__in has no guard, unlike pk=).
    ID_LIMIT = 2**63

    def clean(self, value):
        for pk in value if isinstance(value, (list, tuple)) else ():
            try:
                number = int(str(pk))
            except ValueError:
                continue  # Django's own check says it is not a valid value
            if not -self.ID_LIMIT <= number < self.ID_LIMIT:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": str(pk)[:20]}
                )
        return super().clean(value)

    def label_from_instance(self, user: User) -> str:
        name = user.get_full_name()
        return f"{name} ({user.username})" if name else user.username


class TimebankCreateForm(PlainErrorsMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        help_text=_("For example Caversham Timebank."),
        error_messages=messages(required=_("Enter the timebank's name, like Caversham Timebank.")),
    )
    slug = forms.CharField(
        label=_("Short name for its web address"),
        max_length=SLUG_MAX_LENGTH,
        required=False,
        help_text=_(
            "Lower-case letters, numbers and hyphens, for example caversham. Its page will be /t/caversham/. "
            "Leave it blank to make one from the name."
        ),
    )
    area = forms.CharField(
        label=_("Area"),
        max_length=160,
        required=False,
        help_text=_("Where it works, in a few words, for example Caversham and Emmer Green, Reading."),
    )
    contact_email = forms.EmailField(
        label=_("Contact e-mail address"),
        max_length=254,
        required=False,
        help_text=_("Shown on the timebank's page."),
        error_messages=messages(
            invalid=_("Enter the contact e-mail address in the right format, like name@example.com, or leave it blank.")
        ),
    )
    contact_phone = forms.CharField(
        label=_("Contact phone number"), max_length=30, required=False, help_text=_("Shown on the timebank's page.")
    )
    overdraft_hours = forms.IntegerField(
        label=_("How many hours may a new member owe?"),
        min_value=0,
        max_value=MAX_OVERDRAFT_MINUTES // 60,
        initial=10,
        help_text=_("New members can receive this many hours of help before they have given any. 10 is usual."),
        error_messages=_whole_hours(0, MAX_OVERDRAFT_MINUTES // 60),
    )
    ceiling_hours = forms.IntegerField(
        label=_("The most hours a new member may hold"),
        min_value=1,
        max_value=MAX_CEILING_MINUTES // 60,
        required=False,
        help_text=_("Leave it blank for no limit."),
        error_messages=_whole_hours(1, MAX_CEILING_MINUTES // 60),
    )
    coordinators = CoordinatorChoiceField(
        label=_("Coordinators who already coordinate another timebank"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Tick anyone who will coordinate this timebank too."),
    )
    other_coordinators = forms.CharField(
        label=_("Other coordinators: their login names or e-mail addresses"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
        help_text=_(
            "One on each line. They must already have a login. You can leave this blank and add coordinators later."
        ),
    )

    # The service's argument names, for the form's fields that are named for hours.
    service_error_fields = {"default_min_balance": "overdraft_hours", "default_max_balance": "ceiling_hours"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coordinators"].queryset = coordinator_candidates()
        if not self.fields["coordinators"].queryset.exists():
            del self.fields["coordinators"]

    def clean_other_coordinators(self) -> list[User]:
        logins = list(dict.fromkeys(line.strip() for line in self.cleaned_data["other_coordinators"].splitlines()))
        logins = [login for login in logins if login]
        if len(logins) > MAX_OTHER_COORDINATORS:
            raise forms.ValidationError(
                gettext("Enter at most %(count)s people. Add more later.") % {"count": MAX_OTHER_COORDINATORS}
            )
        found, unknown = users_by_login(logins)
        if unknown:
            raise forms.ValidationError(
                gettext("We could not find a login for %(names)s. Check the spelling, or ask them to join first.")
                % {"names": ", ".join(unknown)}
            )
        return found

    def chosen_coordinators(self) -> list[User]:
        """Everyone ticked or named, once each."""
        ticked = list(self.cleaned_data.get("coordinators") or [])
        return list(dict.fromkeys([*ticked, *self.cleaned_data.get("other_coordinators", [])]))
