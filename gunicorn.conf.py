"""gunicorn settings, read by `gunicorn timebank.wsgi` from this directory and by
bench/api.py. Environment variables override: WEB_CONCURRENCY (processes),
GUNICORN_THREADS, PORT.

Why one thread per process: a request here is Python work (the ORM, DRF), so
threads in one process take turns for the interpreter lock. On the 2-core
machine bench/api.py measured the directory search at 132 req/s with 2
processes x 1 thread, against 112 with 2 x 4 and 119 with 4 x 1 (bench/RESULTS.md).
"""
import gc
import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread"
# A slow client cannot hold a worker for long; requests are small.
timeout = 30
keepalive = 5
limit_request_line = 8190


def post_worker_init(worker):
    """Once Django is loaded, move its ~180,000 long-lived objects out of the
    garbage collector's sight: otherwise every full collection (about one per 40
    API requests) walks them all. bench/RESULTS.md has the measurement."""
    from django.urls import get_resolver

    # Import the views, serializers and the rest now, so they are frozen too.
    get_resolver().url_patterns
    gc.freeze()
