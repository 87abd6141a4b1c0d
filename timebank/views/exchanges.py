"""Pages for exchanges: my exchanges, one exchange's page with its steps
(accept, decline, record time, confirm, dispute, cancel) and history, and the
coordinators' pages to record an exchange for members and resolve disputes.

A member only ever sees exchanges they take part in: any other is "not
found". Each step is a small form posting to /exchanges/<id>/<step>/; a
refusal comes back on the exchange's page next to the step's field.
"""

from typing import TYPE_CHECKING, TypedDict, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from timebank.forms.exchanges import DisputeForm, NoteForm, RecordForMembersForm, RecordTimeForm, ResolveForm
from timebank.hours import format_minutes
from timebank.models import Exchange, ExchangeHistory, ExchangeStatus
from timebank.pages import (
    coordinator_page,
    member_page,
    not_found,
    not_found_as_404,
    page_number,
    put_error_on_form,
)
from timebank.selectors.exchanges import (
    OPEN_STATUSES,
    disputed_exchanges,
    exchange_detail as select_exchange,
    exchanges_for_member,
    members_who_can_exchange,
)
from timebank.services import exchanges as exchange_services

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

PAGE_SIZE = 20

# Step -> (form class, service, button label, message after it worked).
STEPS = {
    "accept": (NoteForm, exchange_services.exchange_accept, "Accept", "You accepted the exchange."),
    "decline": (NoteForm, exchange_services.exchange_decline, "Decline", "You declined the exchange."),
    "record": (
        RecordTimeForm,
        exchange_services.exchange_record,
        "Record the time",
        "Time recorded. We have asked for it to be confirmed.",
    ),
    "confirm": (
        NoteForm,
        exchange_services.exchange_confirm,
        "Confirm the time",
        "Confirmed. The hours have been recorded.",
    ),
    "dispute": (
        DisputeForm,
        exchange_services.exchange_dispute,
        "Something is not right",
        "Thank you. A coordinator will look at it.",
    ),
    "cancel": (NoteForm, exchange_services.exchange_cancel, "Cancel the exchange", "The exchange is cancelled."),
}


class ExchangeLabels(TypedDict):
    """What the exchange templates show besides the model's own fields."""

    hours_text: str
    receiver_names: str


class HistoryLabels(TypedDict):
    """What timebank/exchanges/_history.html shows besides the entry's own fields."""

    who: str


def _label(exchange: Exchange) -> "WithAnnotations[Exchange, ExchangeLabels]":
    """Words the templates show: time as people say it and who receives."""
    labelled = cast("WithAnnotations[Exchange, ExchangeLabels]", exchange)
    labelled.hours_text = format_minutes(exchange.minutes) if exchange.minutes else ""
    labelled.receiver_names = ", ".join(m.display_name for m in exchange.receivers.all())
    return labelled


def _actor_name(entry) -> str:
    if entry.actor is None:
        return "TimeCommons (automatic)"
    member = getattr(entry.actor, "member", None)
    if member is not None:
        return member.display_name
    return entry.actor.get_full_name() or "A coordinator"


def _history(exchange: Exchange) -> "list[WithAnnotations[ExchangeHistory, HistoryLabels]]":
    rows = cast("list[WithAnnotations[ExchangeHistory, HistoryLabels]]", list(exchange.history.all()))
    for row in rows:
        row.who = _actor_name(row)
    return rows


def _load(request, public_id) -> "WithAnnotations[Exchange, ExchangeLabels]":
    with not_found_as_404():
        return _label(select_exchange(public_id=public_id, user=request.user))


@member_page()
def exchange_list(request, member):
    show = "all" if request.GET.get("show") == "all" else "open"
    exchanges = exchanges_for_member(member=member, statuses=None if show == "all" else list(OPEN_STATUSES))
    page = Paginator(exchanges, PAGE_SIZE).get_page(page_number(request))
    for exchange in page:
        _label(exchange)
        exchange.is_provider = exchange.provider_id == member.pk
    context = {"page": page, "show": show, "show_query": "show=all" if show == "all" else "", "member": member}
    return render(request, "timebank/exchanges/list.html", context)


