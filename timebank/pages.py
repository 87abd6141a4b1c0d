"""What every app's pages share: who may open a page, and how a service's
refusal is shown on a form. The views of every app (timebank, assets,
referrals, brokering, privacy) use these and write none of their own.

One policy for pages:
- a visitor who is not logged in is sent to the login page (and back after);
- a logged-in person who may not open the page (the wrong role, someone
  else's listing, an object of another timebank or organisation), or who asks
  for something that does not exist, gets 404 "Not found". A page never shows
  that something exists which the person may not see, so no page answers 403
  for its own rules (Django still answers 403 to a form posted without its
  CSRF token). The API is not a page: it keeps DRF's 401/403.

Who holds which role is timebank.permissions' rule; this module only turns
it into answers for pages.

- `member_page()`: a member's pages about themselves; the view gets the Member.
- `coordinator_page`: coordinators' pages; the view gets their Timebank.
- `timebank_data_page`: pages of a timebank's offers, requests and exchanges,
  for its approved members and coordinators (applicants see the waiting page);
  `browsing_timebank(request)`: which timebank such a list shows.
- `role_page(role)`: pages for one role (coordinators of the directory, ...).
- `network_admin_page`: the network administrator's pages (starting timebanks).
- `not_found_unless(allowed)`, `not_found_as_404()`: the same answer for a
  check on one object inside a view.
- `put_error_on_form(form, error)`: a service's DomainError next to its field.
- `page_number(request)`: the ?page= of a list, trimmed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from core.errors import DomainError, NotFoundError
from timebank.models import MemberStatus, Timebank
from timebank.permissions import (
    coordinated_timebanks,
    has_role,
    is_coordinator,
    is_network_admin,
    visible_timebank_ids,
)
from timebank.selectors.members import member_for_user
from timebank.selectors.timebanks import is_slug

NOT_FOUND = gettext_lazy("Not found")

View = Callable[..., HttpResponse]


# --- Who may open a page ------------------------------------------------------------------


def not_found() -> Http404:
    """The one answer to "you may not see this" and "this does not exist"."""
    return Http404(str(NOT_FOUND))


def not_found_unless(allowed: bool) -> None:
    """For a check inside a view (whose object is this?): 404 unless allowed."""
    if not allowed:
        raise not_found()


@contextmanager
def not_found_as_404() -> Iterator[None]:
    """A NotFoundError from a selector or service becomes the page's 404."""
    try:
        yield
    except NotFoundError:
        raise not_found() from None


def member_page(*, allow_applicants: bool = False) -> Callable[[View], View]:
    """Pages for a member about themselves; the view is called with the Member.
    People still waiting for approval (or turned down) see that instead; a
    login without a member profile is told so rather than shown an error."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            member = member_for_user(request.user)
            if member is None:
                return render(request, "timebank/members/no_profile.html")
            if member.status == MemberStatus.DECLINED:
                return render(request, "timebank/members/declined.html", {"member": member})
            if member.status == MemberStatus.APPLIED and not allow_applicants:
                return render(request, "timebank/members/waiting.html", {"member": member})
            return view(request, member, *args, **kwargs)

        return wrapper

    return decorator


def _not_yet_a_member(request: HttpRequest) -> HttpResponse:
    """What someone who may see no timebank's data is shown instead of it: the
    same pages as member_page shows (waiting, declined, no profile); 404 else."""
    member = member_for_user(request.user)
    if member is None:
        return render(request, "timebank/members/no_profile.html")
    if member.status == MemberStatus.DECLINED:
        return render(request, "timebank/members/declined.html", {"member": member})
    if member.status == MemberStatus.APPLIED:
        return render(request, "timebank/members/waiting.html", {"member": member})
    raise not_found()


def timebank_data_page(view: View) -> View:
    """Pages showing a timebank's offers, requests and people to those who may
    see that timebank's data (timebank.permissions.visible_timebank_ids): its
    approved members and its coordinators. The view is called as is and must
    look its objects up within `visible_timebank_ids(request.user)`. Someone
    still waiting for approval sees the waiting page instead, not other
    members' offers and requests."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not visible_timebank_ids(request.user):
            return _not_yet_a_member(request)
        with not_found_as_404():
            return view(request, *args, **kwargs)

    return wrapper


