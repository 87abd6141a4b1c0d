"""gunicorn settings, read by `gunicorn config.wsgi` from this directory and by
bench/api.py, and by `make serve`. Environment variables override:
WEB_CONCURRENCY (processes), GUNICORN_THREADS, PORT (default 8000) and
BIND_ADDRESS (default 0.0.0.0, every interface; 127.0.0.1 to try it locally).

One sync worker per core. A request here is Python work (the ORM, DRF), so
threads in one process only take turns for the interpreter lock, and a sync
worker takes a connection only when it is free: the kernel's one queue of
waiting connections then shares the load evenly. A threaded (gthread) worker
keeps its own keep-alive connections, so one process can hold most of them
while the other idles, and the slowest 5% of requests wait longest. On the
2-core machine, in alternating runs of bench/api.py's search (bench/RESULTS.md),
sync gave p95 39 ms at 336 req/s against gthread's 54 ms at 309 (SQLite), and
50 ms against 72 (PostgreSQL).

Sync workers expect a proxy in front that buffers slow clients and keeps their
connections alive: serve through nginx or Caddy, which also terminates TLS
(settings.SECURE_PROXY_SSL_HEADER trusts its X-Forwarded-Proto).
"""

import gc
import multiprocessing
import os

# Every interface by default: a container or a host whose proxy reaches it over the network.
bind = f"{os.environ.get('BIND_ADDRESS', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
# More than one thread turns the workers into gthread workers.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "sync"
# A stuck request cannot hold a worker for long; requests are small.
timeout = 30
limit_request_line = 8190


def post_worker_init(worker):
    """Once Django is loaded, move its ~180,000 long-lived objects out of the
    garbage collector's sight: otherwise every full collection (about one per 40
    API requests) walks them all. bench/RESULTS.md has the measurement."""
    from django.urls import get_resolver

    # Import the views, serializers and the rest now, so they are frozen too.
    get_resolver().url_patterns  # noqa: B018 (reading it imports every view)
    gc.freeze()
