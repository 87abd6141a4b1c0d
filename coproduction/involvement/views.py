"""Involvement pages: members find opportunities, sign up in one step and claim
expenses; organisers (the timebank's coordinators, staff of the host
organisation) post opportunities, record attendance and handle claims.
Thin: parse, check, call one service or selector, render. Anything a person
may not see is "Not found" (timebank.pages)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _, ngettext
from django.views.decorators.http import require_POST

from coproduction.involvement import selectors, services
from coproduction.involvement.forms import (
    AccessNeedsForm,
    ActualsForm,
    AttendanceForm,
    EstimateForm,
    OpportunityForm,
    SignUpForm,
    TextForm,
)
from coproduction.involvement.models import ClaimStatus, OpportunityStatus, ParticipationStatus
from coproduction.involvement.money import format_pence
from core.csvsafe import csv_write
from core.errors import DomainError
from timebank.models import Member, Timebank
from timebank.pages import coordinating_timebank, member_page, not_found, not_found_as_404, put_error_on_form
from timebank.permissions import is_coordinator, is_coordinator_of
from timebank.selectors.members import member_for_user

View = Callable[..., HttpResponse]


def manager_page(view: View) -> View:
    """Organisers' pages: a coordinator (working in their timebank) or staff of a
    directory organisation (their organisation's opportunities); 404 for others."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        timebank: Timebank | None = None
        if is_coordinator(request.user):
            timebank = coordinating_timebank(request)
        elif services.host_organisation_id_of(request.user) is None:
            raise not_found()
        with not_found_as_404():
            return view(request, timebank, *args, **kwargs)

    return wrapper


def _promise() -> dict[str, object]:
    return {
        "pay_within_days": settings.EXPENSES_PAY_WITHIN_DAYS,
        "receipt_over": format_pence(services.receipt_required_over_pence()),
    }


# --- Members ------------------------------------------------------------------------------


@member_page()
def opportunity_list(request: HttpRequest, member: Member) -> HttpResponse:
    rows = selectors.opportunities_for_member(member=member)
    return render(request, "involvement/opportunity_list.html", {"rows": rows, "member": member})


@member_page()
def opportunity_detail(request: HttpRequest, member: Member, public_id: str) -> HttpResponse:
    with not_found_as_404():
        row = selectors.opportunity_for_member(member=member, public_id=public_id)
    known_needs = selectors.access_needs_of(member=member)
    form = SignUpForm(request.POST if request.method == "POST" else None, ask_access_needs=known_needs is None)
    if request.method == "POST" and form.is_valid():
        try:
            services.participation_sign_up(
                by_user=request.user,  # type: ignore[arg-type]
                opportunity=row.opportunity,
                access_needs=form.cleaned_data.get("access_needs"),
            )
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, _("You have signed up. The organiser will be in touch."))
            return redirect("involvement:opportunity", public_id=row.opportunity.public_id)
    claim = getattr(row.participation, "expense_claim", None) if row.participation else None
    return render(
        request,
        "involvement/opportunity_detail.html",
        {
            "row": row,
            "opportunity": row.opportunity,
            "form": form,
            "known_needs": known_needs,
            "communication_needs": member.communication_needs,
            "claim": claim,
            "can_sign_up": (row.participation is None or row.participation.status == ParticipationStatus.WITHDRAWN)
            and row.opportunity.status == OpportunityStatus.PUBLISHED
            and row.opportunity.starts_at > timezone.now(),
            **_promise(),
        },
    )


@require_POST
@member_page()
def participation_withdraw(request: HttpRequest, member: Member, public_id: str) -> HttpResponse:
    with not_found_as_404():
        row = selectors.opportunity_for_member(member=member, public_id=public_id)
    if row.participation is None:
        raise not_found()
    try:
        services.participation_withdraw(by_user=request.user, participation=row.participation)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("You have withdrawn. Thank you for letting us know."))
    return redirect("involvement:opportunity", public_id=row.opportunity.public_id)


