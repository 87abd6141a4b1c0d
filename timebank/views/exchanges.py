"""Pages for exchanges: my exchanges, one exchange's page with its steps
(accept, decline, record time, confirm, dispute, cancel) and history, and the
coordinators' pages to record an exchange for members and resolve disputes.

A member only ever sees exchanges they take part in: any other is "not
found". Each step is a small form posting to /exchanges/<id>/<step>/; a
refusal comes back on the exchange's page next to the step's field.

Each exchange's page says, in plain words for the person reading it, what
happens next at its status (`next_steps`); an exchange whose hours were
reversed says "Reversed", with when and why, instead of "Hours recorded". A
receiver whose own account limit refuses their confirmation is told so in the
second person (timebank.views.accounts.limit_refusal_for).
"""

from typing import TYPE_CHECKING, TypedDict, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.text import and_list
from timebank import ledger
from timebank.forms.exchanges import DisputeForm, NoteForm, RecordForMembersForm, RecordTimeForm, ResolveForm
from timebank.hours import format_minutes
from timebank.models import Exchange, ExchangeHistory, ExchangeStatus, Member, Transfer
from timebank.pages import (
    coordinator_page,
    member_page,
    not_found,
    not_found_as_404,
    page_number,
    put_error_on_form,
)
from timebank.permissions import is_coordinator_of
from timebank.selectors.accounts import balance_in_words, transfer_note_text
from timebank.selectors.exchanges import (
    OPEN_STATUSES,
    disputed_exchanges,
    exchange_detail as select_exchange,
    exchange_reversal,
    exchanges_for_member,
    limit_refused_exchanges,
    members_who_can_exchange,
    reversed_exchange_ids,
)
from timebank.selectors.members import member_for_user
from timebank.services import exchanges as exchange_services
from timebank.views.accounts import limit_refusal_for

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

PAGE_SIZE = 20

# Step -> (form class, service, button label, message after it worked).
STEPS = {
    "accept": (
        NoteForm,
        exchange_services.exchange_accept,
        gettext_lazy("Accept"),
        gettext_lazy("You accepted the exchange."),
    ),
    "decline": (
        NoteForm,
        exchange_services.exchange_decline,
        gettext_lazy("Decline"),
        gettext_lazy("You declined the exchange."),
    ),
    "record": (
        RecordTimeForm,
        exchange_services.exchange_record,
        gettext_lazy("Record the time"),
        gettext_lazy("Time recorded. We have asked for it to be confirmed."),
    ),
    "confirm": (
        NoteForm,
        exchange_services.exchange_confirm,
        gettext_lazy("Confirm the time"),
        gettext_lazy("Confirmed. The hours have been recorded."),
    ),
    "dispute": (
        DisputeForm,
        exchange_services.exchange_dispute,
        gettext_lazy("Something is not right"),
        gettext_lazy("Thank you. A coordinator will look at it."),
    ),
    "cancel": (
        NoteForm,
        exchange_services.exchange_cancel,
        gettext_lazy("Cancel the exchange"),
        gettext_lazy("The exchange is cancelled."),
    ),
}


# What a status is called on members' pages (the model's labels stay for coordinators' tools).
STATUS_WORDS = {
    ExchangeStatus.PROPOSED: gettext_lazy("Waiting for a reply"),
    ExchangeStatus.ACCEPTED: gettext_lazy("Agreed"),
    ExchangeStatus.DONE: gettext_lazy("Waiting for the time to be confirmed"),
    ExchangeStatus.CONFIRMED: gettext_lazy("Confirmed"),
    ExchangeStatus.POSTED: gettext_lazy("Hours recorded"),
    ExchangeStatus.DECLINED: gettext_lazy("Declined"),
    ExchangeStatus.CANCELLED: gettext_lazy("Cancelled"),
    ExchangeStatus.DISPUTED: gettext_lazy("A coordinator is checking it"),
}
REVERSED = gettext_lazy("Reversed")


class ExchangeLabels(TypedDict):
    """What the exchange templates show besides the model's own fields."""

    hours_text: str
    receiver_names: str
    status_words: str


class HistoryLabels(TypedDict):
    """What timebank/exchanges/_history.html shows besides the entry's own fields."""

    who: str


