"""Many timebanks in one install, each sealed off: the pages, services and
selectors of the timebank, brokering and privacy apps.

Timebank A ("Oxford Road") holds a member, listings, exchanges in every state,
a posted transfer and safeguarding records. Timebank B ("Caversham") has a
coordinator, a member and an applicant. None of B's people may see or change
anything of A's: every page with an object in its address answers 404 (the
matrix below is built from the URL resolver, so a new page fails the test
until it is covered), A's ledger, listings, exchanges and members are the same
afterwards, lists show none of A's rows, and the services refuse.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from brokering.services.introductions import introduction_make
from brokering.services.safeguarding import (
    category_safeguarding_set,
    incident_record,
    restriction_add,
    restriction_remove,
)
from core.errors import NotAllowedError
from privacy.services import member_erase
from tests.factories import ListingFactory, MemberFactory, UserFactory, category
from timebank import ledger
from timebank.models import (
    Account,
    Category,
    CategoryRestriction,
    Entry,
    Exchange,
    ExchangeHistory,
    ExchangeReceiver,
    ExchangeStatus,
    Incident,
    Listing,
    ListingStatus,
    Member,
    MemberStatus,
    Role,
    SafeguardingCheck,
    Timebank,
    Transfer,
    TransferKind,
)
from timebank.services import exchanges as exchange_services, listings as listing_services, members as member_services
from timebank.services.safeguarding import check_record

pytestmark = pytest.mark.django_db

# Addresses that belong to other engineers' matrices, or that hold no timebank's data.
OUTSIDE_PAGES = ("api/", "openreferral/", "o/", "admin/", "fhir/")


# --- Timebank A and its objects ---------------------------------------------------------------


@dataclass
class TimebankA:
    timebank: Timebank
    member: Member
    other: Member
    applicant: Member
    offer: Listing
    request: Listing
    closed: Listing
    proposed: Exchange
    done: Exchange
    disputed: Exchange
    posted: Exchange
    introduction: Exchange
    transfer: Transfer
    restriction: CategoryRestriction
    # A's own category (each timebank has its own list, copied from the template).
    category: Category


def _exchange(timebank, provider, receiver, status, *, minutes=None, listing=None, proposed_by=None) -> Exchange:
    """An exchange in `status`, made as rows (the lifecycle is tested elsewhere)."""
    exchange = Exchange.objects.create(
        timebank=timebank,
        provider=provider,
        listing=listing,
        status=status,
        minutes=minutes,
        description=f"Oxford Road {status} exchange",
        proposed_by=proposed_by or provider.user,
        done_at=timezone.now() if minutes else None,
    )
    ExchangeReceiver.objects.create(exchange=exchange, member=receiver)
    ExchangeHistory.objects.create(exchange=exchange, from_status="", to_status=status)
    return exchange


@pytest.fixture
def a(db) -> TimebankA:
    timebank = Timebank.objects.create(name="Oxford Road", slug="oxford-road")
    a_coordinator = UserFactory(username="ada", roles=[Role.COORDINATOR], coordinates=[timebank])
    member = MemberFactory(timebank=timebank, display_name="Oxfordian Olive", user__username="olive")
    other = MemberFactory(timebank=timebank, display_name="Oxfordian Otto", user__username="otto")
    applicant = MemberFactory(
        timebank=timebank, display_name="Oxfordian Applicant", user__username="oapp", status=MemberStatus.APPLIED
    )
    offer = ListingFactory(timebank=timebank, member=member, title="Oxfordian offer of gardening")
    request = ListingFactory(timebank=timebank, member=other, kind="request", title="Oxfordian request for a hedge")
    closed = ListingFactory(
        timebank=timebank, member=member, title="Oxfordian closed offer", status=ListingStatus.CLOSED
    )
    posted = _exchange(timebank, member, other, ExchangeStatus.POSTED, minutes=90, listing=offer)
    transfer = ledger.transfer_post(
        timebank=timebank,
        kind=TransferKind.EXCHANGE,
        legs=[
            ledger.Leg(ledger.account_for_member(member=member), 90),
            ledger.Leg(ledger.account_for_member(member=other), -90),
        ],
        memo="Oxfordian Olive helped Oxfordian Otto",
        recorded_by=a_coordinator,
        exchange=posted,
        idempotency_key=f"exchange-{posted.public_id}",
    )
    restriction = CategoryRestriction.objects.create(
        member=member, category=category("gardening", timebank=timebank), reason="A's"
    )
    own_category = Category.objects.create(
        timebank=timebank, name="Oxfordian punting", slug="oxfordian-punting", needs_references=True, position=99
    )
    SafeguardingCheck.objects.create(
        member=member, kind="reference", referee_name="A's referee", checked_on="2024-01-01", recorded_by=a_coordinator
    )
    Incident.objects.create(
        member=member, occurred_at=timezone.now(), what_happened="A's incident", recorded_by=a_coordinator
    )
    return TimebankA(
        timebank=timebank,
        member=member,
        other=other,
        applicant=applicant,
        offer=offer,
        request=request,
        closed=closed,
        proposed=_exchange(timebank, member, other, ExchangeStatus.PROPOSED),
        done=_exchange(timebank, member, other, ExchangeStatus.DONE, minutes=60),
        disputed=_exchange(timebank, member, other, ExchangeStatus.DISPUTED, minutes=45),
        posted=posted,
        introduction=_exchange(
            timebank, member, other, ExchangeStatus.PROPOSED, listing=request, proposed_by=a_coordinator
        ),
        transfer=transfer,
        restriction=restriction,
        category=own_category,
    )


@pytest.fixture
def b(db) -> Timebank:
    return Timebank.objects.create(name="Caversham", slug="caversham")


@pytest.fixture
def b_coordinator(b):
    user = UserFactory(username="cav-coord", roles=[Role.COORDINATOR], coordinates=[b])
    MemberFactory(timebank=b, user=user, display_name="Caversham Coordinator")
    return user


@pytest.fixture
def b_member(b):
    return MemberFactory(timebank=b, display_name="Caversham Carl", user__username="carl").user


@pytest.fixture
def b_applicant(b):
    return MemberFactory(
        timebank=b, display_name="Caversham Applicant", user__username="capp", status=MemberStatus.APPLIED
    ).user


def snapshot(timebank: Timebank) -> dict[str, Any]:
    """Everything of A's that B's people must not be able to change."""
    return {
        "transfers": sorted(Transfer.objects.filter(timebank=timebank).values_list("pk", "memo")),
        "entries": Entry.objects.filter(account__timebank=timebank).count(),
        "balances": sorted(Account.objects.filter(timebank=timebank).values_list("pk", "balance", "name")),
        "listings": sorted(
            Listing.objects.filter(timebank=timebank).values_list(
                "pk", "status", "title", "description", "where", "expires_on", "category_id"
            )
        ),
        "exchanges": sorted(
            Exchange.objects.filter(timebank=timebank).values_list("pk", "status", "minutes", "description")
        ),
        "history": ExchangeHistory.objects.filter(exchange__timebank=timebank).count(),
        "members": sorted(
            Member.objects.filter(timebank=timebank).values_list(
                "pk", "status", "display_name", "phone", "postcode", "erased_at"
            )
        ),
        "checks": SafeguardingCheck.objects.filter(member__timebank=timebank).count(),
        "incidents": Incident.objects.filter(member__timebank=timebank).count(),
        "restrictions": CategoryRestriction.objects.filter(member__timebank=timebank).count(),
        "categories": sorted(
            Category.objects.filter(timebank=timebank).values_list(
                "pk", "name", "slug", "description", "needs_dbs_check", "needs_references", "is_active", "position"
            )
        ),
    }


# --- The matrix: every page with an object in its address ----------------------------------------

TODAY = timezone.localdate()
PERIOD = f"start={TODAY - datetime.timedelta(days=365)}&end={TODAY}"


@dataclass
class Target:
    """How to address one of A's objects on a page, and a plausible form to post to it."""

    kwargs: dict[str, Any]
    query: str = ""
    post: dict[str, Any] | None = None


