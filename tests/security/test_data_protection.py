"""Data-protection hardening (issue 12): what erasure leaves behind in the
ledger, what retention leaves behind in the timebank, personal search terms in
addresses, claims on a timebank's own organisation, and small numbers in the
referral reports."""

import csv
import datetime
import io
import os
import re

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assets.models import (
    ClaimStatus,
    Organisation,
    OrganisationClaim,
    OrganisationMembership,
    OrganisationType,
)
from assets.services.directory import organisation_claim_approve
from core.errors import ConflictError
from privacy.services import member_erase
from referrals.actors import actor_for_user
from referrals.models import Consent, Outcome, Referral
from referrals.services import referral_transition
from tests.assets.factories import service_at
from tests.factories import MemberFactory, UserFactory
from tests.referrals.conftest import (  # noqa: F401
    fresh_cache,
    garden_service,
    greenfingers,
    make_referral,
    other_practice,
    referral_body,
    surgery,
)
from tests.referrals.test_pages import staff
from timebank.models import Account, Entry, Member, MemberStatus, Role, Transfer

NAME = "Alicia Quennell"
PHONE = "07700 900123"
NOTE = f"From {NAME}, ring me on {PHONE}"

# --- 1. Erasure and the ledger ------------------------------------------------------------------


@pytest.fixture
def alicia(db):
    return MemberFactory(display_name=NAME, phone=PHONE, user__username="aliciaq")


def balances():
    return dict(Account.objects.order_by("pk").values_list("pk", "balance"))


