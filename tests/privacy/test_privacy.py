"""A member's rights over their data: erasure (docs/quality.md D6) and the subject
access export with its coverage test (docs/quality.md D7)."""

import json

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.db.models import Sum
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from assets.models import Organisation, OrganisationType
from core.errors import ConflictError, NotAllowedError
from privacy import selectors as privacy_export, services as privacy
from tests.factories import ListingFactory, MemberFactory
from timebank.models import (
    Account,
    Availability,
    Entry,
    Exchange,
    ExchangeHistory,
    ExchangeStatus,
    Listing,
    ListingStatus,
    Member,
    MemberStatus,
    SafeguardingCheck,
    Timebank,
    Transfer,
)
from timebank.services import exchanges as exchange_services, members as member_services

PASSWORD = "correct horse battery staple"  # the factories' password
PROJECT_APPS = {"core", "timebank", "assets", "referrals", "api", "involvement", "voice", "assessment"}

NAME = "Alicia Quennell"
EMAIL = "alicia.quennell@example.org"
PHONE = "07700 900123"
ABOUT = "I keep bees behind the Zephyr allotments."
LISTING_TITLE = "Honey from Quennell hives"
LISTING_TEXT = "Knock at the blue gate on Marigold Lane."
SECRETS = [NAME, "Alicia", "Quennell", EMAIL, PHONE, ABOUT, LISTING_TITLE, LISTING_TEXT, "aliciaq"]


def test_settings_list_the_project_apps_the_coverage_test_walks():
    labels = {config.label for config in apps.get_app_configs()}
    assert labels >= PROJECT_APPS


# --- Coverage of the export (D7) ------------------------------------------------------------


def _person_links(model) -> list[str]:
    """Fields of `model` that point at a login or a member."""
    targets = {get_user_model(), Member}
    return [
        field.name
        for field in model._meta.get_fields()
        if field.is_relation
        and field.concrete
        and (field.many_to_one or field.one_to_one or field.many_to_many)
        and field.related_model in targets
    ]


def test_every_model_is_in_the_export_or_said_to_hold_no_personal_data():
    registry, none = set(privacy_export.EXPORT_REGISTRY), set(privacy_export.HOLDS_NO_PERSONAL_DATA)
    assert not registry & none, f"In both the export and HOLDS_NO_PERSONAL_DATA: {sorted(registry & none)}"
    models_here = [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]
    missing = [m._meta.label for m in models_here if m._meta.label not in registry | none]
    assert not missing, (
        f"These models are neither in privacy.selectors.EXPORT_REGISTRY nor in HOLDS_NO_PERSONAL_DATA: {missing}. "
        "Add each to the export, or say why it holds no personal data."
    )
    linked_but_not_exported = [
        f"{m._meta.label} ({', '.join(_person_links(m))})"
        for m in models_here
        if _person_links(m) and m._meta.label not in registry
    ]
    assert not linked_but_not_exported, (
        f"These models point at a user or member but are not in the export: {linked_but_not_exported}"
    )
    known = {m._meta.label for m in models_here}
    stale = sorted((registry | none) - known)
    assert not stale, f"No such models (renamed or removed?): {stale}"
    assert all(reason.strip() for reason in privacy_export.HOLDS_NO_PERSONAL_DATA.values())


def test_the_coverage_check_names_a_model_that_points_at_a_member():
    class Diary(models.Model):
        member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "timebank"

    try:
        assert _person_links(Diary) == ["member"]
        assert Diary._meta.label not in privacy_export.EXPORT_REGISTRY
    finally:
        # Forget the throwaway model so later tests see the real registry.
        apps.all_models["timebank"].pop("diary", None)
        apps.clear_cache()


# --- A member with something in every corner ------------------------------------------------


@pytest.fixture
def alicia(db):
    return MemberFactory(
        display_name=NAME,
        email=EMAIL,
        phone=PHONE,
        about=ABOUT,
        communication_needs=["large-print"],
        availability=Availability.from_slots(["tue-morning", "fri-afternoon"]),
        user__username="aliciaq",
        user__email=EMAIL,
        user__first_name="Alicia",
        user__last_name="Quennell",
    )


