"""The ledger's summaries: per timebank, day, kind and category (LedgerDay), and
per member account and day (AccountDay, PartnerDay), so reports read a few
summary rows instead of every entry (docs/quality.md P10).

The database keeps them, with triggers on the ledger's tables (migration
timebank 0016), so every transfer is counted however it was written, in the
same transaction as its rows. Rules, which `expected_*` below state again from
the entries so `ledger_check` can prove the tables equal them:

- a transfer is counted on its day: the day the help happened for an exchange
  (`Exchange.helped_on`), else the day it was recorded (in the site's time zone);
- LedgerDay: `transfers` and `minutes` (time moved, the positive side, once per
  transfer) count transfers that are not reversed; `pot_in`/`pot_out` count
  every posting's movements of the community pot, reversals included, on the
  reversal's own day. On PostgreSQL a day's counts are spread over up to 16
  rows (`slot`) so concurrent postings do not queue on one row: add them up;
- AccountDay and PartnerDay count exchange transfers that are not reversed,
  for member accounts only: how many a member gave and received in, and how
  many each pair of members shared (one row each way);
- a reversal takes its transfer back out of the rows it was counted in, and is
  itself counted under the kind "reversal".

A listing's category can change after its exchanges were posted:
`move_category` (called by listing_update) moves their counts with it.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from timebank.models import (
    AccountDay,
    AccountKind,
    Entry,
    LedgerDay,
    PartnerDay,
    Timebank,
    Transfer,
    TransferKind,
)

UPSERT_DAY = """
INSERT INTO timebank_ledgerday (timebank_id, day, kind, category_id, transfers, minutes, pot_in, pot_out, slot)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0)
ON CONFLICT (timebank_id, day, kind, (COALESCE(category_id, 0)), slot) DO UPDATE SET
    transfers = timebank_ledgerday.transfers + excluded.transfers,
    minutes = timebank_ledgerday.minutes + excluded.minutes,
    pot_in = timebank_ledgerday.pot_in + excluded.pot_in,
    pot_out = timebank_ledgerday.pot_out + excluded.pot_out