def browsing_timebank(request: HttpRequest) -> Timebank:
    """The timebank whose offers and requests a list shows: an approved member's
    own; for a coordinator who is not (or who asks with ?coordinating=<slug>)
    the one they are working in (`coordinating_timebank`)."""
    member = member_for_user(request.user)
    own = member is not None and member.timebank_id in visible_timebank_ids(request.user)
    if own and "coordinating" not in request.GET:
        return member.timebank  # type: ignore[union-attr]
    return coordinating_timebank(request)


# The timebank a coordinator of several has chosen to work in, for the session.
COORDINATING_SESSION_KEY = "coordinating_timebank"


def coordinating_timebank(request: HttpRequest) -> Timebank:
    """The timebank a coordinator's page works in: one of those they coordinate
    (timebank.permissions.coordinated_timebanks), chosen with ?coordinating=<slug>
    and remembered for the session, else the first by name. 404 when they
    coordinate none, or name one they do not coordinate."""
    timebanks = coordinated_timebanks(request.user).order_by("name", "pk")
    slug = request.GET.get("coordinating", "")
    if slug:
        chosen = timebanks.filter(slug=slug).first() if is_slug(slug) else None
        not_found_unless(chosen is not None)
        request.session[COORDINATING_SESSION_KEY] = chosen.pk  # type: ignore[union-attr]
        return chosen  # type: ignore[return-value]
    remembered = request.session.get(COORDINATING_SESSION_KEY)
    chosen = timebanks.filter(pk=remembered).first() if isinstance(remembered, int) else None
    chosen = chosen or timebanks.first()
    not_found_unless(chosen is not None)
    return chosen  # type: ignore[return-value]


def coordinator_page(view: View) -> View:
    """Coordinators' pages; the view is called with the Timebank the coordinator
    is working in (`coordinating_timebank`), and must look every object up in it."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        not_found_unless(is_coordinator(request.user))
        timebank = coordinating_timebank(request)
        with not_found_as_404():
            return view(request, timebank, *args, **kwargs)

    return wrapper


def role_page(role: str) -> Callable[[View], View]:
    """Pages for the people with `role` (timebank.permissions.has_role: a
    coordinator's pages are an administrator's too); the view is called as is."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            not_found_unless(has_role(request.user, role))
            with not_found_as_404():
                return view(request, *args, **kwargs)

        return wrapper

    return decorator


def network_admin_page(view: View) -> View:
    """Pages for network administrators (timebank.permissions.is_network_admin);
    the view is called as is. Coordinators and members get 404 like anyone else."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        not_found_unless(is_network_admin(request.user))
        with not_found_as_404():
            return view(request, *args, **kwargs)

    return wrapper


# --- A service's refusal on a form --------------------------------------------------------


def _form_field_for(form: forms.BaseForm, name: str) -> str | None:
    """The form's field for a field name a service gave, or None.

    A service names a field as its argument is named, and a part of an
    argument with a dot ("person.phone", "consent.scopes"). The form's field
    is the first of: the form's own `service_error_fields` mapping ("consent"
    -> "consent_given"), the same name, the name with its dots as underscores
    ("consent_scopes"), and the name's last part ("phone")."""
    aliases: Mapping[str, str] = getattr(form, "service_error_fields", {})
    candidates = [aliases.get(name, ""), name]
    if "." in name:
        candidates += [name.replace(".", "_"), name.rsplit(".", 1)[1]]
    return next((candidate for candidate in candidates if candidate in form.fields), None)


def put_error_on_form(form: forms.BaseForm, error: DomainError, *, otherwise: str | None = None) -> None:
    """Show a service's refusal next to the field it names, else at the top of
    the form (or next to the field `otherwise` when the page has a better place).
    The person sees the form again with the message: never a 500."""
    field = _form_field_for(form, error.field) if error.field else None
    form.add_error(field or otherwise, error.message)


# --- Lists ----------------------------------------------------------------------------------


def page_number(request: HttpRequest) -> str:
    """The list page asked for (?page=), trimmed; the paginator copes with junk."""
    return request.GET.get("page", "1")[:10]
