"""The co-production self-assessment: rounds, answers, results per round with
the gap between staff and members, the ladder rule, next steps, progress,
the statements a network administrator edits, privacy and the demo."""

from __future__ import annotations

import io
import re

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.urls import reverse

from coproduction.assessment import demo, selectors, services
from coproduction.assessment.models import Answer, AnswerSet, Round, Rung, Side, Statement, Value
from core.errors import ConflictError, InvalidInputError, NotAllowedError
from privacy import selectors as privacy_export
from privacy.services import member_erase
from tests.factories import MemberFactory, UserFactory
from timebank.models import MemberStatus, Role, Timebank

pytestmark = pytest.mark.django_db


def answer(user, round: Round, by_rung: dict[str, int | None], *, default: int | None = 0) -> AnswerSet:
    """`user` gives every statement of the round its rung's score (`default` for others)."""
    scores = {s.pk: by_rung.get(s.rung.slug, default) for s in round.statements.select_related("rung")}
    return services.answers_save(by_user=user, round=round, scores=scores)


@pytest.fixture
def members(timebank):
    return [MemberFactory(display_name=f"Member {n}", user__username=f"m{n}") for n in range(4)]


@pytest.fixture
def round(timebank, coordinator) -> Round:
    return services.round_open(by_user=coordinator, timebank=timebank, title="Spring 2026")


STAFF_VIEW = {"educating": 3, "informing": 3, "consulting": 3, "engaging": 3, "co-design": 2, "co-production": 1}
MEMBERS_VIEW = {"educating": 2, "informing": 2, "consulting": 1, "engaging": 1, "co-design": 1, "co-production": 0}


# --- The seeded ladder, values and statements ------------------------------------------------


def test_the_migration_seeds_the_ladder_from_coercion_to_co_production():
    assert list(Rung.objects.order_by("position").values_list("name", flat=True)) == [
        "Coercion",
        "Educating",
        "Informing",
        "Consulting",
        "Engaging",
        "Co-design",
        "Co-production",
    ]
    assert set(Value.objects.values_list("name", flat=True)) == {
        "Sharing power",
        "Including everyone",
        "Reciprocity",
        "Recognising people's assets",
        "Building relationships",
    }
    statements = Statement.objects.select_related("rung")
    assert statements.count() == 18
    # Every rung above coercion has statements, and every value is asked about.
    assert {s.rung.slug for s in statements} == set(
        Rung.objects.exclude(slug="coercion").values_list("slug", flat=True)
    )
    assert {s.value_id for s in statements} == set(Value.objects.values_list("pk", flat=True))
    assert all(s.staff_text and s.member_text and s.next_step for s in statements)
    assert all(r.next_step for r in Rung.objects.exclude(slug="coercion"))


# --- Rounds ----------------------------------------------------------------------------------


def test_a_coordinator_opens_a_round_that_asks_every_statement_in_use(timebank, coordinator):
    retired = Statement.objects.first()
    retired.retired_at = "2026-01-01T00:00Z"
    retired.save()

    opened = services.round_open(by_user=coordinator, timebank=timebank, title="  Spring   2026 ")

    assert opened.title == "Spring 2026"
    assert opened.is_open and opened.opened_by == coordinator
    assert set(opened.statements.values_list("pk", flat=True)) == set(
        Statement.objects.filter(retired_at__isnull=True).values_list("pk", flat=True)
    )
    assert retired not in opened.statements.all()


def test_only_one_round_is_open_at_a_time(round, timebank, coordinator):
    with pytest.raises(ConflictError, match="already open"):
        services.round_open(by_user=coordinator, timebank=timebank, title="Another")
    # The database says so too, even for code that skips the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        Round.objects.create(timebank=timebank, title="Sneaked in", opened_on="2026-01-01")
    services.round_close(by_user=coordinator, round=round)
    services.round_open(by_user=coordinator, timebank=timebank, title="Autumn 2026")
    assert Round.objects.filter(timebank=timebank).count() == 2


def test_a_round_needs_a_name(timebank, coordinator):
    with pytest.raises(InvalidInputError) as refused:
        services.round_open(by_user=coordinator, timebank=timebank, title="   ")
    assert refused.value.field == "title"
    assert not Round.objects.exists()


