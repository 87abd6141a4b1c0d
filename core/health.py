"""Health checks for load balancers and orchestrators.

/health/ touches nothing: it says the web process is alive and measures it and
the middleware alone. /health/ready/ says whether this process can serve pages:
the database answers, and, when static files are served from a manifest
(production), the manifest this process loaded names every file the pages link
to and each is on disk. Without collectstatic every page would fail, so the
process is not ready; the answer names what is missing.

Probes talk to gunicorn directly, over plain HTTP, often with the pod's address
as Host. HealthCheckMiddleware, first in settings.MIDDLEWARE, answers these two
addresses before the host check and the HTTPS redirect. The answers say nothing
about anyone, only ok or what is missing.
"""

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import cast

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request: HttpRequest) -> HttpResponse:
    body: dict = {"status": "ok", "database": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        # Whatever went wrong, the probe only needs "not ready"; the reason stays in the database's own log.
        body.update(status="unavailable", database="unreachable")
    missing = missing_static_files()
    if missing is not None:
        if missing:
            body.update(
                status="unavailable",
                static_files="missing: run manage.py collectstatic (make serve does), then restart",
                static_files_missing=missing,
            )
        else:
            body["static_files"] = "ok"
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)


_STATIC_TAG = re.compile(r"""{%\s*static\s+["']([^"']+)["']""")


@functools.cache
def static_files_the_pages_use() -> tuple[str, ...]:
    """Every file the project's templates name in a {% static "..." %} tag
    (read once per process: templates do not change while it runs)."""
    names: set[str] = set()
    folders = cast("list[str | Path]", settings.TEMPLATES[0]["DIRS"])
    for folder in folders:
        for template in Path(folder).rglob("*.html"):
            names.update(_STATIC_TAG.findall(template.read_text(encoding="utf-8")))
    return tuple(sorted(names))


def missing_static_files() -> list[str] | None:
    """The files the pages use that this process cannot serve: absent from the
    manifest it loaded at start (then every page naming one fails), or absent
    from STATIC_ROOT. None when static files are not served from a manifest
    (development and tests): then nothing needs collecting."""
    storage = staticfiles_storage
    if not isinstance(storage, ManifestFilesMixin):
        return None
    manifest = storage.hashed_files
    return [name for name in static_files_the_pages_use() if name not in manifest or not storage.exists(manifest[name])]


class HealthCheckMiddleware:
    """Answers /health/ and /health/ready/ before anything else runs (first in
    settings.MIDDLEWARE): no host check, no HTTPS redirect, no session. A probe
    gets the same answer whatever Host it sends and over plain HTTP."""

    VIEWS: dict[str, Callable[[HttpRequest], HttpResponse]] = {"/health/": health, "/health/ready/": ready}

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = self.VIEWS.get(request.path_info)
        if view is not None:
            response = view(request)
            response["X-Content-Type-Options"] = "nosniff"
            return response
        return self.get_response(request)
