"""Writes for exchanges: the lifecycle as a transition table, one service per
transition, and one ExchangeHistory row (who, when, from, to, note) per change.

    proposed --accept--> accepted --record--> done --confirm--> confirmed --post--> posted
    proposed --decline--> declined
    proposed/accepted --cancel--> cancelled
    done --dispute--> disputed --resolve (confirm | change minutes)--> confirmed --post--> posted
                               --resolve (cancel)--> cancelled

An exchange whose confirmation an account limit refused stays done, with
`limit_refused_at` set (recorded after the refused transaction rolled back),
and the receivers and the timebank's coordinators are told once. A coordinator
resolves it like a dispute (exchange_resolve): confirm or change the time,
letting the limit be passed (`override_limits`: the limit is widened and a
LimitOverride row says who and why), or cancel it.

When the time is recorded, the day the help was given (`helped_on`) is asked
for too: today by default, never in the future, at most
settings.EXCHANGE_HELP_DATE_MAX_DAYS_BACK days back. It is set before the
transfer is posted (the summaries count the transfer on that day) and never
changes after.

Who may act:
- accept / decline: the other party to whoever proposed (a receiver's proposal
  is answered by the provider and the other way round; a proposal made by a
  coordinator, e.g. an introduction, is answered by the provider, who gives the time);
- cancel: the provider or a receiver, before the time is recorded;
- record: the provider; confirm and dispute: a receiver;
- resolve: coordinators only. Coordinators may take every other step for anyone
  (members who are not online have no login and rely on them).

Hours: the provider earns exactly the minutes they gave. The receivers share
that cost: `split_minutes(minutes, n)` in receiver primary-key order, so the
first receivers pay one minute more when it does not divide evenly, and a
receiver whose share is zero (fewer minutes than receivers) pays nothing.
Confirming posts ONE ledger transfer (kind "exchange", idempotency key
"exchange-<public_id>") in the same transaction as the status change: a
refusal by an account limit rolls both back and the exchange stays as it was.

Every transition locks the exchange row first, so a double click or two
people acting at once take turns and the second sees the new status (and is
refused) instead of posting twice. E-mails go through timebank.notifications,
which sends only after commit.
"""

import datetime
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Case, F, Prefetch, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy, ngettext

from core.errors import ConflictError, InvalidInputError, NotAllowedError
from core.text import lazy_text
from timebank import hooks, ledger
from timebank.hours import MAX_EXCHANGE_MINUTES, format_minutes, format_minutes_lazy
from timebank.models import (
    Category,
    Exchange,
    ExchangeHistory,
    ExchangeReceiver,
    ExchangeStatus,
    Listing,
    ListingKind,
    ListingStatus,
    Member,
    MemberStatus,
    Timebank,
    Transfer,
    TransferKind,
    User,
)
from timebank.models.ledger import stored_memo
from timebank.notifications import notify, notify_address
from timebank.permissions import is_coordinator_of
from timebank.selectors.safeguarding import overridden_codes
from timebank.services.safeguarding import Clearance, safeguarding_override_record, safeguarding_require

logger = logging.getLogger(__name__)

S = ExchangeStatus

# (from status, action) -> to status. The single source of truth for what may happen next.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.PROPOSED, "accept"): S.ACCEPTED,
    (S.PROPOSED, "decline"): S.DECLINED,
    (S.PROPOSED, "cancel"): S.CANCELLED,
    (S.ACCEPTED, "cancel"): S.CANCELLED,
    (S.ACCEPTED, "record"): S.DONE,
    (S.DONE, "confirm"): S.CONFIRMED,
    (S.DONE, "dispute"): S.DISPUTED,
    (S.DISPUTED, "resolve-confirm"): S.CONFIRMED,
    (S.DISPUTED, "resolve-change"): S.CONFIRMED,
    (S.DISPUTED, "resolve-cancel"): S.CANCELLED,
    (S.CONFIRMED, "post"): S.POSTED,
}
ACTIONS = sorted({action for _, action in TRANSITIONS})
RESOLVE_OUTCOMES = ("confirm", "change", "cancel")

# What a person is told when the exchange is not in a state that allows their step.
_STATE_MESSAGES: dict[str, Any] = {
    S.PROPOSED: gettext_lazy("This exchange has not been accepted yet."),
    S.ACCEPTED: gettext_lazy("This exchange has already been accepted."),
    S.DONE: gettext_lazy("The time for this exchange has already been recorded."),
    S.CONFIRMED: gettext_lazy("This exchange has already been confirmed."),
    S.POSTED: gettext_lazy("This exchange has already been confirmed."),
    S.DECLINED: gettext_lazy("This exchange was declined."),
    S.CANCELLED: gettext_lazy("This exchange was cancelled."),
    S.DISPUTED: gettext_lazy("This exchange is disputed: a coordinator will sort it out."),
}
_SPECIFIC_MESSAGES: dict[tuple[str, str], Any] = {
    (S.ACCEPTED, "confirm"): gettext_lazy("The time for this exchange has not been recorded yet."),
    (S.ACCEPTED, "dispute"): gettext_lazy("The time for this exchange has not been recorded yet."),
    (S.PROPOSED, "record"): gettext_lazy("This exchange must be accepted before the time is recorded."),
    (S.DONE, "cancel"): gettext_lazy(
        "The time has already been recorded, so this exchange cannot be cancelled. "
        "If something is wrong, raise a dispute."
    ),
    (S.DONE, "decline"): gettext_lazy("The time for this exchange has already been recorded."),
}