def _profile_post(a: TimebankA) -> dict[str, Any]:
    return {"display_name": "Taken over", "postcode": "RG1 7QE", "travel_radius_km": 3, "digest": "never"}


MATRIX: dict[str, Callable[[TimebankA], Target]] = {
    "timebank:coordinator-member": lambda a: Target({"public_id": a.member.public_id}),
    "timebank:coordinator-member-edit": lambda a: Target({"public_id": a.member.public_id}, post=_profile_post(a)),
    "timebank:coordinator-member-status": lambda a: Target(
        {"public_id": a.member.public_id}, post={"action": "pause", "note": "by Caversham"}
    ),
    "timebank:coordinator-member-invite": lambda a: Target({"public_id": a.member.public_id}, post={}),
    "timebank:coordinator-member-give": lambda a: Target(
        {"public_id": a.member.public_id}, post={"receiver": str(a.other.public_id), "hours": "1", "note": ""}
    ),
    "timebank:coordinator-transfer-reverse": lambda a: Target(
        {"public_id": a.transfer.public_id}, post={"reason": "by Caversham"}
    ),
    "timebank:listing-detail": lambda a: Target(
        {"public_id": a.offer.public_id}, post={"description": "Caversham wants this"}
    ),
    "timebank:listing-edit": lambda a: Target(
        {"public_id": a.offer.public_id},
        post={
            "title": "Taken over",
            "category": category("gardening", timebank=a.timebank).pk,
            "where": "online",
            "description": "",
        },
    ),
    "timebank:listing-close": lambda a: Target({"public_id": a.offer.public_id}, post={}),
    "timebank:listing-reopen": lambda a: Target({"public_id": a.closed.public_id}, post={}),
    "timebank:exchange-detail": lambda a: Target({"public_id": a.proposed.public_id}),
    "timebank:exchange-action": lambda a: Target(
        {"public_id": a.done.public_id, "action": "confirm"}, post={"note": "confirmed by Caversham"}
    ),
    "timebank:dispute-resolve": lambda a: Target(
        {"public_id": a.disputed.public_id}, post={"outcome": "confirm", "note": "by Caversham"}
    ),
    "brokering:request": lambda a: Target({"public_id": a.request.public_id}),
    "brokering:introduce": lambda a: Target(
        {"public_id": a.request.public_id}, post={"helper": str(a.member.public_id), "description": "x"}
    ),
    "brokering:introduction": lambda a: Target({"public_id": a.introduction.public_id}),
    "brokering:safeguarding-member": lambda a: Target(
        {"public_id": a.member.public_id},
        post={"action": "incident", "occurred_at": "2024-01-01T10:00", "what_happened": "by Caversham"},
    ),
    # A report's slug names a report, not an object: A's data is asked for with ?timebank=<A's id>.
    "brokering:report": lambda a: Target({"slug": "overview"}, query=f"timebank={a.timebank.pk}&{PERIOD}"),
    "brokering:report-csv": lambda a: Target({"slug": "categories"}, query=f"timebank={a.timebank.pk}&{PERIOD}"),
    "privacy:member-erase": lambda a: Target({"public_id": a.member.public_id}, post={"confirm": "on"}),
    # Each timebank has its own categories and safeguarding rules.
    "timebank:category-edit": lambda a: Target(
        {"pk": a.category.pk},
        post={"name": "Taken over", "description": "by Caversham", "needs_dbs_check": "", "needs_references": ""},
    ),
    "timebank:category-set-active": lambda a: Target({"pk": a.category.pk}, post={"active": "0"}),
    "privacy:member-export": lambda a: Target({"public_id": a.member.public_id}),
}

