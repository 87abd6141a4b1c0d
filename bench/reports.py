"""Benchmark the report pages and CSVs at 1,000,000 ledger entries (docs/quality.md P10).

Builds a ledger in a database of its own with bench/ledger.py's set-up, account
opening and bulk build (imported, not copied): every transfer is an exchange
with its own Exchange row, a day of help spread over the last ~365 days (recorded
0 to 3 days later) and a listing in one of several categories. The database's
triggers count each transfer into the summaries (timebank/summaries.py) as it
is inserted, so no rebuild is needed afterwards; `ledger_check` proves they
equal the entries. Then, logged in as a coordinator through Django's test
client, it times each report page and its CSV over the last year (median of
--runs, after one warm-up request) against the target of 1 s each, and prints
ledger_check's result and time.

    .venv/bin/python bench/reports.py                       # 1,000,000 entries, SQLite
    .venv/bin/python bench/reports.py --entries 200000      # quicker
    .venv/bin/python bench/reports.py --database-url postgres://postgres@127.0.0.1:5432/postgres

Building a million entries takes 15 to 20 minutes. `--keep` keeps the bench
database; `--reuse` then times the pages again over it without building:

    .venv/bin/python bench/reports.py --keep --sqlite-path /tmp/bench-reports.sqlite3
    .venv/bin/python bench/reports.py --reuse --sqlite-path /tmp/bench-reports.sqlite3
    .venv/bin/python bench/reports.py --reuse --database-url postgres://postgres@127.0.0.1:5432/bench_ledger_NNN
"""

import argparse
import datetime
import importlib.util
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_S = 1.0  # docs/quality.md P10: every report page and CSV


