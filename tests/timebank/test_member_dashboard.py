"""A member's home page as a dashboard (issue 14): what each member sees at `/`.

Their balance in words (and, below zero, a kind explanation with their limit),
what is waiting for them, their offers and requests, suggestions from
brokering and groups near them from the directory (both through the
dashboard hook), an applicant's next steps, and the public page for everyone
else."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.errors import InvalidInputError
from tests.assets.factories import service_at
from tests.brokering.factories import member_at, offer, request_for
from tests.factories import ListingFactory, MemberFactory
from tests.timebank.test_exchanges_services import exchange_in
from timebank import ledger
from timebank.dashboard import dashboard_sections
from timebank.models import Account, ExchangeStatus, MemberStatus

S = ExchangeStatus

pytestmark = pytest.mark.django_db


def main_of(html: str) -> str:
    """The page's <main>: the menu (base.html) has links of its own."""
    start = html.index("<main")
    return html[start : html.index("</main>", start)]


def home(client, member) -> str:
    client.force_login(member.user)
    response = client.get("/")
    assert response.status_code == 200
    return main_of(response.content.decode())


# --- Hours in words -----------------------------------------------------------------------


def test_a_member_with_hours_is_told_how_many_they_have_to_spend(client, alice):
    ledger.pot_grant(member=alice, minutes=200, note="Welcome")
    page = home(client, alice)
    assert "Hello, Alice" in page and '<h2 id="your-hours">Your hours</h2>' in page
    assert "You have 3 hours 20 minutes to spend." in page
    assert "below zero" not in page and "minus" not in page


def test_a_member_below_zero_gets_a_kind_explanation_with_their_limit(client, alice, bob):
    exchange_in(S.POSTED, bob, [alice], minutes=340)  # Bob helped Alice for 5 hours 40 minutes
    assert Account.objects.get(member=alice).balance == -340
    page = home(client, alice)
    assert "You are 5 hours 40 minutes below zero." in page
    assert "You have received more help than you have given. That is fine" in page
    assert "When you give help to anyone in the timebank, you earn hours back." in page
    # The default limit is 10 hours below zero: 4 hours 20 minutes left.
    assert "You can go down to 10 hours below zero." in page
    assert "You can receive 4 hours 20 minutes more help before you reach that limit." in page
    assert "minus 5 hours" not in page


def test_a_member_at_their_limit_is_told_what_to_do(client, alice, bob):
    ledger.account_for_member(member=alice)
    Account.objects.filter(member=alice).update(min_balance=-60)
    exchange_in(S.POSTED, bob, [alice], minutes=60)
    page = home(client, alice)
    assert "You have reached the limit of 1 hour below zero." in page
    assert "Give some help before you ask for more, or talk to a coordinator." in page


def test_a_new_member_with_no_hours_is_told_they_can_still_ask(client, alice):
    page = home(client, alice)
    assert "You have 0 hours just now." in page
    assert "You can still ask for help: you do not need hours first." in page


# --- What is waiting --------------------------------------------------------------------


def test_a_proposal_waits_for_the_person_who_answers_it_not_the_one_who_made_it(client, alice, bob):
    exchange = exchange_in(S.PROPOSED, alice, [bob])  # Bob asked Alice for help
    url = f"/exchanges/{exchange.public_id}/"
    alices = home(client, alice)
    assert "Waiting for you" in alices and f'<a href="{url}">Reply to Bob</a>' in alices
    assert "Say yes or no." in alices
    bobs = home(client, bob)
    assert url not in bobs and "Nothing is waiting for you just now." in bobs
    assert "1 other exchange is waiting for someone else." in bobs


def test_the_helper_is_asked_to_record_the_time_and_the_receiver_to_confirm_it(client, alice, bob):
    agreed = exchange_in(S.ACCEPTED, alice, [bob])
    assert f'<a href="/exchanges/{agreed.public_id}/">Record your time with Bob</a>' in home(client, alice)
    done = exchange_in(S.DONE, alice, [bob], minutes=90)
    page = home(client, bob)
    assert f'<a href="/exchanges/{done.public_id}/">Confirm 1½ hours from Alice</a>' in page
    assert "Alice says they helped you for 1½ hours" in page


def test_finished_exchanges_are_not_waiting(client, alice, bob):
    exchange_in(S.POSTED, alice, [bob])
    exchange_in(S.DECLINED, alice, [bob])
    page = home(client, bob)
    assert "Nothing is waiting for you just now." in page and "other exchange" not in page


def test_the_dashboard_runs_the_same_queries_for_1_or_6_open_exchanges(client, alice, bob):
    def queries() -> int:
        client.force_login(alice.user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured.captured_queries)

    exchange_in(S.PROPOSED, alice, [bob])
    one = queries()
    for _ in range(5):
        exchange_in(S.DONE, bob, [alice])
    assert queries() == one


