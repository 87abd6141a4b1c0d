"""Forms for two-step sign-in: one field, the code an authenticator app shows
(or a backup code). Whether it is right is timebank.twofactor's to say."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.form_messages import PlainErrorsMixin, messages


class CodeForm(PlainErrorsMixin, forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("The 6 numbers your authenticator app shows now, or one of your backup codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        error_messages=messages(required=_("Enter the 6 numbers your authenticator app shows, or a backup code.")),
    )