"""


def move_category(*, listing_id: int, old_category_id: int | None, new_category_id: int | None) -> None:
    """A listing's category changed: move its posted, unreversed exchanges' counts
    from the old category's rows to the new one's."""
    if old_category_id == new_category_id:
        return
    transfers = Transfer.objects.filter(
        exchange__listing_id=listing_id, kind=TransferKind.EXCHANGE, reversed_by__isnull=True
    ).select_related("exchange")
    for transfer in transfers:
        helped_on = transfer.exchange.helped_on if transfer.exchange is not None else None
        day = helped_on or timezone.localdate(transfer.created_at)
        moved = transfer.entries.filter(minutes__gt=0).aggregate(total=Sum("minutes"))["total"] or 0
        with connection.cursor() as cursor:
            cursor.execute(UPSERT_DAY, [transfer.timebank_id, day, transfer.kind, old_category_id, -1, -moved, 0, 0])
            cursor.execute(UPSERT_DAY, [transfer.timebank_id, day, transfer.kind, new_category_id, 1, moved, 0, 0])


# --- What the summaries should hold, from the entries (ledger_check, rebuild) -------------------


def _day_expression():
    return Coalesce(F("transfer__exchange__helped_on"), TruncDate("transfer__created_at"))


def expected_ledger_days(timebank_ids: Iterable[int] | None = None) -> dict[tuple, tuple[int, int, int, int]]:
    """{(timebank, day, kind, category): (transfers, minutes, pot_in, pot_out)} from the entries."""
    entries = Entry.objects.all()
    if timebank_ids is not None:
        entries = entries.filter(transfer__timebank_id__in=list(timebank_ids))
    live = Q(transfer__reversed_by__isnull=True)
    rows = (
        entries.annotate(day=_day_expression())
        .values("transfer__timebank_id", "day", "transfer__kind", "transfer__exchange__listing__category_id")
        .annotate(
            n_transfers=Count("transfer", distinct=True, filter=live),
            moved=Sum("minutes", filter=live & Q(minutes__gt=0)),
            into_pot=Sum("minutes", filter=Q(account__kind=AccountKind.POT, minutes__gt=0)),
            out_of_pot=Sum("minutes", filter=Q(account__kind=AccountKind.POT, minutes__lt=0)),
        )
        .order_by()
    )
    found = {}
    for row in rows:
        key = (
            row["transfer__timebank_id"],
            row["day"],
            row["transfer__kind"],
            row["transfer__exchange__listing__category_id"],
        )
        value = (row["n_transfers"] or 0, row["moved"] or 0, row["into_pot"] or 0, -(row["out_of_pot"] or 0))
        if any(value):
            found[key] = value
    return found


def _exchange_member_entries(timebank_ids: Iterable[int] | None):
    entries = Entry.objects.filter(
        transfer__kind=TransferKind.EXCHANGE, transfer__reversed_by__isnull=True, account__kind=AccountKind.MEMBER
    )
    if timebank_ids is not None:
        entries = entries.filter(transfer__timebank_id__in=list(timebank_ids))
    return entries.annotate(day=_day_expression())


def expected_account_days(timebank_ids: Iterable[int] | None = None) -> dict[tuple, tuple[int, int, int]]:
    """{(account, day): (timebank, gave, received)} from the entries."""
    rows = (
        _exchange_member_entries(timebank_ids)
        .values("account_id", "day", "transfer__timebank_id")
        .annotate(gave=Count("pk", filter=Q(minutes__gt=0)), received=Count("pk", filter=Q(minutes__lt=0)))
        .order_by()
    )
    return {(r["account_id"], r["day"]): (r["transfer__timebank_id"], r["gave"], r["received"]) for r in rows}


def expected_partner_days(timebank_ids: Iterable[int] | None = None) -> dict[tuple, tuple[int, int]]:
    """{(account, partner, day): (timebank, exchanges)} from the entries."""
    # The partner is another entry of the same transfer: both aliases use one join.
    rows = (
        _exchange_member_entries(timebank_ids)
        .annotate(partner_id=F("transfer__entries__account_id"), partner_kind=F("transfer__entries__account__kind"))
        .filter(partner_kind=AccountKind.MEMBER)
        .exclude(partner_id=F("account_id"))
        .values("account_id", "partner_id", "day", "transfer__timebank_id")
        .annotate(n=Count("transfer", distinct=True))
        .order_by()
    )
    return {(r["account_id"], r["partner_id"], r["day"]): (r["transfer__timebank_id"], r["n"]) for r in rows}


def summary_problems(timebank_ids: Iterable[int] | None = None, *, limit: int = 20) -> list[str]:
    """Where the summaries differ from the entries (empty when they agree)."""
    ids = list(timebank_ids) if timebank_ids is not None else None
    problems: list[str] = []

    def stored(queryset, key_fields, value_fields):
        if ids is not None:
            queryset = queryset.filter(timebank_id__in=ids)
        out: dict[tuple, tuple] = {}
        for row in queryset.values_list(*key_fields, *value_fields):
            key, value = tuple(row[: len(key_fields)]), tuple(row[len(key_fields) :])
            if key in out:  # another slot of the same LedgerDay: add them up
                value = tuple(a + b for a, b in zip(out[key], value, strict=True))
            out[key] = value
        return {key: value for key, value in out.items() if any(v for v in value if not isinstance(v, int) or v)}

    def compare(name: str, have: dict, want: dict) -> None:
        for key in sorted(set(have) | set(want), key=str):
            if have.get(key) != want.get(key) and len(problems) < limit:
                problems.append(f"{name} {key}: summary {have.get(key)}, entries {want.get(key)}")

    compare(
        "ledger day",
        stored(
            LedgerDay.objects.all(),
            ("timebank_id", "day", "kind", "category_id"),
            ("transfers", "minutes", "pot_in", "pot_out"),
        ),
        expected_ledger_days(ids),
    )
    have_accounts = {
        key: value
        for key, value in stored(
            AccountDay.objects.all(), ("account_id", "day"), ("timebank_id", "gave", "received")
        ).items()
        if value[1] or value[2]
    }
    compare("account day", have_accounts, expected_account_days(ids))
    have_partners = {
        key: value
        for key, value in stored(
            PartnerDay.objects.all(), ("account_id", "partner_id", "day"), ("timebank_id", "exchanges")
        ).items()
        if value[1]
    }
    compare("partner day", have_partners, expected_partner_days(ids))
    return problems


def rebuild(timebank_ids: Iterable[int] | None = None, *, batch_size: int = 5000) -> dict[str, int]:
    """Replace the summaries with what the entries say (after a bulk load, or to
    repair); returns how many rows each table holds for these timebanks."""
    ids = list(timebank_ids) if timebank_ids is not None else list(Timebank.objects.values_list("pk", flat=True))
    LedgerDay.objects.filter(timebank_id__in=ids).delete()
    AccountDay.objects.filter(timebank_id__in=ids).delete()
    PartnerDay.objects.filter(timebank_id__in=ids).delete()
    days = [
        LedgerDay(
            timebank_id=tb,
            day=day,
            kind=kind,
            category_id=category,
            transfers=value[0],
            minutes=value[1],
            pot_in=value[2],
            pot_out=value[3],
        )
        for (tb, day, kind, category), value in expected_ledger_days(ids).items()
    ]
    LedgerDay.objects.bulk_create(days, batch_size=batch_size)
    accounts = [
        AccountDay(account_id=account, day=day, timebank_id=value[0], gave=value[1], received=value[2])
        for (account, day), value in expected_account_days(ids).items()
    ]
    AccountDay.objects.bulk_create(accounts, batch_size=batch_size)
    partners_by_key: dict[tuple, tuple[int, int]] = defaultdict(lambda: (0, 0))
    partners_by_key.update(expected_partner_days(ids))
    partners = [
        PartnerDay(account_id=account, partner_id=partner, day=day, timebank_id=value[0], exchanges=value[1])
        for (account, partner, day), value in partners_by_key.items()
    ]
    PartnerDay.objects.bulk_create(partners, batch_size=batch_size)
    return {"ledger days": len(days), "account days": len(accounts), "partner days": len(partners)}
