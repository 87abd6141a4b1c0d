"""Benchmark: directory search over 100,000 services (docs/quality.md P1).

Builds its own database: a SQLite file (/tmp/bench-search.sqlite3, never
db.sqlite3) or, with --database-url, a PostgreSQL database created next to
the one named and dropped afterwards. 100,000 services, each with one location
and one category; half spread over every GB postcode district, a quarter around
Reading and a quarter around Hackney, so the 2, 5 and 25 km searches there see
dense, realistic counts. Prints p50/p95 of `asset_search` (one category, 20 per
page) at 2, 5 and 25 km, at 5 km with no category, and of the /directory/ page.
Runs with DEBUG off (the test settings), as a server would.

    .venv/bin/python bench/search.py                  # 100,000 services on SQLite
    .venv/bin/python bench/search.py --quick          # 10,000 services
    .venv/bin/python bench/search.py --database-url postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/search.py --quick --explain   # also print the 5 km query plan
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
BATCH = 5000
HOTSPOTS = [(51.4563, -0.9855), (51.5466, -0.0740)]  # Reading, Hackney
SQLITE_PATH = Path("/tmp/bench-search.sqlite3")


def _admin_url(url: str) -> str:
    return urlunparse(urlparse(url)._replace(path="/postgres"))


def configure(database_url: str | None) -> tuple[str, str | None]:
    """Point Django at a fresh database of the bench's own; returns (where, PostgreSQL name)."""
    os.environ["AXES_ENABLED"] = "false"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
    pg_name = None
    if database_url:
        import psycopg

        pg_name = f"bench_search_{os.getpid()}"
        with psycopg.connect(_admin_url(database_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        os.environ["DATABASE_URL"] = urlunparse(urlparse(database_url)._replace(path=f"/{pg_name}"))
        where = f"PostgreSQL database {pg_name}"
    else:
        os.environ.pop("DATABASE_URL", None)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        os.environ["SQLITE_PATH"] = str(SQLITE_PATH)
        where = f"SQLite {SQLITE_PATH}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return where, pg_name


def cleanup(database_url: str | None, pg_name: str | None) -> None:
    from django.db import connections

    connections.close_all()
    if pg_name:
        import psycopg

        with psycopg.connect(_admin_url(database_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)


def build(total: int) -> None:
    from django.db import transaction

    from assets.models import Location, Organisation, Service, ServiceAtLocation, ServiceAttribute, TaxonomyTerm
    from core.places.geocoding import _tables

    rng = random.Random(42)
    outcodes = list(_tables().outcodes.values())
    terms = list(TaxonomyTerm.objects.values_list("id", flat=True))
    orgs = [Organisation(name=f"Organisation {n}") for n in range(1000)]
    Organisation.objects.bulk_create(orgs)
    for start in range(0, total, BATCH):
        services, locations, sals, attributes = [], [], [], []
        for n in range(start, min(total, start + BATCH)):
            if n % 4 == 0:
                lat, lng = HOTSPOTS[0]
                lat, lng = lat + rng.uniform(-0.3, 0.3), lng + rng.uniform(-0.45, 0.45)
            elif n % 4 == 1:
                lat, lng = HOTSPOTS[1]
                lat, lng = lat + rng.uniform(-0.3, 0.3), lng + rng.uniform(-0.45, 0.45)
            else:
                lat, lng = rng.choice(outcodes)
                lat, lng = lat + rng.uniform(-0.02, 0.02), lng + rng.uniform(-0.03, 0.03)
            service = Service(
                id=uuid.UUID(int=rng.getrandbits(128)),
                organisation=orgs[n % 1000],
                name=f"Service {n}",
                description="Tea, chat and a warm welcome.",
            )
            location = Location(
                id=uuid.UUID(int=rng.getrandbits(128)),
                name=f"Hall {n}",
                latitude=lat,
                longitude=lng,
                step_free_access=n % 3 == 0,
            )
            services.append(service)
            locations.append(location)
            sals.append(ServiceAtLocation(service=service, location=location))
            attributes.append(ServiceAttribute(service=service, taxonomy_term_id=terms[n % len(terms)]))
        with transaction.atomic():
            Service.objects.bulk_create(services)
            Location.objects.bulk_create(locations)
            ServiceAtLocation.objects.bulk_create(sals)
            ServiceAttribute.objects.bulk_create(attributes)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def explain() -> None:
    """The 5 km, one category candidate query's plan, as the database runs it."""
    from assets.selectors import _category_candidates, _search_box, area_prefixes
    from core.places.geocoding import geocode

    origin = geocode(f"{HOTSPOTS[0][0]},{HOTSPOTS[0][1]}")
    lat_range, lng_range, cells = _search_box(origin, 5)
    rows = _category_candidates(
        lat_range=lat_range,
        lng_range=lng_range,
        cells=cells,
        prefixes=area_prefixes(origin.district),
        category="food",
        day=None,
        free_only=False,
        accessibility=(),
    )
    print(rows.explain())


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {p50 * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms"


def timed(fn) -> tuple[float, float, object]:
    """(wall seconds, this process's CPU seconds, result). On a shared machine the CPU
    time shows what the call costs when it is not waiting for a core."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def measure(samples: int) -> None:
    from django.test import Client

    from assets.selectors import asset_search

    rng = random.Random(7)
    points = [
        (h[0] + rng.uniform(-0.05, 0.05), h[1] + rng.uniform(-0.08, 0.08)) for h in HOTSPOTS for _ in range(samples)
    ]
    rng.shuffle(points)
    for radius, category in ((2, "food"), (5, "food"), (25, "food"), (5, None)):
        walls, cpus, counts = [], [], []
        for lat, lng in points[:samples]:
            wall, cpu, page = timed(
                lambda lat=lat, lng=lng, radius=radius, category=category: asset_search(
                    lat=lat, lng=lng, radius_km=radius, category=category, per_page=20
                )
            )
            walls.append(wall)
            cpus.append(cpu)
            counts.append(page.count)
        label = f"asset_search {radius:>2} km, {'one category' if category else 'any category '}"
        median = int(statistics.median(counts))
        print(f"{label}: wall {percentiles(walls)} | CPU {percentiles(cpus)}   (median {median} matches)")
    client = Client()
    walls, cpus = [], []
    for n in range(samples):
        params = {"near": "RG1 7QE" if n % 2 else "E8", "radius": 3, "category": "food"}
        wall, cpu, response = timed(lambda params=params: client.get("/directory/", params))
        walls.append(wall)
        cpus.append(cpu)
        assert response.status_code == 200
    print(f"results page /directory/ (3 miles, one category): wall {percentiles(walls)} | CPU {percentiles(cpus)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10,000 services")
    parser.add_argument("--scale", type=int, help="how many services to build (default 100,000)")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--database-url", help="a PostgreSQL server: a bench database is created there and dropped")
    parser.add_argument("--explain", action="store_true", help="print the 5 km, one category query plan")
    args = parser.parse_args()
    where, pg_name = configure(args.database_url)
    try:
        total = args.scale or (10_000 if args.quick else 100_000)
        started = time.perf_counter()
        build(total)
        print(f"Built {total:,} services in {time.perf_counter() - started:.0f} s ({where})")
        if args.explain:
            explain()
        measure(args.samples)
    finally:
        cleanup(args.database_url, pg_name)


if __name__ == "__main__":
    main()
