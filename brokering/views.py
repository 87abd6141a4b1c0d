"""Pages for brokering: the workbench, introductions, safeguarding, reports,
and the member's own matches. Thin: parse, check the role, call one selector
or service, render. Who may open a page (404 "Not found" to anyone else) and
how a refusal shows on a form are timebank.pages'."""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from brokering.charts import describe, render_svg
from brokering.forms import (
    CategorySafeguardingForm,
    CheckForm,
    IncidentForm,
    IntroduceForm,
    PeriodForm,
    RestrictionForm,
)
from brokering.selectors import workbench
from brokering.selectors.matching import helpers_held_back, suggest_assets, suggest_helpers
from brokering.selectors.reports import REPORTS, Period, Report, report_build
from brokering.selectors.safeguarding import (
    checks_expiring,
    incidents_for,
    member_safeguarding,
    members_with_safeguarding,
    reminder_days,
)
from brokering.services.introductions import introduction_make
from brokering.services.safeguarding import (
    category_safeguarding_set,
    incident_record,
    restriction_add,
    restriction_remove,
)
from core.csvsafe import csv_write
from core.errors import DomainError
from core.replica import reading_reports, reports_as_of
from timebank.i18n import member_language
from timebank.models import CategoryRestriction, Exchange, Member, Timebank
from timebank.pages import coordinator_page, member_page, not_found, put_error_on_form
from timebank.permissions import coordinated_timebanks
from timebank.selectors.listings import active_categories, category_of_timebank
from timebank.services.safeguarding import check_record

# --- workbench ---------------------------------------------------------------------------------


@coordinator_page
def workbench_home(request, timebank):
    return render(
        request,
        "brokering/workbench.html",
        {
            "timebank": timebank,
            "waiting": workbench.open_requests(timebank=timebank),
            "carers_breaks": workbench.carers_break_requests(timebank=timebank),
            "waiting_count": workbench.open_request_count(timebank=timebank),
            "quiet": workbench.quiet_members(timebank=timebank),
            "quiet_days": workbench.QUIET_DAYS,
            "no_first": workbench.members_without_first_exchange(timebank=timebank),
            "expiring": workbench.expiring_listings(timebank=timebank),
        },
    )


@coordinator_page
def request_suggestions(request, timebank, public_id):
    listing = workbench.request_for_coordinator(timebank=timebank, public_id=public_id)
    return _render_suggestions(request, listing, IntroduceForm())


def _render_suggestions(request, listing, form):
    return render(
        request,
        "brokering/request_suggestions.html",
        {
            "listing": listing,
            "suggestions": suggest_helpers(request=listing),
            # Left out by the safeguarding rule: listed with its reasons so a
            # coordinator can still introduce them, with a recorded reason.
            "held_back": helpers_held_back(request=listing),
            "assets": suggest_assets(request=listing),
            # Called by the page only when no one is suggested (a template calls a callable).
            "why_no_one": lambda: workbench.why_no_one(request=listing),
            "form": form,
        },
    )


@coordinator_page
@require_POST
def introduce(request, timebank, public_id):
    listing = workbench.request_for_coordinator(timebank=timebank, public_id=public_id)
    form = IntroduceForm(request.POST)
    if form.is_valid():
        try:
            exchange = introduction_make(
                request=listing,
                helper_public_id=form.cleaned_data["helper"],
                by_user=request.user,
                description=form.cleaned_data["description"],
                safeguarding_override_reason=form.cleaned_data["safeguarding_override_reason"],
            )
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, _("Introduction made: an exchange has been proposed."))
            return redirect("brokering:introduction", public_id=exchange.public_id)
    return _render_suggestions(request, listing, form)


