"""Benchmark: match suggestions among 100,000 members (docs/quality.md P6: <= 50 ms)
and each brokering report over 1,000,000 ledger entries.

Builds its own database (never db.sqlite3): SQLite at /tmp/bench-matching.sqlite3
by default, or with --postgres a PostgreSQL database `bench_matching` on
DATABASE_URL's server, created and dropped by the script. Rows are written
with bulk_create; the ledger is built as balanced two-entry exchange
transfers whose running balances (balance_after) and cached account balances
are computed as they go, so `ledger_check`-style invariants hold.

    .venv/bin/python bench/matching.py            # full size (about 10-15 minutes)
    .venv/bin/python bench/matching.py --quick    # a tenth of the size, under 2 minutes
    .venv/bin/python bench/matching.py --postgres # the same on PostgreSQL
    .venv/bin/python bench/matching.py --suggestions-only  # no ledger, no reports: P6 alone, faster
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CENTRE = (51.4563, -0.9855)  # Reading
SPREAD_DEG = 0.3  # members spread over about 65 x 40 km
BATCH = 5000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tenth of the size")
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL (DATABASE_URL's server)")
    parser.add_argument("--samples", type=int, default=300, help="requests to time")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="time against the database a --keep run left")
    parser.add_argument(
        "--suggestions-only",
        action="store_true",
        help="skip the ledger build and the reports: time match suggestions alone",
    )
    return parser.parse_args()


def configure(args) -> str:
    os.environ["DEBUG"] = "false"
    os.environ["TIMECOMMONS_TESTING"] = "1"  # a secret key without production checks; nothing else changes
    os.environ["AXES_ENABLED"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if args.postgres:
        import psycopg

        base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        server = base.rsplit("/", 1)[0]
        if not args.reuse:
            with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS bench_matching")
                conn.execute("CREATE DATABASE bench_matching")
        os.environ["DATABASE_URL"] = f"{server}/bench_matching"
        os.environ["DB_STATEMENT_TIMEOUT_MS"] = "600000"
        return server
    os.environ.pop("DATABASE_URL", None)
    path = Path("/tmp/bench-matching.sqlite3")
    if not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.environ["SQLITE_PATH"] = str(path)
    return str(path)


def drop(args, server: str) -> None:
    from django.db import connections

    connections.close_all()
    if args.keep:
        return
    if args.postgres:
        import psycopg

        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS bench_matching")
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{server}{suffix}").unlink(missing_ok=True)


def build_people(n_members: int, n_listings: int, rng: random.Random):
    from django.utils import timezone

    from timebank.models import (
        Account,
        AccountKind,
        Category,
        CategoryRestriction,
        Exchange,
        Listing,
        Member,
        SafeguardingCheck,
        Timebank,
    )

    timebank = Timebank.get_default()
    categories = list(Category.objects.filter(timebank=timebank))
    now = timezone.now()
    today = timezone.localdate()

    started = time.perf_counter()
    members = [
        Member(
            timebank=timebank,
            display_name=f"Member {i}",
            postcode="RG1",
            postcode_district="RG1",
            latitude=CENTRE[0] + rng.uniform(-SPREAD_DEG, SPREAD_DEG) * 0.6,
            longitude=CENTRE[1] + rng.uniform(-SPREAD_DEG, SPREAD_DEG),
            travel_radius_km=rng.choice([1, 2, 3, 3, 5, 5, 8, 10]),
            availability=rng.getrandbits(21) & rng.getrandbits(21),
            status="active" if rng.random() < 0.92 else rng.choice(["paused", "applied", "left"]),
        )
        for i in range(n_members)
    ]
    Member.objects.bulk_create(members, batch_size=BATCH)
    members = list(Member.objects.order_by("pk").only("pk", "timebank_id", "latitude", "longitude"))
    Account.objects.bulk_create(
        [
            Account(
                timebank=timebank,
                kind=AccountKind.MEMBER,
                member_id=m.pk,
                name=f"Member {i}",
                min_balance=timebank.default_min_balance,
            )
            for i, m in enumerate(members)
        ],
        batch_size=BATCH,
    )
    checks = []
    for m in members:
        if rng.random() < 0.3:
            expires = today + datetime.timedelta(days=rng.randint(-200, 900))
            checks.append(
                SafeguardingCheck(
                    member_id=m.pk,
                    kind="dbs-enhanced",
                    reference_number="0012",
                    checked_on=min(today, expires) - datetime.timedelta(days=400),
                    expires_on=expires,
                )
            )
        if rng.random() < 0.4:
            checks.append(
                SafeguardingCheck(
                    member_id=m.pk,
                    kind="reference",
                    referee_name="Neighbour",
                    checked_on=today - datetime.timedelta(days=100),
                )
            )
    SafeguardingCheck.objects.bulk_create(checks, batch_size=BATCH)
    CategoryRestriction.objects.bulk_create(
        [
            CategoryRestriction(member_id=m.pk, category=rng.choice(categories))
            for m in rng.sample(members, len(members) // 100)
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    wheres = ["home"] * 4 + ["public"] * 4 + ["phone", "online"]
    listings = []
    for i in range(n_listings):
        owner = rng.choice(members)
        listings.append(
            Listing(
                timebank=timebank,
                member_id=owner.pk,
                # Each listing carries its owner's place, as listing_create copies it.
                latitude=owner.latitude,
                longitude=owner.longitude,
                kind="offer" if i % 2 == 0 else "request",
                category=rng.choice(categories),
                title=f"Listing {i}",
                where=rng.choice(wheres),
                status="open" if rng.random() < 0.85 else "closed",
                expires_on=today + datetime.timedelta(days=rng.randint(-10, 90)),
            )
        )
    Listing.objects.bulk_create(listings, batch_size=BATCH)
    # Some helpers are busy: open and finished exchanges for reliability and the cap.
    statuses = ["proposed", "accepted", "posted", "posted", "cancelled"]
    busy = [
        Exchange(
            timebank=timebank,
            provider_id=rng.choice(members).pk,
            status=rng.choice(statuses),
            done_at=now - datetime.timedelta(days=rng.randint(1, 200)),
        )
        for _ in range(n_members // 2)
    ]
    Exchange.objects.bulk_create(busy, batch_size=BATCH)
    return timebank, time.perf_counter() - started


def build_ledger(timebank, n_entries: int, rng: random.Random):
    """n_entries / 2 exchange transfers of two entries each, spread over two
    years, each with an exchange row pointing at an offer listing."""
    import time_machine
    from django.db import transaction
    from django.utils import timezone

    from timebank.models import Account, Entry, Exchange, ExchangeReceiver, Listing, Transfer

    started = time.perf_counter()
    accounts = list(
        Account.objects.filter(timebank=timebank, kind="member").values_list("pk", "member_id", "min_balance")
    )
    offers = list(Listing.objects.filter(kind="offer").values_list("pk", "member_id")[:50000])
    balance = {pk: 0 for pk, _, _ in accounts}
    floor = {pk: low for pk, _, low in accounts}
    account_of_member = {member_id: pk for pk, member_id, _ in accounts}
    n_transfers = n_entries // 2
    weeks = 104
    per_week = -(-n_transfers // weeks)
    start = timezone.now() - datetime.timedelta(weeks=weeks)
    member_of_account = {pk: member_id for pk, member_id, _ in accounts}
    made = 0
    week = 0
    while made < n_transfers:
        moment = start + datetime.timedelta(weeks=week, hours=rng.randint(0, 150))
        count = min(per_week, n_transfers - made)
        with time_machine.travel(moment, tick=False), transaction.atomic():
            exchanges, pairs = [], []
            for _ in range(count):
                listing_id, provider_member = rng.choice(offers)
                provider = account_of_member[provider_member]
                receiver = rng.choice(accounts)[0]
                while receiver == provider:
                    receiver = rng.choice(accounts)[0]
                minutes = rng.choice([30, 60, 60, 90, 120])
                if balance[receiver] - minutes < floor[receiver]:
                    # Keep every account within its limit: the richer one receives instead.
                    provider, receiver = receiver, provider
                    if balance[receiver] - minutes < floor[receiver]:
                        continue
                balance[provider] += minutes
                balance[receiver] -= minutes
                pairs.append((provider, receiver, minutes, balance[provider], balance[receiver]))
                exchanges.append(
                    Exchange(
                        timebank=timebank,
                        listing_id=listing_id,
                        provider_id=provider_member,
                        status="posted",
                        minutes=minutes,
                        done_at=moment,
                        posted_at=moment,
                    )
                )
            Exchange.objects.bulk_create(exchanges, batch_size=BATCH)
            ExchangeReceiver.objects.bulk_create(
                [ExchangeReceiver(exchange=e, member_id=member_of_account[p[1]]) for e, p in zip(exchanges, pairs)],
                batch_size=BATCH,
            )
            transfers = Transfer.objects.bulk_create(
                [Transfer(timebank=timebank, kind="exchange", exchange=e) for e in exchanges], batch_size=BATCH
            )
            Entry.objects.bulk_create(
                [
                    entry
                    for t, (provider, receiver, minutes, after_p, after_r) in zip(transfers, pairs)
                    for entry in (
                        Entry(transfer=t, account_id=provider, minutes=minutes, balance_after=after_p),
                        Entry(transfer=t, account_id=receiver, minutes=-minutes, balance_after=after_r),
                    )
                ],
                batch_size=BATCH,
            )
        made += count
        week += 1
    with transaction.atomic():
        for pk, value in balance.items():
            if value:
                Account.objects.filter(pk=pk).update(balance=value)
    # First and last exchange times feed the workbench and the join-to-first figure.
    from django.db.models import OuterRef, Subquery

    from timebank.models import Member

    mine = Entry.objects.filter(account__member_id=OuterRef("pk"))
    Member.objects.update(
        first_exchange_at=Subquery(mine.order_by("pk").values("created_at")[:1]),
        last_exchange_at=Subquery(mine.order_by("-pk").values("created_at")[:1]),
        approved_at=Subquery(mine.order_by("pk").values("created_at")[:1]),
    )
    return Entry.objects.count(), time.perf_counter() - started


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_suggestions(samples: int, rng: random.Random):
    from brokering.selectors.matching import suggest_helpers
    from brokering.selectors.workbench import open_requests
    from timebank.models import Listing, Timebank

    ids = list(Listing.objects.filter(kind="request", status="open").values_list("pk", flat=True))
    chosen = rng.sample(ids, min(samples, len(ids)))
    times, found = [], []
    for pk in chosen:
        request = Listing.objects.select_related("member", "category", "timebank").get(pk=pk)
        started = time.perf_counter()
        suggestions = suggest_helpers(request=request)
        times.append((time.perf_counter() - started) * 1000)
        found.append(len(suggestions))
    bench = []
    for _ in range(10):
        started = time.perf_counter()
        open_requests(timebank=Timebank.get_default())
        bench.append((time.perf_counter() - started) * 1000)
    return times, found, bench


def time_reports():
    from django.utils import timezone

    from brokering.selectors.reports import REPORTS, Period, report_build
    from timebank.models import Timebank

    timebank = Timebank.get_default()
    today = timezone.localdate()
    periods = {
        "1 year": Period(today - datetime.timedelta(days=365), today),
        "2 years": Period(today - datetime.timedelta(days=730), today),
    }
    results = []
    for label, period in periods.items():
        for slug in REPORTS:
            started = time.perf_counter()
            report_build(slug=slug, timebank=timebank, period=period)
            results.append((slug, label, (time.perf_counter() - started) * 1000))
    return results


def main():
    args = parse_args()
    scale = 0.1 if args.quick else 1.0
    n_members, n_listings, n_entries = int(100_000 * scale), int(200_000 * scale), int(1_000_000 * scale)
    server = configure(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        rng = random.Random(5)
        if not args.reuse:
            call_command("migrate", verbosity=0)
            timebank, people_s = build_people(n_members, n_listings, rng)
            print(
                f"database: {connection.vendor}; built {n_members:,} members, {n_listings:,} listings "
                f"in {people_s:.0f} s"
            )
            if not args.suggestions_only:
                entries, ledger_s = build_ledger(timebank, n_entries, rng)
                print(f"built {entries:,} ledger entries in {ledger_s:.0f} s")
            # Fresh statistics, as a live database would have, so the planner uses the indexes.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        from timebank.models import Entry, Listing, Member

        print(
            f"database: {connection.vendor}; {Member.objects.count():,} members, "
            f"{Listing.objects.count():,} listings, {Entry.objects.count():,} ledger entries"
        )
        times, found, workbench_ms = time_suggestions(args.samples, rng)
        print(
            f"suggest_helpers over {len(times)} random open requests: median {statistics.median(times):.1f} ms, "
            f"p95 {percentile(times, 0.95):.1f} ms, max {max(times):.1f} ms "
            f"(median {statistics.median(found):.0f} suggestions returned)"
        )
        print(f"workbench open requests (25 requests + top 3 each): median {statistics.median(workbench_ms):.1f} ms")
        for slug, label, ms in [] if args.suggestions_only else time_reports():
            print(f"report {slug:<18} {label:<8} {ms:8.0f} ms")
    finally:
        drop(args, server)


if __name__ == "__main__":
    main()