def refusal_message(status: str, action: str) -> str:
    """Plain words for an illegal (status, action) pair."""
    if action.startswith("resolve") and status != S.DISPUTED:
        return gettext("Only a disputed exchange, or one stopped at an account limit, can be resolved.")
    message = _SPECIFIC_MESSAGES.get((status, action)) or _STATE_MESSAGES.get(status)
    return str(message) if message is not None else gettext("This cannot be done now.")


# --- Who is who ----------------------------------------------------------------


def _receiver_members(exchange: Exchange) -> list[Member]:
    # Uses a prefetch when the caller made one (selectors do), else one query.
    return sorted(exchange.receivers.all(), key=lambda m: m.pk)


def _role_of(exchange: Exchange, user: User | AnonymousUser | None) -> str | None:
    """'provider', 'receiver' or None for `user` in this exchange."""
    if user is None or not user.is_authenticated:
        return None
    if exchange.provider.user_id == user.pk:
        return "provider"
    if any(member.user_id == user.pk for member in _receiver_members(exchange)):
        return "receiver"
    return None


def _answering_role(exchange: Exchange) -> str:
    """Who answers a proposal: the party who did not propose it."""
    proposer = exchange.proposed_by
    if proposer is not None and _role_of(exchange, proposer) == "provider":
        return "receiver"
    return "provider"


def _may(exchange: Exchange, user: User | AnonymousUser | None, action: str) -> bool:
    if is_coordinator_of(user, exchange.timebank_id):
        return True
    role = _role_of(exchange, user)
    if role is None or action.startswith("resolve") or action == "post":
        return False
    if action in ("accept", "decline"):
        return role == _answering_role(exchange)
    if action == "cancel":
        return True
    if action == "record":
        return role == "provider"
    if action in ("confirm", "dispute"):
        return role == "receiver"
    return False


def exchange_is_party(*, exchange: Exchange, user: User | AnonymousUser | None) -> bool:
    """True when `user` is the provider or a receiver of this exchange."""
    return _role_of(exchange, user) is not None


def exchange_available_actions(*, exchange: Exchange, user: User | AnonymousUser | None) -> list[str]:
    """The steps `user` may take on this exchange now (for pages and the API)."""
    return [
        action
        for (status, action) in TRANSITIONS
        if status == exchange.status and action != "post" and _may(exchange, user, action)
    ]


def exchange_refusal_reason(*, exchange: Exchange, user: User | AnonymousUser | None, action: str) -> str | None:
    """Why `user` may not take `action` now, in plain words; None when they may."""
    try:
        _require(exchange, user, action)
    except NotAllowedError as error:
        return error.message
    if (exchange.status, action) not in TRANSITIONS:
        return refusal_message(exchange.status, action)
    return None


def _require(exchange: Exchange, user: User | AnonymousUser | None, action: str) -> None:
    if not _may(exchange, user, action):
        messages = {
            "accept": gettext("Only the other person in this exchange can accept it."),
            "decline": gettext("Only the other person in this exchange can decline it."),
            "record": gettext("Only the person who gave the time can record it."),
            "confirm": gettext("Only the person who received the help can confirm it."),
            "dispute": gettext("Only the person who received the help can dispute it."),
        }
        if action.startswith("resolve"):
            raise NotAllowedError(gettext("Only a coordinator can resolve a dispute."))
        raise NotAllowedError(messages.get(action) or gettext("Only the people in this exchange can do that."))


# --- The transition engine -----------------------------------------------------


def _lock(exchange: Exchange) -> Exchange:
    # Why lock: every transition reads the status and writes the next one; the
    # row lock makes concurrent steps (a double click, the auto-confirm command)
    # queue, so the second one sees the new status and is refused.
    # no_key: history rows and the transfer may still reference the row meanwhile.
    # The receivers come with it (one query): every step reads them, some twice.
    return (
        Exchange.objects.select_for_update(no_key=True, of=("self",))
        .select_related("provider", "provider__user", "timebank", "proposed_by")
        .prefetch_related(Prefetch("receivers", queryset=Member.objects.order_by("pk")))
        .get(pk=exchange.pk)
    )


def _step(locked: Exchange, action: str, *, actor: User | None, note: str = "") -> None:
    """Move `locked` along TRANSITIONS and write the history row (no save of the exchange)."""
    to_status = TRANSITIONS.get((locked.status, action))
    if to_status is None:
        raise ConflictError(refusal_message(locked.status, action))
    ExchangeHistory.objects.create(
        exchange=locked, from_status=locked.status, to_status=to_status, actor=actor, note=(note or "")[:500]
    )
    locked.status = to_status


def _sync(target: Exchange, source: Exchange) -> Exchange:
    """Copy the locked row's state onto the caller's instance so it sees the change."""
    if target is not source:
        for field in (
            "status",
            "minutes",
            "helped_on",
            "done_at",
            "confirmed_at",
            "posted_at",
            "limit_refused_at",
            "description",
            "updated_at",
        ):
            setattr(target, field, getattr(source, field))
    return target


def _clean_note(note: str, *, required: bool = False, what: str = "") -> str:
    """`what`: the words after "Please write", like gettext("a note") (the default)."""
    note = (note or "").strip()
    if required and not note:
        raise InvalidInputError(gettext("Please write %(what)s.") % {"what": what or gettext("a note")}, field="note")
    if len(note) > 500:
        raise InvalidInputError(gettext("Keep the note to 500 characters or fewer."), field="note")
    return note


