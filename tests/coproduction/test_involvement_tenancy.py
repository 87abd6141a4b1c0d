"""Involvement across timebanks (docs/quality.md T1): the coordinator, a member
and an applicant of timebank B get "Not found" on every page of timebank A's
opportunities, sign-ups, claims and receipts, see none of A's rows in their
lists, and posting A's forms changes nothing. tests/timebank/test_tenancy_pages.py
checks that every involvement page name with an argument is named here."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse

from coproduction.involvement import services
from coproduction.involvement.models import ExpenseClaim, ExpenseClaimEvent, Opportunity, Participation
from core.errors import NotAllowedError
from tests.coproduction.test_involvement import details, has_started, published
from tests.factories import MemberFactory, UserFactory
from timebank.models import Account, MemberStatus, Role, Timebank, Transfer

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SECRET = "Oxfordian"


@dataclass
class TimebankA:
    timebank: Timebank
    coordinator: object
    opportunity: Opportunity
    draft: Opportunity
    participation: Participation
    claim: ExpenseClaim
    line_id: int


@pytest.fixture
def a() -> TimebankA:
    timebank = Timebank.objects.create(name="Oxford Road", slug="oxford-road")
    coordinator = UserFactory(username="ada", roles=[Role.COORDINATOR], coordinates=[timebank])
    member = MemberFactory(timebank=timebank, display_name="Oxfordian Olive", user__username="olive")
    opportunity = published(coordinator, timebank=timebank, title="Oxfordian planning day")
    draft = services.opportunity_create(
        by_user=coordinator,
        timebank=timebank,
        details=details(title="Oxfordian draft"),
    )
    participation = services.participation_sign_up(
        by_user=member.user, opportunity=opportunity, access_needs="Oxfordian ramp"
    )
    claim = services.expense_claim_estimate(
        by_user=member.user,
        participation=participation,
        lines=[services.LineEstimate(kind="travel", description="Oxfordian bus", estimate_pence=300)],
    )
    has_started(opportunity)
    line = claim.lines.get()
    claim = services.expense_claim_submit(
        by_user=member.user, claim=claim, actuals={line.pk: 300}, receipts={line.pk: services.Receipt(data=PNG)}
    )
    return TimebankA(timebank, coordinator, opportunity, draft, participation, claim, line.pk)


@pytest.fixture
def b() -> Timebank:
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
    return MemberFactory(timebank=b, user__username="capp", status=MemberStatus.APPLIED).user


def pages(a: TimebankA) -> dict[str, tuple[str, dict]]:
    """Every involvement page with an object in its address, with a form to post."""
    opportunity, claim = a.opportunity.public_id, a.claim.public_id
    return {
        "involvement:opportunity": (reverse("involvement:opportunity", args=[opportunity]), {"access_needs": "x"}),
        "involvement:withdraw": (reverse("involvement:withdraw", args=[opportunity]), {}),
        "involvement:claim-new": (reverse("involvement:claim-new", args=[opportunity]), {"estimate_travel": "1"}),
        "involvement:claim": (reverse("involvement:claim", args=[claim]), {"action": "answer", "text": "x"}),
        "involvement:receipt": (reverse("involvement:receipt", args=[claim, a.line_id]), {}),
        "involvement:manage": (reverse("involvement:manage", args=[opportunity]), {"action": "close"}),
        "involvement:opportunity-edit": (
            reverse("involvement:opportunity-edit", args=[a.draft.public_id]),
            {"title": "Taken over"},
        ),
        "involvement:claim-review": (reverse("involvement:claim-review", args=[claim]), {"action": "approve"}),
    }


def snapshot(a: TimebankA) -> dict[str, object]:
    return {
        "opportunities": sorted(Opportunity.objects.filter(timebank=a.timebank).values_list("pk", "status", "title")),
        "participations": sorted(
            Participation.objects.filter(opportunity__timebank=a.timebank).values_list("pk", "status", "member_id")
        ),
        "claims": sorted(ExpenseClaim.objects.values_list("pk", "status")),
        "events": ExpenseClaimEvent.objects.count(),
        "transfers": Transfer.objects.filter(timebank=a.timebank).count(),
        "balances": sorted(Account.objects.filter(timebank=a.timebank).values_list("pk", "balance")),
    }


def refused_or_waiting(response) -> bool:
    """404 (405 for a POST-only page's GET); for an applicant also the
    "waiting for a coordinator" page, which shows nothing of A's."""
    if response.status_code in (404, 405):
        return True
    templates = {t.name for t in getattr(response, "templates", []) or []}
    return response.status_code == 200 and "timebank/members/waiting.html" in templates


@pytest.mark.parametrize("who", ["b_coordinator", "b_member", "b_applicant"])
@pytest.mark.parametrize(
    "name",
    [
        "involvement:opportunity",
        "involvement:withdraw",
        "involvement:claim-new",
        "involvement:claim",
        "involvement:receipt",
        "involvement:manage",
        "involvement:opportunity-edit",
        "involvement:claim-review",
    ],
)
def test_timebank_bs_people_cannot_see_or_change_as_involvement(client, request, a, who, name):
    user = request.getfixturevalue(who)
    url, form = pages(a)[name]
    before = snapshot(a)
    client.force_login(user)
    got = client.get(url)
    assert refused_or_waiting(got), f"GET {url} as {who}: {got.status_code}"
    assert SECRET not in got.content.decode()
    posted = client.post(url, form)
    assert refused_or_waiting(posted), f"POST {url} as {who}: {posted.status_code}"
    assert SECRET not in posted.content.decode()
    assert snapshot(a) == before


def test_as_coordinator_opens_every_page(client, a):
    client.force_login(a.coordinator)
    for name, (url, _form) in pages(a).items():
        if name in ("involvement:withdraw", "involvement:claim-new", "involvement:opportunity", "involvement:claim"):
            continue  # the member's own pages: the coordinator has no sign-up of their own
        assert client.get(url).status_code == 200, name


def test_bs_lists_and_reports_show_none_of_as_rows(client, a, b_coordinator, b_member):
    client.force_login(b_coordinator)
    for name in ("involvement:manage-list", "involvement:claims", "involvement:expenses-report"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert SECRET not in response.content.decode()
    csv = client.get(reverse("involvement:expenses-report") + "?format=csv").content.decode()
    assert csv.strip().count("\n") == 0  # the header only
    client.force_login(b_member)
    page = client.get(reverse("involvement:opportunities")).content.decode()
    assert SECRET not in page


def test_services_refuse_another_timebanks_coordinator(a, b_coordinator):
    for call in (
        lambda: services.opportunity_publish(by_user=b_coordinator, opportunity=a.draft),
        lambda: services.attendance_record(
            by_user=b_coordinator, opportunity=a.opportunity, attended=[a.participation.pk]
        ),
        lambda: services.expense_claim_approve(by_user=b_coordinator, claim=a.claim),
    ):
        with pytest.raises(NotAllowedError):
            call()
