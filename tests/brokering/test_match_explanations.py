"""Why no one is suggested: the workbench and a request's page say why, from
the matcher's own filters (brokering.selectors.explanations), with a fixed
number of queries however many requests have no one."""

import datetime

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from brokering.selectors.explanations import why_no_suggestions
from brokering.selectors.matching import suggest_for_requests
from tests.brokering.factories import dbs_check, exchange, member_at, offer, reference_check, request_for
from tests.factories import MemberFactory, category
from timebank.models import Category, CategoryRestriction, Listing, MemberStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def rita():
    return member_at("Rita", radius=5)


def why(request):
    request = Listing.objects.select_related("member", "category", "timebank").get(pk=request.pk)
    # The explanation is only for requests the matcher really leaves empty.
    assert suggest_for_requests(requests=[request]).get(request.pk, []) == []
    return why_no_suggestions(requests=[request])[request.pk]


def test_no_one_offers_it(rita):
    assert why(request_for(rita, "gardening")) == "No member offers Gardening yet."


def test_an_offer_in_another_category_or_a_closed_one_does_not_count(rita):
    offer(member_at("Dev", km=1), "music")
    offer(member_at("Eve", km=1), "gardening", status="closed")
    offer(member_at("Fay", km=1), "gardening", expires_on=timezone.localdate() - datetime.timedelta(days=1))
    assert why(request_for(rita, "gardening")) == "No member offers Gardening yet."


def test_the_requesters_own_offer_does_not_count(rita):
    offer(rita, "gardening")
    assert why(request_for(rita, "gardening")) == "No member offers Gardening yet."


def test_none_has_a_dbs_check_for_home_visits(rita):
    offer(member_at("Dev", km=1))
    offer(member_at("Eve", km=2))
    text = why(request_for(rita, "gardening", where="home"))
    assert text == "2 members offer Gardening but none has a DBS check for home visits."


def test_one_helper_without_a_dbs_check(rita):
    offer(member_at("Dev", km=1))
    text = why(request_for(rita, "gardening", where="home"))
    assert text == "1 member offers Gardening but they do not have a DBS check for home visits."


def test_a_category_that_needs_a_dbs_check(rita):
    Category.objects.filter(pk=category("gardening").pk).update(needs_dbs_check=True)
    offer(member_at("Dev", km=1))
    offer(member_at("Eve", km=1))
    text = why(request_for(rita, "gardening", where="public"))
    assert text == "2 members offer Gardening but none has the current DBS check it needs."


def test_a_category_that_needs_references(rita):
    Category.objects.filter(pk=category("gardening").pk).update(needs_references=True)
    helper = member_at("Dev", km=1)
    dbs_check(helper)
    offer(helper)
    text = why(request_for(rita, "gardening", where="public"))
    assert text == "1 member offers Gardening but they do not have the current references it needs."
    reference_check(helper)
    request = Listing.objects.get(kind="request")
    assert suggest_for_requests(requests=[request])[request.pk]  # references given: now suggested


def test_all_are_away(rita):
    offer(member_at("Dev", km=1, status=MemberStatus.PAUSED))
    offer(member_at("Eve", km=1, status=MemberStatus.PAUSED))
    offer(member_at("Lee", km=1, status=MemberStatus.LEFT))  # gone: not counted at all
    assert why(request_for(rita, "gardening", where="public")) == "2 members offer Gardening but all are away just now."


def test_all_are_too_far(rita):
    offer(member_at("Dev", km=20))
    offer(member_at("Eve", km=4, radius=3))  # inside Rita's 5 km but beyond Eve's own 3 km
    offer(MemberFactory(display_name="Ned", latitude=None, longitude=None))  # no known place
    text = why(request_for(rita, "gardening", where="public"))
    assert text == "3 members offer Gardening but all are too far away."


def test_all_are_at_their_limit(rita):
    limit = rita.timebank.max_open_exchanges_per_member
    helper = member_at("Dev", km=1)
    offer(helper)
    for _ in range(limit):
        exchange(helper, member_at(f"Asker {_}", km=30), status="accepted")
    text = why(request_for(rita, "gardening", where="public"))
    assert text == "1 member offers Gardening but they are at their limit of open exchanges."


