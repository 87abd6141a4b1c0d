"""Logging in, joining and sessions, as an attacker and a real person would see them:

1. behind the README's proxy, lockout keys on the person's address (the
   trusted X-Forwarded-For entry), so an attacker's wrong passwords do not lock
   the real person out; the lockout is short and says how to get back in;
2. /join/ and /t/<slug>/join/ answer the same whether the address is
   registered or not, and only the address's owner learns which (by e-mail);
4. people who can see health data are signed out after 30 idle minutes;
   members stay signed in.
"""

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse

from core.clientip import client_address
from tests.factories import MemberFactory, UserFactory
from timebank.models import Member, Role, User

PASSWORD = "correct horse battery staple"
PROXY = "10.0.0.2"  # every request reaches the app from the proxy's address
REAL_PERSON = "203.0.113.9"
ATTACKER = "198.51.100.7"


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def log_in(client: Client, username: str, password: str, *, forwarded_for: str):
    return client.post(
        reverse("timebank:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- 1. The person's address behind a proxy -----------------------------------------------------


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (0, "203.0.113.9", PROXY),  # no proxy trusted: the header is ignored
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a made-up entry at the left is not believed
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        (2, "203.0.113.9", "203.0.113.9"),  # fewer entries than proxies: never further left than there is
        (1, "not an address", PROXY),
        (1, "", PROXY),
    ],
)
def test_the_clients_address_is_the_entry_as_many_hops_from_the_right_as_there_are_proxies(
    settings, hops, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = hops
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_an_attackers_wrong_passwords_do_not_lock_out_the_real_person_behind_the_proxy(behind_one_proxy, coordinator):
    attacker = Client()
    for _ in range(5):
        response = log_in(attacker, "cora", "wrong guess", forwarded_for=ATTACKER)
    assert response.status_code == 429 and not signed_in(attacker)

    real = Client()
    response = log_in(real, "cora", PASSWORD, forwarded_for=REAL_PERSON)
    assert response.status_code == 302 and signed_in(real)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_an_attacker_cannot_escape_the_lockout_by_making_up_forwarded_addresses(behind_one_proxy, coordinator):
    attacker = Client()
    for n in range(6):
        response = log_in(attacker, "cora", "wrong guess", forwarded_for=f"192.0.2.{n}, {ATTACKER}")
    assert response.status_code == 429
    response = log_in(attacker, "cora", PASSWORD, forwarded_for=f"192.0.2.99, {ATTACKER}")
    assert response.status_code == 429 and not signed_in(attacker)


def test_the_lockout_page_says_how_long_to_wait_and_how_to_get_back_in(behind_one_proxy, coordinator):
    client = Client()
    for _ in range(5):
        response = log_in(client, "cora", "wrong guess", forwarded_for=REAL_PERSON)
    page = response.content.decode()
    assert response.status_code == 429
    assert "wait 15 minutes" in page
    assert f'href="{reverse("timebank:password-reset")}"' in page and "coordinator" in page


def test_after_the_short_cool_off_the_person_can_log_in_again(behind_one_proxy, coordinator, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    client = Client()
    for _ in range(5):
        log_in(client, "cora", "wrong guess", forwarded_for=REAL_PERSON)
    assert log_in(client, "cora", PASSWORD, forwarded_for=REAL_PERSON).status_code == 429
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 16, tzinfo=dt.UTC), tick=False)
    response = log_in(client, "cora", PASSWORD, forwarded_for=REAL_PERSON)
    assert response.status_code == 302 and signed_in(client)


# --- 2. Joining does not say whether an address is registered ---------------------------------------

JOIN = {
    "display_name": "Priya Shah",
    "email": "priya@example.org",
    "phone": "",
    "postcode": "RG1 7QE",
    "about": "I can teach Gujarati.",
    "availability": ["sat-morning"],
    "communication_needs": [],
    "password": "a long enough passphrase",
    "password_again": "a long enough passphrase",
}


@pytest.fixture
def join(django_capture_on_commit_callbacks):
    """Post the join form from a fresh browser; e-mail queued after commit is sent."""

    def post(url="/join/", data=None, client=None):
        with django_capture_on_commit_callbacks(execute=True):
            return (client or Client()).post(url, data or JOIN)

    return post


def counts() -> tuple[int, int]:
    return User.objects.count(), Member.objects.count()


def answer(response) -> tuple:
    """What the person at the browser sees: status, where it sends them, cookies set."""
    return response.status_code, response.get("Location"), sorted(response.cookies.keys())


@pytest.fixture
def registered(db):
    return MemberFactory(display_name="Rita", user__username="rita", user__email="rita@example.org")


@pytest.mark.parametrize("join_url", ["/join/", "/t/{slug}/join/"])
def test_join_answers_the_same_for_a_registered_address_and_a_new_one(join_url, registered, timebank, join):
    url = join_url.format(slug=timebank.slug)
    new = join(url)
    before = counts()
    taken = join(url, {**JOIN, "email": " RITA@example.org "})
    assert answer(taken) == answer(new) == (302, reverse("timebank:join-sent"), [])
    assert counts() == before  # nothing new saved for the registered address
    assert "There is already an account" not in Client().get(reverse("timebank:join-sent")).content.decode()


