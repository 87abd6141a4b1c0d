"""Safeguarding on every path that puts two people together.

The rule (timebank.selectors.safeguarding, the one suggestions use) is
enforced when an offer is listed, an exchange is proposed (from a listing or
directly), accepted, introduced by a coordinator, recorded for members, and
for a group. Each path is refused for (a) a member restricted from the
category, (b) an expired DBS check where the category needs DBS and (c) a home
visit without DBS; the refusal is plain words, nothing is written, and a
coordinator's recorded override lets it through. Members cannot override.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from brokering.services.introductions import introduction_make
from tests.factories import ListingFactory, MemberFactory, category, dbs_checked
from timebank.models import (
    CategoryRestriction,
    Entry,
    Exchange,
    ExchangeHistory,
    ExchangeReceiver,
    Listing,
    SafeguardingCheck,
    SafeguardingCheckKind,
    SafeguardingOverride,
    SafeguardingOverrideIsAppendOnlyError,
    Transfer,
)
from timebank.selectors.safeguarding import NEEDS_DBS, NEEDS_REFERENCES, RESTRICTED, safeguarding_problems
from timebank.services import exchanges as exchange_services, listings as listing_services
from timebank.services.safeguarding import SafeguardingError, safeguarding_require

REASON = "I have seen Amir's new DBS certificate myself; the record is being updated."

# scenario -> the problem code it must raise
SCENARIOS = {"restricted": RESTRICTED, "expired-dbs": NEEDS_DBS, "home-no-dbs": NEEDS_DBS}


@pytest.fixture
def amir(db):
    return MemberFactory(display_name="Amir", user__username="amir")


@pytest.fixture
def bea(db):
    return MemberFactory(display_name="Bea", user__username="bea")


def arrange(scenario: str, helper):
    """Set up the problem; return (category, where) for the help."""
    it = category("it-and-phones")
    it.needs_dbs_check, it.needs_references = False, False
    it.save()
    today = timezone.localdate()
    if scenario == "restricted":
        CategoryRestriction.objects.create(member=helper, category=it, reason="Concern raised")
        return it, "public"
    if scenario == "expired-dbs":
        it.needs_dbs_check = True
        it.save()
        SafeguardingCheck.objects.create(
            member=helper,
            kind=SafeguardingCheckKind.DBS_STANDARD,
            reference_number="0099",
            checked_on=today - datetime.timedelta(days=800),
            expires_on=today - datetime.timedelta(days=1),
        )
        return it, "public"
    assert scenario == "home-no-dbs"
    return it, "home"


def written():
    """What a refusal must not leave behind."""
    return {
        "listings": Listing.objects.count(),
        "exchanges": Exchange.objects.count(),
        "receivers": ExchangeReceiver.objects.count(),
        "history": ExchangeHistory.objects.count(),
        "transfers": Transfer.objects.count(),
        "entries": Entry.objects.count(),
        "overrides": SafeguardingOverride.objects.count(),
    }


# --- The paths: each does its step as `by_user`, with an optional override reason ------------


def list_offer(ctx, by_user, reason=""):
    return listing_services.listing_create(
        member=ctx["helper"],
        kind="offer",
        category=ctx["category"],
        title="Help with your phone",
        where=ctx["where"],
        by_user=by_user,
        safeguarding_override_reason=reason,
    )


def reopen_offer(ctx, by_user, reason=""):
    return listing_services.listing_reopen(
        listing=ctx["closed_offer"], by_user=by_user, safeguarding_override_reason=reason
    )


def propose_from_listing(ctx, by_user, reason=""):
    return exchange_services.exchange_propose_from_listing(
        listing=ctx["offer"], member=ctx["receiver"], by_user=by_user, safeguarding_override_reason=reason
    )


def propose_direct(ctx, by_user, reason=""):
    return exchange_services.exchange_propose(
        timebank=ctx["helper"].timebank,
        provider=ctx["helper"],
        receivers=[ctx["receiver"]],
        by_user=by_user,
        category=ctx["category"],
        where=ctx["where"],
        description="Setting up a new phone",
        safeguarding_override_reason=reason,
    )


def accept(ctx, by_user, reason=""):
    return exchange_services.exchange_accept(
        exchange=ctx["proposed"], by_user=by_user, safeguarding_override_reason=reason
    )


def introduce(ctx, by_user, reason=""):
    return introduction_make(
        request=ctx["request"],
        helper_public_id=ctx["helper"].public_id,
        by_user=by_user,
        safeguarding_override_reason=reason,
    )


def record_for_members(ctx, by_user, reason=""):
    return exchange_services.exchange_record_for_members(
        provider=ctx["helper"],
        receivers=[ctx["receiver"]],
        minutes=60,
        by_user=by_user,
        category=ctx["category"],
        where=ctx["where"],
        description="Set up a new phone",
        safeguarding_override_reason=reason,
    )


def group_propose(ctx, by_user, reason=""):
    return exchange_services.exchange_propose(
        timebank=ctx["helper"].timebank,
        provider=ctx["helper"],
        receivers=ctx["group"],
        by_user=by_user,
        category=ctx["category"],
        where=ctx["where"],
        description="Phone club",
        safeguarding_override_reason=reason,
    )


def group_record(ctx, by_user, reason=""):
    return exchange_services.exchange_record_for_members(
        provider=ctx["helper"],
        receivers=ctx["group"],
        minutes=90,
        by_user=by_user,
        category=ctx["category"],
        where=ctx["where"],
        description="Phone club",
        safeguarding_override_reason=reason,
    )


# path -> (the step, who tries it without being a coordinator: "helper", "receiver" or None)
PATHS = {
    "offer listing": (list_offer, "helper"),
    "offer reopened": (reopen_offer, "helper"),
    "propose from listing": (propose_from_listing, "receiver"),
    "propose direct": (propose_direct, "receiver"),
    "accept": (accept, "helper"),
    "introduce": (introduce, None),
    "record for others": (record_for_members, None),
    "group exchange proposed": (group_propose, "receiver"),
    "group exchange recorded": (group_record, None),
}


@pytest.fixture
def ctx(amir, bea, coordinator):
    """Everything a path needs, made before the problem exists (a check may run
    out, or a restriction be added, between a proposal and its answer)."""
    it = category("it-and-phones")
    return {"helper": amir, "receiver": bea, "coordinator": coordinator, "category": it}


def prepare(ctx, scenario):
    helper, receiver = ctx["helper"], ctx["receiver"]
    ctx["category"], ctx["where"] = arrange(scenario, helper)
    group = [receiver, MemberFactory(display_name="Cy"), MemberFactory(display_name="Di")]
    ctx["group"] = group
    ctx["offer"] = ListingFactory(member=helper, kind="offer", category=ctx["category"], where=ctx["where"])
    ctx["request"] = ListingFactory(member=receiver, kind="request", category=ctx["category"], where=ctx["where"])
    ctx["closed_offer"] = ListingFactory(
        member=helper, kind="offer", category=ctx["category"], where=ctx["where"], status="closed"
    )
    # A proposal from before the problem: rows made directly, as the rule would refuse them now.
    proposed = Exchange.objects.create(
        timebank=helper.timebank, listing=ctx["offer"], provider=helper, proposed_by=receiver.user
    )
    ExchangeReceiver.objects.create(exchange=proposed, member=receiver)
    ExchangeHistory.objects.create(exchange=proposed, from_status="", to_status="proposed", actor=receiver.user)
    ctx["proposed"] = proposed
    return ctx


def acting_member(ctx, who):
    return ctx["helper"].user if who == "helper" else ctx["receiver"].user


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("path", PATHS)
def test_each_path_is_refused_in_plain_words_and_writes_nothing(ctx, path, scenario):
    prepare(ctx, scenario)
    step, who = PATHS[path]
    by_user = acting_member(ctx, who) if who else ctx["coordinator"]
    before = written()
    with pytest.raises(SafeguardingError) as refused:
        step(ctx, by_user)
    message = refused.value.message
    assert [p.code for p in refused.value.problems] == [SCENARIOS[scenario]]
    assert message.startswith(("Amir ", "That person is no longer a suggestion"))
    assert "coordinator" in message
    assert not any(jargon in message for jargon in (NEEDS_DBS, NEEDS_REFERENCES, "_", "Error", "None", "{"))
    if scenario == "home-no-dbs":
        assert "needs a current DBS check before helping at someone's home" in message
    elif scenario == "expired-dbs":
        assert "needs a current DBS check (the last one has run out) before helping with IT and phones" in message
    else:
        assert "IT and phones" in message
    assert written() == before
    ctx["proposed"].refresh_from_db()
    assert ctx["proposed"].status == "proposed"
    ctx["closed_offer"].refresh_from_db()
    assert ctx["closed_offer"].status == "closed"


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("path", PATHS)
def test_a_coordinators_recorded_override_lets_each_path_through(ctx, path, scenario):
    prepare(ctx, scenario)
    step, _ = PATHS[path]
    made = step(ctx, ctx["coordinator"], REASON)
    override = SafeguardingOverride.objects.get()
    assert override.reason == REASON and override.overridden_by == ctx["coordinator"]
    assert override.member == ctx["helper"] and override.category == ctx["category"]
    assert override.problems == [SCENARIOS[scenario]] and "Amir" in override.problems_text
    if isinstance(made, Listing):
        assert override.listing == made and override.exchange is None
    else:
        assert override.exchange == made
        # A history note says a coordinator decided; the reason stays with coordinators.
        notes = list(made.history.values_list("note", flat=True))
        assert any("A coordinator checked the safeguarding rules" in note for note in notes)
        assert not any(REASON in note for note in notes)
    if path in ("record for others", "group exchange recorded"):
        assert made.status == "posted" and Transfer.objects.filter(exchange=made).exists()


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("path", [p for p, (_, who) in PATHS.items() if who])
def test_a_member_cannot_override(ctx, path, scenario):
    prepare(ctx, scenario)
    step, who = PATHS[path]
    before = written()
    with pytest.raises(SafeguardingError, match="Only a coordinator of this timebank can agree"):
        step(ctx, acting_member(ctx, who), REASON)
    assert written() == before


def test_a_coordinator_of_another_timebank_cannot_override(ctx):
    from tests.factories import UserFactory
    from timebank.models import Role, Timebank

    elsewhere = Timebank.objects.create(name="Elsewhere", slug="elsewhere")
    stranger = UserFactory(roles=[Role.COORDINATOR], coordinates=[elsewhere])
    prepare(ctx, "home-no-dbs")
    with pytest.raises(SafeguardingError, match="Only a coordinator of this timebank"):
        safeguarding_require(
            timebank=ctx["helper"].timebank,
            helper=ctx["helper"],
            category=ctx["category"],
            where="home",
            by_user=stranger,
            override_reason=REASON,
            today=timezone.localdate(),
        )
    assert not SafeguardingOverride.objects.exists()


def test_the_coordinator_is_told_they_may_override_and_the_member_who_books_is_not_told_of_a_restriction(ctx):
    prepare(ctx, "restricted")
    with pytest.raises(SafeguardingError) as as_coordinator:
        record_for_members(ctx, ctx["coordinator"])
    assert "a coordinator has restricted this" in as_coordinator.value.message
    assert "write your reason" in as_coordinator.value.message
    assert as_coordinator.value.field == "safeguarding_override_reason"
    with pytest.raises(SafeguardingError) as as_member:
        propose_from_listing(ctx, ctx["receiver"].user)
    assert as_member.value.message == ("Amir cannot help with IT and phones just now. Please talk to a coordinator.")
    assert as_member.value.field is None


def test_once_a_coordinator_overrode_the_introduction_the_helper_accepts_without_one(ctx):
    prepare(ctx, "home-no-dbs")
    exchange = introduce(ctx, ctx["coordinator"], REASON)
    accepted = exchange_services.exchange_accept(exchange=exchange, by_user=ctx["helper"].user)
    assert accepted.status == "accepted"
    assert SafeguardingOverride.objects.count() == 1


def test_an_offer_a_coordinator_let_through_can_be_booked_by_a_member(ctx):
    prepare(ctx, "home-no-dbs")
    offer = list_offer(ctx, ctx["coordinator"], REASON)
    exchange = exchange_services.exchange_propose_from_listing(
        listing=offer, member=ctx["receiver"], by_user=ctx["receiver"].user
    )
    assert exchange.provider == ctx["helper"]


def test_with_the_checks_in_place_nothing_is_refused_or_recorded(ctx):
    prepare(ctx, "home-no-dbs")
    dbs_checked(ctx["helper"])
    propose_direct(ctx, ctx["receiver"].user)
    list_offer(ctx, ctx["helper"].user)
    record_for_members(ctx, ctx["coordinator"])
    assert not SafeguardingOverride.objects.exists()


def test_moving_an_offer_into_someones_home_is_refused_too(ctx):
    prepare(ctx, "home-no-dbs")
    offer = ListingFactory(member=ctx["helper"], kind="offer", category=ctx["category"], where="online")
    with pytest.raises(SafeguardingError):
        listing_services.listing_update(listing=offer, by_user=ctx["helper"].user, where="home")
    offer.refresh_from_db()
    assert offer.where == "online"
    # A request is not help given by its owner: no rule applies to listing it.
    request = listing_services.listing_create(
        member=ctx["helper"],
        kind="request",
        category=ctx["category"],
        title="Help me",
        where="home",
        by_user=ctx["helper"].user,
    )
    assert request.pk


def test_an_override_is_append_only(ctx):
    prepare(ctx, "home-no-dbs")
    record_for_members(ctx, ctx["coordinator"], REASON)
    override = SafeguardingOverride.objects.get()
    with pytest.raises(SafeguardingOverrideIsAppendOnlyError):
        override.save()
    with pytest.raises(SafeguardingOverrideIsAppendOnlyError):
        SafeguardingOverride.objects.update(reason="changed")
    with pytest.raises(SafeguardingOverrideIsAppendOnlyError):
        SafeguardingOverride.objects.all().delete()


# --- The rule itself -------------------------------------------------------------------------


def test_the_rule_reads_current_checks_references_and_the_home_visit_setting(amir, settings):
    today = timezone.localdate()
    forms = category("forms-and-letters")
    forms.needs_dbs_check, forms.needs_references = False, True
    forms.save()
    codes = [p.code for p in safeguarding_problems(helper=amir, category=forms, where="home", today=today)]
    assert codes == [NEEDS_DBS, NEEDS_REFERENCES]
    settings.BROKERING_HOME_VISITS_NEED_DBS = False
    codes = [p.code for p in safeguarding_problems(helper=amir, category=forms, where="home", today=today)]
    assert codes == [NEEDS_REFERENCES]
    SafeguardingCheck.objects.create(member=amir, kind="reference", referee_name="R", checked_on=today)
    assert safeguarding_problems(helper=amir, category=forms, where="home", today=today) == []
    # A check that runs out today is still current today, not tomorrow.
    settings.BROKERING_HOME_VISITS_NEED_DBS = True
    dbs_checked(amir, expires_on=today)
    assert safeguarding_problems(helper=amir, category=forms, where="home", today=today) == []
    tomorrow = today + datetime.timedelta(days=1)
    assert [p.code for p in safeguarding_problems(helper=amir, category=forms, where="home", today=tomorrow)] == [
        NEEDS_DBS
    ]


# --- Pages and the API -----------------------------------------------------------------------


def test_the_api_answers_a_refused_booking_with_a_409_and_the_plain_message(ctx):
    from rest_framework.test import APIClient

    prepare(ctx, "home-no-dbs")
    api = APIClient()
    api.force_authenticate(ctx["receiver"].user)
    before = written()
    response = api.post("/api/v1/exchanges/", {"listing": str(ctx["offer"].public_id)}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "safeguarding"
    assert error["message"].startswith("Amir needs a current DBS check before helping at someone's home.")
    assert written() == before


def test_the_record_page_shows_the_refusal_and_takes_a_coordinators_reason(ctx, client):
    prepare(ctx, "home-no-dbs")
    client.force_login(ctx["coordinator"])
    url = reverse("timebank:record-exchange")
    form = {
        "provider": str(ctx["helper"].public_id),
        "receivers": [str(ctx["receiver"].public_id)],
        "minutes": "1 hour",
        "category": str(ctx["category"].pk),
        "where": "home",
        "description": "Set up a new phone",
    }
    response = client.post(url, form)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Amir needs a current DBS check before helping at someone&#x27;s home" in page
    assert 'name="safeguarding_override_reason"' in page
    assert not Exchange.objects.filter(recorded_by_coordinator=True).exists()
    response = client.post(url, {**form, "safeguarding_override_reason": REASON})
    assert response.status_code == 302
    assert SafeguardingOverride.objects.get().reason == REASON


def test_the_introduce_page_shows_the_refusal_and_an_override_form(ctx, client):
    prepare(ctx, "home-no-dbs")
    client.force_login(ctx["coordinator"])
    url = reverse("brokering:introduce", args=[ctx["request"].public_id])
    response = client.post(url, {"helper": str(ctx["helper"].public_id)})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Amir needs a current DBS check before helping at someone&#x27;s home" in page
    assert "Introduce anyway" in page and 'name="safeguarding_override_reason"' in page
    response = client.post(url, {"helper": str(ctx["helper"].public_id), "safeguarding_override_reason": REASON})
    assert response.status_code == 302
    assert SafeguardingOverride.objects.get().exchange.provider == ctx["helper"]


def test_a_member_booking_an_offer_from_its_page_sees_the_refusal_on_the_form(ctx, client):
    prepare(ctx, "home-no-dbs")
    client.force_login(ctx["receiver"].user)
    response = client.post(reverse("timebank:listing-detail", args=[ctx["offer"].public_id]), {"description": "Hi"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Amir needs a current DBS check before helping at someone&#x27;s home" in page
    assert 'name="safeguarding_override_reason"' not in page
    assert not Exchange.objects.exclude(pk=ctx["proposed"].pk).exists()


# --- The listing pages: a coordinator's reason, never a member's ---------------------------------

REFUSED_AT_HOME = "Amir needs a current DBS check before helping at someone&#x27;s home"
REASON_FIELD = 'name="safeguarding_override_reason"'


def _visible_reason_field(page: str) -> bool:
    return "<textarea" in page and REASON_FIELD in page and "Reason to go ahead anyway" in page


def test_the_listing_form_hides_the_reason_until_the_rule_refuses_a_coordinator(ctx, client):
    from tests.factories import MemberFactory

    prepare(ctx, "home-no-dbs")
    coordinator = ctx["coordinator"]
    cora = MemberFactory(display_name="Cora", user=coordinator)
    client.force_login(coordinator)
    url = reverse("timebank:listing-create")
    assert not _visible_reason_field(client.get(url).content.decode())
    form = {
        "kind": "offer",
        "category": str(ctx["category"].pk),
        "title": "Phone help at home",
        "where": "home",
        "expires_on": "",
    }
    before = written()
    response = client.post(url, form)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Cora needs a current DBS check before helping at someone&#x27;s home" in page
    assert _visible_reason_field(page)
    assert written() == before
    response = client.post(url, {**form, "safeguarding_override_reason": REASON})
    assert response.status_code == 302
    override = SafeguardingOverride.objects.get()
    assert (override.reason, override.member, override.listing.title) == (REASON, cora, "Phone help at home")


def test_a_coordinator_changing_a_members_offer_gives_a_reason_on_the_edit_form(ctx, client):
    prepare(ctx, "home-no-dbs")
    offer = ListingFactory(member=ctx["helper"], kind="offer", category=ctx["category"], where="online")
    client.force_login(ctx["coordinator"])
    url = reverse("timebank:listing-edit", args=[offer.public_id])
    assert not _visible_reason_field(client.get(url).content.decode())
    form = {"category": str(ctx["category"].pk), "title": offer.title, "where": "home", "expires_on": ""}
    response = client.post(url, form)
    page = response.content.decode()
    assert response.status_code == 200
    assert REFUSED_AT_HOME in page and _visible_reason_field(page)
    offer.refresh_from_db()
    assert offer.where == "online" and not SafeguardingOverride.objects.exists()
    response = client.post(url, {**form, "safeguarding_override_reason": REASON})
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.where == "home"
    assert SafeguardingOverride.objects.get().listing == offer


def test_a_member_listing_an_offer_sees_the_refusal_and_never_a_reason_field(ctx, client):
    prepare(ctx, "home-no-dbs")
    client.force_login(ctx["helper"].user)
    url = reverse("timebank:listing-create")
    form = {"kind": "offer", "category": str(ctx["category"].pk), "title": "Phone help", "where": "home"}
    before = written()
    # A reason typed into a hand-made request is not even read: members have no such field.
    response = client.post(url, {**form, "safeguarding_override_reason": REASON})
    page = response.content.decode()
    assert response.status_code == 200
    assert REFUSED_AT_HOME in page and REASON_FIELD not in page
    assert written() == before


def test_a_member_moving_their_offer_home_sees_the_refusal_without_a_reason_field(ctx, client):
    prepare(ctx, "home-no-dbs")
    offer = ListingFactory(member=ctx["helper"], kind="offer", category=ctx["category"], where="online")
    client.force_login(ctx["helper"].user)
    url = reverse("timebank:listing-edit", args=[offer.public_id])
    data = {"category": str(ctx["category"].pk), "title": offer.title, "where": "home"}
    response = client.post(url, {**data, "safeguarding_override_reason": REASON})
    page = response.content.decode()
    assert response.status_code == 200
    assert REFUSED_AT_HOME in page and REASON_FIELD not in page
    offer.refresh_from_db()
    assert offer.where == "online" and not SafeguardingOverride.objects.exists()


def test_reopening_an_offer_asks_a_coordinator_for_a_reason_and_tells_a_member_no(ctx, client):
    prepare(ctx, "home-no-dbs")
    closed = ctx["closed_offer"]
    url = reverse("timebank:listing-reopen", args=[closed.public_id])

    client.force_login(ctx["helper"].user)
    response = client.post(url, {"safeguarding_override_reason": REASON}, follow=True)
    page = response.content.decode()
    assert REFUSED_AT_HOME in page and REASON_FIELD not in page
    closed.refresh_from_db()
    assert closed.status == "closed" and not SafeguardingOverride.objects.exists()

    client.force_login(ctx["coordinator"])
    detail = client.get(reverse("timebank:listing-detail", args=[closed.public_id])).content.decode()
    assert "Open it again" in detail
    response = client.post(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert REFUSED_AT_HOME in page and _visible_reason_field(page)
    closed.refresh_from_db()
    assert closed.status == "closed"
    response = client.post(url, {"safeguarding_override_reason": REASON})
    assert response.status_code == 302
    closed.refresh_from_db()
    assert closed.status == "open"
    override = SafeguardingOverride.objects.get()
    assert (override.listing, override.reason, override.overridden_by) == (closed, REASON, ctx["coordinator"])


# --- The introduce page: helpers the rule leaves out can still be chosen, with a reason -----------


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_introduce_page_lists_helpers_left_out_for_safeguarding_with_an_override_form(ctx, client, scenario):
    prepare(ctx, scenario)
    safe = MemberFactory(display_name="Sol")
    dbs_checked(safe)
    ListingFactory(member=safe, kind="offer", category=ctx["category"], where=ctx["where"])
    client.force_login(ctx["coordinator"])
    url = reverse("brokering:request", args=[ctx["request"].public_id])
    page = client.get(url).content.decode()
    assert "Not suggested: safeguarding" in page
    held = page.split("Not suggested: safeguarding", 1)[1].split("Community services that could help", 1)[0]
    assert "Amir" in held and "Sol" not in held
    plain = {
        "restricted": "Amir may not help with IT and phones: a coordinator has restricted this.",
        "expired-dbs": "Amir needs a current DBS check (the last one has run out) before helping with IT and phones.",
        "home-no-dbs": "Amir needs a current DBS check before helping at someone&#x27;s home.",
    }[scenario]
    assert plain in held
    assert f'value="{ctx["helper"].public_id}"' in held
    assert 'name="safeguarding_override_reason"' in held and "required" in held
    assert "Introduce Amir anyway" in held
    # Sol is suggested as usual, above.
    assert "Introduce Sol to Bea" in page.split("Not suggested: safeguarding", 1)[0]

    introduce_url = reverse("brokering:introduce", args=[ctx["request"].public_id])
    before = written()
    refused = client.post(introduce_url, {"helper": str(ctx["helper"].public_id), "safeguarding_override_reason": ""})
    assert refused.status_code == 200
    assert "write your reason for overriding this" in refused.content.decode()
    assert written() == before
    response = client.post(
        introduce_url, {"helper": str(ctx["helper"].public_id), "safeguarding_override_reason": REASON}
    )
    assert response.status_code == 302
    override = SafeguardingOverride.objects.get()
    assert (override.member, override.reason, override.problems) == (ctx["helper"], REASON, [SCENARIOS[scenario]])
    assert override.exchange.provider == ctx["helper"]


def test_members_cannot_see_the_left_out_helpers_or_introduce_them(ctx, client):
    prepare(ctx, "home-no-dbs")
    client.force_login(ctx["receiver"].user)
    before = written()
    assert client.get(reverse("brokering:request", args=[ctx["request"].public_id])).status_code == 404
    response = client.post(
        reverse("brokering:introduce", args=[ctx["request"].public_id]),
        {"helper": str(ctx["helper"].public_id), "safeguarding_override_reason": REASON},
    )
    assert response.status_code == 404
    assert written() == before


def test_the_left_out_helpers_are_read_in_a_fixed_number_of_queries(ctx, django_assert_max_num_queries):
    from brokering.selectors.matching import helpers_held_back
    from timebank.models import Listing as ListingModel

    prepare(ctx, "home-no-dbs")
    for n in range(5):
        ListingFactory(member=MemberFactory(display_name=f"Helper {n}"), kind="offer", category=ctx["category"])
    request = ListingModel.objects.select_related("member", "category", "timebank").get(pk=ctx["request"].pk)
    with django_assert_max_num_queries(3):
        held = helpers_held_back(request=request)
    assert len(held) == 6 and all(h.problems for h in held)
