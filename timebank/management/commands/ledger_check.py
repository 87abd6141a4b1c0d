"""`manage.py ledger_check [--timebank SLUG]`: prove the hour ledger adds up.

Recomputes every account's balance from its entries and checks (docs/quality.md L1):
- each cached balance equals the sum of its entries, and the last entry's
  running balance (what a statement shows) equals it too;
- each transfer has two or more entries that sum to zero, all in the
  transfer's own timebank;
- each timebank's balances sum to zero;
- no account is beyond its limits;
- the summaries reports read (timebank/summaries.py: per day, kind and
  category, and per member account and pair) equal what the entries say.

Everything is done with a handful of aggregate queries (GROUP BY in the
database), so it stays fast on millions of entries; Python only walks the
accounts and the problems found. Exits non-zero and names each account
(name and public id) or transfer that is wrong.
"""

import contextlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum

from timebank import summaries
from timebank.models import Account, Entry, Timebank, Transfer

# Enough to act on; the count of problems is always reported in full.
MAX_LISTED_PER_CHECK = 50


@dataclass
class LedgerReport:
    timebanks: int = 0
    accounts: int = 0
    transfers: int = 0
    entries: int = 0
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    # True when some check found more problems than it lists.
    more: bool = False

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add(self, message: str) -> None:
        self.problem_count += 1
        self.problems.append(message)


def _account_label(row: Mapping[str, object]) -> str:
    return f"account '{row['name']}' ({row['public_id']})"


def _transfer_label(public_id, pk) -> str:
    return f"transfer {public_id} (id {pk})"