@coordinator_page
def introduction(request, timebank, public_id):
    exchange = get_object_or_404(
        Exchange.objects.select_related("provider", "listing", "listing__category", "timebank"),
        public_id=public_id,
        timebank=timebank,
    )
    people = [exchange.provider, *exchange.receivers.all()]
    category = exchange.listing.category if exchange.listing_id else None
    # Each letter is written in the language of the person it is for.
    letters = []
    for person in people:
        language = member_language(person)
        with translation.override(language):
            letters.append(
                {
                    "person": person,
                    "offline": workbench.needs_letter_or_call(person),
                    "language": language,
                    "receiver_names": _and_list([r.display_name for r in people[1:]]),
                    "category": category.label.lower() if category else "",
                }
            )
    return render(
        request,
        "brokering/introduction.html",
        {
            "exchange": exchange,
            "letters": letters,
            "provider": exchange.provider,
            "receivers": people[1:],
            "receiver_names": ", ".join(r.display_name for r in people[1:]),
        },
    )


def _and_list(names: list[str]) -> str:
    """ "Ann, Bob and Cy" in the language in use."""
    if len(names) < 2:
        return "".join(names)
    return _("%(list)s and %(last)s") % {"list": ", ".join(names[:-1]), "last": names[-1]}


# --- the member's matches ----------------------------------------------------------------------


@member_page()
def my_matches(request, member):
    return render(
        request,
        "brokering/my_matches.html",
        {
            "member": member,
            "nearby_requests": workbench.requests_near_helper(member=member),
            "my_requests": workbench.help_for_my_requests(member=member),
        },
    )


# --- safeguarding ------------------------------------------------------------------------------


@coordinator_page
def safeguarding_home(request, timebank):
    today = timezone.localdate()
    page = Paginator(members_with_safeguarding(timebank=timebank), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "brokering/safeguarding.html",
        {
            "timebank": timebank,
            "page": page,
            "today": today,
            "expiring": checks_expiring(timebank=timebank, today=today, within_days=reminder_days())[:50],
            "reminder_days": reminder_days(),
        },
    )


@coordinator_page
def safeguarding_member(request, timebank, public_id):
    member = get_object_or_404(Member, public_id=public_id, timebank=timebank)
    forms = {
        "check_form": CheckForm(),
        "incident_form": IncidentForm(),
        "restriction_form": RestrictionForm(timebank=timebank),
    }
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if _safeguarding_post(request, member, action, forms):
                return redirect("brokering:safeguarding-member", public_id=member.public_id)
        except DomainError as error:
            put_error_on_form(forms[f"{action}_form"], error)
    return render(
        request,
        "brokering/safeguarding_member.html",
        {"member": member, "today": timezone.localdate(), **member_safeguarding(member=member), **forms},
    )


def _safeguarding_post(request, member, action, forms) -> bool:
    """Carry out one of the page's forms; True when it was saved (the form
    with its messages is left in `forms` otherwise)."""
    if action == "check":
        check_form = forms["check_form"] = CheckForm(request.POST)
        if check_form.is_valid():
            check_record(member=member, by_user=request.user, **check_form.cleaned_data)
            messages.success(request, _("Check recorded."))
            return True
    elif action == "incident":
        incident_form = forms["incident_form"] = IncidentForm(request.POST)
        if incident_form.is_valid():
            incident_record(member=member, by_user=request.user, **incident_form.cleaned_data)
            messages.success(request, _("Incident recorded."))
            return True
    elif action == "restriction":
        restriction_form = forms["restriction_form"] = RestrictionForm(request.POST, timebank=member.timebank)
        if restriction_form.is_valid():
            restriction_add(member=member, by_user=request.user, **restriction_form.cleaned_data)
            messages.success(request, _("Restriction added."))
            return True
    elif action == "unrestrict":
        restriction = get_object_or_404(CategoryRestriction, pk=request.POST.get("restriction") or 0, member=member)
        restriction_remove(restriction=restriction, by_user=request.user)
        messages.success(request, _("Restriction removed."))
        return True
    else:
        raise not_found()
    return False


@coordinator_page
def incident_log(request, timebank):
    page = Paginator(incidents_for(timebank=timebank), 50).get_page(request.GET.get("page"))
    return render(request, "brokering/incidents.html", {"timebank": timebank, "page": page})


