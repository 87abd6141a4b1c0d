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
