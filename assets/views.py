"""Directory pages: search (list first, map second), a service's page, report a
problem, claim a listing, edit it, the coordinators' queues, and the feeds the
directory is imported from (coordinators add them, see each one's last report
and ask for a run; the run itself happens outside the request). Thin: parse,
check, call one selector or service, render. Who may open a page (404 "Not
found" to anyone else) and how a refusal shows on a form are timebank.pages'."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _, gettext_lazy
from django.views.decorators.http import require_POST

from assets import selectors, services
from assets.forms import (
    DEFAULT_RADIUS_MILES,
    RADIUS_MILES,
    SEARCH_PARAMETERS,
    AssetSearchForm,
    CapacityForm,
    ClaimForm,
    DecisionForm,
    FeedSourceForm,
    ProblemReportForm,
    ServiceEditForm,
    miles_text,
)
from assets.models import ACCESSIBILITY_LABELS, Capacity, FeedSource, OrganisationClaim, ProblemReport
from core.errors import DomainError
from core.places.geocoding import AmbiguousPlaceError
from core.ratelimit import form_limit_reached, refused_as_too_many
from timebank.models import Role
from timebank.pages import not_found_as_404, not_found_unless, put_error_on_form, role_page
from timebank.permissions import has_role

ATTRIBUTION = gettext_lazy(
    "Postcode districts: contains OS data © Crown copyright and database right; contains Royal Mail data "
    "© Royal Mail copyright and database right; contains National Statistics data © Crown copyright and "
    "database right (Open Government Licence v3.0). Places and Northern Ireland / Crown Dependencies "
    "postcode data from GeoNames, CC BY 4.0."
)


# A "Back to search" link carries at most this much of each parameter.
MAX_PARAMETER_LENGTH = 100
MAX_PARAMETER_VALUES = 10
# The search's filters besides the place and words ("Search again without filters").
FILTER_PARAMETERS = ("category", "day", "free_only", "accessibility", "source")


def _service_or_404(service_id):
    with not_found_as_404():
        return selectors.service_detail(service_id=service_id)


def _search_query(params, **changes) -> str:
    """The directory's own parameters from `params` (a QueryDict), with `changes`
    applied (None drops one), as a query string. Anything else is left out, so a
    link built from it can only ever lead back to the directory's search."""
    query = QueryDict(mutable=True)
    for name in SEARCH_PARAMETERS:
        values = [value[:MAX_PARAMETER_LENGTH] for value in params.getlist(name)[:MAX_PARAMETER_VALUES] if value]
        if values:
            query.setlist(name, values)
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = str(value)
    return query.urlencode()


def _search_summary(form: AssetSearchForm) -> list[str]:
    """What the search asked for besides the place, in words: "Your search: ..."."""
    data = form.cleaned_data
    parts = []
    if data["q"]:
        parts.append(f"\u201c{data['q']}\u201d")
    # Why Any: the choice fields' choices are plain (value, label) pairs, set in the form.
    fields: dict[str, Any] = form.fields
    choices = {name: dict(fields[name].choices) for name in ("category", "day", "source")}
    if data["category"]:
        parts.append(str(choices["category"].get(data["category"], data["category"])))
    if data["day"]:
        parts.append(_("on %(day)s") % {"day": choices["day"].get(data["day"], data["day"])})
    if data["free_only"]:
        parts.append(_("free only"))
    if data["accessibility"]:
        needs = [str(ACCESSIBILITY_LABELS[need]).lower() for need in data["accessibility"]]
        together = needs[0]
        for need in needs[1:]:
            together = _("%(first)s and %(then)s") % {"first": together, "then": need}
        parts.append(_("with %(needs)s") % {"needs": together})
    if data["source"] == selectors.LOCAL_SOURCE:
        parts.append(_("added here"))
    elif data["source"]:
        parts.append(_("from %(source)s") % {"source": choices["source"].get(data["source"], data["source"])})
    return parts


