"""Error messages on forms that tell a person what to do.

Django's own messages ("This field is required.", "Enter a valid date.",
"Select a valid choice. … is not one of the available choices.") say what is
wrong in a machine's words. The GOV.UK pattern wants a message for each field
that says what to do: "Enter your e-mail address, like name@example.com".

Two pieces, used by the forms of every app:

- `messages(required=…, invalid=…, …)` builds a field's `error_messages`: the
  form states the words for its own fields (every required field has its own
  "required" message, written for the person who fills it in).
- `PlainErrorsMixin`, the first base of each form, replaces any Django default
  still left on a field (a choice not in the list, text over the length limit,
  a number out of range, a date or address in the wrong shape) with a plain
  message that names the field and says what to do. It records which it
  filled in (`generic_messages`), so a test can insist that "required" is
  always the form's own words.

Invariant: after a PlainErrorsMixin form is built, none of its fields carries
a Django default message.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

# Plain words for Django's message codes, by the field class they belong to
# (checked most specific first). {label} is the field's label, quoted.
_INVALID_BY_FIELD: list[tuple[type[forms.Field], Any]] = [
    (forms.EmailField, _("Enter an e-mail address in the right format, like name@example.com.")),
    (forms.URLField, _("Enter a web address in the right format, like https://example.org.")),
    (forms.DateTimeField, _("Enter a real date and time for {label}, like 27/3/2026 14:30.")),
    (forms.DateField, _("Enter a real date for {label}, like 27/3/2026.")),
    (forms.TimeField, _("Enter a real time for {label}, like 14:30.")),
    (forms.IntegerField, _("Enter {label} as a whole number, like 5.")),
    (forms.DecimalField, _("Enter {label} as a number, like 2.50.")),
    (forms.FloatField, _("Enter {label} as a number, like 2.5.")),
    (forms.UUIDField, _("Something went wrong with this page. Go back and try again.")),
]

_GENERIC: dict[str, Any] = {
    "required": _("Fill in {label}."),
    "invalid_choice": _("Choose one of the options for {label}."),
    "invalid_pk_value": _("Choose one of the options for {label}."),
    "invalid_list": _("Choose one or more of the options for {label}."),
    "max_length": _("{label} can be at most %(limit_value)d characters. You typed %(show_value)d: make it shorter."),
    "min_length": _("{label} needs at least %(limit_value)d characters. You typed %(show_value)d."),
    "min_value": _("{label} must be %(limit_value)s or more."),
    "max_value": _("{label} must be %(limit_value)s or less."),
    "max_digits": _("{label} must have %(max)s digits or fewer."),
    "max_decimal_places": _("{label} must have %(max)s decimal places or fewer, like 2.50."),
    "max_whole_digits": _("{label} must have %(max)s digits or fewer before the point."),
    "step_size": _("{label} must be a multiple of %(limit_value)s."),
    "incomplete": _("Fill in all of {label}."),
    "overflow": _("Enter a real date and time for {label}."),
}


def messages(**texts: StrOrPromise | None) -> dict[str, StrOrPromise]:
    """A field's error_messages from keyword codes: messages(required=_("Enter your name")).
    Lazy texts (gettext_lazy) stay lazy: each is put in words when shown."""
    return {code: text for code, text in texts.items() if text is not None and not (isinstance(text, str) and not text)}


def _django_defaults(field: forms.Field) -> dict[str, str]:
    """The messages Django gives this kind of field (as Field.__init__ collects them)."""
    defaults: dict[str, str] = {}
    for klass in reversed(type(field).__mro__):
        defaults.update({code: str(text) for code, text in getattr(klass, "default_error_messages", {}).items()})
    return defaults


def _label(name: str, field: forms.Field) -> str:
    text = str(field.label or name.replace("_", " ").capitalize()).strip().rstrip("?:").strip()
    # Django fills some messages in with "%"-formatting: a "%" in a label would break it.
    return f"“{text}”".replace("%", "")


def plain_error_messages(form: forms.BaseForm) -> dict[tuple[str, str], Any]:
    """Put plain words in place of every Django default message left on the
    form's fields; returns the generic words given, by (field, code)."""
    filled: dict[tuple[str, str], Any] = {}
    for name, field in form.fields.items():
        defaults = _django_defaults(field)
        label = _label(name, field)
        # Django's own validators (length, range) take their message from here too, by code.
        codes = set(defaults) | {"max_length", "min_length", "min_value", "max_value", "step_size"}
        for code in sorted(codes):
            current = field.error_messages.get(code)
            if current is not None and str(current) != defaults.get(code):
                continue  # the form's own words
            if code == "invalid":
                text = next((t for klass, t in _INVALID_BY_FIELD if isinstance(field, klass)), None)
            else:
                text = _GENERIC.get(code)
            if text is None:
                continue
            field.error_messages[code] = str(text).replace("{label}", label)
            if code in defaults:
                filled[(name, code)] = field.error_messages[code]
    return filled


class PlainErrorsMixin:
    """First base of a form: see the module docstring.

    It also leaves out the HTML `required` attribute: the browser's own
    pop-up ("Please fill in this field") would stop the form at the first empty
    box, in the browser's words, before the page can list every problem at
    once. Optional fields say "(optional)" in their label instead
    (templates/includes/form_fields.html), as the GOV.UK pattern does."""

    fields: dict[str, forms.Field]
    use_required_attribute = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._generic_messages = plain_error_messages(self)  # type: ignore[arg-type]

    @property
    def generic_messages(self) -> list[tuple[str, str]]:
        """(field, code) pairs still carrying generic words (a subclass may set its own after this __init__)."""
        return [
            (name, code)
            for (name, code), text in self._generic_messages.items()
            if name in self.fields and self.fields[name].error_messages.get(code) == text
        ]