def _clean_minutes(minutes: object) -> int:
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= MAX_EXCHANGE_MINUTES:
        raise InvalidInputError(
            gettext("Enter a time between 1 minute and 24 hours. Record longer help as separate exchanges."),
            field="minutes",
        )
    return minutes


def help_date_earliest(*, today: datetime.date | None = None) -> datetime.date:
    """The earliest day help may be recorded as given (settings.EXCHANGE_HELP_DATE_MAX_DAYS_BACK)."""
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=settings.EXCHANGE_HELP_DATE_MAX_DAYS_BACK)


def _day(value: datetime.date) -> str:
    """ "Tuesday 3 March 2026" in the language in use ("Dydd Mawrth 3 Mawrth 2026")."""
    return date_format(value, "l j F Y")


def _clean_helped_on(helped_on: object, *, field: str = "helped_on") -> datetime.date:
    """The day the help was given: today when not given; not in the future, not
    more than EXCHANGE_HELP_DATE_MAX_DAYS_BACK days back. It may be before the
    exchange was proposed: people often agree help first and record it after."""
    today = timezone.localdate()
    if helped_on is None:
        return today
    if not isinstance(helped_on, datetime.date) or isinstance(helped_on, datetime.datetime):
        raise InvalidInputError(gettext("Enter the day the help was given, like 27/3/2026."), field=field)
    if helped_on > today:
        raise InvalidInputError(gettext("The day the help was given cannot be in the future."), field=field)
    days = settings.EXCHANGE_HELP_DATE_MAX_DAYS_BACK
    if helped_on < help_date_earliest(today=today):
        raise InvalidInputError(
            ngettext(
                "The help must have been given in the last %(days)s day. Help given longer ago cannot be recorded.",
                "The help must have been given in the last %(days)s days. Help given longer ago cannot be recorded.",
                days,
            )
            % {"days": days},
            field=field,
        )
    return helped_on


def _exchange_path(exchange: Exchange) -> str:
    return reverse("timebank:exchange-detail", kwargs={"public_id": exchange.public_id})


def _tell(
    members: Iterable[Member], *, subject: str | Promise, template: str, exchange: Exchange, **context: object
) -> None:
    for member in members:
        notify(
            to_member=member,
            subject=subject,
            template=template,
            context={"exchange": exchange, "exchange_path": _exchange_path(exchange), **context},
        )


# --- Proposing -----------------------------------------------------------------


def _check_parties(*, timebank: Timebank, provider: Member, receivers: Sequence[Member]) -> list[Member]:
    unique: dict[int, Member] = {}
    for member in receivers:
        unique.setdefault(member.pk, member)
    if not unique:
        raise InvalidInputError(gettext("Choose at least one person to receive the help."), field="receivers")
    if provider.pk in unique:
        raise InvalidInputError(gettext("Someone cannot exchange time with themselves."), field="receivers")
    for member, field in [(provider, "provider"), *((m, "receivers") for m in unique.values())]:
        if member.timebank_id != timebank.pk:
            raise InvalidInputError(
                gettext("%(name)s is not a member of this timebank.") % {"name": member.display_name}, field=field
            )
        if not member.can_exchange:
            raise InvalidInputError(
                gettext("%(name)s cannot take part in exchanges just now (membership %(status)s).")
                % {"name": member.display_name, "status": str(member.get_status_display()).lower()},
                field=field,
            )
    return sorted(unique.values(), key=lambda m: m.pk)


def _create_exchange(
    *,
    timebank: Timebank,
    provider: Member,
    receivers: Sequence[Member],
    by_user: User | None,
    listing: Listing | None,
    agreed_for: datetime.datetime | None,
    description: str,
    recorded_by_coordinator: bool = False,
    clearance: Clearance | None = None,
) -> Exchange:
    description = " ".join((description or "").split())
    if len(description) > 300:
        raise InvalidInputError(gettext("Keep the description to 300 characters or fewer."), field="description")
    if agreed_for is not None and not isinstance(agreed_for, datetime.datetime):
        raise InvalidInputError(gettext("Enter the date and time you agreed."), field="agreed_for")
    exchange = Exchange.objects.create(
        timebank=timebank,
        listing=listing,
        provider=provider,
        description=description,
        agreed_for=agreed_for,
        proposed_by=by_user,
        recorded_by_coordinator=recorded_by_coordinator,
    )
    ExchangeReceiver.objects.bulk_create([ExchangeReceiver(exchange=exchange, member=m) for m in receivers])
    ExchangeHistory.objects.create(
        exchange=exchange,
        from_status="",
        to_status=S.PROPOSED,
        actor=by_user,
        note=clearance.note[:500] if clearance is not None else "",
    )
    if clearance is not None:
        safeguarding_override_record(clearance=clearance, exchange=exchange)
    return exchange


