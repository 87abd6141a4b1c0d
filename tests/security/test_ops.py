"""Issue 12, operations: serving as production does, health probes, a database
that is down, limits every worker shares, floods of anonymous forms, and SQLite
named either way. Every outbound address here is 127.0.0.1."""

import contextlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import InterfaceError, connection
from django.test import Client, override_settings
from django.urls import reverse

from assets.models import OrganisationClaim, ProblemReport
from tests.assets.factories import service_at
from tests.factories import UserFactory
from timebank.models import Member, Role, Timebank

ROOT = Path(__file__).resolve().parents[2]
SECRET = "an-operations-test-secret-" + "k3Vq!" * 10
# What the test run itself set: each subprocess chooses its own settings.
TEST_RUN_VARIABLES = (
    "TIMECOMMONS_TESTING",
    "DATABASE_URL",
    "SQLITE_PATH",
    "REDIS_URL",
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def production_env(**extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in TEST_RUN_VARIABLES}
    environment.update({"DEBUG": "false", "SECRET_KEY": SECRET, "DJANGO_SETTINGS_MODULE": "config.settings"})
    environment.update(extra)
    return environment


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_in_a_fresh_process(*names: str, **env: str) -> dict:
    code = (
        "import json; from config import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = run_python(code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- 1. Health probes over plain HTTP, from any Host --------------------------------------


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["timecommons.example.org"])
@pytest.mark.django_db
def test_probes_reach_health_over_plain_http_from_the_pod_address_while_pages_still_redirect():
    client = Client()
    for path in ("/health/", "/health/ready/"):
        response = client.get(path, HTTP_HOST="10.1.2.3:8000")
        assert response.status_code == 200, (path, response.status_code)
        assert response.json()["status"] == "ok"
        assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    # Everything else is as strict as before: plain HTTP is sent to HTTPS, a
    # made-up Host is refused.
    assert client.get("/directory/", HTTP_HOST="timecommons.example.org").status_code == 301
    assert Client(raise_request_exception=False).get("/directory/", HTTP_HOST="10.1.2.3").status_code == 400
    assert client.post("/health/", HTTP_HOST="10.1.2.3").status_code == 405


# --- 1. Readiness knows when static files were never collected ----------------------------

MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.mark.django_db
def test_readiness_fails_and_names_the_files_when_static_files_were_never_collected(tmp_path):
    with override_settings(STORAGES=MANIFEST_STORAGE, STATIC_ROOT=tmp_path / "static"):
        response = Client().get("/health/ready/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["database"] == "ok"
    assert "css/site.css" in body["static_files_missing"]
    assert "collectstatic" in body["static_files"]


@pytest.mark.django_db
def test_readiness_is_ok_once_static_files_are_collected_and_pages_then_render(tmp_path, settings):
    static_root = tmp_path / "static"
    with override_settings(STORAGES=MANIFEST_STORAGE, STATIC_ROOT=static_root):
        call_command("collectstatic", "--noinput", verbosity=0)
    # A new process (here: fresh storage) reads the manifest collectstatic wrote.
    with override_settings(STORAGES=MANIFEST_STORAGE, STATIC_ROOT=static_root):
        ready = Client().get("/health/ready/")
        page = Client().get("/directory/")
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "database": "ok", "static_files": "ok"}
    assert page.status_code == 200 and "/static/css/site." in page.content.decode()


# --- 1. A database that is down: 503, never a bare 500 -------------------------------------


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound for a moment, then freed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(params=["unreachable", "connection-lost"])
def database_down(request, django_db_blocker, tmp_path):
    """The database at an address where nothing answers (PostgreSQL: a closed port
    on 127.0.0.1; SQLite: a file in a folder that does not exist), or a connection
    that breaks under the app (InterfaceError)."""
    with django_db_blocker.unblock():
        connection.close()
        saved = dict(connection.settings_dict)
        if request.param == "unreachable":
            if connection.vendor == "postgresql":
                connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
            else:
                connection.settings_dict["NAME"] = str(tmp_path / "no-such-folder" / "db.sqlite3")
            patcher = contextlib.nullcontext()
        else:
            patcher = mock.patch.object(
                connection, "ensure_connection", side_effect=InterfaceError("connection already closed")
            )
        try:
            with patcher:
                yield
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)


PAGES = [
    ("get", "/", {}),
    ("get", "/directory/", {"near": "RG1"}),
    ("get", "/join/", {}),
    ("post", "/login/", {"username": "alice", "password": "correct horse battery staple"}),
]
JSON_ADDRESSES = ["/openreferral/services", "/api/v1/services/"]


def assert_plain_503(response):
    body = response.content.decode()
    assert response.status_code == 503, (response.status_code, body[:300])
    assert response["Retry-After"].isdigit()
    for leak in ("Traceback", "OperationalError", "InterfaceError", "connection", "sqlite", "psycopg"):
        assert leak not in body


