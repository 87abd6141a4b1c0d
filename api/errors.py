"""The API's one error shape and the one handler that makes it.

Every error the API returns is `{"error": {"code", "message", "fields"}}`:
DRF's own exceptions keep their status (and headers such as Retry-After),
domain errors (core.errors) use their `http_status`, a database that is
busy or past its statement timeout is a 503 with Retry-After, anything
unexpected is a 500 with no traceback or data in the body. Messages are plain English
and never echo what was sent (docs/quality.md D8); they are marked for translation,
so a request with `Accept-Language: cy` gets them in Welsh. Codes and field names
stay as they are: programs read those.
"""

import logging
import math
import traceback

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied as DjangoPermissionDenied,
    RequestDataTooBig,
    ValidationError as DjangoValidationError,
)
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _, gettext_lazy, ngettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from api.parsers import JSONTooDeepParseError
from core.errors import DomainError

logger = logging.getLogger("api")


class IdempotencyKeyMismatchError(DomainError):
    code = "idempotency_key_reused"
    http_status = 422


class IdempotencyKeyInFlightError(DomainError):
    code = "idempotency_key_in_use"
    http_status = 409
    retry_after = 1  # seconds, sent as Retry-After: until the first request's lease ends


_DRF_CODES = {
    exceptions.NotAuthenticated: ("not_authenticated", gettext_lazy("Log in or send a valid access token.")),
    exceptions.AuthenticationFailed: ("authentication_failed", None),
    exceptions.PermissionDenied: ("not_allowed", gettext_lazy("You are not allowed to do this.")),
    exceptions.NotFound: ("not_found", gettext_lazy("Not found.")),
    exceptions.MethodNotAllowed: ("method_not_allowed", None),
    exceptions.NotAcceptable: ("not_acceptable", None),
    exceptions.UnsupportedMediaType: (
        "unsupported_media_type",
        gettext_lazy("Send the body as JSON (Content-Type: application/json)."),
    ),
    # Says how deep is allowed; any other parse error gets the fixed message below.
    JSONTooDeepParseError: ("parse_error", None),
    exceptions.ParseError: ("parse_error", gettext_lazy("The body is not valid JSON.")),
    exceptions.Throttled: ("throttled", None),
}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    """`message` in the language of the request (a lazy message becomes text here)."""
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


# The database is down, busy, or a query ran past statement_timeout (OperationalError),
# or the connection broke under us (InterfaceError): a retry may work. API views
# answer through api_exception_handler; pages, the feed and /o/token/ through
# api.unavailable.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def unavailable_body() -> dict:
    return error_body("unavailable", _("The service is busy. Please try again in a moment."))


def too_large_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{max(limit // 1024, 1)} KB"
    return _("The request is too large: send at most %(size)s.") % {"size": size}


def _flatten_fields(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"person.given_name": ["..."]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                name = prefix or "non_field_errors"
            for sub_key, messages in _flatten_fields(value, name).items():
                flat.setdefault(sub_key, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            flat[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                for sub_key, messages in _flatten_fields(item, f"{prefix}.{index}" if prefix else str(index)).items():
                    flat.setdefault(sub_key, []).extend(messages)
    else:
        flat[prefix or "non_field_errors"] = [str(detail)]
    return flat


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        fields = {exc.field: [exc.message]} if exc.field else {}
        response = Response(error_body(exc.code, exc.message, fields), status=exc.http_status)
        if isinstance(exc, IdempotencyKeyInFlightError):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        # Over DATA_UPLOAD_MAX_MEMORY_SIZE when the body is read (a body sent without
        # Content-Length gets past api.middleware's earlier check).
        return Response(error_body("too_large", too_large_message()), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)

    if isinstance(exc, DATABASE_UNAVAILABLE):
        logger.warning("Database unavailable in %s: %s", type(context.get("view")).__name__, type(exc).__name__)
        response = Response(unavailable_body(), status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    response = drf_exception_handler(exc, context)
    if response is None:
        # Unexpected: log the type and where, never the message (it may quote data).
        view = context.get("view")
        logger.error(
            "Unhandled %s in %s\n%s",
            type(exc).__name__,
            type(view).__name__ if view else "?",
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        return Response(
            error_body("server_error", _("Something went wrong on our side. Please try again later.")),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body("invalid", _("Some fields need attention."), _flatten_fields(exc.detail))
        return response

    code, message = "error", None
    for exc_class, (known_code, known_message) in _DRF_CODES.items():
        if isinstance(exc, exc_class):
            code, message = known_code, known_message
            break
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        # DRF puts the number in before translating, so its own sentence is never
        # translated: the same sentence, said here with the language's plural forms.
        wait = math.ceil(exc.wait)
        message = ngettext(
            "Request was throttled. Expected available in %(count)s second.",
            "Request was throttled. Expected available in %(count)s seconds.",
            wait,
        ) % {"count": wait}
    if message is None:
        message = str(exc.detail) if not isinstance(exc.detail, (dict, list)) else _("The request was refused.")
    response.data = error_body(code, message)
    return response


def not_found(request, exception=None):
    """Django's 404 handler: JSON in the API's error shape under /api/, an
    OperationOutcome under /fhir/, the usual page elsewhere."""
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse(error_body("not_found", _("There is nothing at this address.")), status=404)
    if request.path.startswith("/fhir/"):
        from api.fhir.views import not_found_outcome

        return not_found_outcome()
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)
