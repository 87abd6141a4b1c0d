"""Minutes in, words out: the one place that turns integer minutes into what
people read ("1½ hours", "1.5 h") and what they type into minutes.

Hours are never floats anywhere in the app; this module only formats them.
"""

import re

MAX_EXCHANGE_MINUTES = 24 * 60

_FRACTIONS = {0: "", 15: "¼", 30: "½", 45: "¾"}


class DurationError(ValueError):
    """What a person typed is not a length of time we understand."""


def format_minutes(minutes: int) -> str:
    """Plain words: 90 -> "1½ hours", 20 -> "20 minutes", -60 -> "minus 1 hour"."""
    if minutes < 0:
        return "minus " + format_minutes(-minutes)
    hours, rest = divmod(minutes, 60)
    if rest in _FRACTIONS and (hours or rest == 0):
        if hours == 1 and rest == 0:
            return "1 hour"
        if hours == 0:
            return "0 hours"
        return f"{hours}{_FRACTIONS[rest]} hours"
    if hours == 0:
        return f"{rest} minute{'s' if rest != 1 else ''}"
    return f"{hours} hour{'s' if hours != 1 else ''} {rest} minute{'s' if rest != 1 else ''}"


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
_NUMBER_UNIT = re.compile(r"^(\d{1,4}(?:\.\d{1,2})?)\s*(h|hr|hrs|hour|hours|m|min|mins|minute|minutes)?$")
_HOURS_AND_MINUTES = re.compile(
    r"^(\d{1,2})\s*(?:h|hr|hrs|hour|hours)\s*(?:and\s*)?(\d{1,2})\s*(?:m|min|mins|minute|minutes)$"
)


def parse_duration(text: str) -> int:
    """Read a length of time as people write it and return whole minutes.

    Accepts "90", "90 minutes", "1.5 hours", "1½ hours", "1:30", "1h 30m".
    A bare number means minutes. Raises DurationError with a plain message.
    """
    cleaned = (text or "").strip().lower().replace("½", ".5").replace("¼", ".25").replace("¾", ".75")
    cleaned = re.sub(r"\s+", " ", cleaned)
    if not cleaned:
        raise DurationError("Enter how long it took, for example 90 minutes or 1.5 hours.")
    minutes: int | None = None
    if match := _HM.match(cleaned):
        hours, mins = int(match.group(1)), int(match.group(2))
        if mins >= 60:
            raise DurationError("Minutes after the colon must be less than 60, for example 1:30.")
        minutes = hours * 60 + mins
    elif match := _HOURS_AND_MINUTES.match(cleaned):
        minutes = int(match.group(1)) * 60 + int(match.group(2))
    elif match := _NUMBER_UNIT.match(cleaned):
        number, unit = match.group(1), match.group(2) or "minutes"
        whole, _, frac = number.partition(".")
        if unit.startswith("h"):
            # Hundredths of an hour to minutes with integers only.
            hundredths = int(whole) * 100 + int((frac + "00")[:2])
            if (hundredths * 60) % 100:
                raise DurationError("Use whole minutes, for example 1.5 hours or 1 hour 20 minutes.")
            minutes = hundredths * 60 // 100
        else:
            if frac:
                raise DurationError("Use whole minutes, for example 90 minutes.")
            minutes = int(whole)
    if minutes is None:
        raise DurationError("We did not understand that. Write the time like 90 minutes, 1.5 hours or 1:30.")
    if minutes <= 0:
        raise DurationError("The time must be more than zero.")
    if minutes > MAX_EXCHANGE_MINUTES:
        raise DurationError("One exchange can be at most 24 hours. Record longer help as separate exchanges.")
    return minutes
