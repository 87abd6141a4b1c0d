"""Benchmark exchange confirmation over HTTP (docs/quality.md P2 on PostgreSQL, P3 on SQLite).

A receiver confirms an exchange the provider recorded: POST
/api/v1/exchanges/<id>/confirm/, which posts the exchange's ledger transfer
(timebank.services.exchanges.exchange_confirm). In a database of its own
(SQLite under /tmp, or a fresh PostgreSQL database next to --database-url,
dropped afterwards) it builds --exchanges exchanges waiting for their
receiver's confirmation, spread over --pairs pairs of members with generous
balance limits, and a signed-in session per member; starts gunicorn exactly
as gunicorn.conf.py runs it (`gunicorn -c gunicorn.conf.py config.wsgi`,
BIND_ADDRESS=127.0.0.1 and a free PORT); and drives it with wrk,
--connections connections for --duration seconds. Each request confirms a
different exchange as its receiver (each wrk thread takes its own slice of
the list; --warmup more are confirmed one by one before the clock starts),
so none should be refused: a 409 (already confirmed) or any other
non-2xx is an error.

Prints the load average before the run, requests/s, p50/p95/p99 latency,
errors (non-2xx and socket errors), the server's CPU time per request
(gunicorn's processes, from /proc) and the targets beside them; then runs
`manage.py ledger_check`, which must pass (exit 1 otherwise). Throttles are
lifted for the run; e-mails go to Django's dummy backend; only 127.0.0.1 is
contacted. Build about rate x duration x 1.5 exchanges (a thread that runs out
re-sends its last one, which is a 409 and is reported).

    .venv/bin/python bench/load.py                                # SQLite, 30 s, 10 connections
    .venv/bin/python bench/load.py --duration 5 --exchanges 3000  # quick
    .venv/bin/python bench/load.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import bench_database, free_port, server_cpu_seconds, server_processes, stop_server  # noqa: E402

PYTHON = sys.executable

# docs/quality.md: (label, least req/s, largest p95 in ms) per database.
TARGETS = {"postgresql": ("P2", 400, 50), "sqlite": ("P3", 200, 200)}

# Settings for the bench processes: production settings, with e-mail to the dummy
# backend (each confirmation queues an e-mail to both people; console would print them).
SETTINGS_MODULE = "bench_load_settings"
SETTINGS_TEXT = """from config.settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
"""

WRK_SCRIPT = r"""
-- Lines of "exchange id <TAB> session key <TAB> CSRF secret"; thread k of n takes lines k, k+n, k+2n...
local threads = {}
local count = 0
setup = function(thread)
  thread:set("id", count)
  count = count + 1
  table.insert(threads, thread)
end

local lines = {}
local position = 0
used_up = 0
statuses = {}
local with_key = os.getenv("BENCH_IDEMPOTENCY") == "1"

init = function(args)
  local total = tonumber(os.getenv("BENCH_THREADS"))
  local n = 0
  for line in io.lines(os.getenv("BENCH_FILE")) do
    if n % total == id then
      table.insert(lines, line)
    end
    n = n + 1
  end
end