def test_restricted_from_the_category(rita):
    helper = member_at("Dev", km=1)
    offer(helper)
    CategoryRestriction.objects.create(member=helper, category=category("gardening"), reason="incident")
    text = why(request_for(rita, "gardening", where="public"))
    assert text == "1 member offers Gardening but a coordinator has said not to suggest them for it."


def test_mixed_reasons_are_counted_each_under_the_first_filter(rita):
    offer(member_at("Dev", km=1, status=MemberStatus.PAUSED))
    for name, km in (("Eve", 20), ("Fay", 30)):
        far = member_at(name, km=km)
        dbs_check(far)  # checked, so what leaves them out is the distance
        offer(far)
    offer(member_at("Gus", km=1))  # no DBS for a home visit
    text = why(request_for(rita, "gardening", where="home"))
    assert text == (
        "4 members offer Gardening but none can help now: 1 is away, 1 has no DBS check for home visits "
        "and 2 are too far away."
    )


def test_phone_help_is_not_too_far(rita):
    offer(member_at("Dev", km=200, status=MemberStatus.PAUSED))
    assert why(request_for(rita, "gardening", where="phone")) == (
        "1 member offers Gardening but they are away just now."
    )


def test_the_workbench_says_why_for_each_request_with_no_one(client, coordinator, rita):
    offer(member_at("Dev", km=1))  # no DBS: fine in public, not at home
    request_for(rita, "gardening", where="home", title="Mow my lawn")
    request_for(rita, "music", where="public", title="Piano lessons")
    request_for(rita, "gardening", where="public", title="Weed the beds")
    client.force_login(coordinator)
    page = client.get(reverse("brokering:workbench")).content.decode()
    assert "1 member offers Gardening but they do not have a DBS check for home visits." in page
    assert "No member offers Music yet." in page
    # The request Dev can help with has a suggestion and no explanation.
    rows = page.split("<tr")
    weed = next(row for row in rows if "Weed the beds" in row)
    assert "Dev" in weed and "No one suitable yet" not in weed


def test_a_requests_page_says_why_no_one_is_suggested(client, coordinator, rita):
    offer(member_at("Dev", km=1, status=MemberStatus.PAUSED))
    request = request_for(rita, "gardening", where="public")
    client.force_login(coordinator)
    page = client.get(reverse("brokering:request", args=[request.public_id])).content.decode()
    assert "No one suitable yet. 1 member offers Gardening but they are away just now." in page


def test_the_reasons_take_a_fixed_number_of_queries_however_many_requests(
    rita, django_assert_num_queries, django_assert_max_num_queries
):
    offer(member_at("Dev", km=1))
    requests = [request_for(rita, "gardening", where="home")]
    loaded = list(Listing.objects.filter(kind="request").select_related("member", "category", "timebank"))
    with django_assert_num_queries(4):
        why_no_suggestions(requests=loaded)
    for i in range(15):
        helper = member_at(f"Helper {i}", km=1 + i, status=MemberStatus.PAUSED if i % 2 else MemberStatus.ACTIVE)
        offer(helper, ["gardening", "music", "cooking-and-meals"][i % 3])
        requests.append(request_for(rita, ["gardening", "music", "befriending"][i % 3], where="home"))
    loaded = list(Listing.objects.filter(kind="request").select_related("member", "category", "timebank"))
    assert len(loaded) == 16
    with django_assert_num_queries(4):
        reasons = why_no_suggestions(requests=loaded)
    assert all(reasons[request.pk] for request in loaded)
    assert reasons[requests[0].pk].startswith("6 members offer Gardening")


def test_no_requests_without_suggestions_cost_no_queries(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert why_no_suggestions(requests=[]) == {}


def test_the_workbench_page_queries_do_not_grow_with_unexplained_requests(
    client, coordinator, rita, django_assert_max_num_queries
):
    offer(member_at("Dev", km=1))
    request_for(rita, "gardening", where="home")
    client.force_login(coordinator)
    with django_assert_max_num_queries(60) as few:
        client.get(reverse("brokering:workbench"))
    for i in range(12):
        offer(member_at(f"Helper {i}", km=2 + i, status=MemberStatus.PAUSED))
        request_for(rita, ["gardening", "music", "befriending"][i % 3], where="home")
    Listing.objects.filter(kind="request").update(created_at=F("created_at"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("brokering:workbench")).content.decode()
    assert page.count("No one suitable yet.") == 13
