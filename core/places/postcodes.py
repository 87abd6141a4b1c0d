"""UK postcode format: checking and normalising what people type.

Only the format is checked here; turning a postcode into a point is the
geocoder's job (core.places.geocoding).
"""

import re

from django.utils.translation import gettext, gettext_lazy

from core.errors import InvalidInputError

# Outward code (area + district) and optional inward code (sector + unit).
_OUTWARD = r"(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR)"
_INWARD = r"[0-9][A-Z]{2}"
_FULL = re.compile(rf"^({_OUTWARD}) ?({_INWARD})$")
_DISTRICT = re.compile(rf"^({_OUTWARD})$")

POSTCODE_HELP = gettext_lazy("Enter a UK postcode like RG1 7QE, or just the first part, like RG1.")


class PostcodeError(InvalidInputError):
    code = "invalid_postcode"


def normalise_postcode(text: str) -> str:
    """'rg17qe' -> 'RG1 7QE'; 'rg1' -> 'RG1'. Raises PostcodeError with a plain message."""
    cleaned = re.sub(r"\s+", "", (text or "").upper())
    if not cleaned:
        raise PostcodeError(str(POSTCODE_HELP), field="postcode")
    if len(cleaned) > 8:
        raise PostcodeError(
            gettext("That is too long for a postcode. %(help)s") % {"help": POSTCODE_HELP}, field="postcode"
        )
    if match := _FULL.match(cleaned):
        return f"{match.group(1)} {match.group(2)}"
    if _DISTRICT.match(cleaned):
        return cleaned
    raise PostcodeError(
        gettext("'%(typed)s' does not look like a UK postcode. %(help)s")
        % {"typed": text.strip()[:10], "help": POSTCODE_HELP},
        field="postcode",
    )


def postcode_district(postcode: str) -> str:
    """The outward code of a normalised postcode: 'RG1 7QE' -> 'RG1'."""
    return postcode.split(" ", 1)[0]


def is_full_postcode(postcode: str) -> bool:
    return " " in postcode
