"""Communication needs: the NHS Accessible Information Standard's categories,
as the codes a referral (`Referral.communication_needs`) and a member's
profile (`Member.communication_needs`) store, a list of short codes like
"large-print", and the words people use for them. In core so that the
timebank (which may not import referrals) keeps and shows every code a
referral carries; referrals.communication re-exports it.

Invariants:
- a stored code is short and plain (lower case letters, digits, hyphens, at
  most 40 characters), so it is safe to show and to send on;
- codes stored before this module (any such short code, e.g. "large-print",
  "bsl", "phone-only", "no-email" of the timebank's profile) keep meaning the
  same thing: the categories reuse them where one existed;
- an interpreter for another language is "interpreter-<language>", e.g.
  "interpreter-polish";
- `need_code()` turns what a person or an API client typed ("large print",
  "Large-Print", "British Sign Language interpreter") into the code, or None
  when it cannot be made a code. It never quotes the typed text in a message.
"""

import re
import unicodedata
from typing import Any

from django.utils.translation import gettext, gettext_lazy, gettext_noop

CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
INTERPRETER_PREFIX = "interpreter-"
# Room for the prefix within the 40 characters a code may have.
LANGUAGE_MAX_LENGTH = 40 - len(INTERPRETER_PREFIX)

# (code, what the link worker ticks). Order: how the standard groups them.
_CATEGORIES_ENGLISH: list[tuple[str, str]] = [
    ("large-print", gettext_noop("Large print")),
    ("easy-read", gettext_noop("Easy read")),
    ("braille", gettext_noop("Braille")),
    ("audio", gettext_noop("Audio (information read out or recorded)")),
    ("bsl", gettext_noop("British Sign Language interpreter")),
    ("deafblind-manual", gettext_noop("Deafblind manual interpreter")),
    ("lip-speaker", gettext_noop("Lipspeaker")),
    ("hearing-loop", gettext_noop("Hearing loop")),
    ("advocate", gettext_noop("Needs someone with them, such as an advocate or carer")),
    ("phone-only", gettext_noop("Contact by phone")),
    ("text-only", gettext_noop("Contact by text message")),
    ("email-only", gettext_noop("Contact by e-mail")),
    ("no-email", gettext_noop("Contact by letter")),
]
# The same, in the language of the page that shows them.
CATEGORIES: list[tuple[str, Any]] = [(code, gettext_lazy(label)) for code, label in _CATEGORIES_ENGLISH]
LABELS = dict(CATEGORIES)

# Other words for the codes (after lower-casing and turning spaces into hyphens).
SYNONYMS = {
    "british-sign-language": "bsl",
    "bsl-interpreter": "bsl",
    "sign-language": "bsl",
    "large-text": "large-print",
    "easyread": "easy-read",
    "deafblind-manual-interpreter": "deafblind-manual",
    "lipspeaker": "lip-speaker",
    "induction-loop": "hearing-loop",
    "loop": "hearing-loop",
    "someone-with-them": "advocate",
    "carer": "advocate",
    "prefers-phone": "phone-only",
    "phone": "phone-only",
    "prefers-text": "text-only",
    "text": "text-only",
    "sms": "text-only",
    "prefers-email": "email-only",
    "email": "email-only",
    "e-mail": "email-only",
    "prefers-letter": "no-email",
    "letter": "no-email",
    "letters": "no-email",
}
for _code, _label in _CATEGORIES_ENGLISH:
    SYNONYMS.setdefault(re.sub(r"[^a-z0-9]+", "-", _label.lower()).strip("-"), _code)


def _as_code_words(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def interpreter_code(language: str) -> str | None:
    """The code for an interpreter in this language, or None if it has no letters."""
    words = _as_code_words(language)[:LANGUAGE_MAX_LENGTH].strip("-")
    return INTERPRETER_PREFIX + words if words else None


def need_code(value: object) -> str | None:
    """The stored code for what was typed, or None when it cannot be one."""
    if not isinstance(value, str) or len(value) > 80:
        return None
    words = _as_code_words(value)
    words = SYNONYMS.get(words, words)
    for suffix in ("-interpreter", "-language-interpreter"):
        # "Polish interpreter" is an interpreter in Polish (but "bsl-interpreter" was mapped above).
        if words.endswith(suffix) and words != suffix.strip("-"):
            return interpreter_code(words[: -len(suffix)])
    return words if CODE.match(words) else None


def need_label(code: str) -> str:
    """How a code reads on a page: "Large print", "Interpreter: Polish"."""
    if code in LABELS:
        return str(LABELS[code])
    if code.startswith(INTERPRETER_PREFIX):
        language = code[len(INTERPRETER_PREFIX) :].replace("-", " ").capitalize()
        return gettext("Interpreter: %(language)s") % {"language": language}
    return code.replace("-", " ").capitalize()


def is_need_code(code: object) -> bool:
    """A code this vocabulary knows: one of the categories, or an interpreter."""
    if not isinstance(code, str):
        return False
    if code in LABELS:
        return True
    return code.startswith(INTERPRETER_PREFIX) and len(code) > len(INTERPRETER_PREFIX) and bool(CODE.match(code))
