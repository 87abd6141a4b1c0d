"""Benchmark: Open Referral UK import (docs/quality.md P8 and P11: 10,000 services
<= 30 s, memory flat).

Default mode (issue 13): a v1 feed as councils publish it, served by a mock HTTP
server on 127.0.0.1 (ThreadingHTTPServer in a thread of a child process, so its
own CPU is not counted as the importer's; list pages of 50 summaries; each service's
detail at /services/{id} with an HTML description, a location with a real
postcode district and NO coordinates, a schedule and a category). It is imported
with the real importer through the outbound guard (core/netguard.py), so every
detail is fetched over HTTP; then imported again (all unchanged). Half the unit
postcodes are in the PostcodePoint table (placed exactly), the rest are placed at
their district's centre, and 1 in 100 is in no district (cannot be placed).
The two timed runs are not traced (tracemalloc makes Python about three times
slower); a third, traced, run re-imports the feed once more and samples the peak
of Python's traced memory after 1,000 records and at the end: flat means the two
are about equal. `--trace` traces the two timed runs instead (the creating import's
memory; its times are then not comparable with P8).

The guard is opened only here, only for loopback and only for this server's port:
`ALLOW_LOOPBACK_FOR_TESTS` is set in this process and the session allows one
port; production code and settings are untouched.

`--ndjson` keeps the earlier mode: a 3.0 ndjson file of N fully nested services
with coordinates, imported with `manage.py import_openreferral`, re-imported, then
exported (peak memory for 1/10 and all of the rows).

Builds its own SQLite database (/tmp/bench-import.sqlite3, never db.sqlite3).

    .venv/bin/python bench/import.py              # 10,000 services from a mock v1 feed
    .venv/bin/python bench/import.py --quick      # 1,000 services
    .venv/bin/python bench/import.py --ndjson     # the 3.0 ndjson file mode
"""

import argparse
import csv
import io
import json
import os
import sys
import threading
import time
import tracemalloc
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def configure() -> Path:
    os.environ["DEBUG"] = "true"
    os.environ["AXES_ENABLED"] = "false"
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    path = Path("/tmp/bench-import.sqlite3")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.environ["SQLITE_PATH"] = str(path)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return path


def record(n: int) -> dict:
    ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench:{n}:{k}")) for k in range(8)]
    return {
        "id": ids[0],
        "name": f"Service {n}",
        "description": "Tea and a chat.",
        "status": "active",
        "fees": "Free",
        "last_modified": "2025-01-01T00:00:00Z",
        "assured_date": "2025-01-01",
        "organization": {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-org:{n % 500}")),
            "name": f"Org {n % 500}",
            "description": "",
        },
        "schedules": [{"id": ids[1], "freq": "WEEKLY", "byday": "TU", "opens_at": "10:00:00", "closes_at": "12:00:00"}],
        "service_areas": [{"id": ids[2], "name": "RG1", "extent": "RG1", "extent_type": "postcode"}],
        "service_at_locations": [
            {
                "id": ids[3],
                "location": {
                    "id": ids[4],
                    "location_type": "physical",
                    "name": f"Hall {n}",
                    "latitude": 51.45 + (n % 100) / 1000,
                    "longitude": -0.97 - (n % 70) / 1000,
                    "addresses": [
                        {
                            "id": ids[5],
                            "address_1": "1 High Street",
                            "city": "Reading",
                            "state_province": "",
                            "postal_code": "RG1 1AA",
                            "country": "GB",
                            "address_type": "physical",
                        }
                    ],
                    "accessibility": [{"id": ids[6], "description": "Step-free access"}],
                },
            }
        ],
        "contacts": [{"id": ids[7], "name": "Sam", "phones": [{"id": ids[7], "number": "0118 000 0000"}]}],
        "attributes": [
            {
                "id": ids[7],
                "link_type": "category",
                "taxonomy_term": {"id": "x", "name": "Food", "description": "", "code": "food"},
            }
        ],
    }


def ndjson_mode(args, total: int, path: Path) -> None:
    from django.core.management import call_command

    from assets.openreferral.export import NDJSON_CHUNK, full_services_queryset
    from assets.openreferral.mapping import service_full_data

    source = Path("/tmp/bench-import.ndjson")
    source.write_text("".join(json.dumps(record(n)) + "\n" for n in range(total)))
    for label in ("first import (creates)", "second import (updates)"):
        # CPU time beside wall time: on a shared machine it shows the import's own cost
        # (SQLite runs in this process, so its work is counted too).
        started, cpu = time.perf_counter(), time.process_time()
        out = io.StringIO()
        call_command("import_openreferral", str(source), "--no-progress", stdout=out)
        print(
            f"{label}: {total:,} services in {time.perf_counter() - started:.1f} s wall, "
            f"{time.process_time() - cpu:.1f} s CPU  [{out.getvalue().strip()}]"
        )

    for limit in () if args.no_export else (total // 10, total):
        tracemalloc.start()
        started = time.perf_counter()
        lines = 0
        sink = io.StringIO()
        for service in full_services_queryset().order_by("id")[:limit].iterator(chunk_size=NDJSON_CHUNK):
            sink.write(json.dumps(service_full_data(service)) + "\n")
            lines += 1
            if sink.tell() > 1_000_000:
                sink = io.StringIO()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"ndjson export of {lines:,} services: {time.perf_counter() - started:.1f} s, "
            f"peak Python memory {peak / 1e6:.1f} MB"
        )
    source.unlink()


