"""A member's home page as a dashboard: their hours in words, what is waiting
for them, their offers and requests, and sections that higher layers add.

What it owns:
- `balance_words(balance=, min_balance=)`: a balance as a sentence a person
  reads ("You have 3 hours 20 minutes to spend"), and below zero a kind
  explanation with the limit. My hours uses the same words.
- `member_dashboard(member=)`: everything the home page shows a logged-in
  member, read in a fixed number of queries whatever their history.
- `dashboard_sections`: the hook through which higher layers add a section
  (brokering: suggested matches; assets: groups near the member). The timebank
  sits below them and may not import them (docs/architecture.md, "One
  direction"), so they connect a receiver in their `AppConfig.ready()`.

Invariants:
- A receiver takes `member=` only and returns a `DashboardSection` or None
  (nothing to say to this member, e.g. matches for an applicant). Receivers
  only read. A receiver that refuses with a DomainError (a place that cannot be
  found, ...) is left out of the page: a dashboard section never breaks the
  home page. Any other exception is a bug and is not hidden.
- Sections appear by their `order`, then in the order their apps are installed.
- "Waiting for you" lists only the steps this member takes as a party to the
  exchange (the rule of timebank.services.exchanges: the other party to the
  proposer answers, the provider records, a receiver confirms), never the
  steps they could take as a coordinator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import DomainError
from timebank.hooks import Hook
from timebank.hours import format_minutes
from timebank.models import Exchange, ExchangeStatus, Listing, ListingKind, ListingStatus, Member, MemberStatus
from timebank.selectors.accounts import HoursSummary, balance_in_words, member_account, member_hours_summary
from timebank.selectors.exchanges import exchanges_for_member

# How many of each list the home page shows before "see all".
SHOW_FEW = 3
# The open exchanges read to find what is waiting: more than a person has going at once.
OPEN_EXCHANGES_READ = 50


# --- Sections that higher layers add ----------------------------------------------------


@dataclass(frozen=True)
class DashboardLink:
    """One line of a section: a link and, after it, a short explanation."""

    text: str
    url: str
    detail: str = ""


@dataclass(frozen=True)
class DashboardSection:
    """One h2 section of the dashboard. `empty_text` is shown when there are
    no items; `more_url`/`more_text` is the link to the full list."""

    title: str
    items: list[DashboardLink]
    empty_text: str
    more_url: str = ""
    more_text: str = ""
    # Said under the heading, before the items (what this section is).
    intro: str = ""
    # Shown after the empty text, e.g. a search link.
    empty_link: DashboardLink | None = None
    # Sections are shown in this order (then in the order their apps are installed).
    order: int = 50


SectionReceiver = Callable[..., DashboardSection | None]


class SectionHook(Hook):
    """A hook whose receivers answer: each returns a section (or None)."""

    def collect(self, *, member: Member) -> list[DashboardSection]:
        sections = []
        for receiver in self.receivers:
            try:
                section = receiver(member=member)
            except DomainError:
                # A section that cannot be read now (a place not found, ...) is
                # left out: the rest of the home page still helps the person.
                continue
            if section is not None:
                sections.append(section)
        # sorted() is stable: equal orders keep the apps' installed order.
        return sorted(sections, key=lambda section: section.order)


dashboard_sections = SectionHook("dashboard_sections")


# --- A balance in words -----------------------------------------------------------------


@dataclass(frozen=True)
class BalanceWords:
    headline: str
    # Sentences shown under the headline (empty when there is nothing to explain).
    explanation: list[str] = field(default_factory=list)
    below_zero: bool = False


def _below_zero(minutes: int) -> str:
    return balance_in_words(minutes)


def balance_words(*, balance: int, min_balance: int | None) -> BalanceWords:
    """A balance as people say it, with what it means for them."""
    if balance > 0:
        return BalanceWords(
            headline=gettext("You have %(hours)s to spend.") % {"hours": format_minutes(balance)},
            explanation=[gettext("You can use them to ask for help, or give some to another member.")],
        )
    if balance == 0:
        return BalanceWords(
            headline=gettext("You have 0 hours just now."),
            explanation=[
                gettext("Every hour you spend helping someone adds an hour to your account."),
                gettext("You can still ask for help: you do not need hours first."),
            ],
        )
    explanation = [
        gettext("You have received more help than you have given. That is fine: it is how a timebank works."),
        gettext("When you give help to anyone in the timebank, you earn hours back."),
    ]
    if min_balance is not None and min_balance < 0:
        room = balance - min_balance
        if room > 0:
            explanation.append(
                gettext(
                    "You can go down to %(limit)s. You can receive %(hours)s more help before you reach that limit."
                )
                % {"limit": _below_zero(min_balance), "hours": format_minutes(room)}
            )
        else:
            explanation.append(
                gettext(
                    "You have reached the limit of %(limit)s. "
                    "Give some help before you ask for more, or talk to a coordinator."
                )
                % {"limit": _below_zero(min_balance)}
            )
    return BalanceWords(
        headline=gettext("You are %(balance)s.") % {"balance": _below_zero(balance)},
        explanation=explanation,
        below_zero=True,
    )


def member_balance_words(*, member: Member, summary: HoursSummary | None = None) -> BalanceWords:
    """The member's own balance in words (their account's limit included)."""
    account = member_account(member=member)
    balance = summary.balance if summary is not None else (account.balance if account else 0)
    return balance_words(balance=balance, min_balance=account.min_balance if account else None)


# --- What is waiting for the member -----------------------------------------------------


def _answering_member_ids(exchange: Exchange) -> set[int]:
    """The members who answer a proposal: the other side to the proposer
    (timebank.services.exchanges._answering_role: a proposal by the provider is
    answered by the receivers; any other, by the provider)."""
    receivers = {m.pk for m in exchange.receivers.all()}
    if exchange.proposed_by_id is not None and exchange.proposed_by_id == exchange.provider.user_id:
        return receivers
    return {exchange.provider_id}


def _other_side(exchange: Exchange, member: Member) -> str:
    if exchange.provider_id == member.pk:
        return ", ".join(m.display_name for m in exchange.receivers.all()) or gettext("the other person")
    return exchange.provider.display_name


def _what(exchange: Exchange) -> str:
    return f"“{exchange.description}”" if exchange.description else gettext("your exchange")


def _waiting_link(exchange: Exchange, member: Member) -> DashboardLink | None:
    """What this member has to do on the exchange now, or None."""
    url = reverse("timebank:exchange-detail", kwargs={"public_id": exchange.public_id})
    other = _other_side(exchange, member)
    is_provider = exchange.provider_id == member.pk
    if exchange.status == ExchangeStatus.PROPOSED and member.pk in _answering_member_ids(exchange):
        return DashboardLink(
            text=gettext("Reply to %(name)s") % {"name": other},
            url=url,
            detail=gettext("%(name)s suggested %(what)s. Say yes or no.") % {"name": other, "what": _what(exchange)},
        )
    if exchange.status == ExchangeStatus.ACCEPTED and is_provider:
        return DashboardLink(
            text=gettext("Record your time with %(name)s") % {"name": other},
            url=url,
            detail=gettext("After you have helped with %(what)s, say how long it took.") % {"what": _what(exchange)},
        )
    if exchange.status == ExchangeStatus.DONE and not is_provider:
        hours = format_minutes(exchange.minutes) if exchange.minutes else gettext("the time")
        return DashboardLink(
            text=gettext("Confirm %(hours)s from %(name)s") % {"hours": hours, "name": other},
            url=url,
            detail=gettext("%(name)s says they helped you for %(hours)s with %(what)s. Check it and confirm it.")
            % {"name": other, "hours": hours, "what": _what(exchange)},
        )
    return None


@dataclass(frozen=True)
class Waiting:
    # Steps the member takes now.
    actions: list[DashboardLink]
    # Other exchanges still going on, waiting for someone else.
    others: int


def waiting_for_member(*, member: Member) -> Waiting:
    """The member's open exchanges that need them to act (three queries)."""
    open_statuses: list[str] = [
        ExchangeStatus.PROPOSED,
        ExchangeStatus.ACCEPTED,
        ExchangeStatus.DONE,
        ExchangeStatus.DISPUTED,
    ]
    exchanges = list(exchanges_for_member(member=member, statuses=open_statuses)[:OPEN_EXCHANGES_READ])
    actions = []
    for exchange in exchanges:
        link = _waiting_link(exchange, member)
        if link is not None:
            actions.append(link)
    return Waiting(actions=actions, others=len(exchanges) - len(actions))


