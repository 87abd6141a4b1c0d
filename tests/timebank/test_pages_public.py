"""Pages anyone can open: home, join, log in and out, password reset."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import MemberFactory, UserFactory


@pytest.mark.parametrize(
    "name, words",
    [
        ("timebank:home", "A timebank"),
        ("timebank:join", "Join the timebank"),
        ("timebank:login", "Log in"),
        ("timebank:password-reset", "Forgotten your password?"),
        ("timebank:logged-out", "You have logged out"),
    ],
)
def test_public_pages_open_for_anonymous_people(client, db, name, words):
    response = client.get(reverse(name))
    html = response.content.decode()
    assert response.status_code == 200
    assert words.lower() in html.lower()
    assert '<main id="main"' in html and 'lang="en-GB"' in html


def test_the_home_page_explains_the_timebank_and_links_to_join(client, db):
    html = client.get(reverse("timebank:home")).content.decode()
    assert "one hour of time credit" in html
    assert f'href="{reverse("timebank:join")}"' in html and f'href="{reverse("timebank:login")}"' in html


def test_every_input_on_the_public_forms_has_a_label(client, db):
    for name in ("timebank:join", "timebank:login", "timebank:password-reset"):
        html = client.get(reverse(name)).content.decode()
        ids = re.findall(r'<input[^>]*type="(?:text|email|password|number)"[^>]*id="([^"]+)"', html)
        assert ids, name
        for input_id in ids:
            assert f'for="{input_id}"' in html, (name, input_id)


def test_a_member_logs_in_with_their_email_address_or_username(client, db):
    member = MemberFactory(user__username="alice", user__email="alice@example.org")
    response = client.post(
        reverse("timebank:login"), {"username": "ALICE@example.org", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == member.user.pk
    client.logout()
    response = client.post(reverse("timebank:login"), {"username": "alice", "password": "correct horse battery staple"})
    assert response.status_code == 302


def test_a_wrong_password_shows_the_form_again_with_a_message(client, db):
    MemberFactory(user__username="alice")
    response = client.post(reverse("timebank:login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logging_out_takes_you_to_the_logged_out_page(client, alice):
    client.force_login(alice.user)
    assert client.get(reverse("timebank:home")).context["member"] == alice
    response = client.post(reverse("timebank:logout"))
    assert response["Location"] == reverse("timebank:logged-out")
    assert "_auth_user_id" not in client.session


def test_a_password_reset_sends_an_email_with_a_link_that_sets_a_new_password(client, db):
    user = UserFactory(username="bob", email="bob@example.org")
    response = client.post(reverse("timebank:password-reset"), {"email": "bob@example.org"})
    assert response["Location"] == reverse("timebank:password-reset-done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["bob@example.org"] and "new password" in message.subject
    link = re.search(r"https?://[^/]+(/password-reset/[^\s]+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    client.post(set_url, {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"})
    user.refresh_from_db()
    assert user.check_password("a brand new passphrase")


def test_a_person_who_applied_without_a_password_can_choose_one_by_reset(client, timebank):
    from timebank.services.members import member_apply

    member_apply(timebank=timebank, display_name="Referred", email="ref@example.org", postcode="RG1", password=None)
    client.post(reverse("timebank:password-reset"), {"email": "ref@example.org"})
    assert len(mail.outbox) == 1


def test_a_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, db):
    response = client.post(reverse("timebank:password-reset"), {"email": "nobody@example.org"})
    assert response["Location"] == reverse("timebank:password-reset-done")
    assert mail.outbox == []


def test_a_bad_reset_link_is_explained(client, db):
    response = client.get(reverse("timebank:password-reset-confirm", args=["MQ", "bad-token"]))
    assert response.status_code == 200 and "This link does not work" in response.content.decode()


def test_a_logged_in_member_is_sent_from_join_to_their_hours(client, alice):
    client.force_login(alice.user)
    assert client.get(reverse("timebank:join"))["Location"] == reverse("timebank:my-hours")


@pytest.mark.parametrize("email", ["", "not an address", "a" * 300 + "@example.org"])
def test_a_bad_address_on_the_reset_form_comes_back_with_a_message(client, db, email):
    response = client.post(reverse("timebank:password-reset"), {"email": email})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    assert mail.outbox == []


def test_two_different_new_passwords_are_refused_and_the_old_one_still_works(client, db):
    user = UserFactory(username="bob", email="bob@example.org")
    client.post(reverse("timebank:password-reset"), {"email": "bob@example.org"})
    link = re.search(r"https?://[^/]+(/password-reset/[^\s]+/)", mail.outbox[0].body).group(1)
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "a brand new passphrase", "new_password2": "another one"})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("correct horse battery staple")
