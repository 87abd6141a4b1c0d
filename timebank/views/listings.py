"""Pages for offers and requests: browsing them, one listing's page (where a
member proposes an exchange), a member's own listings, and the coordinators'
category pages.

Thin views: parse the form, call one selector or service, render. A refusal
from a service comes back on the form next to its field (never a 500); a
listing someone may not see is "not found".
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from core.errors import DomainError
from timebank.forms.exchanges import ProposeExchangeForm
from timebank.forms.listings import CategoryForm, ListingBrowseForm, ListingForm, ListingReopenForm
from timebank.models import Listing, ListingKind, ListingStatus
from timebank.pages import (
    browsing_timebank,
    coordinator_page,
    member_page,
    not_found_as_404,
    not_found_unless,
    page_number,
    put_error_on_form,
    timebank_data_page,
)
from timebank.permissions import is_coordinator_of
from timebank.selectors.listings import (
    category_of_timebank,
    listing_browse as select_listings,
    listing_for_viewer,
    listings_of_member,
    timebank_categories,
)
from timebank.selectors.members import member_for_user
from timebank.services import exchanges as exchange_services, listings as listing_services
from timebank.services.safeguarding import OVERRIDE_FIELD

PAGE_SIZE = 20


@timebank_data_page
def listing_browse(request):
    timebank = browsing_timebank(request)
    form = ListingBrowseForm(request.GET or None, timebank=timebank)
    filters = form.cleaned_data if form.is_valid() else {}
    listings = select_listings(
        timebank=timebank,
        kind=filters.get("kind") or None,
        category=filters.get("category"),
        text=filters.get("q", ""),
    )
    page = Paginator(listings, PAGE_SIZE).get_page(page_number(request))
    # Keep the filters in the page links, without the page number itself.
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "timebank/listings/browse.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def _can_propose(member, listing: Listing) -> bool:
    return (
        member is not None
        and member.can_exchange
        and member.pk != listing.member_id
        and listing.status == ListingStatus.OPEN
    )


@timebank_data_page
def listing_detail(request, public_id):
    with not_found_as_404():
        listing = listing_for_viewer(public_id=public_id, user=request.user)
    member = member_for_user(request.user)
    form = None
    if _can_propose(member, listing):
        form = ProposeExchangeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                exchange = exchange_services.exchange_propose_from_listing(
                    listing=listing, member=member, by_user=request.user, **form.cleaned_data
                )
            except DomainError as error:
                put_error_on_form(form, error)
            else:
                messages.success(
                    request,
                    gettext("Your suggestion has been sent to %(name)s. We will e-mail you when they reply.")
                    % {"name": listing.member.display_name},
                )
                return redirect("timebank:exchange-detail", public_id=exchange.public_id)
    elif request.method == "POST":
        if listing.kind == ListingKind.OFFER:
            messages.error(request, gettext("You cannot suggest an exchange for this offer."))
        else:
            messages.error(request, gettext("You cannot suggest an exchange for this request."))
        return redirect("timebank:listing-detail", public_id=listing.public_id)
    return render(
        request,
        "timebank/listings/detail.html",
        {
            "listing": listing,
            "form": form,
            "is_owner": member is not None and member.pk == listing.member_id,
        },
    )


@member_page()
def my_listings(request, member):
    return render(request, "timebank/listings/mine.html", {"listings": listings_of_member(member=member)})


@member_page()
def listing_create(request, member):
    form = ListingForm(
        request.POST or None,
        initial={"where": "public"},
        timebank=member.timebank,
        may_override=is_coordinator_of(request.user, member.timebank_id),
        carer=member.is_carer,
    )
    if request.method == "POST" and form.is_valid():
        try:
            listing = listing_services.listing_create(member=member, by_user=request.user, **form.cleaned_data)
        except DomainError as error:
            _put_refusal_on_form(form, error)
        else:
            messages.success(
                request,
                gettext("“%(title)s” is open until %(day)s.")
                % {"title": listing.title, "day": date_format(listing.expires_on, "d F Y")},
            )
            return redirect("timebank:my-listings")
    return render(request, "timebank/listings/form.html", {"form": form, "listing": None})


def _put_refusal_on_form(form: ListingForm, error: DomainError) -> None:
    """A refusal next to its field; when the safeguarding rule refused and the
    person may override it (a coordinator of the timebank: the service names
    the reason field only for them), the reason field is shown with it."""
    if error.field == OVERRIDE_FIELD:
        form.offer_override()
    put_error_on_form(form, error)


def _editable_listing(request, public_id) -> Listing:
    """The owner's listing, or one of their timebank's for its coordinator; anyone else gets 404."""
    listing = get_object_or_404(Listing.objects.select_related("member", "category", "timebank"), public_id=public_id)
    not_found_unless(listing.member.user_id == request.user.pk or is_coordinator_of(request.user, listing.timebank_id))
    return listing


def _after_change(request, listing: Listing):
    if listing.member.user_id == request.user.pk:
        return redirect("timebank:my-listings")
    return redirect("timebank:listing-detail", public_id=listing.public_id)


@login_required
def listing_edit(request, public_id):
    listing = _editable_listing(request, public_id)
    initial = {
        "category": listing.category,
        "title": listing.title,
        "description": listing.description,
        "where": listing.where,
        "expires_on": listing.expires_on,
        "carers_break": listing.carers_break,
    }
    form = ListingForm(
        request.POST or None,
        initial=initial,
        timebank=listing.timebank,
        with_kind=False,
        current_category=listing.category,
        may_override=is_coordinator_of(request.user, listing.timebank_id),
        # A request of a member who looks after someone may be (or stop being) a carer's break.
        carer=listing.kind == "request" and (listing.member.is_carer or bool(listing.carers_break)),
    )
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        if fields.get("expires_on") in (None, listing.expires_on):
            # Blank or unchanged: keep the current end date (it may be past for a closed listing).
            fields.pop("expires_on", None)
        try:
            listing_services.listing_update(listing=listing, by_user=request.user, **fields)
        except DomainError as error:
            _put_refusal_on_form(form, error)
        else:
            messages.success(request, gettext("“%(title)s” has been updated.") % {"title": listing.title})
            return _after_change(request, listing)
    return render(request, "timebank/listings/form.html", {"form": form, "listing": listing})


@require_POST
@login_required
def listing_close(request, public_id):
    listing = _editable_listing(request, public_id)
    try:
        listing_services.listing_close(listing=listing, by_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            gettext("“%(title)s” is closed. It no longer shows when people browse.") % {"title": listing.title},
        )
    return _after_change(request, listing)


@require_POST
@login_required
def listing_reopen(request, public_id):
    listing = _editable_listing(request, public_id)
    form = ListingReopenForm(request.POST)
    if not form.is_valid() and is_coordinator_of(request.user, listing.timebank_id):
        # A coordinator's reason that cannot be used (too long, a NUL byte): say
        # so next to it and change nothing, rather than ask again for a reason.
        return render(request, "timebank/listings/reopen.html", {"form": form, "listing": listing})
    # Members have no reason field: whatever a hand-made request sends is not read.
    reason = form.cleaned_data["safeguarding_override_reason"] if form.is_valid() else ""
    try:
        listing_services.listing_reopen(listing=listing, by_user=request.user, safeguarding_override_reason=reason)
    except DomainError as error:
        if error.field == OVERRIDE_FIELD:
            # The safeguarding rule refused an offer and a coordinator may go
            # ahead with a reason: ask for it (a member is only told, below).
            put_error_on_form(form, error)
            return render(request, "timebank/listings/reopen.html", {"form": form, "listing": listing})
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            gettext("“%(title)s” is open again until %(day)s.")
            % {"title": listing.title, "day": date_format(listing.expires_on, "d F Y")},
        )
    return _after_change(request, listing)


# --- Coordinators: the categories of the timebank they work in ---------------------------
# Each timebank has its own list: a coordinator sees and edits only the list of
# the timebank their page works in; another timebank's category is "not found".


@coordinator_page
def category_list(request, timebank):
    categories = timebank_categories(timebank=timebank)
    return render(request, "timebank/listings/categories.html", {"categories": categories, "timebank": timebank})


@coordinator_page
def category_create(request, timebank):
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            category = listing_services.category_create(timebank=timebank, by_user=request.user, **form.cleaned_data)
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, gettext("Category “%(name)s” added.") % {"name": category.name})
            return redirect("timebank:category-list")
    return render(request, "timebank/listings/category_form.html", {"form": form, "category": None})


@coordinator_page
def category_edit(request, timebank, pk):
    category = category_of_timebank(timebank=timebank, pk=pk)
    initial = {
        "name": category.name,
        "description": category.description,
        "name_cy": category.name_cy,
        "description_cy": category.description_cy,
        "needs_references": category.needs_references,
        "needs_dbs_check": category.needs_dbs_check,
    }
    form = CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            listing_services.category_update(category=category, by_user=request.user, **form.cleaned_data)
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, gettext("Category “%(name)s” saved.") % {"name": category.name})
            return redirect("timebank:category-list")
    return render(request, "timebank/listings/category_form.html", {"form": form, "category": category})


@require_POST
@coordinator_page
def category_set_active(request, timebank, pk):
    category = category_of_timebank(timebank=timebank, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        listing_services.category_set_active(category=category, active=active, by_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            (
                gettext("“%(name)s” is back in use.")
                if active
                else gettext("“%(name)s” is switched off: no new offers or requests can use it.")
            )
            % {"name": category.name},
        )
    return redirect("timebank:category-list")
