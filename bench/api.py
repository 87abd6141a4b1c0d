"""Benchmark the REST API over HTTP (docs/quality.md P1, P4).

Builds, in a database of its own (SQLite under /tmp, or a fresh PostgreSQL
database next to --database-url, dropped afterwards), N directory services
(default 100,000) around Reading and M referrals (default 10,000), creates an
OAuth client, starts gunicorn on 127.0.0.1 (a random free port), and drives
it with wrk, 10 connections for --duration seconds per endpoint, in one run:
- GET /health/ (no database: the floor set by the web stack and middleware);
- GET /api/v1/services/?near=RG1&radius_km=5&category=... (20 per page), then the
  same with one connection (P1's single client);
- POST /api/v1/referrals/ (the API's documented example body,
  api.serializers.referrals.REFERRAL_EXAMPLE, a fresh Idempotency-Key each).
Prints requests/s, p50/p95/p99 latency, errors and the server CPU time per
request (gunicorn's processes, from /proc) for each. Throttles are
lifted for the run (the API's own limits would otherwise answer 429).

    .venv/bin/python bench/api.py                 # 100,000 services, 10,000 referrals, 30 s each
    .venv/bin/python bench/api.py --quick         # 10,000 / 1,000, 10 s each
    .venv/bin/python bench/api.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

import argparse
import base64
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import bench_database, free_port, server_cpu_seconds, stop_server  # noqa: E402

PYTHON = sys.executable

WRK_SCRIPT = r"""
local counter = 0
init = function(args)
  -- Each wrk thread needs its own random keys (the generator starts the same in every thread).
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16))
end
local body = os.getenv("BENCH_BODY")
local method = os.getenv("BENCH_METHOD") or "GET"
request = function()
  counter = counter + 1
  local headers = {}
  headers["Authorization"] = os.getenv("BENCH_AUTH")
  if method == "POST" then
    headers["Content-Type"] = "application/json"
    headers["Idempotency-Key"] = string.format("bench-%d-%d-%d", os.time(), math.random(1, 1000000000), counter)
    return wrk.format("POST", nil, headers, body)
  end
  return wrk.format("GET", nil, headers, nil)
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d socket_errors=%d non2xx=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    errors, summary.errors.status))
end
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--referrals", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=30, help="seconds per endpoint (default 30)")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2, one per core)")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per gunicorn worker (default 1, as gunicorn.conf.py)"
    )
    parser.add_argument("--worker-class", help="gunicorn worker class (default: gunicorn.conf.py's, sync)")
    parser.add_argument("--quick", action="store_true", help="10,000 services, 1,000 referrals, 10 s each")
    parser.add_argument("--database-url", help="a PostgreSQL server: a bench database is created there and dropped")
    parser.add_argument("--sqlite-path", default="/tmp/bench-api.sqlite3")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    if args.quick:
        args.services, args.referrals, args.duration = 10_000, 1_000, 10
    return args


def configure_environment(args) -> tuple[dict, callable]:
    env = dict(os.environ)
    env.update(
        {
            "DEBUG": "false",
            "TIMECOMMONS_TESTING": "",
            "SECRET_KEY": "bench-" + "x" * 60,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
            "AXES_ENABLED": "false",
            "API_RATE_DEFAULT": "1000000/min",
            "API_RATE_DIRECTORY": "1000000/min",
            "API_RATE_REFERRALS_READ": "1000000/min",
            "API_RATE_REFERRALS_WRITE": "1000000/min",
            "API_RATE_REFERRALS_DAILY": "100000000/day",
        }
    )
    database, cleanup = bench_database(database_url=args.database_url, sqlite_path=args.sqlite_path, prefix="bench_api")
    if args.database_url:
        env.pop("SQLITE_PATH", None)
    else:
        env.pop("DATABASE_URL", None)
    env.update(database)
    return env, cleanup