def admin_client() -> Client:
    """A superuser whose session passed two-step sign-in, as the admin site requires."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    device = StaticDevice.objects.create(user=root, name="Backup codes", confirmed=True)
    client = Client()
    client.force_login(root)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def give_with_a_note(giver, receiver) -> None:
    client = Client()
    client.force_login(giver.user)
    response = client.post(
        reverse("timebank:give-hours"), {"receiver": str(receiver.public_id), "hours": "1 hour", "note": NOTE}
    )
    assert response.status_code == 302, response.content.decode()


@pytest.mark.django_db
def test_a_gift_note_never_reaches_the_ledger_and_is_gone_everywhere_after_erasure(alicia, bob, coordinator):
    give_with_a_note(alicia, bob)
    bobs_view = Client()
    bobs_view.force_login(bob.user)
    # Before erasure Bob sees the note she wrote (the checks below would mean nothing otherwise)...
    assert PHONE in bobs_view.get(reverse("timebank:my-hours")).content.decode()
    # ...but the append-only ledger row holds only what the system wrote.
    transfer = Transfer.objects.get(kind="gift")
    assert PHONE not in transfer.memo and "Quennell" not in transfer.memo
    balances_before = balances()

    erasing = Client()
    erasing.force_login(coordinator)
    erased = erasing.post(reverse("privacy:member-erase", kwargs={"public_id": alicia.public_id}), {"confirm": "on"})
    assert erased.status_code == 302

    admin = admin_client()
    changelist = reverse("admin:timebank_transfer_changelist")
    for url in (
        changelist,
        reverse("admin:timebank_transfer_change", args=[transfer.pk]),
        reverse("admin:timebank_entry_changelist"),
    ):
        response = admin.get(url)
        assert response.status_code == 200, url
        assert PHONE not in response.content.decode() and "Quennell" not in response.content.decode(), url
    # Searching for her phone number or her name finds no transfer (the page repeats the term typed).
    for term in (PHONE, "Quennell", "ring me"):
        found = admin.get(changelist, {"q": term})
        assert found.status_code == 200 and str(transfer.public_id) not in found.content.decode(), term

    statement = bobs_view.get(reverse("timebank:my-hours")).content.decode()
    assert PHONE not in statement and "Quennell" not in statement and "Gift" in statement
    api_lines = bobs_view.get("/api/v1/me/statement/").json()["results"]
    assert api_lines and not any(PHONE in str(line) or "Quennell" in str(line) for line in api_lines)
    coordinators_view = erasing.get(reverse("timebank:coordinator-member", kwargs={"public_id": bob.public_id}))
    assert PHONE not in coordinators_view.content.decode()

    # Nothing in the database keeps what she typed; the ledger is as it was.
    dump = io.StringIO()
    call_command("dumpdata", "timebank", stdout=dump)
    assert PHONE not in dump.getvalue() and "Quennell" not in dump.getvalue()
    assert balances() == balances_before
    assert Entry.objects.aggregate(total=Sum("minutes"))["total"] == 0
    assert Transfer.objects.filter(kind="gift").count() == 1


@pytest.mark.django_db
def test_the_coordinators_transfer_page_and_the_export_show_no_note_of_an_erased_member(alicia, bob, coordinator):
    give_with_a_note(alicia, bob)
    transfer = Transfer.objects.get(kind="gift")
    member_erase(member=Member.objects.get(pk=alicia.pk), by_user=coordinator)

    client = Client()
    client.force_login(coordinator)
    page = client.get(reverse("timebank:coordinator-transfer-reverse", kwargs={"public_id": transfer.public_id}))
    assert page.status_code == 200 and PHONE not in page.content.decode()
    export = client.get(reverse("privacy:member-export", kwargs={"public_id": bob.public_id}))
    assert PHONE not in export.content.decode() and "Quennell" not in export.content.decode()


def _wal_path() -> str:
    return connection.settings_dict["NAME"] + "-wal"


@pytest.mark.django_db(transaction=True)
def test_after_an_erasure_the_sqlite_write_ahead_log_is_emptied(alicia, bob, coordinator):
    give_with_a_note(alicia, bob)
    with CaptureQueriesContext(connection) as queries:
        member_erase(member=Member.objects.get(pk=alicia.pk), by_user=coordinator)
    checkpoints = [q["sql"] for q in queries.captured_queries if "wal_checkpoint" in q["sql"].lower()]
    if connection.vendor == "sqlite":
        # The erased text was written to the WAL file: after the erasure commits it is checkpointed and cut to nothing.
        assert checkpoints and os.path.getsize(_wal_path()) == 0
    else:
        # PostgreSQL has no such file to empty: VACUUM reclaims dead rows (docs/security.md).
        assert checkpoints == []


# --- 2. Retention: a referral's member application goes with it --------------------------------


def _close_and_anonymise(referral_id, coordinator, *, to):
    referral_transition(actor=actor_for_user(coordinator), referral_id=referral_id, to=to, reason="Moved away")
    out = io.StringIO()
    # Past the retention period (REFERRAL_RETENTION_DAYS, two years by default).
    with time_machine.travel(timezone.now() + datetime.timedelta(days=800), tick=False):
        call_command("anonymise_referrals", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_declined_application_that_came_only_from_a_referral_is_removed_with_it(make_referral, coordinator):  # noqa: F811
    referral_id = make_referral(target={"timebank": True})["id"]
    application = Referral.objects.get(pk=referral_id).member
    assert application.status == MemberStatus.APPLIED and application.phone == "0118 496 0000"

    printed = _close_and_anonymise(referral_id, coordinator, to="rejected")

    assert not Member.objects.filter(pk=application.pk).exists()
    assert not Member.objects.filter(phone="0118 496 0000").exists()
    assert "Joan" not in printed and "Rivers" not in printed
    assert "1 declined member application" in printed


@pytest.mark.django_db
def test_an_application_still_waiting_is_kept_and_reported_by_count(make_referral, coordinator):  # noqa: F811
    referral_id = make_referral(target={"timebank": True})["id"]
    application = Referral.objects.get(pk=referral_id).member
    referral_transition(actor=actor_for_user(coordinator), referral_id=referral_id, to="accepted")
    printed = _close_and_anonymise(referral_id, coordinator, to="completed")

    kept = Member.objects.get(pk=application.pk)
    assert kept.status == MemberStatus.APPLIED
    assert "1 member application still waiting" in printed and "Joan" not in printed


@pytest.mark.django_db
def test_a_member_who_was_approved_is_never_removed_by_retention(make_referral, coordinator):  # noqa: F811
    from timebank.services.members import member_approve

    referral_id = make_referral(target={"timebank": True})["id"]
    member = Referral.objects.get(pk=referral_id).member
    # Approving the application accepts the referral (referrals/timebank_path.py).
    member_approve(member=member, by_user=coordinator)
    assert Referral.objects.get(pk=referral_id).status == "accepted"
    _close_and_anonymise(referral_id, coordinator, to="completed")
    assert Member.objects.filter(pk=member.pk, status=MemberStatus.APPROVED).exists()


# --- 3. Personal search terms stay out of addresses ----------------------------------------------


def links_and_location(response) -> str:
    html = response.content.decode() if response.status_code == 200 else ""
    hrefs = " ".join(re.findall(r'(?:href|action)="([^"]*)"', html))
    return hrefs + " " + response.get("Location", "")


@pytest.mark.django_db
def test_the_coordinators_member_search_is_posted_and_pages_without_the_term_in_any_address(coordinator, timebank):
    for n in range(30):
        MemberFactory(display_name=f"Quennell {n:02d}", phone=f"07700 9001{n:02d}")
    MemberFactory(display_name="Abigail Else")
    client = Client()
    client.force_login(coordinator)
    url = reverse("timebank:coordinator-members")

    posted = client.post(url, {"q": "Quennell", "status": ""})
    assert posted.status_code == 302 and "Quennell" not in posted["Location"]
    first = client.get(posted["Location"])
    html = first.content.decode()
    assert "Quennell 00" in html and "Abigail Else" not in html
    assert "quennell" not in links_and_location(first).lower()
    next_link = re.search(r'href="([^"]*page=2[^"]*)"', html).group(1).replace("&amp;", "&")
    second = client.get(url + next_link if next_link.startswith("?") else next_link)
    assert "Quennell 29" in second.content.decode() and "Abigail Else" not in second.content.decode()
    assert "quennell" not in links_and_location(second).lower()

    by_phone = client.post(url, {"q": "07700 900105"})
    assert "07700" not in by_phone["Location"]
    found = client.get(by_phone["Location"]).content.decode()
    assert "Quennell 05" in found and "Quennell 06" not in found

    # A search term in the address is not acted on.
    ignored = client.get(url, {"q": "Quennell"}).content.decode()
    assert "Abigail Else" in ignored


@pytest.mark.django_db
def test_the_link_workers_referral_search_by_name_is_posted(make_referral, referral_body, surgery):  # noqa: F811
    make_referral(person={**referral_body()["person"], "given_name": "Winifred", "family_name": "Attlee"})
    make_referral()
    sam = staff(surgery.organisation, "sam", Role.LINK_WORKER)
    url = reverse("referrals:mine")

    posted = sam.post(url, {"name": "Attlee", "status": ""})
    assert posted.status_code == 302 and "Attlee" not in posted["Location"]
    shown = sam.get(posted["Location"])
    html = shown.content.decode()
    assert "Jo Attlee" in html and "Rivers" not in html
    assert "attlee" not in links_and_location(shown).lower()

    ignored = sam.get(url, {"name": "Attlee"}).content.decode()
    assert "Rivers" in ignored


@pytest.mark.django_db
def test_a_bad_search_is_a_form_error_and_another_sessions_search_id_finds_nothing(coordinator, timebank):
    MemberFactory(display_name="Quennell Only")
    client = Client()
    client.force_login(coordinator)
    url = reverse("timebank:coordinator-members")
    too_long = client.post(url, {"q": "x" * 500})
    assert too_long.status_code == 400 and "error" in too_long.content.decode().lower()

    location = client.post(url, {"q": "Quennell"})["Location"]
    stranger = Client()
    stranger.force_login(UserFactory(username="cody", roles=[Role.COORDINATOR]))
    assert "Quennell Only" in stranger.get(location).content.decode()  # the plain list, not her search
    assert 'value="Quennell"' not in stranger.get(location).content.decode()


# --- 4. A timebank's own organisation cannot be claimed -------------------------------------------


@pytest.fixture
def timebanks_organisation(timebank):
    organisation = Organisation.objects.filter(timebank=timebank).first() or Organisation.objects.create(
        name="Caversham Timebank", organisation_type=OrganisationType.TIMEBANK, timebank=timebank
    )
    return service_at(51.46, -0.97, name="Timebank drop-in", organisation=organisation)


@pytest.fixture
def organiser(db):
    user = UserFactory(username="ola", roles=[Role.GROUP_ORGANISER])
    client = Client()
    client.force_login(user)
    return user, client


@pytest.mark.django_db
def test_the_timebanks_organisation_offers_no_claim_and_a_posted_claim_is_refused(timebanks_organisation, organiser):
    _, client = organiser
    page = client.get(reverse("assets:service", kwargs={"service_id": timebanks_organisation.pk}))
    assert page.status_code == 200
    claim_url = reverse("assets:service-claim", kwargs={"service_id": timebanks_organisation.pk})
    assert claim_url not in page.content.decode()

    response = client.post(claim_url, {"message": "I run this"})
    assert response.status_code in (200, 400)
    assert "cannot be claimed" in response.content.decode()
    assert not OrganisationClaim.objects.exists()


@pytest.mark.django_db
def test_a_pending_claim_on_a_timebanks_organisation_cannot_be_approved(timebanks_organisation, organiser, coordinator):
    user, _ = organiser
    claim = OrganisationClaim.objects.create(
        organisation=timebanks_organisation.organisation, service=timebanks_organisation, user=user
    )
    with pytest.raises(ConflictError):
        organisation_claim_approve(claim=claim, by_user=coordinator)

    client = Client()
    client.force_login(coordinator)
    response = client.post(
        reverse("assets:coordinator-claim-decide", kwargs={"claim_id": claim.pk}), {"decision": "approve"}
    )
    assert response.status_code == 302
    assert any("cannot be claimed" in str(m) for m in get_messages(response.wsgi_request))
    assert not OrganisationMembership.objects.filter(user=user).exists()
    assert OrganisationClaim.objects.get(pk=claim.pk).status == ClaimStatus.PENDING


@pytest.mark.django_db
def test_another_groups_listing_can_still_be_claimed(organiser):
    _, client = organiser
    service = service_at(51.45, -0.96, name="Allotment club")
    page = client.get(reverse("assets:service", kwargs={"service_id": service.pk})).content.decode()
    assert reverse("assets:service-claim", kwargs={"service_id": service.pk}) in page


# --- 5. Small numbers in the referral reports ------------------------------------------------------


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


def _referrals_from(organisation_name, count, timebank):
    source = Organisation.objects.create(name=organisation_name, organisation_type=OrganisationType.GP_PRACTICE)
    sent = timezone.now() - datetime.timedelta(days=3)
    return _with_consent(
        [
            Referral.objects.create(
                referring_organisation=source,
                target_timebank=timebank,
                given_name="A",
                family_name="Person",
                postcode="RG1 7QE",
                preferred_contact="phone",
                status="requested",
                requested_at=sent,
            )
            for _ in range(count)
        ]
    )


def _report_page(client, slug, fmt=""):
    today = timezone.localdate()
    name = "brokering:report-csv" if fmt == "csv" else "brokering:report"
    return client.get(
        reverse(name, kwargs={"slug": slug}),
        {"start": (today - datetime.timedelta(days=30)).isoformat(), "end": today.isoformat()},
    )


@pytest.mark.django_db
def test_referral_counts_of_one_to_four_are_shown_as_fewer_than_five(coordinator, timebank):
    for name, count in (("Twelve Practice", 12), ("Five Practice", 5), ("Four Practice", 4), ("One Practice", 1)):
        _referrals_from(name, count, timebank)
    client = Client()
    client.force_login(coordinator)

    rows = list(csv.reader(io.StringIO(_report_page(client, "referrals-source", "csv").content.decode())))
    assert rows[1:] == [
        ["Twelve Practice", "12"],
        ["Five Practice", "5"],
        ["Four Practice", "fewer than 5"],
        ["One Practice", "fewer than 5"],
    ]
    html = _report_page(client, "referrals-source").content.decode()
    assert html.count("fewer than 5") >= 2
    # The chart and its description carry no small count either.
    assert "Four Practice 4" not in html and "One Practice 1" not in html and "Twelve Practice 12" in html


@pytest.mark.django_db
def test_a_lone_small_count_takes_the_next_smallest_with_it(coordinator, timebank):
    """With one hidden cell, the total (from another report) minus the others
    would give it back: the next smallest is hidden too."""
    for name, count in (("Twelve Practice", 12), ("Five Practice", 5), ("One Practice", 1)):
        _referrals_from(name, count, timebank)
    client = Client()
    client.force_login(coordinator)
    rows = list(csv.reader(io.StringIO(_report_page(client, "referrals-source", "csv").content.decode())))
    assert rows[1:] == [["Twelve Practice", "12"], ["Five Practice", "not shown"], ["One Practice", "fewer than 5"]]
    # The by-status report (one cell of 18) is unaffected: nothing in it is small.
    status = list(csv.reader(io.StringIO(_report_page(client, "referrals-status", "csv").content.decode())))
    assert status[1:] == [["Requested", "18"]]


@pytest.mark.django_db
def test_zero_is_shown_and_few_wellbeing_answers_are_not(coordinator, timebank):
    client = Client()
    client.force_login(coordinator)
    empty = list(csv.reader(io.StringIO(_report_page(client, "ons4", "csv").content.decode())))
    assert empty[1][1] == "0"

    answers = {"life_satisfaction": 3, "worthwhile": 4, "happiness": 2, "anxiety": 9}
    for referral in _referrals_from("Four Practice", 4, timebank):
        Outcome.objects.create(referral=referral, instrument="ons4", stage="baseline", answers=answers)
        Outcome.objects.create(referral=referral, instrument="ons4", stage="follow-up", answers=answers)
    rows = list(csv.reader(io.StringIO(_report_page(client, "ons4", "csv").content.decode())))
    assert rows[1][1:] == ["fewer than 5", "not shown", "not shown", "not shown"]
    html = _report_page(client, "ons4").content.decode()
    assert "3.0" not in html and "9.0" not in html
