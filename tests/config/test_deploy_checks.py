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


def test_production_refuses_to_start_without_a_secret_key():
    environment_without_secret = {"DEBUG": "false", "ALLOWED_HOSTS": "timecommons.example.org"}
    result = run_manage("check", **environment_without_secret)
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_manage_py_without_debug_runs_production_settings_and_says_what_to_set():
    result = run_manage("check")

    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr
    assert "DEBUG=true" in result.stderr
    assert "Traceback" not in result.stderr


def test_manage_py_with_debug_true_runs_development_settings():
    result = run_manage("check", DEBUG="true")

    assert result.returncode == 0, result.stdout + result.stderr
