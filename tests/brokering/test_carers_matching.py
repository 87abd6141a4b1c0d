"""Match suggestions for carers: a carer's break needs a DBS-checked helper,
and young carers (under 18) are never suggested one-to-one with adults, in
either direction. Coordinators see carers' break requests on the workbench."""

import pytest

from brokering.selectors.explanations import why_no_suggestions
from brokering.selectors.matching import helpers_held_back, suggest_helpers
from brokering.selectors.workbench import carers_break_requests, requests_near_helper
from brokering.services.introductions import introduction_make
from tests.brokering.factories import dbs_check, member_at, offer, reference_check, request_for
from timebank.models import Exchange, SafeguardingOverride
from timebank.services.safeguarding import SafeguardingError

pytestmark = pytest.mark.django_db


def names(suggestions):
    return [s.member.display_name for s in suggestions]


@pytest.fixture
def carer():
    return member_at("Nadia", free=["thu-afternoon"], radius=5, is_carer=True, cares_for="My mum")


def test_a_carers_break_is_suggested_only_to_helpers_with_a_current_dbs_check(carer):
    # Help by phone needs no DBS check by itself: the break alone asks for one.
    checked = member_at("Checked", km=1)
    dbs_check(checked)
    offer(checked, "befriending")
    unchecked = member_at("Unchecked", km=0.5)
    offer(unchecked, "befriending")
    lapsed = member_at("Lapsed", km=0.7)
    dbs_check(lapsed, expires_in_days=-1)
    offer(lapsed, "befriending")
    for helper in (checked, unchecked, lapsed):
        reference_check(helper)  # befriending needs references

    ordinary = request_for(carer, "befriending", where="phone")
    assert set(names(suggest_helpers(request=ordinary))) == {"Checked", "Unchecked", "Lapsed"}

    a_break = request_for(carer, "befriending", where="phone", carers_break="phone-call")
    assert names(suggest_helpers(request=a_break)) == ["Checked"]
    held = {h.member.display_name: h.reasons for h in helpers_held_back(request=a_break)}
    assert set(held) == {"Unchecked", "Lapsed"}
    assert "needs a current DBS check before giving a carer a break" in held["Unchecked"][0]
    assert "(the last one has run out)" in held["Lapsed"][0]


def test_a_young_carer_is_never_suggested_as_a_helper_for_an_adults_request():
    adult = member_at("Adult asker", radius=5)
    young = member_at("Young helper", km=0.5, under_18=True)
    grown = member_at("Grown helper", km=1)
    for helper in (young, grown):
        dbs_check(helper)
        offer(helper, "arts-and-crafts")

    request = request_for(adult, "arts-and-crafts", where="public")

    assert names(suggest_helpers(request=request)) == ["Grown helper"]
    [held] = helpers_held_back(request=request)
    assert held.member == young
    assert held.problems[0].code == "young-person"
    # A young helper does not see the adult's request among "people near you who need what you offer".
    assert requests_near_helper(member=young) == []
    assert [r.listing for r in requests_near_helper(member=grown)] == [request]


def test_adults_are_never_suggested_for_a_young_carers_one_to_one_request():
    young = member_at("Jade", radius=5, under_18=True, is_carer=True)
    adult = member_at("Adult helper", km=0.5)
    peer = member_at("Young peer", km=1, under_18=True)
    for helper in (adult, peer):
        offer(helper, "arts-and-crafts")

    request = request_for(young, "arts-and-crafts", where="public")

    assert names(suggest_helpers(request=request)) == ["Young peer"]
    assert [h.member for h in helpers_held_back(request=request)] == [adult]
    assert requests_near_helper(member=adult) == []


def test_when_only_adults_offer_the_workbench_says_why_no_one_is_suggested_to_a_young_carer():
    young = member_at("Jade", radius=5, under_18=True)
    offer(member_at("Adult helper", km=0.5), "arts-and-crafts")
    request = request_for(young, "arts-and-crafts", where="public")

    assert suggest_helpers(request=request) == []
    assert why_no_suggestions(requests=[request])[request.pk] == (
        "1 member offers Arts and crafts but suggestions never pair someone under 18 with an adult one-to-one."
    )


def test_when_no_helper_has_a_dbs_check_the_workbench_says_so_for_a_break(carer):
    unchecked = member_at("Unchecked", km=0.5)
    reference_check(unchecked)
    offer(unchecked, "befriending")
    request = request_for(carer, "befriending", where="phone", carers_break="phone-call")
    assert why_no_suggestions(requests=[request])[request.pk] == (
        "1 member offers Befriending but they do not have a DBS check for a carer's break."
    )


def test_a_coordinator_may_introduce_an_adult_to_a_young_carer_only_with_a_recorded_approval(coordinator):
    young = member_at("Jade", radius=5, under_18=True)
    adult = member_at("Adult helper", km=0.5)
    offer(adult, "arts-and-crafts")
    request = request_for(young, "arts-and-crafts", where="public")

    with pytest.raises(SafeguardingError) as refused:
        introduction_make(request=request, helper_public_id=adult.public_id, by_user=coordinator)
    assert "Jade is under 18" in refused.value.message
    assert not Exchange.objects.exists()

    made = introduction_make(
        request=request,
        helper_public_id=adult.public_id,
        by_user=coordinator,
        safeguarding_override_reason="Art club volunteer; her dad agreed and will be there.",
    )
    override = SafeguardingOverride.objects.get(exchange=made)
    assert override.problems == ["young-person"]
    assert override.overridden_by == coordinator


def test_the_workbench_flags_carers_break_requests_with_who_is_suggested(client, coordinator, carer):
    helper = member_at("Amara", km=1)
    dbs_check(helper)
    reference_check(helper)
    offer(helper, "caring-breaks")
    a_break = request_for(carer, "caring-breaks", carers_break="sit", title="Sit with mum on Thursdays")
    request_for(carer, "gardening", title="Mow the lawn")

    [flagged] = carers_break_requests(timebank=carer.timebank)
    assert flagged.listing == a_break
    assert names(flagged.suggestions) == ["Amara"]

    client.force_login(coordinator)
    page = client.get("/coordinator/workbench/").content.decode()
    section = page.split('id="carers-breaks"', 1)[1].split("<h2", 1)[0]
    assert "Carers' break requests" in section
    assert "Sit with mum on Thursdays" in section
    assert "Someone to sit with the person I look after" in section
    assert "Amara" in section
    assert "Mow the lawn" not in section
