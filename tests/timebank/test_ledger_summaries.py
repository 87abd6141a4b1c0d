"""The ledger's summaries equal its entries (timebank/summaries.py, docs/quality.md P10).

After random postings (exchanges in categories and on help dates, gifts, pot
grants and donations, group exchanges), reversals and listings moved to another
category, every summary row must equal what the entries say, and `ledger_check`
must pass. Also: the figures for one known day, by hand.
"""

import datetime
import uuid

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from tests.factories import ListingFactory, MemberFactory, category
from timebank import ledger, summaries
from timebank.management.commands.ledger_check import check_ledger
from timebank.models import (
    AccountDay,
    AccountKind,
    Exchange,
    ExchangeStatus,
    LedgerDay,
    Listing,
    PartnerDay,
    Timebank,
    TransferKind,
)
from timebank.services.listings import listing_update

TODAY = datetime.date(2026, 11, 20)


def _exchange(timebank, provider, listing, minutes, helped_on):
    return Exchange.objects.create(
        timebank=timebank,
        provider=provider,
        listing=listing,
        minutes=minutes,
        status=ExchangeStatus.CONFIRMED,
        helped_on=helped_on,
    )


class SummaryMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self.timebank = Timebank.objects.create(name="Summaries", slug=f"sum-{uuid.uuid4().hex[:10]}")
        self.transfers: list = []
        self.reversed: set[int] = set()

    def teardown(self):
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    @initialize()
    def open_accounts(self):
        self.members = [MemberFactory(timebank=self.timebank, user=None, display_name=f"Member {i}") for i in range(4)]
        self.accounts = [ledger.account_for_member(member=m) for m in self.members]
        for account in self.accounts:
            ledger.account_set_limits(account=account, min_balance=None, max_balance=None)
        self.pot = ledger.system_account(timebank=self.timebank, kind=AccountKind.POT)
        self.categories = [category(slug, timebank=self.timebank) for slug in ("gardening", "shopping-and-errands")]
        self.listings = [
            # Requests: moving one to another category needs no safeguarding clearance.
            ListingFactory(
                member=self.members[i], timebank=self.timebank, category=self.categories[i % 2], kind="request"
            )
            for i in range(2)
        ]

    @rule(data=st.data())
    def exchange(self, data):
        provider_index = data.draw(st.integers(0, 3))
        others = [i for i in range(4) if i != provider_index]
        receivers = data.draw(st.lists(st.sampled_from(others), min_size=1, max_size=2, unique=True))
        minutes = data.draw(st.integers(1, 240))
        listing = data.draw(st.one_of(st.none(), st.sampled_from(self.listings)))
        helped_on = data.draw(st.one_of(st.none(), st.dates(TODAY - datetime.timedelta(days=40), TODAY)))
        with_exchange = data.draw(st.booleans())
        exchange = (
            _exchange(self.timebank, self.members[provider_index], listing, minutes, helped_on)
            if with_exchange
            else None
        )
        shares = ledger.split_minutes(minutes * len(receivers), len(receivers))
        legs = [ledger.Leg(self.accounts[provider_index], minutes * len(receivers))] + [
            ledger.Leg(self.accounts[r], -share) for r, share in zip(receivers, shares, strict=True)
        ]
        self.transfers.append(
            ledger.transfer_post(timebank=self.timebank, kind=TransferKind.EXCHANGE, legs=legs, exchange=exchange)
        )

    @rule(data=st.data())
    def pot_movement(self, data):
        member = data.draw(st.sampled_from(self.members))
        minutes = data.draw(st.integers(1, 120))
        if data.draw(st.booleans()):
            self.transfers.append(ledger.pot_grant(member=member, minutes=minutes, note="A grant"))
        else:
            self.transfers.append(ledger.pot_donate(member=member, minutes=minutes, note="A gift to the pot"))

    @rule(data=st.data())
    def reverse(self, data):
        open_ones = [t for t in self.transfers if t.kind != TransferKind.REVERSAL and t.pk not in self.reversed]
        if not open_ones:
            return
        transfer = data.draw(st.sampled_from(open_ones))
        self.transfers.append(ledger.transfer_reverse(transfer=transfer, reason="Recorded twice"))
        self.reversed.add(transfer.pk)

    @rule(data=st.data())
    def recategorise(self, data):
        listing = data.draw(st.sampled_from(self.listings))
        target = data.draw(st.sampled_from(self.categories))
        listing_update(listing=Listing.objects.get(pk=listing.pk), by_user=None, category=target)

    @invariant()
    def summaries_equal_entries(self):
        if not hasattr(self, "accounts"):
            return
        assert summaries.summary_problems([self.timebank.pk]) == []


