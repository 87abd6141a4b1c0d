"""When the help happened (issue 16): the day the help was given is asked for
when the time is recorded (the provider's page, the coordinator's record for
members, resolving a dispute, the API), checked (not in the future, not too
long ago), shown on the exchange's page and on statements, and counted in the
reports in the month the help was given."""

import datetime

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from brokering.selectors.reports import Period, monthly_report
from core.errors import InvalidInputError
from tests.factories import MemberFactory
from tests.timebank.test_exchanges_services import exchange_in
from timebank.models import Exchange, ExchangeStatus, LedgerDay, TransferKind
from timebank.services import exchanges as svc

S = ExchangeStatus


def today() -> datetime.date:
    return timezone.localdate()


def days_ago(days: int) -> datetime.date:
    return today() - datetime.timedelta(days=days)


def long_date(day: datetime.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def record_page(client, exchange, **data):
    return client.post(reverse("timebank:exchange-action", args=[exchange.public_id, "record"]), data)


def exchange_days(timebank) -> dict[datetime.date, int]:
    """Exchange transfers counted per day in the summaries (PostgreSQL spreads a day over slots)."""
    counted: dict[datetime.date, int] = {}
    for row in LedgerDay.objects.filter(timebank=timebank, kind=TransferKind.EXCHANGE):
        counted[row.day] = counted.get(row.day, 0) + row.transfers
    return {day: n for day, n in counted.items() if n}


# --- Recording the day ------------------------------------------------------------------


def test_the_day_defaults_to_today_and_is_shown_on_the_exchange_page(client, alice, bob):
    exchange = exchange_in(S.ACCEPTED, bob, [alice])
    client.force_login(bob.user)
    assert record_page(client, exchange, minutes="1 hour", helped_on="").status_code == 302
    exchange.refresh_from_db()
    assert (exchange.status, exchange.minutes, exchange.helped_on) == (S.DONE, 60, today())
    page = client.get(reverse("timebank:exchange-detail", args=[exchange.public_id])).content.decode()
    assert "Help given on" in page and long_date(today()) in page


def test_a_day_in_the_past_is_stored_shown_and_written_in_the_history(client, alice, bob):
    exchange = exchange_in(S.ACCEPTED, bob, [alice])
    given = days_ago(4)
    client.force_login(bob.user)
    assert record_page(client, exchange, minutes="90", helped_on=given.isoformat()).status_code == 302
    exchange.refresh_from_db()
    assert exchange.helped_on == given
    for who in (alice, bob):
        client.force_login(who.user)
        page = client.get(reverse("timebank:exchange-detail", args=[exchange.public_id])).content.decode()
        assert long_date(given) in page
    assert exchange.history.get(to_status=S.DONE).note == f"1½ hours recorded, help given on {long_date(given)}"


def test_the_record_form_asks_for_the_day(client, alice, bob):
    exchange = exchange_in(S.ACCEPTED, bob, [alice])
    client.force_login(bob.user)
    page = client.get(reverse("timebank:exchange-detail", args=[exchange.public_id])).content.decode()
    assert 'name="helped_on"' in page and 'type="date"' in page and "When was the help given?" in page


def test_a_day_in_the_future_is_refused_next_to_the_field_and_nothing_changes(client, alice, bob):
    exchange = exchange_in(S.ACCEPTED, bob, [alice])
    client.force_login(bob.user)
    tomorrow = today() + datetime.timedelta(days=1)
    response = record_page(client, exchange, minutes="1 hour", helped_on=tomorrow.isoformat())
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_record_helped_on_error"' in html
    assert "The day the help was given cannot be in the future." in html
    exchange.refresh_from_db()
    assert (exchange.status, exchange.minutes, exchange.helped_on) == (S.ACCEPTED, None, None)


def test_help_too_long_ago_is_refused_with_the_limit_in_the_message(alice, bob, settings):
    exchange = exchange_in(S.ACCEPTED, bob, [alice])
    with pytest.raises(InvalidInputError) as refused:
        svc.exchange_record(exchange=exchange, by_user=bob.user, minutes=60, helped_on=days_ago(91))
    assert refused.value.field == "helped_on"
    assert "in the last 90 days" in refused.value.message
    settings.EXCHANGE_HELP_DATE_MAX_DAYS_BACK = 30
    with pytest.raises(InvalidInputError, match="in the last 30 days"):
        svc.exchange_record(exchange=exchange, by_user=bob.user, minutes=60, helped_on=days_ago(31))
    exchange.refresh_from_db()
    assert exchange.status == S.ACCEPTED and exchange.helped_on is None
    # The furthest day allowed is fine.
    svc.exchange_record(exchange=exchange, by_user=bob.user, minutes=60, helped_on=days_ago(30))
    exchange.refresh_from_db()
    assert exchange.helped_on == days_ago(30)


def test_a_bad_date_comes_back_in_plain_words(client, alice, bob):
    exchange = exchange_in(S.ACCEPTED, bob, [alice])
    client.force_login(bob.user)
    response = record_page(client, exchange, minutes="1 hour", helped_on="last tuesday")
    assert "Enter the day the help was given, like 27/3/2026" in response.content.decode()
    exchange.refresh_from_db()
    assert exchange.status == S.ACCEPTED


# --- Coordinators and disputes ---------------------------------------------------------------


def test_a_coordinator_records_older_help_for_offline_members_within_the_limit(coordinator, timebank):
    provider = MemberFactory(user=None, display_name="Doreen", email="")
    receiver = MemberFactory(user=None, email="")
    given = days_ago(60)
    exchange = svc.exchange_record_for_members(
        provider=provider,
        receivers=[receiver],
        minutes=60,
        by_user=coordinator,
        description="Shopping",
        occurred_on=given,
    )
    exchange.refresh_from_db()
    assert exchange.status == S.POSTED and exchange.helped_on == given
    assert exchange_days(timebank) == {given: 1}
    with pytest.raises(InvalidInputError) as refused:
        svc.exchange_record_for_members(
            provider=provider,
            receivers=[receiver],
            minutes=60,
            by_user=coordinator,
            description="Shopping",
            occurred_on=days_ago(91),
        )
    assert refused.value.field == "occurred_on" and "90 days" in refused.value.message
    assert Exchange.objects.count() == 1


def test_the_coordinator_form_says_how_far_back_help_can_be_recorded(client, coordinator):
    client.force_login(coordinator)
    with override_settings(EXCHANGE_HELP_DATE_MAX_DAYS_BACK=45):
        page = client.get(reverse("timebank:record-exchange")).content.decode()
    assert "Help given up to 45 days ago can be recorded." in page


def test_resolving_a_dispute_can_change_the_day_before_the_hours_are_posted(alice, bob, coordinator, timebank):
    exchange = exchange_in(S.DISPUTED, bob, [alice], minutes=120)
    given = days_ago(10)
    svc.exchange_resolve(
        exchange=exchange, by_user=coordinator, outcome="change", minutes=60, helped_on=given, note="Agreed by phone"
    )
    exchange.refresh_from_db()
    assert (exchange.status, exchange.minutes, exchange.helped_on) == (S.POSTED, 60, given)
    assert "Day the help was given changed to" in exchange.history.get(to_status=S.CONFIRMED).note
    assert exchange_days(timebank) == {given: 1}


def test_resolving_refuses_a_day_in_the_future(alice, bob, coordinator):
    exchange = exchange_in(S.DISPUTED, bob, [alice])
    with pytest.raises(InvalidInputError) as refused:
        svc.exchange_resolve(
            exchange=exchange,
            by_user=coordinator,
            outcome="change",
            minutes=60,
            helped_on=today() + datetime.timedelta(days=2),
            note="x",
        )
    assert refused.value.field == "helped_on"
    exchange.refresh_from_db()
    assert exchange.status == S.DISPUTED


# --- Statements -------------------------------------------------------------------------------


def _posted_helped_on(provider, receiver, given):
    exchange = exchange_in(S.ACCEPTED, provider, [receiver])
    svc.exchange_record(exchange=exchange, by_user=provider.user, minutes=90, helped_on=given)
    svc.exchange_confirm(exchange=exchange, by_user=receiver.user)
    return exchange


def test_statements_show_the_day_of_help_beside_the_day_it_was_recorded(client, alice, bob, coordinator):
    given = days_ago(12)
    _posted_helped_on(bob, alice, given)
    recorded = timezone.localdate()
    client.force_login(alice.user)
    mine = client.get(reverse("timebank:my-hours")).content.decode()
    assert f"Help given {given.day} {given:%b %Y}" in mine
    assert f"Recorded {recorded.day} {recorded:%b}" in mine
    client.force_login(coordinator)
    theirs = client.get(reverse("timebank:coordinator-member", args=[bob.public_id])).content.decode()
    assert f"Help given {given.day} {given:%b %Y}" in theirs and f"Recorded {recorded.day} {recorded:%b}" in theirs


def test_the_api_statement_gives_the_day_of_help(alice, bob):
    given = days_ago(3)
    _posted_helped_on(bob, alice, given)
    api = APIClient()
    api.force_login(alice.user)
    line = api.get("/api/v1/me/statement/").json()["results"][0]
    assert line["kind"] == "exchange" and line["helped_on"] == given.isoformat()
    # `at` stays when it was recorded: today, not the day of help.
    assert timezone.localdate(datetime.datetime.fromisoformat(line["at"])) == today() != given


# --- The API --------------------------------------------------------------------------------


def test_the_api_records_the_day_given_and_refuses_a_future_one(alice, bob):
    exchange = exchange_in(S.ACCEPTED, bob, [alice])
    api = APIClient()
    api.force_login(bob.user)
    url = f"/api/v1/exchanges/{exchange.public_id}/record/"
    future = api.post(
        url, {"minutes": 60, "helped_on": (today() + datetime.timedelta(days=1)).isoformat()}, format="json"
    )
    assert future.status_code == 400
    assert future.json()["error"]["fields"] == {"helped_on": ["The day the help was given cannot be in the future."]}
    exchange.refresh_from_db()
    assert exchange.status == S.ACCEPTED
    given = days_ago(5)
    done = api.post(url, {"minutes": 60, "helped_on": given.isoformat()}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["helped_on"] == given.isoformat()
    exchange.refresh_from_db()
    assert exchange.helped_on == given


def test_the_api_records_today_when_no_day_is_given(alice, bob):
    exchange = exchange_in(S.ACCEPTED, bob, [alice])
    api = APIClient()
    api.force_login(bob.user)
    response = api.post(f"/api/v1/exchanges/{exchange.public_id}/record/", {"minutes": 30}, format="json")
    assert response.status_code == 200 and response.json()["helped_on"] == today().isoformat()


# --- Reports -------------------------------------------------------------------------------


def test_the_monthly_report_counts_the_exchange_in_the_month_the_help_was_given(alice, bob, timebank):
    given = days_ago(40)  # always in an earlier month than today
    _posted_helped_on(bob, alice, given)
    assert exchange_days(timebank) == {given: 1}
    period = Period(start=given.replace(day=1), end=today())
    rows = {row[0]: row[1:3] for row in monthly_report(timebank=timebank, period=period).rows}
    assert rows[f"{given:%B %Y}"] == ["1", "1.5"]
    assert rows[f"{today():%B %Y}"] == ["0", "0"]
