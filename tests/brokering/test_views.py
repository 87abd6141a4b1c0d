"""Workbench, introductions, safeguarding pages, member matches and permissions."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from tests.brokering.factories import dbs_check, exchange, member_at, offer, request_for
from tests.factories import category
from timebank.models import CategoryRestriction, Exchange, Incident, Listing, SafeguardingCheck

pytestmark = pytest.mark.django_db

COORDINATOR_PAGES = [
    "/coordinator/workbench/",
    "/coordinator/safeguarding/",
    "/coordinator/safeguarding/incidents/",
    "/coordinator/safeguarding/categories/",
    "/coordinator/reports/",
    "/coordinator/reports/overview/",
    "/coordinator/reports/overview/csv/",
    "/coordinator/reports/funder-summary/",
]


@pytest.fixture
def rita():
    return member_at("Rita", free=["tue-morning"], radius=5)


@pytest.mark.parametrize("url", COORDINATOR_PAGES)
def test_members_never_see_coordinator_pages(client, alice, url):
    client.force_login(alice.user)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", COORDINATOR_PAGES)
def test_visitors_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_member_cannot_see_or_change_another_members_safeguarding_record(client, alice, bob):
    dbs_check(bob)
    client.force_login(alice.user)
    url = f"/coordinator/safeguarding/members/{bob.public_id}/"
    assert client.get(url).status_code == 404
    response = client.post(url, {"action": "incident", "occurred_at": "2026-01-01T10:00", "what_happened": "x"})
    assert response.status_code == 404
    assert not Incident.objects.exists()


def test_the_workbench_lists_waiting_requests_oldest_first_and_highlights_long_waits(client, coordinator, rita):
    helper = member_at("Dev", km=1, free=["tue-morning"])
    dbs_check(helper)
    offer(helper)
    old = request_for(rita, title="Mow my lawn")
    Listing.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=20))
    request_for(rita, title="Weed the beds")
    client.force_login(coordinator)
    text = client.get("/coordinator/workbench/").content.decode()
    assert text.index("Mow my lawn") < text.index("Weed the beds")
    assert "20 days <strong>(waiting too long)</strong>" in text
    assert "0.6 miles away · offers gardening · free Tuesday mornings · DBS checked" in text


def test_the_workbench_takes_the_same_number_of_queries_for_more_requests(
    client, coordinator, rita, django_assert_max_num_queries
):
    for i in range(3):
        helper = member_at(f"Helper {i}", km=1)
        dbs_check(helper)
        offer(helper)
    request_for(rita)
    client.force_login(coordinator)
    with django_assert_max_num_queries(40) as few:
        client.get("/coordinator/workbench/")
    for i in range(10):
        request_for(rita)
        member_at(f"Quiet {i}", last_exchange_at=timezone.now() - datetime.timedelta(days=100))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/coordinator/workbench/")


def test_introducing_a_suggested_helper_proposes_an_exchange_and_emails_both(
    client, coordinator, rita, django_capture_on_commit_callbacks
):
    helper = member_at("Dev", km=1)
    dbs_check(helper)
    offer(helper)
    request = request_for(rita)
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/coordinator/workbench/requests/{request.public_id}/introduce/", {"helper": str(helper.public_id)}
        )
    made = Exchange.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/coordinator/workbench/introductions/{made.public_id}/"
    assert (made.provider, list(made.receivers.all()), made.listing, made.status) == (
        helper,
        [rita],
        request,
        "proposed",
    )
    assert sorted(to for m in mail.outbox for to in m.to) == sorted([helper.email, rita.email])
    request.refresh_from_db()
    assert request.matched_at is not None


def test_a_member_without_email_gets_a_printable_letter(client, coordinator, rita):
    helper = member_at("Dev", km=1, communication_needs=["no-email"], phone="0118 000 0000")
    dbs_check(helper)
    offer(helper)
    request = request_for(rita)
    client.force_login(coordinator)
    response = client.post(
        f"/coordinator/workbench/requests/{request.public_id}/introduce/",
        {"helper": str(helper.public_id)},
        follow=True,
    )
    text = response.content.decode()
    assert "Letter or phone call for Dev" in text
    assert "Dear Dev," in text
    assert "Rita has been e-mailed" in text


def test_a_helper_who_is_not_a_suggestion_cannot_be_introduced(client, coordinator, rita):
    unchecked = member_at("Nat", km=1)  # no DBS check: not for a home visit
    offer(unchecked)
    request = request_for(rita)
    client.force_login(coordinator)
    response = client.post(
        f"/coordinator/workbench/requests/{request.public_id}/introduce/", {"helper": str(unchecked.public_id)}
    )
    assert response.status_code == 200
    assert "no longer a suggestion" in response.content.decode()
    assert not Exchange.objects.exists()


def test_the_suggestions_page_explains_each_helper(client, coordinator, rita):
    helper = member_at("Dev", km=1, free=["tue-morning"])
    dbs_check(helper)
    offer(helper)
    request = request_for(rita)
    client.force_login(coordinator)
    text = client.get(f"/coordinator/workbench/requests/{request.public_id}/").content.decode()
    assert "Introduce Dev to Rita" in text
    assert "DBS checked" in text


def test_a_coordinator_records_a_check_an_incident_and_a_restriction(client, coordinator, alice):
    client.force_login(coordinator)
    url = f"/coordinator/safeguarding/members/{alice.public_id}/"
    today = timezone.localdate()
    client.post(
        url,
        {
            "action": "check",
            "kind": "dbs-enhanced",
            "reference_number": "0012",
            "checked_on": today,
            "expires_on": today + datetime.timedelta(days=1000),
        },
    )
    client.post(
        url,
        {
            "action": "incident",
            "occurred_at": "2026-01-05T10:30",
            "what_happened": "Left the door open",
            "action_taken": "Talked it through",
        },
    )
    client.post(url, {"action": "restriction", "category": category("befriending").pk, "reason": "Pending review"})
    check = SafeguardingCheck.objects.get(member=alice)
    assert (check.kind, check.reference_number, check.recorded_by) == ("dbs-enhanced", "0012", coordinator)
    assert Incident.objects.get(member=alice).action_taken == "Talked it through"
    restriction = CategoryRestriction.objects.get(member=alice)
    text = client.get(url).content.decode()
    assert "Left the door open" in text and "Not suggested for Befriending" in text
    client.post(url, {"action": "unrestrict", "restriction": restriction.pk})
    assert not CategoryRestriction.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "dbs-basic", "checked_on": "2026-01-01"}, "Enter the DBS certificate number."),
        ({"kind": "reference", "checked_on": "2026-01-01"}, "Enter who gave the reference."),
        (
            {"kind": "dbs-basic", "reference_number": "1", "checked_on": "2026-01-02", "expires_on": "2026-01-01"},
            "The expiry date must be on or after the date of the check.",
        ),
        (
            {"kind": "dbs-basic", "reference_number": "1", "checked_on": "not a date"},
            "Enter the date of the check as a real date",
        ),
        ({"kind": "magic", "checked_on": "2026-01-01"}, "Choose the kind of check from the list."),
    ],
)
def test_a_bad_check_comes_back_with_the_message_next_to_the_field(client, coordinator, alice, data, message):
    client.force_login(coordinator)
    response = client.post(f"/coordinator/safeguarding/members/{alice.public_id}/", {"action": "check", **data})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SafeguardingCheck.objects.exists()


def test_restricting_twice_says_so_plainly(client, coordinator, alice):
    client.force_login(coordinator)
    url = f"/coordinator/safeguarding/members/{alice.public_id}/"
    data = {"action": "restriction", "category": category("music").pk}
    client.post(url, data)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Alice is already restricted from Music." in response.content.decode()
    assert CategoryRestriction.objects.count() == 1


def test_a_coordinator_chooses_which_categories_need_checks(client, coordinator):
    client.force_login(coordinator)
    music = category("music")
    client.post("/coordinator/safeguarding/categories/", {"category": music.pk, "needs_dbs_check": "on"})
    music.refresh_from_db()
    assert (music.needs_dbs_check, music.needs_references) == (True, False)


def test_a_member_sees_requests_they_could_help_with_and_help_for_their_requests(client, rita):
    helper = member_at("Dev", km=1, free=["tue-morning"])
    dbs_check(helper)
    offer(helper, title="I can mow lawns")
    request_for(rita, title="Mow my lawn")
    client.force_login(helper.user)
    text = client.get("/my/matches/").content.decode()
    assert "Mow my lawn" in text and "0.6 miles away · asks for gardening" in text
    client.force_login(rita.user)
    text = client.get("/my/matches/").content.decode()
    assert "I can mow lawns" in text
    assert "DBS checked" not in text  # members never see safeguarding data


def test_a_member_without_a_dbs_check_is_not_shown_home_visit_requests(client, rita):
    helper = member_at("Nat", km=1)
    offer(helper)
    request_for(rita, title="Mow my lawn")
    request_for(rita, title="Garden club chat", where="public")
    client.force_login(helper.user)
    text = client.get("/my/matches/").content.decode()
    assert "Mow my lawn" not in text and "Garden club chat" in text


def test_reminders_are_sent_once_on_commit(coordinator, alice, bob, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    dbs_check(alice, expires_in_days=5)
    done = exchange(bob, alice, status="done", done_at=timezone.now() - datetime.timedelta(days=3))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("safeguarding_reminders")
            call_command("confirm_reminders")
    subjects = [m.subject for m in mail.outbox]
    assert subjects.count("Safeguarding checks expiring soon") == 1
    assert sum("confirm" in s for s in subjects) == 1
    done.refresh_from_db()
    assert done.confirm_reminded_at is not None


def test_the_weekly_digest_lists_new_matching_listings_and_respects_never(
    alice, bob, carol, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    offer(alice)
    offer(carol)
    carol.digest = "never"
    carol.save()
    request_for(bob, title="Please help with my hedge")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests")
        call_command("send_digests")
    # Alice offers gardening and sees Bob's request; Bob sees Alice's (and Carol's) new offers;
    # Carol chose never. A second run the same day sends nothing more.
    by_address = {m.to[0]: m.body for m in mail.outbox}
    assert sorted(by_address) == sorted([alice.email, bob.email])
    assert "Please help with my hedge" in by_address[alice.email]
    assert "New offers of the help you asked for" in by_address[bob.email]


def test_nothing_is_sent_when_the_transaction_rolls_back(alice):
    from django.db import transaction

    from brokering.services.safeguarding import check_reminders_send

    dbs_check(alice, expires_in_days=5)
    with pytest.raises(RuntimeError), transaction.atomic():
        check_reminders_send()
        raise RuntimeError("boom")
    assert mail.outbox == []
    assert SafeguardingCheck.objects.get().reminded_at is None


def test_a_coordinator_of_another_timebank_sees_none_of_this_ones_records(client, alice):
    from tests.factories import MemberFactory, UserFactory
    from timebank.models import Role, Timebank

    elsewhere = Timebank.objects.create(name="Elsewhere", slug="elsewhere")
    other = UserFactory(username="otto", roles=[Role.COORDINATOR], coordinates=[elsewhere])
    MemberFactory(user=other, timebank=elsewhere, display_name="Otto")
    request = request_for(alice)
    client.force_login(other)
    assert client.get(f"/coordinator/safeguarding/members/{alice.public_id}/").status_code == 404
    assert client.get(f"/coordinator/workbench/requests/{request.public_id}/").status_code == 404
    text = client.get("/coordinator/workbench/").content.decode()
    assert request.title not in text


def test_member_and_safeguarding_pages_take_the_same_number_of_queries_for_more_rows(
    client, coordinator, rita, django_assert_max_num_queries
):
    helper = member_at("Dev", km=1)
    dbs_check(helper)
    offer(helper)
    request_for(rita)

    def counts():
        client.force_login(helper.user)
        with django_assert_max_num_queries(60) as mine:
            assert client.get("/my/matches/").status_code == 200
        client.force_login(coordinator)
        with django_assert_max_num_queries(60) as safe:
            assert client.get("/coordinator/safeguarding/").status_code == 200
        return len(mine.captured_queries), len(safe.captured_queries)

    before = counts()
    for i in range(8):
        other = member_at(f"Other {i}", km=0.5)
        dbs_check(other)
        CategoryRestriction.objects.create(member=other, category=category("music"))
        request_for(other, title=f"Lawn {i}")
    assert counts() == before


def test_a_closed_request_cannot_be_introduced_and_an_unknown_action_is_not_found(client, coordinator, rita):
    helper = member_at("Dev", km=1)
    dbs_check(helper)
    offer(helper)
    request = request_for(rita, status="closed")
    client.force_login(coordinator)
    response = client.post(
        f"/coordinator/workbench/requests/{request.public_id}/introduce/", {"helper": str(helper.public_id)}
    )
    assert response.status_code == 200
    assert "This request is closed." in response.content.decode()
    assert not Exchange.objects.exists()
    bogus = client.post(f"/coordinator/safeguarding/members/{rita.public_id}/", {"action": "bogus"})
    assert bogus.status_code == 404
    assert client.get(f"/coordinator/workbench/requests/{request.public_id}/introduce/").status_code == 405