@pytest.mark.django_db
def test_summaries_equal_the_entries_after_random_postings_and_reversals(monkeypatch):
    # A listing's owner or a coordinator may change it; the machine acts as the system.
    monkeypatch.setattr("timebank.services.listings._require_owner_or_coordinator", lambda **kwargs: None)
    run_state_machine_as_test(
        SummaryMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )


@pytest.mark.django_db
def test_one_days_figures_by_hand(timebank):
    gardening = category("gardening", timebank=timebank)
    ann, bea, cal = (MemberFactory(timebank=timebank, user=None, display_name=n) for n in ("Ann", "Bea", "Cal"))
    accounts = [ledger.account_for_member(member=m) for m in (ann, bea, cal)]
    listing = ListingFactory(member=ann, timebank=timebank, category=gardening)
    helped = datetime.date(2026, 10, 3)
    first = ledger.transfer_post(
        timebank=timebank,
        kind=TransferKind.EXCHANGE,
        legs=[ledger.Leg(accounts[0], 90), ledger.Leg(accounts[1], -90)],
        exchange=_exchange(timebank, ann, listing, 90, helped),
    )
    ledger.transfer_post(
        timebank=timebank,
        kind=TransferKind.EXCHANGE,
        legs=[ledger.Leg(accounts[0], 30), ledger.Leg(accounts[2], -30)],
        exchange=_exchange(timebank, ann, listing, 30, helped),
    )
    day = LedgerDay.objects.filter(timebank=timebank, day=helped, kind=TransferKind.EXCHANGE, category=gardening)
    assert sum(row.transfers for row in day) == 2
    assert sum(row.minutes for row in day) == 120
    assert AccountDay.objects.get(account=accounts[0], day=helped).gave == 2
    assert AccountDay.objects.get(account=accounts[1], day=helped).received == 1
    assert PartnerDay.objects.get(account=accounts[0], partner=accounts[2], day=helped).exchanges == 1

    # A reversal, recorded weeks later, takes the first exchange out of the day it was counted on.
    ledger.transfer_reverse(transfer=first, reason="Recorded against the wrong person")
    assert sum(row.transfers for row in day.all()) == 1
    assert sum(row.minutes for row in day.all()) == 30
    assert AccountDay.objects.get(account=accounts[1], day=helped).received == 0
    assert check_ledger(timebank=timebank).ok


@pytest.mark.django_db
def test_ledger_check_finds_a_summary_that_differs(timebank):
    ann, bea = (MemberFactory(timebank=timebank, user=None, display_name=n) for n in ("Ann", "Bea"))
    a, b = (ledger.account_for_member(member=m) for m in (ann, bea))
    ledger.transfer_post(timebank=timebank, kind=TransferKind.EXCHANGE, legs=[ledger.Leg(a, 60), ledger.Leg(b, -60)])
    assert check_ledger(timebank=timebank).ok
    LedgerDay.objects.filter(timebank=timebank, kind=TransferKind.EXCHANGE).update(minutes=61)
    report = check_ledger(timebank=timebank)
    assert not report.ok
    assert any("Summary differs" in problem for problem in report.problems)
    # rebuild repairs it from the entries.
    summaries.rebuild([timebank.pk])
    assert check_ledger(timebank=timebank).ok