@pytest.mark.parametrize(("method", "path", "data"), PAGES)
def test_a_page_with_the_database_down_is_a_plain_503_page(database_down, method, path, data):
    response = getattr(Client(raise_request_exception=False), method)(path, data)
    assert_plain_503(response)
    assert response["Content-Type"].startswith("text/html")
    assert "try again" in response.content.decode()


@pytest.mark.parametrize("path", JSON_ADDRESSES)
def test_the_feed_and_the_api_with_the_database_down_answer_503_in_the_error_shape(database_down, path):
    response = Client(raise_request_exception=False).get(path, HTTP_AUTHORIZATION="Bearer some-token")
    assert_plain_503(response)
    assert response.json()["error"]["code"] == "unavailable"


def test_asking_for_a_token_with_the_database_down_answers_503_in_the_error_shape(database_down):
    response = Client(raise_request_exception=False).post(
        "/o/token/",
        {"grant_type": "client_credentials", "client_id": "someone", "client_secret": "x" * 30},
    )
    assert_plain_503(response)
    assert response.json()["error"]["code"] == "unavailable"


def test_readiness_with_the_database_down_says_so(database_down):
    response = Client(raise_request_exception=False).get("/health/ready/")
    assert response.status_code == 503 and response.json()["database"] == "unreachable"
    assert Client().get("/health/").status_code == 200  # the process itself is alive


# --- 2. Limits every worker shares ---------------------------------------------------------


