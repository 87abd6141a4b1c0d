"""The hour ledger: the only code that writes Transfer and Entry rows or
changes an account's cached balance.

Invariants (checked by `manage.py ledger_check` and mirrored in the database):
- amounts are integer minutes; an entry is never zero;
- every transfer has two or more entries, on distinct accounts of one
  timebank, summing to zero, so every timebank's balances sum to zero;
- rows are append-only: a mistake is corrected by a reversal, and a transfer
  is reversed at most once; a reversal is never itself reversed;
- an account's cached balance equals the sum of its entries, and stays within
  its limits: a transfer that would take an account below `min_balance` or
  above `max_balance` is refused, unless that entry moves the account back
  toward its limit;
- a transfer's memo is written here, by the system ("Gift", "Exchange"), and
  never holds a name or anything a person typed: ledger rows cannot be changed,
  so erasure could not remove it. What a person writes with a transfer goes in
  its TransferNote (`note=`), which erasure blanks.

Concurrency: accounts are locked with SELECT … FOR NO KEY UPDATE in
primary-key order before balances are read, so concurrent transfers queue
instead of losing updates, and two transfers can never wait on each other in
opposite orders (no deadlocks). On SQLite the whole database is locked at
BEGIN (transaction_mode=IMMEDIATE), which gives the same guarantee.
"""

import contextlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import ConflictError, InvalidInputError
from timebank.hours import format_minutes
from timebank.models import (
    Account,
    AccountKind,
    Entry,
    Exchange,
    LimitOverride,
    Member,
    Timebank,
    Transfer,
    TransferKind,
    TransferNote,
    User,
)
from timebank.models.ledger import stored_memo


class InvalidTransferError(InvalidInputError):
    """The transfer itself is malformed (zero, unbalanced, mixed timebanks)."""

    code = "invalid_transfer"


class LimitExceededError(ConflictError):
    """An account would go beyond its limits."""

    code = "limit_exceeded"

    def __init__(self, message: str, *, account: Account):
        super().__init__(message)
        self.account = account


class AlreadyReversedError(ConflictError):
    code = "already_reversed"


class ReversalOfReversalError(ConflictError):
    code = "reversal_of_reversal"


# Every refusal the ledger can raise, for callers that catch them together.
LedgerError = (InvalidTransferError, LimitExceededError, AlreadyReversedError, ReversalOfReversalError)


@dataclass(frozen=True)
class Leg:
    account: Account
    minutes: int


def split_minutes(total: int, parts: int) -> list[int]:
    """Split `total` minutes into `parts` whole-minute shares that sum exactly
    to `total`; the first shares carry the extra minute (600 over 7 ->
    [86, 86, 86, 86, 86, 85, 85])."""
    if not _is_whole_number(total) or not _is_whole_number(parts):
        raise InvalidTransferError(gettext("Time must be recorded in whole minutes."))
    if parts <= 0:
        raise InvalidTransferError(gettext("There must be at least one person to share the time between."))
    if total < 0:
        raise InvalidTransferError(gettext("Enter a time of zero minutes or more."))
    base, extra = divmod(total, parts)
    return [base + 1 if i < extra else base for i in range(parts)]


def account_for_member(*, member: Member) -> Account:
    """The member's account, opened with the timebank's default limits if new."""
    try:
        return member.account
    except Account.DoesNotExist:
        pass
    timebank = member.timebank
    account, _ = Account.objects.get_or_create(
        member=member,
        defaults={
            "timebank": timebank,
            "kind": AccountKind.MEMBER,
            "name": member.display_name,
            "min_balance": timebank.default_min_balance,
            "max_balance": timebank.default_max_balance,
        },
    )
    member.account = account
    return account


