"""Member pages: joining, my profile, and the coordinator's applications and members."""

import re
import uuid

import pytest
from django.urls import reverse

from tests.factories import MemberFactory
from timebank.models import Account, Member, MemberStatus, Timebank, User

JOIN = {
    "display_name": "Priya Shah",
    "email": "priya@example.org",
    "phone": "",
    "postcode": "RG1 7QE",
    "about": "I can teach Gujarati and would like help with my garden.",
    "availability": ["sat-morning"],
    "communication_needs": [],
    "password": "a long enough passphrase",
    "password_again": "a long enough passphrase",
}


def error_next_to(html: str, field: str, prefix: str = "") -> bool:
    """The field's own block on the page is marked as wrong and carries a message."""
    name = f"{prefix}-{field}" if prefix else field
    blocks = [block for block in re.split(r'<(?:div|fieldset) class="field', html) if f'name="{name}"' in block]
    return bool(blocks) and blocks[0].startswith(" field-error") and 'class="error-message"' in blocks[0]


def test_joining_e_mails_a_link_that_logs_you_in_and_says_you_are_waiting_for_approval(
    client, db, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("timebank:join"), JOIN)
    assert response.status_code == 302 and response["Location"] == reverse("timebank:join-sent")
    member = Member.objects.get(email="priya@example.org")
    assert member.status == MemberStatus.APPLIED
    # tests/security/test_login.py: the address is proved before the login works.
    link = re.search(r"/join/confirm/\S+/", mailoutbox[0].body).group(0)
    assert client.get(link)["Location"] == reverse("timebank:my-hours")
    page = client.get(reverse("timebank:my-hours"))
    assert "waiting for a coordinator to approve it" in page.content.decode()
    assert "your e-mail address is confirmed" in page.content.decode()


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"display_name": ""}, "display_name", "Enter your name"),
        ({"email": "not-an-email"}, "email", "Enter your e-mail address in the right format"),
        ({"postcode": "12345"}, "postcode", "does not look like a UK postcode"),
        ({"postcode": "ZZ9 9ZZ"}, "postcode", "We could not find the postcode ZZ9 9ZZ"),
        ({"password": "short", "password_again": "short"}, "password", "too short"),
        ({"password_again": "something else"}, "password_again", "The two passwords are different"),
        ({"availability": ["someday"]}, "availability", "Choose one of the options for"),
        ({"about": "x" * 2001}, "about", "at most 2000"),
        ({"display_name": "a" * 81}, "display_name", "at most 80"),
    ],
)
def test_a_bad_application_comes_back_with_the_message_next_to_the_field(client, db, change, field, message):
    response = client.post(reverse("timebank:join"), {**JOIN, **change})
    html = response.content.decode()
    assert response.status_code == 200
    assert error_next_to(html, field)
    assert message in html
    assert "There is a problem" in html
    assert not Member.objects.filter(email="priya@example.org").exists()
    assert not User.objects.filter(email="priya@example.org").exists()


def test_joining_twice_with_one_email_saves_nothing_and_does_not_say_why(client, alice):
    # The answer is the one a new address gets (tests/security/test_login.py); the
    # address's owner is told by e-mail.
    response = client.post(reverse("timebank:join"), {**JOIN, "email": alice.user.email})
    assert response.status_code == 302 and response["Location"] == reverse("timebank:join-sent")
    assert Member.objects.filter(email=alice.user.email).count() == 1


def test_a_declined_applicant_is_told_so(client, db):
    member = MemberFactory(status=MemberStatus.DECLINED, with_account=False)
    client.force_login(member.user)
    assert "was not accepted" in client.get(reverse("timebank:my-hours")).content.decode()


def test_a_login_without_a_member_profile_is_told_so(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("timebank:my-hours"))
    assert response.status_code == 200 and "You are not a timebank member" in response.content.decode()


# --- My profile -----------------------------------------------------------------------------

PROFILE = {
    "display_name": "Alice Smith",
    "phone": "0118 496 0000",
    "postcode": "rg4 5aa",
    "travel_radius_km": "4",
    "availability": ["mon-morning", "wed-evening"],
    "communication_needs": ["easy-read"],
    "digest": "weekly",
    "about": "Gardening and tea",
}


def test_a_member_edits_their_profile(client, alice):
    client.force_login(alice.user)
    page = client.get(reverse("timebank:my-profile"))
    assert 'value="Alice"' in page.content.decode()
    response = client.post(reverse("timebank:my-profile"), PROFILE)
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.display_name, alice.postcode, alice.postcode_district, alice.travel_radius_km) == (
        "Alice Smith",
        "RG4 5AA",
        "RG4",
        4,
    )
    assert alice.communication_needs == ["easy-read"]


