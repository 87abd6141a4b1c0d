"""Every report figure against a hand-computed scenario; the CSV matches the table."""

import csv
import datetime
import html as html_lib
import io
import re

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from brokering.selectors.reports import Period, report_build
from tests.brokering.factories import exchange, member_at, request_for
from tests.factories import ListingFactory, category
from timebank import ledger
from timebank.models import Member, TransferKind

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PERIOD_START = TODAY - datetime.timedelta(days=30)


def at(days_ago: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days_ago)


def post_exchange(provider, receivers, minutes, *, days_ago, slug="gardening"):
    """An exchange posted to the ledger `days_ago` days ago (the clock is moved back:
    ledger rows are append-only, so their time cannot be changed afterwards)."""
    listing = ListingFactory(member=provider, kind="offer", category=category(slug))
    made = exchange(provider, receivers[0], status="posted", listing=listing)
    for other in receivers[1:]:
        made.receiver_links.create(member=other)
    shares = ledger.split_minutes(minutes, len(receivers))
    with time_machine.travel(at(days_ago)):
        return ledger.transfer_post(
            timebank=provider.timebank,
            kind=TransferKind.EXCHANGE,
            legs=[ledger.Leg(ledger.account_for_member(member=provider), minutes)]
            + [ledger.Leg(ledger.account_for_member(member=r), -s) for r, s in zip(receivers, shares)],
            exchange=made,
        )


@pytest.fixture
def scenario(timebank):
    ann, ben, cat, dan, eve = (member_at(name) for name in ["Ann", "Ben", "Cat", "Dan", "Eve"])
    # In the period: Ann gives Ben 90 min of gardening; Ben gives Ann 60 min of music;
    # Cat gives a 100-minute music workshop to Dan and Eve (shares 50 + 50).
    post_exchange(ann, [ben], 90, days_ago=5)
    post_exchange(ben, [ann], 60, days_ago=4, slug="music")
    post_exchange(cat, [dan, eve], 100, days_ago=3, slug="music")
    # Reversed later: not counted anywhere.
    wrong = post_exchange(ann, [dan], 30, days_ago=2)
    with time_machine.travel(at(1)):
        ledger.transfer_reverse(transfer=wrong, reason="recorded twice")
    # Before the period: not counted.
    post_exchange(dan, [ann], 45, days_ago=60)
    # The community pot: a 120-minute grant and a 30-minute donation in the period.
    with time_machine.travel(at(2)):
        ledger.pot_grant(member=eve, minutes=120)
        ledger.pot_donate(member=ann, minutes=30)
    # New members: Ann and Ben approved in the period, Cat before it.
    Member.objects.filter(pk__in=[ann.pk, ben.pk]).update(approved_at=at(10))
    Member.objects.filter(pk=cat.pk).update(approved_at=at(90))
    # Joining to first exchange: Ann 2 days, Ben 4 days (in the period); Dan's was before it.
    Member.objects.filter(pk=ann.pk).update(joined_at=at(12), first_exchange_at=at(10))
    Member.objects.filter(pk=ben.pk).update(joined_at=at(12), first_exchange_at=at(8))
    Member.objects.filter(pk=dan.pk).update(joined_at=at(100), first_exchange_at=at(60))
    # Requests: matched after 1 and 3 days in the period; one still waiting.
    for waited, days_ago in [(1, 6), (3, 7)]:
        made = request_for(ann, where="public")
        type(made).objects.filter(pk=made.pk).update(created_at=at(days_ago + waited), matched_at=at(days_ago))
    request_for(ben, where="public")
    return {"ann": ann, "ben": ben, "cat": cat, "dan": dan, "eve": eve}


def figures(timebank):
    report = report_build(slug="overview", timebank=timebank, period=Period(PERIOD_START, TODAY))
    return dict(report.rows)


def test_the_overview_matches_the_hand_computed_scenario(scenario, timebank):
    values = figures(timebank)
    assert values["Hours exchanged"] == "4.17"  # 90 + 60 + 100 = 250 minutes
    assert values["Exchanges"] == "3"
    assert values["Active members"] == "5"  # Ann, Ben, Cat, Dan, Eve
    assert values["New members"] == "2"
    assert values["Members who both gave and received"] == "2 (40% of active members)"  # Ann and Ben
    assert values["Median days from joining to first exchange"] == "3.0"  # median of 2 and 4
    assert values["Median days a request waited for a match"] == "2.0"  # median of 1 and 3
    assert values["Requests still waiting at the end of the period"] == "1"
    # Partners: Ann 1 (Ben), Ben 1 (Ann), Cat 2 (Dan, Eve), Dan 2 (Cat, Eve), Eve 2 (Cat, Dan) -> 8 / 5.
    assert values["Average different exchange partners per active member"] == "1.6"
    assert values["Community pot: hours in"] == "0.5"
    assert values["Community pot: hours out"] == "2"


