"""Taxonomy terms named by imported records: found by id or slug, or created under
the "imported" taxonomy.

Invariants:
* A term is looked up once per chunk (`look_up`: one query) and created once per
  import, however many records name it.
* `resolve` only reads; the terms it decides to create wait in `pending` until
  `create_pending` writes them inside the chunk's transaction.
* When that transaction is rolled back, `restore(snapshot)` forgets every term
  learnt or queued since the snapshot, so the cache never claims a term the
  database does not hold.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from assets.models import Taxonomy, TaxonomyTerm, stable_uuid
from assets.openreferral import clean
from assets.openreferral.prepare import PreparedRecord, TermSpec

IMPORTED_TAXONOMY_SLUG = "imported"


@dataclass(frozen=True)
class TermSnapshot:
    """What a TermCache knew at one moment (copies, so later changes do not leak in)."""

    by_key: dict[str, uuid.UUID]
    taxonomy: Taxonomy | None
    known_ids: set[uuid.UUID]
    known_slugs: dict[str, uuid.UUID]


class TermCache:
    """Taxonomy terms seen during one import: looked up once per chunk, created once.

    `resolve` only reads; the terms it decides to create wait in `pending` until
    `create_pending` writes them inside the chunk's transaction. `snapshot` and
    `restore` forget terms whose transaction was rolled back."""

    def __init__(self) -> None:
        self.by_key: dict[str, uuid.UUID] = {}
        self.pending: list[TaxonomyTerm] = []
        self._taxonomy: Taxonomy | None = None
        self._known_ids: set[uuid.UUID] = set()
        self._known_slugs: dict[str, uuid.UUID] = {}

    def snapshot(self) -> TermSnapshot:
        return TermSnapshot(dict(self.by_key), self._taxonomy, set(self._known_ids), dict(self._known_slugs))

    def restore(self, snapshot: TermSnapshot) -> None:
        self.by_key, self._taxonomy = dict(snapshot.by_key), snapshot.taxonomy
        self._known_ids, self._known_slugs = set(snapshot.known_ids), dict(snapshot.known_slugs)
        self.pending = []

    def look_up(self, specs: Iterable[TermSpec]) -> None:
        """Learn which of these terms exist already, by id or slug: one query."""
        unknown = [spec for spec in specs if spec.key not in self.by_key]
        ids = {spec.term_id for spec in unknown if spec.term_id} - self._known_ids
        slugs = {spec.slug for spec in unknown if spec.slug} - set(self._known_slugs)
        if not ids and not slugs:
            return
        for term_id, slug in TaxonomyTerm.objects.filter(Q(id__in=ids) | Q(slug__in=slugs)).values_list("id", "slug"):
            self._known_ids.add(term_id)
            self._known_slugs[slug] = term_id

    def resolve(self, prepared: PreparedRecord) -> None:
        """Fill prepared.term_ids; a term that does not exist yet is checked and queued.
        Raises RecordError (and queues nothing) when a new term is not acceptable."""
        found: dict[str, uuid.UUID] = {}
        new: list[TaxonomyTerm] = []
        for spec, _ in prepared.attributes:
            if spec.key in self.by_key or spec.key in found:
                continue
            if spec.term_id and spec.term_id in self._known_ids:
                found[spec.key] = spec.term_id
            elif spec.slug and spec.slug in self._known_slugs:
                found[spec.key] = self._known_slugs[spec.slug]
            elif spec.slug and (match := next((t for t in new if t.slug == spec.slug), None)):
                found[spec.key] = match.id
            else:
                term = _new_term(spec)
                new.append(term)
                found[spec.key] = term.id
        for term in new:
            self._known_ids.add(term.id)
            self._known_slugs[term.slug] = term.id
        self.by_key.update(found)
        self.pending.extend(new)
        prepared.term_ids = {spec.key: self.by_key[spec.key] for spec, _ in prepared.attributes}

    def create_pending(self) -> None:
        if not self.pending:
            return
        if self._taxonomy is None:
            self._taxonomy, _ = Taxonomy.objects.get_or_create(
                slug=IMPORTED_TAXONOMY_SLUG, defaults={"name": "Imported terms"}
            )
        for term in self.pending:
            term.taxonomy = self._taxonomy
        TaxonomyTerm.objects.bulk_create(self.pending)
        self.pending = []


def _new_term(spec: TermSpec) -> TaxonomyTerm:
    """An unsaved term for a spec nothing matched. Raises RecordError for a bad description."""
    slug = spec.slug or f"-{(spec.term_id or uuid.uuid4()).hex[:8]}"
    return TaxonomyTerm(
        id=spec.term_id or stable_uuid("oruk-taxonomy_term", spec.name.lower()),
        slug=slug,
        name=spec.name,
        description=clean.text(spec.description, name="term description", max_length=2000),
    )