def directory(request):
    form = AssetSearchForm(request.GET or None)
    page = listing = choices = None
    searched = False
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "category": data["category"] or None,
            "q": data["q"],
            "day": data["day"] or None,
            "free_only": data["free_only"],
            "accessibility": data["accessibility"],
            "source": data["source"] or None,
            "page": data["page"] or 1,
        }
        # A search with only words or filters lists the whole directory by name.
        searched = bool(data["near"]) or any(value for name, value in filters.items() if name != "page")
        try:
            if data["near"]:
                page = selectors.asset_search(near=data["near"], radius_km=form.radius_km, **filters)
            elif searched:
                listing = selectors.asset_listing(**filters)
        except AmbiguousPlaceError as exc:
            choices = exc.choices
            put_error_on_form(form, exc, otherwise="near")
        except DomainError as exc:
            put_error_on_form(form, exc, otherwise="near")
    found = page or listing
    search_query = _search_query(request.GET)
    numbered = []
    markers = []
    if found:
        first = (found.page - 1) * found.per_page + 1
        for number, result in enumerate(found.results, start=first):
            url = reverse("assets:service", args=[result.service.id]) + (f"?{search_query}" if search_query else "")
            distance = _("%(distance)s away") % {"distance": miles_text(result.distance_miles)} if page else ""
            numbered.append({"number": number, "result": result, "url": url, "distance": distance})
            if page:
                markers.append(
                    {
                        "lat": result.location.latitude,
                        "lng": result.location.longitude,
                        "number": number,
                        "name": result.service.name,
                        "url": url,
                        "distance": distance,
                    }
                )
    radius_miles = form.radius_miles if form.is_bound and hasattr(form, "cleaned_data") else DEFAULT_RADIUS_MILES
    wider = []
    if page and not page.count:
        wider = [
            {"label": label, "query": _search_query(request.GET, radius=miles, page=None)}
            for miles, label in RADIUS_MILES
            if miles > radius_miles
        ][:2]
    summary = _search_summary(form) if found else []
    return render(
        request,
        "assets/directory.html",
        {
            "form": form,
            "main_fields": form.main_fields(),
            "more_fields": form.more_fields(),
            # Open "More filters" when one of them is in use or has an error.
            "more_open": bool(found is not None and any(form.cleaned_data.get(name) for name in FILTER_PARAMETERS))
            or any(field.errors for field in form.more_fields().fields),
            "page": page,
            "listing": listing,
            "found": found,
            "numbered": numbered,
            "radius_text": miles_text(radius_miles),
            "summary": summary,
            "wider": wider,
            "without_filters": _search_query(request.GET, **dict.fromkeys((*FILTER_PARAMETERS, "page")))
            if found is not None and any(form.cleaned_data.get(name) for name in FILTER_PARAMETERS)
            else "",
            "choices": choices,
            "page_query": _search_query(request.GET, page=None),
            # A full postcode the geocoder could place only at its district's centre.
            "distances_approximate": bool(
                page and page.origin.kind == "district" and page.origin.postcode != page.origin.district
            ),
            "map_data": {
                "markers": markers,
                "origin": [page.origin.lat, page.origin.lng] if page else None,
                "tileUrl": settings.ASSETS_MAP_TILE_URL,
                "tileAttribution": settings.ASSETS_MAP_TILE_ATTRIBUTION,
            },
            "attribution": ATTRIBUTION,
        },
    )


def service_page(request, service_id):
    service = _service_or_404(service_id)
    user = request.user
    search_query = _search_query(request.GET)
    locations = [sal.location for sal in service.service_at_locations.all()]
    return render(
        request,
        "assets/service_detail.html",
        {
            "service": service,
            "capacity": getattr(service, "capacity", None) if hasattr(service, "capacity") else None,
            "locations": locations,
            "places": [(location, selectors.place_note(location)) for location in locations],
            "categories": [a.taxonomy_term for a in service.attributes.all() if a.link_type == "category"],
            "who_for": [a.taxonomy_term for a in service.attributes.all() if a.link_type == "eligibility"],
            "is_stale": selectors.service_is_stale(service),
            "can_edit": selectors.user_can_edit_service(user=user, service=service),
            "can_refer": has_role(user, Role.LINK_WORKER),
            "can_claim": has_role(user, Role.GROUP_ORGANISER)
            and selectors.organisation_can_be_claimed(service.organisation),
            "attribution": ATTRIBUTION,
            # Back to the search that led here: rebuilt from the directory's own parameters only.
            "back_to_search": reverse("assets:directory") + (f"?{search_query}" if search_query else ""),
        },
    )


def service_report(request, service_id):
    service = _service_or_404(service_id)
    form = ProblemReportForm(request.POST or None)
    wait = None
    if request.method == "POST" and form.is_valid() and not (wait := form_limit_reached(request, form, scope="report")):
        try:
            services.problem_report_create(service=service, reporter=request.user, **form.cleaned_data)
        except DomainError as exc:
            put_error_on_form(form, exc)
        else:
            messages.success(request, _("Thank you. A coordinator will check this listing."))
            return redirect("assets:service", service_id=service.id)
    return refused_as_too_many(render(request, "assets/service_report.html", {"service": service, "form": form}), wait)


@login_required
def service_claim(request, service_id):
    service = _service_or_404(service_id)
    form = ClaimForm(request.POST or None)
    wait = None
    if request.method == "POST" and form.is_valid() and not (wait := form_limit_reached(request, form, scope="claim")):
        try:
            services.organisation_claim_request(
                by_user=request.user, service=service, message=form.cleaned_data["message"]
            )
        except DomainError as exc:
            put_error_on_form(form, exc)
        else:
            messages.success(request, _("Thank you. A coordinator will check and let you know."))
            return redirect("assets:service", service_id=service.id)
    return refused_as_too_many(render(request, "assets/service_claim.html", {"service": service, "form": form}), wait)


