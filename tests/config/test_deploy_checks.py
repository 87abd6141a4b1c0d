"""QUALITY A8: Django's deployment checks pass with production settings, run
as an operator would run them (a fresh process, DEBUG off, a real host name)."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("TIMECOMMONS_TESTING", "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")}
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
