"""The ledger under real concurrency, with real commits (docs/quality.md L2 deferred
check, L4, L5, L10), on SQLite (file test database) and PostgreSQL.

These tests use `transaction=True`, so the database is emptied after each
one: they build their own timebank and members instead of relying on the
rows the migrations seed.
"""

import io
import random
import threading
import uuid
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from tests.factories import MemberFactory
from timebank import ledger
from timebank.ledger import Leg, LimitExceededError
from timebank.models import Account, Entry, Timebank, Transfer, TransferKind

THREADS = 8
TRANSFERS_PER_THREAD = 50
ACCOUNTS = 5
# A thread stuck longer than this means a deadlock or a lost wake-up: fail, never hang.
BARRIER_TIMEOUT_S = 60

pytestmark = pytest.mark.django_db(transaction=True)


def new_timebank() -> Timebank:
    return Timebank.objects.create(name="Concurrency", slug=f"concurrency-{uuid.uuid4().hex[:8]}")


def open_accounts(timebank: Timebank, count: int, *, min_balance: int | None, max_balance: int | None) -> list[Account]:
    accounts = []
    for i in range(count):
        member = MemberFactory(timebank=timebank, user=None, display_name=f"Member {i}")
        account = ledger.account_for_member(member=member)
        accounts.append(ledger.account_set_limits(account=account, min_balance=min_balance, max_balance=max_balance))
    return accounts


def run_threads(count: int, work) -> list[BaseException]:
    """Run work(index) in `count` threads, each on its own connection; return what they raised."""
    errors: list[BaseException] = []

    def runner(index: int) -> None:
        try:
            work(index)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=BARRIER_TIMEOUT_S * 2)
    assert not any(thread.is_alive() for thread in threads), "a thread never finished"
    return errors


def assert_ledger_check_passes() -> None:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ledger_check", stdout=out, stderr=err)
    except CommandError as error:
        raise AssertionError(f"ledger_check failed: {error}\n{err.getvalue()}") from None
    assert out.getvalue().startswith("Ledger OK")


def real_post(*, timebank, payer, payee, minutes, between) -> None:
    ledger.transfer_post(
        timebank=timebank, kind=TransferKind.EXCHANGE, legs=[Leg(payer, -minutes), Leg(payee, minutes)]
    )


def naive_post(*, timebank, payer, payee, minutes, between) -> None:
    """Deliberately wrong (docs/quality.md L5): reads the balances in one transaction
    without a lock and writes absolute balances in another, so a transfer that
    commits in between is overwritten. Kept to prove the harness catches it."""
    with transaction.atomic():
        balances = dict(Account.objects.filter(pk__in=[payer.pk, payee.pk]).values_list("pk", "balance"))
    between()  # every thread has read; now they all write what they read
    new_payer, new_payee = balances[payer.pk] - minutes, balances[payee.pk] + minutes
    if (payer.min_balance is not None and new_payer < payer.min_balance) or (
        payee.max_balance is not None and new_payee > payee.max_balance
    ):
        raise LimitExceededError("Not enough hours.", account=payer)
    with transaction.atomic():
        transfer = Transfer.objects.create(timebank=timebank, kind=TransferKind.EXCHANGE)
        Entry.objects.bulk_create(
            [
                Entry(transfer=transfer, account=payer, minutes=-minutes, balance_after=new_payer),
                Entry(transfer=transfer, account=payee, minutes=minutes, balance_after=new_payee),
            ]
        )
        # In primary-key order, so PostgreSQL fails it for lost updates, not deadlocks.
        for pk, balance in sorted({payer.pk: new_payer, payee.pk: new_payee}.items()):
            Account.objects.filter(pk=pk).update(balance=balance)


def random_transfers_from_many_threads(post) -> Counter:
    """docs/quality.md L4 harness: 8 threads x 50 random transfers over 5 accounts.

    Every round starts with all threads released together (a barrier) so the
    transfers really collide. Asserts that nothing but limit refusals went
    wrong and that the ledger still adds up; returns the outcome counts."""
    timebank = new_timebank()
    # Tight limits so that refusals happen under contention too.
    account_ids = [a.pk for a in open_accounts(timebank, ACCOUNTS, min_balance=-120, max_balance=240)]
    start = threading.Barrier(THREADS, timeout=BARRIER_TIMEOUT_S)
    between = threading.Barrier(THREADS, timeout=BARRIER_TIMEOUT_S)
    outcomes: Counter = Counter()
    unexpected: list[str] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        rng = random.Random(index)
        # Each thread has its own, soon stale, copies of the accounts.
        accounts = list(Account.objects.filter(pk__in=account_ids).order_by("pk"))
        for _ in range(TRANSFERS_PER_THREAD):
            payer, payee = rng.sample(accounts, 2)
            minutes = rng.randint(1, 120)
            start.wait()
            try:
                post(timebank=timebank, payer=payer, payee=payee, minutes=minutes, between=between.wait)
                outcome = "posted"
            except LimitExceededError:
                outcome = "refused"
            except Exception as error:
                outcome = "error"
                with lock:
                    unexpected.append(repr(error))
            with lock:
                outcomes[outcome] += 1

    crashed = run_threads(THREADS, work)

    assert not crashed, crashed
    assert not unexpected, unexpected[:5]
    assert outcomes["posted"] + outcomes["refused"] == THREADS * TRANSFERS_PER_THREAD
    assert outcomes["posted"] > 0 and outcomes["refused"] > 0, outcomes
    assert Transfer.objects.filter(timebank=timebank).count() == outcomes["posted"]
    assert_ledger_check_passes()
    return outcomes