@member_page()
def access_needs(request: HttpRequest, member: Member) -> HttpResponse:
    form = AccessNeedsForm(
        request.POST if request.method == "POST" else None,
        initial={"access_needs": selectors.access_needs_of(member=member)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.access_needs_update(
                by_user=request.user,  # type: ignore[arg-type]
                member=member,
                access_needs=form.cleaned_data["access_needs"],
            )
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, _("Saved. Organisers will see this when you next sign up."))
            return redirect("involvement:opportunities")
    return render(request, "involvement/access_needs.html", {"form": form})


@member_page()
def claim_new(request: HttpRequest, member: Member, public_id: str) -> HttpResponse:
    """The estimate: before the opportunity (or changed, while still an estimate)."""
    with not_found_as_404():
        row = selectors.opportunity_for_member(member=member, public_id=public_id)
    participation = row.participation
    if participation is None or participation.status == ParticipationStatus.WITHDRAWN:
        raise not_found()
    claim = getattr(participation, "expense_claim", None)
    if claim is not None and claim.status != ClaimStatus.ESTIMATED:
        return redirect("involvement:claim", public_id=claim.public_id)
    kinds = row.opportunity.covered_kinds
    initial = {}
    if claim is not None:
        for line in claim.lines.all():
            initial[f"estimate_{line.kind}"] = format_pence(line.estimate_pence)[1:]
            initial[f"description_{line.kind}"] = line.description
    form = EstimateForm(request.POST if request.method == "POST" else None, kinds=kinds, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.expense_claim_estimate(
                by_user=request.user,  # type: ignore[arg-type]
                participation=participation,
                lines=form.lines,
            )
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, _("Your estimate has been sent."))
            return redirect("involvement:claim", public_id=claim.public_id)
    return render(
        request,
        "involvement/claim_new.html",
        {"opportunity": row.opportunity, "form": form, "kinds": kinds, **_promise()},
    )


def _claim_context(claim: Any) -> dict[str, object]:
    estimate, actual = selectors.claim_totals(claim)
    return {
        "claim": claim,
        "lines": selectors.claim_lines(claim),
        "events": claim.events.select_related("by_user"),
        "estimate": format_pence(estimate),
        "actual": format_pence(actual) if actual is not None else None,
        **_promise(),
    }


@member_page()
def claim_detail(request: HttpRequest, member: Member, public_id: str) -> HttpResponse:
    """The claimant's page: where the claim is, the actual amounts, answers."""
    with not_found_as_404():
        claim = selectors.claim_for_member(member=member, public_id=public_id)
    started = claim.participation.opportunity.starts_at <= timezone.now()
    receipt_over = format_pence(services.receipt_required_over_pence())
    actuals_form = None
    if claim.status == ClaimStatus.ESTIMATED and started:
        actuals_form = ActualsForm(
            request.POST if request.POST.get("action") == "actuals" else None,
            request.FILES or None,
            claim=claim,
            receipt_over=receipt_over,
        )
    answer_form = None
    if claim.status == ClaimStatus.QUESTION:
        answer_form = TextForm(
            request.POST if request.POST.get("action") == "answer" else None,
            label=_("Your answer"),
            required_message=_("Write your answer to the question."),
        )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "actuals" and actuals_form is not None and actuals_form.is_valid():
                limit = int(settings.EXPENSES_RECEIPT_MAX_BYTES)
                services.expense_claim_submit(
                    by_user=request.user,  # type: ignore[arg-type]
                    claim=claim,
                    actuals=actuals_form.actuals,
                    receipts={k: services.Receipt(data=v) for k, v in actuals_form.receipt_bytes(limit).items()},
                )
                messages.success(request, _("Your claim has been sent for approval."))
                return redirect("involvement:claim", public_id=claim.public_id)
            if action == "answer" and answer_form is not None and answer_form.is_valid():
                services.expense_claim_answer(
                    by_user=request.user,  # type: ignore[arg-type]
                    claim=claim,
                    answer=answer_form.cleaned_data["text"],
                )
                messages.success(request, _("Your answer has been sent."))
                return redirect("involvement:claim", public_id=claim.public_id)
            if action not in ("actuals", "answer"):
                raise not_found()
        except DomainError as error:
            form = actuals_form if action == "actuals" else answer_form
            if form is None:
                raise not_found() from None
            put_error_on_form(form, error)
    return render(
        request,
        "involvement/claim_detail.html",
        {
            **_claim_context(claim),
            "actuals_form": actuals_form,
            "answer_form": answer_form,
            "started": started,
            "opportunity": claim.participation.opportunity,
        },
    )


@member_page()
def claim_list(request: HttpRequest, member: Member) -> HttpResponse:
    claims = []
    for claim in selectors.claims_of_member(member=member):
        estimate, actual = selectors.claim_totals(claim)
        claims.append({"claim": claim, "estimate": format_pence(estimate), "actual": actual})
    for row in claims:
        if row["actual"] is not None:
            row["actual"] = format_pence(row["actual"])  # type: ignore[arg-type]
    return render(request, "involvement/claim_list.html", {"claims": claims, **_promise()})


@login_required
def receipt(request: HttpRequest, public_id: str, line_id: int) -> HttpResponse:
    """A receipt, only for the claimant and the opportunity's organisers. Never
    cached, never run as a page: sandboxed, and a PDF is downloaded."""
    with not_found_as_404():
        found = selectors.receipt_for(
            by_user=request.user, member=member_for_user(request.user), claim_public_id=public_id, line_id=line_id
        )
    response = HttpResponse(bytes(found.data), content_type=found.content_type)
    extension = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}[found.content_type]
    disposition = "attachment" if extension == "pdf" else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="receipt-{line_id}.{extension}"'
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response


