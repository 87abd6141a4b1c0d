"""The timebank reports read the ledger's summaries: the same figures as the
entries give, counted on the day the help happened, in a fixed number of
queries, through the reports replica, with the time the figures were true."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from brokering.selectors.reports import Period, report_build
from core import replica
from tests.brokering.factories import exchange, member_at, request_for
from tests.factories import ListingFactory, category
from timebank import ledger
from timebank.models import Listing, Member, TransferKind

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
AUTUMN = Period(datetime.date(2025, 10, 1), datetime.date(2025, 11, 30))
LEDGER_REPORTS = ["overview", "categories", "monthly"]


def at(day: str, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=LONDON)


def give(provider, receivers, minutes, *, helped_on: str | None, recorded: str, slug: str | None = "gardening"):
    """An exchange of `minutes` from provider to receivers, helped on one day and
    recorded on another (the clock is moved: ledger rows are append-only).
    slug=None posts the transfer with no exchange at all, as older records were."""
    made = None
    if slug is not None:
        listing = ListingFactory(member=provider, kind="offer", category=category(slug))
        made = exchange(
            provider,
            receivers[0],
            status="posted",
            listing=listing,
            helped_on=datetime.date.fromisoformat(helped_on) if helped_on else None,
        )
        for other in receivers[1:]:
            made.receiver_links.create(member=other)
    shares = ledger.split_minutes(minutes, len(receivers))
    with time_machine.travel(at(recorded), tick=False):
        return ledger.transfer_post(
            timebank=provider.timebank,
            kind=TransferKind.EXCHANGE,
            legs=[ledger.Leg(ledger.account_for_member(member=provider), minutes)]
            + [ledger.Leg(ledger.account_for_member(member=r), -s) for r, s in zip(receivers, shares, strict=True)],
            exchange=made,
        )


@pytest.fixture
def autumn(timebank):
    ann, ben, cat, dan, eve = (member_at(name) for name in ["Ann", "Ben", "Cat", "Dan", "Eve"])
    give(ann, [ben], 90, helped_on="2025-10-06", recorded="2025-10-07")
    # Helped on the last day of October, recorded in November: an October exchange.
    give(ben, [ann], 60, helped_on="2025-10-31", recorded="2025-11-02", slug="music")
    # A group exchange: one exchange, 100 minutes, shared 50 + 50.
    give(cat, [dan, eve], 100, helped_on="2025-11-10", recorded="2025-11-10", slug="music")
    # Reversed the next day: counted nowhere.
    wrong = give(ann, [dan], 30, helped_on="2025-11-12", recorded="2025-11-12")
    with time_machine.travel(at("2025-11-13"), tick=False):
        ledger.transfer_reverse(transfer=wrong, reason="recorded twice")
    # Helped before the period, recorded in it: not this period's.
    give(dan, [ann], 45, helped_on="2025-09-20", recorded="2025-10-01")
    # Posted with no exchange (no day of help, no category): counts on the day recorded.
    give(eve, [cat], 20, helped_on=None, recorded="2025-11-20", slug=None)
    # The community pot: a grant and a donation in the period, a grant reversed in
    # the period (out, then back in), and a grant after it.
    with time_machine.travel(at("2025-10-15"), tick=False):
        ledger.pot_grant(member=eve, minutes=120)
    with time_machine.travel(at("2025-11-05"), tick=False):
        ledger.pot_donate(member=ann, minutes=30)
    with time_machine.travel(at("2025-11-01"), tick=False):
        mistaken = ledger.pot_grant(member=dan, minutes=60)
    with time_machine.travel(at("2025-11-03"), tick=False):
        ledger.transfer_reverse(transfer=mistaken, reason="meant for someone else")
    with time_machine.travel(at("2025-12-05"), tick=False):
        ledger.pot_grant(member=ben, minutes=240)
    # Members: Ann approved in October, Ben in November, the others long before.
    Member.objects.filter(pk__in=[cat.pk, dan.pk, eve.pk]).update(
        approved_at=at("2025-01-10"), joined_at=at("2025-01-05"), first_exchange_at=at("2025-02-01")
    )
    Member.objects.filter(pk=ann.pk).update(
        approved_at=at("2025-10-03"), joined_at=at("2025-10-01"), first_exchange_at=at("2025-10-07")
    )
    Member.objects.filter(pk=ben.pk).update(
        approved_at=at("2025-11-04"), joined_at=at("2025-10-03"), first_exchange_at=at("2025-10-07")
    )
    # Requests: one matched after 2 days in the period; one still waiting at its end.
    matched = request_for(ann, where="public")
    Listing.objects.filter(pk=matched.pk).update(created_at=at("2025-10-02"), matched_at=at("2025-10-04"))
    waiting = request_for(ben, where="public")
    Listing.objects.filter(pk=waiting.pk).update(created_at=at("2025-11-01"))
    return {"ann": ann, "ben": ben, "cat": cat, "dan": dan, "eve": eve}


def build(slug, timebank, period=AUTUMN):
    return report_build(slug=slug, timebank=timebank, period=period)


def test_the_overview_gives_the_hand_computed_figures_from_the_summaries(autumn, timebank):
    report = build("overview", timebank)
    assert dict(report.rows) == {
        # 90 + 60 + 100 + 20 minutes: the reversed one and the one helped in September are left out.
        "Hours exchanged": "4.5",
        "Exchanges": "4",
        "Active members": "5",
        "New members": "2",  # Ann and Ben
        # Ann, Ben, Cat and Eve gave in one exchange and received in another; Dan only received.
        "Members who both gave and received": "4 (80% of active members)",
        "Median days from joining to first exchange": "5.0",  # Ann 6 days, Ben 4 days
        "Median days a request waited for a match": "2.0",
        "Requests still waiting at the end of the period": "1",
        # Ann: Ben; Ben: Ann; Cat: Dan, Eve; Dan: Cat, Eve; Eve: Cat, Dan -> 8 / 5.
        "Average different exchange partners per active member": "1.6",
        "Community pot: hours in": "1.5",  # Ann's 30-minute donation, the 60-minute grant taken back
        "Community pot: hours out": "3",  # Eve's 120 and Dan's 60 before it was reversed
    }


def test_the_definitions_say_exchanges_count_on_the_day_of_the_help(autumn, timebank):
    definitions = dict(build("overview", timebank).definitions)
    assert "given in the period" in definitions["Exchanges"]
    assert "The day of the help is used" in definitions["Exchanges"]
    assert "recorded in the period" not in " ".join(definitions.values())
    assert "day the help happened" in dict(build("monthly", timebank).definitions)["Exchanges"]
    assert "day the help happened" in dict(build("categories", timebank).definitions)["Exchanges"]


def test_hours_by_category_come_from_the_summaries(autumn, timebank):
    assert build("categories", timebank).rows == [
        ["Music", "2", "2.67"],  # 60 + 100 minutes
        ["Gardening", "1", "1.5"],  # 90; the reversed 30 is gone
        ["No category", "1", "0.33"],  # the transfer posted with no exchange
    ]


def test_the_monthly_report_counts_each_exchange_in_the_month_of_its_help(autumn, timebank):
    assert build("monthly", timebank).rows == [
        ["October 2025", "2", "2.5", "1"],  # 90 + 60 (helped 31 October, recorded 2 November); Ann joined
        ["November 2025", "2", "2", "1"],  # 100 + 20; Ben joined
    ]


def test_an_exchange_helped_on_31_october_and_recorded_on_2_november_is_octobers(timebank):
    ann, ben = member_at("Ann"), member_at("Ben")
    give(ann, [ben], 75, helped_on="2025-10-31", recorded="2025-11-02")
    rows = build("monthly", timebank).rows
    assert rows[0][:3] == ["October 2025", "1", "1.25"]
    assert rows[1][:3] == ["November 2025", "0", "0"]
    november = Period(datetime.date(2025, 11, 1), datetime.date(2025, 11, 30))
    assert dict(build("overview", timebank, november).rows)["Exchanges"] == "0"
    october = Period(datetime.date(2025, 10, 31), datetime.date(2025, 10, 31))
    figures = dict(build("overview", timebank, october).rows)
    assert (figures["Exchanges"], figures["Active members"]) == ("1", "2")


def _add_exchanges(people, numbers: range) -> None:
    for n in numbers:
        provider, receiver = people[n % 6], people[(n + 1 + n // 6) % 6]
        if provider == receiver:
            receiver = people[(n + 2) % 6]
        give(
            provider,
            [receiver],
            30 + n % 4 * 15,
            helped_on=str(AUTUMN.start + datetime.timedelta(days=n % 60)),
            recorded=str(AUTUMN.start + datetime.timedelta(days=n % 60 + 1)),
            slug=["gardening", "music", "pets"][n % 3],
        )


def _queries_per_report(timebank) -> dict[str, int]:
    counts = {}
    for slug in LEDGER_REPORTS:
        with CaptureQueriesContext(connection) as captured:
            build(slug, timebank)
        counts[slug] = len(captured.captured_queries)
    return counts


def test_each_report_takes_the_same_number_of_queries_for_10_and_100_exchanges(timebank):
    people = [member_at(f"Person {i}") for i in range(6)]
    _add_exchanges(people, range(10))
    with_ten = _queries_per_report(timebank)
    assert dict(build("overview", timebank).rows)["Exchanges"] == "10"
    _add_exchanges(people, range(10, 100))
    assert dict(build("overview", timebank).rows)["Exchanges"] == "100"
    assert _queries_per_report(timebank) == with_ten
    assert with_ten["overview"] <= 10


def query(coordinator, client, timebank, path: str):
    client.force_login(coordinator)
    return client.get(f"{path}?timebank={timebank.pk}&start={AUTUMN.start}&end={AUTUMN.end}")


def test_a_report_page_says_when_its_figures_were_true(autumn, timebank, coordinator, client, monkeypatch):
    true_at = datetime.datetime(2025, 12, 1, 9, 5, tzinfo=datetime.UTC)
    monkeypatch.setattr("brokering.views.reports_as_of", lambda: true_at)
    page = query(coordinator, client, timebank, "/coordinator/reports/monthly/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Figures as of 1 December 2025, 9:05 a.m." in text
    assert text.index("Figures as of") > text.index("<h1>Month by month</h1>")
    summary = query(coordinator, client, timebank, "/coordinator/reports/funder-summary/")
    assert "Figures as of 1 December 2025, 9:05 a.m." in summary.content.decode()


def test_the_csv_stays_a_plain_table_and_gives_the_time_in_a_header(autumn, timebank, coordinator, client, monkeypatch):
    true_at = datetime.datetime(2025, 12, 1, 9, 5, tzinfo=datetime.UTC)
    monkeypatch.setattr("brokering.views.reports_as_of", lambda: true_at)
    download = query(coordinator, client, timebank, "/coordinator/reports/categories/csv/")
    assert download.status_code == 200
    assert download["X-Figures-As-Of"] == "2025-12-01T09:05:00+00:00"  # London is on GMT in December
    lines = download.content.decode().splitlines()
    assert lines[0] == "Category,Exchanges,Hours" and "Figures as of" not in download.content.decode()
    assert lines[1:] == ["Music,2,2.67", "Gardening,1,1.5", "No category,1,0.33"]


# The tables only the reports read: every query on them must be inside reading_reports().
REPORT_TABLES = ("timebank_ledgerday", "timebank_accountday", "timebank_partnerday", "referrals_referral")


@pytest.mark.parametrize(
    "path",
    [
        "/coordinator/reports/overview/",
        "/coordinator/reports/overview/csv/",
        "/coordinator/reports/categories/",
        "/coordinator/reports/monthly/csv/",
        "/coordinator/reports/referrals-source/",
        "/coordinator/reports/funder-summary/",
    ],
)
def test_report_reads_go_through_the_reports_database(autumn, timebank, coordinator, client, path):
    seen: list[tuple[str, bool]] = []

    def record(execute, sql, params, many, context):
        seen.append((sql, replica._reading_reports.get()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = query(coordinator, client, timebank, path)
    assert response.status_code == 200
    report_reads = [(sql, inside) for sql, inside in seen if any(f'"{t}"' in sql for t in REPORT_TABLES)]
    assert report_reads, "the report read nothing"
    assert all(inside for _, inside in report_reads), [sql for sql, inside in report_reads if not inside]
    # Nothing else the page does (the session, the coordinator's timebanks) is sent to the replica.
    assert any(not inside for _, inside in seen)