@login_required
def service_edit(request, service_id):
    service = _service_or_404(service_id)
    not_found_unless(selectors.user_can_edit_service(user=request.user, service=service))
    capacity = Capacity.objects.filter(service=service).first()
    form = ServiceEditForm(request.POST or None, instance=service, prefix="service")
    capacity_form = CapacityForm(
        request.POST or None,
        prefix="capacity",
        initial={"places_available": capacity.places_available, "waitlist_open": capacity.waitlist_open}
        if capacity
        else None,
    )
    if request.method == "POST" and "still_right" in request.POST:
        services.service_mark_reviewed(service=service, by_user=request.user)
        messages.success(request, _("Thank you. The listing is marked as checked today."))
        return redirect("assets:service", service_id=service.id)
    if request.method == "POST" and form.is_valid() and capacity_form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.service_update(service=service, by_user=request.user, changes=changes)
            services.capacity_update(service=service, by_user=request.user, **capacity_form.cleaned_data)
        except DomainError as exc:
            put_error_on_form(form, exc)
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("assets:service", service_id=service.id)
    return render(
        request, "assets/service_edit.html", {"service": service, "form": form, "capacity_form": capacity_form}
    )


@role_page(Role.COORDINATOR)
def coordinator_reports(request):
    return render(request, "assets/coordinator_reports.html", {"reports": selectors.open_problem_reports()[:200]})


@role_page(Role.COORDINATOR)
@require_POST
def coordinator_report_resolve(request, report_id):
    report = get_object_or_404(ProblemReport, pk=report_id)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.problem_report_resolve(
            report=report, by_user=request.user, note=note, close_service=request.POST.get("close_service") == "1"
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Marked as dealt with."))
    return redirect("assets:coordinator-reports")


@role_page(Role.COORDINATOR)
def coordinator_claims(request):
    return render(request, "assets/coordinator_claims.html", {"claims": selectors.pending_claims()[:200]})


@role_page(Role.COORDINATOR)
@require_POST
def coordinator_claim_decide(request, claim_id):
    claim = get_object_or_404(OrganisationClaim, pk=claim_id)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if request.POST.get("decision") == "approve":
            services.organisation_claim_approve(claim=claim, by_user=request.user)
            messages.success(
                request,
                _("%(user)s can now manage %(organisation)s's listings.")
                % {"user": claim.user, "organisation": claim.organisation},
            )
        else:
            services.organisation_claim_reject(claim=claim, by_user=request.user, note=note)
            messages.success(request, _("Claim turned down."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("assets:coordinator-claims")


# --- Feed sources ----------------------------------------------------------------------------

# Skipped records and warnings shown for each source on the list; its own page shows more.
REPORT_ON_LIST = 10
REPORT_ON_PAGE = 200


def _report(feed: FeedSource, *, limit: int) -> dict[str, Any]:
    """The parts of a source's last report to show, each list cut to `limit` with how many more."""
    report = feed.last_report if isinstance(feed.last_report, dict) else {}
    shown: dict[str, Any] = {}
    for kind in ("errors", "warnings"):
        items = [item for item in report.get(kind) or [] if isinstance(item, list) and len(item) == 2]
        left_off = report.get(f"{kind}_left_off") or 0
        shown[kind] = items[:limit]
        shown[f"{kind}_more"] = max(0, len(items) - limit) + (left_off if isinstance(left_off, int) else 0)
    shown["line"] = report.get("line") or ""
    return shown


def _run_queued_message(feed: FeedSource) -> str:
    if settings.CELERY_BROKER_URL and not settings.CELERY_TASK_ALWAYS_EAGER:
        return _("%(name)s is queued and will start in a minute or two. Its report will be on this page.") % {
            "name": feed.name
        }
    return _(
        "%(name)s is queued. The scheduled import job will pick it up the next time it runs "
        "(every few minutes). Its report will be on this page when it has finished."
    ) % {"name": feed.name}


@role_page(Role.COORDINATOR)
def coordinator_feeds(request):
    form = FeedSourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            feed = services.feed_source_save(by_user=request.user, **form.cleaned_data)
        except DomainError as exc:
            put_error_on_form(form, exc)
        else:
            messages.success(
                request, _("%(name)s is added. Use Run now to import it straight away.") % {"name": feed.name}
            )
            return redirect("assets:coordinator-feeds")
    feeds = [(feed, _report(feed, limit=REPORT_ON_LIST)) for feed in selectors.feed_sources()]
    return render(request, "assets/coordinator_feeds.html", {"feeds": feeds, "form": form})


@role_page(Role.COORDINATOR)
def coordinator_feed(request, feed_id):
    feed = get_object_or_404(FeedSource, pk=feed_id)
    initial = {"name": feed.name, "url": feed.url, "schedule": feed.schedule, "is_active": feed.is_active}
    form = FeedSourceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.feed_source_save(by_user=request.user, feed=feed, **form.cleaned_data)
        except DomainError as exc:
            put_error_on_form(form, exc)
        else:
            messages.success(request, _("Your changes to %(name)s are saved.") % {"name": feed.name})
            return redirect("assets:coordinator-feeds")
        feed.refresh_from_db()
    return render(
        request,
        "assets/coordinator_feed.html",
        {"feed": feed, "report": _report(feed, limit=REPORT_ON_PAGE), "form": form},
    )


@role_page(Role.COORDINATOR)
@require_POST
def coordinator_feed_run(request, feed_id):
    feed = get_object_or_404(FeedSource, pk=feed_id)
    try:
        services.request_run(feed, request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _run_queued_message(feed))
    return redirect("assets:coordinator-feeds")