def _label(exchange: Exchange, *, is_reversed: bool = False) -> "WithAnnotations[Exchange, ExchangeLabels]":
    """Words the templates show: time as people say it, who receives, the status."""
    labelled = cast("WithAnnotations[Exchange, ExchangeLabels]", exchange)
    labelled.hours_text = format_minutes(exchange.minutes) if exchange.minutes else ""
    labelled.receiver_names = ", ".join(m.display_name for m in exchange.receivers.all())
    labelled.status_words = str(
        REVERSED if is_reversed else STATUS_WORDS.get(ExchangeStatus(exchange.status), exchange.status)
    )
    return labelled


# --- What happens next, in words for the person reading --------------------------------


def _answerers(exchange: Exchange) -> list[Member]:
    """Who answers a proposal (timebank.services.exchanges: the other side to the proposer)."""
    receivers = list(exchange.receivers.all())
    if exchange.proposed_by_id is not None and exchange.proposed_by_id == exchange.provider.user_id:
        return receivers
    return [exchange.provider]


def _names(members: list[Member]) -> str:
    return and_list([m.display_name for m in members], empty=gettext("the other person"))


def _short_of_hours(exchange: Exchange, receiver: Member) -> tuple[int, int] | None:
    """(balance, limit) when `receiver` cannot pay their share of the recorded
    time without going past their lower limit; None when they can."""
    if not exchange.minutes:
        return None
    receivers = sorted(exchange.receivers.all(), key=lambda m: m.pk)
    shares = dict(zip((m.pk for m in receivers), ledger.split_minutes(exchange.minutes, len(receivers))))
    account = getattr(receiver, "account", None)
    if account is None or account.min_balance is None:
        return None
    if account.balance - shares.get(receiver.pk, 0) < account.min_balance:
        return account.balance, account.min_balance
    return None


def _past_limit_names(exchange: Exchange) -> list[str]:
    """Who the recorded time would take past a limit now: receivers short of
    hours, and the provider if their upper limit would be passed."""
    names = [m.display_name for m in exchange.receivers.all() if _short_of_hours(exchange, m) is not None]
    account = getattr(exchange.provider, "account", None)
    if (
        exchange.minutes
        and account is not None
        and account.max_balance is not None
        and account.balance + exchange.minutes > account.max_balance
    ):
        names.append(exchange.provider.display_name)
    return names


def limit_refused_words(exchange: Exchange, *, for_coordinator: bool = False) -> str:
    """ "Not recorded yet: Alice would go past their limit. A coordinator will sort it out."
    (without the last sentence for a coordinator, who is the one to sort it out)."""
    names = _past_limit_names(exchange)
    who = and_list(names, empty=gettext("someone"))
    if for_coordinator:
        return gettext("Not recorded yet: %(who)s would go past their limit.") % {"who": who}
    return gettext("Not recorded yet: %(who)s would go past their limit. A coordinator will sort it out.") % {
        "who": who
    }


