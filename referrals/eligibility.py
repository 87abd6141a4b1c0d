"""Whether the place a referral goes to takes this person: one rule for the API,
the FHIR endpoint and the referral pages (issue 15).

A directory service may limit who it is for by age (`Service.minimum_age`,
`maximum_age`, both inclusive; None or a negative number is no limit) and by
area (`Service.service_areas`: postcode districts like "RG1" or areas like
"RG"; a service with none takes people from anywhere). A timebank has no age
or area rule of its own (timebank.models.Timebank), so a referral to a
timebank is never refused here.

Invariants:
- the age is the person's age on the day of the referral (`on`);
- a referral whose person is outside the limits, or whose date of birth is not
  given when the service has an age limit, is refused with an
  InvalidInputError on the field to change, unless the link worker confirms an
  exception with a reason (`override_reason`); the receiver is then shown the
  reason, so it knows why an exception was made;
- messages name the service and its limits, and the person's age only (never
  their name, date of birth or postcode: docs/quality.md D8).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _, gettext_lazy, ngettext

from assets.models import Service
from assets.selectors import area_prefixes
from core.errors import InvalidInputError
from timebank.models import Timebank

# What the link worker can do about a refusal (the API's and the service's words;
# the pages say the same with their own tick box and reason).
OVERRIDE_HINT = gettext_lazy("If you have agreed with the group that they can join, confirm and give a reason.")
# At most this many areas are named in a message.
AREAS_NAMED = 8


@dataclass(frozen=True)
class Exclusion:
    """One way the person falls outside who a service is for."""

    field: str  # the input to change: "person.date_of_birth" or "person.postcode"
    reason: str  # plain sentences saying why, without what to do about it


def age_on(born: datetime.date, day: datetime.date) -> int:
    """Whole years from `born` to `day` (a person born on 29 February turns a
    year older on 1 March in other years)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_limits(service: Service | None) -> tuple[int | None, int | None]:
    """The service's youngest and oldest ages, None where there is no limit."""
    if service is None:
        return None, None

    def limit(value: int | None) -> int | None:
        return value if value is not None and value >= 0 else None

    return limit(service.minimum_age), limit(service.maximum_age)


def age_range_words(service: Service | None, *, ages: bool = False) -> str:
    """ "aged 11 to 18", "aged 50 and over", "aged up to 25", or "" (no limit);
    with `ages`, "ages 11 to 18" and so on (the referral pages' words)."""
    low, high = age_limits(service)
    values = {"low": low, "high": high}
    if low is not None and high is not None:
        return (_("ages %(low)s to %(high)s") if ages else _("aged %(low)s to %(high)s")) % values
    if low is not None:
        return (_("ages %(low)s and over") if ages else _("aged %(low)s and over")) % values
    if high is not None:
        return (_("ages up to %(high)s") if ages else _("aged up to %(high)s")) % values
    return ""


def fits_age(service: Service | None, age: int) -> bool:
    low, high = age_limits(service)
    return (low is None or age >= low) and (high is None or age <= high)


def age_exclusion(
    service: Service | None, *, date_of_birth: datetime.date | None, on: datetime.date
) -> Exclusion | None:
    ages = age_range_words(service)
    if service is None or not ages:
        return None
    if date_of_birth is None:
        # A link worker usually knows the date of birth; when not, they confirm
        # the person is within the ages (the override) rather than guess one.
        return Exclusion(
            "person.date_of_birth",
            _(
                "%(name)s is for people %(ages)s. Give the person's date of birth, or check that they are "
                "within those ages."
            )
            % {"name": service.name, "ages": ages},
        )
    age = age_on(date_of_birth, on)
    if fits_age(service, age):
        return None
    return Exclusion(
        "person.date_of_birth",
        _("%(name)s is for people %(ages)s. The person is %(age)s.") % {"name": service.name, "ages": ages, "age": age},
    )


def area_names(service: Service) -> str:
    """The postcode areas a service covers, in words: "RG1, RG4 or RG30"."""
    prefixes = [area.postcode_prefix for area in service.service_areas.all()]
    named = prefixes[:AREAS_NAMED]
    if len(prefixes) > AREAS_NAMED:
        others = len(prefixes) - AREAS_NAMED
        return ngettext("%(areas)s and %(count)s other area", "%(areas)s and %(count)s other areas", others) % {
            "areas": ", ".join(named),
            "count": others,
        }
    if len(named) == 1:
        return named[0]
    return _("%(areas)s or %(last)s") % {"areas": ", ".join(named[:-1]), "last": named[-1]}


def area_exclusion(service: Service | None, *, postcode: str) -> Exclusion | None:
    """The ALISS rule the directory search uses (assets.selectors.area_prefixes):
    a service with areas takes a person whose district or area one of them names."""
    if service is None:
        return None
    areas = {area.postcode_prefix.upper() for area in service.service_areas.all()}
    if not areas:
        return None
    district = (postcode or "").strip().upper().split(" ", 1)[0]
    if areas.intersection(area_prefixes(district)):
        return None
    return Exclusion(
        "person.postcode",
        _("%(name)s is only for people who live in %(areas)s. The person's postcode is outside these areas.")
        % {"name": service.name, "areas": area_names(service)},
    )


def eligibility_exclusions(
    *,
    service: Service | None,
    timebank: Timebank | None = None,
    date_of_birth: datetime.date | None,
    postcode: str,
    on: datetime.date,
) -> list[Exclusion]:
    """Every way the person falls outside who the target is for (none for a timebank)."""
    del timebank  # A timebank has no age or area rule of its own.
    found = [
        age_exclusion(service, date_of_birth=date_of_birth, on=on),
        area_exclusion(service, postcode=postcode),
    ]
    return [exclusion for exclusion in found if exclusion is not None]


def eligibility_check(
    *,
    service: Service | None,
    timebank: Timebank | None = None,
    date_of_birth: datetime.date | None,
    postcode: str,
    on: datetime.date,
    override_reason: str,
) -> str:
    """Refuse a referral the target's eligibility excludes, unless the link worker
    gave a reason for an exception. Returns the reason to store: the one given
    when an exception was needed, else "" (so "an exception was made" is only
    ever said when one was)."""
    exclusions = eligibility_exclusions(
        service=service, timebank=timebank, date_of_birth=date_of_birth, postcode=postcode, on=on
    )
    if not exclusions:
        return ""
    if override_reason:
        return override_reason
    raise InvalidInputError(
        " ".join([*(exclusion.reason for exclusion in exclusions), str(OVERRIDE_HINT)]), field=exclusions[0].field
    )