def test_without_redis_production_uses_the_database_cache_every_worker_shares():
    found = settings_in_a_fresh_process("CACHES", REDIS_URL="")
    assert found["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    with_redis = settings_in_a_fresh_process("CACHES", REDIS_URL="redis://127.0.0.1:6379/0")
    assert with_redis["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


@pytest.mark.django_db
def test_migrate_makes_the_table_the_database_cache_uses():
    table = settings_in_a_fresh_process("CACHES", REDIS_URL="")["CACHES"]["default"]["LOCATION"]
    assert table in connection.introspection.table_names()


def database_env() -> dict[str, str]:
    """Production settings pointed at this test run's (migrated) database."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        return {"DATABASE_URL": url}
    return {"SQLITE_PATH": str(db["NAME"])}


ONE_API_REQUEST = """
import django
django.setup()
from django.test import RequestFactory
from rest_framework.request import Request
from api.throttles import ClientScopedThrottle
request = Request(RequestFactory().get("/api/v1/services/", REMOTE_ADDR="192.0.2.7"))
request.user = None
class View:
    throttle_scope = "directory"
print("allowed" if ClientScopedThrottle().allow_request(request, View()) else "refused")
"""


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_without_redis_share_one_throttle_count():
    env = {**database_env(), "REDIS_URL": "", "API_RATE_DIRECTORY": "1/min", "LOG_LEVEL": "ERROR"}
    answers = []
    for _worker in range(2):
        result = run_python(ONE_API_REQUEST, **env)
        assert result.returncode == 0, result.stderr
        answers.append(result.stdout.strip())
    # One request a minute from that address: the second worker refuses it.
    assert answers == ["allowed", "refused"]


# --- 3. Floods of anonymous forms ----------------------------------------------------------


def test_form_limits_have_defaults_and_come_from_the_environment():
    defaults = settings_in_a_fresh_process("FORM_RATE_LIMITS")["FORM_RATE_LIMITS"]
    assert set(defaults) >= {"join", "report", "claim", "password-reset"}
    lifted = settings_in_a_fresh_process("FORM_RATE_LIMITS", FORM_RATE_REPORT="50/day")["FORM_RATE_LIMITS"]
    assert lifted["report"] == [50, 86400]
    refused = run_python("from config import settings", FORM_RATE_REPORT="lots")
    assert refused.returncode != 0 and "FORM_RATE_REPORT" in refused.stderr


def report(client, service, **extra):
    return client.post(
        f"/directory/services/{service.id}/report/", {"kind": "closed", "details": "Stopped in May"}, **extra
    )


@pytest.mark.django_db
def test_a_burst_of_25_problem_reports_accepts_the_first_few_and_refuses_the_rest(settings):
    walk = service_at(51.46, -0.97, name="Thames walk")
    allowed = settings.FORM_RATE_LIMITS["report"][0]
    assert 0 < allowed < 25
    client = Client()
    statuses = [report(client, walk).status_code for _ in range(25)]

    assert statuses == [302] * allowed + [429] * (25 - allowed)
    assert ProblemReport.objects.count() == allowed
    refused = report(client, walk)
    page = refused.content.decode()
    assert (
        "too many times" in page
        and "Nothing was saved" in page
        and 'name="details"' in page
        and "Stopped in May" in page
    )
    assert refused["Retry-After"].isdigit()
    # Someone else, at another address, is not held up.
    assert report(client, walk, REMOTE_ADDR="192.0.2.55").status_code == 302


@override_settings(FORM_RATE_LIMITS={"report": (2, 3600), "join": (2, 3600), "claim": (2, 3600)})
@pytest.mark.django_db
def test_a_made_up_forwarded_for_header_does_not_buy_more_attempts():
    walk = service_at(51.46, -0.97, name="Thames walk")
    client = Client()
    statuses = [report(client, walk, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(4)]
    assert statuses == [302, 302, 429, 429]
    assert ProblemReport.objects.count() == 2


@override_settings(TRUSTED_PROXY_COUNT=1, FORM_RATE_LIMITS={"report": (2, 3600), "join": (2, 3600), "claim": (2, 3600)})
@pytest.mark.django_db
def test_behind_one_trusted_proxy_people_are_told_apart_by_the_address_it_saw():
    walk = service_at(51.46, -0.97, name="Thames walk")
    client = Client()
    # Everyone arrives from the proxy's address; the proxy appends theirs.
    first = [report(client, walk, HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.9").status_code for n in range(3)]
    second = report(client, walk, HTTP_X_FORWARDED_FOR="203.0.113.10").status_code
    assert first == [302, 302, 429] and second == 302


def test_the_api_throttle_keys_an_anonymous_caller_by_the_address_not_a_made_up_header():
    from django.test import RequestFactory
    from rest_framework.request import Request

    from api.throttles import ClientScopedThrottle

    class View:
        throttle_scope = "directory"

    def key(forwarded: str) -> str:
        request = Request(RequestFactory().get("/api/v1/services/", HTTP_X_FORWARDED_FOR=forwarded))
        request.user = None
        throttle = ClientScopedThrottle()
        throttle.scope = "directory"
        return throttle.get_cache_key(request, View())

    assert key("198.51.100.1") == key("198.51.100.2")


def join_data(n: int) -> dict:
    return {
        "display_name": f"Joiner {n}",
        "email": f"joiner{n}@example.org",
        "phone": "",
        "postcode": "RG1 7QE",
        "about": "I can help with gardens.",
        "availability": ["sat-morning"],
        "communication_needs": [],
        "password": "a long enough passphrase",
        "password_again": "a long enough passphrase",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("own_page", [False, True], ids=["join", "join-a-named-timebank"])
def test_a_burst_of_applications_to_join_is_cut_off_and_nothing_more_is_saved(settings, own_page):
    timebank = Timebank.get_default()
    url = f"/t/{timebank.slug}/join/" if own_page else reverse("timebank:join")
    allowed = settings.FORM_RATE_LIMITS["join"][0]
    statuses = []
    for n in range(allowed + 3):
        client = Client()  # each applicant is logged in after joining: a new browser each time
        statuses.append(client.post(url, join_data(n)).status_code)
    assert statuses == [302] * allowed + [429] * 3, statuses
    assert Member.objects.filter(display_name__startswith="Joiner").count() == allowed


@override_settings(FORM_RATE_LIMITS={"password-reset": (3, 3600), "join": (3, 3600), "report": (3, 3600)})
@pytest.mark.django_db
def test_password_reset_requests_are_limited_so_no_one_is_sent_a_flood_of_mail():
    UserFactory(username="bob", email="bob@example.org")
    client = Client()
    statuses = [
        client.post(reverse("timebank:password-reset"), {"email": "bob@example.org"}).status_code for _ in range(6)
    ]
    assert statuses == [302] * 3 + [429] * 3
    assert len(mail.outbox) == 3


@override_settings(FORM_RATE_LIMITS={"claim": (2, 3600), "join": (2, 3600), "report": (2, 3600)})
@pytest.mark.django_db
def test_claims_on_organisations_are_limited_too():
    walk = service_at(51.46, -0.97, name="Thames walk")
    client = Client()
    statuses = []
    for n in range(4):
        client.force_login(UserFactory(username=f"claimant{n}", roles=[Role.GROUP_ORGANISER]))
        statuses.append(
            client.post(f"/directory/services/{walk.id}/claim/", {"message": "I run the Tuesday walks"}).status_code
        )
    assert statuses == [302, 302, 429, 429]
    assert OrganisationClaim.objects.count() == 2


# --- 4. SQLite named either way --------------------------------------------------------------


def test_sqlite_named_by_database_url_gets_the_same_settings_as_sqlite_path(tmp_path):
    path = tmp_path / "x.sqlite3"
    same = {"TIMECOMMONS_TEST_DB_SUFFIX": "ops"}
    by_path = settings_in_a_fresh_process("DATABASES", SQLITE_PATH=str(path), **same)["DATABASES"]["default"]
    by_url = settings_in_a_fresh_process("DATABASES", DATABASE_URL=f"sqlite:///{path}", **same)["DATABASES"]["default"]

    assert by_url["ENGINE"] == by_path["ENGINE"] == "core.sqlite"
    assert by_url["NAME"] == by_path["NAME"] == str(path)
    assert by_url["OPTIONS"] == by_path["OPTIONS"]
    assert by_url["OPTIONS"]["transaction_mode"] == "IMMEDIATE" and by_url["OPTIONS"]["timeout"] >= 20
    assert "journal_mode=WAL" in by_url["OPTIONS"]["init_command"]
    assert by_url["CONN_MAX_AGE"] == by_path["CONN_MAX_AGE"]
    assert by_url["TEST"] == by_path["TEST"]