# URL names with arguments that are not in the matrix, and why.
EXCLUDED = {
    "timebank:password-reset-confirm": "a one-time link to set a password: no timebank's data",
    "timebank:join-confirm": "a one-time link confirming a new member's address (tests/security/test_login.py)",
    "timebank:invitation": "a one-time link to choose a first password: no timebank's data (test_invitations.py)",
    "timebank:timebank-home": "a timebank's public page: anyone may read it (and apply)",
    "timebank:timebank-join": "a timebank's public application form: anyone may apply",
    "assets:service": "the community directory is shared by every timebank (assets' own tests)",
    "assets:service-report": "the community directory is shared by every timebank (assets' own tests)",
    "assets:service-claim": "the community directory is shared by every timebank (assets' own tests)",
    "assets:service-edit": "the community directory is shared by every timebank (assets' own tests)",
    "assets:coordinator-report-resolve": "the community directory is shared by every timebank (assets' own tests)",
    "assets:coordinator-claim-decide": "the community directory is shared by every timebank (assets' own tests)",
    "assets:coordinator-feed": "the directory's feeds are shared by every timebank (assets' own tests)",
    "assets:coordinator-feed-run": "the directory's feeds are shared by every timebank (assets' own tests)",
    "referrals:detail": "referrals are scoped by organisation (referrals.actors), in the referrals tests",
    "referrals:step": "a referral being written lives in its author's session (tests/referrals)",
    "referrals:check": "a referral being written lives in its author's session (tests/referrals)",
}


