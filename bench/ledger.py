"""Benchmark the hour ledger at 1,000,000 entries (docs/quality.md P7).

Builds a ledger in a database of its own (SQLite at /tmp by default, or a
fresh PostgreSQL database created next to --database-url and dropped after),
then prints:
- time to read a member's balance and first statement page, on a small ledger
  and again on the big one (it must not grow with ledger size: P7);
- transfers/s posting exchange-kind transfers through timebank.ledger
  (single process);
- if the exchange services exist, exchanges/s through the whole lifecycle
  (propose, accept, record, confirm) and confirmations (postings)/s;
- `ledger_check` time on the whole ledger, which must pass.

The bulk of the ledger is written with bulk inserts that keep every
invariant: balanced two-entry transfers within the accounts' limits, running
balances in entry order, cached balances set to the entries' sums.

    .venv/bin/python bench/ledger.py                      # 1,000,000 entries, SQLite
    .venv/bin/python bench/ledger.py --entries 20000      # quick run
    .venv/bin/python bench/ledger.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STATEMENT_PAGE_SIZE = 20


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="ledger entries to build (default 1,000,000)")
    parser.add_argument("--members", type=int, default=2_000, help="member accounts (default 2,000)")
    parser.add_argument("--transfers", type=int, default=3_000, help="transfers to post through the ledger")
    parser.add_argument("--exchanges", type=int, default=300, help="exchanges to take through their lifecycle")
    parser.add_argument("--database-url", help="a PostgreSQL server to use: a bench database is created there")
    parser.add_argument("--sqlite-path", default="/tmp/bench-ledger.sqlite3")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--throughput-seconds", type=float, default=10.0, help="how long each transfers/s run lasts (default 10)"
    )
    parser.add_argument(
        "--throughput-accounts", type=int, default=200, help="accounts the transfers/s runs move time between"
    )
    parser.add_argument(
        "--throughput-only",
        action="store_true",
        help="measure only transfers/s (1 and 4 threads, and the pgbench ceiling on PostgreSQL); no 1M build",
    )
    return parser.parse_args()


def create_postgres_database(url: str) -> tuple[str, str]:
    """Create a database of our own on the server in `url`; return (its URL, its name)."""
    import psycopg

    parsed = urlparse(url)
    name = f"bench_ledger_{os.getpid()}"
    with psycopg.connect(urlunparse(parsed._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parsed._replace(path=f"/{name}")), name


def drop_postgres_database(url: str, name: str) -> None:
    import psycopg

    parsed = urlparse(url)
    with psycopg.connect(urlunparse(parsed._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(args) -> tuple[str, str | None]:
    os.environ["TIMECOMMONS_TESTING"] = "1"  # no production SECRET_KEY needed; cheap password hashing
    os.environ["DEBUG"] = "false"
    os.environ["AXES_ENABLED"] = "false"
    pg_name = None
    if args.database_url:
        bench_url, pg_name = create_postgres_database(args.database_url)
        os.environ["DATABASE_URL"] = bench_url
        where = f"PostgreSQL database {pg_name}"
    else:
        os.environ.pop("DATABASE_URL", None)
        for suffix in ("", "-wal", "-shm"):
            Path(args.sqlite_path + suffix).unlink(missing_ok=True)
        os.environ["SQLITE_PATH"] = args.sqlite_path
        where = f"SQLite file {args.sqlite_path}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
    import django

    django.setup()
    from django.conf import settings

    # Notifications would print or pile up e-mails; the bench measures the ledger.
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    return where, pg_name


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    started = time.perf_counter()
    result = None
    for _ in range(repeat):
        result = fn()
    return (time.perf_counter() - started) / repeat, result


def main() -> None:
    args = parse_args()
    where, pg_name = setup_django(args)
    try:
        run(args, where)
    finally:
        from django.db import connections

        connections.close_all()
        if pg_name and not args.keep:
            drop_postgres_database(args.database_url, pg_name)
        elif not args.database_url and not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(args.sqlite_path + suffix).unlink(missing_ok=True)


def run(args, where: str) -> None:
    from django.core.management import call_command
    from django.db import connection

    rng = random.Random(args.seed)
    print(f"Ledger benchmark: {args.entries:,} entries, {args.members:,} members, {where}")
    t, _ = timed(lambda: call_command("migrate", verbosity=0))
    print(f"  migrate: {t:.1f} s")

    from timebank.models import Account, Timebank

    timebank = Timebank.get_default()
    if args.throughput_only:
        measure_throughput(args, timebank)
        return
    accounts = open_member_accounts(timebank, args.members)
    print(f"  opened {len(accounts):,} member accounts")

    # A small ledger first, to compare the statement read against the big one:
    # 50 members with a full first page (20+ entries each) before the bulk.
    sample = rng.sample(accounts, 50)
    post_transfers(timebank, sample, 800, rng)
    small_entries = entry_count()
    small = measure_statement(sample)
    print(
        f"  statement read at {small_entries:,} entries: median {small['median_ms']:.2f} ms, "
        f"p95 {small['p95_ms']:.2f} ms ({small['queries']} queries)"
    )

    t, built = timed(lambda: bulk_build(timebank, accounts, args.entries - small_entries, rng))
    total = entry_count()
    print(f"  bulk-built {built:,} entries in {t:.1f} s ({built / t:,.0f} entries/s); ledger now {total:,} entries")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    big = measure_statement(sample)
    print(
        f"  statement read at {total:,} entries: median {big['median_ms']:.2f} ms, "
        f"p95 {big['p95_ms']:.2f} ms ({big['queries']} queries)"
    )
    print(f"  statement plan: {statement_plan(sample[0])}")

    cpu_started = time.process_time()
    t, (posted, refused) = timed(lambda: post_transfers(timebank, accounts, args.transfers, rng))
    cpu_ms = (time.process_time() - cpu_started) * 1000 / (posted + refused)
    # The machine is shared: this process's own CPU per transfer shows what
    # one free core would allow, whatever else is running.
    print(
        f"  transfer_post: {posted + refused:,} exchange transfers in {t:.2f} s = "
        f"{(posted + refused) / t:,.0f} transfers/s ({refused} refused by limits); "
        f"client CPU {cpu_ms:.2f} ms/transfer (ceiling {1000 / cpu_ms:,.0f}/s on a free core)"
    )

    exchange_rates = post_exchanges(timebank, args.exchanges, rng)
    if exchange_rates:
        print(
            f"  exchanges (propose, accept, record, confirm): {exchange_rates['lifecycle_per_s']:,.0f} exchanges/s; "
            f"exchange_confirm (posts the transfer): {exchange_rates['confirm_per_s']:,.0f}/s"
        )
    else:
        print("  exchanges: timebank.services.exchanges.exchange_confirm not available, skipped")

    measure_throughput(args, timebank)

    from timebank.management.commands.ledger_check import check_ledger

    t, report = timed(lambda: check_ledger())
    print(
        f"  ledger_check: {report.entries:,} entries, {report.transfers:,} transfers, {report.accounts:,} "
        f"accounts in {t:.2f} s: {'OK' if report.ok else 'PROBLEMS'}"
    )
    if not report.ok:
        for problem in report.problems[:10]:
            print(f"    {problem}")
        raise SystemExit(1)
    assert Account.objects.filter(timebank=timebank).count() >= args.members


def measure_throughput(args, timebank) -> None:
    """transfers/s through timebank.ledger.transfer_post with 1 and 4 threads over
    a small pool of accounts (contended, as a busy timebank is), and on PostgreSQL
    the database's own ceiling for the same transaction shape, measured by pgbench
    in the same run, with the ratio between them (docs/quality.md P9)."""
    from django.db import connection

    from timebank.management.commands.ledger_check import check_ledger

    accounts = open_member_accounts(timebank, args.throughput_accounts, unlimited=True, label="Throughput")
    print(
        f"  transfers/s over {len(accounts)} accounts, {args.throughput_seconds:.0f} s each "
        f"(load average {os.getloadavg()[0]:.2f} before):"
    )
    rates = {}
    for threads in (1, 4):
        result = service_rate(timebank, accounts, threads, args.throughput_seconds, args.seed)
        rates[threads] = result["per_s"]
        print(
            f"    transfer_post, {threads} thread{'s' if threads > 1 else ''}: {result['per_s']:,.0f} transfers/s, "
            f"p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
            f"Python CPU {result['cpu_ms']:.2f} ms/transfer, {result['errors']} errors"
        )
    if connection.vendor == "postgresql":
        ceiling = pgbench_ceiling(timebank, args.throughput_accounts, clients=4, seconds=args.throughput_seconds)
        if ceiling is None:
            print("    pgbench: not found on PATH (PostgreSQL's client package), no ceiling measured")
        else:
            print(
                f"    pgbench, same transaction shape, 4 clients: {ceiling:,.0f} transfers/s; "
                f"transfer_post with 4 threads is {rates[4] / ceiling:.2f} of it"
            )
    report = check_ledger()
    print(f"    ledger_check after the runs: {'OK' if report.ok else 'PROBLEMS'}")
    if not report.ok:
        for problem in report.problems[:10]:
            print(f"      {problem}")
        raise SystemExit(1)


def service_rate(timebank, accounts, threads: int, seconds: float, seed: int) -> dict:
    import threading

    from django.db import connection

    from timebank import ledger
    from timebank.models import TransferKind

    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    stop_at = time.perf_counter() + seconds

    def work(n: int) -> None:
        rng = random.Random(seed * 100 + n)
        mine = latencies[n]
        try:
            while time.perf_counter() < stop_at:
                payer, payee = rng.sample(accounts, 2)
                minutes = rng.randint(15, 180)
                started = time.perf_counter()
                try:
                    ledger.transfer_post(
                        timebank=timebank,
                        kind=TransferKind.EXCHANGE,
                        legs=[ledger.Leg(payer, -minutes), ledger.Leg(payee, minutes)],
                        memo="Bench exchange",
                    )
                except Exception:  # counted and printed; the run goes on
                    errors[n] += 1
                mine.append(time.perf_counter() - started)
        finally:
            connection.close()

    cpu_started = time.process_time()
    wall_started = time.perf_counter()
    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    wall = time.perf_counter() - wall_started
    cpu = time.process_time() - cpu_started
    every = sorted(x for per_thread in latencies for x in per_thread)
    done = len(every)
    return {
        "per_s": (done - sum(errors)) / wall,
        "p50_ms": every[done // 2] * 1000 if done else 0.0,
        "p95_ms": every[min(done - 1, int(done * 0.95))] * 1000 if done else 0.0,
        "cpu_ms": cpu * 1000 / max(done, 1),
        "errors": sum(errors),
    }


# The transaction transfer_post makes, as plain SQL for pgbench: lock two accounts
# in id order, update both, insert a header and two entries.
PGBENCH_SCRIPT = """\\set x random(0, :n - 1)
\\set y random(0, :n - 2)
\\set y case when :y >= :x then :y + 1 else :y end
\\set lo :base + least(:x, :y)
\\set hi :base + greatest(:x, :y)
\\set m random(15, 180)
BEGIN;
SELECT id, balance FROM timebank_account WHERE id IN (:lo, :hi) ORDER BY id FOR NO KEY UPDATE;
UPDATE timebank_account SET balance = balance - :m WHERE id = :lo RETURNING balance AS blo \\gset
UPDATE timebank_account SET balance = balance + :m WHERE id = :hi RETURNING balance AS bhi \\gset
WITH t AS (INSERT INTO timebank_transfer (public_id, timebank_id, kind, memo, created_at)
    VALUES (gen_random_uuid(), :tb, 'exchange', 'pgbench', now()) RETURNING id)
