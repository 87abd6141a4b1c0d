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
* A chunk never holds the same service twice: the first is written before the
  second replaces it, as if the file had been imported record by record.
* Re-importing the same source updates instead of duplicating (stable ids, see `clean`).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable

from django.db import DatabaseError, IntegrityError, transaction

from assets.openreferral import clean
from assets.openreferral.fetch import read_source
from assets.openreferral.prepare import PreparedRecord, prepare_record
from assets.openreferral.report import ImportSummary, RecordError, SourceError
from assets.openreferral.terms import TermCache
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
) -> tuple[ImportSummary, int | None]:
    """Import every service in `source`; returns the summary and the source's count.

    `on_record` is called once for each record read (the command's progress bar)."""
    records, total = read_source(source, modified_after=modified_after, session=session)
    run = _Run(modified_after=modified_after, on_record=on_record)
    for record in records:
        run.add(record)
    run.flush(report=run.unreported)
    return run.summary, total


def service_import_record(record: object, *, terms: TermCache | None = None) -> bool:
    """Check and write one service (3.0 or v1 shape) and everything under it. True when
    created. Raises RecordError for a record that cannot be imported, before writing."""
    terms = terms or TermCache()
    prepared = prepare_record(record)
    if missing := missing_organisations([prepared]):
        raise RecordError(missing[prepared.record_id])
    terms.look_up([spec for spec, _ in prepared.attributes])
    terms.resolve(prepared)
    return not write_records([prepared], terms=terms)


class _Run:
    """One import in progress: the summary, the chunk being gathered, and how many
    records read have not yet been reported to `on_record`."""

    def __init__(
        self, *, modified_after: datetime.datetime | None, on_record: Callable[[ImportSummary], None] | None
    ) -> None:
        self.modified_after = modified_after
        self.on_record = on_record
        self.summary = ImportSummary()
        self.terms = TermCache()
        self.chunk: list[PreparedRecord] = []
        self.in_chunk: set[uuid.UUID] = set()
        self.unreported = 0  # records read whose outcome on_record has not been told yet

    def add(self, record: object) -> None:
        """Read one record: count it unchanged, skip it, or add it to the chunk."""
        self.unreported += 1
        modified = clean.modified_at(record)
        if self.modified_after and modified and modified < self.modified_after:
            self.summary.unchanged += 1
            return
        if (prepared := self._prepare(record)) is None:
            return
        if prepared.service.id in self.in_chunk:
            # The same service twice: write the first before the second replaces it.
            self.flush(report=self.unreported - 1)
        self.chunk.append(prepared)
        self.in_chunk.add(prepared.service.id)
        if len(self.chunk) >= CHUNK_SIZE:
            self.flush(report=self.unreported)

    def _prepare(self, record: object) -> PreparedRecord | None:
        """The record's rows, or None (and the record skipped) when it cannot be imported."""
        try:
            return prepare_record(record)
        except RecordError as exc:
            self.summary.skip(clean.record_id(record), exc.reason)
        except (ValueError, TypeError) as exc:
            self.summary.skip(clean.record_id(record), f"the database refused it ({type(exc).__name__})")
        return None

    def flush(self, *, report: int) -> None:
        """Write the chunk, then tell on_record about `report` of the records read."""
        _import_chunk(self.chunk, summary=self.summary, terms=self.terms)
        if self.on_record:
            for _ in range(report):
                self.on_record(self.summary)
        self.chunk, self.in_chunk, self.unreported = [], set(), self.unreported - report


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
            existing = write_records(accepted, terms=terms)
    except _REFUSED:
        terms.restore(snapshot)
        _import_one_by_one(accepted, summary=summary, terms=terms)
        return
    for p in accepted:
        summary.count(created=p.service.id not in existing)


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
                    existing = write_records([p], terms=terms)
            except RecordError as exc:
                terms.restore(snapshot)
                summary.skip(p.record_id, exc.reason)
            except _REFUSED as exc:
                terms.restore(snapshot)
                summary.skip(p.record_id, f"the database refused it ({type(exc).__name__})")
            else:
                summary.count(created=p.service.id not in existing)