def _require_safe(
    *,
    timebank: Timebank,
    provider: Member,
    category: Category | None,
    where: str | None,
    by_user: User | None,
    override_reason: str,
    receivers: Sequence[Member],
    exchange: Exchange | None = None,
    listing: Listing | None = None,
) -> Clearance | None:
    """The safeguarding rule for the provider (the helper). The rule is about
    the helper, the kind of help and the place, so in a group exchange one check
    covers every receiver/provider pair; with one receiver, the young-person
    rule is about the pair (one-to-one help between someone under 18 and an
    adult needs a coordinator's approval). A listing that is a carer's break
    needs a helper with a current DBS check. Problems a coordinator already
    overrode for this exchange (or for the offer it answers) stay overridden.

    The category is one of the timebank's own (each timebank has its own
    categories and safeguarding rules)."""
    if category is not None and category.timebank_id != timebank.pk:
        raise InvalidInputError(
            gettext("That category is not one of this timebank's. Choose one from the list."), field="category"
        )
    return safeguarding_require(
        timebank=timebank,
        helper=provider,
        category=category,
        where=where,
        by_user=by_user,
        override_reason=override_reason,
        today=timezone.localdate(),
        covered=overridden_codes(exchange=exchange, listing=listing),
        carers_break=bool(listing is not None and listing.carers_break),
        receivers=receivers,
    )


def exchange_propose(
    *,
    timebank: Timebank,
    provider: Member,
    receivers: list[Member],
    by_user: User | None,
    listing: Listing | None = None,
    agreed_for: datetime.datetime | None = None,
    description: str = "",
    category: Category | None = None,
    where: str | None = None,
    safeguarding_override_reason: str = "",
) -> Exchange:
    """Propose that `provider` gives time to `receivers`. The proposer is the
    provider, a receiver, or a coordinator (an introduction).

    The safeguarding rule applies to the provider, for the listing's category
    and place (or `category` and `where` when there is no listing); a
    coordinator of the timebank may override it with a reason."""
    receivers = _check_parties(timebank=timebank, provider=provider, receivers=receivers)
    party_users = {provider.user_id, *(m.user_id for m in receivers)} - {None}
    if not is_coordinator_of(by_user, timebank) and (by_user is None or by_user.pk not in party_users):
        raise NotAllowedError(gettext("You can only propose exchanges that you take part in."))
    if listing is not None:
        category, where = listing.category, listing.where
    clearance = _require_safe(
        timebank=timebank,
        provider=provider,
        category=category,
        where=where,
        by_user=by_user,
        override_reason=safeguarding_override_reason,
        receivers=receivers,
        listing=listing,
    )
    # Why atomic: the exchange, its receivers, its first history row, a
    # coordinator's safeguarding override and the listing's matched time
    # appear together or not at all.
    with transaction.atomic():
        if listing is not None:
            listing = Listing.objects.select_for_update(of=("self",)).select_related("member").get(pk=listing.pk)
            if listing.timebank_id != timebank.pk:
                raise InvalidInputError(gettext("That listing belongs to another timebank."), field="listing")
            if listing.member_id != provider.pk and listing.member_id not in {m.pk for m in receivers}:
                raise InvalidInputError(
                    gettext("The person who listed this must take part in the exchange."), field="listing"
                )
            if listing.kind == ListingKind.REQUEST and listing.matched_at is None:
                # The request's waiting time ends at its first match.
                listing.matched_at = timezone.now()
                listing.save(update_fields=["matched_at", "updated_at"])
        exchange = _create_exchange(
            timebank=timebank,
            provider=provider,
            receivers=receivers,
            by_user=by_user,
            listing=listing,
            agreed_for=agreed_for,
            description=description,
            clearance=clearance,
        )
        answering = _answering_role(exchange)
        to_tell = [provider] if answering == "provider" else receivers
        if by_user is not None and _role_of(exchange, by_user) is None:
            to_tell = [provider, *receivers]  # a coordinator's introduction: everyone hears
        proposer_name = _display_name_of(by_user, exchange)
        _tell(
            to_tell,
            subject=lazy_text(lambda: gettext("%(name)s has suggested an exchange") % {"name": proposer_name}),
            template="emails/exchange_proposed.txt",
            exchange=exchange,
            proposer_name=proposer_name,
            receivers=receivers,
        )
    return exchange


def _display_name_of(user: User | None, exchange: Exchange) -> Any:
    """Who did it, for an e-mail: a name, or words read in the recipient's language."""
    if user is None:
        return "TimeCommons"
    if exchange.provider.user_id == user.pk:
        return exchange.provider.display_name
    for member in _receiver_members(exchange):
        if member.user_id == user.pk:
            return member.display_name
    return user.get_full_name() or gettext_lazy("A coordinator")


def exchange_propose_from_listing(
    *,
    listing: Listing,
    member: Member,
    by_user: User | None,
    agreed_for: datetime.datetime | None = None,
    description: str = "",
    safeguarding_override_reason: str = "",
) -> Exchange:
    """Answer a listing: for an offer the lister gives time to `member`; for a
    request `member` gives time to the lister. The safeguarding rule applies to
    whoever gives the time (see exchange_propose)."""
    if listing.status != ListingStatus.OPEN or listing.expires_on < timezone.localdate():
        if listing.kind == ListingKind.OFFER:
            raise ConflictError(gettext("This offer is closed."))
        raise ConflictError(gettext("This request is closed."))
    if listing.member_id == member.pk:
        if listing.kind == ListingKind.OFFER:
            raise InvalidInputError(gettext("This is your own offer."))
        raise InvalidInputError(gettext("This is your own request."))
    if listing.kind == ListingKind.OFFER:
        provider, receivers = listing.member, [member]
    else:
        provider, receivers = member, [listing.member]
    return exchange_propose(
        timebank=listing.timebank,
        provider=provider,
        receivers=receivers,
        by_user=by_user,
        listing=listing,
        agreed_for=agreed_for,
        description=description or listing.title,
        safeguarding_override_reason=safeguarding_override_reason,
    )


