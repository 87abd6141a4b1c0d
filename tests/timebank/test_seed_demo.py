"""The demo timebank: believable, complete, idempotent, and a ledger that adds up."""

import datetime
import io
import re
from html import unescape

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

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
    # Months of help, each counted on the day it was given, as far back as help may be recorded.
    helped = list(Exchange.objects.filter(status="posted").values_list("helped_on", flat=True))
    furthest = settings.EXCHANGE_HELP_DATE_MAX_DAYS_BACK
    assert None not in helped
    assert (max(helped) - min(helped)).days >= furthest - 15
    assert len({(day.year, day.month) for day in helped}) >= 3
    assert min(helped) >= timezone.localdate() - datetime.timedelta(days=furthest)

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


def _members_listed(client, query: str = "") -> set[str]:
    """The member names on every page of /coordinator/members/ for the logged-in coordinator."""
    names: set[str] = set()
    for number in range(1, 10):
        response = client.get(f"/coordinator/members/?page={number}{query}")
        assert response.status_code == 200
        html = response.content.decode()
        names |= set(re.findall(r'<a href="/coordinator/members/[0-9a-f-]{36}/">([^<]+)</a>', html))
        if f"page={number + 1}" not in html:
            return {unescape(name) for name in names}
    raise AssertionError("Too many pages of members.")


def test_each_demo_coordinator_sees_only_their_timebank_and_the_network_admin_both(client, db):
    demo.seed(stdout=io.StringIO())
    oxford_road = Timebank.get_default()
    caversham = Timebank.objects.get(slug="caversham")
    assert (caversham.name, caversham.area) == ("Caversham Timebank", "Caversham and Emmer Green, Reading")
    oxford_names = set(Member.objects.filter(timebank=oxford_road).values_list("display_name", flat=True))
    caversham_names = set(Member.objects.filter(timebank=caversham).values_list("display_name", flat=True))
    assert 6 <= len(caversham_names) <= 8 and not oxford_names & caversham_names
    # Caversham has its own offers and requests, and exchanges posted through the ledger.
    assert Listing.objects.filter(timebank=caversham, kind="offer").exists()
    assert Listing.objects.filter(timebank=caversham, kind="request").exists()
    assert Exchange.objects.filter(timebank=caversham, status=ExchangeStatus.POSTED).count() >= 3
    assert sum(Account.objects.filter(timebank=caversham).values_list("balance", flat=True)) == 0
    assert list(caversham.coordinators.values_list("username", flat=True)) == ["caversham-coordinator"]
    # Its own categories, copied from the template when it was started; its listings use them.
    assert caversham.categories.filter(slug="gardening").exists()
    assert not Listing.objects.filter(timebank=caversham).exclude(category__timebank=caversham).exists()
    assert not Listing.objects.exclude(timebank=caversham).filter(category__timebank=caversham).exists()
    assert list(oxford_road.coordinators.values_list("username", flat=True)) == ["coordinator"]

    def log_in(username: str) -> None:
        client.logout()
        assert client.post("/login/", {"username": username, "password": demo.DEMO_PASSWORD}).status_code == 302

    log_in("coordinator")
    assert _members_listed(client) == oxford_names
    assert client.get("/coordinator/members/?coordinating=caversham").status_code == 404

    log_in("caversham-coordinator")
    assert _members_listed(client) == caversham_names
    assert client.get(f"/coordinator/members/?coordinating={oxford_road.slug}").status_code == 404

    log_in("network-admin")
    assert _members_listed(client, "&coordinating=caversham") == caversham_names
    assert _members_listed(client, f"&coordinating={oxford_road.slug}") == oxford_names
    timebanks_page = client.get("/network/timebanks/").content.decode()
    assert "Caversham Timebank" in timebanks_page and "Oxford Road Timebank" in timebanks_page


def test_the_demo_has_a_member_who_reads_in_welsh_and_is_written_to_in_welsh(
    client, db, django_capture_on_commit_callbacks
):
    from django.core import mail
    from django.utils import translation

    from timebank.notifications import notify

    demo.seed(stdout=io.StringIO())
    eileen = Member.objects.get(display_name="Eileen Clarke")
    assert eileen.language == "cy"

    assert client.post("/login/", {"username": eileen.user.email, "password": demo.DEMO_PASSWORD}).status_code == 302
    home = client.get("/").content.decode()
    assert '<html lang="cy">' in home
    with translation.override("cy"):
        welsh_skip_link = translation.gettext("Skip to main content")
    assert welsh_skip_link != "Skip to main content" and welsh_skip_link in home

    # Written to in Welsh, whatever the language of whoever caused the e-mail.
    mail.outbox.clear()
    with translation.override("en-gb"), django_capture_on_commit_callbacks(execute=True):
        notify(
            to_member=eileen,
            subject=translation.gettext_lazy("Finish joining: confirm your e-mail address"),
            template="emails/listing_reminder.txt",
            context={"listings": [], "days": 30},
        )
    with translation.override("cy"):
        assert mail.outbox[-1].subject.endswith(translation.gettext("Finish joining: confirm your e-mail address"))
    assert "Finish joining" not in mail.outbox[-1].subject
