"""Importing Open Referral UK feeds (ORUK 3.0 and the older v1) into the directory:
the service that runs an import, record by record and chunk by chunk.

The steps live in their own modules: `fetch` reads the records out of a file or
feed, `prepare` checks each one completely into unsaved rows (with `clean` and,
for v1, `v1`), `terms` finds or queues the taxonomy terms they name, `write`
writes them, and `report` holds the summary and errors.

Invariants:
* A bad record is reported with its id and reason and skipped before anything of
  it is written; every record read is counted exactly once in the summary.
* Checked records are written in chunks of CHUNK_SIZE, one transaction per chunk
  and a fixed number of queries per table per chunk. Should the database still
  refuse a chunk, that chunk is written again one record at a time, each in its
  own savepoint, so only the refused record is skipped.
* A source never gives the same service twice: a second record with a service id
  already read in this run is skipped and reported ("2 services share id X: kept
  the first"), since two different services sharing an id is a fault in the feed.
* A record identical to what is stored is counted unchanged and not written (see
  `write`); a service keeps the source's own last_modified when it gives one.
* Re-importing the same source updates instead of duplicating (stable ids, see `clean`).
* A location with a postcode but no coordinates is placed through the one geocoder
  (`geocode_postcodes`, one call per chunk): at its unit postcode (placed_by
  "postcode") or its district's centre ("district"); points the source gives are
  kept ("given"). The geocoder answers the same postcode the same way each run, so
  a re-import of an unchanged feed still changes nothing. A postcode it cannot
  place leaves the location without a point (kept, but not found by distance),
  counted once per location in `summary.unplaced` and warned about.
* Memory does not grow with the source: records are read one at a time (see
  `fetch`), at most one chunk is held, and the summary keeps only the first
  errors and warnings (see `report`); what grows is the set of service ids read
  (for duplicates) and of locations that could not be placed.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from assets.models import FeedSource, Location, LocationType, PlacedBy, Service, stable_uuid
from assets.openreferral import clean
from assets.openreferral.fetch import read_source
from assets.openreferral.prepare import PreparedRecord, prepare_record
from assets.openreferral.report import ImportSummary, RecordError, SourceError
from assets.openreferral.terms import TermCache
from assets.openreferral.v1 import is_v1_record
from assets.openreferral.write import missing_organisations, write_records
from core.netguard import GuardedSession
from core.places.geocoding import geocode_postcodes

__all__ = [
    "CHUNK_SIZE",
    "ImportSummary",
    "RecordError",
    "SourceError",
    "openreferral_import",
    "service_import_record",
]

# Records written per transaction: big enough that per-query and commit costs fade,
# small enough that SQLite's statement parameter limit splits each table into few queries.
CHUNK_SIZE = 250
# What the database may raise for a record `prepare` accepted (a clash with an
# existing row, a value a column still refuses).
_REFUSED = (IntegrityError, DatabaseError, ValueError, TypeError)


def openreferral_import(
    *,
    source: str,
    modified_after: datetime.datetime | None = None,
    on_record: Callable[[ImportSummary], None] | None = None,
    session: GuardedSession | None = None,
    feed: FeedSource | None = None,
) -> tuple[ImportSummary, int | None]:
    """Import every service in `source`; returns the summary and the source's count.

    `on_record` is called once for each record read (the command's progress bar).
    With `feed`, every service the source gives (created, updated or unchanged) is
    marked as coming from that feed and checked there now, without moving its
    modified_at."""
    read = read_source(source, modified_after=modified_after, session=session)
    run = _Run(modified_after=modified_after, on_record=on_record, feed=feed)
    run.summary.version, run.summary.total = read.version, read.total
    for record in read.records:
        run.add(record)
    run.flush(report=run.unreported)
    return run.summary, read.total


def service_import_record(record: object, *, terms: TermCache | None = None) -> bool:
    """Check and write one service (3.0 or v1 shape) and everything under it. True when
    created. Raises RecordError for a record that cannot be imported, before writing."""
    terms = terms or TermCache()
    prepared = _settled(prepare_record(record), record)
    place_by_postcode([prepared])
    if missing := missing_organisations([prepared]):
        raise RecordError(missing[prepared.record_id])
    terms.look_up([spec for spec, _ in prepared.attributes])
    terms.resolve(prepared)
    return write_records([prepared], terms=terms)[prepared.service.id] == "created"


class _Run:
    """One import in progress: the summary, the chunk being gathered, and how many
    records read have not yet been reported to `on_record`."""

    def __init__(
        self,
        *,
        modified_after: datetime.datetime | None,
        on_record: Callable[[ImportSummary], None] | None,
        feed: FeedSource | None = None,
    ) -> None:
        self.modified_after = modified_after
        self.on_record = on_record
        self.feed = feed
        self.checked_at = timezone.now()
        self.summary = ImportSummary()
        self.terms = TermCache()
        self.chunk: list[PreparedRecord] = []
        self.seen: dict[uuid.UUID, int] = {}  # service id -> records read with it, this run
        self.unplaced: set[uuid.UUID] = set()  # locations whose postcode could not be placed
        self.unreported = 0  # records read whose outcome on_record has not been told yet

    def add(self, record: object) -> None:
        """Read one record: count it unchanged, skip it, or add it to the chunk."""
        self.unreported += 1
        if not self.summary.version and isinstance(record, dict) and not record.get("__error__"):
            # A file does not say which version it is; its first record's shape does.
            self.summary.version = "1.0" if is_v1_record(record) else "3.0"
        modified = clean.modified_at(record)
        if self.modified_after and modified and modified < self.modified_after:
            self.summary.unchanged += 1
            self.summary.not_modified += 1
            return
        if (prepared := self._prepare(record)) is None:
            return
        service_id = prepared.service.id
        if service_id in self.seen:
            # Real feeds have given two different services one id; the second would
            # silently overwrite the first, so it is skipped and the clash reported.
            self.seen[service_id] += 1
            self.summary.skip(
                prepared.record_id, f"{self.seen[service_id]} services share id {prepared.record_id}: kept the first"
            )
            return
        self.seen[service_id] = 1
        self.chunk.append(prepared)
        if len(self.chunk) >= CHUNK_SIZE:
            self.flush(report=self.unreported)

    def _prepare(self, record: object) -> PreparedRecord | None:
        """The record's rows, or None (and the record skipped) when it cannot be imported."""
        try:
            prepared = _settled(prepare_record(record), record)
        except RecordError as exc:
            self.summary.skip(clean.record_id(record), exc.reason)
            return None
        except (ValueError, TypeError) as exc:
            self.summary.skip(clean.record_id(record), f"the database refused it ({type(exc).__name__})")
            return None
        for warning in prepared.warnings:
            self.summary.warn(prepared.record_id, warning)
        return prepared

    def flush(self, *, report: int) -> None:
        """Place the chunk's locations, write it, then tell on_record about `report` of
        the records read."""
        for p, location in place_by_postcode(self.chunk):
            if location.id not in self.unplaced:
                self.unplaced.add(location.id)
                self.summary.unplaced += 1
            self.summary.warn(
                p.record_id,
                f"the place {location.name or location.id} could not be found from its postcode "
                f"{location.postcode}, so it is kept without a point on the map and will not be "
                "found by distance: check the postcode",
            )
        _import_chunk(self.chunk, summary=self.summary, terms=self.terms)
        if self.feed is not None and self.chunk:
            # update() leaves modified_at alone: being seen again is not a change.
            Service.objects.filter(id__in=[p.service.id for p in self.chunk]).update(
                source=self.feed, source_checked_at=self.checked_at
            )
        if self.on_record:
            for _ in range(report):
                self.on_record(self.summary)
        self.chunk, self.unreported = [], self.unreported - report


def place_by_postcode(chunk: list[PreparedRecord]) -> list[tuple[PreparedRecord, Location]]:
    """Give each location with a postcode but no point the geocoder's point for it (one
    batch for the whole chunk); returns the locations it could not place, with their
    records. Virtual locations have no place to find."""
    waiting = [
        (p, row)
        for p in chunk
        for row in p.locations
        if row.postcode
        and (row.latitude is None or row.longitude is None)
        and row.location_type != LocationType.VIRTUAL
    ]
    if not waiting:
        return []
    found = geocode_postcodes({row.postcode for _, row in waiting})
    unplaced = []
    for p, row in waiting:
        if (result := found.get(row.postcode)) is None:
            unplaced.append((p, row))
            continue
        row.latitude, row.longitude = result.lat, result.lng
        row.placed_by = PlacedBy.POSTCODE if result.kind == "postcode" else PlacedBy.DISTRICT
    return unplaced


def _import_chunk(chunk: list[PreparedRecord], *, summary: ImportSummary, terms: TermCache) -> None:
    """Write a chunk of checked records in one transaction; records the database still
    refuses are found by writing that chunk again one record at a time."""
    if not chunk:
        return
    snapshot = terms.snapshot()
    accepted = _accepted(chunk, summary=summary, terms=terms)
    if not accepted:
        return
    try:
        # One commit for the whole chunk (a commit per record costs an fsync each).
        with transaction.atomic():
            outcomes = write_records(accepted, terms=terms)
    except _REFUSED:
        terms.restore(snapshot)
        _import_one_by_one(accepted, summary=summary, terms=terms)
        return
    for p in accepted:
        summary.count(outcomes[p.service.id])


def _accepted(chunk: list[PreparedRecord], *, summary: ImportSummary, terms: TermCache) -> list[PreparedRecord]:
    """The chunk's records whose organisation and terms are acceptable; the others skipped."""
    missing = missing_organisations(chunk)
    accepted = []
    terms.look_up([spec for p in chunk for spec, _ in p.attributes])
    for p in chunk:
        if p.record_id in missing:
            summary.skip(p.record_id, missing[p.record_id])
            continue
        try:
            terms.resolve(p)
        except RecordError as exc:
            summary.skip(p.record_id, exc.reason)
            continue
        accepted.append(p)
    return accepted


def _import_one_by_one(chunk: list[PreparedRecord], *, summary: ImportSummary, terms: TermCache) -> None:
    # One transaction, one savepoint per record: a record the database refuses is rolled
    # back alone and nothing half-written is committed.
    with transaction.atomic():
        for p in chunk:
            snapshot = terms.snapshot()
            try:
                with transaction.atomic():
                    terms.look_up([spec for spec, _ in p.attributes])
                    terms.resolve(p)
                    outcomes = write_records([p], terms=terms)
            except RecordError as exc:
                terms.restore(snapshot)
                summary.skip(p.record_id, exc.reason)
            except _REFUSED as exc:
                terms.restore(snapshot)
                summary.skip(p.record_id, f"the database refused it ({type(exc).__name__})")
            else:
                summary.count(outcomes[p.service.id])


def _settled(prepared: PreparedRecord, record: object) -> PreparedRecord:
    """What `prepare` leaves open, settled so that importing the same record again
    writes the same rows: the source's last_modified and ids for children the source
    gives none."""
    if not isinstance(record, dict):
        return prepared
    if (modified := clean.modified_at(record)) is not None:
        if timezone.is_naive(modified):
            modified = timezone.make_aware(modified, datetime.UTC)
        prepared.service.modified_at = modified
    service_id = prepared.service.id
    for kind, rows in (
        ("schedule", prepared.schedules),
        ("contact", prepared.contacts),
        ("service_area", prepared.areas),
    ):
        # An id-less child gets a uuid5 of its service and its content (plus how many
        # identical ones came before it): re-importing it unchanged keeps its id, so
        # consumers of our feed see no change, while an edited child is, truly, a new
        # one. Position was rejected: one inserted schedule would renumber the rest.
        occurrences: dict[str, int] = {}
        for row in rows:
            if row.id not in prepared.generated_ids:
                continue  # the source's own id
            content = "|".join(str(getattr(row, f.attname)) for f in row._meta.concrete_fields if f.attname != "id")
            occurrences[content] = occurrences.get(content, 0) + 1
            row.id = stable_uuid(f"oruk-{kind}", f"{service_id}:{content}:{occurrences[content]}")
    return prepared