@pytest.fixture
def story(alicia, bob, carol, coordinator):
    """Alicia helped Bob (posted), was given a grant, has an open listing and an
    accepted exchange she wrote a note on, a safeguarding check, and a referral."""
    # In a public place: help at home would need a DBS check (the safeguarding rule),
    # and the export test below counts her checks.
    listing = ListingFactory(member=alicia, title=LISTING_TITLE, description=LISTING_TEXT, where="public")
    bobs_listing = ListingFactory(member=bob, title="Bob mends bicycles", description="Bring the bike round.")
    posted = exchange_services.exchange_record_for_members(
        provider=alicia, receivers=[bob], minutes=90, by_user=coordinator, description="Bees for Quennell"
    )
    member_services.pot_grant_to_member(member=alicia, minutes=30, by_user=coordinator, reason="Welcome")
    open_exchange = exchange_services.exchange_propose_from_listing(listing=listing, member=bob, by_user=bob.user)
    exchange_services.exchange_accept(exchange=open_exchange, by_user=alicia.user, note=f"Ring me on {PHONE}")
    others = exchange_services.exchange_record_for_members(
        provider=bob, receivers=[carol], minutes=60, by_user=coordinator, description="Bicycle lesson"
    )
    check = SafeguardingCheck.objects.create(
        member=alicia,
        kind="reference",
        referee_name="A referee",
        checked_on=timezone.localdate(),
        recorded_by=coordinator,
    )
    return {
        "listing": listing,
        "bobs_listing": bobs_listing,
        "posted": posted,
        "open": open_exchange,
        "others": others,
        "check": check,
    }


def erase_page(member):
    return reverse("privacy:member-erase", kwargs={"public_id": member.public_id})


def export_page(member):
    return reverse("privacy:member-export", kwargs={"public_id": member.public_id})


def member_page(member):
    return reverse("timebank:coordinator-member", kwargs={"public_id": member.public_id})


def ledger_snapshot(member):
    account = Account.objects.get(member=member)
    entries = list(Entry.objects.filter(account=account).order_by("pk").values_list("pk", "transfer_id", "minutes"))
    return account.balance, entries


def timebank_sums():
    return {
        tb.pk: Account.objects.filter(timebank=tb).aggregate(total=Sum("balance"))["total"] or 0
        for tb in Timebank.objects.all()
    }


# --- Erasure (D6) ------------------------------------------------------------------------------


