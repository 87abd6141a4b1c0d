"""Reads of hour accounts: a member's figures, statements, the community pot,
and one transfer for a coordinator.

Statements are keyset-paginated on the entry_account_statement index
(account, -id) and read `balance_after` from each entry, so a page costs the
same whatever the size of the ledger or the account's history: nothing is
summed or counted over the account for a statement page.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.db.models import Min, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext, ngettext

from core.errors import NotFoundError
from timebank import ledger
from timebank.hours import format_minutes
from timebank.models import (
    Account,
    AccountKind,
    Entry,
    LimitOverride,
    Member,
    Timebank,
    Transfer,
    TransferKind,
    TransferNote,
)
from timebank.models.ledger import memo_words

STATEMENT_PAGE_SIZE = 20


def balance_in_words(minutes: int) -> str:
    """A balance without the bare "minus": -90 -> "1½ hours below zero"."""
    if minutes < 0:
        return gettext("%(hours)s below zero") % {"hours": format_minutes(-minutes)}
    return format_minutes(minutes)


@dataclass(frozen=True)
class HoursSummary:
    """The figures people trust (DESIGN.md), all in minutes."""

    balance: int
    given: int
    received: int
    people: int
    first_exchange_wait: datetime.timedelta | None

    @property
    def balance_text(self) -> str:
        return format_minutes(self.balance)

    @property
    def given_text(self) -> str:
        return format_minutes(self.given)

    @property
    def received_text(self) -> str:
        return format_minutes(self.received)

    @property
    def first_exchange_wait_text(self) -> str:
        if self.first_exchange_wait is None:
            return gettext("No exchange yet")
        days = self.first_exchange_wait.days
        if days < 1:
            return gettext("Less than a day")
        return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}


def _member_account(member: Member) -> Account | None:
    try:
        return member.account
    except Account.DoesNotExist:
        return None


def member_hours_summary(*, member: Member) -> HoursSummary:
    """Balance (cached), hours given and received in exchanges that still stand
    (a reversed exchange no longer counts), how many different people the member
    exchanged with, and how long after joining their first exchange came.

    Two aggregate queries over this member's own entries (indexed by account);
    never a sum over the whole ledger.
    """
    account = _member_account(member)
    if account is None:
        return HoursSummary(balance=0, given=0, received=0, people=0, first_exchange_wait=None)
    standing = Entry.objects.filter(
        account=account, transfer__kind=TransferKind.EXCHANGE, transfer__reversed_by__isnull=True
    )
    figures = standing.aggregate(
        given=Coalesce(Sum("minutes", filter=Q(minutes__gt=0)), 0),
        received=Coalesce(Sum("minutes", filter=Q(minutes__lt=0)), 0),
        first_at=Min("created_at"),
    )
    # The people on the other side: whoever received when I gave, and whoever
    # gave when I received (two receivers of one workshop did not exchange).
    gave_in = standing.filter(minutes__gt=0).values("transfer_id")
    received_in = standing.filter(minutes__lt=0).values("transfer_id")
    people = (
        Entry.objects.filter(Q(transfer_id__in=gave_in, minutes__lt=0) | Q(transfer_id__in=received_in, minutes__gt=0))
        .exclude(account=account)
        .values("account_id")
        .distinct()
        .count()
    )
    first_at = member.first_exchange_at or figures["first_at"]
    wait = max(first_at - member.joined_at, datetime.timedelta(0)) if first_at else None
    return HoursSummary(
        balance=account.balance,
        given=figures["given"],
        received=-figures["received"],
        people=people,
        first_exchange_wait=wait,
    )


def member_minutes_given(*, member: Member | int) -> int:
    """Minutes the member has given in exchanges that still stand (the "given"
    of member_hours_summary): one aggregate over their own entries."""
    member_id = member if isinstance(member, int) else member.pk
    given: int = Entry.objects.filter(
        account__member_id=member_id,
        minutes__gt=0,
        transfer__kind=TransferKind.EXCHANGE,
        transfer__reversed_by__isnull=True,
    ).aggregate(given=Coalesce(Sum("minutes"), 0))["given"]
    return given


@dataclass(frozen=True)
class StatementLine:
    entry: Entry
    # Names on the other side of the transfer ("Community pot", "Bob", …).
    counterparts: list[str]

    @property
    def is_reversed(self) -> bool:
        return hasattr(self.entry.transfer, "reversed_by")

    @property
    def description(self) -> str:
        return transfer_description(self.entry.transfer)

    @property
    def in_text(self) -> str:
        return format_minutes(self.entry.minutes) if self.entry.minutes > 0 else ""

    @property
    def out_text(self) -> str:
        return format_minutes(-self.entry.minutes) if self.entry.minutes < 0 else ""

    @property
    def balance_after_text(self) -> str:
        return format_minutes(self.entry.balance_after)

    @property
    def balance_after_words(self) -> str:
        """The balance as people say it: "2 hours", "1½ hours below zero"."""
        return balance_in_words(self.entry.balance_after)

    @property
    def helped_on(self) -> datetime.date | None:
        """For an exchange, the day the help was given (the entry's date is when it was recorded)."""
        exchange = self.entry.transfer.exchange if self.entry.transfer.kind == TransferKind.EXCHANGE else None
        return exchange.helped_on if exchange is not None else None

    @property
    def limit_override(self) -> LimitOverride | None:
        """A coordinator widened this account's limit to let this transfer through."""
        return next(
            (o for o in self.entry.transfer.limit_overrides.all() if o.account_id == self.entry.account_id), None
        )

    @property
    def limit_override_text(self) -> str:
        """ "Limit widened from 10 hours below zero to 13 hours below zero by Cora: <reason>", or ""."""
        override = self.limit_override
        if override is None:
            return ""
        lower = override.min_balance_before != override.min_balance_after
        before = override.min_balance_before if lower else override.max_balance_before
        after = override.min_balance_after if lower else override.max_balance_after
        who = override.recorded_by.get_full_name() or override.recorded_by.username
        words = [balance_in_words(v) if v is not None else gettext("none") for v in (before, after)]
        return gettext("Limit widened from %(before)s to %(after)s by %(who)s: %(reason)s") % {
            "before": words[0],
            "after": words[1],
            "who": who,
            "reason": override.reason,
        }


@dataclass(frozen=True)
class StatementPage:
    lines: list[StatementLine]
    # Cursors for the links: entries older than `older_than`, newer than `newer_than`.
    older_than: int | None
    newer_than: int | None

    @property
    def is_first(self) -> bool:
        return self.newer_than is None


def transfer_involves_erased_member(transfer: Transfer) -> bool:
    """Whether the transfer moved time for a member whose personal data was erased.
    Reads its entries, which callers prefetch with each account's member."""
    return any(
        entry.account.member is not None and entry.account.member.erased_at is not None
        for entry in transfer.entries.all()
    )


def transfer_note_text(transfer: Transfer, *, involves_erased: bool | None = None) -> str:
    """What a person wrote with the transfer, or "" when there is none or when a
    member it involves was erased (erasure blanks the note; this is a second
    guard). Callers load `note` with the transfer; `involves_erased` saves
    reading the entries again when the caller already knows."""
    if involves_erased is None:
        involves_erased = transfer_involves_erased_member(transfer)
    if involves_erased:
        return ""
    try:
        return transfer.note.text
    except TransferNote.DoesNotExist:
        return ""


def transfer_description(transfer: Transfer) -> str:
    """What a statement says a transfer was: the system's memo ("Gift", "Exchange"),
    then what a person wrote with it ("Gift: get well soon"). Only the kind once a
    member it involves was erased: a second guard, should a memo ever name them."""
    if transfer_involves_erased_member(transfer):
        return str(transfer.get_kind_display())
    memo = memo_words(transfer.memo, transfer.kind)
    note = transfer_note_text(transfer, involves_erased=False)
    return f"{memo}: {note}" if note else memo


def _statement_rows(account: Account) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(account=account)
        .select_related(
            "transfer", "transfer__reversed_by", "transfer__recorded_by", "transfer__note", "transfer__exchange"
        )
        .prefetch_related(
            Prefetch("transfer__entries", queryset=Entry.objects.select_related("account__member").order_by("pk")),
            Prefetch("transfer__limit_overrides", queryset=LimitOverride.objects.select_related("recorded_by")),
        )
    )