def test_an_applicant_can_already_edit_their_profile(client, db):
    member = MemberFactory(status=MemberStatus.APPLIED, with_account=False)
    client.force_login(member.user)
    assert client.post(reverse("timebank:my-profile"), PROFILE).status_code == 302
    member.refresh_from_db()
    assert member.display_name == "Alice Smith"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"travel_radius_km": "0"}, "travel_radius_km"),
        ({"travel_radius_km": "101"}, "travel_radius_km"),
        ({"travel_radius_km": "far"}, "travel_radius_km"),
        ({"postcode": "RG1 7Q"}, "postcode"),
        ({"postcode": ""}, "postcode"),
        ({"digest": "hourly"}, "digest"),
        ({"communication_needs": ["smoke-signals"]}, "communication_needs"),
        ({"display_name": "   "}, "display_name"),
    ],
)
def test_a_bad_profile_comes_back_with_the_message_next_to_the_field(client, alice, change, field):
    client.force_login(alice.user)
    before = Member.objects.filter(pk=alice.pk).values().get()
    response = client.post(reverse("timebank:my-profile"), {**PROFILE, **change})
    assert response.status_code == 200
    assert error_next_to(response.content.decode(), field)
    assert Member.objects.filter(pk=alice.pk).values().get() == before


def test_member_pages_ask_anonymous_people_to_log_in(client, db):
    for name in ("timebank:my-hours", "timebank:my-profile", "timebank:give-hours", "timebank:donate-hours"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("timebank:login"))


# --- Coordinator pages -----------------------------------------------------------------------


def coordinator_urls(member):
    return [
        reverse("timebank:coordinator-dashboard"),
        reverse("timebank:coordinator-applications"),
        reverse("timebank:coordinator-members"),
        reverse("timebank:coordinator-member-add"),
        reverse("timebank:coordinator-pot"),
        reverse("timebank:coordinator-member", args=[member.public_id]),
        reverse("timebank:coordinator-member-edit", args=[member.public_id]),
        reverse("timebank:coordinator-member-give", args=[member.public_id]),
    ]


def test_coordinator_pages_are_not_found_for_members_and_ask_others_to_log_in(client, alice, bob):
    for url in coordinator_urls(bob):
        assert client.get(url).status_code == 302
    client.force_login(alice.user)
    for url in coordinator_urls(bob):
        assert client.get(url).status_code == 404, url


def test_coordinator_pages_open_for_a_coordinator(client, coordinator, bob):
    client.force_login(coordinator)
    for url in coordinator_urls(bob):
        assert client.get(url).status_code == 200, url


def test_a_coordinator_approves_an_application_from_the_queue(client, coordinator, db):
    applicant = MemberFactory(display_name="Newcomer", status=MemberStatus.APPLIED, with_account=False)
    client.force_login(coordinator)
    queue = client.get(reverse("timebank:coordinator-applications")).content.decode()
    assert "Newcomer" in queue
    response = client.post(
        reverse("timebank:coordinator-member-status", args=[applicant.public_id]),
        {"action": "approve", "return_to": "applications"},
    )
    assert response["Location"] == reverse("timebank:coordinator-applications")
    applicant.refresh_from_db()
    assert applicant.status == MemberStatus.APPROVED and Account.objects.filter(member=applicant).exists()
    after = client.get(reverse("timebank:coordinator-applications"))
    assert "Newcomer is approved" in after.content.decode()
    assert list(after.context["page"].object_list) == []


def test_a_coordinator_declines_pauses_resumes_and_marks_members_as_left(client, coordinator, alice):
    client.force_login(coordinator)
    url = reverse("timebank:coordinator-member-status", args=[alice.public_id])
    for action, status in (("pause", "paused"), ("resume", "active"), ("leave", "left")):
        client.post(url, {"action": action, "note": f"{action} note"})
        alice.refresh_from_db()
        assert (alice.status, alice.status_note) == (status, f"{action} note")


def test_an_illegal_status_change_is_explained_and_changes_nothing(client, coordinator, alice):
    client.force_login(coordinator)
    response = client.post(
        reverse("timebank:coordinator-member-status", args=[alice.public_id]), {"action": "approve"}, follow=True
    )
    assert "Only an application that is waiting can be approved" in response.content.decode()
    alice.refresh_from_db()
    assert alice.status == MemberStatus.ACTIVE


