"""Searches for a person by name, phone, e-mail or postcode, with the terms kept
out of every address (issue 12).

A GET form puts what was typed in the address, and addresses end up in access
logs, browser history and Referer headers. These searches are POSTed instead
(with the CSRF token); the terms are kept in the searcher's session under a
short random id, and the browser is redirected to `?s=<id>`, which the page's
own pagination links carry on (`&page=2`). The id means nothing outside that
session: another person, or the same person after signing out, gets the plain
list. Search terms in the address itself are ignored, so an old bookmarked
`?q=<name>` searches for nothing.

Only the last few searches are kept per session (SEARCHES_KEPT): the session
row, not a log, holds them, and it goes when the session ends.
"""

import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

SESSION_KEY = "private_searches"
SEARCHES_KEPT = 10
# token_urlsafe(9) gives 12 characters; anything else in ?s= is ignored.
TOKEN_LENGTH = 12


@dataclass(frozen=True)
class PrivateSearch:
    """The form to show (bound to the saved terms, or empty), the redirect after
    a good POST, the query string for pagination links, and the status to answer."""

    form: forms.Form
    redirect: HttpResponse | None
    query: str
    status: int

    @property
    def terms(self) -> dict:
        """The cleaned terms, or {} when there is no valid search."""
        return self.form.cleaned_data if self.form.is_bound and self.form.is_valid() else {}


def private_search(
    request: HttpRequest, form_class: type[forms.Form], *, name: str, public_fields: tuple[str, ...] = ()
) -> PrivateSearch:
    """Handle a search page's form: see the module docstring.

    `name` keeps one page's saved searches from being replayed on another.
    `public_fields` may still come in the address (a status filter, never a
    person's details), so links such as `?status=applied` keep working.
    """
    saved: dict = request.session.get(SESSION_KEY, {})
    if request.method == "POST":
        form = form_class(request.POST)
        if not form.is_valid():
            return PrivateSearch(form=form, redirect=None, query="", status=400)
        token = secrets.token_urlsafe(9)
        terms = {field: request.POST.get(field, "") for field in form.fields}
        # Dicts keep insertion order: the oldest searches are dropped first.
        kept = list(saved.items())[-(SEARCHES_KEPT - 1) :]
        request.session[SESSION_KEY] = {**dict(kept), token: {"page": name, "terms": terms}}
        return PrivateSearch(form=form, redirect=redirect(f"{request.path}?s={token}"), query="", status=302)
    token = request.GET.get("s", "")
    entry = saved.get(token) if len(token) == TOKEN_LENGTH else None
    if entry is not None and entry.get("page") == name:
        return PrivateSearch(form=form_class(entry["terms"]), redirect=None, query=urlencode({"s": token}), status=200)
    public = {field: request.GET[field] for field in public_fields if request.GET.get(field)}
    if public:
        return PrivateSearch(form=form_class(public), redirect=None, query=urlencode(public), status=200)
    return PrivateSearch(form=form_class(), redirect=None, query="", status=200)
