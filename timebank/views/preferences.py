"""The language and easy-read switches at the top of every page (base.html):
two POST forms. What they decide is explained in timebank/i18n.py."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.i18n import EASY_READ_COOKIE, supported_languages
from timebank.selectors.members import member_for_user
from timebank.services import members as member_services


def _next(request) -> str:
    """Back to the page the switch was pressed on: one of ours, and without a
    `?lang=` (which would outrank the choice just made)."""
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    parts = urlsplit(target)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"])
    return urlunsplit(parts._replace(query=query))


@require_POST
def choose_language(request):
    """The language switch: remembered in the cookie, and on the profile when signed in."""
    code = request.POST.get("language", "")
    response = HttpResponseRedirect(_next(request))
    if code not in supported_languages():
        return response  # an unknown language changes nothing
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
        httponly=False,
    )
    member = member_for_user(getattr(request, "user", None))
    if member is not None:
        member_services.member_set_language(member=member, language=code)
    return response


@require_POST
def choose_easy_read(request):
    """The easy-read switch: on or off, kept on the profile (as a communication
    need, so letters follow too) or, for visitors, in a cookie."""
    on = request.POST.get("easy_read") == "on"
    response = HttpResponseRedirect(_next(request))
    member = member_for_user(getattr(request, "user", None))
    if member is not None:
        member_services.member_set_easy_read(member=member, on=on)
    if on:
        response.set_cookie(
            EASY_READ_COOKIE, "1", max_age=settings.LANGUAGE_COOKIE_AGE, samesite="Lax", secure=request.is_secure()
        )
    else:
        response.delete_cookie(EASY_READ_COOKIE, samesite="Lax")
    return response