def build(args, env) -> dict:
    """Migrate and build the data in this process; returns what the load needs."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from api.clients import api_client_create
    from assets.models import Location, Organisation, Service, ServiceAtLocation, ServiceAttribute, TaxonomyTerm
    from referrals.models import Consent, Referral, ReferralHistory

    rng = random.Random(args.seed)
    terms = list(TaxonomyTerm.objects.order_by("slug"))
    category = next(t for t in terms if t.slug == "befriending-and-loneliness")
    started = time.perf_counter()
    with transaction.atomic():
        organisations = Organisation.objects.bulk_create(
            [Organisation(name=f"Group {i}", organisation_type="voluntary") for i in range(max(1, args.services // 50))]
        )
        batch = 5_000
        for start in range(0, args.services, batch):
            services, locations, links, attributes = [], [], [], []
            for i in range(start, min(start + batch, args.services)):
                service = Service(
                    id=uuid.UUID(int=rng.getrandbits(128)),
                    organisation=organisations[i % len(organisations)],
                    name=f"Service {i}",
                    description="Tea, a chat and a walk.",
                    accepts_referrals=True,
                    last_reviewed=timezone.localdate(),
                )
                # Within about 30 km of Reading town centre.
                location = Location(
                    id=uuid.UUID(int=rng.getrandbits(128)),
                    name=f"Hall {i}",
                    postcode="RG1 7QE",
                    latitude=51.4543 + rng.uniform(-0.27, 0.27),
                    longitude=-0.9781 + rng.uniform(-0.43, 0.43),
                )
                services.append(service)
                locations.append(location)
                links.append(
                    ServiceAtLocation(id=uuid.UUID(int=rng.getrandbits(128)), service=service, location=location)
                )
                attributes.append(
                    ServiceAttribute(
                        id=uuid.UUID(int=rng.getrandbits(128)), service=service, taxonomy_term=rng.choice(terms)
                    )
                )
            Service.objects.bulk_create(services)
            Location.objects.bulk_create(locations)
            ServiceAtLocation.objects.bulk_create(links)
            ServiceAttribute.objects.bulk_create(attributes)
    services_built = time.perf_counter() - started

    client, client_id, secret = api_client_create(
        organisation_name="Bench Surgery", scopes=["directory:read", "referrals:read", "referrals:write"]
    )
    target = Service.objects.filter(organisation=organisations[0]).first()
    started = time.perf_counter()
    with transaction.atomic():
        now = timezone.now()
        batch = 2_000
        for start in range(0, args.referrals, batch):
            referrals = [
                Referral(
                    referring_organisation=client.organisation,
                    receiving_organisation=organisations[0],
                    target_service=target,
                    given_name=f"Person{i}",
                    family_name="Bench",
                    postcode="RG1 7QE",
                    phone="0118 496 0000",
                    preferred_contact="phone",
                    status="requested",
                    requested_at=now,
                )
                for i in range(start, min(start + batch, args.referrals))
            ]
            Referral.objects.bulk_create(referrals)
            Consent.objects.bulk_create(
                [
                    Consent(
                        referral=r,
                        given=True,
                        scopes=["share-with-service"],
                        method="verbal",
                        recorded_by="Bench",
                        recorded_at=now,
                    )
                    for r in referrals
                ]
            )
            ReferralHistory.objects.bulk_create([ReferralHistory(referral=r, to_status="requested") for r in referrals])
    referrals_built = time.perf_counter() - started
    from django.db import connection

    if connection.vendor == "postgresql":
        # Fresh bulk-loaded tables have no statistics and no visibility map until
        # autovacuum gets to them (PostgreSQL 13+ vacuums after inserts too): do its work
        # now, so the run sees the steady state (index-only scans of the search index).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(
        f"built {args.services:,} services in {services_built:.1f} s, "
        f"{args.referrals:,} referrals in {referrals_built:.1f} s"
    )
    return {"client_id": client_id, "secret": secret, "target": str(target.pk), "category": category.slug}


def get_token(base: str, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        f"{base}/o/token/",
        data=b"grant_type=client_credentials",
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["access_token"]


def wait_until_up(base: str, process) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise SystemExit("gunicorn stopped before it started serving")
        try:
            with urllib.request.urlopen(f"{base}/health/", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


def start_server(
    env: dict, *, workers: int, threads: int, worker_class: str | None = None
) -> tuple[subprocess.Popen, str]:
    """gunicorn with gunicorn.conf.py on a free port of 127.0.0.1, serving; returns (process, base URL).
    Stop it with stop_server."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            *(["--worker-class", worker_class] if worker_class else []),
            "--log-level",
            "warning",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    wait_until_up(base, server)
    return server, base


