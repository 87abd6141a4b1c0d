"""Issue 12, outbound requests: webhooks are sent from the queue only, to the
address that was checked, on allowed ports, never to private addresses in any
disguise; the Open Referral importer follows redirects only to public addresses.

No test reaches beyond 127.0.0.1: DNS is stubbed, and a fence on socket.connect
refuses (and records) every other address before a packet leaves.
"""

import io
import ipaddress
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import pytest
import requests
from django.core.management import call_command
from django.db import transaction

from assets.models import Service
from assets.openreferral import fetch
from assets.openreferral.report import SourceError
from assets.services import openreferral_import
from referrals.models import DeliveryState, WebhookDelivery, WebhookSubscription
from referrals.webhooks import deliver
from tests.api import conftest as api_fixtures
from tests.referrals.test_webhooks import FakeResponse

fresh_cache = api_fixtures.fresh_cache
garden_service = api_fixtures.garden_service
greenfingers = api_fixtures.greenfingers
referral_body = api_fixtures.referral_body
surgery = api_fixtures.surgery
make_referral = api_fixtures.make_referral

PUBLIC_IP = "93.184.215.14"
EMPTY_PAGE = {"total_items": 0, "page": 1, "size": 50, "last_page": True, "first_page": True, "contents": []}


class Dns:
    """socket.getaddrinfo stand-in: each name answers from its list of answers in
    turn (the last repeats), IP literals answer themselves; calls are counted."""

    def __init__(self):
        self.answers: dict[str, list[str]] = {}
        self.lookups: list[str] = []

    def __call__(self, host, port, *args, **kwargs):
        try:
            address = str(ipaddress.ip_address(host))
        except ValueError:
            self.lookups.append(host)
            answers = self.answers.get(host)
            if not answers:
                raise socket.gaierror(socket.EAI_NONAME, "not known") from None
            address = answers.pop(0) if len(answers) > 1 else answers[0]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]


@pytest.fixture
def dns(monkeypatch):
    stub = Dns()
    monkeypatch.setattr(socket, "getaddrinfo", stub)
    return stub


@pytest.fixture
def fence(monkeypatch):
    """Every connect() is recorded; only 127.0.0.1 is really connected to."""
    attempts: list[tuple[str, int]] = []
    real_connect = socket.socket.connect

    def connect(sock, address):
        attempts.append((address[0], address[1]))
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError("refused by the test's network fence")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