def next_steps(exchange: Exchange, *, viewer: Member | None, reversal: Transfer | None) -> list[str]:
    """What happens next at the exchange's status, for `viewer` (the member
    reading, or None for a coordinator who is not a party): short sentences."""
    S = ExchangeStatus
    provider = exchange.provider
    receivers = list(exchange.receivers.all())
    is_provider = viewer is not None and viewer.pk == provider.pk
    is_receiver = viewer is not None and any(m.pk == viewer.pk for m in receivers)
    hours = exchange.hours_text or gettext("the time")  # type: ignore[attr-defined]
    provider_name = provider.display_name
    days = exchange.timebank.auto_confirm_days
    if exchange.status == S.PROPOSED:
        answerers = _answerers(exchange)
        if viewer is not None and any(m.pk == viewer.pk for m in answerers):
            return [
                gettext("You have been asked to take part in this exchange. Nothing is agreed until you say yes."),
                gettext("Accept it if you can do it, or decline it if you cannot."),
            ]
        if is_provider or is_receiver:
            return [
                gettext("Now %(names)s needs to say yes or no. We will e-mail you when they reply.")
                % {"names": _names(answerers)},
                gettext("You can cancel it if your plans change."),
            ]
        return [gettext("Waiting for %(names)s to say yes or no.") % {"names": _names(answerers)}]
    if exchange.status == S.ACCEPTED:
        if is_provider:
            return [
                gettext("You have agreed to help. After you have helped, come back here and record how long it took."),
                gettext("If you cannot do it after all, cancel the exchange so the other person knows."),
            ]
        if is_receiver:
            return [
                gettext("%(provider)s has agreed to help you.") % {"provider": provider_name},
                gettext("After the help, %(provider)s records how long it took. Then you confirm it.")
                % {"provider": provider_name},
            ]
        return [gettext("Agreed. After the help, %(provider)s records how long it took.") % {"provider": provider_name}]
    if exchange.status == S.DONE and exchange.limit_refused_at is not None:
        if viewer is None:
            return [
                limit_refused_words(exchange, for_coordinator=True),
                gettext(
                    "Give hours from the community pot and confirm it, let it through past the limit, or cancel it."
                ),
            ]
        return [limit_refused_words(exchange), gettext("You do not need to do anything. No hours have moved yet.")]
    if exchange.status == S.DONE:
        if is_receiver:
            steps = [
                gettext("%(provider)s says the help took %(hours)s. Please check this.")
                % {"provider": provider_name, "hours": hours},
                gettext("If it is right, confirm it. Then %(hours)s move from your account to %(provider)s's.")
                % {"provider": provider_name, "hours": hours},
                gettext("If it is not right, choose “Something is not right” and a coordinator will help."),
                ngettext(
                    "If you do nothing, it is confirmed by itself after %(days)s day.",
                    "If you do nothing, it is confirmed by itself after %(days)s days.",
                    days,
                )
                % {"days": days},
            ]
            short = _short_of_hours(exchange, viewer)  # type: ignore[arg-type]
            if short is not None:
                balance, limit = short
                steps.append(
                    gettext(
                        "You do not have enough hours to confirm this just now. You have %(balance)s, "
                        "and your limit is %(limit)s. Talk to a coordinator: they can give you hours "
                        "from the community pot."
                    )
                    % {"balance": balance_in_words(balance), "limit": balance_in_words(limit)}
                )
            return steps
        if is_provider:
            return [
                gettext("You recorded %(hours)s. Now %(names)s needs to confirm it.")
                % {"hours": hours, "names": _names(receivers)},
                ngettext(
                    "If they do not, it is confirmed by itself after %(days)s day. Then the hours are yours.",
                    "If they do not, it is confirmed by itself after %(days)s days. Then the hours are yours.",
                    days,
                )
                % {"days": days},
            ]
        steps = [
            gettext("%(provider)s recorded %(hours)s. Waiting for %(names)s to confirm it.")
            % {"provider": provider_name, "hours": hours, "names": _names(receivers)}
        ]
        short_names = [m.display_name for m in receivers if _short_of_hours(exchange, m) is not None]
        if short_names:
            steps.append(
                gettext(
                    "%(names)s cannot confirm it yet: it would take them past their limit. "
                    "A grant from the community pot would let it go through."
                )
                % {"names": and_list(short_names)}
            )
        return steps
    if exchange.status == S.DISPUTED:
        return [
            gettext("%(names)s said something is not right with the time recorded.") % {"names": _names(receivers)},
            gettext("A coordinator will look at it and decide. They will tell you both. No hours move until then."),
        ]
    if exchange.status == S.CONFIRMED:
        return [gettext("Confirmed. The hours are being added to the accounts.")]
    if exchange.status == S.POSTED:
        if reversal is not None:
            when = timezone.localtime(reversal.created_at)
            steps = [
                gettext(
                    "The hours for this exchange were reversed on %(day)s. "
                    "They are back where they were before the exchange."
                )
                % {"day": date_format(when, "j F Y")},
            ]
            if reason := transfer_note_text(reversal):
                steps.append(gettext("The reason given: %(reason)s") % {"reason": reason})
            steps.append(gettext("If you have a question about this, talk to a coordinator."))
            return steps
        if is_provider:
            return [
                gettext("Done. You earned %(hours)s. Thank you for helping. You can see it in My hours.")
                % {"hours": hours}
            ]
        if is_receiver:
            return [
                gettext("Done. %(hours)s went from your account to %(provider)s. You can see it in My hours.")
                % {"hours": hours, "provider": provider_name}
            ]
        return [
            gettext("Done. %(hours)s went from %(names)s to %(provider)s.")
            % {"hours": hours, "names": _names(receivers), "provider": provider_name}
        ]
    if exchange.status == S.DECLINED:
        return [
            gettext("This exchange was declined. Nothing was agreed and no hours moved."),
            gettext("You can look for other offers and requests."),
        ]
    if exchange.status == S.CANCELLED:
        return [gettext("This exchange was cancelled. No hours moved.")]
    return []