# --- Offers and requests ----------------------------------------------------------------


@dataclass(frozen=True)
class OwnListings:
    offers: list[Listing]
    requests: list[Listing]
    offers_count: int
    requests_count: int


def own_open_listings(*, member: Member) -> OwnListings:
    """A few of the member's open offers and requests, newest first, with how many there are."""
    today = timezone.localdate()
    live = list(
        Listing.objects.filter(member=member, status=ListingStatus.OPEN, expires_on__gte=today)
        .select_related("category")
        .order_by("-created_at", "-pk")
    )
    offers = [listing for listing in live if listing.kind == ListingKind.OFFER]
    requests = [listing for listing in live if listing.kind == ListingKind.REQUEST]
    return OwnListings(
        offers=offers[:SHOW_FEW],
        requests=requests[:SHOW_FEW],
        offers_count=len(offers),
        requests_count=len(requests),
    )


# --- The whole dashboard ----------------------------------------------------------------


@dataclass(frozen=True)
class MemberDashboard:
    member: Member
    # Applicants (not yet approved) see what happens next instead of hours.
    is_applicant: bool
    balance: BalanceWords | None
    summary: HoursSummary | None
    waiting: Waiting | None
    listings: OwnListings | None
    sections: list[DashboardSection]


def member_dashboard(*, member: Member) -> MemberDashboard:
    """What the home page shows a logged-in member."""
    sections = dashboard_sections.collect(member=member)
    if member.status == MemberStatus.APPLIED:
        return MemberDashboard(
            member=member,
            is_applicant=True,
            balance=None,
            summary=None,
            waiting=None,
            listings=None,
            sections=sections,
        )
    summary = member_hours_summary(member=member)
    return MemberDashboard(
        member=member,
        is_applicant=False,
        balance=member_balance_words(member=member, summary=summary),
        summary=summary,
        waiting=waiting_for_member(member=member),
        listings=own_open_listings(member=member),
        sections=sections,
    )
