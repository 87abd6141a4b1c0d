"""The directory in Open Referral UK 3.0 shapes (the profile's JSON Schemas, copied in tests/api/oruk_schemas/).

Plain functions from model instances to dicts: the feed publishes a fixed,
profile-defined shape, and building dicts directly keeps the ndjson export
fast. Empty optional values are left out rather than sent as "" (the profile
gives `url`, `email` and ids formats that "" would break). Referrals and
people never appear here.

Callers prefetch with `FULL_SERVICE_PREFETCH` / `LIST_SERVICE_RELATED` so a
page costs a fixed number of queries.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Prefetch

from assets.models import (
    ACCESSIBILITY_FEATURES,
    Location,
    Organisation,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceAttribute,
    Taxonomy,
    TaxonomyTerm,
    stable_uuid,
)

VERSION = "HSDS-UK-3.0"
PROFILE_URL = "https://openreferral.org/uk-profile/"

# A JSON object as the feed sends it.
JSONObject = dict[str, Any]

LIST_SERVICE_RELATED = ("organisation",)
FULL_SERVICE_PREFETCH = (
    "schedules",
    "service_areas",
    "contacts",
    Prefetch("service_at_locations", queryset=ServiceAtLocation.objects.select_related("location")),
    Prefetch("attributes", queryset=ServiceAttribute.objects.select_related("taxonomy_term__taxonomy")),
)


def _drop_empty(data: JSONObject) -> JSONObject:
    return {key: value for key, value in data.items() if value not in (None, "")}


def _iso(value: datetime.date | datetime.time | None) -> str | None:
    return value.isoformat() if value else None


def organisation_data(organisation: Organisation) -> JSONObject:
    return {
        "id": str(organisation.id),
        "name": organisation.name,
        "description": organisation.description or "",
        **_drop_empty({"email": organisation.email, "website": organisation.website}),
    }


def fees_text(service: Service) -> str:
    if service.is_free:
        return "Free"
    if service.cost_amount is not None:
        amount = f"£{service.cost_amount:.2f}"
        return f"{amount} {service.cost_description}".strip()
    # Not free and no amount: either unknown (a feed said nothing) or not given;
    # neither may be published as free, nor as certainly costing something.
    return service.cost_description or "Ask the group about any cost"


def service_list_data(service: Service) -> JSONObject:
    """One-to-one fields (service_list.json)."""
    data = {
        "id": str(service.id),
        "organization_id": str(service.organisation_id),
        "name": service.name,
        "description": service.description or "",
        "status": service.status,
        "fees": fees_text(service),
        "last_modified": _iso(service.modified_at),
        **_drop_empty(
            {
                "url": service.url,
                "email": service.email,
                "minimum_age": service.minimum_age,
                "maximum_age": service.maximum_age,
                "assured_date": _iso(service.last_reviewed),
                "alert": service.alert,
            }
        ),
        "organization": organisation_data(service.organisation),
    }
    return data


def service_minimal_data(service: Service) -> JSONObject:
    return {"id": str(service.id), "last_modified": _iso(service.modified_at)}


def taxonomy_term_data(term: TaxonomyTerm) -> JSONObject:
    return {
        "id": str(term.id),
        "name": term.name,
        "description": term.description or "",
        "code": term.slug,
        "taxonomy_id": str(term.taxonomy_id),
        "taxonomy": term.taxonomy.name,
        **_drop_empty({"parent_id": str(term.parent_id) if term.parent_id else None, "term_uri": term.term_uri}),
    }


def taxonomy_data(taxonomy: Taxonomy, *, terms: list[TaxonomyTerm] | None = None) -> JSONObject:
    data = {
        "id": str(taxonomy.id),
        "name": taxonomy.name,
        "description": taxonomy.description or "",
        **_drop_empty({"uri": taxonomy.uri, "version": taxonomy.version}),
    }
    if terms is not None:
        data["taxonomy_terms"] = [taxonomy_term_data(term) for term in terms]
    return data


def location_data(location: Location) -> JSONObject:
    data = _drop_empty(
        {
            "id": str(location.id),
            "location_type": location.location_type,
            "name": location.name,
            "description": location.description,
            "latitude": location.latitude,
            "longitude": location.longitude,
        }
    )
    if location.address_1 and location.postcode:
        data["addresses"] = [
            {
                "id": str(stable_uuid("address", str(location.id))),
                "location_id": str(location.id),
                "address_1": location.address_1,
                "city": location.city or "",
                "state_province": location.region or "",
                "postal_code": location.postcode,
                "country": "GB",
                "address_type": "physical",
                **_drop_empty({"region": location.region}),
            }
        ]
    features = [(name, label) for name, label in ACCESSIBILITY_FEATURES if getattr(location, name)]
    accessibility = [
        {
            "id": str(stable_uuid("accessibility", f"{location.id}:{name}")),
            "location_id": str(location.id),
            "description": label,
        }
        for name, label in features
    ]
    if location.accessibility_description:
        accessibility.append(
            {
                "id": str(stable_uuid("accessibility", f"{location.id}:description")),
                "location_id": str(location.id),
                "description": location.accessibility_description,
            }
        )
    if accessibility:
        data["accessibility"] = accessibility
    return data


def _schedule_data(schedule: Schedule) -> JSONObject:
    return _drop_empty(
        {
            "id": str(schedule.id),
            "service_id": str(schedule.service_id),
            "service_at_location_id": str(schedule.service_at_location_id) if schedule.service_at_location_id else None,
            "freq": schedule.freq,
            "interval": schedule.interval,
            "byday": schedule.byday,
            "bymonthday": schedule.bymonthday,
            "opens_at": _iso(schedule.opens_at),
            "closes_at": _iso(schedule.closes_at),
            "valid_from": _iso(schedule.valid_from),
            "valid_to": _iso(schedule.valid_to),
            "description": schedule.description,
        }
    )


def service_full_data(service: Service) -> JSONObject:
    """A fully nested service (service.json)."""
    data = service_list_data(service)
    data["schedules"] = [_schedule_data(s) for s in service.schedules.all()]
    data["service_areas"] = [
        {
            "id": str(area.id),
            "service_id": str(service.id),
            "name": area.name or f"Postcode {area.postcode_prefix}",
            "extent": area.postcode_prefix,
            "extent_type": "postcode",
        }
        for area in service.service_areas.all()
    ]
    data["service_at_locations"] = [
        {
            "id": str(sal.id),
            "service_id": str(service.id),
            "location_id": str(sal.location_id),
            "location": location_data(sal.location),
        }
        for sal in service.service_at_locations.all()
    ]
    cost = {"id": str(stable_uuid("cost_option", str(service.id))), "service_id": str(service.id)}
    if service.is_free:
        data["cost_options"] = [{**cost, "option": "Free", "amount": 0}]
    elif service.cost_amount is not None:
        data["cost_options"] = [
            {
                **cost,
                "amount": float(service.cost_amount),
                **_drop_empty({"amount_description": service.cost_description}),
            }
        ]
    else:
        data["cost_options"] = []
    data["contacts"] = [
        {
            "id": str(contact.id),
            "service_id": str(service.id),
            **_drop_empty({"name": contact.name, "title": contact.title, "email": contact.email}),
            **(
                {"phones": [{"id": str(stable_uuid("phone", str(contact.id))), "number": contact.phone}]}
                if contact.phone
                else {}
            ),
        }
        for contact in service.contacts.all()
    ]
    data["attributes"] = [
        {
            "id": str(attribute.id),
            "link_id": str(service.id),
            "link_type": attribute.link_type,
            "link_entity": "service",
            "taxonomy_term_id": str(attribute.taxonomy_term_id),
            "taxonomy_term": taxonomy_term_data(attribute.taxonomy_term),
        }
        for attribute in service.attributes.all()
    ]
    return data


def service_at_location_list_data(sal: ServiceAtLocation) -> JSONObject:
    """service_at_location_list.json: the pair, its location and the service's one-to-one fields."""
    return {
        "id": str(sal.id),
        "service_id": str(sal.service_id),
        "location_id": str(sal.location_id),
        "location": {
            key: value
            for key, value in location_data(sal.location).items()
            if key not in ("addresses", "accessibility")
        },
        "service": service_list_data(sal.service),
    }


def service_at_location_full_data(sal: ServiceAtLocation) -> JSONObject:
    """service_at_location.json: the pair with its location and the full service."""
    service = service_full_data(sal.service)
    service.pop("service_at_locations", None)
    return {
        "id": str(sal.id),
        "service_id": str(sal.service_id),
        "location_id": str(sal.location_id),
        "location": location_data(sal.location),
        "service": service,
    }


def organisation_full_data(organisation: Organisation, *, services: list[Service]) -> JSONObject:
    return {**organisation_data(organisation), "services": [service_list_data(s) for s in services]}