@coordinator_page
def safeguarding_categories(request, timebank):
    # The timebank's own categories: another timebank's is "not found".
    if request.method == "POST":
        category = category_of_timebank(timebank=timebank, pk=request.POST.get("category") or 0)
        form = CategorySafeguardingForm(request.POST)
        if form.is_valid():
            category_safeguarding_set(category=category, by_user=request.user, **form.cleaned_data)
            messages.success(request, _("%(category)s: saved.") % {"category": category.label})
        return redirect("brokering:safeguarding-categories")
    return render(
        request,
        "brokering/safeguarding_categories.html",
        {"categories": active_categories(timebank=timebank), "timebank": timebank},
    )


# --- reports ---------------------------------------------------------------------------------


def _period_form(request, timebank: Timebank) -> PeriodForm:
    """The period and timebank from the query string; the last twelve months
    of the timebank the coordinator is working in when none is given. Only a
    timebank they coordinate can be chosen: any other id is "not found"."""
    timebanks = coordinated_timebanks(request.user)
    chosen = request.GET.get("timebank", "")
    # ASCII digits only: "²" is a digit to str.isdigit() but not to int().
    well_formed = chosen.isascii() and chosen.isdigit() and len(chosen) < 19
    if chosen and not (well_formed and timebanks.filter(pk=int(chosen)).exists()):
        raise not_found()
    if {"start", "end"} & set(request.GET):
        data = request.GET.copy()
        data["timebank"] = chosen or str(timebank.pk)
        return PeriodForm(data, timebanks=timebanks)
    start, end = PeriodForm.default_period()
    return PeriodForm({"timebank": chosen or timebank.pk, "start": start, "end": end}, timebanks=timebanks)


@coordinator_page
def report_index(request, timebank):
    form = _period_form(request, timebank)
    form.is_valid()
    return render(
        request,
        "brokering/report_index.html",
        {
            "form": form,
            "reports": [(slug, title) for slug, (title, _) in REPORTS.items()],
            "query": request.GET.urlencode(),
        },
    )


def _reports_read(*, slugs, timebank: Timebank, period: Period) -> tuple[list[Report], datetime.datetime]:
    """Build the reports from the reports replica when there is one (core.replica),
    and when their figures were true. The time is taken before the reads: every
    change up to it is in the figures."""
    with reading_reports():
        as_of = reports_as_of()
        return [report_build(slug=slug, timebank=timebank, period=period) for slug in slugs], as_of


def _report_or_form(request, timebank, slug):
    if slug not in REPORTS:
        raise not_found()
    form = _period_form(request, timebank)
    if not form.is_valid():
        return form, None, None
    reports, as_of = _reports_read(slugs=[slug], timebank=form.cleaned_data["timebank"], period=form.period)
    return form, reports[0], as_of


@coordinator_page
def report_detail(request, timebank, slug):
    form, report, as_of = _report_or_form(request, timebank, slug)
    context = {"form": form, "report": report, "figures_as_of": as_of, "query": request.GET.urlencode()}
    if report is not None and report.chart is not None:
        context.update(chart_svg=render_svg(report.chart), chart_description=describe(report.chart))
    return render(request, "brokering/report_detail.html", context)


@coordinator_page
def report_csv(request, timebank, slug):
    form, report, as_of = _report_or_form(request, timebank, slug)
    if report is None:
        return redirect(reverse("brokering:report", kwargs={"slug": slug}) + "?" + request.GET.urlencode())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    period = form.period
    response["Content-Disposition"] = f'attachment; filename="{slug}-{period.start}-{period.end}.csv"'
    # The CSV stays a plain table: when its figures were true travels in a header.
    response["X-Figures-As-Of"] = timezone.localtime(as_of).isoformat(timespec="seconds")
    csv_write(response, header=report.columns, rows=report.rows)
    return response


@coordinator_page
def funder_summary(request, timebank):
    form = _period_form(request, timebank)
    sections, as_of = [], None
    if form.is_valid():
        reports, as_of = _reports_read(slugs=list(REPORTS), timebank=form.cleaned_data["timebank"], period=form.period)
        for report in reports:
            chart = (render_svg(report.chart), describe(report.chart)) if report.chart else (None, None)
            sections.append((report, *chart))
    return render(
        request, "brokering/funder_summary.html", {"form": form, "sections": sections, "figures_as_of": as_of}
    )
