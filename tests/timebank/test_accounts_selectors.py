"""Hour figures and statements: worked examples and pages that do not grow with the ledger."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import MemberFactory
from timebank import ledger
from timebank.models import Account, Entry, TransferKind
from timebank.selectors.accounts import account_statement, member_hours_summary


def exchange(provider, receivers, minutes, timebank):
    """Post an exchange the way the exchanges service does: receivers pay, the provider earns."""
    shares = ledger.split_minutes(minutes, len(receivers))
    legs = [ledger.Leg(r.account, -share) for r, share in zip(receivers, shares)]
    return ledger.transfer_post(
        timebank=timebank, kind=TransferKind.EXCHANGE, legs=[*legs, ledger.Leg(provider.account, minutes)], memo="Help"
    )


def without_limit(member):
    Account.objects.filter(member=member).update(min_balance=None)
    member.account.min_balance = None


def test_alice_gardens_two_hours_for_bob_then_bob_teaches_carol_one_hour(alice, bob, carol, timebank):
    exchange(alice, [bob], 120, timebank)
    exchange(bob, [carol], 60, timebank)
    exchange(alice, [bob], 30, timebank)

    a, b, c = (member_hours_summary(member=m) for m in (alice, bob, carol))
    assert (a.balance, a.given, a.received, a.people) == (150, 150, 0, 1)
    assert (b.balance, b.given, b.received, b.people) == (-90, 60, 150, 2)
    assert (c.balance, c.given, c.received, c.people) == (-60, 0, 60, 1)
    assert (a.balance_text, b.balance_text, b.given_text, b.received_text) == (
        "2½ hours",
        "minus 1½ hours",
        "1 hour",
        "2½ hours",
    )


def test_a_reversed_exchange_no_longer_counts_as_given_or_received(alice, bob, timebank, coordinator):
    transfer = exchange(alice, [bob], 120, timebank)
    ledger.transfer_reverse(transfer=transfer, reason="Recorded twice", recorded_by=coordinator)
    alice.account.refresh_from_db()
    a = member_hours_summary(member=alice)
    assert (a.balance, a.given, a.received, a.people) == (0, 0, 0, 0)


def test_gifts_and_grants_change_the_balance_but_not_hours_given(alice, bob, timebank):
    ledger.pot_grant(member=alice, minutes=60)
    ledger.gift(giver=alice, receiver=bob, minutes=15)
    a = member_hours_summary(member=alice)
    assert (a.balance, a.given, a.received, a.people) == (45, 0, 0, 0)


def test_two_receivers_of_one_workshop_did_not_exchange_with_each_other(alice, bob, carol, timebank):
    exchange(alice, [bob, carol], 120, timebank)
    assert member_hours_summary(member=bob).people == 1
    assert member_hours_summary(member=alice).people == 2


def test_time_to_first_exchange_is_counted_from_joining(alice, bob, timebank):
    assert member_hours_summary(member=alice).first_exchange_wait_text == "No exchange yet"
    alice.joined_at = timezone.now() - datetime.timedelta(days=12, hours=3)
    alice.save()
    exchange(alice, [bob], 60, timebank)
    assert member_hours_summary(member=alice).first_exchange_wait_text == "12 days"


def test_a_member_without_an_account_has_zero_figures(db):
    member = MemberFactory(status="applied", with_account=False)
    summary = member_hours_summary(member=member)
    assert (summary.balance, summary.given, summary.received, summary.people) == (0, 0, 0, 0)


def test_the_statement_pages_newest_first_with_a_running_balance(alice, bob, timebank):
    without_limit(bob)
    for minutes in range(1, 46):  # 45 exchanges: 1..45 minutes
        exchange(alice, [bob], minutes, timebank)
    account = alice.account
    first = account_statement(account=account)
    assert [line.entry.minutes for line in first.lines] == list(range(45, 25, -1))
    assert first.lines[0].entry.balance_after == sum(range(1, 46))
    assert first.lines[1].entry.balance_after == sum(range(1, 45))
    assert first.lines[0].counterparts == ["Bob"]
    assert first.newer_than is None and first.older_than is not None

    second = account_statement(account=account, older_than=first.older_than)
    assert [line.entry.minutes for line in second.lines] == list(range(25, 5, -1))
    third = account_statement(account=account, older_than=second.older_than)
    assert [line.entry.minutes for line in third.lines] == list(range(5, 0, -1))
    assert third.older_than is None

    back = account_statement(account=account, newer_than=third.newer_than)
    assert [line.entry.minutes for line in back.lines] == list(range(25, 5, -1))
    top = account_statement(account=account, newer_than=back.newer_than)
    assert [line.entry.minutes for line in top.lines] == list(range(45, 25, -1)) and top.newer_than is None


@pytest.mark.parametrize("rows", [1, 60])
def test_a_statement_page_costs_the_same_queries_for_1_or_60_rows(
    rows, alice, bob, timebank, django_assert_max_num_queries
):
    without_limit(bob)
    for _ in range(rows):
        exchange(alice, [bob], 30, timebank)
    with django_assert_max_num_queries(3):
        page = account_statement(account=alice.account)
        assert [line.counterparts for line in page.lines] == [["Bob"]] * min(rows, 20)
        assert all(line.balance_after_text for line in page.lines)
    with django_assert_max_num_queries(3):
        member_hours_summary(member=alice)
    assert Entry.objects.filter(account=alice.account).count() == rows