def test_members_and_other_timebanks_coordinators_cannot_open_or_close_a_round(round, timebank, alice):
    elsewhere = Timebank.objects.create(name="Caversham", slug="caversham")
    other = UserFactory(username="cav", roles=[Role.COORDINATOR], coordinates=[elsewhere])
    for who in (alice.user, other):
        with pytest.raises(NotAllowedError):
            services.round_open(by_user=who, timebank=timebank, title="Mine")
        with pytest.raises(NotAllowedError):
            services.round_close(by_user=who, round=round)
    round.refresh_from_db()
    assert round.is_open and Round.objects.count() == 1


# --- Answers ---------------------------------------------------------------------------------


def test_a_coordinator_answers_as_staff_and_a_member_as_a_member(round, coordinator, alice):
    staff = answer(coordinator, round, STAFF_VIEW)
    member = answer(alice.user, round, MEMBERS_VIEW)

    assert (staff.side, member.side) == (Side.STAFF, Side.MEMBER)
    assert staff.answers.count() == member.answers.count() == round.statements.count()
    consulting = round.statements.filter(rung__slug="consulting").first()
    assert staff.answers.get(statement=consulting).score == 3
    assert member.answers.get(statement=consulting).score == 1


def test_answering_again_replaces_the_persons_answers(round, alice):
    answer(alice.user, round, {}, default=1)
    answer(alice.user, round, {}, default=None)

    assert AnswerSet.objects.filter(round=round, respondent=alice.user).count() == 1
    assert set(Answer.objects.filter(answer_set__round=round).values_list("score", flat=True)) == {None}


def test_every_statement_must_be_answered_and_nothing_is_half_written(round, alice):
    scores = {s.pk: 2 for s in round.statements.all()}
    missing = scores.popitem()[0]
    with pytest.raises(InvalidInputError) as refused:
        services.answers_save(by_user=alice.user, round=round, scores=scores)
    assert refused.value.field == f"statement_{missing}"
    bad = {s.pk: 7 for s in round.statements.all()}
    with pytest.raises(InvalidInputError):
        services.answers_save(by_user=alice.user, round=round, scores=bad)
    assert not AnswerSet.objects.exists() and not Answer.objects.exists()


def test_no_answers_once_the_round_is_closed(round, coordinator, alice):
    services.round_close(by_user=coordinator, round=round)
    with pytest.raises(ConflictError, match="closed"):
        answer(alice.user, round, {}, default=2)
    with pytest.raises(ConflictError, match="already closed"):
        services.round_close(by_user=coordinator, round=round)
    assert not AnswerSet.objects.exists()


def test_only_the_timebanks_own_people_may_answer(round):
    elsewhere = Timebank.objects.create(name="Caversham", slug="caversham")
    outsider = MemberFactory(timebank=elsewhere, user__username="carl")
    applicant = MemberFactory(user__username="amy", status=MemberStatus.APPLIED)
    for who in (outsider.user, applicant.user):
        with pytest.raises(NotAllowedError):
            answer(who, round, {}, default=2)
    assert not AnswerSet.objects.exists()


# --- Results ---------------------------------------------------------------------------------


def _by_slug(rows):
    return {row.subject.slug: row for row in rows}


def test_results_of_a_round_compare_staff_and_members_by_rung_value_and_statement(round, coordinator, members):
    answer(coordinator, round, STAFF_VIEW)
    for member in members[:3]:
        answer(member.user, round, MEMBERS_VIEW)
    services.round_close(by_user=coordinator, round=round)

    results = selectors.round_results(round=round)

    assert (results.staff_count, results.member_count, results.members_shown) == (1, 3, True)
    rungs = _by_slug(results.by_rung)
    assert [r.subject.slug for r in results.by_rung] == list(STAFF_VIEW)  # bottom first, no coercion
    assert rungs["consulting"].staff == 3 and rungs["consulting"].members == 1
    assert rungs["consulting"].gap == 2
    assert rungs["co-production"].gap == 1
    # Staff: every rung up to engaging scores 3 and co-design 2: co-design reached; co-production (1) not.
    assert results.staff_place.slug == "co-design"
    # Members: educating and informing at 2, consulting 1: informing.
    assert results.members_place.slug == "informing"
    # The biggest gaps are the consulting and engaging statements (2 points), largest first.
    assert results.biggest_gaps
    assert {g.subject.rung.slug for g in results.biggest_gaps} <= {"consulting", "engaging"}
    assert all(g.gap == 2 for g in results.biggest_gaps)
    # Values mix rungs: each value's score is the average of its statements.
    sharing = _by_slug(results.by_value)["sharing-power"]
    statements = [s for s in round.statements.select_related("rung") if s.value.slug == "sharing-power"]
    assert sharing.staff == pytest.approx(sum(STAFF_VIEW[s.rung.slug] for s in statements) / len(statements))
    assert sharing.members == pytest.approx(sum(MEMBERS_VIEW[s.rung.slug] for s in statements) / len(statements))


