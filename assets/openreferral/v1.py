"""Open Referral UK v1 records in the 3.0 shape, so one path checks and writes both.

Invariants:
* `normalise_v1_service` only reshapes: it renames and regroups v1 keys
  (regular_schedules, eligibilitys, service_taxonomys, physical_addresses,
  accessibility_for_disabilities) into their 3.0 places and leaves checking the
  values to `prepare`. The few values it must read to reshape (ages, weekday
  names) are checked with the same cleaners, so a bad one is a `RecordError`.
* No queries, no model instances.
"""

from __future__ import annotations

from assets.openreferral import clean
from assets.openreferral.clean import Record
from assets.openreferral.report import RecordError

_V1_DAYS = {
    "monday": "MO",
    "tuesday": "TU",
    "wednesday": "WE",
    "thursday": "TH",
    "friday": "FR",
    "saturday": "SA",
    "sunday": "SU",
}
_V1_ONLY_KEYS = ("regular_schedules", "eligibilitys", "service_taxonomys")
_SAME_IN_BOTH = ("id", "name", "description", "url", "email", "status", "fees", "assured_date")


def is_v1_record(record: Record) -> bool:
    sals = record.get("service_at_locations")
    return any(key in record for key in _V1_ONLY_KEYS) or (
        isinstance(sals, list)
        and any(
            isinstance(sal, dict) and isinstance(sal.get("location"), dict) and "physical_addresses" in sal["location"]
            for sal in sals
        )
    )


def normalise_v1_service(record: Record) -> Record:
    """An ORUK v1 service in the 3.0 shape this importer writes."""
    out = {key: record.get(key) for key in _SAME_IN_BOTH}
    out["organization"] = record.get("organization")
    out.update(_eligibility(record))
    out["schedules"] = _schedules(record)
    out["service_at_locations"] = _service_at_locations(record)
    out["attributes"] = [
        {"id": t.get("id"), "taxonomy_term": t.get("taxonomy"), "link_type": "category"}
        for t in clean.object_list(record, "service_taxonomys")
        if isinstance(t.get("taxonomy"), dict)
    ]
    out["contacts"] = [
        {
            "id": c.get("id"),
            "name": c.get("name"),
            "title": c.get("title"),
            "email": c.get("email"),
            "phones": clean.object_list(c, "phones"),
        }
        for c in clean.object_list(record, "contacts")
    ]
    out["cost_options"] = clean.object_list(record, "cost_options")
    out["service_areas"] = clean.object_list(record, "service_areas")
    return out


def _eligibility(record: Record) -> Record:
    """v1's list of eligibilities as 3.0's one age range and description: the widest range."""
    eligibilities = clean.object_list(record, "eligibilitys")
    ages = [
        (clean.age(e.get("minimum_age"), name="minimum_age"), clean.age(e.get("maximum_age"), name="maximum_age"))
        for e in eligibilities
    ]
    mins = [a for a, _ in ages if a is not None]
    maxs = [b for _, b in ages if b is not None]
    return {
        "minimum_age": min(mins) if mins else None,
        "maximum_age": max(maxs) if maxs else None,
        "eligibility_description": ", ".join(
            clean.text(e.get("eligibility"), name="eligibility", max_length=100)
            for e in eligibilities
            if e.get("eligibility")
        ),
    }


def _schedules(record: Record) -> list[Record]:
    schedules = []
    for s in clean.object_list(record, "regular_schedules"):
        byday = s.get("byday") or ""
        weekday = clean.text(s.get("weekday"), name="weekday", max_length=20).lower()
        if not byday and weekday:
            byday = _V1_DAYS.get(weekday, weekday[:2].upper())
        schedules.append({**s, "byday": byday, "freq": (s.get("freq") or "WEEKLY")})
    return schedules


def _service_at_locations(record: Record) -> list[Record]:
    sals = []
    for sal in clean.object_list(record, "service_at_locations"):
        if not isinstance(sal.get("location"), dict):
            raise RecordError("a service_at_location has no location")
        location = dict(sal["location"])
        location["addresses"] = clean.object_list(location, "physical_addresses")
        location["accessibility"] = [
            {"id": a.get("id"), "description": a.get("accessibility")}
            for a in clean.object_list(location, "accessibility_for_disabilities")
        ]
        location.setdefault("location_type", "physical")
        sals.append({"id": sal.get("id"), "location": location})
    return sals