@pytest.mark.parametrize("data", [{"action": "explode"}, {"action": "pause", "note": "n" * 301}, {}])
def test_a_bad_status_form_comes_back_with_the_message(client, coordinator, alice, data):
    client.force_login(coordinator)
    response = client.post(reverse("timebank:coordinator-member-status", args=[alice.public_id]), data)
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    alice.refresh_from_db()
    assert alice.status == MemberStatus.ACTIVE


def test_a_member_cannot_post_a_status_change(client, alice, bob):
    client.force_login(alice.user)
    response = client.post(reverse("timebank:coordinator-member-status", args=[bob.public_id]), {"action": "pause"})
    assert response.status_code == 404
    bob.refresh_from_db()
    assert bob.status == MemberStatus.ACTIVE


def test_a_coordinator_finds_members_by_name_postcode_and_status(client, coordinator, alice, bob):
    MemberFactory(display_name="Zeb", postcode="RG30 1AB", postcode_district="RG30", status=MemberStatus.PAUSED)
    client.force_login(coordinator)

    def names(**query):
        # Searches are posted: names, phones and e-mails stay out of addresses (issue 12).
        html = client.post(reverse("timebank:coordinator-members"), query, follow=True).content.decode()
        return {name for name in ("Alice", "Bob", "Zeb") if f">{name}</a>" in html}

    assert names() == {"Alice", "Bob", "Zeb"}
    assert names(q="ali") == {"Alice"}
    assert names(q="rg30") == {"Zeb"}
    assert names(status="paused") == {"Zeb"}
    # A NUL byte is the classic PostgreSQL 500; it must simply match nobody.
    assert client.post(reverse("timebank:coordinator-members"), {"q": "a\x00"}).status_code == 400
    assert client.post(reverse("timebank:coordinator-members"), {"q": "x" * 500}).status_code == 400
    assert client.get(reverse("timebank:coordinator-members"), {"page": "junk"}).status_code == 200


@pytest.mark.parametrize("count", [1, 40])
def test_the_members_list_does_not_grow_queries_with_rows(client, coordinator, count, django_assert_max_num_queries):
    for _ in range(count):
        MemberFactory()
    client.force_login(coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("timebank:coordinator-members"))
    assert response.status_code == 200 and response.context["page"].paginator.count == count


def test_a_coordinator_adds_a_member_who_is_not_online(client, coordinator, db):
    client.force_login(coordinator)
    response = client.post(
        reverse("timebank:coordinator-member-add"),
        {"kind": "person", "display_name": "Edna Hall", "phone": "0118 496 0999", "postcode": "rg31 6aa"},
    )
    edna = Member.objects.get(display_name="Edna Hall")
    assert response["Location"] == reverse("timebank:coordinator-member", args=[edna.public_id])
    assert edna.user is None and edna.status == MemberStatus.APPROVED and edna.postcode == "RG31 6AA"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"kind": "person", "display_name": "", "postcode": "RG1"}, "display_name"),
        ({"kind": "robot", "display_name": "E", "postcode": "RG1"}, "kind"),
        ({"kind": "person", "display_name": "E", "postcode": "nowhere"}, "postcode"),
        ({"kind": "person", "display_name": "E", "postcode": "RG1", "email": "bad"}, "email"),
    ],
)
def test_a_bad_offline_member_comes_back_with_the_message_next_to_the_field(client, coordinator, data, field):
    client.force_login(coordinator)
    members = Member.objects.count()
    response = client.post(reverse("timebank:coordinator-member-add"), data)
    assert response.status_code == 200 and error_next_to(response.content.decode(), field)
    assert Member.objects.count() == members


def test_a_coordinator_edits_a_members_profile(client, coordinator, alice):
    client.force_login(coordinator)
    response = client.post(reverse("timebank:coordinator-member-edit", args=[alice.public_id]), PROFILE)
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.display_name == "Alice Smith"


def test_a_member_of_another_timebank_is_not_found(client, coordinator):
    other = Timebank.objects.create(name="Elsewhere", slug="elsewhere")
    stranger = MemberFactory(timebank=other)
    client.force_login(coordinator)
    assert client.get(reverse("timebank:coordinator-member", args=[stranger.public_id])).status_code == 404
    assert client.get(reverse("timebank:coordinator-member", args=[uuid.uuid4()])).status_code == 404
    assert (
        client.post(
            reverse("timebank:coordinator-member-status", args=[stranger.public_id]), {"action": "pause"}
        ).status_code
        == 404
    )
    stranger.refresh_from_db()
    assert stranger.status == MemberStatus.ACTIVE


def test_a_bad_search_status_is_explained_and_lists_everyone(client, coordinator, alice):
    client.force_login(coordinator)
    response = client.get(reverse("timebank:coordinator-members"), {"status": "bogus"})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    assert response.context["page"].paginator.count == 1