def run_wrk(url: str, *, args, script: str, env_extra: dict, connections: int | None = None) -> dict:
    env = {**os.environ, **env_extra}
    connections = connections or args.connections
    threads = min(2, connections)  # wrk needs a connection per thread
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{args.duration}s", "--timeout", "10s", "-s", script, url]
    output = subprocess.run(command, env=env, capture_output=True, text=True, timeout=args.duration + 60).stdout
    match = re.search(r"BENCH (.*)", output)
    if not match:
        raise SystemExit(f"wrk gave no figures:\n{output}")
    figures = {key: int(value) for key, value in (pair.split("=") for pair in match.group(1).split())}
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def check_request(base, path, *, token, method="GET", body=None) -> None:
    """One request before the load, so a broken endpoint fails loudly instead of timing errors."""
    request = urllib.request.Request(
        base + path,
        method=method,
        data=body.encode() if body else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201), response.status


def main() -> None:
    args = parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    env, cleanup = configure_environment(args)
    server = None
    try:
        made = build(args, env)
        server, base = start_server(env, workers=args.workers, threads=args.threads, worker_class=args.worker_class)
        token = get_token(base, made["client_id"], made["secret"])
        body = json.dumps(
            {
                "person": {
                    "given_name": "Joan",
                    "family_name": "Rivers",
                    "preferred_name": "Jo",
                    "date_of_birth": "1948-05-02",
                    "postcode": "RG1 7QE",
                    "phone": "0118 496 0000",
                    "email": None,
                    "preferred_contact": "phone",
                    "contact_times": "weekday afternoons",
                    "communication_needs": ["large-print"],
                    "do_not_contact": False,
                },
                "consent": {
                    "given": True,
                    "scopes": ["share-with-service", "share-back-with-referrer"],
                    "method": "verbal",
                    "recorded_by": "Sam Patel, link worker",
                    "recorded_at": "2026-01-20T10:15:00Z",
                },
                "what_matters": "Getting out of the house and meeting people who like gardening.",
                "needs": ["befriending-and-loneliness", "green-and-outdoor"],
                "target": {"service": made["target"]},
                "priority": "routine",
                "notes": "Uses a walking frame; prefers afternoons.",
            }
        )
        search = f"/api/v1/services/?near=RG1&radius_km=5&category={made['category']}"
        check_request(base, search, token=token)
        check_request(base, "/api/v1/referrals/", token=token, method="POST", body=body)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            handle.write(WRK_SCRIPT)
            script = handle.name
        # (label, path, extra wrk settings, connections): docs/quality.md P1 also asks for one client.
        runs = [
            ("GET /health/", "/health/", {}, None),
            ("GET /api/v1/services/ (5 km, one category)", search, {}, None),
            ("GET /api/v1/services/, one client", search, {}, 1),
            ("POST /api/v1/referrals/", "/api/v1/referrals/", {"BENCH_METHOD": "POST", "BENCH_BODY": body}, None),
        ]
        print(
            f"{args.connections} connections, {args.duration} s each, gunicorn {args.workers} "
            f"{args.worker_class or 'sync'} workers x {args.threads} threads"
        )
        print(
            f"{'endpoint':<46} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>7} "
            f"{'server CPU ms/req':>18}"
        )
        for label, path, extra, connections in runs:
            # A fresh token per run: tokens live at most 10 minutes.
            token = get_token(base, made["client_id"], made["secret"])
            cpu_before = server_cpu_seconds(server)
            figures = run_wrk(
                base + path,
                args=args,
                script=script,
                env_extra={"BENCH_AUTH": f"Bearer {token}", **extra},
                connections=connections,
            )
            cpu_ms = (server_cpu_seconds(server) - cpu_before) * 1000 / max(1, figures["requests"])
            errors = figures["socket_errors"] + figures["non2xx"]
            print(
                f"{label:<46} {figures['rps']:>8.0f} {figures['p50_us'] / 1000:>7.1f} {figures['p95_us'] / 1000:>7.1f} "
                f"{figures['p99_us'] / 1000:>7.1f} {errors:>7} {cpu_ms:>18.2f}"
            )
        os.unlink(script)
    finally:
        stop_server(server)
        cleanup()


if __name__ == "__main__":
    main()
