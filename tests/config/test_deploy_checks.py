"""docs/quality.md A8: Django's deployment checks pass with production settings,
run as an operator would run them (a fresh process, DEBUG off, a real host
name); and manage.py never falls back to development settings by itself."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What the test run itself set: each test chooses the settings it runs with.
TEST_RUN_VARIABLES = (
    "TIMECOMMONS_TESTING",
    "DATABASE_URL",
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def run_manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in TEST_RUN_VARIABLES}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_passes_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="a-production-secret-" + "x7Qp!" * 10,
        ALLOWED_HOSTS="timecommons.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr


PRODUCTION_WITHOUT_SECRET = {"DEBUG": "false", "ALLOWED_HOSTS": "timecommons.example.org"}


def test_manage_py_without_debug_runs_production_settings_and_its_checks_pass():
    result = run_manage("check")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_no_secret_key_is_set():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_WITHOUT_SECRET)

    assert result.returncode != 0
    assert "core.W001" in result.stderr and "SECRET_KEY is not set" in result.stderr


def test_runserver_refuses_to_serve_without_a_secret_key_and_says_what_to_set():
    result = run_manage("runserver", "127.0.0.1:8765", "--noreload", **PRODUCTION_WITHOUT_SECRET)

    assert result.returncode != 0
    assert "SECRET_KEY is required to serve the site" in result.stderr
    assert "DEBUG=true" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_web_process_refuses_to_start_without_a_secret_key():
    environment = {k: v for k, v in os.environ.items() if k not in TEST_RUN_VARIABLES}
    environment.update(PRODUCTION_WITHOUT_SECRET)
    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "SECRET_KEY is required to serve the site" in result.stderr


def test_a_short_secret_key_is_refused_by_every_command():
    result = run_manage("check", SECRET_KEY="too-short", **PRODUCTION_WITHOUT_SECRET)

    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_manage_py_with_debug_true_runs_development_settings():
    result = run_manage("check", DEBUG="true")

    assert result.returncode == 0, result.stdout + result.stderr
