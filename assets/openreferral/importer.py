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
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from assets.models import ACCESSIBILITY_FEATURES, FeedSource, Service, stable_uuid
from assets.openreferral import clean
from assets.openreferral.fetch import read_source
from assets.openreferral.prepare import PreparedRecord, prepare_record
from assets.openreferral.report import ImportSummary, RecordError, SourceError
from assets.openreferral.terms import TermCache
from assets.openreferral.v1 import is_v1_record, normalise_v1_service
from assets.openreferral.write import missing_organisations, write_records
from core.netguard import GuardedSession

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
    records, total = read_source(source, modified_after=modified_after, session=session)
    run = _Run(modified_after=modified_after, on_record=on_record, feed=feed)
    for record in records:
        run.add(record)
    run.flush(report=run.unreported)
    return run.summary, total


def service_import_record(record: object, *, terms: TermCache | None = None) -> bool:
    """Check and write one service (3.0 or v1 shape) and everything under it. True when
    created. Raises RecordError for a record that cannot be imported, before writing."""
    terms = terms or TermCache()
    prepared = _settled(prepare_record(record), record)
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
        self.unreported = 0  # records read whose outcome on_record has not been told yet

    def add(self, record: object) -> None:
        """Read one record: count it unchanged, skip it, or add it to the chunk."""
        self.unreported += 1
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
        self.summary.warnings.extend((prepared.record_id, warning) for warning in prepared.warnings)
        return prepared

    def flush(self, *, report: int) -> None:
        """Write the chunk, then tell on_record about `report` of the records read."""
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
    writes the same rows: the source's last_modified, ids for children the source
    gives none, and accessibility prose without the feature names."""
    if not isinstance(record, dict):
        return prepared
    if (modified := clean.modified_at(record)) is not None:
        if timezone.is_naive(modified):
            modified = timezone.make_aware(modified, datetime.UTC)
        prepared.service.modified_at = modified
    shaped = normalise_v1_service(record) if is_v1_record(record) else record
    given = _given_ids(shaped)
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
            if row.id in given:
                continue
            content = "|".join(str(getattr(row, f.attname)) for f in row._meta.concrete_fields if f.attname != "id")
            occurrences[content] = occurrences.get(content, 0) + 1
            row.id = stable_uuid(f"oruk-{kind}", f"{service_id}:{content}:{occurrences[content]}")
    _plain_accessibility(prepared, shaped)
    return prepared


def _given_ids(value: object) -> set[uuid.UUID]:
    """Every id the source itself gives, anywhere in the record, as `clean` reads it."""
    found: set[uuid.UUID] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "id" and isinstance(item, (str, int)) and not isinstance(item, bool):
                if (parsed := clean.optional_identifier(item, kind="child")) is not None:
                    found.add(parsed)
            else:
                found |= _given_ids(item)
    elif isinstance(value, list):
        for item in value:
            found |= _given_ids(item)
    return found


def _plain_accessibility(prepared: PreparedRecord, record: dict) -> None:
    # Feeds (ours included) list each feature as an entry named after it ("Step-free
    # access"). Those set the location's flags, which the page already shows; kept in
    # the prose too, each re-import of a feed built from ours added them again.
    by_id = {row.id: row for row in prepared.locations}
    for sal in clean.object_list(record, "service_at_locations"):
        location = sal.get("location")
        if not isinstance(location, dict):
            continue
        try:
            row = by_id.get(clean.identifier(location.get("id"), kind="location"))
        except RecordError:
            continue
        if row is None:
            continue
        texts = (
            str(a.get("description") or a.get("accessibility") or a.get("details") or "").strip()
            for a in clean.object_list(location, "accessibility")
        )
        row.accessibility_description = " ".join(t for t in texts if t and t.lower() not in _FEATURE_LABELS)[:5000]


_FEATURE_LABELS = frozenset(label.lower() for _, label in ACCESSIBILITY_FEATURES)
