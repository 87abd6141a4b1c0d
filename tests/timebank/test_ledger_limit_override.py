"""A coordinator's correction past an account's limit (issue 16): refused without an
override, let through with one, the limit widened and the override on the record."""

import pytest

from tests.factories import MemberFactory, UserFactory
from timebank import ledger
from timebank.management.commands.ledger_check import check_ledger
from timebank.models import Account, LimitOverride, Role, TransferKind


@pytest.fixture
def gift_then_spent(timebank):
    """Bea was given 3 hours and spent them: reversing the gift would take her to -3 hours."""
    ann = MemberFactory(timebank=timebank, user=None, display_name="Ann")
    bea = MemberFactory(timebank=timebank, user=None, display_name="Bea")
    cal = MemberFactory(timebank=timebank, user=None, display_name="Cal")
    _, b, c = (ledger.account_for_member(member=m) for m in (ann, bea, cal))
    ledger.account_set_limits(account=b, min_balance=-60, max_balance=None)
    gift = ledger.gift(giver=ann, receiver=bea, minutes=180)
    ledger.transfer_post(timebank=timebank, kind=TransferKind.GIFT, legs=[ledger.Leg(b, -180), ledger.Leg(c, 180)])
    return gift, b


@pytest.mark.django_db(transaction=True)
def test_a_reversal_past_the_limit_is_refused_without_an_override(gift_then_spent):
    gift, bea = gift_then_spent
    with pytest.raises(ledger.LimitExceededError, match="does not have enough hours"):
        ledger.transfer_reverse(transfer=gift, reason="Given to the wrong member")
    assert not gift.__class__.objects.filter(reverses=gift).exists()
    assert Account.objects.get(pk=bea.pk).balance == 0
    assert not LimitOverride.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_coordinator_override_lets_it_through_and_is_on_the_record(gift_then_spent):
    gift, bea = gift_then_spent
    coordinator = UserFactory(username="cora", roles=[Role.COORDINATOR])
    reversal = ledger.transfer_reverse(
        transfer=gift, reason="Given to the wrong member", recorded_by=coordinator, override_limits_by=coordinator
    )
    account = Account.objects.get(pk=bea.pk)
    assert account.balance == -180
    # The limit now sits at the balance the correction left; nothing more can be spent.
    assert account.min_balance == -180
    override = LimitOverride.objects.get(transfer=reversal)
    assert override.account_id == bea.pk
    assert override.recorded_by == coordinator
    assert override.reason == "Given to the wrong member"
    assert (override.min_balance_before, override.min_balance_after) == (-60, -180)
    assert check_ledger().ok
    # Only the account that needed it was widened.
    assert LimitOverride.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_override_that_was_not_needed_records_nothing(timebank):
    ann = MemberFactory(timebank=timebank, user=None, display_name="Ann")
    bea = MemberFactory(timebank=timebank, user=None, display_name="Bea")
    coordinator = UserFactory(username="cora", roles=[Role.COORDINATOR])
    gift = ledger.gift(giver=ann, receiver=bea, minutes=30)
    ledger.transfer_reverse(transfer=gift, reason="Typed twice", override_limits_by=coordinator)
    assert not LimitOverride.objects.exists()
    assert check_ledger().ok