# --- Organisers ---------------------------------------------------------------------------


@manager_page
def manage_list(request: HttpRequest, timebank: Timebank | None) -> HttpResponse:
    rows = selectors.opportunities_managed(by_user=request.user, timebank=timebank)
    return render(
        request,
        "involvement/manage_list.html",
        {"opportunities": rows[:200], "timebank": timebank},
    )


@manager_page
def opportunity_new(request: HttpRequest, timebank: Timebank | None) -> HttpResponse:
    # A coordinator posts in their timebank; staff of an organisation post as
    # their organisation, to the timebank they choose.
    staff_of = None if timebank is not None else services.host_organisation_of(request.user)
    form = OpportunityForm(request.POST if request.method == "POST" else None, timebank=timebank, staff_of=staff_of)
    if request.method == "POST" and form.is_valid():
        try:
            opportunity = services.opportunity_create(
                by_user=request.user,  # type: ignore[arg-type]
                timebank=timebank or form.cleaned_data["timebank"],
                details=form.details(),
            )
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, _("Saved as a draft. Check it, then publish it."))
            return redirect("involvement:manage", public_id=opportunity.public_id)
    return render(
        request,
        "involvement/opportunity_form.html",
        {"form": form, "opportunity": None, "min_notice_days": services.minimum_notice_days()},
    )


