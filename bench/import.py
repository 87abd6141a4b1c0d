"""Benchmark: Open Referral UK import of 10,000 services (docs/quality.md P8: <= 30 s) and the
ndjson export's memory (constant whatever the size).

Builds its own SQLite database (/tmp/bench-import.sqlite3, never db.sqlite3),
writes a 3.0 ndjson file of N fully nested services, imports it with
`manage.py import_openreferral`, re-imports it (all updates), then exports it
and reports peak Python memory for 1/10 and all of the rows.

    .venv/bin/python bench/import.py            # 10,000 services
    .venv/bin/python bench/import.py --quick    # 1,000 services
"""

import argparse
import io
import json
import os
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-export", action="store_true", help="measure the import only")
    args = parser.parse_args()
    total = 1_000 if args.quick else 10_000
    path = configure()
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
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
