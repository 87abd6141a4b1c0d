"""Cleaning free text people type, with one set of plain messages; and text
with values that is put in words only when it is read (`lazy_text`)."""

from collections.abc import Callable
from typing import cast

from django.utils.functional import lazy
from django.utils.translation import gettext
from django_stubs_ext import StrPromise

from core.errors import InvalidInputError


def clean_text(value: str | None, *, field: str, label: str, max_length: int, required: bool = False) -> str:
    """Strip the text and check it: present when required, not too long, and
    free of NUL (which PostgreSQL cannot store). Raises InvalidInputError on `field`."""
    text = (value or "").strip()
    if required and not text:
        raise InvalidInputError(gettext("Enter %(label)s.") % {"label": label}, field=field)
    capital = f"{label[0].upper()}{label[1:]}"
    if len(text) > max_length:
        raise InvalidInputError(
            gettext("%(label)s must be %(max)s characters or fewer.") % {"label": capital, "max": max_length},
            field=field,
        )
    if "\x00" in text:
        raise InvalidInputError(
            gettext("%(label)s contains a character we cannot store.") % {"label": capital}, field=field
        )
    return text


def lazy_text(make: Callable[[], str]) -> StrPromise:
    """Text made by `make` (gettext with values) each time it is read, in the
    language in use then: `lazy_text(lambda: gettext("Hello %(name)s") % {...})`.
    For e-mail subjects (notify() reads them in the recipient's language) and
    form labels and messages with values, made when the module is imported."""
    return cast(StrPromise, lazy(make, str)())


def and_list(names: list[str], *, empty: str = "") -> str:
    """ "Alice", "Alice and Bob", "Alice and Bob and Carol": names joined with
    "and" in the language in use (a translator may change the word or order)."""
    if not names:
        return empty
    joined = names[0]
    for name in names[1:]:
        joined = gettext("%(first)s and %(second)s") % {"first": joined, "second": name}
    return joined
