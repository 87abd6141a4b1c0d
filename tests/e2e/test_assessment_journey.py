"""The co-production self-assessment in a real browser: a coordinator starts a
round for the timebank, sends the form half answered and sees what to fix,
answers every statement, and sees where the timebank sits on the ladder;
three members answer, the round is closed, and the results compare staff and
members. Every page on the way passes axe (WCAG 2.2 A/AA) and fits a 320 px
screen (tests/e2e/test_accessibility_crawl.py's check)."""

import pytest
from playwright.sync_api import expect

from coproduction.assessment import services
from coproduction.assessment.models import AnswerSet, Round, Rung, Side, Statement
from tests.e2e.test_accessibility_crawl import WIDE, Findings, check_page
from tests.e2e.test_journeys import log_in
from tests.factories import MemberFactory, UserFactory
from timebank.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def check(page, where: str, findings: Findings) -> None:
    """axe and the 320 px check; then back to a wide window, so the next page
    loads as it does on a desktop (the menu is laid out when a page loads)."""
    page.wait_for_load_state("load")
    check_page(page, where, findings)
    page.set_viewport_size({"width": WIDE, "height": 900})


def answer_every_statement(page, choice: str) -> int:
    groups = page.locator("main fieldset")
    for n in range(groups.count()):
        groups.nth(n).get_by_label(choice, exact=True).check()
    return groups.count()


def test_a_coordinator_completes_the_self_assessment_and_sees_the_result(page, timebank):
    UserFactory(username="cora", roles=[Role.COORDINATOR], first_name="Cora")
    members = [MemberFactory(display_name=f"Member {n}", user__username=f"member{n}") for n in range(3)]
    findings = Findings()

    log_in(page, "cora")
    page.goto("/assessment/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Co-production self-assessment")
    check(page, "home, no round", findings)

    page.get_by_role("link", name="Start a new round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a new round")
    check(page, "start a round", findings)
    page.get_by_label("Name of the round").fill("Spring 2026")
    page.get_by_role("button", name="Start the round").click()

    # The answer form: a group of choices per statement, worded for staff.
    expect(page.get_by_role("group", name="We explain what we offer in plain English.")).to_be_visible()
    check(page, "answer form", findings)
    page.get_by_role("group", name="We explain what we offer in plain English.").get_by_label("Completely").check()
    page.get_by_role("button", name="Save my answers").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.get_by_role("alert")).to_contain_text("Choose an answer for “We tell members what we did")
    check(page, "answer form with errors", findings)
    assert not AnswerSet.objects.exists()

    asked = answer_every_statement(page, "Completely")
    # Co-production scores (0 + 0 + 3) / 3 = 1, below "Mostly": the timebank sits on co-design.
    for statement in ("Members lead or run some of our activities.", "Members and staff decide together, as equals"):
        page.get_by_role("group", name=statement).get_by_label("Not at all").check()
    page.get_by_role("button", name="Save my answers").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Results: Spring 2026")
    main = page.locator("main")
    expect(main).to_contain_text("Your answers are saved")
    expect(main).to_contain_text("Staff place it on Co-design.")
    expect(main).to_contain_text("Think Local Act Personal")
    expect(main).to_contain_text("Members’ answers are shown when the round is closed.")
    check(page, "results, round open", findings)
    staff_answers = AnswerSet.objects.get()
    assert staff_answers.side == Side.STAFF and staff_answers.answers.count() == asked

    # Three members answer, lower than staff on every statement: one in the browser.
    round = Round.objects.get()
    for member in members[1:]:
        services.answers_save(by_user=member.user, round=round, scores={s.pk: 1 for s in round.statements.all()})
    page.context.clear_cookies()
    log_in(page, "member0")
    page.goto("/assessment/")
    check(page, "member's home", findings)
    page.get_by_role("link", name="Answer the statements").click()
    expect(page.get_by_role("group", name="They explain what they offer in plain English.")).to_be_visible()
    check(page, "member's answer form", findings)
    answer_every_statement(page, "A little")
    page.get_by_role("button", name="Save my answers").click()
    expect(main).to_contain_text("Your answers are saved")
    expect(main).to_contain_text("Members’ answers are shown when the round is closed.")
    check(page, "member's results, round open", findings)
    assert AnswerSet.objects.filter(side=Side.MEMBER).count() == 3

    page.context.clear_cookies()
    log_in(page, "cora")
    page.goto(f"/assessment/rounds/{round.pk}/")

    page.get_by_role("link", name="Close this round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close “Spring 2026”")
    check(page, "close the round", findings)
    page.get_by_role("button", name="Close the round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Results: Spring 2026")

    expect(main).to_contain_text("The round is closed")
    expect(main).to_contain_text("Members place it on Coercion.")
    expect(main).to_contain_text("Where staff and members see it differently")
    expect(main).to_contain_text("Staff 2.0 higher")
    expect(page.locator("main h2:has-text('Suggested next steps') + ol li").first).to_be_visible()
    check(page, "results, round closed", findings)

    page.goto("/assessment/")
    expect(page.get_by_role("table")).to_contain_text("Spring 2026")
    check(page, "home with progress", findings)

    assert not findings.problems, findings.report()


def test_a_network_administrator_rewords_and_retires_a_statement(page, timebank):
    UserFactory(username="nia", roles=[Role.ADMIN], first_name="Nia")
    findings = Findings()
    log_in(page, "nia")

    page.goto("/assessment/statements/")
    check(page, "statements", findings)
    page.get_by_role("link", name="We tell members what we did with their views.").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change a statement")
    check(page, "a statement", findings)

    page.get_by_label("What staff read").fill("")
    page.get_by_role("button", name="Save the statement").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    check(page, "a statement with an error", findings)

    page.get_by_label("What staff read").fill("We tell members what we did with what they said.")
    page.get_by_role("button", name="Save the statement").click()
    expect(page.locator("main")).to_contain_text("Statement saved.")
    page.get_by_role("link", name="We tell members what we did with what they said.").click()
    page.get_by_role("button", name="Retire the statement").click()
    expect(page.locator("main")).to_contain_text("Statement retired.")
    statement = Statement.objects.get(staff_text="We tell members what we did with what they said.")
    assert statement.is_retired

    page.get_by_role("link", name="Next steps for each rung and value").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suggested next steps")
    check(page, "next steps", findings)
    page.get_by_label("Next step to reach Consulting").fill("Ask the members' panel first.")
    page.get_by_role("button", name="Save Consulting").click()
    expect(page.locator("main")).to_contain_text("Consulting: next step saved.")
    assert Rung.objects.get(slug="consulting").next_step == "Ask the members' panel first."

    assert not findings.problems, findings.report()