def load_ledger_bench():
    spec = importlib.util.spec_from_file_location("bench_ledger", ROOT / "bench" / "ledger.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="ledger entries to build (default 1,000,000)")
    parser.add_argument("--members", type=int, default=2_000, help="member accounts (default 2,000)")
    parser.add_argument("--days", type=int, default=365, help="days the help is spread over (default 365)")
    parser.add_argument("--categories", type=int, default=8, help="categories the exchanges are in (default 8)")
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page, the median is shown")
    parser.add_argument("--database-url", help="a PostgreSQL server to use: a bench database is created there")
    parser.add_argument("--sqlite-path", default="/tmp/bench-reports.sqlite3")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the pages over a database kept by --keep (the SQLite file, or the PostgreSQL database named "
        "in --database-url) without building; it is kept afterwards",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    ledger_bench = load_ledger_bench()
    if args.reuse:
        args.keep = True
        where, pg_name = setup_django_reusing(args), None
    else:
        where, pg_name = ledger_bench.setup_django(args)
    try:
        run(args, where, ledger_bench)
    finally:
        from django.db import connections

        connections.close_all()
        if pg_name and not args.keep:
            ledger_bench.drop_postgres_database(args.database_url, pg_name)
        elif not args.database_url and not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(args.sqlite_path + suffix).unlink(missing_ok=True)


def setup_django_reusing(args) -> str:
    """bench/ledger.py's `setup_django`, over a database already built (never emptied)."""
    import os

    os.environ["TIMECOMMONS_TESTING"] = "1"
    os.environ["DEBUG"] = "false"
    os.environ["AXES_ENABLED"] = "false"
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
        where = f"PostgreSQL {args.database_url.rsplit('/', 1)[-1]} (reused)"
    else:
        if not Path(args.sqlite_path).exists():
            raise SystemExit(f"No bench database at {args.sqlite_path}: build one with --keep first.")
        os.environ.pop("DATABASE_URL", None)
        os.environ["SQLITE_PATH"] = args.sqlite_path
        where = f"SQLite file {args.sqlite_path} (reused)"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
    import django

    django.setup()
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    return where


def run(args, where: str, ledger_bench) -> None:
    from django.core.management import call_command
    from django.db import connection

    from timebank.models import Timebank

    rng = random.Random(args.seed)
    if args.reuse:
        print(f"Reports benchmark over {where}; load average {_load()}")
        call_command("migrate", verbosity=0)
        timebank = Timebank.get_default()
        print(f"  summary rows: {summary_sizes()}")
        time_and_check(args, timebank, ledger_bench)
        return
    print(f"Reports benchmark: {args.entries:,} entries, {args.members:,} members, {args.days} days, {where}")
    t, _ = ledger_bench.timed(lambda: call_command("migrate", verbosity=0))
    print(f"  migrate: {t:.1f} s")
    timebank = Timebank.get_default()
    accounts = ledger_bench.open_member_accounts(timebank, args.members)
    stamp = ExchangeStamper(timebank, accounts, days=args.days, categories=args.categories, rng=rng)
    t, built = ledger_bench.timed(lambda: ledger_bench.bulk_build(timebank, accounts, args.entries, rng, stamp=stamp))
    print(
        f"  bulk-built {built:,} entries ({built // 2:,} exchanges over {args.days} days, "
        f"{len(stamp.listings)} categories) in {t:.1f} s; the triggers kept the summaries"
    )
    # Fresh statistics, as a live database would have, so the planner uses the indexes.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  summary rows: {summary_sizes()}")
    time_and_check(args, timebank, ledger_bench)


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def time_and_check(args, timebank, ledger_bench) -> None:
    print(f"  load average before timing: {_load()}")
    rows = time_pages(timebank, runs=args.runs)
    slow = [label for label, seconds in rows if seconds > TARGET_S]
    print(f"  each page and CSV over the last year, median of {args.runs} (target <= {TARGET_S:.0f} s each):")
    for label, seconds in rows:
        print(f"    {label:<32} {seconds * 1000:8.0f} ms  {'ok' if seconds <= TARGET_S else 'OVER TARGET'}")
    funder = time_funder_summary(timebank, runs=args.runs)
    print(f"    {'funder summary (every report)':<32} {funder * 1000:8.0f} ms  (all reports on one page)")

    from timebank.management.commands.ledger_check import check_ledger

    print(f"  load average after timing: {_load()}")
    t, report = ledger_bench.timed(lambda: check_ledger())
    print(
        f"  ledger_check: {report.entries:,} entries, {report.transfers:,} transfers, {report.accounts:,} "
        f"accounts in {t:.2f} s: {'OK' if report.ok else 'PROBLEMS'}"
    )
    if not report.ok:
        for problem in report.problems[:10]:
            print(f"    {problem}")
        raise SystemExit(1)
    print(f"  {'every page within the target' if not slow else 'over the target: ' + ', '.join(slow)}")


class ExchangeStamper:
    """bulk_build's `stamp`: one posted Exchange per transfer (the payee is its
    provider, the payer its receiver) with a day of help and a listing in one of
    the categories; the transfer is recorded 0 to 3 days after the help."""

    def __init__(self, timebank, accounts, *, days: int, categories: int, rng: random.Random):
        from django.utils import timezone

        from timebank.models import Category, Listing, ListingKind

        self.timebank, self.rng, self.days = timebank, rng, days
        self.member_of = {account.pk: account.member_id for account in accounts}
        self.now = timezone.now()
        self.today = timezone.localdate()
        chosen = list(Category.objects.filter(timebank=timebank).order_by("pk")[:categories])
        self.listings = [
            Listing.objects.create(
                timebank=timebank,
                member_id=accounts[i].member_id,
                kind=ListingKind.OFFER,
                category=category,
                title=f"Bench offer: {category.name}",
                expires_on=self.today + datetime.timedelta(days=365),
            )
            for i, category in enumerate(chosen)
        ]

    def __call__(self, pairs: list[tuple[int, int]]) -> list[tuple[datetime.datetime, int]]:
        from django.utils import timezone

        from timebank.models import Exchange, ExchangeReceiver, ExchangeStatus

        rng = self.rng
        helped = [self.today - datetime.timedelta(days=rng.randrange(self.days)) for _ in pairs]
        made = Exchange.objects.bulk_create(
            [
                Exchange(
                    timebank=self.timebank,
                    provider_id=self.member_of[payee],
                    listing=rng.choice(self.listings),
                    helped_on=day,
                    status=ExchangeStatus.POSTED,
                )
                for (_, payee), day in zip(pairs, helped, strict=True)
            ],
            batch_size=5000,
        )
        ExchangeReceiver.objects.bulk_create(
            [
                ExchangeReceiver(exchange=exchange, member_id=self.member_of[payer])
                for exchange, (payer, _) in zip(made, pairs, strict=True)
            ],
            batch_size=5000,
        )
        stamps = []
        for exchange, day in zip(made, helped, strict=True):
            recorded = timezone.make_aware(
                datetime.datetime.combine(day + datetime.timedelta(days=rng.randint(0, 3)), datetime.time(10))
            ) + datetime.timedelta(minutes=rng.randrange(600))
            stamps.append((min(recorded, self.now), exchange.pk))
        return stamps


def summary_sizes() -> str:
    from timebank.models import AccountDay, LedgerDay, PartnerDay

    return ", ".join(f"{model.__name__} {model.objects.count():,}" for model in (LedgerDay, AccountDay, PartnerDay))


def coordinator_client(timebank):
    from django.contrib.auth.models import Group
    from django.test import Client

    from timebank.models import Role, User

    user = User.objects.filter(username="bench-coordinator").first()
    if user is None:
        user = User.objects.create_user(username="bench-coordinator", password=None)
    user.groups.add(Group.objects.get(name=Role.COORDINATOR))
    timebank.coordinators.add(user)
    client = Client()
    client.force_login(user)
    return client


def _median_seconds(client, url: str, runs: int) -> float:
    first = client.get(url)  # warm-up: templates compiled, connection open
    if first.status_code != 200:
        raise SystemExit(f"{url} answered {first.status_code}")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return statistics.median(times)


def _query(timebank) -> str:
    from django.utils import timezone

    today = timezone.localdate()
    return f"?timebank={timebank.pk}&start={today - datetime.timedelta(days=364)}&end={today}"


def time_pages(timebank, *, runs: int) -> list[tuple[str, float]]:
    from brokering.selectors.reports import REPORTS

    client = coordinator_client(timebank)
    query = _query(timebank)
    rows = []
    for slug in REPORTS:
        rows.append((f"{slug} page", _median_seconds(client, f"/coordinator/reports/{slug}/{query}", runs)))
        rows.append((f"{slug} CSV", _median_seconds(client, f"/coordinator/reports/{slug}/csv/{query}", runs)))
    return rows


def time_funder_summary(timebank, *, runs: int) -> float:
    from django.test import Client

    from timebank.models import User

    client = Client()
    client.force_login(User.objects.get(username="bench-coordinator"))
    return _median_seconds(client, f"/coordinator/reports/funder-summary/{_query(timebank)}", runs)


if __name__ == "__main__":
    main()