@pytest.fixture
def local_server():
    """An HTTP server on 127.0.0.1: `routes` maps a path to (status, headers, body)."""
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    seen: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.path, self.headers.get("Host", "")))
            status, headers, body = routes.get(self.path.split("?", 1)[0], (404, {}, b"{}"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.routes, server.seen = routes, seen
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def loopback_feeds(monkeypatch, local_server):
    """Let the importer reach the test's own server (and nothing else private)."""
    monkeypatch.setattr("core.netguard.ALLOW_LOOPBACK_FOR_TESTS", True)
    monkeypatch.setattr(fetch, "ALLOWED_PORTS", (80, 443, local_server.server_port), raising=False)
    return local_server


def http_calls(**kwargs):
    # Every request, however made, goes through a Session.
    return mock.patch.object(requests.Session, "request", autospec=True, **kwargs)


@pytest.fixture
def hook(surgery, dns):
    dns.answers["hooks.example.org"] = [PUBLIC_IP]
    response = surgery.api.post("/api/v1/webhooks/", {"url": "https://hooks.example.org/referrals"}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


# --- Webhooks: from the queue only ------------------------------------------


@pytest.mark.django_db
def test_a_webhook_is_not_sent_inside_the_request_that_changed_the_referral(
    hook, make_referral, django_capture_on_commit_callbacks
):
    with http_calls(return_value=FakeResponse(200)) as post:
        with django_capture_on_commit_callbacks(execute=True):
            make_referral()
        post.assert_not_called()
        delivery = WebhookDelivery.objects.get()
        assert delivery.state == DeliveryState.PENDING and delivery.attempts == 0

        out = io.StringIO()
        call_command("send_webhooks", stdout=out)  # what cron runs every minute
    assert post.call_count == 1
    assert "1 webhook deliveries tried" in out.getvalue()
    assert WebhookDelivery.objects.get().state == DeliveryState.DELIVERED


# --- Webhooks: where they may go --------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
        "64:ff9b:1::a00:5",  # local-use NAT64
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a00:5::1",  # 6to4 of 10.0.0.5
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:a9fe:a9fe",  # IPv4-mapped metadata address
        "::7f00:1",  # IPv4-compatible loopback
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
    ],
)
def test_private_addresses_in_any_disguise_are_refused_as_webhook_targets(surgery, dns, address):
    dns.answers["hooks.example.org"] = [address]
    response = surgery.api.post("/api/v1/webhooks/", {"url": "https://hooks.example.org/x"}, format="json")
    assert response.status_code == 400
    assert "private" in response.json()["error"]["fields"]["url"][0]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.django_db
def test_nat64_and_6to4_are_refused_even_for_a_public_address_inside(surgery, dns):
    # The gateway that translates them may sit inside the network: refused outright.
    for answer in ("64:ff9b::5db8:d70e", "2002:5db8:d70e::1"):  # 93.184.215.14 through NAT64, 6to4
        dns.answers["hooks.example.org"] = [answer]
        response = surgery.api.post("/api/v1/webhooks/", {"url": "https://hooks.example.org/x"}, format="json")
        assert response.status_code == 400, answer
    assert not WebhookSubscription.objects.exists()
    dns.answers["hooks.example.org"] = ["::ffff:93.184.215.14"]  # IPv4-mapped: the address itself
    response = surgery.api.post("/api/v1/webhooks/", {"url": "https://hooks.example.org/x"}, format="json")
    assert response.status_code == 201


@pytest.mark.django_db
def test_a_webhook_port_other_than_443_is_refused_at_registration_and_at_delivery(
    surgery, dns, settings, make_referral, django_capture_on_commit_callbacks
):
    dns.answers["hooks.example.org"] = [PUBLIC_IP]
    response = surgery.api.post("/api/v1/webhooks/", {"url": "https://hooks.example.org:8443/x"}, format="json")
    assert response.status_code == 400
    assert "port 443" in response.json()["error"]["fields"]["url"][0]
    assert not WebhookSubscription.objects.exists()

    # Registered while the port was allowed, then the setting changed: not sent.
    settings.WEBHOOK_ALLOWED_PORTS = [443, 8443]
    assert surgery.api.post("/api/v1/webhooks/", {"url": "https://hooks.example.org:8443/x"}).status_code == 201
    settings.WEBHOOK_ALLOWED_PORTS = [443]
    with http_calls() as post:
        with django_capture_on_commit_callbacks(execute=True):
            make_referral()
        delivery = deliver(WebhookDelivery.objects.get().pk)
    post.assert_not_called()
    assert delivery.last_error == "address refused" and delivery.state == DeliveryState.PENDING


@pytest.mark.django_db
def test_a_webhook_connects_to_the_address_that_was_checked(hook, dns, fence, make_referral):
    # DNS rebinding: the name answers public for the check, then loopback.
    dns.answers["hooks.example.org"] = [PUBLIC_IP, "127.0.0.1"]
    dns.lookups.clear()
    with transaction.atomic():
        make_referral()
    delivery = deliver(WebhookDelivery.objects.get().pk)

    assert dns.lookups == ["hooks.example.org"]  # resolved once
    assert fence == [(PUBLIC_IP, 443)]  # the checked address (refused by the fence: no packet left)
    assert delivery.last_error == "ConnectionError"


def test_tls_to_the_pinned_address_still_checks_the_host_name():
    from core import netguard

    adapter = netguard.PinnedAddressAdapter(address=PUBLIC_IP, hostname="hooks.example.org")
    request = requests.Request("POST", "https://hooks.example.org/referrals").prepare()
    host_params, pool_kwargs = adapter.build_connection_pool_key_attributes(request, True)
    assert (host_params["scheme"], host_params["host"]) == ("https", PUBLIC_IP)
    # SNI and the certificate check use the name, not the address connected to.
    assert pool_kwargs["server_hostname"] == pool_kwargs["assert_hostname"] == "hooks.example.org"


# --- The Open Referral importer's fetch -------------------------------------


@pytest.mark.django_db
def test_the_importer_fetches_a_public_feed_from_the_address_it_checked(loopback_feeds, dns, fence):
    server, port = loopback_feeds, loopback_feeds.server_port
    server.routes["/openreferral/services"] = (200, {}, json.dumps(EMPTY_PAGE).encode())
    dns.answers["feed.example"] = ["127.0.0.1", "10.0.0.9"]

    summary, total = openreferral_import(source=f"http://feed.example:{port}/openreferral/")

    assert total == 0 and summary.created == 0
    assert dns.lookups == ["feed.example"]
    assert fence == [("127.0.0.1", port)]
    assert server.seen[0][1] == f"feed.example:{port}"  # the name, not the address, as Host


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target", ["http://10.0.0.5/openreferral/services", "http://[::ffff:a9fe:a9fe]/latest/meta-data/", "/private"]
)
def test_the_importer_refuses_a_redirect_to_a_private_address(loopback_feeds, dns, fence, target):
    server, port = loopback_feeds, loopback_feeds.server_port
    server.routes["/openreferral/services"] = (302, {"Location": target}, b"")
    dns.answers["feed.example"] = ["127.0.0.1"]
    dns.answers["inside.example"] = ["10.0.0.5"]
    if target == "/private":
        server.routes["/private"] = (302, {"Location": "http://inside.example/x"}, b"")

    with pytest.raises(SourceError) as refused:
        openreferral_import(source=f"http://feed.example:{port}/openreferral")

    assert "private network address" in refused.value.message
    assert {address for address, _ in fence} == {"127.0.0.1"}  # nothing else was even tried
    assert not Service.objects.exists()