def test_next_steps_come_from_the_database_starting_with_the_next_rung(round, coordinator, members):
    answer(coordinator, round, STAFF_VIEW)
    for member in members[:3]:
        answer(member.user, round, MEMBERS_VIEW)
    services.round_close(by_user=coordinator, round=round)
    consulting = Rung.objects.get(slug="consulting")
    consulting.next_step = "Hold a members' meeting before each big decision."
    consulting.save()

    results = selectors.round_results(round=round)

    # The lower view (members: informing) decides the next rung: consulting.
    assert results.next_rung == consulting
    assert results.next_steps[0] == "Hold a members' meeting before each big decision."
    weak = Statement.objects.filter(rung__slug="consulting").values_list("next_step", flat=True)
    assert set(weak) <= set(results.next_steps)
    assert len(results.next_steps) == len(set(results.next_steps)) <= selectors.NEXT_STEPS + 1


def test_members_totals_are_hidden_until_the_round_closes_with_enough_members(round, coordinator, members):
    answer(coordinator, round, STAFF_VIEW)
    for member in members[:2]:
        answer(member.user, round, MEMBERS_VIEW)

    open_two = selectors.round_results(round=round)
    assert not open_two.members_shown and "closed" in open_two.members_hidden_because
    assert all(row.members is None for row in open_two.by_rung + open_two.by_statement + open_two.by_value)
    assert open_two.members_place is None and open_two.biggest_gaps == []
    # Staff can still see their own side while the round is open.
    assert open_two.staff_place.slug == "co-design"

    services.round_close(by_user=coordinator, round=round)
    closed_two = selectors.round_results(round=round)
    assert not closed_two.members_shown and "at least 3 members" in closed_two.members_hidden_because
    assert all(row.members is None for row in closed_two.by_rung)

    with override_settings(ASSESSMENT_MIN_MEMBER_ANSWERS=2):
        assert selectors.round_results(round=round).members_shown


def test_dont_know_counts_in_no_average(round, coordinator, alice, bob):
    answer(coordinator, round, {"educating": 3})
    answer(alice.user, round, {"educating": None})
    # Alice's "Don't know" leaves the staff score alone; another coordinator's 1 halves the gap.
    other = UserFactory(username="cyril", roles=[Role.COORDINATOR])
    answer(other, round, {"educating": 1})
    answer(bob.user, round, {"educating": None}, default=None)

    results = selectors.round_results(round=round)
    assert _by_slug(results.by_rung)["educating"].staff == 2
    assert results.staff_count == 2 and results.member_count == 2


def test_the_place_is_the_highest_rung_with_every_rung_below_reached():
    ladder = list(Rung.objects.order_by("position"))
    ids = {r.slug: r.pk for r in ladder}
    # Co-design scores well but consulting does not: the climb stops below consulting.
    scores = {ids["educating"]: 3, ids["informing"]: 2, ids["consulting"]: 1.9, ids["engaging"]: 3, ids["co-design"]: 3}
    assert selectors.place_on_ladder(ladder, scores).slug == "informing"
    # Not even the first rung with statements: the bottom of the ladder.
    assert selectors.place_on_ladder(ladder, {ids["educating"]: 1.5}).slug == "coercion"
    # A rung with statements but only "Don't know" answers is not reached.
    assert selectors.place_on_ladder(ladder, {ids["educating"]: 2, ids["informing"]: None}).slug == "educating"
    # Rungs the round does not ask about are stepped over.
    assert selectors.place_on_ladder(ladder, {ids["educating"]: 2, ids["engaging"]: 2}).slug == "engaging"


