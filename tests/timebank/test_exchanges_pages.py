"""Exchange pages: my exchanges, an exchange's page and its steps, and the
coordinators' record-for-members and disputes pages, for the people in the
exchange, an outsider and a coordinator, with bad input on every form."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import MemberFactory, category
from tests.timebank.test_exchanges_services import exchange_in, propose
from timebank.models import Account, Exchange, ExchangeStatus, Transfer

S = ExchangeStatus


def login(client, member_or_user):
    client.force_login(getattr(member_or_user, "user", member_or_user))
    return client


def step(client, exchange, action, **data):
    return client.post(reverse("timebank:exchange-action", args=[exchange.public_id, action]), data)


def status_of(exchange):
    exchange.refresh_from_db()
    return exchange.status


def field_error(response, field_id, text):
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="{field_id}_error"' in html, html
    assert text in html


# --- Seeing an exchange -----------------------------------------------------------


def test_the_people_in_an_exchange_and_coordinators_see_it_and_its_history(client, alice, bob, coordinator):
    exchange = exchange_in(S.DONE, bob, [alice], minutes=90)
    for who in (alice, bob, coordinator):
        page = login(client, who).get(reverse("timebank:exchange-detail", args=[exchange.public_id])).content.decode()
        assert "1½ hours" in page and "What has happened" in page
        assert "Proposed → Accepted" in page
    page = login(client, alice).get(reverse("timebank:exchange-detail", args=[exchange.public_id])).content.decode()
    assert "Confirm the time" in page and "Something is not right" in page and "Record the time" not in page


def test_an_outsider_is_told_the_exchange_does_not_exist_and_cannot_act(client, alice, bob, carol):
    exchange = exchange_in(S.DONE, bob, [alice])
    login(client, carol)
    assert client.get(reverse("timebank:exchange-detail", args=[exchange.public_id])).status_code == 404
    for action in ("confirm", "dispute", "cancel", "accept"):
        assert step(client, exchange, action, note="mine").status_code == 404
    assert status_of(exchange) == S.DONE and not Transfer.objects.exists()


def test_not_logged_in_people_are_sent_to_log_in(client, alice, bob):
    exchange = exchange_in(S.PROPOSED, bob, [alice])
    response = client.get(reverse("timebank:exchange-detail", args=[exchange.public_id]))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_an_unknown_step_is_not_found(client, alice, bob):
    exchange = exchange_in(S.PROPOSED, bob, [alice])
    assert step(login(client, bob), exchange, "post").status_code == 404
    assert status_of(exchange) == S.PROPOSED


# --- Taking the steps -------------------------------------------------------------


@pytest.mark.parametrize("typed,minutes", [("1.5 hours", 90), ("90", 90), ("1:30", 90), ("2 hours", 120)])
def test_the_whole_way_through_on_the_pages(client, alice, bob, typed, minutes):
    exchange = propose(bob, [alice])
    assert step(login(client, bob), exchange, "accept", note="See you then").status_code == 302
    assert status_of(exchange) == S.ACCEPTED
    assert step(client, exchange, "record", minutes=typed).status_code == 302
    exchange.refresh_from_db()
    assert (exchange.status, exchange.minutes) == (S.DONE, minutes)
    assert step(login(client, alice), exchange, "confirm").status_code == 302
    assert status_of(exchange) == S.POSTED
    assert Account.objects.get(member=bob).balance == minutes


@pytest.mark.parametrize(
    "typed,text",
    [
        ("", "Enter how long you helped for"),
        ("a while", "We did not understand that"),
        ("25 hours", "at most 24 hours"),
        ("0", "more than zero"),
    ],
)
def test_bad_time_comes_back_next_to_the_field_and_nothing_changes(client, alice, bob, typed, text):
    exchange = exchange_in(S.ACCEPTED, bob, [alice])
    field_error(step(login(client, bob), exchange, "record", minutes=typed), "id_record_minutes", text)
    exchange.refresh_from_db()
    assert exchange.status == S.ACCEPTED and exchange.minutes is None


def test_a_dispute_without_a_note_comes_back_with_the_message(client, alice, bob):
    exchange = exchange_in(S.DONE, bob, [alice])
    field_error(step(login(client, alice), exchange, "dispute", note=""), "id_dispute_note", "Enter what is not right")
    assert status_of(exchange) == S.DONE
    assert step(client, exchange, "dispute", note="It was one hour").status_code == 302
    assert status_of(exchange) == S.DISPUTED


def test_a_note_that_is_too_long_comes_back(client, alice, bob):
    exchange = exchange_in(S.PROPOSED, bob, [alice])
    field_error(step(login(client, bob), exchange, "decline", note="x" * 501), "id_decline_note", "at most 500")
    assert status_of(exchange) == S.PROPOSED


def test_the_wrong_person_is_told_why_and_nothing_changes(client, alice, bob):
    exchange = exchange_in(S.ACCEPTED, bob, [alice])
    response = step(login(client, alice), exchange, "record", minutes="1 hour")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Only the person who gave the time can record it." in page
    assert status_of(exchange) == S.ACCEPTED


def test_a_second_click_on_confirm_says_it_is_already_confirmed_and_posts_once(client, alice, bob):
    exchange = exchange_in(S.DONE, bob, [alice])
    login(client, alice)
    step(client, exchange, "confirm")
    response = step(client, exchange, "confirm")
    page = client.get(response["Location"]).content.decode()
    assert "This exchange has already been confirmed." in page
    assert Transfer.objects.filter(exchange=exchange).count() == 1


def test_a_refusal_by_limit_shows_on_the_page_and_leaves_it_done(client, alice, bob):
    Account.objects.filter(member=alice).update(min_balance=-30)
    exchange = exchange_in(S.DONE, bob, [alice])
    response = step(login(client, alice), exchange, "confirm")
    assert response.status_code == 200
    assert "You do not have enough hours to confirm this" in response.content.decode()
    assert status_of(exchange) == S.DONE and not Transfer.objects.exists()


# --- My exchanges -----------------------------------------------------------------


def test_my_exchanges_lists_mine_only_and_can_show_finished_ones(client, alice, bob, carol):
    going = exchange_in(S.ACCEPTED, bob, [alice])
    going.description = "Mowing"
    going.save()
    finished = exchange_in(S.POSTED, alice, [bob])
    Exchange.objects.filter(pk=finished.pk).update(description="Shopping")
    theirs = exchange_in(S.ACCEPTED, bob, [carol])
    Exchange.objects.filter(pk=theirs.pk).update(description="Secret")
    page = login(client, alice).get(reverse("timebank:exchange-list")).content.decode()
    assert "Mowing" in page and "Bob helps you" in page and "Shopping" not in page and "Secret" not in page
    page = client.get(reverse("timebank:exchange-list"), {"show": "all"}).content.decode()
    assert "Mowing" in page and "Shopping" in page and "You help Bob" in page and "Secret" not in page


def test_my_exchanges_runs_the_same_queries_for_1_and_30_exchanges(client, alice, django_assert_max_num_queries):
    exchange_in(S.DONE, MemberFactory(), [alice, MemberFactory()])
    login(client, alice)
    with CaptureQueriesContext(connection) as one_row:
        assert client.get(reverse("timebank:exchange-list")).status_code == 200
    for _ in range(29):
        exchange_in(S.ACCEPTED, MemberFactory(), [alice, MemberFactory()])
    with django_assert_max_num_queries(len(one_row)):
        response = client.get(reverse("timebank:exchange-list"))
    assert response.content.decode().count("/exchanges/") >= 20


# --- Coordinators: record for members ---------------------------------------------------


def test_members_cannot_reach_the_coordinator_pages(client, alice, bob):
    exchange = exchange_in(S.DISPUTED, bob, [alice])
    login(client, alice)
    resolve = reverse("timebank:dispute-resolve", args=[exchange.public_id])
    for url in (reverse("timebank:record-exchange"), reverse("timebank:dispute-list"), resolve):
        assert client.get(url).status_code == 404
    assert client.post(resolve, {"outcome": "cancel", "note": "x"}).status_code == 404
    assert status_of(exchange) == S.DISPUTED


def test_a_coordinator_records_an_exchange_for_members_who_are_not_online(client, coordinator):
    doreen = MemberFactory(user=None, email="", display_name="Doreen")
    ed, fay = MemberFactory(user=None, email=""), MemberFactory(user=None, email="")
    login(client, coordinator)
    assert "Doreen" in client.get(reverse("timebank:record-exchange")).content.decode()
    response = client.post(
        reverse("timebank:record-exchange"),
        {
            "provider": doreen.public_id,
            "receivers": [ed.public_id, fay.public_id],
            "minutes": "2 hours",
            "category": category("cooking-and-meals").pk,
            "description": "Lunch club",
            "occurred_on": "",
        },
    )
    exchange = Exchange.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "timebank:exchange-detail", args=[exchange.public_id]
    )
    assert exchange.status == S.POSTED and exchange.recorded_by_coordinator and exchange.minutes == 120
    assert Account.objects.get(member=doreen).balance == 120
    assert sorted(Account.objects.get(member=m).balance for m in (ed, fay)) == [-60, -60]


@pytest.mark.parametrize(
    "changes,field_id,text",
    [
        ({"receivers": []}, "id_receivers", "Tick everyone who received the help."),
        ({"minutes": "lots"}, "id_minutes", "We did not understand that"),
        ({"description": ""}, "id_description", "Enter what the help was"),
        ({"occurred_on": "2999-01-01"}, "id_occurred_on", "cannot be in the future"),
        ({"provider": "not-a-uuid"}, "id_provider", "is not a valid UUID"),
        ({"same": True}, "id_receivers", "cannot exchange time with themselves"),
    ],
)
def test_bad_input_on_record_for_members_comes_back_and_records_nothing(
    client, alice, bob, coordinator, changes, field_id, text
):
    data = {"provider": bob.public_id, "receivers": [alice.public_id], "minutes": "1 hour", "description": "Shopping"}
    if changes.pop("same", False):
        data["receivers"] = [bob.public_id]
    data.update(changes)
    field_error(login(client, coordinator).post(reverse("timebank:record-exchange"), data), field_id, text)
    assert not Exchange.objects.exists() and not Transfer.objects.exists()


# --- Coordinators: disputes ---------------------------------------------------------------


def test_a_coordinator_sees_the_disputes_and_resolves_one_by_changing_the_time(client, alice, bob, coordinator):
    exchange = exchange_in(S.DISPUTED, bob, [alice], minutes=120)
    exchange_in(S.DONE, bob, [alice])
    login(client, coordinator)
    page = client.get(reverse("timebank:dispute-list")).content.decode()
    assert "It was shorter." in page and page.count(str(exchange.public_id)) == 1
    url = reverse("timebank:dispute-resolve", args=[exchange.public_id])
    no_time = client.post(url, {"outcome": "change", "minutes": "", "note": "Phoned both"})
    field_error(no_time, "id_minutes", "Enter the new time")
    field_error(
        client.post(url, {"outcome": "confirm", "note": ""}), "id_note", "Enter a note explaining the decision."
    )
    field_error(
        client.post(url, {"outcome": "maybe", "note": "x"}), "id_outcome", "Choose one of the decisions listed."
    )
    assert status_of(exchange) == S.DISPUTED and not Transfer.objects.exists()
    response = client.post(url, {"outcome": "change", "minutes": "1 hour", "note": "Phoned both"})
    assert response.status_code == 302
    exchange.refresh_from_db()
    assert (exchange.status, exchange.minutes) == (S.POSTED, 60)
    assert Account.objects.get(member=bob).balance == 60
    assert client.get(url).status_code == 302  # no longer disputed


def test_the_exchange_page_offers_a_coordinator_the_resolve_link(client, alice, bob, coordinator):
    exchange = exchange_in(S.DISPUTED, bob, [alice])
    page = (
        login(client, coordinator).get(reverse("timebank:exchange-detail", args=[exchange.public_id])).content.decode()
    )
    assert reverse("timebank:dispute-resolve", args=[exchange.public_id]) in page
