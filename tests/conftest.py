"""Shared fixtures: a fixed cast of test people (healthchecks habit)."""

import ipaddress
import socket

import pytest
from django.contrib.auth.models import Group

from tests.factories import MemberFactory, UserFactory
from timebank.models import Role, Timebank


@pytest.fixture(scope="session", autouse=True)
def _translation_catalogues_compiled():
    """The Welsh pages read locale/cy/LC_MESSAGES/django.mo: built from the
    .po here as `make test` does, so a direct pytest run sees the same."""
    from core.translations import compile_catalogues

    compile_catalogues()


@pytest.fixture
def timebank(db) -> Timebank:
    return Timebank.get_default()


@pytest.fixture
def alice(db):
    return MemberFactory(display_name="Alice", user__username="alice")


@pytest.fixture
def bob(db):
    return MemberFactory(display_name="Bob", user__username="bob")


@pytest.fixture
def carol(db):
    return MemberFactory(display_name="Carol", user__username="carol")


@pytest.fixture
def coordinator(db):
    return UserFactory(username="cora", first_name="Cora", roles=[Role.COORDINATOR])


@pytest.fixture
def roles_exist(db):
    return {g.name for g in Group.objects.all()}


@pytest.fixture(autouse=True)
def _sqlite_ledger_triggers_allow_flush(request):
    """SQLite has no TRUNCATE: after a transactional test Django empties every
    table with DELETE, which the ledger's append-only triggers refuse. For those
    tests on SQLite, make sure the triggers are in place while the test runs and
    lift them just before the flush (this fixture is torn down first)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or bool(
        marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    )
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    from importlib import import_module

    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    triggers = import_module("timebank.migrations.0003_ledger_triggers")
    with connection.cursor() as cursor:
        for statement in [*triggers.SQLITE_REVERSE, *triggers.SQLITE_FORWARD]:
            cursor.execute(statement)
    yield
    with connection.cursor() as cursor:
        for statement in triggers.SQLITE_REVERSE:
            cursor.execute(statement)


# What migrations seed (roles, the default timebank and its pot, categories,
# the directory taxonomy, coordinator permissions).
MIGRATION_SEEDS = [
    ("timebank.migrations.0002_default_timebank_roles_categories", "seed"),
    ("timebank.migrations.0004_coordinator_admin_permissions", "grant"),
    ("assets.migrations.0002_seed_social_prescribing_taxonomy", "seed"),
    ("coproduction.assessment.migrations.0002_seed_ladder_values_statements", "seed"),
    ("timebank.migrations.0022_member_language", "welsh_names"),
    ("assets.migrations.0007_taxonomy_term_name_cy", "welsh_names"),
]


@pytest.fixture(autouse=True)
def _transactional_tests_start_with_the_migration_seeds(request):
    """A transactional test's database is emptied after it, seed rows included;
    every seed is idempotent, so put them back before each such test."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    )
    if transactional:
        from importlib import import_module

        from django.apps import apps

        request.getfixturevalue("transactional_db")
        for module, function in MIGRATION_SEEDS:
            getattr(import_module(module), function)(apps, None)
    yield


@pytest.fixture(autouse=True)
def _every_test_starts_with_an_empty_cache():
    """Throttles and form limits (core.ratelimit) count in the cache, which in
    tests is one process's memory: without this, one test's requests from
    127.0.0.1 would use up the next one's allowance."""
    from django.core.cache import cache

    cache.clear()
    yield


# Tests talk only to this machine. Every TCP connection any test (or the code it
# runs) opens goes through this fence: a connection to an address that is not
# loopback fails at once, so a stub forgotten in a new test shows up as a clear
# error instead of a request to someone else's server.
# Names are fenced too: a DNS query is itself a packet to another machine, so a
# lookup of any name but localhost fails at once (tests stub the resolver instead).
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def _refuse_off_machine(sock: socket.socket, address) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        host = str(address[0]).split("%", 1)[0]
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise OSError(f"Tests may connect only to 127.0.0.1, not {host}: stub this call.")


def _fenced_getaddrinfo(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if name is not None and str(name).lower().rstrip(".") not in _LOCAL_NAMES:
        try:
            ipaddress.ip_address(str(name).split("%", 1)[0])
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, f"Tests may not look up {name}: stub this call.") from None
    return _real_getaddrinfo(host, *args, **kwargs)


def _fenced_connect(sock, address):
    _refuse_off_machine(sock, address)
    return _real_connect(sock, address)


def _fenced_connect_ex(sock, address):
    _refuse_off_machine(sock, address)
    return _real_connect_ex(sock, address)


@pytest.fixture(autouse=True, scope="session")
def only_this_machine():
    socket.socket.connect = _fenced_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _fenced_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _fenced_getaddrinfo  # type: ignore[assignment]
    yield
    socket.getaddrinfo = _real_getaddrinfo  # type: ignore[assignment]
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
