"""Two-step sign-in (item 3): coordinators, link workers, organisers and staff
turn it on with an authenticator app; logging in then needs the code; the
admin needs it of every staff user; turning it off needs a code.

Codes are computed from the device's own key as an app would (django_otp.oath.totp),
at a fixed time: a TOTP code is accepted once, so each step moves the clock on.
"""

import datetime as dt
import io
import re
from base64 import b32decode

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory
from timebank.models import Role

PASSWORD = "correct horse battery staple"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def code_for(device: TOTPDevice) -> str:
    """The 6 numbers the person's app shows now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)

    def later(minutes: float) -> None:
        time_machine.move_to(START + dt.timedelta(minutes=minutes), tick=False)

    return later


@pytest.fixture
def cora(db):
    return UserFactory(username="cora", roles=[Role.COORDINATOR])


@pytest.fixture
def cora_with_app(cora):
    return TOTPDevice.objects.create(user=cora, name="Authenticator app", confirmed=True)


def log_in(client: Client, username: str = "cora", password: str = PASSWORD, next_url: str = ""):
    url = reverse("timebank:login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": username, "password": password})


def type_code(client: Client, code: str):
    return client.post(reverse("timebank:login-code"), {"code": code})


# --- Setting it up --------------------------------------------------------------------------------


def test_a_coordinator_turns_on_two_step_sign_in_with_a_code_from_their_app(cora, clock):
    client = Client()
    client.force_login(cora)
    assert f'href="{reverse("timebank:two-step")}"' in client.get(reverse("timebank:home")).content.decode()
    page = client.get(reverse("timebank:two-step-setup"))
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=cora)
    assert page.status_code == 200 and not device.confirmed
    # The QR code is inline SVG (no script, no style, nothing fetched) and the key is there to type in.
    # (The only scripts are the site's own files, e.g. the menu's: none inline.)
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, re.S)
    assert "<svg" in html and all(body.strip() == "" for body in scripts) and "style=" not in html
    assert all(tag.startswith('<script src="/static/') for tag in re.findall(r"<script[^>]*>", html))
    typed_key = re.search(r"<code>([A-Z2-7 ]+)</code>", html).group(1).replace(" ", "")
    assert b32decode(typed_key + "=" * (-len(typed_key) % 8)) == device.bin_key

    wrong = client.post(reverse("timebank:two-step-setup"), {"code": "000000"})
    assert wrong.status_code == 200 and "That code is not right" in wrong.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed

    clock(1)  # past django-otp's pause after a wrong code
    right = client.post(reverse("timebank:two-step-setup"), {"code": code_for(device)})
    assert right.status_code == 302 and right["Location"] == reverse("timebank:two-step")
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert "Two-step sign-in is on" in client.get(right["Location"]).content.decode()


def test_reloading_the_set_up_page_keeps_the_same_key(cora):
    client = Client()
    client.force_login(cora)
    first = client.get(reverse("timebank:two-step-setup")).content.decode()
    second = client.get(reverse("timebank:two-step-setup")).content.decode()
    assert TOTPDevice.objects.filter(user=cora).count() == 1
    assert re.search(r"<code>(.*?)</code>", first).group(1) == re.search(r"<code>(.*?)</code>", second).group(1)


@pytest.mark.parametrize("name", ["two-step", "two-step-setup"])
def test_members_do_not_get_the_two_step_pages(db, name):
    client = Client()
    client.force_login(UserFactory(username="mo", roles=[Role.MEMBER]))
    assert client.get(reverse(f"timebank:{name}")).status_code == 404
    assert not TOTPDevice.objects.exists()


# --- Logging in -----------------------------------------------------------------------------------


def test_without_two_step_sign_in_the_password_alone_logs_in(cora):
    client = Client()
    response = log_in(client)
    assert response.status_code == 302 and signed_in(client)


def test_with_two_step_sign_in_the_password_alone_does_not_log_in(cora_with_app, clock):
    client = Client()
    response = log_in(client, next_url="/referrals/")
    assert response.status_code == 302 and response["Location"] == reverse("timebank:login-code")
    assert not signed_in(client)
    assert client.get(reverse("timebank:coordinator-dashboard")).status_code == 302  # to the login page

    page = client.get(reverse("timebank:login-code"))
    assert "Type your code" in page.content.decode()
    response = type_code(client, code_for(cora_with_app))
    assert response.status_code == 302 and response["Location"] == "/referrals/"
    assert signed_in(client) and client.session[DEVICE_ID_SESSION_KEY] == cora_with_app.persistent_id


def test_a_wrong_code_is_refused_and_counts_toward_the_lockout(cora_with_app, clock):
    client = Client()
    log_in(client)
    response = type_code(client, "123456")
    assert response.status_code == 200 and "That code is not right" in response.content.decode()
    assert not signed_in(client)
    for _ in range(4):
        response = type_code(client, "123456")
    assert response.status_code == 429
    assert AccessAttempt.objects.get(username="cora").failures_since_start == 5
    # Locked: even the right code and the right password are refused now.
    clock(1)
    assert type_code(client, code_for(cora_with_app)).status_code == 429
    assert log_in(Client()).status_code == 429
    assert not signed_in(client)


def test_the_code_step_needs_a_right_password_first_and_expires(cora_with_app, clock):
    client = Client()
    assert type_code(client, code_for(cora_with_app))["Location"] == reverse("timebank:login")
    log_in(client)
    clock(6)
    assert type_code(client, code_for(cora_with_app))["Location"] == reverse("timebank:login")
    assert not signed_in(client)


def test_a_session_that_showed_no_code_cannot_make_backup_codes(cora_with_app):
    client = Client()
    client.force_login(cora_with_app.user)  # signed in without the second step (an old session)
    response = client.post(reverse("timebank:two-step-backup-codes"), follow=True)
    assert "log in again with a code from your app" in response.content.decode()
    assert not StaticToken.objects.exists()


def test_a_backup_code_logs_in_once(cora_with_app, clock):
    client = Client()
    log_in(client)
    type_code(client, code_for(cora_with_app))
    page = client.post(reverse("timebank:two-step-backup-codes")).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", page)
    assert len(codes) == 10 and StaticToken.objects.filter(device__user=cora_with_app.user).count() == 10

    first = Client()
    log_in(first)
    assert type_code(first, codes[0]).status_code == 302 and signed_in(first)
    again = Client()
    log_in(again)
    assert type_code(again, codes[0]).status_code == 200 and not signed_in(again)


# --- The admin ------------------------------------------------------------------------------------


@pytest.fixture
def staff(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_the_admin_refuses_staff_whose_session_has_no_second_step(staff):
    client = Client()
    client.force_login(staff)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    # The admin's login sends someone without a device to set one up.
    response = client.get(response["Location"])
    assert response.status_code == 302 and response["Location"] == reverse("timebank:two-step-setup")
    assert client.get(reverse("admin:timebank_member_changelist")).status_code == 302


def test_the_admin_has_no_password_form_of_its_own(staff):
    client = Client()
    response = client.post(reverse("admin:login"), {"username": "root", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(reverse("timebank:login"))
    assert not signed_in(client)


def test_the_admin_opens_for_staff_who_logged_in_with_their_code(staff, clock):
    device = TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True)
    client = Client()
    log_in(client, "root", next_url="/admin/")
    response = type_code(client, code_for(device))
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_staff_who_set_up_the_app_mid_session_can_open_the_admin(staff, clock):
    client = Client()
    client.force_login(staff)
    client.get(reverse("timebank:two-step-setup"))
    device = TOTPDevice.objects.get(user=staff)
    client.post(reverse("timebank:two-step-setup"), {"code": code_for(device)})
    assert client.get("/admin/").status_code == 200


# --- Turning it off -------------------------------------------------------------------------------


def test_turning_two_step_sign_in_off_needs_a_current_code(cora_with_app, clock):
    client = Client()
    client.force_login(cora_with_app.user)
    refused = client.post(reverse("timebank:two-step-off"), {"code": "000000"})
    assert refused.status_code == 200 and "That code is not right" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=cora_with_app.user, confirmed=True).exists()

    clock(1)
    done = client.post(reverse("timebank:two-step-off"), {"code": code_for(cora_with_app)})
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=cora_with_app.user).exists()
    assert not StaticDevice.objects.filter(user=cora_with_app.user).exists()
    fresh = Client()
    assert log_in(fresh).status_code == 302 and signed_in(fresh)


# --- The demo -------------------------------------------------------------------------------------


def test_demo_logins_work_with_the_password_alone_and_the_admin_asks_for_set_up(db):
    from timebank.demo import COORDINATOR_USERNAME, DEMO_PASSWORD, NETWORK_ADMIN_USERNAME, seed

    seed(stdout=io.StringIO())
    for username in (COORDINATOR_USERNAME, NETWORK_ADMIN_USERNAME):
        client = Client()
        assert log_in(client, username, DEMO_PASSWORD).status_code == 302 and signed_in(client)
    admin = client.get("/admin/", follow=True)
    assert admin.redirect_chain[-1][0] == reverse("timebank:two-step-setup")