# Apps whose pages are covered by a cross-timebank test of their own: every page
# name of the app (with an argument) must be named in that file.
COVERED_ELSEWHERE = {
    "involvement": "tests/coproduction/test_involvement_tenancy.py",
    "voice": "tests/coproduction/test_voice_tenancy.py",
    "assessment": "tests/coproduction/test_assessment_tenancy.py",
}


def _page_names_with_arguments() -> set[str]:
    """Every page's URL name that takes an argument, from the resolver itself."""

    def walk(patterns, prefix: str, namespace: str | None):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                yield from walk(pattern.url_patterns, route, f"{namespace}:{inner}" if namespace and inner else inner)
            elif (
                isinstance(pattern, URLPattern)
                and pattern.name
                and not route.startswith(OUTSIDE_PAGES)
                and pattern.pattern.regex.groupindex  # it takes an argument
            ):
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return set(walk(get_resolver().url_patterns, "", None))


def test_every_page_with_an_argument_is_in_the_matrix_or_excluded_with_a_reason():
    names = _page_names_with_arguments()
    assert names, "the resolver walk found no pages"
    elsewhere = {name for name in names if name.split(":")[0] in COVERED_ELSEWHERE}
    for name in sorted(elsewhere):
        test_file = Path(__file__).resolve().parents[2] / COVERED_ELSEWHERE[name.split(":")[0]]
        assert test_file.exists() and f'"{name}"' in test_file.read_text(), f"{name} is not covered by {test_file}"
    names -= elsewhere
    missing = names - set(MATRIX) - set(EXCLUDED)
    assert not missing, f"Add these pages to MATRIX (or EXCLUDED with a reason): {sorted(missing)}"
    stale = (set(MATRIX) | set(EXCLUDED)) - names
    assert not stale, f"These names are no longer pages: {sorted(stale)}"
    assert not set(MATRIX) & set(EXCLUDED)
    assert all(reason.strip() for reason in EXCLUDED.values())


def _refused_or_waiting(response, secret: str, *, refused=(403, 404)) -> bool:
    """404 (or 403); for an applicant also the "waiting for a coordinator"
    page, which shows nothing of A's."""
    if response.status_code in refused:
        return True
    templates = {t.name for t in getattr(response, "templates", []) or []}
    return (
        response.status_code == 200
        and "timebank/members/waiting.html" in templates
        and secret not in response.content.decode()
    )


@pytest.mark.parametrize("who", ["b_coordinator", "b_member", "b_applicant"])
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_timebank_bs_people_cannot_see_or_change_as_objects(client, request, a, who, name):
    user = request.getfixturevalue(who)
    target = MATRIX[name](a)
    url = reverse(name, kwargs=target.kwargs) + (f"?{target.query}" if target.query else "")
    before = snapshot(a.timebank)
    client.force_login(user)

    got = client.get(url)
    # 405: a page that only takes a POST (the POST below must then be refused).
    assert _refused_or_waiting(got, "Oxfordian", refused=(403, 404, 405)), f"GET {url} as {who}: {got.status_code}"
    assert "Oxfordian" not in got.content.decode()
    posted = client.post(url, target.post or {})
    assert _refused_or_waiting(posted, "Oxfordian"), f"POST {url} as {who}: {posted.status_code}"
    assert "Oxfordian" not in posted.content.decode()

    assert snapshot(a.timebank) == before


@pytest.mark.parametrize("action", sorted(exchange_services.ACTIONS))
def test_no_step_on_any_of_as_exchanges_by_bs_coordinator(client, a, b_coordinator, action):
    before = snapshot(a.timebank)
    client.force_login(b_coordinator)
    for exchange in (a.proposed, a.done, a.disputed, a.posted, a.introduction):
        url = reverse("timebank:exchange-action", kwargs={"public_id": exchange.public_id, "action": action})
        assert client.post(url, {"note": "x", "minutes": "60"}).status_code == 404
    assert snapshot(a.timebank) == before


def test_as_own_coordinator_opens_every_page_of_the_matrix(client, a):
    """The matrix's addresses are right: A's own coordinator gets past the 404 on each
    (a page that only takes a POST is posted to)."""
    client.force_login(a.timebank.coordinators.get())
    for name, build in MATRIX.items():
        target = build(a)
        url = reverse(name, kwargs=target.kwargs) + (f"?{target.query}" if target.query else "")
        response = client.get(url)
        if response.status_code == 405:
            response = client.post(url, target.post or {})
        assert response.status_code in (200, 302), (name, response.status_code)