def _actor_name(entry) -> str:
    if entry.actor is None:
        return gettext("TimeCommons (automatic)")
    member = getattr(entry.actor, "member", None)
    if member is not None:
        return member.display_name
    return entry.actor.get_full_name() or gettext("A coordinator")


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
    reversed_ids = reversed_exchange_ids(exchanges=list(page))
    for exchange in page:
        _label(exchange, is_reversed=exchange.pk in reversed_ids)
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
    is_disputed_for_coordinator = "resolve-confirm" in actions or (
        exchange_services.exchange_is_limit_refused(exchange=exchange)
        and is_coordinator_of(request.user, exchange.timebank_id)
    )
    reversal = exchange_reversal(exchange=exchange)
    _label(exchange, is_reversed=reversal is not None)
    viewer = member_for_user(request.user)
    if viewer is not None and not exchange_services.exchange_is_party(exchange=exchange, user=request.user):
        viewer = None  # a coordinator reading someone else's exchange
    return render(
        request,
        "timebank/exchanges/detail.html",
        {
            "exchange": exchange,
            "history": _history(exchange),
            "step_forms": forms,
            "resolve_link": is_disputed_for_coordinator,
            "next_steps": next_steps(exchange, viewer=viewer, reversal=reversal),
            "reversal": reversal,
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
            member = member_for_user(request.user)
            if member is not None and action == "confirm":
                error = limit_refusal_for(member=member, error=error, doing=gettext("to confirm this"))
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
                gettext("Recorded: %(provider)s gave %(hours)s. The hours are on their statements.")
                % {"provider": exchange.provider.display_name, "hours": format_minutes(exchange.minutes)},
            )
            return redirect("timebank:exchange-detail", public_id=exchange.public_id)
    return render(request, "timebank/exchanges/record_for_members.html", {"form": form})


@coordinator_page
def dispute_list(request, timebank):
    """Disputes, and exchanges stopped by an account limit: both wait for a coordinator."""
    page = Paginator(disputed_exchanges(timebank=timebank), PAGE_SIZE).get_page(page_number(request))
    for exchange in page:
        _label(exchange)
        disputes = [h.note for h in exchange.history.all() if h.to_status == ExchangeStatus.DISPUTED]
        exchange.dispute_note = disputes[-1] if disputes else ""
    # Few at a time (each is a refusal someone was told about): listed in full.
    stopped = list(limit_refused_exchanges(timebank=timebank)[:100])
    for exchange in stopped:
        _label(exchange)
        exchange.limit_words = limit_refused_words(exchange, for_coordinator=True)
    return render(request, "timebank/exchanges/disputes.html", {"page": page, "stopped": stopped})


@coordinator_page
def dispute_resolve(request, timebank, public_id):
    exchange = _load(request, public_id)
    if exchange.timebank_id != timebank.pk:
        # Another timebank's (even one this person also coordinates): switch to it first.
        raise not_found()
    stopped = exchange_services.exchange_is_limit_refused(exchange=exchange)
    if exchange.status != ExchangeStatus.DISPUTED and not stopped:
        messages.error(request, gettext("This exchange is not waiting for a coordinator any more."))
        return redirect("timebank:exchange-detail", public_id=exchange.public_id)
    form = ResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            exchange_services.exchange_resolve(exchange=exchange, by_user=request.user, **form.cleaned_data)
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, gettext("It is resolved and the people in the exchange can see the decision."))
            return redirect("timebank:dispute-list")
    return render(
        request,
        "timebank/exchanges/resolve.html",
        {
            "exchange": exchange,
            "history": _history(exchange),
            "form": form,
            "limit_words": limit_refused_words(exchange, for_coordinator=True) if stopped else "",
        },
    )
