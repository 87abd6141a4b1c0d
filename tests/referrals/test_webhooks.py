"""Webhooks: signed, sent after commit by send_webhooks (or Celery), never in the
request, retried with backoff, only to public https addresses, never following
redirects. No network: HTTP and DNS are mocked (tests/security/test_outbound.py
has the address guard itself)."""

import datetime
import hashlib
import hmac
import json
import socket
from unittest import mock

import pytest
import requests
from django.db import transaction
from django.utils import timezone

from core import netguard
from referrals import webhooks
from referrals.models import DeliveryState, WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db

PUBLIC_IP = "93.184.215.14"


def resolves_to(*addresses):
    def fake(host, port, *args, **kwargs):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    return mock.patch.object(netguard.socket, "getaddrinfo", side_effect=fake)


def posts(**kwargs):
    """Stand in for the HTTP request the guard makes once it has checked the address."""
    if "side_effect" in kwargs:
        effect = kwargs.pop("side_effect")
        kwargs["side_effect"] = lambda session, method, url, **rest: effect(url, **rest)
    return mock.patch.object(netguard.requests.Session, "request", autospec=True, **kwargs)


def run_send_webhooks():
    """What the every-minute cron job does."""
    return webhooks.deliver_due()


class FakeResponse:
    def __init__(self, status_code):
        self.status_code = status_code

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def iter_content(self, chunk_size):
        yield b"ok"


