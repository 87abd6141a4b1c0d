"""Referral pages: a link worker's referrals, making one (with a directory
search to pick the service), one referral's page, and a group organiser's
referrals in with places left. Thin: every rule is in services/selectors,
every read of a referral is logged, and pages are never cached. Who may open
a page (404 "Not found" to anyone else) and how a refusal shows on a form
are timebank.pages'."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from assets.models import Service, ServiceStatus
from assets.selectors import asset_search, taxonomy_terms
from core.errors import DomainError
from referrals import selectors, services, states
from referrals.actors import Actor, actor_for_user
from referrals.forms import ListFilterForm, ReferralForm, ServiceSearchForm, TransitionForm
from referrals.models import ConsentScope
from timebank.models import Timebank
from timebank.pages import not_found_as_404, not_found_unless, put_error_on_form
from timebank.permissions import is_coordinator
from timebank.private_search import private_search
from timebank.selectors.timebanks import is_slug, public_timebanks

PAGE_SIZE = 25


def _actor(request) -> Actor:
    actor = actor_for_user(request.user)
    # People without an organisation (other than coordinators, who receive
    # referrals to the timebank) have no referrals to see.
    not_found_unless(actor.organisation is not None or is_coordinator(request.user))
    return actor


@never_cache
@login_required
def my_referrals(request):
    actor = _actor(request)
    # Posted, not in the address: a patient's name must not reach access logs (timebank.private_search).
    search = private_search(request, ListFilterForm, name="referrals", public_fields=("status",))
    if search.redirect is not None:
        return search.redirect
    queryset = selectors.referrals_made_by(actor).order_by("-modified_at", "pk")
    terms = search.terms
    if terms.get("status"):
        queryset = queryset.filter(status=terms["status"])
    for word in terms.get("name", "").split()[:3]:
        queryset = queryset.filter(
            Q(given_name__icontains=word) | Q(family_name__icontains=word) | Q(preferred_name__icontains=word)
        )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    services.referrals_read(actor=actor, referrals=list(page.object_list))
    return render(
        request,
        "referrals/my_referrals.html",
        {"page": page, "filters": search.form, "actor": actor},
        status=search.status,
    )


@never_cache
@login_required
def new_referral(request):
    """Step 1: find a service (or choose a timebank). Step 2: the form."""
    actor = _actor(request)
    service_id = request.GET.get("service")
    timebank = None
    if not service_id and request.GET.get("timebank"):
        timebank = _chosen_timebank(request.GET["timebank"])
        if timebank is None:
            messages.error(request, "Choose which timebank to refer the person to.")
            return redirect("referrals:new")
    if not service_id and timebank is None:
        return _pick_target(request)
    service = None
    if service_id:
        service = (
            Service.objects.select_related("organisation")
            .filter(pk=_uuid_or_none(service_id), status=ServiceStatus.ACTIVE, accepts_referrals=True)
            .first()
        )
        if service is None:
            messages.error(request, "That service cannot take referrals. Choose another.")
            return redirect("referrals:new")
    form = ReferralForm(request.POST or None, initial={"consent_scopes": [ConsentScope.SHARE_WITH_SERVICE]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        consent = None
        if data["consent_given"] or data["consent_scopes"]:
            consent = services.ConsentDetails(
                given=data["consent_given"],
                scopes=data["consent_scopes"],
                method=data["consent_method"],
                recorded_by=data["consent_recorded_by"],
                recorded_at=form.consent_recorded_at(),
            )
        try:
            referral = services.referral_create(
                actor=actor,
                person=services.PersonDetails(
                    given_name=data["given_name"],
                    family_name=data["family_name"],
                    preferred_name=data["preferred_name"],
                    date_of_birth=data["date_of_birth"],
                    postcode=data["postcode"],
                    phone=data["phone"],
                    email=data["email"],
                    preferred_contact=data["preferred_contact"],
                    contact_times=data["contact_times"],
                    communication_needs=data["communication_needs"],
                    do_not_contact=data["do_not_contact"],
                ),
                consent=consent,
                what_matters=data["what_matters"],
                needs=[term.slug for term in data["needs"]],
                target_service_id=service.pk if service else None,
                target_timebank=timebank.slug if timebank else "",
                priority=data["priority"],
                notes=data["notes"],
                draft=data["save_as_draft"],
            )
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, "The referral has been saved.")
            return redirect("referrals:detail", referral_id=referral.pk)
    target_name = service.name if service else (timebank.name if timebank else "")
    return render(
        request,
        "referrals/new_form.html",
        {"form": form, "service": service, "timebank": timebank, "target_name": target_name},
    )


def _chosen_timebank(value: str) -> Timebank | None:
    """The timebank ?timebank= names by its short name; "1" (the address the
    page used before an install could have several) means the only one. None
    when it names none, or when "1" is ambiguous: the person chooses."""
    chosen = public_timebanks().filter(slug=value).first() if is_slug(value) else None
    if chosen is None and value == "1":
        only = list(public_timebanks()[:2])
        chosen = only[0] if len(only) == 1 else None
    return chosen


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _pick_target(request):
    # Posted, not in the address: the place is usually the person's own postcode,
    # which must not reach access logs (timebank.private_search).
    found = private_search(request, ServiceSearchForm, name="referral-services")
    if found.redirect is not None:
        return found.redirect
    search, error = None, None
    terms = found.terms
    if terms.get("near"):
        try:
            search = asset_search(
                near=terms["near"], category=terms.get("category") or None, q=terms.get("q") or None, radius_km=10
            )
        except DomainError as exc:
            error = exc.message
    elif found.form.is_bound and found.form.errors:
        error = next(iter(found.form.errors.values()))[0]
    return render(
        request,
        "referrals/new_search.html",
        {
            "search": search,
            "error": error,
            "categories": taxonomy_terms(),
            "query": found.form.data if found.form.is_bound else {},
            "timebanks": list(public_timebanks()),
        },
        status=found.status,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def referral_detail(request, referral_id):
    # No organisation check first: the service refuses, and logs the attempt (D2).
    actor = actor_for_user(request.user)
    with not_found_as_404():
        referral = services.referral_read(
            actor=actor,
            referral_id=referral_id,
            queryset=selectors.referral_with_details(selectors.referrals_visible_to(actor)),
        )
    parties = selectors.referral_parties(actor, referral)
    moves = [m for party in parties for m in states.moves_for(referral.status, party)]
    if states.RECEIVER in parties and referral.status in states.BUSINESS_STATUS_UPDATABLE:
        moves.insert(0, referral.status)
    if referral.anonymised_at is not None:
        moves = []  # Read-only after the retention period (privacy.retention).
    form = TransitionForm(request.POST or None, moves=moves)
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_transition(
                actor=actor,
                referral_id=referral.pk,
                to=form.cleaned_data["to"],
                reason=form.cleaned_data["reason"],
                business_status=form.cleaned_data["business_status"],
            )
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, "The referral has been updated.")
            return redirect("referrals:detail", referral_id=referral.pk)
    sharing = selectors.referral_sharing(actor, referral)
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral,
            "sharing": sharing,
            "show": set(sharing.person_fields),
            "outcomes": selectors.referral_visible_outcomes(actor, referral),
            "form": form if moves else None,
            "is_referrer": states.REFERRER in parties,
        },
    )


@never_cache
@login_required
def referrals_in(request):
    actor = _actor(request)
    queryset = (
        selectors.referrals_received_by(actor)
        .filter(status__in=selectors.OPEN_STATUSES)
        .order_by("-priority", "requested_at", "pk")
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    referrals = list(page.object_list)
    services.referrals_read(actor=actor, referrals=referrals)
    own_services = []
    if actor.organisation is not None:
        own_services = list(
            Service.objects.filter(organisation=actor.organisation, accepts_referrals=True)
            .select_related("capacity")
            .order_by("name")
        )
    taken = selectors.places_taken([s.pk for s in own_services])
    places = [
        {
            "service": s,
            "working_with": taken.get(s.pk, 0),
            "places_available": getattr(getattr(s, "capacity", None), "places_available", None),
        }
        for s in own_services
    ]
    rows = [(r, selectors.referral_sharing(actor, r)) for r in referrals]
    return render(request, "referrals/incoming.html", {"page": page, "rows": rows, "places": places})
