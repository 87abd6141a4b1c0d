"""Minutes in, words out: the one place that turns integer minutes into what
people read ("1½ hours", "1.5 h") and what they type into minutes.

Hours are never floats anywhere in the app; this module only formats them.
"""

import re

from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext

MAX_EXCHANGE_MINUTES = 24 * 60

_FRACTIONS = {0: "", 15: "¼", 30: "½", 45: "¾"}


class DurationError(ValueError):
    """What a person typed is not a length of time we understand."""


def _hours(count: int) -> str:
    return ngettext("%(count)s hour", "%(count)s hours", count) % {"count": count}


def _minutes(count: int) -> str:
    return ngettext("%(count)s minute", "%(count)s minutes", count) % {"count": count}


def format_minutes(minutes: int) -> str:
    """Plain words in the language in use: 90 -> "1½ hours", 20 -> "20 minutes",
    -60 -> "minus 1 hour" (Welsh: "1½ awr", "20 munud", "minws 1 awr")."""
    if minutes < 0:
        return gettext("minus %(amount)s") % {"amount": format_minutes(-minutes)}
    hours, rest = divmod(minutes, 60)
    if rest in _FRACTIONS and (hours or rest == 0):
        if rest == 0:
            return _hours(hours)
        # A whole number and a fraction: "1½ hours" (English says "hours" even after 1½).
        return gettext("%(hours)s%(fraction)s hours") % {"hours": hours, "fraction": _FRACTIONS[rest]}
    if hours == 0:
        return _minutes(rest)
    return gettext("%(hours)s %(minutes)s") % {"hours": _hours(hours), "minutes": _minutes(rest)}


# format_minutes when the text is read, not now: for an e-mail's subject, which
# notify() reads in the recipient's language.
format_minutes_lazy = lazy(format_minutes, str)


def format_hours_decimal(minutes: int) -> str:
    """Short form for tables: 90 -> "1.5 h", 20 -> "0.33 h", -60 -> "-1 h"."""
    sign = "-" if minutes < 0 else ""
    whole, rest = divmod(abs(minutes), 60)
    if rest == 0:
        return f"{sign}{whole} h"
    # Integer arithmetic to two places, rounded half up: no float drift.
    hundredths = (rest * 100 + 30) // 60
    if hundredths == 100:
        return f"{sign}{whole + 1} h"
    text = f"{whole}.{hundredths:02d}".rstrip("0")
    return f"{sign}{text} h"


_HM = re.compile(r"^(\d{1,2}):(\d{2})$")
# The words for hours and minutes people type, in English and in Welsh ("awr",
# "oriau", "munud"; "a" or "ac" for "and").
_HOUR_WORDS = r"h|hr|hrs|hour|hours|awr|oriau"
_MINUTE_WORDS = r"m|min|mins|minute|minutes|munud|funud"
_NUMBER_UNIT = re.compile(rf"^(\d{{1,4}}(?:\.\d{{1,2}})?)\s*({_HOUR_WORDS}|{_MINUTE_WORDS})?$")
_HOURS_AND_MINUTES = re.compile(
    rf"^(\d{{1,2}})\s*(?:{_HOUR_WORDS})\s*(?:(?:and|ac|a)\s*)?(\d{{1,2}})\s*(?:{_MINUTE_WORDS})$"
)


def parse_duration(text: str) -> int:
    """Read a length of time as people write it and return whole minutes.

    Accepts "90", "90 minutes", "1.5 hours", "1½ hours", "1:30", "1h 30m", and
    the same in Welsh ("90 munud", "1.5 awr", "2 oriau", "1 awr 30 munud").
    A bare number means minutes. Raises DurationError with a plain message.
    """
    cleaned = (text or "").strip().lower().replace("½", ".5").replace("¼", ".25").replace("¾", ".75")
    cleaned = re.sub(r"\s+", " ", cleaned)
    if not cleaned:
        raise DurationError(gettext("Enter how long it took, for example 90 minutes or 1.5 hours."))
    minutes: int | None = None
    if match := _HM.match(cleaned):
        hours, mins = int(match.group(1)), int(match.group(2))
        if mins >= 60:
            raise DurationError(gettext("Minutes after the colon must be less than 60, for example 1:30."))
        minutes = hours * 60 + mins
    elif match := _HOURS_AND_MINUTES.match(cleaned):
        minutes = int(match.group(1)) * 60 + int(match.group(2))
    elif match := _NUMBER_UNIT.match(cleaned):
        number, unit = match.group(1), match.group(2) or "minutes"
        whole, _, frac = number.partition(".")
        if unit.startswith(("h", "awr", "oriau")):
            # Hundredths of an hour to minutes with integers only.
            hundredths = int(whole) * 100 + int((frac + "00")[:2])
            if (hundredths * 60) % 100:
                raise DurationError(gettext("Use whole minutes, for example 1.5 hours or 1 hour 20 minutes."))
            minutes = hundredths * 60 // 100
        else:
            if frac:
                raise DurationError(gettext("Use whole minutes, for example 90 minutes."))
            minutes = int(whole)
    if minutes is None:
        raise DurationError(gettext("We did not understand that. Write the time like 90 minutes, 1.5 hours or 1:30."))
    if minutes <= 0:
        raise DurationError(gettext("The time must be more than zero."))
    if minutes > MAX_EXCHANGE_MINUTES:
        raise DurationError(gettext("One exchange can be at most 24 hours. Record longer help as separate exchanges."))
    return minutes
