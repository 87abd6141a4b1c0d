"""A member whose application was made for them (a social prescriber's
referral) and who has an e-mail address: the coordinator's approval gives them
a login and e-mails an invitation to choose a password; the link works once,
for INVITATION_DAYS days. Their profile keeps what matters to them and every
communication need the referral carried, seen by them and the coordinators only."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import ListingFactory, UserFactory
from timebank.models import Member, MemberStatus, User
from timebank.services import invitations, members as member_services

pytestmark = pytest.mark.django_db

PASSWORD = "a quiet walk by the river"
WHAT_MATTERS = "Getting out of the house and meeting people who like gardening."


def referred(timebank, *, email="jo.rivers@example.org") -> Member:
    """An application as a referral makes it: no login, what matters, AIS codes."""
    return member_services.member_create(
        timebank=timebank,
        display_name="Jo Rivers",
        postcode="RG1 7QE",
        email=email,
        communication_needs=["large-print", "braille", "interpreter-polish"],
        what_matters=WHAT_MATTERS,
        note="Referred by a social prescriber",
    )


def approve(member, coordinator, capture) -> Member:
    with capture(execute=True):
        member_services.member_approve(member=member, by_user=coordinator)
    return Member.objects.select_related("user").get(pk=member.pk)


def link_in(message) -> str:
    found = re.search(r"http://[^/\s]+(/invitation/\S+/)", message.body)
    assert found, message.body
    return found.group(1)


def choose_password(client, link, password=PASSWORD):
    return client.post(link, {"new_password1": password, "new_password2": password})


def test_approval_makes_a_login_and_e_mails_a_link_that_sets_the_password_and_logs_in(
    client, timebank, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    member = approve(referred(timebank), coordinator, django_capture_on_commit_callbacks)
    user = member.user
    assert user is not None and (user.username, user.email, user.is_active) == (
        "jo.rivers@example.org",
        "jo.rivers@example.org",
        True,
    )
    assert not user.has_usable_password()
    assert [m.to for m in mailoutbox] == [["jo.rivers@example.org"]]
    assert "choose your password" in mailoutbox[0].subject
    assert WHAT_MATTERS not in mailoutbox[0].body
    link = link_in(mailoutbox[0])

    page = client.get(link)
    assert page.status_code == 200 and "Choose your password" in page.content.decode()
    response = choose_password(client, link)
    assert response.status_code == 302 and response["Location"] == reverse("timebank:home")
    assert int(client.session["_auth_user_id"]) == user.pk
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    # Their dashboard, as a member.
    assert client.get(reverse("timebank:home")).status_code == 200


def test_the_link_works_once(client, timebank, coordinator, mailoutbox, django_capture_on_commit_callbacks):
    approve(referred(timebank), coordinator, django_capture_on_commit_callbacks)
    link = link_in(mailoutbox[0])
    assert choose_password(client, link).status_code == 302
    client.logout()
    again = client.get(link)
    assert again.status_code == 400
    assert "already used" in again.content.decode() and "send the invitation again" in again.content.decode()
    refused = choose_password(client, link, password="someone else's password 42")
    assert refused.status_code == 400
    assert User.objects.get(email="jo.rivers@example.org").check_password(PASSWORD)


def test_an_expired_link_is_refused(client, timebank, coordinator, mailoutbox, django_capture_on_commit_callbacks):
    approve(referred(timebank), coordinator, django_capture_on_commit_callbacks)
    link = link_in(mailoutbox[0])
    later = datetime.datetime.now() + datetime.timedelta(days=14, minutes=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(invitations.invitation_tokens, "_now", lambda: later)
        assert client.get(link).status_code == 400
        assert choose_password(client, link).status_code == 400
    assert not User.objects.get(email="jo.rivers@example.org").has_usable_password()
    # Just inside the 14 days it still works.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(invitations.invitation_tokens, "_now", lambda: later - datetime.timedelta(days=1))
        assert client.get(link).status_code == 200


def test_a_lifetime_of_no_days_refuses_every_link(
    client, timebank, coordinator, mailoutbox, settings, django_capture_on_commit_callbacks
):
    approve(referred(timebank), coordinator, django_capture_on_commit_callbacks)
    settings.INVITATION_DAYS = 0
    assert client.get(link_in(mailoutbox[0])).status_code == 400


def test_a_weak_password_is_refused_next_to_the_field(
    client, timebank, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    approve(referred(timebank), coordinator, django_capture_on_commit_callbacks)
    link = link_in(mailoutbox[0])
    page = choose_password(client, link, password="12345678")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Error:" in html and 'class="error-message"' in html
    assert not User.objects.get(email="jo.rivers@example.org").has_usable_password()
    # The link still works for a good password.
    assert choose_password(client, link).status_code == 302


def test_an_address_that_is_already_a_login_is_linked_and_no_invitation_sent(
    timebank, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    existing = UserFactory(username="jo", email="Jo.Rivers@example.org")
    member = approve(referred(timebank), coordinator, django_capture_on_commit_callbacks)
    assert member.user_id == existing.pk
    assert User.objects.filter(email__iexact="jo.rivers@example.org").count() == 1
    assert mailoutbox == []


def test_an_address_that_is_another_members_login_does_not_stop_the_approval(
    timebank, coordinator, alice, mailoutbox, django_capture_on_commit_callbacks
):
    member = approve(referred(timebank, email=alice.user.email), coordinator, django_capture_on_commit_callbacks)
    assert member.status == MemberStatus.APPROVED and member.user is None
    assert Member.objects.get(pk=alice.pk).user_id == alice.user_id
    assert mailoutbox == []


def test_the_coordinator_can_send_the_invitation_again_until_a_password_is_chosen(
    client, timebank, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    member = approve(referred(timebank), coordinator, django_capture_on_commit_callbacks)
    client.force_login(coordinator)
    page = client.get(reverse("timebank:coordinator-member", args=[member.public_id])).content.decode()
    assert "Send the invitation again" in page and "has not chosen a password yet" in page
    invite = reverse("timebank:coordinator-member-invite", args=[member.public_id])
    assert client.get(invite).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(invite, follow=True)
    assert "The invitation to choose a password is sent" in response.content.decode()
    assert len(mailoutbox) == 2
    fresh = link_in(mailoutbox[1])

    # Jo opens the fresh link on their own computer.
    assert choose_password(Client(), fresh).status_code == 302
    page = client.get(reverse("timebank:coordinator-member", args=[member.public_id])).content.decode()
    assert "Send the invitation again" not in page and "Yes, logs in as jo.rivers@example.org" in page
    refused = client.post(invite, follow=True).content.decode()
    assert "has already chosen a password" in refused
    assert len(mailoutbox) == 2


def test_a_member_approved_before_invitations_can_be_invited(
    client, timebank, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    member = referred(timebank)
    Member.objects.filter(pk=member.pk).update(status=MemberStatus.ACTIVE)
    client.force_login(coordinator)
    page = client.get(reverse("timebank:coordinator-member", args=[member.public_id])).content.decode()
    assert "has an e-mail address but no login" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("timebank:coordinator-member-invite", args=[member.public_id]))
    member.refresh_from_db()
    assert member.user is not None and not member.user.has_usable_password()
    assert [m.to for m in mailoutbox] == [["jo.rivers@example.org"]]


def test_what_matters_and_every_need_show_to_the_member_and_coordinator_only(
    client, timebank, coordinator, alice, mailoutbox, django_capture_on_commit_callbacks
):
    member = approve(referred(timebank), coordinator, django_capture_on_commit_callbacks)
    client.force_login(coordinator)
    page = client.get(reverse("timebank:coordinator-member", args=[member.public_id])).content.decode()
    assert "What matters to them (from their referral)" in page and WHAT_MATTERS in page
    assert "Large print" in page and "Braille" in page and "Interpreter: Polish" in page

    # The member sees it on their own profile, and can change it.
    choose_password(client, link_in(mailoutbox[0]))
    profile = client.get(reverse("timebank:my-profile")).content.decode()
    assert "What matters to you" in profile and WHAT_MATTERS in profile
    form = profile_post(member, what_matters="Gardening, and a chat over tea.")
    assert client.post(reverse("timebank:my-profile"), form).status_code == 302
    member.refresh_from_db()
    assert member.what_matters == "Gardening, and a chat over tea."
    # The needs the timebank's list does not have are kept through the save.
    assert member.communication_needs == ["large-print", "braille", "interpreter-polish"]

    # Another member looking at their offer does not see it.
    listing = ListingFactory(member=member, title="Help with seed sowing")
    client.force_login(alice.user)
    seen = client.get(reverse("timebank:listing-detail", args=[listing.public_id]))
    assert seen.status_code == 200 and "Gardening, and a chat over tea." not in seen.content.decode()


def test_a_coordinator_editing_the_profile_leaves_what_matters_as_it_is(
    client, timebank, coordinator, django_capture_on_commit_callbacks
):
    member = approve(referred(timebank), coordinator, django_capture_on_commit_callbacks)
    client.force_login(coordinator)
    edit = reverse("timebank:coordinator-member-edit", args=[member.public_id])
    assert "What matters to you" not in client.get(edit).content.decode()
    response = client.post(edit, profile_post(member, what_matters="typed by the coordinator"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.what_matters == WHAT_MATTERS


def profile_post(member, **changes) -> dict:
    data = {
        "display_name": member.display_name,
        "phone": member.phone,
        "postcode": member.postcode,
        "travel_radius_km": "3",
        "availability": [],
        "communication_needs": list(member.communication_needs),
        "digest": "weekly",
        "about": "",
    }
    data.update(changes)
    return data


def test_erasing_the_member_removes_what_matters_to_them(timebank, coordinator, django_capture_on_commit_callbacks):
    from privacy.services import member_erase

    member = approve(referred(timebank), coordinator, django_capture_on_commit_callbacks)
    member_erase(member=member, by_user=coordinator)
    member.refresh_from_db()
    assert (member.what_matters, member.communication_needs, member.erased_at is not None) == ("", [], True)
