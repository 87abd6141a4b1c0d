"""Two timebanks in one install: timebank B's coordinator, member and applicant
get "not found" on every self-assessment page of timebank A's rounds, see none
of A's rounds in their lists, and replaying A's forms changes nothing
(docs/quality.md T1). tests/timebank/test_tenancy_pages.py checks that every
page name of the app with an argument is named here."""

from __future__ import annotations

import pytest
from django.urls import reverse

from coproduction.assessment import services
from coproduction.assessment.models import Answer, AnswerSet, Round, Statement
from tests.factories import MemberFactory, UserFactory
from tests.timebank.test_tenancy_pages import _refused_or_waiting
from timebank.models import MemberStatus, Role, Timebank

pytestmark = pytest.mark.django_db

A_ROUND_TITLE = "Oxfordian spring round"


def _scores(round: Round, score: int) -> dict[int, int | None]:
    return {s.pk: score for s in round.statements.all()}


@pytest.fixture
def a():
    timebank = Timebank.objects.create(name="Oxford Road", slug="oxford-road")
    coordinator = UserFactory(username="ada", roles=[Role.COORDINATOR], coordinates=[timebank])
    member = MemberFactory(timebank=timebank, display_name="Oxfordian Olive", user__username="olive")
    round = services.round_open(by_user=coordinator, timebank=timebank, title=A_ROUND_TITLE)
    services.answers_save(by_user=coordinator, round=round, scores=_scores(round, 3))
    services.answers_save(by_user=member.user, round=round, scores=_scores(round, 1))
    return {"timebank": timebank, "coordinator": coordinator, "member": member, "round": round}


@pytest.fixture
def b():
    timebank = Timebank.objects.create(name="Caversham", slug="caversham")
    coordinator = UserFactory(username="cav-coord", roles=[Role.COORDINATOR], coordinates=[timebank])
    member = MemberFactory(timebank=timebank, display_name="Caversham Carl", user__username="carl")
    applicant = MemberFactory(
        timebank=timebank, display_name="Caversham Applicant", user__username="capp", status=MemberStatus.APPLIED
    )
    own_round = services.round_open(by_user=coordinator, timebank=timebank, title="Caversham round")
    return {
        "timebank": timebank,
        "b_coordinator": coordinator,
        "b_member": member.user,
        "b_applicant": applicant.user,
        "round": own_round,
    }


def snapshot(a) -> dict:
    return {
        "rounds": sorted(Round.objects.filter(timebank=a["timebank"]).values_list("pk", "title", "closed_at")),
        "answers": sorted(Answer.objects.filter(answer_set__round__timebank=a["timebank"]).values_list("pk", "score")),
        "answer_sets": AnswerSet.objects.filter(round__timebank=a["timebank"]).count(),
        "statements": sorted(Statement.objects.values_list("pk", "staff_text", "retired_at")),
    }


def _refused(response) -> bool:
    """404, or for an applicant the "waiting for a coordinator" page, showing nothing of A's."""
    return _refused_or_waiting(response, A_ROUND_TITLE, refused=(404,))


# Every page of the app with an argument, and what replaying its form would post.
PAGES = {
    "assessment:results": ("round_id", {}),
    "assessment:answer": ("round_id", {"answers": 3}),
    "assessment:round-close": ("round_id", {}),
    # Statements are shared by every timebank and only a network administrator edits them.
    "assessment:statement-edit": ("pk", {"retire": "yes"}),
}


@pytest.mark.parametrize("who", ["b_coordinator", "b_member", "b_applicant"])
@pytest.mark.parametrize("name", sorted(PAGES))
def test_timebank_bs_people_get_not_found_on_as_assessment_pages_and_change_nothing(client, a, b, who, name):
    argument, body = PAGES[name]
    value = Statement.objects.first().pk if argument == "pk" else a["round"].pk
    url = reverse(name, kwargs={argument: value})
    data = dict(body)
    if data.pop("answers", None) is not None:
        data.update({f"statement_{pk}": "3" for pk in _scores(a["round"], 3)})
    before = snapshot(a)
    client.force_login(b[who])

    for response in (client.get(url), client.post(url, data)):
        assert _refused(response), (who, name, response.status_code)
        assert A_ROUND_TITLE not in response.content.decode()

    assert snapshot(a) == before


def test_as_own_people_open_the_same_pages(client, a):
    round = a["round"]
    client.force_login(a["coordinator"])
    for name in ("assessment:results", "assessment:answer", "assessment:round-close"):
        page = client.get(reverse(name, kwargs={"round_id": round.pk}))
        assert page.status_code == 200 and A_ROUND_TITLE in page.content.decode()
    client.force_login(a["member"].user)
    for name in ("assessment:results", "assessment:answer"):
        assert client.get(reverse(name, kwargs={"round_id": round.pk})).status_code == 200
    # Closing is for coordinators only.
    assert client.get(reverse("assessment:round-close", kwargs={"round_id": round.pk})).status_code == 404


def test_bs_lists_show_none_of_as_rounds(client, a, b):
    for who in ("b_coordinator", "b_member"):
        client.force_login(b[who])
        page = client.get(reverse("assessment:home")).content.decode()
        assert "Caversham round" in page
        assert A_ROUND_TITLE not in page


def test_bs_answers_never_count_in_as_results(a, b):
    # B's coordinator answering B's round leaves A's totals alone.
    services.answers_save(by_user=b["b_coordinator"], round=b["round"], scores=_scores(b["round"], 0))
    from coproduction.assessment.selectors import round_results

    results = round_results(round=a["round"])
    assert results.staff_count == 1 and results.member_count == 1
    assert all(row.staff == 3 for row in results.by_rung)