@pytest.mark.django_db
def test_the_importer_follows_a_redirect_to_a_public_address(loopback_feeds, dns, fence):
    server, port = loopback_feeds, loopback_feeds.server_port
    server.routes["/old/services"] = (301, {"Location": f"http://new.example:{port}/openreferral/services?page=1"}, b"")
    server.routes["/openreferral/services"] = (200, {}, json.dumps(EMPTY_PAGE).encode())
    dns.answers["feed.example"] = ["127.0.0.1"]
    dns.answers["new.example"] = ["127.0.0.1"]

    _, total = openreferral_import(source=f"http://feed.example:{port}/old")

    assert total == 0
    assert [host for _, host in server.seen] == [f"feed.example:{port}", f"new.example:{port}"]


@pytest.mark.django_db
def test_the_importer_refuses_a_feed_whose_name_is_private(dns, fence):
    dns.answers["intranet.example"] = ["192.168.1.10"]
    with pytest.raises(SourceError) as refused:
        openreferral_import(source="https://intranet.example/openreferral")
    assert "private network address" in refused.value.message
    assert fence == []


@pytest.mark.django_db
def test_a_feed_nested_too_deeply_is_a_clear_error(loopback_feeds, dns, fence):
    server, port = loopback_feeds, loopback_feeds.server_port
    server.routes["/openreferral/services"] = (200, {}, b"[" * 100_000 + b"]" * 100_000)
    dns.answers["feed.example"] = ["127.0.0.1"]
    with pytest.raises(SourceError) as refused:
        openreferral_import(source=f"http://feed.example:{port}/openreferral")
    assert "nested more than 64 levels" in refused.value.message