def _render_detail(request, exchange: Exchange, *, bound: tuple[str, object] | None = None):
    actions = exchange_services.exchange_available_actions(exchange=exchange, user=request.user)
    forms = []
    for action in actions:
        if action.startswith("resolve"):
            continue
        form_class, _, button, _ = STEPS[action]
        form = bound[1] if bound and bound[0] == action else form_class(auto_id=f"id_{action}_%s")
        forms.append({"action": action, "form": form, "button": button})
    is_disputed_for_coordinator = "resolve-confirm" in actions
    return render(
        request,
        "timebank/exchanges/detail.html",
        {
            "exchange": exchange,
            "history": _history(exchange),
            "step_forms": forms,
            "resolve_link": is_disputed_for_coordinator,
        },
    )


@login_required
def exchange_detail(request, public_id):
    return _render_detail(request, _load(request, public_id))


@require_POST
@login_required
def exchange_action(request, public_id, action):
    exchange = _load(request, public_id)
    if action not in STEPS:
        raise not_found()
    reason = exchange_services.exchange_refusal_reason(exchange=exchange, user=request.user, action=action)
    if reason:
        # Already done by someone else, a second click, or not this person's step.
        messages.error(request, reason)
        return redirect("timebank:exchange-detail", public_id=exchange.public_id)
    form_class, service, _, done_message = STEPS[action]
    form = form_class(request.POST, auto_id=f"id_{action}_%s")
    if form.is_valid():
        try:
            service(exchange=exchange, by_user=request.user, **form.cleaned_data)
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, done_message)
            return redirect("timebank:exchange-detail", public_id=exchange.public_id)
    return _render_detail(request, exchange, bound=(action, form))


# --- Coordinators ----------------------------------------------------------------------


@coordinator_page
def record_exchange(request, timebank):
    form = RecordForMembersForm(
        request.POST or None, members=members_who_can_exchange(timebank=timebank), timebank=timebank
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["receivers"] = list(data["receivers"])
        try:
            exchange = exchange_services.exchange_record_for_members(by_user=request.user, **data)
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(
                request,
                f"Recorded: {exchange.provider.display_name} gave {format_minutes(exchange.minutes)}. "
                "The hours are on their statements.",
            )
            return redirect("timebank:exchange-detail", public_id=exchange.public_id)
    return render(request, "timebank/exchanges/record_for_members.html", {"form": form})


@coordinator_page
def dispute_list(request, timebank):
    page = Paginator(disputed_exchanges(timebank=timebank), PAGE_SIZE).get_page(page_number(request))
    for exchange in page:
        _label(exchange)
        disputes = [h.note for h in exchange.history.all() if h.to_status == ExchangeStatus.DISPUTED]
        exchange.dispute_note = disputes[-1] if disputes else ""
    return render(request, "timebank/exchanges/disputes.html", {"page": page})


@coordinator_page
def dispute_resolve(request, timebank, public_id):
    exchange = _load(request, public_id)
    if exchange.timebank_id != timebank.pk:
        # Another timebank's (even one this person also coordinates): switch to it first.
        raise not_found()
    if exchange.status != ExchangeStatus.DISPUTED:
        messages.error(request, "This exchange is not disputed any more.")
        return redirect("timebank:exchange-detail", public_id=exchange.public_id)
    form = ResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            exchange_services.exchange_resolve(exchange=exchange, by_user=request.user, **form.cleaned_data)
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, "The dispute is resolved and both people can see the decision.")
            return redirect("timebank:dispute-list")
    return render(
        request,
        "timebank/exchanges/resolve.html",
        {"exchange": exchange, "history": _history(exchange), "form": form},
    )
