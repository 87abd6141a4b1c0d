"""The erasure form: input parsing only; the rules live in privacy.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.form_messages import PlainErrorsMixin


class EraseMemberForm(PlainErrorsMixin, forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that this cannot be undone"),
        error_messages={"required": _("Tick the box to confirm that you want to erase this member's personal data.")},
    )