@manager_page
def opportunity_edit(request: HttpRequest, timebank: Timebank | None, public_id: str) -> HttpResponse:
    opportunity = selectors.opportunity_to_manage(by_user=request.user, public_id=public_id)
    if opportunity.status != OpportunityStatus.DRAFT:
        return redirect("involvement:manage", public_id=opportunity.public_id)
    coordinates = is_coordinator_of(request.user, opportunity.timebank_id)
    form = OpportunityForm(
        request.POST if request.method == "POST" else None,
        timebank=opportunity.timebank,
        staff_of=None if coordinates else opportunity.host_organisation,
        initial=OpportunityForm.initial_from(opportunity),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_update(
                by_user=request.user,  # type: ignore[arg-type]
                opportunity=opportunity,
                details=form.details(),
            )
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("involvement:manage", public_id=opportunity.public_id)
    return render(
        request,
        "involvement/opportunity_form.html",
        {"form": form, "opportunity": opportunity, "min_notice_days": services.minimum_notice_days()},
    )


@manager_page
def manage(request: HttpRequest, timebank: Timebank | None, public_id: str) -> HttpResponse:
    """An opportunity for its organisers: publish, close, cancel, who signed up
    (with what to arrange), and attendance."""
    opportunity = selectors.opportunity_to_manage(by_user=request.user, public_id=public_id)
    participants = list(selectors.participants_of(opportunity=opportunity))
    present = [p for p in participants if p.status != ParticipationStatus.WITHDRAWN]
    action = request.POST.get("action") if request.method == "POST" else None
    attendance_form = AttendanceForm(
        request.POST if action == "attendance" else None,
        participants=present,
        initial={"attended": [str(p.pk) for p in present if p.status == ParticipationStatus.ATTENDED]},
    )
    status_error = None
    if action == "attendance":
        if attendance_form.is_valid():
            try:
                result = services.attendance_record(
                    by_user=request.user,  # type: ignore[arg-type]
                    opportunity=opportunity,
                    attended=attendance_form.attended_ids(),
                )
            except DomainError as error:
                put_error_on_form(attendance_form, error, otherwise="attended")
            else:
                messages.success(
                    request,
                    ngettext(
                        "Attendance saved. %(count)s person credited with hours.",
                        "Attendance saved. %(count)s people credited with hours.",
                        result.newly_attended,
                    )
                    % {"count": result.newly_attended}
                    if result.transfer
                    else _("Attendance saved. Nobody new to credit."),
                )
                return redirect("involvement:manage", public_id=opportunity.public_id)
    elif action in ("publish", "close", "cancel"):
        try:
            if action == "publish":
                services.opportunity_publish(by_user=request.user, opportunity=opportunity)  # type: ignore[arg-type]
                messages.success(request, _("Published. Members can now sign up."))
            else:
                services.opportunity_set_status(
                    by_user=request.user,  # type: ignore[arg-type]
                    opportunity=opportunity,
                    status=OpportunityStatus.CLOSED if action == "close" else OpportunityStatus.CANCELLED,
                )
                messages.success(request, _("Saved."))
            return redirect("involvement:manage", public_id=opportunity.public_id)
        except DomainError as error:
            status_error = error.message
            opportunity.refresh_from_db()
    elif action is not None:
        raise not_found()
    return render(
        request,
        "involvement/manage.html",
        {
            "opportunity": opportunity,
            "participants": participants,
            "attendance_form": attendance_form,
            "status_error": status_error,
            "started": opportunity.starts_at <= timezone.now(),
            "min_notice_days": services.minimum_notice_days(),
        },
    )


@manager_page
def claims_list(request: HttpRequest, timebank: Timebank | None) -> HttpResponse:
    claims = selectors.claims_managed(by_user=request.user, timebank=timebank)[:500]
    return render(request, "involvement/claims_list.html", {"claims": claims, **_promise()})


REVIEW_ACTIONS = ("approve", "ask", "decline", "paid")


@manager_page
def claim_review(request: HttpRequest, timebank: Timebank | None, public_id: str) -> HttpResponse:
    claim = selectors.claim_to_manage(by_user=request.user, public_id=public_id)
    action = request.POST.get("action") if request.method == "POST" else None
    ask_form = TextForm(
        request.POST if action == "ask" else None,
        label=_("Your question"),
        required_message=_("Write your question."),
        prefix="ask",
    )
    decline_form = TextForm(
        request.POST if action == "decline" else None,
        label=_("Why it is not approved"),
        required_message=_("Say why the claim is not approved."),
        prefix="decline",
    )
    action_error = None
    if action is not None:
        if action not in REVIEW_ACTIONS:
            raise not_found()
        by_user = request.user
        try:
            if action == "approve":
                services.expense_claim_approve(by_user=by_user, claim=claim)  # type: ignore[arg-type]
            elif action == "paid":
                services.expense_claim_mark_paid(by_user=by_user, claim=claim)  # type: ignore[arg-type]
            elif action == "ask" and ask_form.is_valid():
                services.expense_claim_ask(by_user=by_user, claim=claim, question=ask_form.cleaned_data["text"])  # type: ignore[arg-type]
            elif action == "decline" and decline_form.is_valid():
                services.expense_claim_decline(by_user=by_user, claim=claim, reason=decline_form.cleaned_data["text"])  # type: ignore[arg-type]
            else:
                raise _FormInvalid()
        except _FormInvalid:
            pass
        except DomainError as error:
            form = ask_form if action == "ask" else decline_form if action == "decline" else None
            if form is not None:
                put_error_on_form(form, error)
            else:
                action_error = error.message
        else:
            messages.success(request, _("Saved."))
            return redirect("involvement:claim-review", public_id=claim.public_id)
    return render(
        request,
        "involvement/claim_review.html",
        {
            **_claim_context(claim),
            "ask_form": ask_form,
            "decline_form": decline_form,
            "action_error": action_error,
            "opportunity": claim.participation.opportunity,
        },
    )


class _FormInvalid(Exception):
    """The form has errors to show: render it again."""


@manager_page
def expenses_report(request: HttpRequest, timebank: Timebank | None) -> HttpResponse:
    report = selectors.expenses_report(by_user=request.user, timebank=timebank)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="expenses.csv"'
        csv_write(
            response,
            header=[
                "reference",
                "opportunity",
                "status",
                "estimate_pence",
                "actual_pence",
                "submitted_at",
                "paid_at",
                "days_to_pay",
                "paid_within_promise",
            ],
            rows=(
                [
                    row.reference,
                    row.opportunity,
                    row.status,
                    row.estimate_pence,
                    "" if row.actual_pence is None else row.actual_pence,
                    row.submitted_at.isoformat() if row.submitted_at else "",
                    row.paid_at.isoformat() if row.paid_at else "",
                    "" if row.days_to_pay is None else row.days_to_pay,
                    "" if row.within_promise is None else ("yes" if row.within_promise else "no"),
                ]
                for row in report.rows
            ),
        )
        return response
    return render(
        request,
        "involvement/expenses_report.html",
        {
            "report": report,
            "approved": format_pence(report.approved_pence),
            "paid_total": format_pence(report.paid_pence),
            **_promise(),
        },
    )