def test_each_round_keeps_its_own_answers_and_statements_so_progress_shows(timebank, coordinator, members):
    first = services.round_open(by_user=coordinator, timebank=timebank, title="Autumn 2025")
    answer(coordinator, first, MEMBERS_VIEW)
    for member in members[:3]:
        answer(member.user, first, {}, default=1)
    services.round_close(by_user=coordinator, round=first)
    # A statement retired between rounds: the first round still counts it, the second does not ask it.
    retired = Statement.objects.get(staff_text="Members lead or run some of our activities.")
    services.statement_retire(by_user=UserFactory(username="nia", is_superuser=True), statement=retired)
    second = services.round_open(by_user=coordinator, timebank=timebank, title="Autumn 2026")
    answer(coordinator, second, STAFF_VIEW)
    for member in members[:3]:
        answer(member.user, second, MEMBERS_VIEW)
    services.round_close(by_user=coordinator, round=second)

    progress = selectors.progress(timebank_rounds=list(selectors.rounds_of(timebank=timebank)))

    assert [r.round.title for r in progress] == ["Autumn 2026", "Autumn 2025"]
    newest, oldest = progress
    assert retired in [row.subject for row in oldest.by_statement]
    assert retired not in [row.subject for row in newest.by_statement]
    assert (oldest.staff_place.slug, oldest.members_place.slug) == ("informing", "coercion")
    assert (newest.staff_place.slug, newest.members_place.slug) == ("co-design", "informing")
    assert oldest.members_score == 1
    assert newest.staff_score > oldest.staff_score


def test_progress_reads_the_same_number_of_queries_for_one_round_or_many(
    timebank, coordinator, members, django_assert_num_queries
):
    for n in range(3):
        opened = services.round_open(by_user=coordinator, timebank=timebank, title=f"Round {n}")
        answer(coordinator, opened, STAFF_VIEW)
        for member in members:
            answer(member.user, opened, MEMBERS_VIEW)
        services.round_close(by_user=coordinator, round=opened)
    rounds = list(selectors.rounds_of(timebank=timebank))
    with django_assert_num_queries(5):
        selectors.progress(timebank_rounds=rounds[:1])
    with django_assert_num_queries(5):
        selectors.progress(timebank_rounds=rounds)


# --- Pages -----------------------------------------------------------------------------------


def _form_data(round: Round, by_rung: dict[str, str], default: str = "2") -> dict[str, str]:
    return {f"statement_{s.pk}": by_rung.get(s.rung.slug, default) for s in round.statements.select_related("rung")}


def test_a_coordinator_opens_a_round_answers_and_sees_the_result_in_pages(client, coordinator, timebank):
    client.force_login(coordinator)
    page = client.get(reverse("assessment:home"))
    assert "No round is open." in page.content.decode()

    refused = client.post(reverse("assessment:round-open"), {"title": ""})
    assert refused.status_code == 200 and "This field is required." in refused.content.decode()
    assert not Round.objects.exists()

    opened = client.post(reverse("assessment:round-open"), {"title": "Spring 2026"})
    round = Round.objects.get()
    assert opened.url == reverse("assessment:answer", kwargs={"round_id": round.pk})

    form = client.get(opened.url).content.decode()
    assert "We tell members what we did with their views." in form
    assert "They tell members" not in form
    assert "<legend>We explain what we offer in plain English.</legend>" in form

    saved = client.post(opened.url, _form_data(round, {"co-production": "1"}, default="3"), follow=True)
    text = saved.content.decode()
    assert "Your answers are saved" in text
    assert "Staff place it on <strong>Co-design</strong>" in text
    assert "Think Local Act Personal" in text
    assert "Members’ answers are shown when the round is closed." in text
    assert AnswerSet.objects.get().side == Side.STAFF

    closed = client.post(reverse("assessment:round-close", kwargs={"round_id": round.pk}), follow=True)
    assert "The round is closed" in closed.content.decode()
    round.refresh_from_db()
    assert not round.is_open
    home = client.get(reverse("assessment:home")).content.decode()
    assert "Spring 2026" in home and "Co-design" in home