# --- Answering, cancelling, recording ------------------------------------------


def _simple_transition(
    exchange: Exchange, action: str, *, by_user: User | None, note: str
) -> tuple[Exchange, Exchange]:
    locked = _lock(exchange)
    _require(locked, by_user, action)
    _step(locked, action, actor=by_user, note=note)
    locked.save(update_fields=["status", "updated_at"])
    return locked, _sync(exchange, locked)


def exchange_accept(
    *, exchange: Exchange, by_user: User | None, note: str = "", safeguarding_override_reason: str = ""
) -> Exchange:
    """The other party agrees to the proposal. The safeguarding rule is
    checked again (a check may have run out, or a restriction been added, since
    the proposal); what a coordinator overrode for it stays overridden."""
    note = _clean_note(note)
    # Why atomic: the row lock, the status, the history row and a coordinator's
    # override belong together; a refusal leaves the proposal as it was.
    with transaction.atomic():
        locked = _lock(exchange)
        _require(locked, by_user, "accept")
        if (locked.status, "accept") not in TRANSITIONS:
            raise ConflictError(refusal_message(locked.status, "accept"))
        listing = locked.listing
        clearance = _require_safe(
            timebank=locked.timebank,
            provider=locked.provider,
            category=listing.category if listing is not None else None,
            where=listing.where if listing is not None else None,
            by_user=by_user,
            override_reason=safeguarding_override_reason,
            receivers=_receiver_members(locked),
            exchange=locked,
            listing=listing,
        )
        history_note = note
        if clearance is not None:
            history_note = f"{note} {clearance.note}".strip()
            safeguarding_override_record(clearance=clearance, exchange=locked)
        _step(locked, "accept", actor=by_user, note=history_note)
        locked.save(update_fields=["status", "updated_at"])
        exchange = _sync(exchange, locked)
        parties = [locked.provider, *_receiver_members(locked)]
        _tell(
            [m for m in parties if m.user_id is None or by_user is None or m.user_id != by_user.pk],
            subject=gettext_lazy("Your exchange has been accepted"),
            template="emails/exchange_accepted.txt",
            exchange=locked,
            note=note,
        )
    return exchange


def exchange_decline(*, exchange: Exchange, by_user: User | None, note: str = "") -> Exchange:
    """The other party says no to the proposal."""
    note = _clean_note(note)
    # Why atomic: as in exchange_accept.
    with transaction.atomic():
        _locked, exchange = _simple_transition(exchange, "decline", by_user=by_user, note=note)
    return exchange


def exchange_cancel(*, exchange: Exchange, by_user: User | None, note: str = "") -> Exchange:
    """Either party calls the exchange off before the time is recorded."""
    note = _clean_note(note)
    # Why atomic: as in exchange_accept.
    with transaction.atomic():
        _locked, exchange = _simple_transition(exchange, "cancel", by_user=by_user, note=note)
    return exchange


def exchange_record(
    *, exchange: Exchange, by_user: User | None, minutes: int, helped_on: datetime.date | None = None
) -> Exchange:
    """The provider records how long the help took and the day it was given
    (`helped_on`, today when not given); receivers are asked to confirm."""
    minutes = _clean_minutes(minutes)
    # Why atomic: the minutes, the day, the status and the history row belong together.
    with transaction.atomic():
        locked = _lock(exchange)
        _require(locked, by_user, "record")
        if (locked.status, "record") not in TRANSITIONS:
            raise ConflictError(refusal_message(locked.status, "record"))
        helped_on = _clean_helped_on(helped_on)
        recorded = f"{format_minutes(minutes)} recorded, help given on {_day(helped_on)}"
        _step(locked, "record", actor=by_user, note=recorded)
        provider_name = locked.provider.display_name
        locked.minutes = minutes
        locked.helped_on = helped_on
        locked.done_at = timezone.now()
        locked.save(update_fields=["status", "minutes", "helped_on", "done_at", "updated_at"])
        _tell(
            _receiver_members(locked),
            subject=lazy_text(
                lambda: (
                    gettext("Please confirm %(hours)s from %(name)s")
                    % {"hours": format_minutes(minutes), "name": provider_name}
                )
            ),
            template="emails/exchange_done.txt",
            exchange=locked,
            hours=format_minutes_lazy(minutes),
            auto_confirm_days=locked.timebank.auto_confirm_days,
        )
    return _sync(exchange, locked)


# --- Confirming and posting ----------------------------------------------------


def _recorded_minutes(exchange: Exchange) -> int:
    """The minutes recorded for an exchange that is done (or later): record sets them."""
    if exchange.minutes is None:
        # What the ledger would refuse a transfer of no minutes with.
        raise ledger.InvalidTransferError(gettext("Time must be recorded in whole minutes."))
    return exchange.minutes