def test_erasure_removes_the_person_from_the_export_and_the_coordinators_pages(story, alicia, coordinator, client):
    before = privacy_export.member_personal_data(member=alicia)
    assert NAME in json.dumps(before)  # the check below would mean nothing otherwise

    privacy.member_erase(member=alicia, by_user=coordinator)

    text = json.dumps(privacy_export.member_personal_data(member=alicia))
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} is still in the export"
    client.force_login(coordinator)
    pages = [
        member_page(alicia),
        erase_page(alicia),
        reverse("timebank:coordinator-members"),
        reverse("timebank:coordinator-members") + "?status=left",
        reverse("timebank:exchange-detail", kwargs={"public_id": story["open"].public_id}),
        reverse("timebank:exchange-detail", kwargs={"public_id": story["posted"].public_id}),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for secret in SECRETS:
            assert secret not in html, f"{secret!r} is still on {url}"
    after = client.get(member_page(alicia)).content.decode()
    assert "Former member" in after and "their login was removed" in after and "logs in as" not in after
    # Searching for the old name finds nobody (the box repeats what was typed, so look for the link).
    for word in ("Alicia", "Quennell", EMAIL):
        found = client.post(reverse("timebank:coordinator-members"), {"q": word}, follow=True).content.decode()
        assert member_page(alicia) not in found, word


def test_after_erasure_other_peoples_statements_and_the_ledger_pages_no_longer_name_her(
    story, alicia, bob, coordinator, client
):
    """Ledger memos are append-only and were written with names ("Alicia Quennell helped
    Bob…", "Grant to Alicia Quennell"): they are hidden, never changed."""
    client.force_login(bob.user)
    assert (
        NAME in client.get(reverse("timebank:my-hours")).content.decode()
    )  # the check below would mean nothing otherwise
    memos_before = list(Transfer.objects.order_by("pk").values_list("memo", flat=True))

    privacy.member_erase(member=alicia, by_user=coordinator)

    bobs_statement = client.get(reverse("timebank:my-hours")).content.decode()
    assert NAME not in bobs_statement and "Quennell" not in bobs_statement
    assert "Former member" in bobs_statement and "Exchange" in bobs_statement
    assert "Bicycle lesson" in bobs_statement  # his exchange with Carol keeps its memo
    api_lines = client.get("/api/v1/me/statement/").json()["results"]
    assert api_lines and not any("Quennell" in line["memo"] for line in api_lines)
    client.force_login(coordinator)
    for url in (
        reverse("timebank:coordinator-pot"),
        reverse("timebank:coordinator-transfer-reverse", kwargs={"public_id": story["posted"].transfer.public_id}),
        member_page(bob),
    ):
        html = client.get(url).content.decode()
        assert "Quennell" not in html, url
    assert list(Transfer.objects.order_by("pk").values_list("memo", flat=True)) == memos_before


def test_erasure_blanks_the_profile_login_listings_and_notes(story, alicia, coordinator):
    privacy.member_erase(member=alicia, by_user=coordinator)

    alicia.refresh_from_db()
    assert alicia.display_name == "Former member"
    assert (alicia.email, alicia.phone, alicia.about, alicia.postcode) == ("", "", "", "")
    assert alicia.postcode_district == "RG1"  # kept on purpose: an area, for area figures
    assert (alicia.latitude, alicia.longitude) == (None, None)
    assert alicia.communication_needs == [] and alicia.availability == 0
    assert alicia.status == MemberStatus.LEFT and alicia.erased_at is not None
    user = get_user_model().objects.get(pk=alicia.user_id)
    assert not user.is_active and not user.has_usable_password()
    assert user.username.startswith("erased-") and "alicia" not in user.username.lower()
    assert (user.email, user.first_name, user.last_name) == ("", "", "")
    assert not user.groups.exists()
    listing = Listing.objects.get(pk=story["listing"].pk)
    assert listing.status == ListingStatus.CLOSED
    assert (listing.title, listing.description) == ("Removed", "")
    assert Exchange.objects.get(pk=story["open"].pk).status == ExchangeStatus.CANCELLED
    assert not ExchangeHistory.objects.filter(actor=user).exclude(note="").exists()
    assert Account.objects.get(member=alicia).name == "Former member"
    # Other people's things are untouched.
    assert Listing.objects.get(pk=story["bobs_listing"].pk).title == "Bob mends bicycles"
    assert Exchange.objects.get(pk=story["others"].pk).description == "Bicycle lesson"
    # Safeguarding records are kept (legal reasons).
    assert SafeguardingCheck.objects.filter(pk=story["check"].pk, member=alicia).exists()


# Client.login() calls authenticate() without a request, which django-axes refuses;
# the login page itself (with axes) is checked too.
@override_settings(AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"])
def test_an_erased_member_cannot_log_in_and_their_session_ends(story, alicia, coordinator):
    assert Client().login(username="aliciaq", password=PASSWORD)
    logged_in = Client()
    logged_in.force_login(alicia.user)
    assert logged_in.get(reverse("timebank:my-hours")).status_code == 200

    privacy.member_erase(member=alicia, by_user=coordinator)

    assert not Client().login(username="aliciaq", password=PASSWORD)
    assert not Client().login(username=EMAIL, password=PASSWORD)
    response = logged_in.get(reverse("timebank:my-hours"))
    assert response.status_code == 302 and reverse("timebank:login") in response["Location"]


def test_the_login_page_refuses_an_erased_member(story, alicia, coordinator):
    assert Client().post(reverse("timebank:login"), {"username": "aliciaq", "password": PASSWORD}).status_code == 302
    privacy.member_erase(member=alicia, by_user=coordinator)
    for username in ("aliciaq", EMAIL):
        response = Client().post(reverse("timebank:login"), {"username": username, "password": PASSWORD})
        assert response.status_code == 200 and "_auth_user_id" not in response.wsgi_request.session


def test_erasure_leaves_the_ledger_as_it_was(story, alicia, coordinator):
    balance, entries = ledger_snapshot(alicia)
    assert balance == 120 and len(entries) == 2
    sums = timebank_sums()

    privacy.member_erase(member=alicia, by_user=coordinator)

    assert ledger_snapshot(alicia) == (balance, entries)
    assert timebank_sums() == sums and set(sums.values()) == {0}
    call_command("ledger_check")  # raises CommandError on any difference


def test_erasing_twice_is_refused(story, alicia, coordinator):
    privacy.member_erase(member=alicia, by_user=coordinator)
    with pytest.raises(ConflictError, match="already erased"):
        privacy.member_erase(member=alicia, by_user=coordinator)


def test_only_a_coordinator_can_erase(alicia, bob):
    with pytest.raises(NotAllowedError):
        privacy.member_erase(member=alicia, by_user=bob.user)
    alicia.refresh_from_db()
    assert alicia.erased_at is None and alicia.display_name == NAME


def test_a_member_who_never_went_online_and_an_applicant_can_be_erased(coordinator, timebank):
    offline = MemberFactory(user=None, display_name="Offline Olwen", phone="0118 496 0000")
    applicant = MemberFactory(display_name="Waiting Wendell", status=MemberStatus.APPLIED)
    for member in (offline, applicant):
        privacy.member_erase(member=member, by_user=coordinator)
        member.refresh_from_db()
        assert member.status == MemberStatus.LEFT and member.display_name == "Former member"
    assert not get_user_model().objects.get(pk=applicant.user_id).is_active


def test_a_linked_referral_is_kept_as_the_referrers_record(alicia, coordinator, timebank):
    surgery = Organisation.objects.create(name="Oxford Road Surgery", organisation_type=OrganisationType.GP_PRACTICE)
    referral = apps.get_model("referrals", "Referral").objects.create(
        referring_organisation=surgery,
        target_timebank=timebank,
        member=alicia,
        given_name="Ref",
        family_name="Person",
        postcode="RG1 7QE",
        preferred_contact="phone",
    )
    privacy.member_erase(member=alicia, by_user=coordinator)
    referral.refresh_from_db()
    assert referral.member_id == alicia.pk and referral.given_name == "Ref"


# --- The coordinator's erase page ---------------------------------------------------------------


def test_the_member_page_links_to_the_download_and_the_erase_page(story, alicia, coordinator, client):
    client.force_login(coordinator)
    html = client.get(member_page(alicia)).content.decode()
    assert "Download their data (JSON)" in html and export_page(alicia) in html
    assert "Erase this member&#x27;s personal data" in html or "Erase this member's personal data" in html
    assert erase_page(alicia) in html


def test_the_erase_page_needs_the_box_ticked(story, alicia, coordinator, client):
    client.force_login(coordinator)
    page = client.get(erase_page(alicia))
    assert page.status_code == 200 and "cannot be undone" in page.content.decode()
    response = client.post(erase_page(alicia), {})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Tick the box to confirm" in html and 'class="error-summary"' in html
    alicia.refresh_from_db()
    assert alicia.erased_at is None and alicia.display_name == NAME


def test_the_erase_page_erases_and_says_so(story, alicia, coordinator, client):
    client.force_login(coordinator)
    response = client.post(erase_page(alicia), {"confirm": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == member_page(alicia)
    html = response.content.decode()
    assert "Their personal data is erased" in html
    alicia.refresh_from_db()
    assert alicia.erased_at is not None
    again = client.post(erase_page(alicia), {"confirm": "on"})
    assert again.status_code == 200 and "already erased" in again.content.decode()


def test_an_erased_members_profile_cannot_be_edited_by_its_address(story, alicia, coordinator, client):
    privacy.member_erase(member=alicia, by_user=coordinator)
    client.force_login(coordinator)
    edit = reverse("timebank:coordinator-member-edit", kwargs={"public_id": alicia.public_id})
    for response in (
        client.get(edit, follow=True),
        client.post(
            edit, {"display_name": NAME, "postcode": "RG1 7QE", "travel_radius_km": 5, "digest": "weekly"}, follow=True
        ),
    ):
        assert response.redirect_chain[-1][0] == member_page(alicia)
        assert "profile cannot be edited" in response.content.decode()
    alicia.refresh_from_db()
    assert alicia.display_name == privacy.FORMER_MEMBER and alicia.postcode == ""
    # The service refuses it too, whoever asks.
    with pytest.raises(ConflictError):
        member_services.member_update_profile(
            member=alicia, by_user=coordinator, display_name=NAME, postcode="RG1 7QE", travel_radius_km=5
        )
    alicia.refresh_from_db()
    assert alicia.display_name == privacy.FORMER_MEMBER


def test_a_profile_saved_from_a_page_loaded_before_the_erasure_is_refused(story, alicia, coordinator):
    """The edit form was opened before another coordinator erased her: saving it must
    not put her details back."""
    opened_before = Member.objects.get(pk=alicia.pk)
    privacy.member_erase(member=alicia, by_user=coordinator)
    assert opened_before.erased_at is None  # the stale copy does not know
    with pytest.raises(ConflictError):
        member_services.member_update_profile(
            member=opened_before,
            by_user=coordinator,
            display_name=NAME,
            postcode="RG1 7QE",
            travel_radius_km=5,
            phone=PHONE,
        )
    alicia.refresh_from_db()
    assert (alicia.display_name, alicia.phone, alicia.postcode) == (privacy.FORMER_MEMBER, "", "")
    assert Account.objects.get(member=alicia).name == privacy.FORMER_MEMBER


def test_erasure_removes_login_attempts_and_the_name_in_the_admin_history(story, alicia, coordinator):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    AccessAttempt.objects.create(username="aliciaq", ip_address="192.0.2.1", user_agent="x", failures_since_start=2)
    AccessLog.objects.create(username="AliciaQ", ip_address="192.0.2.1", user_agent="x")
    AccessFailureLog.objects.create(username="aliciaq", ip_address="192.0.2.1", user_agent="x")
    AccessLog.objects.create(username="someone-else", ip_address="192.0.2.2", user_agent="x")
    for instance in (alicia, alicia.user):
        LogEntry.objects.create(
            user=coordinator,
            content_type=ContentType.objects.get_for_model(instance),
            object_id=str(instance.pk),
            object_repr=NAME,
            action_flag=CHANGE,
            change_message=f"Changed phone to {PHONE}",
        )
    privacy.member_erase(member=alicia, by_user=coordinator)
    assert not AccessAttempt.objects.exists() and not AccessFailureLog.objects.exists()
    assert list(AccessLog.objects.values_list("username", flat=True)) == ["someone-else"]
    entries = list(LogEntry.objects.values_list("object_repr", "change_message"))
    assert len(entries) == 2  # the record that a change was made stays
    assert all(NAME not in text and PHONE not in text for entry in entries for text in entry)


def test_the_erase_page_refuses_without_the_csrf_token(story, alicia, coordinator):
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(coordinator)
    assert checked.post(erase_page(alicia), {"confirm": "on"}).status_code == 403
    alicia.refresh_from_db()
    assert alicia.erased_at is None


@pytest.mark.parametrize("method", ["get", "post"])
def test_members_cannot_reach_the_erase_or_export_pages(story, alicia, bob, client, method):
    client.force_login(bob.user)
    for url in (erase_page(alicia), export_page(alicia)):
        response = getattr(client, method)(url, {"confirm": "on"} if method == "post" else None)
        assert response.status_code == 404, url
    anonymous = getattr(Client(), method)(erase_page(alicia), {"confirm": "on"} if method == "post" else None)
    assert anonymous.status_code == 302 and reverse("timebank:login") in anonymous["Location"]
    alicia.refresh_from_db()
    assert alicia.erased_at is None


def test_an_unknown_member_is_not_found(coordinator, client, db):
    client.force_login(coordinator)
    url = "/coordinator/members/00000000-0000-0000-0000-000000000000/"
    assert client.get(member_page(Member(public_id="00000000-0000-0000-0000-000000000000"))).status_code == 404
    assert client.get(url + "erase/").status_code == 404
    assert client.get(url + "data.json").status_code == 404


# --- The export (D7) ----------------------------------------------------------------------------


def test_the_export_holds_the_members_listings_exchanges_balance_and_entries(story, alicia):
    export = privacy_export.member_personal_data(member=alicia)
    json.dumps(export)  # plain JSON, no custom encoder needed
    data = export["data"]
    assert export["member"] == str(alicia.public_id) and export["balance_minutes"] == 120
    assert [row["title"] for row in data["timebank.Listing"]] == [LISTING_TITLE]
    assert {row["id"] for row in data["timebank.Exchange"]} == {story["posted"].pk, story["open"].pk}
    assert [row["balance"] for row in data["timebank.Account"]] == [120]
    assert sorted(row["minutes"] for row in data["timebank.Entry"]) == [30, 90]
    assert {row["exchange_id"] for row in data["timebank.ExchangeHistory"]} == {story["posted"].pk, story["open"].pk}
    assert [row["id"] for row in data["timebank.SafeguardingCheck"]] == [story["check"].pk]
    [user_row] = data["timebank.User"]
    assert user_row["username"] == "aliciaq" and "password" not in user_row
    assert [row["display_name"] for row in data["timebank.Member"]] == [NAME]
    assert set(export["notes"]) == set(privacy_export.EXPORT_REGISTRY)


def test_the_export_leaves_out_other_members(story, alicia, bob, carol):
    bob.phone, bob.about = "0118 496 0999", "Bob's own story"
    bob.save()
    text = json.dumps(privacy_export.member_personal_data(member=alicia))
    for other in [
        "Bob mends bicycles",
        "Bring the bike round.",
        "0118 496 0999",
        "Bob's own story",
        "Bicycle lesson",
        bob.user.email,
        carol.user.email,
        "Carol",
    ]:
        assert other not in text
    data = privacy_export.member_personal_data(member=alicia)["data"]
    assert story["others"].pk not in {row["id"] for row in data["timebank.Exchange"]}
    assert [row["id"] for row in data["timebank.Member"]] == [alicia.pk]


def test_the_export_covers_referrals_with_consent_history_and_outcomes(alicia, bob, timebank):
    surgery = Organisation.objects.create(name="Oxford Road Surgery", organisation_type=OrganisationType.GP_PRACTICE)
    referral_model = apps.get_model("referrals", "Referral")
    referral = referral_model.objects.create(
        referring_organisation=surgery,
        target_timebank=timebank,
        member=alicia,
        given_name="Alicia",
        family_name="Quennell",
        postcode="RG1 7QE",
        preferred_contact="phone",
    )
    referral_model.objects.create(
        referring_organisation=surgery,
        target_timebank=timebank,
        member=bob,
        given_name="Bob",
        family_name="Other",
        postcode="RG1 7QE",
        preferred_contact="phone",
    )
    apps.get_model("referrals", "Consent").objects.create(
        referral=referral,
        given=True,
        scopes=["share-with-service"],
        method="verbal",
        recorded_by="Link worker",
        recorded_at=timezone.now(),
    )
    apps.get_model("referrals", "ReferralHistory").objects.create(referral=referral, to_status="requested")
    apps.get_model("referrals", "Outcome").objects.create(
        referral=referral, instrument="ons4", stage="baseline", answers={"happiness": 5}
    )
    data = privacy_export.member_personal_data(member=alicia)["data"]
    assert [row["id"] for row in data["referrals.Referral"]] == [str(referral.pk)]
    assert [row["referral_id"] for row in data["referrals.Consent"]] == [str(referral.pk)]
    assert [row["referral_id"] for row in data["referrals.ReferralHistory"]] == [str(referral.pk)]
    assert [row["answers"] for row in data["referrals.Outcome"]] == [{"happiness": 5}]
    assert "Other" not in json.dumps(data)


def test_the_download_is_an_attachment_that_is_never_cached(story, alicia, coordinator, client):
    client.force_login(coordinator)
    response = client.get(export_page(alicia))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == f'attachment; filename="member-{alicia.public_id}.json"'
    assert "no-store" in response["Cache-Control"]
    export = json.loads(response.content)
    assert export["member"] == str(alicia.public_id) and export["balance_minutes"] == 120


def test_the_command_writes_the_export_to_a_file(story, alicia, tmp_path, capsys):
    output = tmp_path / "alicia.json"
    call_command("export_personal_data", str(alicia.public_id), "--output", str(output))
    export = json.loads(output.read_text(encoding="utf-8"))
    assert export["member"] == str(alicia.public_id)
    assert [row["title"] for row in export["data"]["timebank.Listing"]] == [LISTING_TITLE]
    assert NAME not in capsys.readouterr().out  # the screen shows the id only
    call_command("export_personal_data", str(alicia.pk))
    assert json.loads(capsys.readouterr().out)["member"] == str(alicia.public_id)


@pytest.mark.parametrize("reference", ["999999", "not-an-id", "\x00", ""])
def test_the_command_says_plainly_when_there_is_no_such_member(db, reference):
    with pytest.raises(CommandError, match="There is no member"):
        call_command("export_personal_data", reference)