# --- The v1 feed mode (default) ----------------------------------------------------------

PER_PAGE = 50
UNPLACEABLE = "ZZ99 9ZZ"  # a well-formed postcode in no district
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CATEGORIES = ("Befriending", "Lunch clubs", "Walking", "Arts and crafts", "Money advice", "Carers", "Music")


def districts() -> list[tuple[str, float, float]]:
    """Real postcode districts and their centres, from the geocoder's shipped table."""
    with open(ROOT / "core/places/data/gb_outcodes.csv", newline="", encoding="utf-8") as handle:
        return [(row["outcode"], float(row["latitude"]), float(row["longitude"])) for row in csv.DictReader(handle)]


def unit_postcode(n: int, table: list[tuple[str, float, float]]) -> str:
    if n % 100 == 99:
        return UNPLACEABLE
    outcode = table[(n * 7) % len(table)][0]
    return f"{outcode} {n % 10}{'ABDEFGHJLNPQRSTUWXYZ'[n % 20]}{'ABDEFGHJLNPQRSTUWXYZ'[(n // 20) % 20]}"


def v1_summary(n: int) -> dict:
    return {
        "id": str(100_000 + n),
        "name": f"Community service {n}",
        "description": f"<p>Service {n}</p>",
        "status": "active",
    }


def v1_detail(n: int, table: list[tuple[str, float, float]]) -> dict:
    org = n % 500
    return {
        **v1_summary(n),
        "description": (
            f"<p>A <strong>friendly</strong> group for older people &amp; carers, number {n}.</p>"
            "<p>What we do:</p><ul><li>Tea &amp; cake</li><li>Board games</li><li>A chat</li></ul>"
            "<p>Everyone is welcome &mdash; just turn up.</p>"
        ),
        "url": f"https://group{n}.example.org",
        "email": f"hello{n}@example.org",
        "fees": "Free" if n % 3 else "£2 a session",
        "organization": {
            "id": str(50_000 + org),
            "name": f"Voluntary organisation {org}",
            "description": "<p>A local <em>charity</em>.</p>",
            "url": f"https://org{org}.example.org",
        },
        "eligibilitys": [{"id": f"el-{n}", "eligibility": "older people", "minimum_age": 60}],
        "regular_schedules": [
            {"id": f"rs-{n}", "weekday": DAYS[n % 7], "opens_at": "10:00", "closes_at": "12:00", "freq": "WEEKLY"}
        ],
        "service_taxonomys": [
            {"id": f"st-{n}", "taxonomy": {"id": f"tx-{n % 7}", "name": CATEGORIES[n % 7], "vocabulary": "Local"}}
        ],
        "contacts": [{"id": f"c-{n}", "name": "Sam", "phones": [{"id": f"p-{n}", "number": "0118 000 0000"}]}],
        "service_at_locations": [
            {
                "id": f"sal-{n}",
                "location": {
                    "id": f"loc-{n}",
                    "name": f"Hall {n}",
                    "description": "<p>Side door, <b>ground floor</b>.</p>",
                    "physical_addresses": [
                        {
                            "id": f"pa-{n}",
                            "address_1": f"{n % 200 + 1} High Street",
                            "postal_code": unit_postcode(n, table),
                        }
                    ],
                    "accessibility_for_disabilities": [{"id": f"a-{n}", "accessibility": "Wheelchair ramp"}],
                },
            }
        ],
    }


def mock_feed(total: int, table: list[tuple[str, float, float]]) -> ThreadingHTTPServer:
    """A v1 feed of `total` services on 127.0.0.1 (a free port), serving in a thread."""
    pages = (total + PER_PAGE - 1) // PER_PAGE

    class Feed(BaseHTTPRequestHandler):
        # Keep-alive, as council web servers do; buffered so that headers and body go in
        # one write (written separately, Nagle's algorithm delays each reply by 40 ms).
        protocol_version = "HTTP/1.1"
        wbufsize = -1

        def do_GET(self):
            parts = urlsplit(self.path)
            if parts.path == "/services":
                page = int(parse_qs(parts.query).get("page", ["1"])[0])
                first = (page - 1) * PER_PAGE
                body = {
                    "totalElements": total,
                    "totalPages": pages,
                    "number": page,
                    "size": PER_PAGE,
                    "first": page == 1,
                    "last": page >= pages,
                    "content": [v1_summary(n) for n in range(first, min(first + PER_PAGE, total))],
                }
            elif parts.path.startswith("/services/") and parts.path[10:].isdigit():
                n = int(parts.path[10:]) - 100_000
                if not 0 <= n < total:
                    return self.send_error(404)
                body = v1_detail(n, table)
            else:
                return self.send_error(404)
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):  # one line per request would drown the figures
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        # The default backlog of 5 drops connections when several detail fetches
        # connect at once, and a dropped SYN costs a one-second retry.
        request_queue_size = 64

    server = Server(("127.0.0.1", 0), Feed)
    threading.Thread(target=server.serve_forever, name="mock-feed", daemon=True).start()
    return server


