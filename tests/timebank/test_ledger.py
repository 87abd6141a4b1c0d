"""The hour ledger, told as stories, plus the database's own guards.

docs/quality.md L1 (ledger_check after the stories), L2 (constraints and triggers
refuse bad rows written around timebank.ledger), L3 (append-only) and L11
(group split). Concurrency (L4, L5, L10) is in test_ledger_concurrency.py,
the stateful model (L9) in test_ledger_properties.py.
"""

import io
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError, Sum

from core.errors import InvalidInputError
from tests.factories import MemberFactory, UserFactory
from timebank import ledger
from timebank.ledger import (
    AlreadyReversedError,
    InvalidTransferError,
    Leg,
    LimitExceededError,
    ReversalOfReversalError,
)
from timebank.models import Account, AccountKind, Entry, Timebank, Transfer, TransferKind
from timebank.models.ledger import LedgerRowIsAppendOnlyError


def exchange(*, provider, receiver, minutes, **kwargs) -> Transfer:
    """The provider gave `minutes` of help to the receiver."""
    return ledger.transfer_post(
        timebank=provider.timebank,
        kind=TransferKind.EXCHANGE,
        legs=[Leg(receiver.account, -minutes), Leg(provider.account, minutes)],
        memo="Exchange",
        **kwargs,
    )


def balance_of(member) -> int:
    return Account.objects.get(member=member).balance