def test_a_half_answered_form_comes_back_with_the_message_by_the_statement(client, round, alice):
    client.force_login(alice.user)
    data = _form_data(round, {})
    first = round.statements.order_by("rung__position", "position").first()
    del data[f"statement_{first.pk}"]
    data[next(iter(k for k in data if k != f"statement_{first.pk}"))] = "nonsense"

    page = client.post(reverse("assessment:answer", kwargs={"round_id": round.pk}), data)

    text = page.content.decode()
    assert page.status_code == 200
    assert "There is a problem" in text
    assert f"Choose an answer for “{first.member_text}”." in text
    assert f'href="#id_statement_{first.pk}_group"' in text
    assert not AnswerSet.objects.exists()


def test_a_member_answers_about_the_timebank_and_can_change_their_answers(client, round, alice):
    client.force_login(alice.user)
    url = reverse("assessment:answer", kwargs={"round_id": round.pk})
    form = client.get(url).content.decode()
    assert "They tell members what they did with their views." in form
    client.post(url, _form_data(round, {}, default="dont-know"))
    again = client.get(url).content.decode()
    # Their earlier answers are chosen on the form.
    assert len(re.findall(r'value="dont-know"[^>]*checked', again)) == round.statements.count()
    client.post(url, _form_data(round, {}, default="1"))
    assert set(Answer.objects.values_list("score", flat=True)) == {1}
    assert "You have answered." in client.get(reverse("assessment:home")).content.decode()


def test_an_applicant_sees_the_waiting_page_not_the_assessment(client, round):
    applicant = MemberFactory(user__username="amy", status=MemberStatus.APPLIED)
    client.force_login(applicant.user)
    for url in (reverse("assessment:home"), reverse("assessment:answer", kwargs={"round_id": round.pk})):
        page = client.get(url)
        assert "timebank/members/waiting.html" in [t.name for t in page.templates]
        assert "Spring 2026" not in page.content.decode()


def test_a_closed_rounds_answer_page_sends_people_to_its_results(client, round, coordinator):
    services.round_close(by_user=coordinator, round=round)
    client.force_login(coordinator)
    page = client.get(reverse("assessment:answer", kwargs={"round_id": round.pk}))
    assert page.url == reverse("assessment:results", kwargs={"round_id": round.pk})


# --- Statements: network administrators ------------------------------------------------------


@pytest.fixture
def network_admin(db):
    return UserFactory(username="nia", roles=[Role.ADMIN])


def test_a_network_administrator_adds_changes_and_retires_a_statement(client, network_admin):
    client.force_login(network_admin)
    rung, value = Rung.objects.get(slug="consulting"), Value.objects.get(slug="reciprocity")
    assert (
        "We tell members what we did with their views." in client.get(reverse("assessment:statements")).content.decode()
    )

    empty = client.post(
        reverse("assessment:statement-add"), {"rung": rung.pk, "value": value.pk, "staff_text": " ", "member_text": ""}
    )
    assert empty.status_code == 200 and "There is a problem" in empty.content.decode()
    assert Statement.objects.count() == 18

    client.post(
        reverse("assessment:statement-add"),
        {
            "rung": rung.pk,
            "value": value.pk,
            "staff_text": "We pay members' travel to our meetings.",
            "member_text": "They pay members' travel to their meetings.",
            "next_step": "Offer bus fares.",
        },
    )
    added = Statement.objects.get(staff_text="We pay members' travel to our meetings.")
    assert (added.rung, added.value, added.next_step) == (rung, value, "Offer bus fares.")

    edit = reverse("assessment:statement-edit", kwargs={"pk": added.pk})
    client.post(
        edit,
        {
            "rung": rung.pk,
            "value": value.pk,
            "staff_text": "We pay members' travel to meetings.",
            "member_text": "They pay members' travel.",
        },
    )
    added.refresh_from_db()
    assert added.staff_text == "We pay members' travel to meetings." and added.next_step == ""

    client.post(edit, {"retire": "yes"})
    added.refresh_from_db()
    assert added.is_retired
    client.post(edit, {"retire": "no"})
    added.refresh_from_db()
    assert not added.is_retired


