"""Bodies over settings.DATA_UPLOAD_MAX_MEMORY_SIZE get 413 Content Too Large, in
the API's error shape under /api/ and /openreferral/ and as a page elsewhere.

Django itself raises RequestDataTooBig only when something reads the body, and
where that happens decides the answer: a 500 inside a DRF view, a 400 when a
middleware such as CSRF reads a form. Checking the declared length first gives
one answer everywhere and reads nothing. A body sent without Content-Length is
still caught when read: api.errors maps RequestDataTooBig to 413 in the API, and
process_exception does so for pages.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from api.errors import error_body, too_large_message

_JSON_PREFIXES = ("/api/", "/openreferral/", "/o/", "/fhir/")


def _declared_too_large(request: HttpRequest) -> bool:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return False
    # Django leaves file uploads out of this limit; there are none today, and a
    # multipart body is left to Django's own check so that one added later works.
    if request.content_type == "multipart/form-data":
        return False
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > limit
    except ValueError:
        return False


def too_large_response(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(_JSON_PREFIXES):
        return JsonResponse(error_body("too_large", too_large_message()), status=413)
    return render(request, "413.html", {"message": too_large_message()}, status=413)


class RequestTooLargeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _declared_too_large(request):
            return too_large_response(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return too_large_response(request)
        return None
