"""A link worker makes a referral in a real browser by keyboard alone (Tab,
Enter, Space; no mouse), and every question page (and its error state) has no
axe-core WCAG 2.2 A/AA violations and reads at Flesch reading ease >= 60."""

import re

import pytest
import textstat
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from assets.models import OrganisationMembership
from referrals.models import Referral, ReferralStatus
from tests.api.conftest import Party
from tests.assets.factories import service_at
from tests.factories import UserFactory
from timebank.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def no_axe_violations(page, where: str) -> None:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": TAGS}})
    assert results.violations_count == 0, f"{where}: {results.generate_report()}"


def reads_plainly(page, where: str) -> None:
    # The page's own words: its questions, hints and messages, each read as a sentence.
    # The names in a list of choices (e.g. "Deafblind manual interpreter") are terms, not prose.
    pieces = page.locator("main h1, main h2, main legend, main p, main .field > label").all_inner_texts()
    text = " ".join(p.strip() if p.strip()[-1:] in ".?!:" else p.strip() + "." for p in pieces if p.strip())
    score = textstat.flesch_reading_ease(text)
    assert score >= 60, f"{where}: Flesch {score:.0f} for {text!r}"


def key(page, name: str, times: int = 1) -> None:
    for _ in range(times):
        page.keyboard.press(name)


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until `selector` has focus (what a keyboard user does)."""
    for _ in range(limit):
        key(page, "Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def submit(page, button: str = "button[type=submit]:not(.link-button)") -> None:
    tab_to(page, button)
    with page.expect_navigation():
        key(page, "Enter")


@pytest.fixture
def link_worker():
    surgery = Party("Oxford Road Surgery", "gp-practice")
    club = Party("Greenfingers Garden Club", "voluntary")
    service = service_at(
        51.4516, -0.9698, organisation=club.organisation, name="Young carers club", accepts_referrals=True
    )
    service.minimum_age, service.maximum_age = 11, 18
    service.save()
    user = UserFactory(username="sam", roles=[Role.LINK_WORKER])
    user.set_password(PASSWORD)
    user.save()
    OrganisationMembership.objects.create(user=user, organisation=surgery.organisation, role="link-worker")
    return service


def log_in(page) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail address or username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def check_page(page, where: str, *, error_first: bool = True) -> None:
    """axe and Flesch on the page; then send it empty to check its error state too."""
    no_axe_violations(page, where)
    reads_plainly(page, where)


def test_a_link_worker_refers_someone_by_keyboard_alone(page, link_worker):
    log_in(page)
    page.goto(f"/referrals/new/?service={link_worker.pk}")

    # 1. Consent: sending nothing is an error; then Space chooses Yes.
    expect(page.locator("h1")).to_have_text("Has the person agreed to be referred?")
    check_page(page, "consent")
    submit(page)
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".error-summary")).to_contain_text("Select yes if the person has agreed to be referred.")
    no_axe_violations(page, "consent, error")
    tab_to(page, "#id_agreed_0")
    key(page, "Space")
    submit(page)

    # 2. What they agreed to share, and how.
    check_page(page, "sharing")
    submit(page)
    no_axe_violations(page, "sharing, error")
    tab_to(page, "#id_scopes_0")
    key(page, "Space")
    tab_to(page, "#id_method_0")
    key(page, "Space")
    submit(page)

    # 3. Name.
    check_page(page, "name")
    submit(page)
    no_axe_violations(page, "name, error")
    type_into(page, "#id_given_name", "Joan")
    type_into(page, "#id_family_name", "Rivers")
    submit(page)

    # 4. Date of birth: an impossible date, then 1950 for a club for 11 to 18: a warning to confirm.
    check_page(page, "date of birth")
    type_into(page, "#id_day", "31")
    type_into(page, "#id_month", "2")
    type_into(page, "#id_year", "1950")
    submit(page)
    expect(page.locator(".error-summary")).to_contain_text("Date of birth must be a real date")
    no_axe_violations(page, "date of birth, error")
    tab_to(page, "#id_day")
    page.keyboard.press("Control+a")
    page.keyboard.type("27")
    tab_to(page, "#id_month")
    page.keyboard.press("Control+a")
    page.keyboard.type("3")
    submit(page)
    expect(page.locator(".warning-text")).to_contain_text("Young carers club is for people aged 11 to 18")
    no_axe_violations(page, "date of birth, age warning")
    tab_to(page, "#id_confirm_age")
    key(page, "Space")
    # Ticking reveals the reason box (the GOV.UK conditional reveal).
    type_into(page, "#id_age_reason", "The organiser agreed: she helps run it.")
    submit(page)

    # 5. Postcode.
    check_page(page, "postcode")
    submit(page)
    no_axe_violations(page, "postcode, error")
    type_into(page, "#id_postcode", "rg1 7qe")
    submit(page)

    # 6. Contact.
    check_page(page, "contact")
    submit(page)
    no_axe_violations(page, "contact, error")
    tab_to(page, "#id_preferred_contact_0")
    key(page, "Space")
    type_into(page, "#id_phone", "0118 496 0000")
    submit(page)

    # 7. Communication needs: large print and an interpreter.
    check_page(page, "communication")
    tab_to(page, "#id_needs_0")
    key(page, "Space")
    type_into(page, "#id_language", "Polish")
    submit(page)

    # 8. What matters, 9. anything else.
    check_page(page, "what matters")
    type_into(page, "#id_what_matters", "Meeting people and being outside.")
    submit(page)
    check_page(page, "anything else")
    submit(page)
    no_axe_violations(page, "anything else, error")
    tab_to(page, "#id_priority_0")
    key(page, "Space")
    submit(page)

    # Check your answers, then send.
    expect(page.locator("h1")).to_have_text("Check your answers before you send the referral")
    expect(page.locator("main")).to_contain_text("27 March 1950")
    no_axe_violations(page, "check your answers")
    submit(page, "button[value=send]")
    expect(page.locator("h1")).to_have_text("Referral to Young carers club")

    referral = Referral.objects.get()
    assert referral.status == ReferralStatus.REQUESTED
    assert (referral.given_name, referral.postcode) == ("Joan", "RG1 7QE")
    assert referral.communication_needs == ["large-print", "interpreter-polish"]
    assert referral.consent.scopes == ["share-with-service"]