# --- Lists show none of A's rows -----------------------------------------------------------------

COORDINATOR_LISTS = [
    "timebank:coordinator-dashboard",
    "timebank:coordinator-members",
    "timebank:coordinator-applications",
    "timebank:coordinator-pot",
    "timebank:dispute-list",
    "timebank:record-exchange",
    "brokering:workbench",
    "brokering:safeguarding",
    "brokering:incidents",
    "brokering:reports",
    "brokering:funder-summary",
    "brokering:safeguarding-categories",
    "timebank:category-list",
]


def test_bs_coordinator_lists_show_none_of_as_rows(client, a, b_coordinator):
    client.force_login(b_coordinator)
    for name in COORDINATOR_LISTS:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        text = response.content.decode()
        assert "Oxfordian" not in text and "Oxford Road" not in text, name
    browse = client.get(reverse("timebank:listing-browse")).content.decode()
    assert "Oxfordian" not in browse


def test_bs_member_and_applicant_browse_none_of_as_listings(client, a, b_member, b_applicant):
    client.force_login(b_member)
    response = client.get(reverse("timebank:listing-browse"))
    assert response.status_code == 200 and "Oxfordian" not in response.content.decode()
    client.force_login(b_applicant)
    response = client.get(reverse("timebank:listing-browse"))
    assert "Oxfordian" not in response.content.decode()


def test_bs_reports_count_none_of_as_hours(client, a, b_coordinator):
    client.force_login(b_coordinator)
    period = PERIOD
    csv = client.get(reverse("brokering:report-csv", kwargs={"slug": "categories"}) + f"?{period}")
    assert csv.status_code == 200
    assert csv.content.decode().strip().splitlines()[1:] == []  # the header only: B has no exchanges
    client.force_login(a.timebank.coordinators.get())
    csv = client.get(reverse("brokering:report-csv", kwargs={"slug": "categories"}) + f"?{period}")
    assert "Gardening" in csv.content.decode()


def test_the_report_form_offers_only_the_coordinators_timebanks(client, a, b, b_coordinator):
    client.force_login(b_coordinator)
    response = client.get(reverse("brokering:reports"))
    field = response.context["form"].fields["timebank"]
    assert list(field.queryset) == [b]
    for junk in (str(a.timebank.pk), "999999", "abc", "1" * 30):
        for name, kwargs in [
            ("brokering:reports", {}),
            ("brokering:funder-summary", {}),
            ("brokering:report", {"slug": "overview"}),
            ("brokering:report-csv", {"slug": "overview"}),
        ]:
            assert client.get(reverse(name, kwargs=kwargs) + f"?timebank={junk}").status_code == 404, (name, junk)


def test_a_coordinator_cannot_switch_to_a_timebank_they_do_not_coordinate(client, a, b_coordinator):
    client.force_login(b_coordinator)
    for name in ("timebank:coordinator-members", "timebank:coordinator-dashboard", "brokering:workbench"):
        assert client.get(reverse(name) + f"?coordinating={a.timebank.slug}").status_code == 404
    # And browsing offers cannot be switched to A's either.
    assert client.get(reverse("timebank:listing-browse") + f"?coordinating={a.timebank.slug}").status_code == 404


def test_a_coordinator_of_both_switches_between_them(client, a, b, b_member):
    both = UserFactory(username="bea", roles=[Role.COORDINATOR], coordinates=[a.timebank, b])
    client.force_login(both)
    members = reverse("timebank:coordinator-members")
    olive = reverse("timebank:coordinator-member", kwargs={"public_id": a.member.public_id})

    in_a = client.get(f"{members}?coordinating={a.timebank.slug}").content.decode()
    assert "Oxfordian Olive" in in_a and "Caversham Carl" not in in_a
    # The switcher names both, marks the one in use, and links to the other with plain links.
    assert 'aria-label="Timebank you are coordinating"' in in_a
    assert f'href="{members}?coordinating={b.slug}"' in in_a
    assert "<strong>Oxford Road</strong> (in use)" in in_a
    # The choice is remembered for the session.
    assert "Oxfordian Olive" in client.get(members).content.decode()
    assert client.get(olive).status_code == 200

    in_b = client.get(f"{members}?coordinating={b.slug}").content.decode()
    assert "Caversham Carl" in in_b and "Oxfordian Olive" not in in_b
    assert "<strong>Caversham</strong> (in use)" in in_b
    # Working in B, A's member is not on B's pages; A's objects are reached by switching back.
    assert client.get(olive).status_code == 404
    reports = client.get(reverse("brokering:reports"))
    assert set(reports.context["form"].fields["timebank"].queryset) == {a.timebank, b}
    assert client.get(reverse("brokering:reports") + f"?timebank={a.timebank.pk}").status_code == 200


