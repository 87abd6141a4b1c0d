"""The test suite's fence (tests/conftest.py): no test reaches another machine."""

import socket

import pytest


def test_a_connection_off_this_machine_is_refused_before_anything_is_sent():
    # 192.0.2.1 is a documentation address (RFC 5737): the fence refuses it
    # before the socket is asked to connect, so not even a packet leaves.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(OSError, match="stub this call"):
        sock.connect(("192.0.2.1", 443))


def test_loopback_is_still_allowed():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass


def test_looking_up_a_name_is_refused_before_any_query_is_sent():
    # A DNS query is a packet to another machine too: the lookup fails at once.
    with pytest.raises(socket.gaierror, match="stub this call"):
        socket.getaddrinfo("services.reading.example", 443)


def test_a_feed_on_another_machine_is_never_reached_by_the_importer():
    from assets.openreferral.fetch import read_source
    from assets.openreferral.report import SourceError

    # Through the real guarded session: the lookup is refused, so the import stops
    # with a plain message and nothing is sent anywhere.
    with pytest.raises(SourceError):
        read_source("https://services.reading.example/openreferral")


def test_localhost_and_address_literals_are_still_looked_up():
    assert socket.getaddrinfo("localhost", 80)
    assert socket.getaddrinfo("127.0.0.1", 80)