# --- Offers and requests ----------------------------------------------------------------


def test_a_few_offers_and_requests_with_a_link_to_all(client, alice):
    for n in range(4):
        ListingFactory(member=alice, kind="offer", title=f"Gardening help {n}")
    ListingFactory(member=alice, kind="request", title="A lift to the surgery")
    ListingFactory(member=alice, kind="offer", title="Closed offer", status="closed")
    page = home(client, alice)
    assert "Your offers and requests" in page
    assert sum(f"Gardening help {n}" in page for n in range(4)) == 3
    assert "You offer 4 kinds of help in all." in page
    assert "A lift to the surgery" in page and "Closed offer" not in page
    assert f'<a href="{reverse("timebank:my-listings")}">See all your offers and requests</a>' in page


def test_a_member_with_no_offers_or_requests_sees_what_to_do(client, alice):
    page = home(client, alice)
    assert "You are not offering any help just now." in page
    assert "You have not asked for any help just now." in page
    assert "Offer help or ask for help" in page


# --- Suggestions and groups (sections from higher layers) ----------------------------------


def test_suggested_matches_show_both_ways(client):
    rita = member_at("Rita")
    nat = member_at("Nat", km=1)
    offer(nat, title="I can mow lawns")
    request_for(rita, title="Garden club chat", where="public")
    page = home(client, nat)
    assert "Suggested for you" in page and "Garden club chat" in page
    assert "Rita would like help with this" in page and "See all suggestions for you" in page
    page = home(client, rita)
    assert "I can mow lawns" in page and "Nat could help with your request “Garden club chat”." in page


def test_no_suggestions_says_so_and_how_to_get_some(client, alice):
    page = home(client, alice)
    assert "Suggested for you" in page
    assert "We have nothing to suggest just now." in page


def test_groups_near_the_member_link_to_the_directory(client, alice):
    near = service_at(alice.latitude + 0.01, alice.longitude, name="Tuesday Lunch Club")
    service_at(alice.latitude + 1.0, alice.longitude, name="Far Away Choir")
    page = home(client, alice)
    assert "Groups near you" in page
    assert f'<a href="/directory/services/{near.id}/">Tuesday Lunch Club</a>' in page
    assert "Far Away Choir" not in page
    assert "Find more groups near you" in page and "/directory/?near=RG1" in page


def test_a_member_whose_place_is_unknown_is_told_how_to_see_groups(client):
    member = MemberFactory(display_name="Pat", latitude=None, longitude=None, postcode="", postcode_district="")
    page = home(client, member)
    assert "We do not know where you live, so we cannot show groups near you." in page
    assert "Add your postcode to your profile" in page


def test_a_section_that_cannot_be_read_is_left_out_and_the_page_still_works(client, alice, monkeypatch):
    def broken(*, member):
        raise InvalidInputError("No such place.")

    monkeypatch.setattr(dashboard_sections, "_receivers", [broken, *dashboard_sections.receivers])
    page = home(client, alice)
    assert "Your hours" in page and "Groups near you" in page


# --- Applicants and others ---------------------------------------------------------------


def test_an_applicant_sees_what_happens_next_and_no_hours(client):
    applicant = MemberFactory(display_name="Ann", status=MemberStatus.APPLIED)
    page = home(client, applicant)
    assert "Thank you for applying, Ann" in page and "What happens next" in page
    assert "A coordinator reads your application." in page
    assert "to spend" not in page and "Waiting for you" not in page and "Suggested for you" not in page
    assert "Groups near you" in page


def test_each_section_has_a_heading(client, alice):
    page = home(client, alice)
    for heading in (
        "Your hours",
        "Waiting for you",
        "Your offers and requests",
        "Suggested for you",
        "Groups near you",
    ):
        assert f">{heading}</h2>" in page


def test_visitors_and_declined_applicants_see_the_public_home(client):
    page = main_of(client.get("/").content.decode())
    assert "How it works" in page and "Join" in page and "Your hours" not in page
    declined = MemberFactory(display_name="Dee", status=MemberStatus.DECLINED)
    page = home(client, declined)
    assert "Your application to join was not accepted." in page and "Your hours" not in page


@pytest.mark.parametrize("status", [MemberStatus.PAUSED, MemberStatus.LEFT])
def test_paused_and_former_members_see_their_hours_and_no_suggestions(client, status):
    member = MemberFactory(display_name="Max", status=status)
    page = home(client, member)
    assert "You have 0 hours just now." in page and "Suggested for you" not in page
    assert ("paused" in page) if status == MemberStatus.PAUSED else ("You have left the timebank." in page)
