from timebank import ledger
from timebank.models import Account, Entry


def test_alice_gardens_two_hours_for_bob_and_balances_move(alice, bob, timebank):
    ledger.transfer_post(
        timebank=timebank,
        kind="exchange",
        legs=[ledger.Leg(bob.account, -120), ledger.Leg(alice.account, 120)],
        memo="Gardening",
    )
    assert Account.objects.get(member=alice).balance == 120
    assert Account.objects.get(member=bob).balance == -120
    assert Entry.objects.count() == 2


def test_migrations_seed_roles_and_default_timebank(roles_exist, timebank):
    assert {"member", "coordinator", "link-worker", "group-organiser", "admin"} <= roles_exist
    assert timebank.accounts.filter(kind="pot").count() == 1