def system_account(*, timebank: Timebank, kind: str) -> Account:
    """The timebank's community pot or opening-balances account."""
    names: dict[str, str] = {AccountKind.POT: "Community pot", AccountKind.OPENING: "Opening balances"}
    if kind not in names:
        raise InvalidTransferError(gettext("Unknown system account."))
    account, _ = Account.objects.get_or_create(
        timebank=timebank, kind=kind, defaults={"name": names[kind], "min_balance": None}
    )
    return account


def account_limits_problems(*, balance: int, min_balance: int | None, max_balance: int | None) -> dict[str, str]:
    """Plain messages, by field, for limits that the current balance would
    already break or that contradict each other; empty when they are fine."""
    problems: dict[str, str] = {}
    for field, value in (("min_balance", min_balance), ("max_balance", max_balance)):
        if value is not None and not _is_whole_number(value):
            problems[field] = gettext("Enter a whole number of minutes.")
    if problems:
        return problems
    if min_balance is not None and max_balance is not None and min_balance > max_balance:
        problems["max_balance"] = gettext("The highest balance must not be lower than the lowest balance.")
        return problems
    if min_balance is not None and balance < min_balance:
        problems["min_balance"] = gettext(
            "The balance is already %(hours)s: the lowest balance cannot be above that."
        ) % {"hours": format_minutes(balance)}
    if max_balance is not None and balance > max_balance:
        problems["max_balance"] = gettext(
            "The balance is already %(hours)s: the highest balance cannot be below that."
        ) % {"hours": format_minutes(balance)}
    return problems


def account_set_limits(*, account: Account, min_balance: int | None, max_balance: int | None) -> Account:
    """Change an account's overdraft limit and ceiling (in minutes; None for
    no limit). The cached balance is never written here."""
    # Why atomic and a lock: a transfer may be moving this balance right now;
    # the limits must be checked against the balance it leaves, not a stale copy.
    with transaction.atomic():
        locked = Account.objects.select_for_update(no_key=True).get(pk=account.pk)
        problems = account_limits_problems(balance=locked.balance, min_balance=min_balance, max_balance=max_balance)
        if problems:
            field, message = next(iter(problems.items()))
            raise InvalidInputError(message, field=field)
        Account.objects.filter(pk=account.pk).update(min_balance=min_balance, max_balance=max_balance)
    account.balance = locked.balance
    account.min_balance = min_balance
    account.max_balance = max_balance
    return account


def _describe_limit_breach(account: Account, new_balance: int) -> str:
    who = account.name
    if account.min_balance is not None and new_balance < account.min_balance:
        return gettext(
            "%(who)s does not have enough hours: this would take their balance to %(balance)s, "
            "below their limit of %(limit)s."
        ) % {"who": who, "balance": format_minutes(new_balance), "limit": format_minutes(account.min_balance)}
    # Only called for a breach: not below the lowest balance, so above the highest.
    assert account.max_balance is not None
    return gettext("This would take %(who)s's balance to %(balance)s, above their limit of %(limit)s.") % {
        "who": who,
        "balance": format_minutes(new_balance),
        "limit": format_minutes(account.max_balance),
    }


def _is_whole_number(value: object) -> bool:
    # bool is an int subclass; True minutes would be a silent bug.
    return isinstance(value, int) and not isinstance(value, bool)


def _validate_header(timebank: Timebank, kind: str, reverses: Transfer | None) -> None:
    if kind not in TransferKind.values:
        raise InvalidTransferError(gettext("Unknown kind of transfer."))
    # Mirrors the transfer_reversal_has_target constraint with a message a person can act on.
    if (kind == TransferKind.REVERSAL) != (reverses is not None):
        raise InvalidTransferError(gettext("A reversal must name the transfer it reverses, and only a reversal may."))
    if reverses is not None and reverses.timebank_id != timebank.pk:
        raise InvalidTransferError(gettext("A reversal must belong to the same timebank as the transfer it reverses."))