def test_the_owner_of_a_registered_address_is_told_by_e_mail_and_nobody_else(registered, timebank, join):
    join("/join/", {**JOIN, "email": "rita@example.org"})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rita@example.org"]
    assert "Someone tried to join" in message.subject
    assert reverse("timebank:login") in message.body and reverse("timebank:password-reset") in message.body
    assert "join/confirm" not in message.body


def test_a_registered_address_with_a_weak_password_gets_the_same_form_error_as_a_new_one(registered, timebank, join):
    weak = {**JOIN, "password": "password", "password_again": "password"}
    new = join("/join/", weak).content.decode()
    taken = join("/join/", {**weak, "email": "rita@example.org"}).content.decode()
    error = re.compile(r'<p class="error-message">.*?</p>', re.S)
    assert error.findall(new) and error.findall(new) == error.findall(taken)
    assert mail.outbox == []


def test_a_new_address_can_log_in_only_after_following_the_e_mailed_link(timebank, join):
    client = Client()
    join(client=client)
    user = User.objects.get(email="priya@example.org")
    assert not user.is_active and Member.objects.get(user=user).status == "applied"
    # The chosen password alone does not log in: whoever typed the address cannot use it.
    refused = client.post(reverse("timebank:login"), {"username": "priya@example.org", "password": JOIN["password"]})
    assert refused.status_code == 200 and not signed_in(client)

    (message,) = mail.outbox
    assert message.to == ["priya@example.org"]
    path = re.search(r"https?://[^/\s]+(/join/confirm/\S+/)", message.body).group(1)
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == reverse("timebank:my-hours") and signed_in(client)
    assert User.objects.get(pk=user.pk).is_active
    # The link works once.
    assert Client().get(path).status_code == 400


@pytest.mark.parametrize("path", ["/join/confirm/x/y/", "/join/confirm/OTk5OTk5OTk5OTk5OTk5OTk5OTk5/abc/"])
def test_a_broken_join_link_is_a_plain_400(db, path):
    response = Client().get(path)
    assert response.status_code == 400 and "This link does not work" in response.content.decode()


def test_joining_again_before_following_the_link_sends_the_link_again_and_saves_nothing(timebank, join):
    join()
    before = counts()
    again = join()
    assert again.status_code == 302 and counts() == before
    assert len(mail.outbox) == 2 and all("/join/confirm/" in m.body for m in mail.outbox)


def test_password_reset_answers_the_same_for_a_registered_address_and_an_unknown_one(registered, join):
    known = join(reverse("timebank:password-reset"), {"email": "rita@example.org"})
    unknown = join(reverse("timebank:password-reset"), {"email": "nobody@example.org"})
    assert answer(known) == answer(unknown) == (302, reverse("timebank:password-reset-done"), [])
    assert [m.to for m in mail.outbox] == [["rita@example.org"]]


# --- 4. Idle sessions of people who see health data -------------------------------------------------


@pytest.fixture
def link_worker(db):
    return UserFactory(username="lina", roles=[Role.LINK_WORKER])


def test_a_link_worker_idle_for_more_than_30_minutes_is_signed_out_with_a_plain_message(link_worker, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    client = Client()
    client.force_login(link_worker)
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 29, tzinfo=dt.UTC), tick=False)
    assert client.get(reverse("timebank:home")).status_code == 200 and signed_in(client)

    time_machine.move_to(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC), tick=False)  # 31 minutes after the last page
    response = client.get("/referrals/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("timebank:login"))
    assert not signed_in(client)
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out because you had not used the site for 30 minutes" in page


@pytest.mark.parametrize("roles", [[Role.COORDINATOR], [Role.GROUP_ORGANISER], [Role.ADMIN]])
def test_others_who_see_health_data_get_the_short_idle_time_too(db, roles, time_machine, settings):
    settings.SESSION_IDLE_MINUTES_HEALTH = 10
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    client = Client()
    client.force_login(UserFactory(username="health", roles=roles))
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 11, tzinfo=dt.UTC), tick=False)
    client.get(reverse("timebank:home"))
    assert not signed_in(client)


def test_a_member_stays_signed_in_for_days(registered, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    client = Client()
    client.force_login(registered.user)
    assert client.session.get_expiry_age() == 14 * 24 * 3600
    time_machine.move_to(dt.datetime(2026, 3, 5, 9, 0, tzinfo=dt.UTC), tick=False)
    assert client.get(reverse("timebank:my-hours")).status_code == 200 and signed_in(client)


def test_a_staff_session_from_before_the_check_is_timed_from_its_first_request(db, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    client = Client()
    client.force_login(UserFactory(username="staffer", is_staff=True))
    session = client.session
    for key in ("sees_health_data", "last_activity"):
        session.pop(key, None)
    session.save()
    client.get(reverse("timebank:home"))
    assert signed_in(client)
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 31, tzinfo=dt.UTC), tick=False)
    client.get(reverse("timebank:home"))
    assert not signed_in(client)