@contextlib.contextmanager
def _without_statement_timeout() -> Iterator[None]:
    """The check reads every entry: the web's per-statement time limit
    (DB_STATEMENT_TIMEOUT_MS) is lifted for it on PostgreSQL, then put back."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        before = cursor.fetchone()[0]
        cursor.execute("SET statement_timeout = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [before])


def check_ledger(*, timebank: Timebank | None = None) -> LedgerReport:
    """Run every check, scoped to one timebank if given."""
    with _without_statement_timeout():
        return _check_ledger(timebank=timebank)


def _check_ledger(*, timebank: Timebank | None) -> LedgerReport:
    report = LedgerReport()
    timebanks = Timebank.objects.all() if timebank is None else Timebank.objects.filter(pk=timebank.pk)
    timebank_names = dict(timebanks.values_list("pk", "name"))
    report.timebanks = len(timebank_names)

    def scoped(lookup: str) -> Q:
        # The whole ledger needs no join to find its timebank.
        return Q() if timebank is None else Q(**{lookup: timebank.pk})

    accounts = Account.objects.filter(scoped("timebank"))
    entries = Entry.objects.filter(scoped("account__timebank"))
    transfers = Transfer.objects.filter(scoped("timebank"))

    # One GROUP BY over the entries: each account's recomputed balance.
    # Grouped by `account_id + 0`, not the column: otherwise SQLite walks the
    # account index and fetches every row at random (3x slower at 1M entries)
    # instead of one sequential scan; PostgreSQL hashes either way.
    sums = {
        row["account_key"]: (row["total"], row["n"])
        for row in entries.order_by()
        .annotate(account_key=F("account_id") + 0)
        .values("account_key")
        .annotate(total=Sum("minutes"), n=Count("id"))
    }
    # The newest entry's running balance, one index lookup per account
    # (entry_account_statement), as a statement page would read it.
    last_balance_after = Subquery(
        Entry.objects.filter(account=OuterRef("pk")).order_by("-id").values("balance_after")[:1]
    )
    account_rows = (
        accounts.order_by("pk")
        .values("pk", "name", "public_id", "timebank_id", "balance", "min_balance", "max_balance")
        .annotate(last_balance_after=last_balance_after)
    )

    timebank_cached: dict[int, int] = dict.fromkeys(timebank_names, 0)
    timebank_recomputed: dict[int, int] = dict.fromkeys(timebank_names, 0)
    for row in account_rows:
        report.accounts += 1
        total, n = sums.get(row["pk"], (0, 0))
        report.entries += n
        timebank_cached[row["timebank_id"]] += row["balance"]
        timebank_recomputed[row["timebank_id"]] += total
        if row["balance"] != total:
            report.add(
                f"{_account_label(row)}: cached balance is {row['balance']} minutes "
                f"but its entries add up to {total} minutes."
            )
        if n and row["last_balance_after"] != total:
            report.add(
                f"{_account_label(row)}: the statement's last running balance is "
                f"{row['last_balance_after']} minutes but its entries add up to {total} minutes."
            )
        for label, value in (("cached balance", row["balance"]), ("entries' total", total)):
            if row["min_balance"] is not None and value < row["min_balance"]:
                report.add(
                    f"{_account_label(row)}: {label} {value} minutes is below its limit of {row['min_balance']}."
                )
            if row["max_balance"] is not None and value > row["max_balance"]:
                report.add(
                    f"{_account_label(row)}: {label} {value} minutes is above its limit of {row['max_balance']}."
                )

    for pk, name in timebank_names.items():
        if timebank_cached[pk] != 0 or timebank_recomputed[pk] != 0:
            report.add(
                f"timebank '{name}': balances add up to {timebank_cached[pk]} minutes "
                f"({timebank_recomputed[pk]} from entries) instead of 0."
            )

    report.transfers = transfers.count()
    # One GROUP BY over the entries again, keeping only transfers that are wrong.
    # Grouped by transfer id alone (no join): the public ids are looked up
    # only for the transfers that are wrong.
    unbalanced = list(
        Entry.objects.filter(scoped("transfer__timebank"))
        .order_by()
        .values("transfer_id")
        .annotate(total=Sum("minutes"), n=Count("id"))
        .filter(~Q(total=0) | Q(n__lt=2))[: MAX_LISTED_PER_CHECK + 1]
    )
    public_ids = dict(
        Transfer.objects.filter(pk__in=[row["transfer_id"] for row in unbalanced]).values_list("pk", "public_id")
    )
    _report_rows(
        report,
        unbalanced,
        lambda row: (
            f"{_transfer_label(public_ids[row['transfer_id']], row['transfer_id'])}: "
            f"{row['n']} entries adding up to {row['total']} minutes (needs 2 or more adding up to 0)."
        ),
    )
    empty = (
        transfers.filter(~Exists(Entry.objects.filter(transfer=OuterRef("pk"))))
        .order_by()
        .values("pk", "public_id")[: MAX_LISTED_PER_CHECK + 1]
    )
    _report_rows(report, empty, lambda row: f"{_transfer_label(row['public_id'], row['pk'])}: has no entries.")
    # With a single timebank every account and transfer share it, so an
    # entry cannot cross timebanks and the three-table join is skipped.
    if Timebank.objects.count() > 1:
        crossing = (
            Entry.objects.filter(scoped("account__timebank") | scoped("transfer__timebank"))
            .exclude(account__timebank_id=F("transfer__timebank_id"))
            .values("transfer_id", "transfer__public_id", "account__name", "account__public_id")
        )[: MAX_LISTED_PER_CHECK + 1]
        _report_rows(
            report,
            crossing,
            lambda row: (
                f"{_transfer_label(row['transfer__public_id'], row['transfer_id'])}: has an entry on "
                f"account '{row['account__name']}' ({row['account__public_id']}) of another timebank."
            ),
        )
    for problem in summaries.summary_problems([timebank.pk] if timebank is not None else None):
        report.add(f"Summary differs from the entries: {problem}")
    return report


def _report_rows(report: LedgerReport, rows, describe) -> None:
    """List up to MAX_LISTED_PER_CHECK problems; one more row only says "and more"."""
    for index, row in enumerate(rows):
        if index < MAX_LISTED_PER_CHECK:
            report.add(describe(row))
        else:
            report.problem_count += 1
            report.more = True


class Command(BaseCommand):
    help = "Recompute every balance from the ledger's entries and check that everything adds up."

    def add_arguments(self, parser):
        parser.add_argument("--timebank", metavar="SLUG", help="Check only this timebank.")

    def handle(self, *args, timebank=None, **options):
        scope = None
        if timebank:
            scope = Timebank.objects.filter(slug=timebank).first()
            if scope is None:
                raise CommandError(f"There is no timebank called '{timebank}'.")
        started = time.perf_counter()
        report = check_ledger(timebank=scope)
        elapsed = time.perf_counter() - started
        summary = (
            f"{report.timebanks} timebank(s), {report.accounts:,} accounts, {report.transfers:,} transfers, "
            f"{report.entries:,} entries checked in {elapsed:.2f} s"
        )
        if report.ok:
            self.stdout.write(f"Ledger OK: {summary}.")
            return
        for problem in report.problems:
            self.stderr.write(f"PROBLEM {problem}")
        if report.more:
            self.stderr.write(f"... and more: each check lists its first {MAX_LISTED_PER_CHECK}.")
        count = f"{report.problem_count}{' or more' if report.more else ''}"
        raise CommandError(f"The ledger has {count} problem(s): {summary}.")