def ledger_check(*args) -> str:
    out = io.StringIO()
    call_command("ledger_check", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def ledger_check_problems(*args) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("ledger_check", *args, stdout=io.StringIO(), stderr=err)
    return err.getvalue() + str(refused.value)


@contextmanager
def rolled_back():
    """Bad rows for a check to find, undone afterwards. A savepoint, because
    on PostgreSQL the deferred sum-to-zero trigger would otherwise refuse them
    when the test's own transaction is checked at teardown."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def other_timebank(db) -> Timebank:
    return Timebank.objects.create(name="Caversham timebank", slug="caversham")


# --- Worked examples ------------------------------------------------------------------


def test_alice_gardens_two_hours_for_bob_then_bob_teaches_carol_one_hour(alice, bob, carol, timebank):
    exchange(provider=alice, receiver=bob, minutes=120)
    exchange(provider=bob, receiver=carol, minutes=60)

    assert (balance_of(alice), balance_of(bob), balance_of(carol)) == (120, -60, -60)
    # Bob's statement shows the running balance after each line, newest first.
    assert list(Entry.objects.filter(account__member=bob).values_list("minutes", "balance_after")) == [
        (60, -60),
        (-120, -120),
    ]
    assert Account.objects.filter(timebank=timebank).aggregate(total=Sum("balance"))["total"] == 0
    assert "Ledger OK" in ledger_check()


def test_a_transfer_is_two_entries_summing_to_zero_with_its_header(alice, bob, coordinator, timebank):
    transfer = exchange(provider=alice, receiver=bob, minutes=90, recorded_by=coordinator)

    transfer.refresh_from_db()
    assert (transfer.kind, transfer.memo, transfer.recorded_by, transfer.timebank) == (
        "exchange",
        "Exchange",
        coordinator,
        timebank,
    )
    assert sorted(transfer.entries.values_list("minutes", flat=True)) == [-90, 90]


def test_alice_gives_half_an_hour_of_her_hours_to_bob(alice, bob, carol):
    exchange(provider=alice, receiver=carol, minutes=120)

    gift = ledger.gift(giver=alice, receiver=bob, minutes=30)

    assert gift.kind == TransferKind.GIFT
    # The system's words only: names are in the accounts, a person's words in the note (issue 12).
    assert gift.memo == "Gift" and not hasattr(gift, "note")
    assert (balance_of(alice), balance_of(bob), balance_of(carol)) == (90, 30, -120)


@pytest.mark.parametrize("minutes", [0, -30, 1.5, True, "30"])
def test_a_gift_must_be_a_positive_whole_number_of_minutes(alice, bob, minutes):
    with pytest.raises(InvalidTransferError, match="more than zero minutes"):
        ledger.gift(giver=alice, receiver=bob, minutes=minutes)
    assert Transfer.objects.count() == 0


def test_nobody_can_give_hours_to_themselves(alice):
    with pytest.raises(InvalidTransferError, match="yourself"):
        ledger.gift(giver=alice, receiver=alice, minutes=30)


def test_hours_cannot_be_given_to_someone_in_another_timebank(alice, other_timebank):
    stranger = MemberFactory(timebank=other_timebank, user=None, display_name="Stranger")
    with pytest.raises(InvalidTransferError, match="within one timebank"):
        ledger.gift(giver=alice, receiver=stranger, minutes=30)
    assert Transfer.objects.count() == 0


def test_the_community_pot_grants_carol_two_hours_and_alice_donates_one(alice, carol, timebank):
    pot = ledger.system_account(timebank=timebank, kind=AccountKind.POT)
    exchange(provider=alice, receiver=carol, minutes=120)

    grant = ledger.pot_grant(member=carol, minutes=120)
    donation = ledger.pot_donate(member=alice, minutes=60)

    assert (grant.kind, donation.kind) == (TransferKind.GRANT, TransferKind.DONATION)
    assert (grant.memo, donation.memo) == ("Grant from the community pot", "Donation to the community pot")
    pot.refresh_from_db()
    assert (balance_of(alice), balance_of(carol), pot.balance) == (60, 0, -60)
    assert "Ledger OK" in ledger_check()


def test_the_pot_cannot_grant_a_member_beyond_their_highest_balance(carol):
    ledger.account_set_limits(account=carol.account, min_balance=-600, max_balance=60)
    with pytest.raises(LimitExceededError, match="above their limit of 1 hour"):
        ledger.pot_grant(member=carol, minutes=61)
    assert balance_of(carol) == 0


def test_opening_a_member_account_uses_the_timebanks_default_limits_once(timebank):
    timebank.default_min_balance = -300
    timebank.default_max_balance = 1200
    timebank.save()
    dev = MemberFactory(display_name="Dev", user=None)

    account = ledger.account_for_member(member=dev)

    assert (account.name, account.kind, account.min_balance, account.max_balance) == ("Dev", "member", -300, 1200)
    assert ledger.account_for_member(member=dev).pk == account.pk
    assert Account.objects.filter(member=dev).count() == 1


def test_system_accounts_are_one_per_kind_per_timebank(timebank):
    pot = ledger.system_account(timebank=timebank, kind=AccountKind.POT)
    opening = ledger.system_account(timebank=timebank, kind=AccountKind.OPENING)

    assert ledger.system_account(timebank=timebank, kind=AccountKind.POT).pk == pot.pk
    assert (pot.name, opening.name, opening.min_balance) == ("Community pot", "Opening balances", None)
    with pytest.raises(InvalidTransferError):
        ledger.system_account(timebank=timebank, kind=AccountKind.MEMBER)


# --- Limits -------------------------------------------------------------------------------


def test_bob_can_receive_ten_hours_of_help_but_not_a_minute_more(alice, bob):
    exchange(provider=alice, receiver=bob, minutes=600)
    entries_before = Entry.objects.count()

    with pytest.raises(LimitExceededError) as refused:
        exchange(provider=alice, receiver=bob, minutes=1)

    assert refused.value.message == (
        "Bob does not have enough hours: this would take their balance to minus 10 hours 1 minute, "
        "below their limit of minus 10 hours."
    )
    assert refused.value.account.pk == bob.account.pk
    assert refused.value.http_status == 409
    assert (balance_of(alice), balance_of(bob)) == (600, -600)
    assert Entry.objects.count() == entries_before


def test_bob_at_his_limit_can_still_give_help_which_moves_him_back_toward_it(alice, bob, carol):
    exchange(provider=alice, receiver=bob, minutes=600)

    exchange(provider=bob, receiver=carol, minutes=60)

    assert balance_of(bob) == -540


def test_alice_cannot_earn_beyond_her_highest_balance_but_can_spend_from_it(alice, bob, carol):
    ledger.account_set_limits(account=alice.account, min_balance=-600, max_balance=180)
    exchange(provider=alice, receiver=bob, minutes=180)

    with pytest.raises(LimitExceededError) as refused:
        exchange(provider=alice, receiver=carol, minutes=1)
    exchange(provider=carol, receiver=alice, minutes=30)

    assert refused.value.message == (
        "This would take Alice's balance to 3 hours 1 minute, above their limit of 3 hours."
    )
    assert (balance_of(alice), balance_of(carol)) == (150, 30)


def test_a_coordinator_cannot_set_limits_the_balance_already_breaks(alice, bob):
    exchange(provider=alice, receiver=bob, minutes=300)

    with pytest.raises(InvalidInputError, match="already minus 5 hours") as refused:
        ledger.account_set_limits(account=bob.account, min_balance=-120, max_balance=None)
    assert refused.value.field == "min_balance"
    with pytest.raises(InvalidInputError, match="already 5 hours"):
        ledger.account_set_limits(account=alice.account, min_balance=None, max_balance=60)
    with pytest.raises(InvalidInputError, match="must not be lower"):
        ledger.account_set_limits(account=alice.account, min_balance=0, max_balance=-60)

    bob.account.refresh_from_db()
    assert (bob.account.min_balance, bob.account.max_balance, bob.account.balance) == (-600, None, -300)


def test_changing_limits_never_writes_back_a_stale_balance(alice, bob):
    stale = Account.objects.get(member=bob)
    exchange(provider=alice, receiver=bob, minutes=90)

    ledger.account_set_limits(account=stale, min_balance=-900, max_balance=None)

    assert Account.objects.get(member=bob).balance == -90
    assert stale.balance == -90
    assert Account.objects.get(member=bob).min_balance == -900


# --- Reversals -----------------------------------------------------------------------


def test_a_coordinator_reverses_a_mistaken_exchange_once(alice, bob, coordinator):
    mistake = exchange(provider=alice, receiver=bob, minutes=120)

    reversal = ledger.transfer_reverse(transfer=mistake, reason="Recorded twice", recorded_by=coordinator)

    assert (reversal.kind, reversal.reverses, reversal.memo) == ("reversal", mistake, "Reversal of an exchange")
    assert reversal.note.text == "Recorded twice"
    assert sorted(reversal.entries.values_list("minutes", flat=True)) == [-120, 120]
    assert (balance_of(alice), balance_of(bob)) == (0, 0)
    with pytest.raises(AlreadyReversedError, match="already been reversed"):
        ledger.transfer_reverse(transfer=mistake, reason="Again")
    assert Transfer.objects.filter(kind="reversal").count() == 1


def test_a_reversal_cannot_itself_be_reversed(alice, bob):
    reversal = ledger.transfer_reverse(transfer=exchange(provider=alice, receiver=bob, minutes=60), reason="Oops")

    with pytest.raises(ReversalOfReversalError, match="Record a new transfer instead"):
        ledger.transfer_reverse(transfer=reversal, reason="Undo the undo")
    assert (balance_of(alice), balance_of(bob)) == (0, 0)


def test_a_reversal_needs_a_reason(alice, bob):
    transfer = exchange(provider=alice, receiver=bob, minutes=60)
    with pytest.raises(InvalidTransferError, match="Say why"):
        ledger.transfer_reverse(transfer=transfer, reason="   ")
    assert not Transfer.objects.filter(reverses=transfer).exists()


def test_a_reversal_that_would_break_a_limit_is_refused(alice, bob, carol):
    gardening = exchange(provider=alice, receiver=bob, minutes=120)
    exchange(provider=carol, receiver=alice, minutes=720)  # Alice is now at her limit, -600

    with pytest.raises(LimitExceededError, match="Alice does not have enough hours"):
        ledger.transfer_reverse(transfer=gardening, reason="Never happened")

    assert (balance_of(alice), balance_of(bob)) == (-600, -120)
    assert not Transfer.objects.filter(reverses=gardening).exists()


# --- Idempotency and bad input -------------------------------------------------------


def test_a_retried_post_with_the_same_idempotency_key_returns_the_first_transfer(alice, bob):
    first = exchange(provider=alice, receiver=bob, minutes=45, idempotency_key="confirm-42")
    retry = exchange(provider=alice, receiver=bob, minutes=45, idempotency_key="confirm-42")

    assert retry.pk == first.pk
    assert Transfer.objects.count() == 1
    assert (balance_of(alice), balance_of(bob)) == (45, -45)


BAD_LEGS = {
    "a zero leg": (lambda a, b, c, x: [Leg(a, 0), Leg(b, 0)], "must move some time"),
    "unbalanced legs": (lambda a, b, c, x: [Leg(a, -60), Leg(b, 30)], "must be equal"),
    "one leg": (lambda a, b, c, x: [Leg(a, 60)], "at least two accounts"),
    "no legs": (lambda a, b, c, x: [], "at least two accounts"),
    "the same account twice": (lambda a, b, c, x: [Leg(a, -60), Leg(a, 60)], "cannot pay itself"),
    "another timebank's account": (lambda a, b, c, x: [Leg(a, -60), Leg(x, 60)], "same timebank"),
    "bool minutes": (lambda a, b, c, x: [Leg(a, -1), Leg(b, True)], "whole minutes"),
    "float minutes": (lambda a, b, c, x: [Leg(a, -1.5), Leg(b, 1.5)], "whole minutes"),
    "an unsaved account": (
        lambda a, b, c, x: [Leg(a, -60), Leg(Account(timebank_id=a.timebank_id), 60)],
        "same timebank",
    ),
}


@pytest.mark.parametrize("case", BAD_LEGS, ids=list(BAD_LEGS))
def test_a_malformed_transfer_is_refused_with_nothing_written(case, alice, bob, carol, other_timebank, timebank):
    stranger = MemberFactory(timebank=other_timebank, user=None)
    make_legs, message = BAD_LEGS[case]
    legs = make_legs(alice.account, bob.account, carol.account, stranger.account)

    with pytest.raises(InvalidTransferError, match=message) as refused:
        ledger.transfer_post(timebank=timebank, kind=TransferKind.EXCHANGE, legs=legs)

    assert refused.value.http_status == 400
    assert (Transfer.objects.count(), Entry.objects.count()) == (0, 0)
    assert set(Account.objects.values_list("balance", flat=True)) == {0}


@pytest.mark.parametrize(
    "kind, reverses, message",
    [
        ("barter", False, "Unknown kind"),
        ("reversal", False, "must name the transfer"),
        ("gift", True, "only a reversal"),
    ],
)
def test_a_transfer_header_must_make_sense(kind, reverses, message, alice, bob, timebank):
    target = exchange(provider=alice, receiver=bob, minutes=10) if reverses else None
    with pytest.raises(InvalidTransferError, match=message):
        ledger.transfer_post(
            timebank=timebank, kind=kind, legs=[Leg(alice.account, -10), Leg(bob.account, 10)], reverses=target
        )
    assert Transfer.objects.count() == (1 if reverses else 0)


def test_a_group_session_of_ten_hours_split_over_seven_people_keeps_every_minute(alice, timebank):
    learners = [MemberFactory(user=None, display_name=f"Learner {i}") for i in range(7)]
    shares = ledger.split_minutes(600, 7)

    transfer = ledger.transfer_post(
        timebank=timebank,
        kind=TransferKind.EXCHANGE,
        legs=[Leg(alice.account, 600)] + [Leg(m.account, -share) for m, share in zip(learners, shares)],
    )

    assert shares == [86, 86, 86, 86, 86, 85, 85]
    assert sum(shares) == 600
    assert transfer.entries.count() == 8
    assert transfer.entries.aggregate(total=Sum("minutes"))["total"] == 0
    assert balance_of(alice) == 600
    assert sorted(balance_of(m) for m in learners) == [-86] * 5 + [-85] * 2


@pytest.mark.parametrize("total, parts", [(600, 0), (-1, 3), (60.0, 2), (60, True)])
def test_split_minutes_refuses_nonsense(total, parts):
    with pytest.raises(InvalidTransferError):
        ledger.split_minutes(total, parts)


# --- L2: the database refuses bad rows written around the ledger module ----------------


def test_the_database_refuses_a_zero_entry(alice, bob, timebank):
    transfer = exchange(provider=alice, receiver=bob, minutes=60)
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.bulk_create([Entry(transfer=transfer, account=alice.account, minutes=0, balance_after=60)])
    assert transfer.entries.count() == 2


def test_the_database_refuses_a_balance_below_the_overdraft_limit(bob):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=bob.account.pk).update(balance=-601)
    assert balance_of(bob) == 0


def test_the_database_refuses_a_balance_above_the_highest_balance(alice):
    ledger.account_set_limits(account=alice.account, min_balance=-600, max_balance=60)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=alice.account.pk).update(balance=61)
    assert balance_of(alice) == 0


def test_the_database_refuses_a_second_reversal_of_the_same_transfer(alice, bob, timebank):
    original = exchange(provider=alice, receiver=bob, minutes=60)
    ledger.transfer_reverse(transfer=original, reason="Mistake")

    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(timebank=timebank, kind=TransferKind.REVERSAL, reverses=original)
    assert Transfer.objects.filter(reverses=original).count() == 1


def test_the_database_refuses_a_reversal_of_a_reversal(alice, bob, timebank):
    reversal = ledger.transfer_reverse(transfer=exchange(provider=alice, receiver=bob, minutes=60), reason="Mistake")

    with pytest.raises(IntegrityError, match="cannot itself be reversed"), transaction.atomic():
        Transfer.objects.bulk_create([Transfer(timebank=timebank, kind=TransferKind.REVERSAL, reverses=reversal)])
    assert not Transfer.objects.filter(reverses=reversal).exists()


def test_the_database_refuses_a_reversal_that_names_no_transfer(timebank):
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(timebank=timebank, kind=TransferKind.REVERSAL)
    assert Transfer.objects.count() == 0


# --- L3: append-only ----------------------------------------------------------------------


@pytest.mark.parametrize("model", [Transfer, Entry])
def test_orm_updates_and_deletes_of_ledger_rows_raise(model, alice, bob):
    exchange(provider=alice, receiver=bob, minutes=60)
    row = model.objects.first()
    field = "memo" if model is Transfer else "minutes"
    original = getattr(row, field)

    with pytest.raises(LedgerRowIsAppendOnlyError):
        model.objects.filter(pk=row.pk).update(**{field: 5})
    with pytest.raises(LedgerRowIsAppendOnlyError):
        model.objects.all().delete()
    setattr(row, field, 5)
    with pytest.raises(LedgerRowIsAppendOnlyError):
        row.save()
    with pytest.raises(LedgerRowIsAppendOnlyError):
        row.delete()

    assert getattr(model.objects.get(pk=row.pk), field) == original


def test_entries_cannot_be_deleted_through_their_transfer(alice, bob):
    transfer = exchange(provider=alice, receiver=bob, minutes=60)
    with pytest.raises(LedgerRowIsAppendOnlyError):
        transfer.entries.all().delete()
    assert transfer.entries.count() == 2


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE timebank_entry SET minutes = minutes * 2",
        "DELETE FROM timebank_entry",
        "UPDATE timebank_transfer SET memo = 'changed'",
        "DELETE FROM timebank_transfer",
    ],
)
def test_raw_sql_updates_and_deletes_of_ledger_rows_are_refused_by_triggers(sql, alice, bob):
    exchange(provider=alice, receiver=bob, minutes=60)

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)

    assert sorted(Entry.objects.values_list("minutes", flat=True)) == [-60, 60]
    assert Transfer.objects.get().memo == "Exchange"


def test_a_user_who_recorded_transfers_cannot_be_deleted_only_deactivated(alice, bob):
    recorder = UserFactory(username="recorder")
    transfer = exchange(provider=alice, receiver=bob, minutes=60, recorded_by=recorder)

    with pytest.raises(ProtectedError):
        recorder.delete()
    assert Transfer.objects.get(pk=transfer.pk).recorded_by == recorder


# --- L1: ledger_check -----------------------------------------------------------------------


def test_ledger_check_reports_a_clean_ledger_with_a_summary(alice, bob, carol):
    exchange(provider=alice, receiver=bob, minutes=120)
    ledger.pot_grant(member=carol, minutes=30)

    output = ledger_check()

    assert output.startswith("Ledger OK: ")
    assert "2 transfers, 4 entries" in output


def test_ledger_check_names_an_account_whose_cached_balance_is_wrong(alice, bob, timebank):
    exchange(provider=alice, receiver=bob, minutes=120)
    with rolled_back():
        Account.objects.filter(pk=bob.account.pk).update(balance=-100)

        problems = ledger_check_problems()

    assert f"account 'Bob' ({bob.account.public_id}): cached balance is -100 minutes" in problems
    assert "entries add up to -120 minutes" in problems
    assert f"timebank '{timebank.name}': balances add up to 20 minutes" in problems
    assert "Alice" not in problems


def test_ledger_check_names_an_unbalanced_transfer_and_one_without_entries(alice, bob, timebank):
    good = exchange(provider=alice, receiver=bob, minutes=60)
    with rolled_back():
        lopsided = Transfer.objects.create(timebank=timebank, kind=TransferKind.GIFT)
        Entry.objects.create(transfer=lopsided, account=alice.account, minutes=30, balance_after=90)
        empty = Transfer.objects.create(timebank=timebank, kind=TransferKind.GIFT)

        problems = ledger_check_problems()

    assert f"transfer {lopsided.public_id} (id {lopsided.pk}): 1 entries adding up to 30 minutes" in problems
    assert f"transfer {empty.public_id} (id {empty.pk}): has no entries" in problems
    assert str(good.public_id) not in problems
    assert "account 'Alice'" in problems  # her cached balance no longer matches


def test_ledger_check_names_an_entry_on_another_timebanks_account(alice, bob, other_timebank, timebank):
    stranger = MemberFactory(timebank=other_timebank, user=None, display_name="Stranger")
    with rolled_back():
        crossing = Transfer.objects.create(timebank=timebank, kind=TransferKind.GIFT)
        Entry.objects.bulk_create(
            [
                Entry(transfer=crossing, account=alice.account, minutes=-30, balance_after=-30),
                Entry(transfer=crossing, account=stranger.account, minutes=30, balance_after=30),
            ]
        )
        problems = ledger_check_problems()

    assert f"transfer {crossing.public_id} (id {crossing.pk}): has an entry on account 'Stranger'" in problems


def test_ledger_check_names_a_statement_whose_running_balance_is_wrong(alice, bob, timebank):
    with rolled_back():
        transfer = Transfer.objects.create(timebank=timebank, kind=TransferKind.GIFT)
        Entry.objects.bulk_create(
            [
                Entry(transfer=transfer, account=alice.account, minutes=-30, balance_after=-25),
                Entry(transfer=transfer, account=bob.account, minutes=30, balance_after=30),
            ]
        )
        Account.objects.filter(pk=alice.account.pk).update(balance=-30)
        Account.objects.filter(pk=bob.account.pk).update(balance=30)

        problems = ledger_check_problems()

    assert f"account 'Alice' ({alice.account.public_id}): the statement's last running balance is -25" in problems
    assert "account 'Bob'" not in problems


def test_ledger_check_names_an_account_beyond_its_limit(alice, bob):
    exchange(provider=alice, receiver=bob, minutes=300)
    with rolled_back():
        # Only a change of the limit behind the database's back can get here.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # ALTER TABLE waits for no pending deferred checks: run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("ALTER TABLE timebank_account DROP CONSTRAINT account_balance_not_below_min")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            Account.objects.filter(pk=bob.account.pk).update(min_balance=-60)
            problems = ledger_check_problems()
        else:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA ignore_check_constraints = ON")
            try:
                Account.objects.filter(pk=bob.account.pk).update(min_balance=-60)
                problems = ledger_check_problems()
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA ignore_check_constraints = OFF")

    assert f"account 'Bob' ({bob.account.public_id}): cached balance -300 minutes is below its limit of -60" in problems


def test_ledger_check_can_be_scoped_to_one_timebank(alice, bob, other_timebank):
    stranger = MemberFactory(timebank=other_timebank, user=None, display_name="Stranger")
    with rolled_back():
        Account.objects.filter(pk=stranger.account.pk).update(balance=5)

        assert "1 timebank(s)" in ledger_check("--timebank", "default")
        assert "account 'Stranger'" in ledger_check_problems("--timebank", "caversham")

    with pytest.raises(CommandError, match="no timebank called 'nowhere'"):
        call_command("ledger_check", "--timebank", "nowhere", stdout=io.StringIO())