request = function()
  position = position + 1
  local line = lines[position]
  if line == nil then
    -- Out of fresh exchanges: the last one again, a 409 that the report counts.
    used_up = used_up + 1
    line = lines[#lines]
  end
  local exchange, session, csrf = line:match("^(%S+)\t(%S+)\t(%S+)$")
  local headers = {}
  headers["Cookie"] = "sessionid=" .. session .. "; csrftoken=" .. csrf
  headers["X-CSRFToken"] = csrf
  headers["Content-Type"] = "application/json"
  if with_key then
    headers["Idempotency-Key"] = "confirm-" .. exchange
  end
  return wrk.format("POST", "/api/v1/exchanges/" .. exchange .. "/confirm/", headers, "{}")
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  local used, codes = 0, {}
  for _, thread in ipairs(threads) do
    used = used + thread:get("used_up")
    for status, n in pairs(thread:get("statuses")) do
      codes[status] = (codes[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(codes) do
    table.insert(parts, string.format("%d:%d", status, n))
  end
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d socket_errors=%d non2xx=%d used_up=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    errors, summary.errors.status, used))
  io.write("STATUSES " .. table.concat(parts, ",") .. "\n")
end
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds of load (default 30)")
    parser.add_argument("--connections", type=int, default=10, help="wrk connections (default 10)")
    parser.add_argument(
        "--exchanges",
        type=int,
        default=20_000,
        help="exchanges built, waiting for confirmation: about rate x duration x 1.5 (default 20,000)",
    )
    parser.add_argument("--pairs", type=int, default=100, help="pairs of members the exchanges are spread over")
    parser.add_argument(
        "--warmup", type=int, default=20, help="confirmations before the load, not counted (default 20, at least 1)"
    )
    parser.add_argument("--minutes", type=int, default=60, help="minutes recorded on each exchange (default 60)")
    parser.add_argument(
        "--idempotency-key", action="store_true", help="send an Idempotency-Key with each POST (the API takes one)"
    )
    parser.add_argument("--database-url", help="a PostgreSQL server: a bench database is created there and dropped")
    parser.add_argument("--sqlite-path", default="/tmp/bench-load.sqlite3")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        help="instead of the load: confirm N exchanges in this process (no gunicorn, no wrk) and print "
        "the SQL statements per request, the statements of one request, and where the CPU time goes",
    )
    args = parser.parse_args()
    if args.pairs < 1 or args.warmup < 1 or args.exchanges < 2 * args.connections or not 1 <= args.minutes <= 24 * 60:
        parser.error("need at least one pair, one warm-up, 2 exchanges per connection, and 1 to 1440 minutes")
    return args


