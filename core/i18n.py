"""Languages and the easy-read view: the parts that know nothing of members.

- `language_for(code)`: a code we serve, or LANGUAGE_CODE.
- The easy-read view: a request marked easy-read (timebank.i18n sets it)
  renders `easyread/<name>` in place of `<name>` wherever that template
  exists (EasyReadLoader), so no view chooses templates by hand.
- `alternate_links(request)`: the `hreflang` alternates of a page: the same
  address with `?lang=` for each language (the language is not in the path).
"""

from __future__ import annotations

import contextvars
from urllib.parse import urlencode

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loaders.cached import Loader as CachedLoader
from django.utils import translation

# The prefix of the easy-read templates: templates/easyread/<name>.
EASY_READ_PREFIX = "easyread/"
# A visitor's easy-read choice, before they have a profile to keep it on.
EASY_READ_COOKIE = "timecommons_easy_read"

_easy_read = contextvars.ContextVar("timecommons_easy_read", default=False)


def supported_languages() -> dict[str, str]:
    return dict(settings.LANGUAGES)


def language_for(code: str | None) -> str:
    """`code` when we serve it (cy, en-gb, en, EN-GB …), else LANGUAGE_CODE."""
    if code:
        code = code.lower()
        languages = supported_languages()
        if code in languages:
            return code
        base = code.split("-")[0]
        for known in languages:
            if known.split("-")[0] == base:
                return known
    return settings.LANGUAGE_CODE


def html_lang(code: str | None = None) -> str:
    """The `lang` attribute for a language code: "cy", "en-GB"."""
    code = code or translation.get_language() or settings.LANGUAGE_CODE
    head, _, tail = code.partition("-")
    return f"{head}-{tail.upper()}" if tail else head


def set_easy_read(on: bool) -> contextvars.Token:
    return _easy_read.set(bool(on))


def reset_easy_read(token: contextvars.Token) -> None:
    _easy_read.reset(token)


def easy_read_active() -> bool:
    return _easy_read.get()


class EasyReadLoader(CachedLoader):
    """The cached loader, except that in an easy-read request a template with
    an easy-read version (templates/easyread/<name>) is served in its place.

    Only whole pages asked for by name are swapped; includes and `extends`
    inside an easy-read template name what they mean.
    """

    def get_template(self, template_name, skip=None):
        if easy_read_active() and not template_name.startswith(EASY_READ_PREFIX):
            try:
                return super().get_template(EASY_READ_PREFIX + template_name, skip=skip)
            except TemplateDoesNotExist:
                pass
        return super().get_template(template_name, skip=skip)


def alternate_links(request) -> list[dict]:
    """One link per language for `<link rel="alternate" hreflang>`: this page
    with `?lang=<code>` (other query parameters kept), plus x-default."""
    params = [(k, v) for k, values in request.GET.lists() if k != "lang" for v in values]
    links = []
    for code, _name in settings.LANGUAGES:
        query = urlencode([*params, ("lang", code)])
        links.append({"hreflang": html_lang(code), "href": request.build_absolute_uri(f"{request.path}?{query}")})
    plain = urlencode(params)
    links.append(
        {"hreflang": "x-default", "href": request.build_absolute_uri(request.path + (f"?{plain}" if plain else ""))}
    )
    return links
