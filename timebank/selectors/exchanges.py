"""Reads of exchanges: a member's exchanges, one exchange with its history,
and the coordinators' queue of disputes. Receivers and history are prefetched,
so a list's query count does not grow with its rows."""

import uuid

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext

from core.errors import NotFoundError
from timebank.models import (
    Exchange,
    ExchangeHistory,
    ExchangeReceiver,
    ExchangeStatus,
    Member,
    MemberStatus,
    Timebank,
    Transfer,
    User,
)
from timebank.permissions import is_coordinator_of

# History rows with who acted (and their member name), for the exchange's page.
_HISTORY = ExchangeHistory.objects.select_related("actor", "actor__member")

OPEN_STATUSES = (ExchangeStatus.PROPOSED, ExchangeStatus.ACCEPTED, ExchangeStatus.DONE, ExchangeStatus.DISPUTED)


def _with_people(queryset: QuerySet[Exchange]) -> QuerySet[Exchange]:
    return queryset.select_related("provider", "provider__user", "listing", "timebank", "proposed_by").prefetch_related(
        Prefetch("receivers", queryset=Member.objects.select_related("user").order_by("pk"))
    )


def exchanges_for_member(*, member: Member, statuses: list[str] | None = None) -> QuerySet[Exchange]:
    """Exchanges in which `member` gives or receives time, newest first."""
    # A subquery rather than a join on receivers: no duplicates, no DISTINCT.
    received = ExchangeReceiver.objects.filter(member=member).values("exchange_id")
    queryset = Exchange.objects.filter(Q(provider=member) | Q(pk__in=received))
    if statuses:
        queryset = queryset.filter(status__in=statuses)
    return _with_people(queryset).order_by("-created_at", "-pk")


def exchange_detail(*, public_id: uuid.UUID, user: User | AnonymousUser | None) -> Exchange:
    """One exchange with its people and history, if `user` takes part in it or
    coordinates its timebank; anyone else is told it does not exist."""
    exchange = (
        _with_people(Exchange.objects.filter(public_id=public_id))
        .prefetch_related(Prefetch("history", queryset=_HISTORY))
        .first()
    )
    if exchange is None or user is None or not user.is_authenticated:
        raise NotFoundError(gettext("There is no such exchange."))
    if is_coordinator_of(user, exchange.timebank_id):
        return exchange
    party_users = {exchange.provider.user_id, *(m.user_id for m in exchange.receivers.all())}
    if user.pk not in party_users:
        raise NotFoundError(gettext("There is no such exchange."))
    return exchange


def exchange_of_party(*, public_id: uuid.UUID, user: User, timebank_ids: set[int]) -> Exchange:
    """One exchange of the timebanks in `timebank_ids` in which `user` gives or
    receives time, with the people a response names (provider, receivers,
    listing) and no history: two queries, for a party's own step on it (the
    API). Anyone else, a coordinator included, is told it does not exist."""
    exchange = (
        Exchange.objects.filter(public_id=public_id, timebank_id__in=timebank_ids)
        .select_related("provider", "listing")
        .prefetch_related(Prefetch("receivers", queryset=Member.objects.order_by("pk")))
        .first()
    )
    if exchange is None or user.pk not in {exchange.provider.user_id, *(m.user_id for m in exchange.receivers.all())}:
        raise NotFoundError(gettext("There is no such exchange."))
    return exchange


def reversed_exchange_ids(*, exchanges: list[Exchange]) -> set[int]:
    """Which of these exchanges had their hours posted and then reversed (one query)."""
    posted = [exchange.pk for exchange in exchanges if exchange.status == ExchangeStatus.POSTED]
    if not posted:
        return set()
    return set(
        Transfer.objects.filter(exchange_id__in=posted, reversed_by__isnull=False).values_list("exchange_id", flat=True)
    )


def exchange_reversal(*, exchange: Exchange) -> Transfer | None:
    """The transfer that reversed this exchange's hours, or None (with its note
    and entries, for timebank.selectors.accounts.transfer_note_text)."""
    if exchange.status != ExchangeStatus.POSTED:
        return None
    return (
        Transfer.objects.filter(reverses__exchange=exchange)
        .select_related("note")
        .prefetch_related("entries__account__member")
        .first()
    )


def disputed_exchanges(*, timebank: Timebank | None = None) -> QuerySet[Exchange]:
    """Disputes waiting for a coordinator, the oldest first."""
    queryset = Exchange.objects.filter(status=ExchangeStatus.DISPUTED)
    if timebank is not None:
        queryset = queryset.filter(timebank=timebank)
    return _with_people(queryset).prefetch_related(Prefetch("history", queryset=_HISTORY)).order_by("updated_at", "pk")


def limit_refused_exchanges(*, timebank: Timebank) -> QuerySet[Exchange]:
    """Exchanges whose confirmation an account limit refused, waiting for a
    coordinator (timebank.services.exchanges), the oldest refusal first."""
    queryset = Exchange.objects.filter(timebank=timebank, status=ExchangeStatus.DONE, limit_refused_at__isnull=False)
    return _with_people(queryset).order_by("limit_refused_at", "pk")


def members_who_can_exchange(*, timebank: Timebank) -> QuerySet[Member]:
    """Approved and active members, for a coordinator's "who gave / who received" lists."""
    return Member.objects.filter(timebank=timebank, status__in=(MemberStatus.APPROVED, MemberStatus.ACTIVE)).order_by(
        "display_name", "pk"
    )