def serve_feed(total: int, conn) -> None:
    """The mock feed in its own process (a council's server is not in the importer's
    process: in ours its CPU would be counted against the import and would fight it for
    the GIL). Sends the port, serves until told to stop."""
    server = mock_feed(total, districts())
    conn.send(server.server_address[1])
    conn.recv()
    server.shutdown()
    server.server_close()


def v1_feed_mode(args, total: int) -> None:
    import multiprocessing

    from django.conf import settings
    from django.db.models import Count
    from tqdm import tqdm

    from assets.models import Location, PlacedBy, Service
    from assets.openreferral.fetch import ALLOWED_SCHEMES, MAX_REDIRECTS
    from assets.services import openreferral_import
    from core import netguard
    from core.models import PostcodePoint

    # DEBUG (which the settings need for a dev database) keeps the last 9,000 queries'
    # SQL in memory, bulk inserts and all: that is not the importer's memory, and a
    # production import runs without it.
    settings.DEBUG = False
    table = districts()
    # Half the unit postcodes are known exactly (as after `manage.py import_postcodes`),
    # a little off their district's centre; the rest fall back to the centre.
    PostcodePoint.objects.bulk_create(
        [
            PostcodePoint(postcode=code, latitude=lat + 0.003, longitude=lng - 0.002)
            for n in range(0, total, 2)
            if (code := unit_postcode(n, table)) != UNPLACEABLE
            for outcode, lat, lng in [table[(n * 7) % len(table)]]
        ],
        batch_size=500,
        ignore_conflicts=True,
    )
    ours, theirs = multiprocessing.Pipe()
    feed = multiprocessing.get_context("spawn").Process(target=serve_feed, args=(total, theirs), daemon=True)
    feed.start()
    port = ours.recv()
    # The outbound guard as production uses it, opened for loopback and this one port only.
    netguard.ALLOW_LOOPBACK_FOR_TESTS = True
    session = netguard.GuardedSession(
        schemes=ALLOWED_SCHEMES, ports=(port,), max_redirects=MAX_REDIRECTS, keep_alive=True
    )
    url = f"http://127.0.0.1:{port}"

    def run(label: str, *, trace: bool):
        peaks: dict[int, int] = {}
        bar = tqdm(total=total, unit=" services", disable=args.no_progress, desc=label, leave=False)
        read = [0]

        def progress(summary):
            bar.update(1)
            read[0] += 1
            if trace and read[0] == min(1_000, total):
                peaks[read[0]] = tracemalloc.get_traced_memory()[1]

        if trace:
            tracemalloc.start()
        started, cpu, own = time.perf_counter(), time.process_time(), time.thread_time()
        summary, _ = openreferral_import(source=url, session=session, on_record=progress)
        wall, cpu, own = time.perf_counter() - started, time.process_time() - cpu, time.thread_time() - own
        if trace:
            peaks[total] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        bar.close()
        print(
            f"{label}: {total:,} services in {wall:.1f} s wall ({total / wall:,.0f} services/s), "
            f"{cpu:.1f} s CPU, of which {own:.1f} s in the importing thread "
            f"[{summary.line()}; read as v{summary.version}]"
        )
        if summary.errors:
            print(f"  first error: {summary.errors[0]}")
        if peaks:
            print(
                "  peak traced Python memory: "
                + ", ".join(f"{peak / 1e6:.1f} MB at {n:,}" for n, peak in peaks.items())
            )
        return summary

    try:
        run("first import (v1 feed, creates)", trace=args.trace)
        placed = dict(Location.objects.values_list("placed_by").annotate(n=Count("id")))
        print(
            f"  stored: {Service.objects.count():,} services, {Location.objects.count():,} locations: "
            f"{placed.get(PlacedBy.POSTCODE, 0):,} placed at their postcode, "
            f"{placed.get(PlacedBy.DISTRICT, 0):,} at their district's centre, "
            f"{Location.objects.filter(latitude__isnull=True).count():,} without a point"
        )
        run("re-import (unchanged)", trace=args.trace)
        if not args.trace:
            run("traced re-import (memory only: tracing slows it)", trace=True)
    finally:
        ours.send("stop")
        feed.join(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 services instead of 10,000")
    parser.add_argument("--ndjson", action="store_true", help="the earlier mode: a 3.0 ndjson file")
    parser.add_argument("--no-export", action="store_true", help="with --ndjson: measure the import only")
    parser.add_argument("--no-progress", action="store_true", help="do not draw a progress bar")
    parser.add_argument(
        "--trace", action="store_true", help="trace memory in the two timed runs (slower) instead of a third run"
    )
    args = parser.parse_args()
    total = 1_000 if args.quick else 10_000
    path = configure()
    try:
        if args.ndjson:
            ndjson_mode(args, total, path)
        else:
            v1_feed_mode(args, total)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
