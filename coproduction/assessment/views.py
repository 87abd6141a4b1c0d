"""The self-assessment's pages. Coordinators answer as staff for the timebank
they are working in; approved members answer about their own timebank. Every
round is looked up within that timebank, so another timebank's is "not found"."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from coproduction.assessment import selectors, services
from coproduction.assessment.forms import AnswersForm, NextStepForm, RoundOpenForm, StatementForm
from coproduction.assessment.models import Rung, Side, Statement, Value
from core.errors import DomainError
from timebank.models import Timebank
from timebank.pages import (
    coordinating_timebank,
    coordinator_page,
    network_admin_page,
    not_found_unless,
    put_error_on_form,
    timebank_data_page,
)
from timebank.permissions import is_coordinator, is_network_admin, visible_timebank_ids
from timebank.selectors.members import member_for_user


def _timebank_and_side(request: HttpRequest) -> tuple[Timebank, str]:
    """A coordinator works as staff in the timebank they are coordinating; a
    member answers about their own timebank."""
    if is_coordinator(request.user):
        return coordinating_timebank(request), Side.STAFF
    member = member_for_user(request.user)
    not_found_unless(member is not None and member.timebank_id in visible_timebank_ids(request.user))
    return member.timebank, Side.MEMBER  # type: ignore[union-attr]


@timebank_data_page
def home(request):
    timebank, side = _timebank_and_side(request)
    rounds = list(selectors.rounds_of(timebank=timebank))
    open_round = next((r for r in rounds if r.is_open), None)
    answered = bool(open_round and selectors.answers_of(round=open_round, user=request.user))
    return render(
        request,
        "assessment/home.html",
        {
            "timebank": timebank,
            "is_staff_side": side == Side.STAFF,
            "open_round": open_round,
            "answered": answered,
            "progress": selectors.progress(timebank_rounds=rounds),
            "min_members": selectors.min_member_answers(),
            "edits_statements": is_network_admin(request.user),
        },
    )


@coordinator_page
def round_open(request, timebank):
    form = RoundOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            opened = services.round_open(by_user=request.user, timebank=timebank, title=form.cleaned_data["title"])
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, _("The round is open. Answer the statements for the timebank first."))
            return redirect("assessment:answer", round_id=opened.pk)
    return render(
        request,
        "assessment/round_open.html",
        {"form": form, "timebank": timebank, "open_round": selectors.open_round_of(timebank=timebank)},
    )


@timebank_data_page
def answer(request, round_id):
    timebank, side = _timebank_and_side(request)
    round = selectors.round_of(timebank=timebank, pk=round_id)
    if not round.is_open:
        messages.info(request, _("This round has closed. Here are its results."))
        return redirect("assessment:results", round_id=round.pk)
    statements = selectors.round_statements(round=round)
    initial = AnswersForm.initial_from(selectors.answers_of(round=round, user=request.user))
    form = AnswersForm(request.POST or None, statements=statements, side=side, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.answers_save(by_user=request.user, round=round, scores=form.scores())
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(
                request, _("Thank you. Your answers are saved. You can change them until the round closes.")
            )
            return redirect("assessment:results", round_id=round.pk)
    return render(
        request,
        "assessment/answer.html",
        {"form": form, "round": round, "timebank": timebank, "is_staff_side": side == Side.STAFF},
    )


@coordinator_page
def round_close(request, timebank, round_id):
    round = selectors.round_of(timebank=timebank, pk=round_id)
    error = ""
    if request.method == "POST":
        try:
            services.round_close(by_user=request.user, round=round)
        except DomainError as refused:
            error = refused.message
        else:
            messages.success(request, _("The round is closed. These are its final results."))
            return redirect("assessment:results", round_id=round.pk)
    return render(request, "assessment/round_close.html", {"round": round, "timebank": timebank, "error": error})


@timebank_data_page
def results(request, round_id):
    timebank, side = _timebank_and_side(request)
    round = selectors.round_of(timebank=timebank, pk=round_id)
    return render(
        request,
        "assessment/results.html",
        {
            "results": selectors.round_results(round=round),
            "round": round,
            "timebank": timebank,
            "is_staff_side": side == Side.STAFF,
            "min_members": selectors.min_member_answers(),
        },
    )


# --- Statements (network administrators) ----------------------------------------------------


@network_admin_page
def statements(request):
    return render(request, "assessment/statements.html", {"statements": selectors.statements_for_editing()})


def _statement_form_page(request, statement: Statement | None) -> HttpResponse:
    initial = {}
    if statement is not None:
        initial = {
            "rung": statement.rung_id,
            "value": statement.value_id,
            "staff_text": statement.staff_text,
            "member_text": statement.member_text,
            "next_step": statement.next_step,
        }
    form = StatementForm(request.POST or None, initial=initial)
    if request.method == "POST" and "retire" in request.POST and statement is not None:
        services.statement_retire(by_user=request.user, statement=statement, retired=request.POST["retire"] == "yes")
        messages.success(request, _("Statement retired.") if statement.is_retired else _("Statement back in use."))
        return redirect("assessment:statements")
    if request.method == "POST" and form.is_valid():
        try:
            services.statement_save(by_user=request.user, statement=statement, **form.cleaned_data)
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, _("Statement saved."))
            return redirect("assessment:statements")
    return render(request, "assessment/statement_form.html", {"form": form, "statement": statement})


@network_admin_page
def next_steps(request):
    """The suggested next steps of every rung and value, each saved on its own."""
    if request.method == "POST":
        form = NextStepForm(request.POST)
        if form.is_valid():
            model = Rung if form.cleaned_data["kind"] == "rung" else Value
            guidance = model.objects.filter(pk=form.cleaned_data["pk"]).first()
            not_found_unless(guidance is not None)
            services.next_step_set(by_user=request.user, guidance=guidance, next_step=form.cleaned_data["next_step"])
            messages.success(request, _("%(name)s: next step saved.") % {"name": guidance.name})
        else:
            messages.error(request, _("Keep the next step to 1,000 characters or fewer."))
        return redirect("assessment:next-steps")
    return render(request, "assessment/next_steps.html", {"rungs": selectors.rungs(), "values": selectors.values()})


@network_admin_page
def statement_add(request):
    return _statement_form_page(request, None)


@network_admin_page
def statement_edit(request, pk):
    statement = Statement.objects.select_related("rung", "value").filter(pk=pk).first()
    not_found_unless(statement is not None)
    return _statement_form_page(request, statement)