def test_only_a_network_administrator_may_change_statements(client, coordinator, alice):
    statement = Statement.objects.first()
    for user in (coordinator, alice.user):
        client.force_login(user)
        assert client.get(reverse("assessment:statements")).status_code == 404
        page = client.post(reverse("assessment:statement-edit", kwargs={"pk": statement.pk}), {"retire": "yes"})
        assert page.status_code == 404
        with pytest.raises(NotAllowedError):
            services.statement_retire(by_user=user, statement=statement)
    statement.refresh_from_db()
    assert not statement.is_retired


# --- Privacy and the demo --------------------------------------------------------------------


def test_the_export_holds_a_members_answers_and_erasure_unlinks_them(round, coordinator, alice, members):
    answer(alice.user, round, {}, default=2)
    for member in members[:2]:
        answer(member.user, round, {}, default=2)
    data = privacy_export.member_personal_data(member=alice)["data"]
    assert len(data["assessment.AnswerSet"]) == 1
    assert len(data["assessment.Answer"]) == round.statements.count()

    member_erase(member=alice, by_user=coordinator)

    assert AnswerSet.objects.filter(respondent=alice.user).count() == 0
    # The totals stay right: her answers are still counted, now unlinked.
    services.round_close(by_user=coordinator, round=round)
    assert selectors.round_results(round=round).member_count == 3


def test_the_demo_makes_closed_rounds_with_staff_and_member_answers_once(timebank):
    coordinator = UserFactory(username="coordinator", roles=[Role.COORDINATOR])
    for n in range(5):
        MemberFactory(user__username=f"demo{n}")

    demo.seed(stdout=io.StringIO())
    demo.seed(stdout=io.StringIO())

    rounds = list(selectors.rounds_of(timebank=timebank))
    assert len(rounds) == len(demo.ROUNDS) and not any(r.is_open for r in rounds)
    assert AnswerSet.objects.filter(side=Side.STAFF, respondent=coordinator).count() == len(demo.ROUNDS)
    latest = selectors.round_results(round=rounds[0])
    assert latest.members_shown and latest.member_count == 5 and latest.staff_count == 1
    assert latest.biggest_gaps and latest.next_steps


def test_a_network_administrator_changes_a_rungs_next_step_and_the_results_suggest_it(
    client, network_admin, round, coordinator, members
):
    consulting = Rung.objects.get(slug="consulting")
    client.force_login(network_admin)
    page = client.get(reverse("assessment:next-steps")).content.decode()
    assert consulting.next_step in page

    client.post(
        reverse("assessment:next-steps"),
        {"kind": "rung", "pk": consulting.pk, "next_step": "  Ask the members' panel   first. "},
    )
    too_long = client.post(
        reverse("assessment:next-steps"), {"kind": "value", "pk": Value.objects.first().pk, "next_step": "x" * 1001}
    )
    assert too_long.status_code == 302

    consulting.refresh_from_db()
    assert consulting.next_step == "Ask the members' panel first."
    assert Value.objects.first().next_step != "x" * 1001
    # Staff reach informing: the next rung is consulting, whose new step comes first.
    answer(coordinator, round, {"educating": 3, "informing": 3}, default=0)
    results = selectors.round_results(round=round)
    assert results.staff_place.slug == "informing" and results.next_rung == consulting
    assert results.next_steps[0] == "Ask the members' panel first."

    client.force_login(coordinator)
    assert client.get(reverse("assessment:next-steps")).status_code == 404
    assert client.post(reverse("assessment:next-steps"), {"kind": "rung", "pk": consulting.pk}).status_code == 404
    consulting.refresh_from_db()
    assert consulting.next_step == "Ask the members' panel first."


def test_only_a_network_administrator_is_shown_the_way_to_the_statements(client, network_admin, coordinator):
    link = reverse("assessment:statements")
    client.force_login(coordinator)
    assert link not in client.get(reverse("assessment:home")).content.decode()
    client.force_login(network_admin)
    assert link in client.get(reverse("assessment:home")).content.decode()
