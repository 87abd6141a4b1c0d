"""Response headers every answer gets, whatever view made it.

`SecurityHeadersMiddleware` adds:

- `Permissions-Policy`: no page uses the camera, the microphone or the
  person's location (the directory asks for a postcode or town instead), so
  the browser refuses them to any script, ours included.
- `Cache-Control: no-store, private` on everything personal, so a shared
  library or care-home computer keeps no copy of it in its browser cache and
  no proxy stores it:
  * every answer to a signed-in person (a session), public pages included,
    since their header shows who is signed in;
  * every answer to a request carrying credentials in an Authorization header
    (API tokens, HTTP Basic), refusals included;
  * the redirect to the login page that a page needing a login sends.
  A view that already said `no-store` (Django's never_cache, the admin, the
  OAuth token endpoint) keeps its own, stricter header. Pages for visitors who
  are not signed in (home, directory, the Open Referral feed) are left
  cacheable.

Cross-Origin-Opener-Policy (same-origin) comes from Django's SecurityMiddleware
and the Content-Security-Policy from django-csp (config/settings.py).
"""

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import resolve_url

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()"
NEVER_STORE = "no-store, private"

_REDIRECTS = {301, 302, 303, 307, 308}


def _signed_in(request: HttpRequest) -> bool:
    # Without a session there is nobody signed in: checking request.user then
    # would read the session and add "Vary: Cookie" to public answers for nothing.
    session = getattr(request, "session", None)
    if session is None or session.is_empty():
        return False
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def _sends_to_login(response: HttpResponseBase) -> bool:
    if response.status_code not in _REDIRECTS or "Location" not in response:
        return False
    return urlsplit(response["Location"]).path == resolve_url(settings.LOGIN_URL)


def is_personal(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Whether this answer is for one person and must not be stored."""
    return "HTTP_AUTHORIZATION" in request.META or _signed_in(request) or _sends_to_login(response)


def never_store(response: HttpResponseBase) -> None:
    """Cache-Control: no-store, private, unless the view already said no-store."""
    directives = {part.split("=")[0].strip().lower() for part in response.get("Cache-Control", "").split(",")}
    if "no-store" not in directives:
        response["Cache-Control"] = NEVER_STORE


class SecurityHeadersMiddleware:
    """Permissions-Policy on every answer; no-store on personal ones (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if is_personal(request, response):
            never_store(response)
        return response
