"""The accessibility crawl (issue 14, QUALITY.md U1 and U2), in a real browser.

For each role (a visitor, an applicant waiting for approval, a member, a
coordinator, a link worker, a group organiser) the crawl logs in, collects the
links in the header, the footer and the main part of the role's home pages,
and visits every same-site page among them (a bounded list). On every page:

- axe-core (tags wcag2a, wcag2aa, wcag21a, wcag21aa, wcag22aa) finds no
  violation, at desktop width;
- at 320 CSS px wide the document is no wider than the window (nothing
  scrolls sideways).

Every page with a form people fill in is also sent empty, and the page that
comes back (the form in its error state) is checked the same way. Forms that
act at once (buttons with nothing to fill in: approve, run now, log out) are
never pressed, so the crawl changes nothing but what an empty form would.

Pages are never left out to make the crawl pass: a failure lists each page,
the rule, its impact, what to do and the elements concerned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe

from assets.models import OrganisationMembership
from tests.assets.factories import OrganisationFactory, service_at
from tests.brokering.factories import exchange, offer, request_for
from tests.e2e.test_journeys import log_in
from tests.factories import MemberFactory, UserFactory
from timebank import ledger
from timebank.models import MemberStatus, Role, Timebank

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
NARROW = 320
WIDE = 1280
# Enough for every menu and dashboard link of one role; keeps the crawl to a few minutes.
MAX_PAGES_PER_ROLE = 40
# Addresses that are not pages: files, the API and its documentation, the admin, log-out.
NOT_PAGES = ("/api/", "/admin/", "/o/", "/openreferral/", "/logout/", "/static/", "/health/")
NOT_PAGE_ENDINGS = (".json", "/csv/", ".csv", ".png", ".svg")

AXE = Axe()


@dataclass
class CrawlRole:
    name: str
    username: str | None
    homes: tuple[str, ...]
    # The language the pages are read in (the cookie the switch sets), and the easy-read view.
    language: str = "en-gb"
    easy_read: bool = False


ROLES = [
    CrawlRole("visitor", None, ("/",)),
    CrawlRole("applicant", "amy", ("/",)),
    CrawlRole("member", "mary", ("/",)),
    CrawlRole("coordinator", "cora", ("/", "/coordinator/", "/coordinator/reports/")),
    CrawlRole("link worker", "lena", ("/", "/referrals/")),
    CrawlRole("group organiser", "olu", ("/", "/referrals/in/")),
    # Issue 18: the translated journeys in Welsh, and the easy-read view.
    CrawlRole("visitor in Welsh", None, ("/",), language="cy"),
    CrawlRole("member in Welsh", "mary", ("/",), language="cy"),
    CrawlRole("group organiser in Welsh", "olu", ("/", "/referrals/in/"), language="cy"),
    CrawlRole("member in easy read", "eve", ("/",), easy_read=True),
]


def build_cast(timebank: Timebank) -> None:
    """A small timebank with something on every page: offers, requests, an
    exchange, hours on the statement, an application waiting, a group with a
    service, a link worker's practice."""
    timebank.contact_email = "hello@example.org"
    timebank.contact_phone = "0118 496 0000"
    timebank.area = "Reading"
    timebank.save()
    UserFactory(username="cora", roles=[Role.COORDINATOR], first_name="Cora")
    mary = MemberFactory(display_name="Mary Adeyemi", user__username="mary")
    bob = MemberFactory(display_name="Bob Okafor", user__username="bob")
    MemberFactory(display_name="Amy Applicant", user__username="amy", status=MemberStatus.APPLIED)
    # Easy read is a member's communication need (the switch keeps it there).
    MemberFactory(display_name="Eve Evans", user__username="eve", communication_needs=["easy-read"])
    offer(mary, "gardening", title="Weeding and planting")
    wanted = request_for(bob, "gardening", title="Help with my back garden")
    exchange(mary, bob, listing=wanted)
    ledger.pot_grant(member=mary, minutes=90, note="Welcome hours")
    ledger.gift(giver=mary, receiver=bob, minutes=30, note="Thank you")
    surgery = OrganisationFactory(name="Oxford Road Surgery", organisation_type="health")
    groups = OrganisationFactory(name="Green Fingers")
    service_at(51.4560, -0.9850, name="Community garden", organisation=groups, days=("MO",))
    lena = UserFactory(username="lena", roles=[Role.LINK_WORKER])
    OrganisationMembership.objects.create(user=lena, organisation=surgery, role="link-worker")
    olu = UserFactory(username="olu", roles=[Role.GROUP_ORGANISER])
    OrganisationMembership.objects.create(user=olu, organisation=groups, role="organiser")


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)

    def report(self) -> str:
        return f"{len(self.problems)} problem(s) over {len(self.visited)} page loads:\n\n" + "\n\n".join(self.problems)


def same_site_pages(page, base: str, selector: str) -> list[str]:
    """The same-site page addresses linked inside `selector` on the current page."""
    hrefs = page.eval_on_selector_all(f"{selector} a[href]", "links => links.map(a => a.href)")
    found = []
    for href in hrefs:
        address, _ = urldefrag(href)
        if not address.startswith(base):
            continue
        path = address[len(base) :] or "/"
        split = urlsplit(path)
        if split.path.startswith(NOT_PAGES) or split.path.endswith(NOT_PAGE_ENDINGS):
            continue
        found.append(path)
    return found


