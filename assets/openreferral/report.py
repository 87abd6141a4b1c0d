"""What an Open Referral UK import tells the person running it.

Owns the two ways an import can fail and the running tally of what it did:

* `RecordError`: one record cannot be imported. Its `reason` is shown next to the
  record's id and the import carries on with the next record.
* `SourceError`: the source as a whole is unusable (no such file, not JSON, the
  feed did not answer). The import stops; nothing more is read.
* `ImportSummary`: the counts so far. Every record read ends up in exactly one of
  created, updated, skipped (with an entry in `errors`) or unchanged, so the
  counts add up to the number of records read.
* The summary's memory is bounded whatever the source's size: `errors` and
  `warnings` keep the first MAX_LISTED entries each and count the rest in
  `errors_left_off` / `warnings_left_off` (the counts stay exact).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import InvalidInputError

# Errors and warnings kept for the report, each; beyond this they are only counted.
MAX_LISTED = 1_000


class RecordError(Exception):
    """A record that cannot be imported; `reason` is shown to the person running the import."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SourceError(InvalidInputError):
    code = "import_source"


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    unchanged: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    # Fields cut, cleaned or left out of records that were kept: (record id, what).
    warnings: list[tuple[str, str]] = field(default_factory=list)

    not_modified: int = 0  # of `unchanged`, those left out by the date given
    # Locations with a postcode but no coordinates that the geocoder could not place
    # (they are kept, but cannot be found by distance).
    unplaced: int = 0
    # The shape the source was read as: "3.0", "1.0", or "" when it could not be told.
    version: str = ""
    # How many records the source says it holds (None when it does not say): a progress bar's end.
    total: int | None = None
    # Errors and warnings beyond the first MAX_LISTED of each: counted, not kept.
    errors_left_off: int = 0
    warnings_left_off: int = 0

    def line(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.skipped} skipped"
        if self.unchanged - self.not_modified:
            text += f", {self.unchanged - self.not_modified} unchanged"
        if self.not_modified:
            text += f", {self.not_modified} not modified since the date given"
        if self.unplaced:
            text += (
                "; 1 place could not be found from its postcode"
                if self.unplaced == 1
                else f"; {self.unplaced} places could not be found from their postcode"
            )
        if self.errors_left_off:
            text += f"; the first {MAX_LISTED:,} reasons for skipping are listed, {self.errors_left_off:,} more are not"
        if self.warnings_left_off:
            text += f"; the first {MAX_LISTED:,} warnings are listed, {self.warnings_left_off:,} more are not"
        return text

    def skip(self, record_id: str, reason: str) -> None:
        self.skipped += 1
        if len(self.errors) < MAX_LISTED:
            self.errors.append((record_id, reason))
        else:
            self.errors_left_off += 1

    def warn(self, record_id: str, warning: str) -> None:
        """Something was changed or left out of a record that was kept."""
        if len(self.warnings) < MAX_LISTED:
            self.warnings.append((record_id, warning))
        else:
            self.warnings_left_off += 1

    def count(self, outcome: str) -> None:
        """One record written: "created", "updated" or "unchanged" (nothing in it differed)."""
        setattr(self, outcome, getattr(self, outcome) + 1)