def _validate_legs(timebank: Timebank, legs: Sequence[Leg]) -> None:
    if len(legs) < 2:
        raise InvalidTransferError(gettext("A transfer needs at least two accounts."))
    seen: set[int] = set()
    for leg in legs:
        if not _is_whole_number(leg.minutes):
            raise InvalidTransferError(gettext("Time must be recorded in whole minutes."))
        if leg.minutes == 0:
            raise InvalidTransferError(gettext("Each part of a transfer must move some time."))
        if leg.account.pk is None or leg.account.timebank_id != timebank.pk:
            raise InvalidTransferError(gettext("All accounts in a transfer must belong to the same timebank."))
        if leg.account.pk in seen:
            raise InvalidTransferError(gettext("An account cannot pay itself."))
        seen.add(leg.account.pk)
    if sum(leg.minutes for leg in legs) != 0:
        raise InvalidTransferError(gettext("Time given and time received must be equal."))


def transfer_post(
    *,
    timebank: Timebank,
    kind: str,
    legs: Sequence[Leg],
    memo: str = "",
    note: str = "",
    recorded_by: User | None = None,
    exchange: Exchange | None = None,
    reverses: Transfer | None = None,
    idempotency_key: str | None = None,
) -> Transfer:
    """Post one balanced transfer and update the cached balances.

    With an idempotency key, a retry returns the transfer the first call
    created instead of moving the time twice.

    `memo` is the system's description (empty: the kind's name); `note` is
    what a person wrote, kept where erasure can blank it.
    """
    _validate_header(timebank, kind, reverses)
    _validate_legs(timebank, legs)
    if idempotency_key:
        existing = Transfer.objects.filter(timebank=timebank, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    try:
        # Why atomic: entries, balances and the header commit together or not at all.
        # On PostgreSQL without a note or key the transfer is one statement, atomic by
        # itself: no BEGIN/COMMIT or savepoint round trips of its own (a limit breach
        # inserts nothing, so a caller's transaction stays usable without a savepoint).
        one_statement = connection.vendor == "postgresql" and not note.strip() and not idempotency_key
        with contextlib.nullcontext() if one_statement else transaction.atomic():
            return _post_locked(
                timebank=timebank,
                kind=kind,
                legs=legs,
                memo=memo,
                note=note,
                recorded_by=recorded_by,
                exchange=exchange,
                reverses=reverses,
                idempotency_key=idempotency_key,
            )
    except IntegrityError:
        # A concurrent retry with the same key won the race: return its result.
        if idempotency_key:
            existing = Transfer.objects.filter(timebank=timebank, idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
        raise


def _post_locked(
    *,
    timebank: Timebank,
    kind: str,
    legs: Sequence[Leg],
    memo: str,
    note: str,
    recorded_by: User | None,
    exchange: Exchange | None,
    reverses: Transfer | None,
    idempotency_key: str | None,
) -> Transfer:
    header = Transfer(
        timebank=timebank,
        kind=kind,
        memo=memo[:300],
        recorded_by=recorded_by,
        exchange=exchange,
        reverses=reverses,
        idempotency_key=idempotency_key or None,
    )
    # The summaries reports read are counted by the database's triggers as the rows
    # go in (timebank/summaries.py, migration 0016).
    if connection.vendor == "postgresql":
        new_balances = _post_in_one_statement(header, legs)
    else:
        new_balances = _post_with_orm(header, legs)
    if note.strip():
        TransferNote.objects.create(transfer=header, text=note.strip()[:300])
    for leg in legs:
        leg.account.balance = new_balances[leg.account.pk]
    return header


def _refuse_breach(account_id: int, new_balance: int) -> NoReturn:
    account = Account.objects.get(pk=account_id)
    raise LimitExceededError(_describe_limit_breach(account, new_balance), account=account)


def _post_with_orm(header: Transfer, legs: Sequence[Leg]) -> dict[int, int]:
    """The portable path (SQLite): lock, check, insert the header and the entries,
    update the cached balances, one statement each."""
    ids = sorted(leg.account.pk for leg in legs)
    # Why lock in primary-key order: every transfer takes its locks in the same
    # order, so two transfers over the same accounts queue instead of deadlocking.
    # no_key=True: the lock does not block inserts of entries referencing the account.
    locked = {
        account.pk: account
        for account in Account.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
    }
    new_balances: dict[int, int] = {}
    for leg in legs:
        account = locked[leg.account.pk]
        new_balance = account.balance + leg.minutes
        # An entry that moves an account toward its limit is always allowed.
        too_low = leg.minutes < 0 and account.min_balance is not None and new_balance < account.min_balance
        too_high = leg.minutes > 0 and account.max_balance is not None and new_balance > account.max_balance
        if too_low or too_high:
            raise LimitExceededError(_describe_limit_breach(account, new_balance), account=account)
        new_balances[account.pk] = new_balance
    header.save()
    Entry.objects.bulk_create(
        [
            Entry(
                transfer=header,
                account_id=leg.account.pk,
                minutes=leg.minutes,
                balance_after=new_balances[leg.account.pk],
            )
            for leg in legs
        ]
    )
    # One UPDATE for all legs; F() so the database adds to the stored value,
    # never a stale copy.
    change = Case(*(When(pk=leg.account.pk, then=Value(leg.minutes)) for leg in legs), default=Value(0))
    Account.objects.filter(pk__in=ids).update(balance=F("balance") + change)
    return new_balances


# The same steps as _post_with_orm in one statement, so a transfer costs one
# round trip: lock the accounts in id order (FOR NO KEY UPDATE, MATERIALIZED so
# the lock is taken once, in that order, before anything is computed), work out
# each new balance from the locked (latest) row, and only if no entry breaks a
# limit insert the header and the entries and set the cached balances. A breach
# inserts nothing and comes back as (account id, new balance) for the message.
# The same statement counts the transfer in the summaries (timebank/summaries.py):
# its day's LedgerDay row (one of 16 slots, by session, so concurrent postings do
# not queue on one row) and, for exchanges, each member's AccountDay and each
# pair's PartnerDay.
# The table's triggers and constraints apply as for any insert: append-only,
# no reversal of a reversal, the deferred balance check at COMMIT.
_POST_SQL = """
WITH legs AS (
    SELECT * FROM unnest(%(accounts)s::bigint[], %(minutes)s::integer[], %(positions)s::integer[])
        AS l(account_id, minutes, position)
), locked AS MATERIALIZED (
    SELECT a.id, a.balance, a.min_balance, a.max_balance FROM timebank_account a
    WHERE a.id = ANY(%(accounts)s::bigint[]) ORDER BY a.id FOR NO KEY UPDATE
), moved AS MATERIALIZED (
    SELECT l.account_id, l.minutes, l.position, k.balance + l.minutes AS balance_after,
        (l.minutes < 0 AND k.min_balance IS NOT NULL AND k.balance + l.minutes < k.min_balance)
        OR (l.minutes > 0 AND k.max_balance IS NOT NULL AND k.balance + l.minutes > k.max_balance) AS breach
    FROM legs l JOIN locked k ON k.id = l.account_id
), header AS (
    INSERT INTO timebank_transfer
        (public_id, timebank_id, kind, memo, recorded_by_id, exchange_id, reverses_id, idempotency_key, created_at)
    SELECT %(public_id)s, %(timebank_id)s, %(kind)s, %(memo)s, %(recorded_by_id)s, %(exchange_id)s,
        %(reverses_id)s, %(idempotency_key)s, %(now)s
    WHERE NOT EXISTS (SELECT 1 FROM moved WHERE breach)
    RETURNING id
), entries AS (
    INSERT INTO timebank_entry (transfer_id, account_id, minutes, balance_after, created_at)
    SELECT h.id, m.account_id, m.minutes, m.balance_after, %(now)s FROM header h CROSS JOIN moved m
    ORDER BY m.position
), balances AS (
    UPDATE timebank_account a SET balance = m.balance_after FROM moved m, header h WHERE a.id = m.account_id
)
SELECT (SELECT id FROM header),
    (SELECT account_id FROM moved WHERE breach ORDER BY position LIMIT 1),
    (SELECT balance_after FROM moved WHERE breach ORDER BY position LIMIT 1),
    (SELECT count(*) FROM locked),
    (SELECT array_agg(balance_after ORDER BY position) FROM moved)
"""


def _post_in_one_statement(header: Transfer, legs: Sequence[Leg]) -> dict[int, int]:
    header.public_id = header.public_id or uuid.uuid4()
    header.created_at = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _POST_SQL,
            {
                "accounts": [leg.account.pk for leg in legs],
                "minutes": [leg.minutes for leg in legs],
                "positions": list(range(len(legs))),
                "public_id": header.public_id,
                "timebank_id": header.timebank_id,
                "kind": header.kind,
                "memo": header.memo,
                "recorded_by_id": header.recorded_by_id,
                "exchange_id": header.exchange_id,
                "reverses_id": header.reverses_id,
                "idempotency_key": header.idempotency_key,
                "now": header.created_at,
            },
        )
        transfer_id, breach_account, breach_balance, found, balances_after = cursor.fetchone()
    if found != len(legs):
        raise InvalidTransferError(gettext("All accounts in a transfer must exist."))
    if transfer_id is None:
        _refuse_breach(breach_account, breach_balance)
    header.pk = transfer_id
    header._state.adding = False
    header._state.db = connection.alias
    return {leg.account.pk: balance for leg, balance in zip(legs, balances_after, strict=True)}


def transfer_reverse(
    *, transfer: Transfer, reason: str, recorded_by: User | None = None, override_limits_by: User | None = None
) -> Transfer:
    """Cancel a transfer's effect with an equal and opposite one (once only).

    A reversal that would take an account past its limit is refused, like any
    transfer, unless `override_limits_by` (a coordinator: the caller checks) lets it
    through: the account's limit is then widened to the balance the reversal leaves,
    and a LimitOverride row records who, why and the limit before."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidTransferError(gettext("Say why this transfer is being reversed."))
    if transfer.kind == TransferKind.REVERSAL:
        raise ReversalOfReversalError(
            gettext("This is already a reversal and cannot be reversed. Record a new transfer instead.")
        )
    if Transfer.objects.filter(reverses=transfer).exists():
        raise AlreadyReversedError(gettext("This transfer has already been reversed."))
    legs = [Leg(account=entry.account, minutes=-entry.minutes) for entry in transfer.entries.select_related("account")]

    def post() -> Transfer:
        return transfer_post(
            timebank=transfer.timebank,
            kind=TransferKind.REVERSAL,
            legs=legs,
            memo=_reversal_memo(transfer),
            note=reason,
            recorded_by=recorded_by,
            reverses=transfer,
        )

    try:
        if override_limits_by is None:
            return post()
        return post_past_limits(legs=legs, post=post, by_user=override_limits_by, reason=reason)
    except IntegrityError:
        # The unique `reverses` constraint caught a concurrent reversal.
        raise AlreadyReversedError(gettext("This transfer has already been reversed.")) from None


def post_past_limits(*, legs: Sequence[Leg], post: Callable[[], Transfer], by_user: User, reason: str) -> Transfer:
    """Post a correction a coordinator (`by_user`: the caller checks) lets through
    although it takes an account past its limit: each limit the legs would pass is
    widened to the balance they leave, `post()` posts the transfer over those legs,
    and a LimitOverride row per widened account records who, why and the limit before."""
    # Why atomic: the widened limits, the transfer and the override's record
    # commit together or not at all.
    with transaction.atomic():
        widened = _widen_limits_for(legs)
        transfer = post()
        LimitOverride.objects.bulk_create(
            [
                LimitOverride(
                    transfer=transfer,
                    account_id=account.pk,
                    recorded_by=by_user,
                    reason=reason[:300],
                    min_balance_before=before[0],
                    max_balance_before=before[1],
                    min_balance_after=account.min_balance,
                    max_balance_after=account.max_balance,
                )
                for account, before in widened
            ]
        )
        return transfer


def _widen_limits_for(legs: Sequence[Leg]) -> list[tuple[Account, tuple[int | None, int | None]]]:
    """Lock the legs' accounts (in id order, as transfer_post does) and widen each
    limit the legs would pass to the balance they leave; returns the accounts
    widened with their limits before."""
    minutes = {leg.account.pk: leg.minutes for leg in legs}
    widened = []
    for account in Account.objects.select_for_update(no_key=True).filter(pk__in=sorted(minutes)).order_by("pk"):
        change = minutes[account.pk]
        new_balance = account.balance + change
        before = (account.min_balance, account.max_balance)
        if change < 0 and account.min_balance is not None and new_balance < account.min_balance:
            account.min_balance = new_balance
        elif change > 0 and account.max_balance is not None and new_balance > account.max_balance:
            account.max_balance = new_balance
        else:
            continue
        Account.objects.filter(pk=account.pk).update(min_balance=account.min_balance, max_balance=account.max_balance)
        widened.append((account, before))
    return widened


def _reversal_memo(transfer: Transfer) -> str:
    """ "Reversal of an exchange", "Reversal of a gift": the kind only, never the reason (a person's words)."""
    kind = stored_memo(transfer.kind).lower()
    return f"Reversal of {'an' if kind[:1] in 'aeiou' else 'a'} {kind}"


def gift(*, giver: Member, receiver: Member, minutes: int, note: str = "", recorded_by: User | None = None) -> Transfer:
    """A member gives some of their hours to another member, with a message (`note`)."""
    if giver.pk == receiver.pk:
        raise InvalidTransferError(gettext("You cannot give hours to yourself."))
    if giver.timebank_id != receiver.timebank_id:
        raise InvalidTransferError(gettext("Hours can only be given within one timebank."))
    _require_positive(minutes)
    return transfer_post(
        timebank=giver.timebank,
        kind=TransferKind.GIFT,
        legs=[Leg(account_for_member(member=giver), -minutes), Leg(account_for_member(member=receiver), minutes)],
        memo=stored_memo(TransferKind.GIFT),
        note=note,
        recorded_by=recorded_by,
    )


def pot_grant(*, member: Member, minutes: int, note: str = "", recorded_by: User | None = None) -> Transfer:
    """The community pot gives hours to a member (e.g. someone who cannot yet give)."""
    _require_positive(minutes)
    return transfer_post(
        timebank=member.timebank,
        kind=TransferKind.GRANT,
        legs=[
            Leg(system_account(timebank=member.timebank, kind=AccountKind.POT), -minutes),
            Leg(account_for_member(member=member), minutes),
        ],
        memo=stored_memo(TransferKind.GRANT),
        note=note,
        recorded_by=recorded_by,
    )


def pot_donate(*, member: Member, minutes: int, note: str = "", recorded_by: User | None = None) -> Transfer:
    """A member gives hours to the community pot."""
    _require_positive(minutes)
    return transfer_post(
        timebank=member.timebank,
        kind=TransferKind.DONATION,
        legs=[
            Leg(account_for_member(member=member), -minutes),
            Leg(system_account(timebank=member.timebank, kind=AccountKind.POT), minutes),
        ],
        memo=stored_memo(TransferKind.DONATION),
        note=note,
        recorded_by=recorded_by,
    )


def _require_positive(minutes: int) -> None:
    if not _is_whole_number(minutes) or minutes <= 0:
        raise InvalidTransferError(gettext("Enter a time of more than zero minutes."))