@pytest.fixture
def hook(surgery):
    with resolves_to(PUBLIC_IP):
        response = surgery.api.post("/api/v1/webhooks/", {"url": "https://hooks.example.org/referrals"}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.mark.parametrize(
    "url,addresses",
    [
        ("http://hooks.example.org/x", [PUBLIC_IP]),
        ("https://localhost/x", ["127.0.0.1"]),
        ("https://internal.example.org/x", ["10.0.0.5"]),
        ("https://metadata.example.org/x", ["169.254.169.254"]),
        ("https://v6.example.org/x", ["::1"]),
        ("https://mixed.example.org/x", [PUBLIC_IP, "192.168.1.2"]),
        ("https://user:pw@hooks.example.org/x", [PUBLIC_IP]),
    ],
)
def test_webhook_urls_must_be_https_to_a_public_address(surgery, url, addresses):
    with resolves_to(*addresses):
        response = surgery.api.post("/api/v1/webhooks/", {"url": url}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()["error"]["fields"]
    assert not WebhookSubscription.objects.exists()


def test_a_status_change_is_sent_signed_after_commit_with_ids_only(
    hook, surgery, greenfingers, make_referral, django_capture_on_commit_callbacks
):
    sent = []

    def fake_post(url, data, headers, **kwargs):
        sent.append((url, data, headers, kwargs))
        return FakeResponse(200)

    with resolves_to(PUBLIC_IP), posts(side_effect=fake_post):
        with django_capture_on_commit_callbacks(execute=True):
            referral_id = make_referral()["id"]
        assert sent == []  # never sent inside the request: queued for send_webhooks
        assert run_send_webhooks() == 1
        assert len(sent) == 1
        with django_capture_on_commit_callbacks(execute=True):
            greenfingers.api.post(f"/api/v1/referrals/{referral_id}/transition/", {"to": "accepted"}, format="json")
        run_send_webhooks()
    assert len(sent) == 2
    _url, body, headers, kwargs = sent[1]
    payload = json.loads(body)
    assert set(payload) == {"event", "referral_id", "status", "occurred_at"}
    assert (payload["event"], payload["referral_id"], payload["status"]) == (
        "referral.status_changed",
        referral_id,
        "accepted",
    )
    assert b"Joan" not in body
    timestamp, digest = (part.split("=", 1)[1] for part in headers["TimeCommons-Signature"].split(","))
    expected = hmac.new(hook["secret"].encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(digest, expected)
    assert kwargs["allow_redirects"] is False and kwargs["timeout"] == (3, 10) and kwargs["verify"] is True
    assert WebhookDelivery.objects.filter(state=DeliveryState.DELIVERED).count() == 2


def test_nothing_is_sent_when_the_change_rolls_back(hook, surgery, make_referral, django_capture_on_commit_callbacks):
    from referrals.models import Referral
    from referrals.webhooks import queue_referral_event

    with resolves_to(PUBLIC_IP), posts(return_value=FakeResponse(200)) as post:
        referral = Referral.objects.get(pk=make_referral()["id"])
        post.reset_mock()
        with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
            with transaction.atomic():
                queue_referral_event(referral=referral, event="referral.updated")
                raise RuntimeError("roll back")
    assert callbacks == []
    post.assert_not_called()
    assert WebhookDelivery.objects.count() == 1  # only the delivery for the referral's creation


def test_a_failed_delivery_is_retried_with_backoff_until_it_succeeds(
    hook, make_referral, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    answers = [FakeResponse(500), requests.ConnectionError(), FakeResponse(204)]

    def fake_post(*args, **kwargs):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    with resolves_to(PUBLIC_IP), posts(side_effect=fake_post):
        with django_capture_on_commit_callbacks(execute=True):
            make_referral()
        run_send_webhooks()
        delivery = WebhookDelivery.objects.get()
        assert (delivery.state, delivery.attempts, delivery.last_status_code) == (DeliveryState.PENDING, 1, 500)
        first_wait = delivery.next_attempt_at - timezone.now()
        assert datetime.timedelta(seconds=25) < first_wait <= datetime.timedelta(seconds=30)

        assert webhooks.deliver_due() == 0  # not yet due
        assert webhooks.deliver_due(now=delivery.next_attempt_at) == 1
        delivery.refresh_from_db()
        assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 2)
        assert (
            datetime.timedelta(seconds=55) < delivery.next_attempt_at - timezone.now() <= datetime.timedelta(seconds=60)
        )

        webhooks.deliver_due(now=delivery.next_attempt_at)
        delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 3)


def test_a_delivery_gives_up_after_the_last_attempt(hook, make_referral, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    with resolves_to(PUBLIC_IP), posts(return_value=FakeResponse(503)):
        with django_capture_on_commit_callbacks(execute=True):
            make_referral()
        run_send_webhooks()
        delivery = WebhookDelivery.objects.get()
        webhooks.deliver_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == (DeliveryState.FAILED, 2, None)


def test_an_address_that_now_resolves_privately_is_not_called(hook, make_referral, django_capture_on_commit_callbacks):
    with resolves_to("127.0.0.1"), posts() as post:
        with django_capture_on_commit_callbacks(execute=True):
            make_referral()
        run_send_webhooks()
    post.assert_not_called()
    assert WebhookDelivery.objects.get().last_error == "address refused"


def test_a_redirect_counts_as_a_failure(hook, make_referral, django_capture_on_commit_callbacks):
    with resolves_to(PUBLIC_IP), posts(return_value=FakeResponse(302)):
        with django_capture_on_commit_callbacks(execute=True):
            make_referral()
        run_send_webhooks()
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.PENDING and delivery.last_status_code == 302


def test_send_webhooks_retries_what_is_due(hook, make_referral, django_capture_on_commit_callbacks):
    import io

    from django.core.management import call_command

    with resolves_to(PUBLIC_IP), posts(return_value=FakeResponse(500)):
        with django_capture_on_commit_callbacks(execute=True):
            make_referral()
        run_send_webhooks()
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - datetime.timedelta(seconds=1))
    with resolves_to(PUBLIC_IP), posts(return_value=FakeResponse(200)):
        out = io.StringIO()
        call_command("send_webhooks", stdout=out)
    assert "1 webhook deliveries tried" in out.getvalue()
    assert WebhookDelivery.objects.get().state == DeliveryState.DELIVERED


def test_with_a_broker_each_delivery_is_queued_by_id(hook, make_referral, django_capture_on_commit_callbacks, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with (
        resolves_to(PUBLIC_IP),
        posts() as post,
        mock.patch.object(webhooks.deliver_webhook_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        make_referral()
    delivery = WebhookDelivery.objects.get()
    delay.assert_called_once_with(str(delivery.pk))
    post.assert_not_called()
    assert delivery.state == DeliveryState.PENDING


@pytest.mark.parametrize("name", ["referrals.deliver_webhook", "assets.referrals.tasks.deliver_webhook_task"])
def test_a_queued_delivery_is_sent_under_the_tasks_name_and_its_old_one(
    name, hook, make_referral, django_capture_on_commit_callbacks, settings
):
    from config.celery import app

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with (
        resolves_to(PUBLIC_IP),
        mock.patch.object(webhooks.deliver_webhook_task, "delay"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        make_referral()
    delivery = WebhookDelivery.objects.get()
    with resolves_to(PUBLIC_IP), posts(return_value=FakeResponse(200)) as post:
        app.tasks[name].apply(args=[str(delivery.pk)])
    delivery.refresh_from_db()
    assert post.call_count == 1 and delivery.state == DeliveryState.DELIVERED and delivery.attempts == 1
