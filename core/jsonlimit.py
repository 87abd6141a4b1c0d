"""JSON that comes from outside (API request bodies, Open Referral feeds), read
with a limit on how deeply it may nest.

Python's json module recurses once per level of nesting: a body made of 100,000
"[" characters exhausts the stack (RecursionError, a 500), and no real document
here nests anywhere near MAX_DEPTH. So the depth is measured first, by a scan
that skips over strings, and a document nested too deeply is refused with
`JSONTooDeepError` (a ValueError, like every other "this is not JSON" answer)
before the parser starts.
"""

import json
import re

MAX_DEPTH = 64

# A JSON string (with its escapes, written so the regex engine never backtracks)
# or one bracket. Brackets inside strings are matched as part of the string and
# so never counted.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class JSONTooDeepError(ValueError):
    def __init__(self, max_depth: int):
        super().__init__(f"The JSON is nested more than {max_depth} levels deep.")


def json_depth_exceeds(text: str, max_depth: int = MAX_DEPTH) -> bool:
    """True when some array or object in `text` lies more than `max_depth` levels deep."""
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        found = match.group()
        if found in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif found in "]}":
            depth -= 1
    return False


def json_loads_limited(data: str | bytes, *, max_depth: int = MAX_DEPTH, **kwargs):
    """json.loads, refusing a document nested more than `max_depth` levels."""
    text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
    if json_depth_exceeds(text, max_depth):
        raise JSONTooDeepError(max_depth)
    try:
        return json.loads(text, **kwargs)
    except RecursionError:
        # Not reachable after the scan at today's limit; kept so that a larger
        # max_depth can never turn back into a 500.
        raise JSONTooDeepError(max_depth) from None
