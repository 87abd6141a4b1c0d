"""What the HTTP benches share (bench/api.py, bench/load.py): a database of the
bench's own, a free port on 127.0.0.1, stopping gunicorn, and the CPU time its
processes used. Named so it cannot be mistaken for the project's `api` package."""

import os
import signal
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse, urlunparse


def bench_database(*, database_url: str | None, sqlite_path: str, prefix: str) -> tuple[dict, Callable[[], None]]:
    """Environment variables pointing at a fresh database (a PostgreSQL database made
    next to `database_url`, or the SQLite file, emptied), and a function removing it."""
    if database_url:
        import psycopg

        name = f"{prefix}_{os.getpid()}"
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def cleanup() -> None:
            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return {"DATABASE_URL": urlunparse(urlparse(database_url)._replace(path=f"/{name}"))}, cleanup

    def remove_sqlite() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(sqlite_path + suffix).unlink(missing_ok=True)

    remove_sqlite()
    return {"SQLITE_PATH": sqlite_path}, remove_sqlite


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_server(server: subprocess.Popen | None) -> None:
    """SIGTERM to gunicorn's process group: workers finish the request in hand, then exit."""
    if server is not None and server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def server_processes(server: subprocess.Popen) -> list[int]:
    """gunicorn's master and its workers (Linux /proc)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    return [server.pid, *(int(pid) for pid in children.read_text().split())] if children.exists() else [server.pid]


def server_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time (user + system) gunicorn's processes have used so far. Per request,
    it is what an endpoint costs the server, whatever the client and the queue add
    (on SQLite it includes the database's own work, which runs in the workers)."""
    total = 0
    for pid in server_processes(server):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")