def _post(locked: Exchange, *, actor: User | None, override_limits_by: User | None = None, reason: str = "") -> None:
    """Post the exchange's one ledger transfer and mark it posted (caller holds the
    lock and the transaction). With `override_limits_by` (a coordinator: the caller
    checks), an account limit the transfer would pass is widened to the balance it
    leaves, and a LimitOverride row records who, why (`reason`) and the limit before."""
    receivers = _receiver_members(locked)
    minutes = _recorded_minutes(locked)
    shares = ledger.split_minutes(minutes, len(receivers))
    legs = [ledger.Leg(ledger.account_for_member(member=locked.provider), minutes)]
    legs += [
        ledger.Leg(ledger.account_for_member(member=member), -share)
        for member, share in zip(receivers, shares)
        if share  # fewer minutes than receivers: those with a zero share pay nothing
    ]
    if locked.helped_on is None:
        # Recorded before the day was asked for: counted on the day it was recorded.
        # Saved before the transfer: the summaries' triggers read it as the rows go in.
        locked.helped_on = timezone.localdate(locked.done_at) if locked.done_at else timezone.localdate()
        Exchange.objects.filter(pk=locked.pk).update(helped_on=locked.helped_on)

    def post() -> Transfer:
        return ledger.transfer_post(
            timebank=locked.timebank,
            kind=TransferKind.EXCHANGE,
            legs=legs,
            # Who helped whom is in the entries' accounts; what the help was is
            # the members' own words, so it goes to the note that erasure blanks.
            memo=stored_memo(TransferKind.EXCHANGE),
            note=locked.description,
            recorded_by=actor,
            exchange=locked,
            idempotency_key=f"exchange-{locked.public_id}",
        )

    try:
        if override_limits_by is None:
            post()
        else:
            # A limit the transfer would pass is widened, and the override recorded.
            ledger.post_past_limits(legs=legs, post=post, by_user=override_limits_by, reason=reason)
    except ledger.LimitExceededError as exc:
        raise ConflictError(
            gettext("The hours could not be recorded: %(reason)s Nothing has changed; a coordinator can help.")
            % {"reason": exc.message},
            code="limit_exceeded",
        ) from exc
    now = timezone.now()
    _step(locked, "post", actor=actor)
    locked.posted_at = now
    locked.limit_refused_at = None
    locked.save(
        update_fields=[
            "status",
            "minutes",
            "helped_on",
            "done_at",
            "confirmed_at",
            "posted_at",
            "limit_refused_at",
            "updated_at",
        ]
    )
    member_ids = [locked.provider_id, *(m.pk for m in receivers)]
    members = Member.objects.filter(pk__in=member_ids)
    first_timers = list(members.filter(first_exchange_at__isnull=True))
    # One statement: the first exchange's time where there was none, this one as
    # the last, and taking part in an exchange is what makes an approved member active.
    members.update(
        first_exchange_at=Coalesce("first_exchange_at", Value(now)),
        last_exchange_at=now,
        status=Case(When(status=MemberStatus.APPROVED, then=Value(MemberStatus.ACTIVE)), default=F("status")),
    )
    # Higher layers (a referral that brought the person) hear of each first exchange.
    for member in first_timers:
        hooks.first_exchange_posted.send(member=member)
    hooks.exchange_posted.send(giver=locked.provider, minutes=minutes)


def _confirm_and_post(
    locked: Exchange, action: str, *, actor: User | None, note: str, override_limits_by: User | None = None
) -> None:
    _step(locked, action, actor=actor, note=note)
    locked.confirmed_at = timezone.now()
    _post(locked, actor=actor, override_limits_by=override_limits_by, reason=note)
    recorded = _recorded_minutes(locked)
    hours = format_minutes_lazy(recorded)
    _tell(
        [locked.provider, *_receiver_members(locked)],
        subject=lazy_text(
            lambda: gettext("%(hours)s recorded for your exchange") % {"hours": format_minutes(recorded)}
        ),
        template="emails/exchange_confirmed.txt",
        exchange=locked,
        hours=hours,
    )


def _limit_refused(exchange: Exchange, error: ConflictError) -> None:
    """After a confirmation refused by an account limit has rolled back: mark the
    exchange (`limit_refused_at`, in its own transaction so it stays) and tell its
    receivers and the timebank's coordinators, once: a later refusal of the
    same exchange (the daily auto-confirm trying again) tells nobody again."""
    cause = error.__cause__
    if not isinstance(cause, ledger.LimitExceededError):
        return
    # Why atomic: the mark and the e-mails (sent on commit) go together.
    with transaction.atomic():
        locked = _lock(exchange)
        if locked.status != S.DONE or locked.limit_refused_at is not None:
            return
        locked.limit_refused_at = timezone.now()
        locked.save(update_fields=["limit_refused_at", "updated_at"])
        exchange.limit_refused_at = locked.limit_refused_at
        who = cause.account.name
        hours = format_minutes_lazy(_recorded_minutes(locked))
        for member in _receiver_members(locked):
            _tell(
                [member],
                subject=gettext_lazy("The hours for your exchange could not be recorded yet"),
                template="emails/exchange_limit_refused.txt",
                exchange=locked,
                hours=hours,
                who=who,
                is_you=cause.account.member_id == member.pk,
            )
        resolve_path = reverse("timebank:dispute-resolve", kwargs={"public_id": locked.public_id})
        for coordinator in locked.timebank.coordinators.filter(is_active=True).exclude(email="").order_by("pk"):
            notify_address(
                address=coordinator.email,
                subject=gettext_lazy("An exchange was stopped by an account limit"),
                template="emails/exchange_limit_refused_coordinator.txt",
                context={
                    "coordinator": coordinator,
                    "exchange": locked,
                    "hours": hours,
                    "who": who,
                    "limit_message": cause.message,
                    "resolve_path": resolve_path,
                },
                log_as=f"user {coordinator.pk}",
            )


