"""The overview's distinct counts (active members, members who both gave and
received, different pairs of partners) read the summaries account by account
(brokering/selectors/reports.py `member_totals`). After random postings and
reversals, over random periods, they must equal a count made from the entries
themselves."""

import datetime

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from brokering.selectors.reports import Period, member_totals
from tests.factories import MemberFactory
from tests.timebank.test_ledger_summaries import TODAY, SummaryMachine
from timebank import ledger
from timebank.models import AccountKind, Entry, TransferKind


def totals_from_entries(timebank, period: Period) -> dict[str, int]:
    """The three counts straight from the entries: exchange transfers not
    reversed, member accounts only, on the day of the help (else the day recorded)."""
    gave, received, in_transfer = set(), set(), {}
    entries = Entry.objects.filter(
        transfer__timebank=timebank,
        transfer__kind=TransferKind.EXCHANGE,
        transfer__reversed_by__isnull=True,
        account__kind=AccountKind.MEMBER,
    ).select_related("transfer__exchange")
    for entry in entries:
        exchange = entry.transfer.exchange
        day = (exchange.helped_on if exchange is not None else None) or timezone.localdate(entry.transfer.created_at)
        if not period.start <= day <= period.end:
            continue
        (gave if entry.minutes > 0 else received).add(entry.account_id)
        in_transfer.setdefault(entry.transfer_id, set()).add(entry.account_id)
    pairs = {(a, b) for accounts in in_transfer.values() for a in accounts for b in accounts if a < b}
    return {"active": len(gave | received), "both": len(gave & received), "pairs": len(pairs)}


class TotalsMachine(SummaryMachine):
    @rule(data=st.data())
    def overview_counts_equal_the_entries(self, data):
        if not hasattr(self, "accounts"):
            return
        start = data.draw(st.dates(TODAY - datetime.timedelta(days=45), TODAY + datetime.timedelta(days=2)))
        end = data.draw(st.dates(start, TODAY + datetime.timedelta(days=5)))
        period = Period(start, end)
        assert member_totals(timebank=self.timebank, period=period) == totals_from_entries(self.timebank, period)


@pytest.mark.django_db
def test_overview_counts_equal_the_entries_after_random_postings_and_reversals(monkeypatch):
    monkeypatch.setattr("timebank.services.listings._require_owner_or_coordinator", lambda **kwargs: None)
    run_state_machine_as_test(
        TotalsMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )


@pytest.mark.django_db
def test_a_fully_reversed_exchange_leaves_nobody_active(timebank):
    ann, ben = (MemberFactory(timebank=timebank, user=None, display_name=name) for name in ("Ann", "Ben"))
    accounts = [ledger.account_for_member(member=m) for m in (ann, ben)]
    for account in accounts:
        ledger.account_set_limits(account=account, min_balance=None, max_balance=None)
    transfer = ledger.transfer_post(
        timebank=timebank,
        kind=TransferKind.EXCHANGE,
        legs=[ledger.Leg(accounts[0], 60), ledger.Leg(accounts[1], -60)],
    )
    today = timezone.localdate()
    period = Period(today - datetime.timedelta(days=1), today)
    assert member_totals(timebank=timebank, period=period) == {"active": 2, "both": 0, "pairs": 1}
    ledger.transfer_reverse(transfer=transfer, reason="Recorded twice")
    # The summary rows stay, at 0: they must not count.
    assert member_totals(timebank=timebank, period=period) == {"active": 0, "both": 0, "pairs": 0}
