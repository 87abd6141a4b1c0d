"""Move what people wrote out of the append-only ledger memos (issue 12).

Until now a transfer's memo was built with names and the member's own words
("Gift from Alicia Quennell to Bob: ring me on 07700 900123"), and erasure
could only hide it, while the admin still listed and searched it. From 0013 a
memo is the system's description only and what a person wrote is in a
TransferNote, which erasure blanks. This migration brings old transfers in
line: each memo becomes the system's description of its kind, and the words a
person wrote move to a note, except on transfers of a member already erased,
whose words are dropped rather than brought back.

Why the append-only trigger is lifted here: it forbids every UPDATE of a
transfer, and leaving the old memos (hidden) would keep erased people's names
and phone numbers in the database for ever. The trigger is dropped and
recreated inside this migration's one transaction (DDL is transactional on
PostgreSQL and SQLite), so no other change can slip in while it is lifted,
and a failure puts everything back. Only `memo` is written; amounts, accounts
and every entry are untouched.

Not reversible: the names cannot be put back, and should not be.
"""

from importlib import import_module

from django.db import migrations

# The formats the ledger used to write (frozen here: they are history).
OLD_PREFIXES = {
    "gift": "Gift from ",
    "donation": "Donation from ",
    "grant": "Grant to ",
    "reversal": "Reversal",
}
LABELS = {
    "exchange": "Exchange",
    "gift": "Gift",
    "grant": "Grant from the community pot",
    "donation": "Donation to the community pot",
    "reversal": "Reversal",
    "opening": "Opening balance",
}
CHUNK = 500


def _system_memo(kind: str, reversed_kind: str | None) -> str:
    if kind == "reversal" and reversed_kind:
        label = LABELS.get(reversed_kind, reversed_kind).lower()
        return f"Reversal of {'an' if label[:1] in 'aeiou' else 'a'} {label}"
    return LABELS.get(kind, kind.capitalize())


def _words_written(kind: str, memo: str, exchange_description: str | None) -> str:
    """The part of an old memo a person wrote."""
    if kind == "exchange" and exchange_description is not None:
        # The exchange still holds its description (erasure blanks it there too).
        return exchange_description
    prefix = OLD_PREFIXES.get(kind)
    system_written = (prefix and memo.startswith(prefix)) or (kind == "exchange" and " helped " in memo)
    if system_written:
        # "Gift from A to B: <their words>", "A helped B: <description>".
        return memo.split(": ", 1)[1] if ": " in memo else ""
    if memo in LABELS.values():
        return ""
    # Written some other way (by a script, an import): nobody can tell whose
    # words they are, so they are treated as a person's and kept where erasure reaches.
    return memo


def _lift_trigger(schema_editor) -> list[str]:
    """Drop the transfer's no-UPDATE trigger; return the statements that put it back."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE timebank_transfer DISABLE TRIGGER timebank_transfer_append_only")
        return ["ALTER TABLE timebank_transfer ENABLE TRIGGER timebank_transfer_append_only"]
    if vendor == "sqlite":
        triggers = import_module("timebank.migrations.0003_ledger_triggers")
        schema_editor.execute("DROP TRIGGER IF EXISTS timebank_transfer_no_update")
        return [statement for statement in triggers.SQLITE_FORWARD if "timebank_transfer_no_update" in statement]
    return []


def forward(apps, schema_editor):
    Transfer = apps.get_model("timebank", "Transfer")
    TransferNote = apps.get_model("timebank", "TransferNote")
    Entry = apps.get_model("timebank", "Entry")
    erased = set(Entry.objects.filter(account__member__erased_at__isnull=False).values_list("transfer_id", flat=True))
    new_memos: dict[str, list[int]] = {}
    notes = []
    rows = Transfer.objects.order_by("pk").values_list("pk", "kind", "memo", "reverses__kind", "exchange__description")
    for pk, kind, memo, reversed_kind, description in rows.iterator(chunk_size=CHUNK):
        system = _system_memo(kind, reversed_kind)
        if memo != system:
            new_memos.setdefault(system, []).append(pk)
        words = "" if pk in erased else _words_written(kind, memo or "", description).strip()
        if words:
            notes.append(TransferNote(transfer_id=pk, text=words[:300]))
    TransferNote.objects.bulk_create(notes, batch_size=CHUNK)
    if not new_memos:
        return
    restore = _lift_trigger(schema_editor)
    for memo, pks in new_memos.items():
        for start in range(0, len(pks), CHUNK):
            Transfer.objects.filter(pk__in=pks[start : start + CHUNK]).update(memo=memo)
    for statement in restore:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("timebank", "0013_transfer_note")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