INSERT INTO timebank_entry (transfer_id, account_id, minutes, balance_after, created_at)
    SELECT t.id, v.a, v.mm, v.b, now() FROM t, (VALUES (:lo, -:m, :blo), (:hi, :m, :bhi)) AS v(a, mm, b);
END;
"""


def pgbench_ceiling(timebank, count: int, *, clients: int, seconds: float) -> float | None:
    """PostgreSQL's own rate for transfer_post's transaction shape, by pgbench, on
    accounts of their own with ids in one run (so the script can pick two)."""
    import re
    import shutil
    import subprocess
    import tempfile

    from django.db import connection

    if shutil.which("pgbench") is None:
        return None
    accounts = open_member_accounts(timebank, count, unlimited=True, label="pgbench")
    ids = sorted(a.pk for a in accounts)
    if ids[-1] - ids[0] != len(ids) - 1:
        raise SystemExit("pgbench needs accounts with consecutive ids")
    settings = connection.settings_dict
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SCRIPT)
    command = [
        "pgbench", "-n", "-h", settings["HOST"] or "127.0.0.1", "-p", str(settings["PORT"] or 5432),
        "-U", settings["USER"] or "postgres", "-c", str(clients), "-j", str(clients), "-T", str(int(seconds)),
        "-D", f"n={len(ids)}", "-D", f"base={ids[0]}", "-D", f"tb={timebank.pk}", "-f", script.name,
        settings["NAME"],
    ]  # fmt: skip
    env = {**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""}
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    os.unlink(script.name)
    found = re.search(r"tps = ([0-9.]+)", result.stdout)
    if result.returncode != 0 or not found:
        raise SystemExit(f"pgbench failed: {result.stderr.strip()[:500]}")
    return float(found.group(1))


def open_member_accounts(timebank, count: int, *, unlimited: bool = False, label: str = "Bench") -> list:
    from timebank.models import Account, AccountKind, Member, MemberStatus

    members = Member.objects.bulk_create(
        [
            Member(timebank=timebank, display_name=f"{label} member {i}", status=MemberStatus.ACTIVE, postcode="RG1")
            for i in range(count)
        ],
        batch_size=1000,
    )
    return Account.objects.bulk_create(
        [
            Account(
                timebank=timebank,
                kind=AccountKind.MEMBER,
                member=member,
                name=member.display_name,
                # Unlimited for the transfers/s runs: a random walk would soon reach a
                # limit and measure refusals instead of postings.
                min_balance=None if unlimited else timebank.default_min_balance,
                max_balance=None if unlimited else timebank.default_max_balance,
            )
            for member in members
        ],
        batch_size=1000,
    )


def entry_count() -> int:
    from timebank.models import Entry

    return Entry.objects.count()


def post_transfers(timebank, accounts, count: int, rng) -> tuple[int, int]:
    from timebank import ledger
    from timebank.models import TransferKind

    posted = refused = 0
    for _ in range(count):
        payer, payee = rng.sample(accounts, 2)
        minutes = rng.randint(15, 180)
        try:
            ledger.transfer_post(
                timebank=timebank,
                kind=TransferKind.EXCHANGE,
                legs=[ledger.Leg(payer, -minutes), ledger.Leg(payee, minutes)],
                memo="Bench exchange",
            )
            posted += 1
        except ledger.LimitExceededError:
            refused += 1
    return posted, refused


def bulk_build(timebank, accounts, entries: int, rng, batch_transfers: int = 20_000, stamp=None) -> int:
    """Append balanced two-entry transfers in bulk, keeping every invariant.

    Plain multi-row INSERTs (executemany) rather than model instances: a
    million ORM objects would measure Python, not the ledger.

    `stamp`, if given, is called once per batch with its transfers' (payer
    account id, payee account id) pairs and returns each one's (recorded at,
    exchange id or None): bench/reports.py spreads the ledger over a year of
    exchanges that way. Without it every transfer is recorded now, with no exchange."""
    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from timebank.models import Account, Transfer, TransferKind

    fresh = {a.pk: a for a in Account.objects.filter(pk__in=[a.pk for a in accounts])}
    balances = {pk: account.balance for pk, account in fresh.items()}
    limits = {pk: (account.min_balance, account.max_balance) for pk, account in fresh.items()}
    ids = list(balances)
    public_id_field = Transfer._meta.get_field("public_id")
    created_at_field = Transfer._meta.get_field("created_at")
    next_transfer_id = (Transfer.objects.aggregate(top=Max("id"))["top"] or 0) + 1

    def fits(pk: int, minutes: int) -> bool:
        low, high = limits[pk]
        new = balances[pk] + minutes
        return (low is None or new >= low) and (high is None or new <= high)

    written = 0
    while written < entries:
        transfer_rows, entry_rows = [], []
        now = created_at_field.get_db_prep_value(timezone.now(), connection)
        while len(transfer_rows) < min(batch_transfers, (entries - written) // 2):
            payer, payee = rng.sample(ids, 2)
            minutes = rng.randint(15, 180)
            if not (fits(payer, -minutes) and fits(payee, minutes)):
                payer, payee = payee, payer
                if not (fits(payer, -minutes) and fits(payee, minutes)):
                    continue
            balances[payer] -= minutes
            balances[payee] += minutes
            transfer_id = next_transfer_id
            next_transfer_id += 1
            transfer_rows.append(
                (
                    transfer_id,
                    public_id_field.get_db_prep_value(uuid.uuid4(), connection),
                    timebank.pk,
                    TransferKind.EXCHANGE,
                    "Bench history",
                    now,
                    None,
                )
            )
            # In generation order, so entry ids follow each account's running balance.
            entry_rows.append((transfer_id, payer, -minutes, balances[payer], now))
            entry_rows.append((transfer_id, payee, minutes, balances[payee], now))
        if not transfer_rows:
            break
        if stamp is not None:
            pairs = [(entry_rows[2 * i][1], entry_rows[2 * i + 1][1]) for i in range(len(transfer_rows))]
            for i, (recorded_at, exchange_id) in enumerate(stamp(pairs)):
                at = created_at_field.get_db_prep_value(recorded_at, connection)
                transfer_rows[i] = (*transfer_rows[i][:5], at, exchange_id)
                entry_rows[2 * i] = (*entry_rows[2 * i][:4], at)
                entry_rows[2 * i + 1] = (*entry_rows[2 * i + 1][:4], at)
        # Why atomic: a batch of transfers and their entries commit together
        # (on PostgreSQL the sum-to-zero trigger checks them at this COMMIT).
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO timebank_transfer (id, public_id, timebank_id, kind, memo, created_at, exchange_id) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                transfer_rows,
            )
            cursor.executemany(
                "INSERT INTO timebank_entry (transfer_id, account_id, minutes, balance_after, created_at) "
                "VALUES (%s, %s, %s, %s, %s)",
                entry_rows,
            )
        written += len(entry_rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('timebank_transfer', 'id'), "
                "(SELECT MAX(id) FROM timebank_transfer))"
            )
    # The cached balances, once, from the running totals kept above (the bench
    # database has no other writer meanwhile); ledger_check verifies them later.
    changed = []
    for pk, balance in balances.items():
        if fresh[pk].balance != balance:
            fresh[pk].balance = balance
            changed.append(fresh[pk])
    with transaction.atomic():
        Account.objects.bulk_update(changed, ["balance"], batch_size=200)
    return written


def statement_queries(account_pk: int):
    from timebank.models import Account, Entry

    return (
        Account.objects.only("balance", "name").get(pk=account_pk),
        Entry.objects.filter(account_id=account_pk).select_related("transfer").order_by("-id")[:STATEMENT_PAGE_SIZE],
    )


def measure_statement(sample) -> dict:
    """A member's balance and first statement page, as the 'my hours' page reads them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    rounds = 5
    with CaptureQueriesContext(connection) as captured:
        for _ in range(rounds):
            for account in sample:
                started = time.perf_counter()
                balance_row, page = statement_queries(account.pk)
                rows = list(page)
                timings.append((time.perf_counter() - started) * 1000)
                assert len(rows) <= STATEMENT_PAGE_SIZE
                assert balance_row.balance == (rows[0].balance_after if rows else 0)
    timings.sort()
    return {
        "median_ms": statistics.median(timings),
        "p95_ms": timings[int(len(timings) * 0.95) - 1],
        "queries": len(captured.captured_queries) // (rounds * len(sample)),
    }


