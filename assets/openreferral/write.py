"""Writing checked records (`PreparedRecord`s) to the directory.

Invariants:
* A fixed number of queries per table, whatever the number of records: bulk
  upserts by id for organisations, services and locations; children
  (schedules, contacts, service areas, taxonomy links, service_at_locations)
  replaced wholesale.
* `write_records` must run inside a transaction: a failure part way has to roll
  all of it back, and the caller decides how big that transaction is.
* The records given must have distinct service ids; rows shared between them
  (an organisation, a location) are written once, the last one given winning, as
  if the records had been written one after another.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import TypeVar

from django.db.models import Model, Q

from assets.models import (
    ACCESSIBILITY_FEATURES,
    Contact,
    Location,
    Organisation,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceAttribute,
)
from assets.openreferral.prepare import PreparedRecord
from assets.openreferral.terms import TermCache

_ORGANISATION_FIELDS = ["name", "description", "email", "website", "modified_at"]
_SERVICE_FIELDS = [
    "organisation",
    "name",
    "description",
    "url",
    "email",
    "status",
    "alert",
    "is_free",
    "cost_amount",
    "cost_description",
    "minimum_age",
    "maximum_age",
    "eligibility_description",
    "last_reviewed",
    "modified_at",
]
_LOCATION_FIELDS = [
    "organisation",
    "location_type",
    "name",
    "description",
    "address_1",
    "address_2",
    "city",
    "region",
    "postcode",
    "latitude",
    "longitude",
    "accessibility_description",
    "modified_at",
    *(name for name, _ in ACCESSIBILITY_FEATURES),
]

_Row = TypeVar("_Row", bound=Model)


def missing_organisations(prepared: list[PreparedRecord]) -> dict[str, str]:
    """Records naming an organisation by id that neither the chunk nor the directory
    has: {record id: reason}. One query for the chunk."""
    given = {p.organisation.id for p in prepared if p.organisation is not None}
    wanted = {p.service.organisation_id for p in prepared if p.organisation is None} - given
    known = set(Organisation.objects.filter(id__in=wanted).values_list("id", flat=True)) if wanted else set()
    return {
        p.record_id: f"organization {p.service.organisation_id} is not in this feed or the directory"
        for p in prepared
        if p.organisation is None and p.service.organisation_id not in known | given
    }


def write_records(prepared: list[PreparedRecord], *, terms: TermCache) -> set[uuid.UUID]:
    """Write checked records (distinct service ids) with a fixed number of queries per
    table, whatever their number. Returns the ids of services that existed before.
    Call inside a transaction: a failure part way must roll all of it back."""
    existing = set(Service.objects.filter(id__in=[p.service.id for p in prepared]).values_list("id", flat=True))
    schedules = _last_by_id(row for p in prepared for row in p.schedules)
    contacts = _last_by_id(row for p in prepared for row in p.contacts)
    areas = _last_by_id(row for p in prepared for row in p.areas)
    sals = _last_by_id(row for p in prepared for row in p.service_at_locations)
    _clear_children(
        existing,
        [
            (Schedule, schedules),
            (Contact, contacts),
            (ServiceArea, areas),
            (ServiceAttribute, []),
            (ServiceAtLocation, sals),
        ],
    )
    terms.create_pending()
    _upsert_parents(prepared)
    ServiceAtLocation.objects.bulk_create(sals)
    Schedule.objects.bulk_create(schedules)
    Contact.objects.bulk_create(contacts)
    ServiceArea.objects.bulk_create(areas)
    ServiceAttribute.objects.bulk_create(_attribute_rows(prepared))
    return existing


def _last_by_id(rows: Iterable[_Row]) -> list[_Row]:
    """One row per id, the last one given winning (as if written one after another)."""
    return list({row.pk: row for row in rows}.values())


def _clear_children(existing: set[uuid.UUID], children: list[tuple[type[Model], Sequence[Model]]]) -> None:
    # Children are replaced wholesale: the feed is the truth for what it publishes.
    # Rows are also cleared by id, since a feed may move a child to another service.
    for model, rows in children:
        if existing or rows:
            model._default_manager.filter(Q(service_id__in=existing) | Q(id__in=[row.pk for row in rows])).delete()


def _upsert_parents(prepared: list[PreparedRecord]) -> None:
    """Organisations, then services, then locations: each refers to the one before."""
    organisations = _last_by_id(p.organisation for p in prepared if p.organisation is not None)
    if organisations:
        Organisation.objects.bulk_create(
            organisations, update_conflicts=True, unique_fields=["id"], update_fields=_ORGANISATION_FIELDS
        )
    Service.objects.bulk_create(
        [p.service for p in prepared], update_conflicts=True, unique_fields=["id"], update_fields=_SERVICE_FIELDS
    )
    locations = _last_by_id(row for p in prepared for row in p.locations)
    if locations:
        Location.objects.bulk_create(
            locations, update_conflicts=True, unique_fields=["id"], update_fields=_LOCATION_FIELDS
        )


def _attribute_rows(prepared: list[PreparedRecord]) -> list[ServiceAttribute]:
    """Each record's taxonomy links, one per (term, link type)."""
    attributes: list[ServiceAttribute] = []
    for p in prepared:
        by_term = {}
        for spec, link_type in p.attributes:
            term_id = p.term_ids[spec.key]
            by_term[(term_id, link_type)] = ServiceAttribute(
                service_id=p.service.id, taxonomy_term_id=term_id, link_type=link_type
            )
        attributes.extend(by_term.values())
    return attributes
