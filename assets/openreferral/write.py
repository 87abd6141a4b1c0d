"""Writing checked records (`PreparedRecord`s) to the directory.

Invariants:
* A fixed number of queries per table, whatever the number of records: bulk
  upserts by id for organisations, services and locations; children
  (schedules, contacts, service areas, taxonomy links, service_at_locations)
  replaced wholesale, but only for records that changed: rows are first compared
  with what is stored (one query per table) and an unchanged record is not written.
* `write_records` must run inside a transaction: a failure part way has to roll
  all of it back, and the caller decides how big that transaction is.
* The records given must have distinct service ids; rows shared between them
  (an organisation, a location) are written once, the last one given winning, as
  if the records had been written one after another.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
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
    stable_uuid,
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
    "placed_by",
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


def write_records(prepared: list[PreparedRecord], *, terms: TermCache) -> dict[uuid.UUID, str]:
    """Write checked records (distinct service ids) with a fixed number of queries per
    table, whatever their number. Returns each service's outcome: "created", "updated"
    or "unchanged". Call inside a transaction: a failure part way must roll all of it back.

    A record whose rows all match what is stored is not written at all, so its
    modified_at (our feed's last_modified) and its children's ids stay as they were:
    consumers of our feed then re-fetch only what really changed."""
    existing = set(Service.objects.filter(id__in=[p.service.id for p in prepared]).values_list("id", flat=True))
    changed_orgs = _changed(
        Organisation,
        _last_by_id(p.organisation for p in prepared if p.organisation is not None),
        _ORGANISATION_FIELDS,
    )
    changed_locations = _changed(Location, _last_by_id(row for p in prepared for row in p.locations), _LOCATION_FIELDS)
    changed_ids = {p.service.id for p in prepared if p.service.id not in existing}
    changed_ids |= {
        row.pk for row in _changed(Service, [p.service for p in prepared if p.service.id in existing], _SERVICE_FIELDS)
    }
    changed_ids |= _services_with_changed_children(prepared, existing)
    changed_org_ids = {row.pk for row in changed_orgs}
    changed_location_ids = {row.pk for row in changed_locations}
    for p in prepared:
        if (p.organisation is not None and p.organisation.id in changed_org_ids) or any(
            row.id in changed_location_ids for row in p.locations
        ):
            changed_ids.add(p.service.id)
    outcomes = {
        p.service.id: "created"
        if p.service.id not in existing
        else "updated"
        if p.service.id in changed_ids
        else "unchanged"
        for p in prepared
    }
    to_write = [p for p in prepared if p.service.id in changed_ids]
    if not to_write and not changed_orgs and not changed_locations:
        return outcomes
    schedules = _last_by_id(row for p in to_write for row in p.schedules)
    contacts = _last_by_id(row for p in to_write for row in p.contacts)
    areas = _last_by_id(row for p in to_write for row in p.areas)
    sals = _last_by_id(row for p in to_write for row in p.service_at_locations)
    _clear_children(
        existing & changed_ids,
        [
            (Schedule, schedules),
            (Contact, contacts),
            (ServiceArea, areas),
            (ServiceAttribute, []),
            (ServiceAtLocation, sals),
        ],
    )
    terms.create_pending()
    _upsert_parents(to_write, organisations=changed_orgs, locations=changed_locations)
    ServiceAtLocation.objects.bulk_create(sals)
    Schedule.objects.bulk_create(schedules)
    Contact.objects.bulk_create(contacts)
    ServiceArea.objects.bulk_create(areas)
    ServiceAttribute.objects.bulk_create(_attribute_rows(to_write))
    return outcomes


def _compared_fields(model: type[Model]) -> list[str]:
    """The columns that say whether a stored row matches a new one: all but the
    timestamps Django sets itself and the columns the database computes."""
    return [
        f.attname
        for f in model._meta.concrete_fields
        if f.attname not in ("created_at", "modified_at") and not getattr(f, "generated", False)
    ]


def _values(row: Model, fields: list[str]) -> tuple[object, ...]:
    return tuple(getattr(row, name) for name in fields)


def _changed(model: type[_Row], rows: list[_Row], written: list[str]) -> list[_Row]:
    """The rows that are new or differ from what is stored in the columns an import
    writes (one query); columns edited only here, like a service's phone, are not compared."""
    if not rows:
        return []
    attnames = {f.name: f.attname for f in model._meta.concrete_fields}
    fields = ["id", *(attnames[name] for name in written if name != "modified_at")]
    stored = {
        values[0]: values
        for values in model._default_manager.filter(pk__in=[row.pk for row in rows]).values_list(*fields)
    }
    return [row for row in rows if stored.get(row.pk) != _values(row, fields)]


def _services_with_changed_children(prepared: list[PreparedRecord], existing: set[uuid.UUID]) -> set[uuid.UUID]:
    """Existing services whose schedules, contacts, areas, locations links or taxonomy
    links differ from what is stored (one query per table)."""
    ids = [p.service.id for p in prepared if p.service.id in existing]
    if not ids:
        return set()
    changed: set[uuid.UUID] = set()
    tables: list[tuple[type[Model], Callable[[PreparedRecord], Sequence[Model]]]] = [
        (Schedule, lambda p: p.schedules),
        (Contact, lambda p: p.contacts),
        (ServiceArea, lambda p: p.areas),
        (ServiceAtLocation, lambda p: p.service_at_locations),
        (ServiceAttribute, _attribute_rows_of),
    ]
    for model, rows_of in tables:
        fields = _compared_fields(model)
        stored: dict[uuid.UUID, set[tuple[object, ...]]] = {service_id: set() for service_id in ids}
        for values in model._default_manager.filter(service_id__in=ids).values_list(*fields):
            stored[values[fields.index("service_id")]].add(values)
        for p in prepared:
            if p.service.id in existing and {_values(row, fields) for row in rows_of(p)} != stored[p.service.id]:
                changed.add(p.service.id)
    return changed


def _last_by_id(rows: Iterable[_Row]) -> list[_Row]:
    """One row per id, the last one given winning (as if written one after another)."""
    return list({row.pk: row for row in rows}.values())


def _clear_children(existing: set[uuid.UUID], children: list[tuple[type[Model], Sequence[Model]]]) -> None:
    # Children are replaced wholesale: the feed is the truth for what it publishes.
    # Rows are also cleared by id, since a feed may move a child to another service.
    for model, rows in children:
        if existing or rows:
            model._default_manager.filter(Q(service_id__in=existing) | Q(id__in=[row.pk for row in rows])).delete()


def _upsert_parents(
    prepared: list[PreparedRecord], *, organisations: list[Organisation], locations: list[Location]
) -> None:
    """Organisations, then services, then locations: each refers to the one before.
    Only rows that changed are given. A service keeps the source's own last_modified
    when the source gives one (set on the unsaved row by the importer)."""
    if organisations:
        Organisation.objects.bulk_create(
            organisations, update_conflicts=True, unique_fields=["id"], update_fields=_ORGANISATION_FIELDS
        )
    # bulk_create stamps modified_at with now (auto_now), so the source's dates are
    # noted first and put back with one bulk_update, which leaves them as given.
    source_dates = {p.service.id: p.service.modified_at for p in prepared if p.service.modified_at is not None}
    if prepared:
        Service.objects.bulk_create(
            [p.service for p in prepared], update_conflicts=True, unique_fields=["id"], update_fields=_SERVICE_FIELDS
        )
    if source_dates:
        Service.objects.bulk_update(
            [Service(id=service_id, modified_at=when) for service_id, when in source_dates.items()], ["modified_at"]
        )
    if locations:
        Location.objects.bulk_create(
            locations, update_conflicts=True, unique_fields=["id"], update_fields=_LOCATION_FIELDS
        )


def _attribute_rows_of(p: PreparedRecord) -> list[ServiceAttribute]:
    """A record's taxonomy links, one per (term, link type). Feeds give them no id of
    ours: one derived from what they link keeps stored rows comparable between imports."""
    by_term = {}
    for spec, link_type in p.attributes:
        term_id = p.term_ids[spec.key]
        by_term[(term_id, link_type)] = ServiceAttribute(
            id=stable_uuid("service-attribute", f"{p.service.id}:{term_id}:{link_type}"),
            service_id=p.service.id,
            taxonomy_term_id=term_id,
            link_type=link_type,
        )
    return list(by_term.values())


def _attribute_rows(prepared: list[PreparedRecord]) -> list[ServiceAttribute]:
    return [row for p in prepared for row in _attribute_rows_of(p)]
