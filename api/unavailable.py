"""When the database cannot be reached: a plain 503 instead of a server error.

Pages get a short HTML page that needs nothing that may be down (templates/
503.html: no base template, no static files, no context processors, which ask
the database); the API, the Open Referral feed and the OAuth token endpoint get
the API's one error shape. Both say Retry-After. DRF views already answer so
through api.errors.api_exception_handler; DatabaseUnavailableMiddleware covers
every other view, and `server_error` (config.urls.handler500) whatever fails
outside a view, such as a middleware reading the session.

Only the exception's type is logged: never its message, which may quote SQL
parameters (docs/quality.md D8).
"""

import logging
import sys
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.views.defaults import server_error as django_server_error

from api.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, unavailable_body

logger = logging.getLogger("api")

# Addresses whose callers are programs: they get JSON, as the API does.
JSON_PREFIXES = ("/api/", "/openreferral/", "/o/")


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith(JSON_PREFIXES):
        response = JsonResponse(unavailable_body(), status=503)
    else:
        # No request passed to the template: context processors would ask the database.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class DatabaseUnavailableMiddleware:
    """A view that could not reach the database answers 503 (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        match = request.resolver_match
        logger.warning("Database unavailable in %s: %s", match.view_name if match else "?", type(exception).__name__)
        return database_unavailable_response(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler: a database that cannot be reached is a 503, anything
    else Django's plain server error page."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return database_unavailable_response(request)
    return django_server_error(request)