def statement_plan(account) -> str:
    _, page = statement_queries(account.pk)
    plan = page.explain()
    return " | ".join(line.strip() for line in plan.splitlines())


def post_exchanges(timebank, count: int, rng) -> dict | None:
    try:
        from timebank.services import exchanges
    except ImportError:
        return None
    if not hasattr(exchanges, "exchange_confirm"):
        return None
    from timebank import ledger
    from timebank.models import Member, MemberStatus, User

    people = []
    for i in range(20):
        user = User.objects.create_user(username=f"bench-person-{i}", password=None)
        member = Member.objects.create(
            timebank=timebank, user=user, display_name=f"Bench person {i}", status=MemberStatus.ACTIVE
        )
        # No limits: the figure is the posting rate, not how often a random walk hits a limit.
        ledger.account_set_limits(account=ledger.account_for_member(member=member), min_balance=None, max_balance=None)
        people.append(member)
    lifecycle = confirm = 0.0
    for _ in range(count):
        provider, receiver = rng.sample(people, 2)
        minutes = rng.choice([30, 60, 90, 120])
        started = time.perf_counter()
        exchange = exchanges.exchange_propose(
            timebank=timebank, provider=provider, receivers=[receiver], by_user=provider.user
        )
        exchange = exchanges.exchange_accept(exchange=exchange, by_user=receiver.user)
        exchange = exchanges.exchange_record(exchange=exchange, by_user=provider.user, minutes=minutes)
        before_confirm = time.perf_counter()
        exchanges.exchange_confirm(exchange=exchange, by_user=receiver.user)
        ended = time.perf_counter()
        lifecycle += ended - started
        confirm += ended - before_confirm
    return {"lifecycle_per_s": count / lifecycle, "confirm_per_s": count / confirm}


if __name__ == "__main__":
    main()