def test_an_empty_period_reports_zeros_and_no_data(timebank):
    values = figures(timebank)
    assert values["Hours exchanged"] == "0"
    assert values["Active members"] == "0"
    assert values["Median days a request waited for a match"] == "no data"


def test_hours_by_category_counts_each_exchange_once(scenario, timebank):
    report = report_build(slug="categories", timebank=timebank, period=Period(PERIOD_START, TODAY))
    assert report.rows == [["Music", "2", "2.67"], ["Gardening", "1", "1.5"]]


def test_the_monthly_report_has_every_month_and_adds_up(scenario, timebank):
    report = report_build(slug="monthly", timebank=timebank, period=Period(PERIOD_START, TODAY))
    months = [row[0] for row in report.rows]
    assert months[0] == f"{PERIOD_START:%B %Y}" and months[-1] == f"{TODAY:%B %Y}"
    assert sum(int(row[1]) for row in report.rows) == 3
    assert sum(int(row[3]) for row in report.rows) == 2


def _table_rows(html: str, slug: str) -> list[list[str]]:
    table = re.search(rf'<table id="report-{slug}">(.*?)</table>', html, re.S).group(1)
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        rows.append(
            [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        )
    return rows


@pytest.mark.parametrize("slug", ["overview", "categories", "monthly"])
def test_the_csv_download_matches_the_table_on_the_page(scenario, timebank, coordinator, client, slug):
    client.force_login(coordinator)
    query = f"?timebank={timebank.pk}&start={PERIOD_START}&end={TODAY}"
    page = client.get(f"/coordinator/reports/{slug}/{query}")
    download = client.get(f"/coordinator/reports/{slug}/csv/{query}")
    assert page.status_code == 200 and download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    table = [[html_lib.unescape(cell) for cell in row] for row in _table_rows(page.content.decode(), slug)]
    assert list(csv.reader(io.StringIO(download.content.decode()))) == table
    assert len(table) > 1
    assert "<svg" in page.content.decode() and "<figcaption" in page.content.decode()


def test_a_report_page_states_its_definitions(scenario, timebank, coordinator, client):
    client.force_login(coordinator)
    page = client.get(f"/coordinator/reports/overview/?timebank={timebank.pk}&start={PERIOD_START}&end={TODAY}")
    text = page.content.decode()
    assert "What the figures mean" in text
    assert "System accounts (the community pot, opening balances) are never counted as members" in text


def test_a_bad_period_comes_back_with_the_message_next_to_the_field(timebank, coordinator, client):
    client.force_login(coordinator)
    page = client.get(f"/coordinator/reports/overview/?timebank={timebank.pk}&start={TODAY}&end={PERIOD_START}")
    assert page.status_code == 200
    assert "The last day must be on or after the first day." in page.content.decode()
    csv_page = client.get(f"/coordinator/reports/overview/csv/?timebank={timebank.pk}&start=nonsense&end={TODAY}")
    assert csv_page.status_code == 302


def test_the_funder_summary_shows_every_report_with_print_styles(scenario, timebank, coordinator, client):
    client.force_login(coordinator)
    page = client.get(f"/coordinator/reports/funder-summary/?timebank={timebank.pk}&start={PERIOD_START}&end={TODAY}")
    text = page.content.decode()
    assert page.status_code == 200
    # The print styles are in a stylesheet file (the Content-Security-Policy allows no inline <style>).
    assert '<link rel="stylesheet" href="/static/brokering/reports.css">' in text
    assert "size: A4" in (settings.BASE_DIR / "static" / "brokering" / "reports.css").read_text()
    for title in ["Overview", "Hours by category", "Month by month"]:
        assert f"<h2>{title}</h2>" in text


def test_report_pages_take_the_same_number_of_queries_however_many_exchanges(
    timebank, coordinator, client, django_assert_max_num_queries
):
    ann, ben = member_at("Ann"), member_at("Ben")
    client.force_login(coordinator)
    url = f"/coordinator/reports/overview/?timebank={timebank.pk}&start={PERIOD_START}&end={TODAY}"
    post_exchange(ann, [ben], 30, days_ago=1)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for _ in range(10):
        post_exchange(ann, [ben], 30, days_ago=1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