def exchange_confirm(*, exchange: Exchange, by_user: User | None, note: str = "") -> Exchange:
    """A receiver (or a coordinator) confirms the recorded time; the hours are posted.

    Refused by an account limit, the exchange stays done and is marked for the
    coordinators (`_limit_refused`), and the ConflictError is raised as before."""
    note = _clean_note(note)
    # Why atomic: confirmed and posted are one step for people: the status, the
    # history rows and the ledger transfer commit together, or (on a refusal by
    # an account limit) none of them do and the exchange stays done.
    try:
        with transaction.atomic():
            locked = _lock(exchange)
            _require(locked, by_user, "confirm")
            _confirm_and_post(locked, "confirm", actor=by_user, note=note)
    except ConflictError as error:
        if error.code == "limit_exceeded":
            _limit_refused(exchange, error)
        raise
    return _sync(exchange, locked)


def exchange_dispute(*, exchange: Exchange, by_user: User | None, note: str) -> Exchange:
    """A receiver says the recorded time is wrong; a coordinator will resolve it."""
    note = _clean_note(note, required=True, what=gettext("what is wrong, so a coordinator can help"))
    # Why atomic: as in exchange_accept.
    with transaction.atomic():
        locked, exchange = _simple_transition(exchange, "dispute", by_user=by_user, note=note)
        _tell(
            [locked.provider],
            subject=gettext_lazy("Your exchange has been queried"),
            template="emails/exchange_disputed.txt",
            exchange=locked,
            note=note,
        )
    return exchange


def exchange_is_limit_refused(*, exchange: Exchange) -> bool:
    """Done, and its confirmation was refused by an account limit: waiting for a coordinator."""
    return exchange.status == S.DONE and exchange.limit_refused_at is not None


def exchange_resolve(
    *,
    exchange: Exchange,
    by_user: User | None,
    outcome: str,
    minutes: int | None = None,
    note: str,
    helped_on: datetime.date | None = None,
    override_limits: bool = False,
) -> Exchange:
    """A coordinator settles a dispute, or an exchange whose confirmation an
    account limit refused: confirm the time, change it (and, if need be, the day
    the help was given), or cancel. With `override_limits` the hours go through
    although they take someone past their limit: the limit is widened and a
    LimitOverride row records the coordinator and the note."""
    if not is_coordinator_of(by_user, exchange.timebank_id):
        raise NotAllowedError(gettext("Only a coordinator can resolve a dispute."))
    if outcome not in RESOLVE_OUTCOMES:
        raise InvalidInputError(gettext("Choose confirm, change the time, or cancel."), field="outcome")
    note = _clean_note(note, required=True, what=gettext("a note explaining the decision"))
    changed_minutes = _clean_minutes(minutes) if outcome == "change" else None
    changed_day = _clean_helped_on(helped_on) if outcome == "change" and helped_on is not None else None
    # Why atomic: as in exchange_confirm.
    with transaction.atomic():
        locked = _lock(exchange)
        action = f"resolve-{outcome}"
        if exchange_is_limit_refused(exchange=locked):
            # Not a dispute: the table has no done --resolve--> step, so the
            # decision is taken as the step it amounts to.
            _resolve_limit_refused(
                locked,
                outcome,
                by_user=by_user,
                note=note,
                minutes=changed_minutes,
                helped_on=changed_day,
                override=override_limits,
            )
            return _sync(exchange, locked)
        if outcome == "cancel":
            _step(locked, action, actor=by_user, note=note)
            locked.save(update_fields=["status", "updated_at"])
        else:
            if locked.status == S.DISPUTED:
                note = _apply_changes(locked, minutes=changed_minutes, helped_on=changed_day, note=note)
            _resolve_post(locked, action, by_user=by_user, note=note, override=override_limits)
    return _sync(exchange, locked)


def _apply_changes(locked: Exchange, *, minutes: int | None, helped_on: datetime.date | None, note: str) -> str:
    """A coordinator's change of the time and the day, before posting (saved now:
    the summaries read the day as the transfer goes in). Returns the history note."""
    changes = []
    if minutes is not None and minutes != locked.minutes:
        changes.append(f"Time changed from {format_minutes(_recorded_minutes(locked))} to {format_minutes(minutes)}.")
        locked.minutes = minutes
    if helped_on is not None and helped_on != locked.helped_on:
        changes.append(f"Day the help was given changed to {_day(helped_on)}.")
        locked.helped_on = helped_on
        locked.save(update_fields=["helped_on", "updated_at"])
    return " ".join([*changes, note])


def _resolve_post(locked: Exchange, action: str, *, by_user: User | None, note: str, override: bool) -> None:
    try:
        _confirm_and_post(locked, action, actor=by_user, note=note, override_limits_by=by_user if override else None)
    except ConflictError as error:
        cause = error.__cause__
        if isinstance(cause, ledger.LimitExceededError):
            raise ConflictError(
                gettext(
                    "%(reason)s Tick “Let it through although it takes them past their limit” to record "
                    "it anyway, or give them hours from the community pot first."
                )
                % {"reason": cause.message},
                field="override_limits",
                code="limit_exceeded",
            ) from cause
        raise