def test_a_coordinator_of_one_timebank_sees_no_switcher(client, a, b_coordinator):
    client.force_login(b_coordinator)
    text = client.get(reverse("timebank:coordinator-dashboard")).content.decode()
    assert "Timebank you are coordinating" not in text


# --- Applicants see their own profile and the directory, not other members' -------------------


def test_an_applicant_sees_their_profile_and_the_directory_but_no_offers_or_requests(client, a):
    client.force_login(a.applicant.user)
    assert client.get(reverse("timebank:my-profile")).status_code == 200
    assert client.get(reverse("assets:directory")).status_code == 200
    for url in (
        reverse("timebank:listing-browse"),
        reverse("timebank:listing-detail", kwargs={"public_id": a.offer.public_id}),
        reverse("brokering:my-matches"),
    ):
        response = client.get(url)
        assert _refused_or_waiting(response, "Oxfordian offer"), url
    for url in (
        reverse("timebank:exchange-detail", kwargs={"public_id": a.proposed.public_id}),
        reverse("timebank:coordinator-member", kwargs={"public_id": a.member.public_id}),
    ):
        assert client.get(url).status_code == 404, url


def test_once_approved_the_member_sees_their_timebanks_offers(client, a):
    member_services.member_approve(member=a.applicant, by_user=a.timebank.coordinators.get())
    client.force_login(a.applicant.user)
    assert "Oxfordian offer of gardening" in client.get(reverse("timebank:listing-browse")).content.decode()
    detail = reverse("timebank:listing-detail", kwargs={"public_id": a.offer.public_id})
    assert client.get(detail).status_code == 200


# --- Services refuse another timebank's coordinator ----------------------------------------------