def account_statement(
    *,
    account: Account,
    older_than: int | None = None,
    newer_than: int | None = None,
    per_page: int = STATEMENT_PAGE_SIZE,
) -> StatementPage:
    """One page of an account's entries, newest first, with the balance after each.

    `older_than`/`newer_than` are entry ids from the previous page's links
    (keyset pagination: no OFFSET, no COUNT). Four queries per page.
    """
    rows = _statement_rows(account)
    if newer_than is not None:
        entries = list(rows.filter(pk__gt=newer_than).order_by("pk")[: per_page + 1])
        has_newer = len(entries) > per_page
        if has_newer:
            entries = list(reversed(entries[:per_page]))
            has_older = True
        else:
            # Back at the top: show the full first page rather than a short one.
            return account_statement(account=account, per_page=per_page)
    else:
        query = rows.filter(pk__lt=older_than) if older_than is not None else rows
        entries = list(query.order_by("-pk")[: per_page + 1])
        has_older = len(entries) > per_page
        entries = entries[:per_page]
        has_newer = older_than is not None
    lines = [
        StatementLine(
            entry=entry,
            counterparts=[
                other.account.name
                for other in entry.transfer.entries.all()
                if other.account_id != entry.account_id and (other.minutes > 0) != (entry.minutes > 0)
            ],
        )
        for entry in entries
    ]
    return StatementPage(
        lines=lines,
        older_than=entries[-1].pk if entries and has_older else None,
        newer_than=entries[0].pk if entries and has_newer else None,
    )


def pot_account(*, timebank: Timebank) -> Account:
    """The timebank's community pot (opened if an older timebank has none)."""
    return ledger.system_account(timebank=timebank, kind=AccountKind.POT)


def transfer_for_coordinator(*, timebank: Timebank, public_id: uuid.UUID | str) -> Transfer:
    """One transfer of this timebank with its entries; NotFoundError otherwise."""
    transfer = (
        Transfer.objects.filter(timebank=timebank, public_id=public_id)
        .select_related("recorded_by", "reverses", "reversed_by", "reversed_by__note", "exchange", "note")
        .prefetch_related(Prefetch("entries", queryset=Entry.objects.select_related("account__member").order_by("pk")))
        .first()
    )
    if transfer is None:
        raise NotFoundError(gettext("There is no such transfer."))
    return transfer


def member_account(*, member: Member) -> Account | None:
    """The member's account, or None before they are approved."""
    return _member_account(member)
