"""A person's language and easy-read view (docs/translating.md).

Which language a page is in, first match wins:
1. `?lang=cy` on the address (the `hreflang` alternates use it): this page only;
2. a signed-in member's own choice (`Member.language`);
3. the language cookie (a visitor's choice, or a member's before they chose);
4. the browser's Accept-Language (Django's LocaleMiddleware);
5. LANGUAGE_CODE, English.

The easy-read view is on for a member whose communication needs include easy
read, and for a visitor with the easy-read cookie. Both switches are forms
(POST) on every page; choosing while signed in keeps the choice on the
profile, so it follows the person to any computer and into their e-mails.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from core.i18n import (
    EASY_READ_COOKIE,
    alternate_links,
    html_lang,
    language_for,
    reset_easy_read,
    set_easy_read,
    supported_languages,
)
from timebank.models import CommunicationNeed, Member
from timebank.selectors.members import member_for_user


def _member(request) -> Member | None:
    user = getattr(request, "user", None)
    return member_for_user(user)


def member_language(member: Member | None) -> str:
    """The language to write to a member in: their choice, else LANGUAGE_CODE."""
    return language_for(member.language if member is not None else None)


def speaking_to(member: Member | None):
    """`with speaking_to(member):` renders e-mails and letters in their language."""
    return translation.override(member_language(member))


def wants_easy_read(member: Member | None) -> bool:
    return member is not None and CommunicationNeed.EASY_READ in (member.communication_needs or [])


class PreferencesMiddleware:
    """After authentication: the member's language, `?lang=`, and easy read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        member = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            member = _member(request)
        chosen = request.GET.get("lang", "")
        if chosen and chosen.lower() in supported_languages():
            code = chosen.lower()
        elif member is not None and member.language:
            code = language_for(member.language)
        else:
            code = None
        if code is not None:
            translation.activate(code)
            request.LANGUAGE_CODE = code
        easy = wants_easy_read(member) if member is not None else request.COOKIES.get(EASY_READ_COOKIE) == "1"
        request.easy_read = easy
        token = set_easy_read(easy)
        try:
            return self.get_response(request)
        finally:
            reset_easy_read(token)


def preferences(request):
    """Template context: the language switch, `hreflang` alternates, the page's
    `lang`, and whether the easy-read view is on."""
    current = translation.get_language() or settings.LANGUAGE_CODE
    return {
        "html_lang": html_lang(current),
        "language_choices": [
            {"code": code, "name": name, "lang": html_lang(code), "current": language_for(current) == code}
            for code, name in settings.LANGUAGES
        ],
        "language_alternates": lambda: alternate_links(request),
        "easy_read": getattr(request, "easy_read", False),
    }
