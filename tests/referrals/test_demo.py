"""The demo's referrals: a link worker and a group organiser who can log in
and see them, made once however often seed_demo runs."""

import io

import pytest
from django.core.management import call_command

from referrals.models import Referral

pytestmark = pytest.mark.django_db


def test_the_demo_link_worker_sees_their_referrals_and_a_second_run_adds_none(client):
    call_command("seed_demo", stdout=io.StringIO())
    first = Referral.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert Referral.objects.count() == first == 3

    assert client.post("/login/", {"username": "linkworker", "password": "timecommons-demo"}).status_code == 302
    page = client.get("/referrals/")
    assert page.status_code == 200
    assert "Joan" in page.content.decode() or "Jo " in page.content.decode()
    client.post("/logout/")

    assert client.post("/login/", {"username": "organiser", "password": "timecommons-demo"}).status_code == 302
    incoming = client.get("/referrals/in/")
    assert incoming.status_code == 200
    assert "Frank" in incoming.content.decode()
