"""The registry of personal data: which model holds what about a member, how
to find one member's rows, and what to remove when their login is erased.

Models of the apps below privacy (timebank, assets, referrals) are entered by
privacy.selectors itself, which may import them. Apps above privacy (the API)
enter theirs from their `AppConfig.ready()` with `register_personal_data`,
`register_no_personal_data` and `register_user_eraser`, so privacy never
imports them. tests/privacy/test_privacy.py fails when a model of the
project's apps is in neither table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise


@dataclass(frozen=True)
class Selection:
    """How to find one member's rows of a model, and what to leave out."""

    rows: Callable[[Any], QuerySet]
    exclude: tuple[str, ...] = ()
    # What the rows are, in the reader's language (gettext_lazy): the privacy
    # notice and the export's notes show it.
    note: str | Promise = ""


# Every model that can hold a member's (or their login's) data, by label.
EXPORT_REGISTRY: dict[str, Selection] = {}
# Models of the project's apps that hold nothing about a member, and why.
HOLDS_NO_PERSONAL_DATA: dict[str, str] = {}
# Called with the User when a member's login is erased, inside the erasure's transaction.
USER_ERASERS: list[Callable[[Any], None]] = []
# Called with the (locked) Member when their personal data is erased, inside the
# erasure's transaction: each app blanks the free text and contact details it keeps.
MEMBER_ERASERS: list[Callable[[Any], None]] = []


def register_personal_data(label: str, selection: Selection) -> None:
    EXPORT_REGISTRY[label] = selection


def register_no_personal_data(label: str, reason: str) -> None:
    HOLDS_NO_PERSONAL_DATA[label] = reason


def register_user_eraser(eraser: Callable[[Any], None]) -> None:
    # ready() can run more than once: register once.
    if eraser not in USER_ERASERS:
        USER_ERASERS.append(eraser)


def register_member_eraser(eraser: Callable[[Any], None]) -> None:
    if eraser not in MEMBER_ERASERS:
        MEMBER_ERASERS.append(eraser)
