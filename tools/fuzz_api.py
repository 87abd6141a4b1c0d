"""Fuzz the running API with schemathesis (docs/quality.md F1): 0 server errors.

Builds a database of its own (SQLite under /tmp, or a fresh PostgreSQL database
next to --database-url, dropped afterwards), loads the demo, creates an OAuth
client with every scope, serves the app with gunicorn on 127.0.0.1 and runs
`st run` against its own /api/schema/ twice: with a bearer token and with no
credentials. Every operation is exercised with --examples generated requests
each (default 50) and a fixed seed; the only check is "no 5xx". Exits non-zero
when schemathesis found a server error, printing its report.

    .venv/bin/python tools/fuzz_api.py                 # SQLite, 50 examples per operation
    .venv/bin/python tools/fuzz_api.py --database-url postgres://postgres@127.0.0.1:5432/postgres
    make fuzz

The in-process version with fewer examples runs in the test suite on every run
(tests/api/test_schema.py, docs/quality.md F2).
"""

import argparse
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SCOPES = ["directory:read", "referrals:read", "referrals:write", "brokering:read"]


def _bench_api():
    """bench/api.py's database and server helpers (one copy of them, not two)."""
    spec = importlib.util.spec_from_file_location("bench_api", ROOT / "bench" / "api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=50, help="generated requests per operation (default 50)")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--database-url", help="a PostgreSQL server: a fuzz database is created there and dropped")
    parser.add_argument("--sqlite-path", default="/tmp/fuzz-api.sqlite3")
    return parser.parse_args()


def manage(env: dict, *arguments: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *arguments], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"manage.py {arguments[0]} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def schemathesis(base: str, *, args, token: str | None) -> int:
    command = [
        str(Path(PYTHON).with_name("st")),
        "run",
        f"{base}/api/schema/?format=json",
        "--url",
        base,
        "--checks",
        "not_a_server_error",
        "--max-examples",
        str(args.examples),
        "--seed",
        str(args.seed),
        "--workers",
        "2",
        "--request-timeout",
        "20",
        "--continue-on-failure",
    ]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def main() -> None:
    args = parse_args()
    bench = _bench_api()
    env, cleanup = bench.configure_environment(args)
    server = None
    try:
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "seed_demo")
        made = manage(env, "create_api_client", "--organisation", "Fuzz Surgery", "--scopes", *SCOPES)
        client_id = re.search(r"client_id: (\S+)", made).group(1)
        secret = re.search(r"client_secret: (\S+)", made).group(1)
        server, base = bench.start_server(env, workers=2, threads=1)
        failed = []
        for label, token in (("with a token", bench.get_token(base, client_id, secret)), ("without credentials", None)):
            print(f"\n== schemathesis {label}: {args.examples} examples per operation, seed {args.seed}", flush=True)
            if schemathesis(base, args=args, token=token):
                failed.append(label)
        if failed:
            raise SystemExit(f"schemathesis found problems ({', '.join(failed)}): see the report above.")
        print("\nNo server errors, with and without credentials.")
    finally:
        bench.stop_server(server)
        cleanup()


if __name__ == "__main__":
    main()
