"""The demo timebank: believable, complete, idempotent, and a ledger that adds up."""

import io

from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count

from timebank import demo
from timebank.models import (
    Account,
    Entry,
    Exchange,
    ExchangeStatus,
    Listing,
    Member,
    MemberStatus,
    Timebank,
    Transfer,
    User,
)


def counts() -> dict:
    return {
        "users": User.objects.count(),
        "members": Member.objects.count(),
        "listings": Listing.objects.count(),
        "exchanges": Exchange.objects.count(),
        "transfers": Transfer.objects.count(),
        "entries": Entry.objects.count(),
        "statuses": dict(Member.objects.values_list("status").annotate(n=Count("pk")).order_by()),
        "balances": dict(Account.objects.values_list("pk", "balance")),
    }


def test_the_demo_is_a_complete_reading_timebank_whose_ledger_adds_up(db):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    timebank = Timebank.get_default()
    assert timebank.name == "Oxford Road Timebank"
    members = Member.objects.filter(timebank=timebank)
    assert members.count() >= 30
    assert set(members.values_list("postcode_district", flat=True)) >= {"RG1", "RG30", "RG31", "RG4"}
    assert members.filter(user__isnull=True).count() >= 2
    assert members.filter(kind="organisation").exists()
    assert set(members.values_list("status", flat=True)) >= {
        MemberStatus.APPLIED,
        MemberStatus.APPROVED,
        MemberStatus.ACTIVE,
        MemberStatus.PAUSED,
        MemberStatus.LEFT,
    }
    assert members.filter(latitude__isnull=False).count() == members.count()
    assert User.objects.get(username="coordinator").is_coordinator
    assert "coordinator" in printed and demo.DEMO_PASSWORD in printed

    # Offers and requests across the taxonomy, exchanges in every state, the pot.
    assert Listing.objects.values("category").distinct().count() >= 12
    assert set(Listing.objects.values_list("kind", flat=True)) == {"offer", "request"}
    states = set(Exchange.objects.values_list("status", flat=True))
    # "confirmed" is momentary: confirming posts the hours in the same step.
    assert states >= set(ExchangeStatus.values) - {ExchangeStatus.CONFIRMED}
    assert Exchange.objects.filter(status="posted").count() >= 30
    assert Exchange.objects.annotate(n=Count("receiver_links")).filter(n__gt=1).exists()
    assert set(Transfer.objects.values_list("kind", flat=True)) >= {"exchange", "grant", "donation", "gift", "reversal"}
    dates = Exchange.objects.filter(status="posted").values_list("posted_at", flat=True)
    assert (max(dates) - min(dates)).days >= 90

    # The ledger adds up (docs/quality.md L1), by the command and by hand.
    call_command("ledger_check", stdout=io.StringIO())
    for account in Account.objects.all():
        assert account.balance == sum(Entry.objects.filter(account=account).values_list("minutes", flat=True))
        assert account.min_balance is None or account.balance >= account.min_balance
    assert sum(Account.objects.values_list("balance", flat=True)) == 0


def test_seeding_twice_changes_nothing_and_the_printed_logins_work(db, rf):
    demo.seed(stdout=io.StringIO())
    before = counts()
    logins = demo.seed(stdout=io.StringIO())
    assert counts() == before
    assert ("coordinator", "coordinator", demo.DEMO_PASSWORD) in logins
    for _, username, password in logins:
        assert authenticate(rf.post("/login/"), username=username, password=password) is not None, username
