"""CSV files that people open in a spreadsheet: the one writer every export uses.

Excel, LibreOffice and Google Sheets read a cell that begins with = + - or @
(or with a tab or carriage return before one of them) as a formula. A name
typed by a member, a group organiser or an imported feed could then run
=HYPERLINK(...) or =WEBSERVICE(...) in a coordinator's spreadsheet and send the
other cells elsewhere (OWASP "CSV Injection"). Such a text cell is written with
a single quote in front, which spreadsheets show as text and do not evaluate.

Invariant: only text is changed. Numbers the app computed (an int, a float, a
Decimal, or a figure already formatted as a plain decimal such as "-3.0" or
"+1.5") are written unchanged so they stay numbers in the spreadsheet: a
plain number cannot be a formula.
"""

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

# The characters that start a formula, as OWASP lists them, and the full-width
# forms some spreadsheets (in Japanese and Chinese locales) read the same way.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

# A figure written as text by the app: optional sign, digits, optional decimals.
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def spreadsheet_safe(value: Any) -> Any:
    """The cell as it may be written: a text cell that would start a formula
    gets a leading single quote; anything else is returned as it is."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_write(out: _Writable, *, header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> None:
    """Write a header row and the rows to `out` (a file or an HttpResponse),
    every cell passed through spreadsheet_safe."""
    writer = csv.writer(out)
    writer.writerow([spreadsheet_safe(cell) for cell in header])
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
