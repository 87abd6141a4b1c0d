"""The ledger against a reference model (docs/quality.md L9) and whole-minute splits
(L11), with hypothesis.

The model is a dict of balances and limits. After every step the database's
balances must equal it, sum to zero and sit within their limits, and a
transfer, reversal or change of limits is refused exactly when the model says
it would break a rule.
"""

import uuid

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from core.errors import InvalidInputError
from tests.factories import MemberFactory
from timebank import ledger
from timebank.ledger import AlreadyReversedError, Leg, LimitExceededError, ReversalOfReversalError
from timebank.models import Account, Timebank, TransferKind

LIMITS = st.tuples(st.one_of(st.none(), st.integers(-600, 0)), st.one_of(st.none(), st.integers(0, 600)))


def breaks_a_limit(legs: list[tuple[int, int]], balances: dict, limits: dict) -> bool:
    """The rule, stated independently of timebank.ledger: an entry may not take
    its account below its lowest or above its highest balance, but an entry
    that moves an account toward its limit is always allowed."""
    for pk, minutes in legs:
        low, high = limits[pk]
        new = balances[pk] + minutes
        if minutes < 0 and low is not None and new < low:
            return True
        if minutes > 0 and high is not None and new > high:
            return True
    return False


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each example runs in a savepoint that teardown() rolls back.
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self.timebank = Timebank.objects.create(name="Model", slug=f"model-{uuid.uuid4().hex[:10]}")
        self.accounts: list[Account] = []
        self.balances: dict[int, int] = {}
        self.limits: dict[int, tuple[int | None, int | None]] = {}
        # transfer pk -> {"legs": [(account pk, minutes)], "reversed": bool, "is_reversal": bool, "obj": Transfer}
        self.transfers: dict[int, dict] = {}

    def teardown(self):
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    @initialize(limits=st.lists(LIMITS, min_size=3, max_size=5))
    def open_accounts(self, limits):
        for index, (low, high) in enumerate(limits):
            member = MemberFactory(timebank=self.timebank, user=None, display_name=f"Member {index}")
            account = ledger.account_set_limits(
                account=ledger.account_for_member(member=member), min_balance=low, max_balance=high
            )
            self.accounts.append(account)
            self.balances[account.pk] = 0
            self.limits[account.pk] = (low, high)

    @rule(data=st.data())
    def transfer(self, data):
        payer = data.draw(st.sampled_from(self.accounts), label="payer")
        others = [a for a in self.accounts if a.pk != payer.pk]
        payees = data.draw(st.lists(st.sampled_from(others), min_size=1, max_size=3, unique_by=lambda a: a.pk))
        amounts = data.draw(st.lists(st.integers(1, 300), min_size=len(payees), max_size=len(payees)))
        legs = [(payer.pk, -sum(amounts))] + [(payee.pk, m) for payee, m in zip(payees, amounts)]
        self._post(
            legs,
            lambda: ledger.transfer_post(
                timebank=self.timebank,
                kind=TransferKind.EXCHANGE,
                legs=[Leg(payer, -sum(amounts))] + [Leg(payee, m) for payee, m in zip(payees, amounts)],
            ),
        )

    @rule(data=st.data())
    def reverse(self, data):
        if not self.transfers:
            return
        pk = data.draw(st.sampled_from(sorted(self.transfers)), label="transfer")
        record = self.transfers[pk]
        mirrored = [(account_pk, -minutes) for account_pk, minutes in record["legs"]]
        if record["is_reversal"]:
            expected = ReversalOfReversalError
        elif record["reversed"]:
            expected = AlreadyReversedError
        elif breaks_a_limit(mirrored, self.balances, self.limits):
            expected = LimitExceededError
        else:
            expected = None
        if expected is not None:
            with pytest.raises(expected):
                ledger.transfer_reverse(transfer=record["obj"], reason="model")
            return
        reversal = ledger.transfer_reverse(transfer=record["obj"], reason="model")
        record["reversed"] = True
        self._apply(reversal, mirrored, is_reversal=True)

    @rule(data=st.data(), limits=LIMITS)
    def change_limits(self, data, limits):
        account = data.draw(st.sampled_from(self.accounts), label="account")
        low, high = limits
        balance = self.balances[account.pk]
        allowed = (
            (low is None or balance >= low)
            and (high is None or balance <= high)
            and (low is None or high is None or low <= high)
        )
        if not allowed:
            with pytest.raises(InvalidInputError):
                ledger.account_set_limits(account=account, min_balance=low, max_balance=high)
            return
        ledger.account_set_limits(account=account, min_balance=low, max_balance=high)
        self.limits[account.pk] = (low, high)

    def _post(self, legs, post):
        if breaks_a_limit(legs, self.balances, self.limits):
            with pytest.raises(LimitExceededError):
                post()
            return
        self._apply(post(), legs, is_reversal=False)

    def _apply(self, transfer, legs, *, is_reversal: bool) -> None:
        for pk, minutes in legs:
            self.balances[pk] += minutes
        self.transfers[transfer.pk] = {"legs": legs, "reversed": False, "is_reversal": is_reversal, "obj": transfer}

    @invariant()
    def balances_match_the_model(self):
        stored = {
            pk: (balance, low, high)
            for pk, balance, low, high in Account.objects.filter(timebank=self.timebank).values_list(
                "pk", "balance", "min_balance", "max_balance"
            )
        }
        assert {pk: row[0] for pk, row in stored.items()} == self.balances
        assert {pk: row[1:] for pk, row in stored.items()} == self.limits
        assert sum(self.balances.values()) == 0
        for balance, low, high in stored.values():
            assert low is None or balance >= low
            assert high is None or balance <= high


def test_the_ledger_behaves_like_its_reference_model(db):
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=50,
            stateful_step_count=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


@given(total=st.integers(0, 100_000), parts=st.integers(1, 500))
@settings(max_examples=300, deadline=None, database=None)
def test_split_minutes_keeps_every_minute_in_near_equal_whole_shares(total, parts):
    shares = ledger.split_minutes(total, parts)

    assert sum(shares) == total
    assert len(shares) == parts
    assert all(isinstance(share, int) and share >= 0 for share in shares)
    assert max(shares) - min(shares) <= 1


@pytest.fixture
def group(db, alice):
    """Alice runs a session for up to 12 people with no overdraft limit."""
    learners = []
    for index in range(12):
        member = MemberFactory(user=None, display_name=f"Learner {index}")
        learners.append(ledger.account_set_limits(account=member.account, min_balance=None, max_balance=None))
    return alice.account, learners


@given(data=st.data())
@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_group_transfer_keeps_the_total_whatever_the_split(group, data):
    provider, learners = group
    parts = data.draw(st.integers(1, len(learners)), label="parts")
    total = data.draw(st.integers(parts, 24 * 60), label="total")
    shares = ledger.split_minutes(total, parts)
    with transaction.atomic():
        transfer = ledger.transfer_post(
            timebank=provider.timebank,
            kind=TransferKind.EXCHANGE,
            legs=[Leg(provider, total)] + [Leg(learner, -share) for learner, share in zip(learners, shares)],
        )

        receivers = transfer.entries.exclude(account=provider)
        assert receivers.count() == parts
        assert receivers.aggregate(total=Sum("minutes"))["total"] == -total
        assert transfer.entries.get(account=provider).minutes == total
        assert Account.objects.filter(timebank=provider.timebank).aggregate(total=Sum("balance"))["total"] == 0
        transaction.set_rollback(True)
