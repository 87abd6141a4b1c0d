"""Money in integer pence: the one place that turns pence into what people read
("£1.50") and what they type ("1.50", "£2", "2.5") into pence. Never floats."""

import re

from django.utils.translation import gettext as _

from core.errors import InvalidInputError

# Up to £100,000 a line: matches the expense_line_*_cap constraints.
MAX_PENCE = 100_000_00

_POUNDS = re.compile(r"^£?\s*(\d{1,6})(?:\.(\d{1,2}))?$")


def format_pence(pence: int) -> str:
    """1 -> "£0.01", 150 -> "£1.50", 250000 -> "£2,500.00"."""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    return f"{sign}£{pounds:,}.{rest:02d}"


def parse_pounds(text: str, *, field: str) -> int:
    """What a person typed ("4.20", "£4.2", "4") as whole pence."""
    cleaned = (text or "").strip().replace(",", "")
    match = _POUNDS.match(cleaned)
    if not match:
        raise InvalidInputError(_("Enter an amount in pounds and pence, like 4.20."), field=field)
    pence = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if pence > MAX_PENCE:
        raise InvalidInputError(_("Enter an amount of £100,000 or less."), field=field)
    return pence