def _resolve_limit_refused(
    locked: Exchange,
    outcome: str,
    *,
    by_user: User | None,
    note: str,
    minutes: int | None,
    helped_on: datetime.date | None,
    override: bool,
) -> None:
    """Cancel, or confirm (with the time or day changed) an exchange stopped by a
    limit: with `override` it goes through past the limit; without, it goes
    through only if the accounts now have room (a grant from the pot meanwhile)."""
    if outcome == "cancel":
        ExchangeHistory.objects.create(
            exchange=locked, from_status=locked.status, to_status=S.CANCELLED, actor=by_user, note=note
        )
        locked.status = S.CANCELLED
        locked.limit_refused_at = None
        locked.save(update_fields=["status", "limit_refused_at", "updated_at"])
        _tell(
            [locked.provider, *_receiver_members(locked)],
            subject=gettext_lazy("Your exchange was cancelled by a coordinator"),
            template="emails/exchange_limit_cancelled.txt",
            exchange=locked,
            note=note,
        )
        return
    note = _apply_changes(locked, minutes=minutes, helped_on=helped_on, note=note)
    _resolve_post(locked, "confirm", by_user=by_user, note=note, override=override)


def exchange_auto_confirm_due(*, now: datetime.datetime | None = None) -> int:
    """Confirm and post exchanges left done for longer than their timebank's
    auto_confirm_days. Returns how many were posted; one refused by an account
    limit stays done (and is logged by id) while the rest carry on. The first
    refusal marks it and tells the people (`_limit_refused`); later runs try
    again without telling anyone again."""
    now = now or timezone.now()
    posted = 0
    for timebank in Timebank.objects.all():
        days = timebank.auto_confirm_days
        cutoff = now - datetime.timedelta(days=days)
        due_ids = list(
            Exchange.objects.filter(timebank=timebank, status=S.DONE, done_at__lte=cutoff)
            .order_by("done_at", "pk")
            .values_list("pk", flat=True)
        )
        for pk in due_ids:
            try:
                # Why one transaction per exchange: one refusal must not undo the others.
                with transaction.atomic():
                    locked = _lock(Exchange(pk=pk))
                    if locked.status != S.DONE:
                        continue  # confirmed or disputed by a person meanwhile
                    _confirm_and_post(locked, "confirm", actor=None, note=f"Confirmed automatically after {days} days")
                posted += 1
            except ConflictError as error:
                logger.warning("Exchange %s could not be confirmed automatically", pk)
                if error.code == "limit_exceeded":
                    _limit_refused(Exchange(pk=pk), error)
    return posted


# --- Coordinators recording for members who are not online ------------------------


def exchange_record_for_members(
    *,
    provider: Member,
    receivers: list[Member],
    minutes: int,
    by_user: User | None,
    category: Category | None = None,
    description: str,
    occurred_on: datetime.date | None = None,
    where: str | None = None,
    safeguarding_override_reason: str = "",
) -> Exchange:
    """A coordinator records a whole exchange at once (e.g. from a phone call or
    paper slip): proposed, accepted, done, confirmed and posted, one history row each."""
    if not is_coordinator_of(by_user, provider.timebank_id):
        raise NotAllowedError(gettext("Only a coordinator can record an exchange for other members."))
    minutes = _clean_minutes(minutes)
    timebank = provider.timebank
    receivers = _check_parties(timebank=timebank, provider=provider, receivers=receivers)
    description = " ".join((description or "").split())
    if not description:
        raise InvalidInputError(gettext("Say briefly what the help was."), field="description")
    # The day the help was given: a coordinator may record help older than the
    # exchange (it is made now), within EXCHANGE_HELP_DATE_MAX_DAYS_BACK.
    occurred_on = _clean_helped_on(occurred_on, field="occurred_on")
    if category is not None:
        # The exchange has no category of its own: the category leads the description.
        description = f"{category.name}: {description}"
    if len(description) > 300:
        raise InvalidInputError(gettext("Keep the description shorter (300 characters in all)."), field="description")
    when = timezone.make_aware(datetime.datetime.combine(occurred_on, datetime.time(12, 0)))
    note = f"Recorded by a coordinator for help given on {occurred_on.day} {occurred_on:%B %Y}"
    # The same safeguarding rule as for a proposal; a coordinator overrides it with a reason.
    clearance = _require_safe(
        timebank=timebank,
        provider=provider,
        category=category,
        where=where or None,
        by_user=by_user,
        override_reason=safeguarding_override_reason,
        receivers=receivers,
    )
    # Why atomic: the whole walk to posted commits together; a refusal by an
    # account limit leaves no exchange behind at all.
    with transaction.atomic():
        exchange = _create_exchange(
            timebank=timebank,
            provider=provider,
            receivers=receivers,
            by_user=by_user,
            listing=None,
            agreed_for=when,
            description=description,
            recorded_by_coordinator=True,
            clearance=clearance,
        )
        locked = _lock(exchange)
        _step(locked, "accept", actor=by_user, note=note)
        _step(locked, "record", actor=by_user, note=f"{format_minutes(minutes)} recorded")
        locked.minutes = minutes
        locked.helped_on = occurred_on
        locked.done_at = timezone.now()
        # Saved before posting: the summaries' triggers read the day as the transfer goes in.
        locked.save(update_fields=["helped_on"])
        _confirm_and_post(locked, "confirm", actor=by_user, note=note)
    return locked