def test_eight_threads_posting_random_transfers_lose_no_minute():
    random_transfers_from_many_threads(real_post)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="a read-modify-write transfer loses updates")
def test_the_same_load_catches_a_naive_read_modify_write_transfer():
    random_transfers_from_many_threads(naive_post)


def test_two_debits_that_fit_alone_but_not_together_one_is_refused_fifty_times_over():
    timebank = new_timebank()
    payees = open_accounts(timebank, 2, min_balance=None, max_balance=None)
    # Each payer may go 60 minutes below zero; two debits of 40 cannot both fit.
    payers = open_accounts(timebank, 50, min_balance=-60, max_balance=None)
    start = threading.Barrier(2, timeout=BARRIER_TIMEOUT_S)
    results: list[list[str]] = [[] for _ in payers]
    lock = threading.Lock()

    def work(index: int) -> None:
        payee = Account.objects.get(pk=payees[index].pk)
        for round_number, payer in enumerate(payers):
            start.wait()
            try:
                ledger.transfer_post(
                    timebank=timebank, kind=TransferKind.EXCHANGE, legs=[Leg(payer, -40), Leg(payee, 40)]
                )
                outcome = "posted"
            except LimitExceededError as refusal:
                outcome = "refused" if "does not have enough hours" in refusal.message else refusal.message
            with lock:
                results[round_number].append(outcome)

    crashed = run_threads(2, work)

    assert not crashed, crashed
    assert all(sorted(outcome) == ["posted", "refused"] for outcome in results), results
    assert set(Account.objects.filter(pk__in=[p.pk for p in payers]).values_list("balance", flat=True)) == {-40}
    assert_ledger_check_passes()


def test_an_unbalanced_transfer_written_around_the_ledger_cannot_be_committed():
    timebank = new_timebank()
    alice, bob = open_accounts(timebank, 2, min_balance=None, max_balance=None)

    # Balanced, but written one entry at a time: the check waits for COMMIT.
    with transaction.atomic():
        balanced = Transfer.objects.create(timebank=timebank, kind=TransferKind.GIFT)
        Entry.objects.create(transfer=balanced, account=alice, minutes=-30, balance_after=-30)
        Entry.objects.create(transfer=balanced, account=bob, minutes=30, balance_after=30)
        Account.objects.filter(pk=alice.pk).update(balance=-30)
        Account.objects.filter(pk=bob.pk).update(balance=30)
    assert_ledger_check_passes()

    if connection.vendor == "postgresql":
        # The deferred trigger refuses the whole transaction at COMMIT.
        with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
            lopsided = Transfer.objects.create(timebank=timebank, kind=TransferKind.GIFT, memo="lopsided")
            Entry.objects.create(transfer=lopsided, account=alice, minutes=-45, balance_after=-75)
            Account.objects.filter(pk=alice.pk).update(balance=-75)
        assert not Transfer.objects.filter(memo="lopsided").exists()
        assert Account.objects.get(pk=alice.pk).balance == -30
        assert_ledger_check_passes()
    else:
        # SQLite has no deferred triggers: the row commits, and ledger_check is the guard.
        with transaction.atomic():
            lopsided = Transfer.objects.create(timebank=timebank, kind=TransferKind.GIFT, memo="lopsided")
            Entry.objects.create(transfer=lopsided, account=alice, minutes=-45, balance_after=-75)
            Account.objects.filter(pk=alice.pk).update(balance=-75)
        err = io.StringIO()
        with pytest.raises(CommandError):
            call_command("ledger_check", stdout=io.StringIO(), stderr=err)
        assert f"transfer {lopsided.public_id} (id {lopsided.pk}): 1 entries adding up to -45 minutes" in err.getvalue()