def describe_violations(where: str, violations: list[dict]) -> str:
    lines = [f"{where}: {len(violations)} axe violation(s)"]
    for violation in violations:
        lines.append(f"  - {violation['id']} ({violation.get('impact')}): {violation['help']}")
        for node in violation["nodes"][:5]:
            target = " ".join(str(part) for part in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"      at {target}: {summary[:300]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"      … and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


def check_page(page, where: str, findings: Findings) -> None:
    """axe at desktop width, then the width of the document at 320 px."""
    findings.visited.append(where)
    page.set_viewport_size({"width": WIDE, "height": 900})
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    violations = results.response["violations"]
    if violations:
        findings.problems.append(describe_violations(where, violations))
    page.set_viewport_size({"width": NARROW, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > NARROW:
        widest = page.evaluate(
            """() => {
              const vw = document.documentElement.clientWidth;
              const wide = [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > vw + 1 && !e.closest('.table-scroll'))
                .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                     (typeof e.className === 'string' && e.className ? '.' + e.className.trim() : ''));
              return wide.slice(0, 5);
            }"""
        )
        findings.problems.append(f"{where}: {width} px wide at {NARROW} px (scrolls sideways); widest: {widest}")


FILLABLE = (
    "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=checkbox]):not([type=radio]), textarea"
)


def submit_empty_form(page, url: str, where: str, findings: Findings) -> None:
    """Send the page's first POST form that people fill in, emptied, and check the answer."""
    forms = page.locator(f"main form[method=post]:has({FILLABLE.split(',')[0]}), main form[method=post]:has(textarea)")
    if forms.count() == 0:
        return
    form = forms.first
    submit = form.locator("button[type=submit], button:not([type]), input[type=submit]")
    if submit.count() == 0:
        return
    form.evaluate(
        """(form, fillable) => {
          form.noValidate = true;
          form.querySelectorAll(fillable).forEach(field => { field.value = ''; });
        }""",
        FILLABLE,
    )
    page.set_viewport_size({"width": WIDE, "height": 900})
    with page.expect_navigation():
        submit.first.click()
    check_page(page, f"{where} (form sent empty)", findings)


def crawl(page, live_server, role: CrawlRole) -> Findings:
    findings = Findings()
    base = live_server.url
    if role.username:
        log_in(page, role.username)
    cookies = [{"name": "timecommons_language", "value": role.language, "url": base}]
    if role.easy_read:
        cookies.append({"name": "timecommons_easy_read", "value": "1", "url": base})
    page.context.add_cookies(cookies)
    queue: list[str] = []
    for home in role.homes:
        page.goto(home)
        for selector in ("header", "footer", "main"):
            queue.extend(same_site_pages(page, base, selector))
    pages = list(dict.fromkeys([*role.homes, *queue]))
    # Never cut short in silence: a role reaching more pages than this means the bound
    # needs raising, not pages left unchecked.
    assert len(pages) <= MAX_PAGES_PER_ROLE, f"[{role.name}] reaches {len(pages)} pages: raise MAX_PAGES_PER_ROLE"
    print(f"[{role.name}] {len(pages)} pages")
    for url in pages:
        response = page.goto(url)
        where = f"[{role.name}] {url}"
        if response is None or response.status >= 500:
            findings.problems.append(f"{where}: answered {response.status if response else 'nothing'}")
            continue
        check_page(page, where, findings)
        lang = page.evaluate("document.documentElement.lang")
        if lang != ("cy" if role.language == "cy" else "en-GB"):
            findings.problems.append(f'{where}: <html lang="{lang}">, not the language chosen ({role.language})')
        if urlsplit(page.url).path.startswith(("/login", "/logged-out")) and role.username:
            continue  # sent to log in: not this role's page
        submit_empty_form(page, url, where, findings)
    return findings


@pytest.mark.parametrize("role", ROLES, ids=[role.name for role in ROLES])
def test_every_page_a_role_reaches_passes_axe_and_fits_a_320_px_screen(page, live_server, timebank, role):
    build_cast(timebank)
    findings = crawl(page, live_server, role)
    assert len(findings.visited) >= 3, findings.visited  # the crawl found the role's pages
    assert not findings.problems, findings.report()


def test_the_crawl_notices_a_page_that_scrolls_sideways_and_an_unlabelled_field(page, live_server):
    """The checks can fail: a page made too wide, with a field without a label, is reported."""
    page.goto("/accessibility/")
    page.evaluate(
        """() => {
          const wide = document.createElement('div');
          wide.className = 'too-wide';
          wide.textContent = 'x';
          wide.setAttribute('aria-hidden', 'true');
          wide.style.width = '900px';  // CSSOM, which the policy allows (not a style= attribute)
          document.querySelector('main').append(wide);
          const input = document.createElement('input');
          input.type = 'text';
          document.querySelector('main').append(input);
        }"""
    )
    findings = Findings()
    check_page(page, "/accessibility/ (broken on purpose)", findings)
    report = findings.report()
    assert "label" in report
    assert f"at {NARROW} px (scrolls sideways)" in report


def test_a_crawl_finds_the_footer_pages_for_a_visitor(page, live_server):
    page.goto("/")
    found = same_site_pages(page, live_server.url, "footer")
    assert {"/accessibility/", "/privacy/", "/cookies/", "/contact/"} <= set(found)