SERVICE_CALLS: dict[str, Callable[[TimebankA, Any], object]] = {
    "exchange_accept": lambda a, u: exchange_services.exchange_accept(exchange=a.proposed, by_user=u),
    "exchange_decline": lambda a, u: exchange_services.exchange_decline(exchange=a.proposed, by_user=u),
    "exchange_cancel": lambda a, u: exchange_services.exchange_cancel(exchange=a.proposed, by_user=u),
    "exchange_record": lambda a, u: exchange_services.exchange_record(exchange=a.proposed, by_user=u, minutes=60),
    "exchange_confirm": lambda a, u: exchange_services.exchange_confirm(exchange=a.done, by_user=u),
    "exchange_dispute": lambda a, u: exchange_services.exchange_dispute(exchange=a.done, by_user=u, note="x"),
    "exchange_resolve": lambda a, u: exchange_services.exchange_resolve(
        exchange=a.disputed, by_user=u, outcome="confirm", note="x"
    ),
    "exchange_propose": lambda a, u: exchange_services.exchange_propose(
        timebank=a.timebank, provider=a.member, receivers=[a.other], by_user=u
    ),
    "exchange_record_for_members": lambda a, u: exchange_services.exchange_record_for_members(
        provider=a.member, receivers=[a.other], minutes=60, by_user=u, description="x"
    ),
    "listing_update": lambda a, u: listing_services.listing_update(listing=a.offer, by_user=u, title="Taken"),
    "listing_close": lambda a, u: listing_services.listing_close(listing=a.offer, by_user=u),
    "listing_reopen": lambda a, u: listing_services.listing_reopen(listing=a.closed, by_user=u),
    "listing_create": lambda a, u: listing_services.listing_create(
        member=a.member,
        kind="offer",
        category=category("gardening", timebank=a.timebank),
        title="x",
        where="online",
        by_user=u,
    ),
    "category_create": lambda a, u: listing_services.category_create(timebank=a.timebank, name="Planted", by_user=u),
    "category_update": lambda a, u: listing_services.category_update(
        category=a.category, name="Taken", needs_dbs_check=False, needs_references=False, by_user=u
    ),
    "category_set_active": lambda a, u: listing_services.category_set_active(
        category=a.category, active=False, by_user=u
    ),
    "category_safeguarding_set": lambda a, u: category_safeguarding_set(
        category=a.category, needs_dbs_check=False, needs_references=False, by_user=u
    ),
    "member_approve": lambda a, u: member_services.member_approve(member=a.applicant, by_user=u),
    "member_decline": lambda a, u: member_services.member_decline(member=a.applicant, by_user=u),
    "member_pause": lambda a, u: member_services.member_pause(member=a.member, by_user=u),
    "member_leave": lambda a, u: member_services.member_leave(member=a.member, by_user=u),
    "member_update_profile": lambda a, u: member_services.member_update_profile(
        member=a.member, by_user=u, display_name="Taken", postcode="RG1 7QE", travel_radius_km=3
    ),
    "member_create_offline": lambda a, u: member_services.member_create_offline(
        timebank=a.timebank, by_user=u, display_name="Planted", postcode="RG1 7QE"
    ),
    "member_give_hours": lambda a, u: member_services.member_give_hours(
        giver=a.member, receiver=a.other, minutes=60, by_user=u
    ),
    "member_donate_to_pot": lambda a, u: member_services.member_donate_to_pot(member=a.member, minutes=60, by_user=u),
    "pot_grant_to_member": lambda a, u: member_services.pot_grant_to_member(
        member=a.member, minutes=60, by_user=u, reason="x"
    ),
    "transfer_reverse_with_reason": lambda a, u: member_services.transfer_reverse_with_reason(
        transfer=a.transfer, by_user=u, reason="x"
    ),
    "check_record": lambda a, u: check_record(
        member=a.member,
        kind="reference",
        checked_on=datetime.date(2024, 1, 1),
        expires_on=None,
        referee_name="x",
        by_user=u,
    ),
    "incident_record": lambda a, u: incident_record(
        member=a.member, occurred_at=timezone.now(), what_happened="x", action_taken="", by_user=u
    ),
    "restriction_add": lambda a, u: restriction_add(
        member=a.member, category=category("befriending", timebank=a.timebank), reason="x", by_user=u
    ),
    "restriction_remove": lambda a, u: restriction_remove(restriction=a.restriction, by_user=u),
    "introduction_make": lambda a, u: introduction_make(
        request=a.request, helper_public_id=a.member.public_id, by_user=u
    ),
    "member_erase": lambda a, u: member_erase(member=a.member, by_user=u),
}


@pytest.mark.parametrize("service", sorted(SERVICE_CALLS))
def test_services_refuse_another_timebanks_coordinator(a, b_coordinator, service):
    before = snapshot(a.timebank)
    with pytest.raises(NotAllowedError):
        SERVICE_CALLS[service](a, b_coordinator)
    assert snapshot(a.timebank) == before


def test_as_coordinator_may_still_act_on_as_objects(a):
    coordinator = a.timebank.coordinators.get()
    exchange_services.exchange_confirm(exchange=a.done, by_user=coordinator)
    listing_services.listing_close(listing=a.offer, by_user=coordinator)
    member_services.member_pause(member=a.member, by_user=coordinator)
    restriction_remove(restriction=a.restriction, by_user=coordinator)
    a.done.refresh_from_db()
    assert a.done.status == ExchangeStatus.POSTED


def test_safeguarding_reminders_go_to_each_timebanks_own_coordinators(
    a, b, b_coordinator, django_capture_on_commit_callbacks, mailoutbox
):
    from brokering.services.safeguarding import check_reminders_send

    soon = timezone.localdate() + datetime.timedelta(days=3)
    SafeguardingCheck.objects.create(
        member=a.member, kind="dbs-basic", reference_number="1", checked_on="2024-01-01", expires_on=soon
    )
    carl = Member.objects.get(display_name="Caversham Coordinator")
    SafeguardingCheck.objects.create(
        member=carl, kind="dbs-basic", reference_number="2", checked_on="2024-01-01", expires_on=soon
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert check_reminders_send() == 2
    by_recipient = {address: message.body for message in mailoutbox for address in message.to}
    assert "Oxfordian Olive" in by_recipient["ada@example.org"]
    assert "Caversham Coordinator" not in by_recipient["ada@example.org"]
    assert "Oxfordian" not in by_recipient[b_coordinator.email]