def configure_environment(args, settings_dir: str) -> tuple[dict, Callable[[], None]]:
    """The environment of every bench process (this one, migrate, gunicorn,
    ledger_check) and a function that removes the bench database."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "PYTHONPATH": os.pathsep.join(filter(None, [settings_dir, str(ROOT), env.get("PYTHONPATH", "")])),
            "DEBUG": "false",
            "TIMECOMMONS_TESTING": "",
            "SECRET_KEY": "bench-load-" + "x" * 60,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
            "AXES_ENABLED": "false",
            # whitenoise warns at start-up when the collected static files are missing.
            "STATIC_ROOT": str(Path(settings_dir, "static")),
            "API_RATE_DEFAULT": "1000000/min",
            "API_RATE_TIMEBANK": "1000000/min",
        }
    )
    database, cleanup = bench_database(
        database_url=args.database_url, sqlite_path=args.sqlite_path, prefix="bench_load"
    )
    if args.database_url:
        env.pop("SQLITE_PATH", None)
    else:
        env.pop("DATABASE_URL", None)
    env.update(database)
    return env, cleanup


def build(args, env) -> list[tuple[str, str, str]]:
    """Migrate, then bulk-build the members, sessions and exchanges (in this
    process); returns one (exchange id, session key, CSRF secret) per exchange,
    the receiver's credentials, in the order the load takes them."""
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    sys.path.insert(0, env["PYTHONPATH"].split(os.pathsep)[0])
    import django

    django.setup()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from referrals.sessions import LAST_ACTIVITY_KEY, SEES_HEALTH_DATA_KEY
    from timebank.hours import format_minutes
    from timebank.models import (
        Account,
        AccountKind,
        Exchange,
        ExchangeHistory,
        ExchangeReceiver,
        ExchangeStatus,
        Member,
        MemberStatus,
        Timebank,
        User,
    )

    started = time.perf_counter()
    timebank = Timebank.get_default()
    assert timebank is not None, "migrate makes the first timebank"
    people = 2 * args.pairs
    # Enough room that no confirmation in the run is refused by a limit, yet limits
    # are set, so each posting checks them as it would in a real timebank.
    limit = args.minutes * (args.exchanges // args.pairs + 1)
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(username=f"bench-load-{i}", email=f"bench-load-{i}@example.org", password=make_password(None))
                for i in range(people)
            ]
        )
        members = Member.objects.bulk_create(
            [
                Member(
                    timebank=timebank,
                    user=user,
                    display_name=f"Bench member {i}",
                    email=user.email,
                    postcode="RG1 7QE",
                    postcode_district="RG1",
                    status=MemberStatus.ACTIVE,
                    approved_at=timezone.now(),
                )
                for i, user in enumerate(users)
            ]
        )
        Account.objects.bulk_create(
            [
                Account(
                    timebank=timebank,
                    kind=AccountKind.MEMBER,
                    member=member,
                    name=member.display_name,
                    min_balance=-limit,
                    max_balance=limit,
                )
                for member in members
            ]
        )

        # A signed-in session per member, as a login makes it (referrals.sessions notes
        # at login that members see no health data), and a CSRF secret for its cookie.
        store_class = import_module(settings.SESSION_ENGINE).SessionStore
        credentials = {}
        for user in users:
            session = store_class()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session[SEES_HEALTH_DATA_KEY] = False
            session[LAST_ACTIVITY_KEY] = int(time.time())
            session.create()
            credentials[user.pk] = (session.session_key, get_random_string(32))

        # Exchanges as the services leave them once the provider has recorded the
        # time: proposed by the provider, accepted by the receiver, recorded (done),
        # with one history row per step. Partners swap roles every round, so every
        # member confirms and balances stay near zero.
        recorded_note = f"{format_minutes(args.minutes)} recorded"
        batch = 5_000
        rows: list[tuple[str, str, str]] = []
        for start in range(0, args.exchanges, batch):
            now = timezone.now()
            parties = []
            for i in range(start, min(start + batch, args.exchanges)):
                pair, swap = i % args.pairs, (i // args.pairs) % 2
                provider, receiver = members[2 * pair + swap], members[2 * pair + 1 - swap]
                parties.append((provider, receiver))
            exchanges = Exchange.objects.bulk_create(
                [
                    Exchange(
                        timebank=timebank,
                        provider=provider,
                        description="Help with the garden",
                        minutes=args.minutes,
                        status=ExchangeStatus.DONE,
                        proposed_by_id=provider.user_id,
                        done_at=now,
                        helped_on=timezone.localdate(now),
                    )
                    for provider, _ in parties
                ]
            )
            ExchangeReceiver.objects.bulk_create(
                [ExchangeReceiver(exchange=e, member=r) for e, (_, r) in zip(exchanges, parties)]
            )
            steps = [
                ("", ExchangeStatus.PROPOSED, "provider", ""),
                (ExchangeStatus.PROPOSED, ExchangeStatus.ACCEPTED, "receiver", ""),
                (ExchangeStatus.ACCEPTED, ExchangeStatus.DONE, "provider", recorded_note),
            ]
            ExchangeHistory.objects.bulk_create(
                [
                    ExchangeHistory(
                        exchange=e,
                        from_status=from_status,
                        to_status=to_status,
                        actor_id=(p if who == "provider" else r).user_id,
                        note=note,
                    )
                    for e, (p, r) in zip(exchanges, parties)
                    for from_status, to_status, who, note in steps
                ]
            )
            rows += [(str(e.public_id), *credentials[r.user_id]) for e, (_, r) in zip(exchanges, parties)]
    if connection.vendor == "postgresql":
        # Fresh bulk-loaded tables have no statistics yet: the run should see the steady state.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    connection.close()
    print(
        f"built {people} members ({args.pairs} pairs) and {args.exchanges:,} exchanges waiting for confirmation "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return rows


def start_server(env: dict) -> tuple[subprocess.Popen, str]:
    """gunicorn as gunicorn.conf.py runs it, on a free port of 127.0.0.1."""
    port = free_port()
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        # Only the address, the port and gunicorn's own start-up chatter differ from production.
        env={**env, "BIND_ADDRESS": "127.0.0.1", "PORT": str(port), "GUNICORN_CMD_ARGS": "--log-level warning"},
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped before it started serving")
        try:
            with urllib.request.urlopen(f"{base}/health/", timeout=1):
                return server, base
        except OSError:
            time.sleep(0.1)
    stop_server(server)
    raise SystemExit("gunicorn did not start")


def confirm_once(base: str, row: tuple[str, str, str]) -> None:
    """One confirmation before the load, as its receiver; stops the bench on anything but 200."""
    exchange, session, csrf = row
    request = urllib.request.Request(
        f"{base}/api/v1/exchanges/{exchange}/confirm/",
        method="POST",
        data=b"{}",
        headers={
            "Cookie": f"sessionid={session}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        raise SystemExit(f"the check confirmation answered {error.code}: {error.read()[:500]!r}") from None
    if status != 200:
        raise SystemExit(f"the check confirmation answered {status}")


def run_wrk(base: str, *, args, script: str, rows_file: str) -> dict:
    threads = min(2, args.connections)  # wrk needs a connection per thread
    env = {
        **os.environ,
        "BENCH_FILE": rows_file,
        "BENCH_THREADS": str(threads),
        "BENCH_IDEMPOTENCY": "1" if args.idempotency_key else "0",
    }
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "10s",
        "-s",
        script,
        base + "/",
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=args.duration + 60)
    match = re.search(r"BENCH (.*)", result.stdout)
    if not match:
        raise SystemExit(f"wrk gave no figures:\n{result.stdout}\n{result.stderr}")
    figures: dict = {key: int(value) for key, value in (pair.split("=") for pair in match.group(1).split())}
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    statuses = re.search(r"STATUSES (.*)", result.stdout)
    figures["statuses"] = {
        int(code): int(n)
        for code, n in (part.split(":") for part in (statuses.group(1) if statuses else "").split(",") if part)
    }
    return figures


def count_posted(env: dict) -> int:
    """Exchanges posted in the database, counted by a fresh process (the server may still be finishing)."""
    code = (
        "import django; django.setup(); from timebank.models import Exchange, ExchangeStatus; "
        "print(Exchange.objects.filter(status=ExchangeStatus.POSTED).count())"
    )
    result = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return int(result.stdout.strip())


def ledger_check(env: dict) -> bool:
    result = subprocess.run(
        [PYTHON, "manage.py", "ledger_check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    output = (result.stdout + result.stderr).strip()
    if result.returncode == 0:
        print(f"ledger_check: OK ({output.splitlines()[-1] if output else 'no output'})")
        return True
    print("ledger_check: PROBLEMS")
    print(output)
    return False


def profile(rows: list[tuple[str, str, str]], count: int) -> None:
    """Confirm `count` exchanges through Django's request handler in this process,
    each as its receiver with their session and CSRF cookies, and print what one
    request costs: SQL statements (and those of the last request), and the
    functions with the most CPU time (cProfile, cumulative)."""
    import cProfile
    import io
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    statements = 0
    profiler = cProfile.Profile()
    started = time.perf_counter()
    last: list[str] = []
    for exchange, session, csrf in rows[:count]:
        client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
        client.cookies["sessionid"] = session
        client.cookies["csrftoken"] = csrf
        with CaptureQueriesContext(connection) as queries:
            profiler.enable()
            response = client.post(
                f"/api/v1/exchanges/{exchange}/confirm/",
                data=b"{}",
                content_type="application/json",
                HTTP_X_CSRFTOKEN=csrf,
            )
            profiler.disable()
        if response.status_code != 200:
            raise SystemExit(f"a confirmation answered {response.status_code}: {response.content[:300]!r}")
        statements += len(queries)
        last = [query["sql"] for query in queries.captured_queries]
    elapsed = time.perf_counter() - started
    print(f"{count} confirmations in-process: {elapsed * 1000 / count:.2f} ms each (wall, with profiling)")
    print(f"SQL statements per request: {statements / count:.1f}; the last request's:")
    for sql in last:
        print("   ", sql[:160])
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    print(out.getvalue())


def main() -> None:
    args = parse_args()
    if args.profile:
        settings_dir = tempfile.mkdtemp(prefix="bench-load-")
        Path(settings_dir, f"{SETTINGS_MODULE}.py").write_text(SETTINGS_TEXT)
        env, cleanup = configure_environment(args, settings_dir)
        try:
            args.exchanges = max(args.exchanges, args.profile + args.warmup)
            rows = build(args, env)
            profile(rows[: args.warmup], args.warmup)  # first requests load templates and code
            profile(rows[args.warmup :], args.profile)
        finally:
            cleanup()
            shutil.rmtree(settings_dir, ignore_errors=True)
        return
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    settings_dir = tempfile.mkdtemp(prefix="bench-load-")
    Path(settings_dir, f"{SETTINGS_MODULE}.py").write_text(SETTINGS_TEXT)
    Path(settings_dir, "static").mkdir()
    env, cleanup = configure_environment(args, settings_dir)
    vendor = "postgresql" if args.database_url else "sqlite"
    server = None
    ok = True
    try:
        # More exchanges than asked: the first --warmup are confirmed before the load,
        # one by one, so a broken endpoint fails loudly and every worker has loaded
        # what a first request loads (templates, serializers) before the clock starts.
        wanted = args.exchanges
        args.exchanges += args.warmup
        rows = build(args, env)
        args.exchanges = wanted
        rows_file = Path(settings_dir, "exchanges.tsv")
        rows_file.write_text("".join("\t".join(row) + "\n" for row in rows[args.warmup :]))
        script = Path(settings_dir, "confirm.lua")
        script.write_text(WRK_SCRIPT)

        server, base = start_server(env)
        for row in rows[: args.warmup]:
            confirm_once(base, row)
        workers = len(server_processes(server)) - 1
        load_before = os.getloadavg()
        print(
            f"load average before the run: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} "
            f"({os.cpu_count()} cores)"
        )
        print(
            f"POST /api/v1/exchanges/<id>/confirm/ on {'PostgreSQL' if args.database_url else 'SQLite'}: "
            f"{args.connections} connections, {args.duration} s, gunicorn.conf.py ({workers} workers)"
            + (", with Idempotency-Key" if args.idempotency_key else "")
        )
        cpu_before = server_cpu_seconds(server)
        figures = run_wrk(base, args=args, script=str(script), rows_file=str(rows_file))
        cpu_ms = (server_cpu_seconds(server) - cpu_before) * 1000 / max(1, figures["requests"])
        errors = figures["socket_errors"] + figures["non2xx"]
        label, least_rps, largest_p95 = TARGETS[vendor]
        p95_ms = figures["p95_us"] / 1000
        print(f"  requests/s: {figures['rps']:,.0f}   (target {label}: >= {least_rps})")
        print(
            f"  latency: p50 {figures['p50_us'] / 1000:.1f} ms, p95 {p95_ms:.1f} ms "
            f"(target {label}: <= {largest_p95}), p99 {figures['p99_us'] / 1000:.1f} ms"
        )
        other = {code: n for code, n in sorted(figures["statuses"].items()) if not 200 <= code < 300}
        print(
            f"  errors: {errors} (target: 0): {figures['non2xx']} non-2xx"
            + (f" {other}" if other else "")
            + f", {figures['socket_errors']} socket errors"
        )
        if figures["used_up"]:
            print(f"  ran out of exchanges: {figures['used_up']} requests re-sent one (409): raise --exchanges")
        print(f"  server CPU: {cpu_ms:.2f} ms per request (gunicorn master and workers)")
        met = figures["rps"] >= least_rps and p95_ms <= largest_p95 and errors == 0
        print(f"  {label}: {'met' if met else 'NOT met'}")

        stop_server(server)  # lets the last requests finish first
        server = None
        posted = count_posted(env)
        confirmed = args.warmup + sum(n for code, n in figures["statuses"].items() if 200 <= code < 300)
        # Requests still in flight when wrk stopped (at most one per connection) are answered after it.
        adds_up = confirmed <= posted <= confirmed + args.connections
        print(
            f"exchanges posted: {posted:,}; answered 2xx: {confirmed:,} (with the {args.warmup} warm-up): "
            + ("consistent" if adds_up else "MISMATCH")
        )
        ok = ledger_check(env) and adds_up
    finally:
        stop_server(server)
        if args.keep:
            print(f"kept the bench database: {env.get('DATABASE_URL') or args.sqlite_path}")
        else:
            cleanup()
        shutil.rmtree(settings_dir, ignore_errors=True)
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
