"""Reports may read from a replica (core/replica.py, docs/deploy.md)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from django.conf import settings

from core.replica import REPORTS, ReportsRouter, reading_reports
from timebank.models import Transfer

ROOT = Path(__file__).resolve().parents[2]


def test_without_a_replica_everything_reads_the_primary():
    router = ReportsRouter()
    with reading_reports() as alias:
        assert alias == "default"
        assert router.db_for_read(Transfer) is None
    assert router.db_for_write(Transfer) == "default"


def test_with_a_replica_only_reads_inside_reading_reports_go_to_it(monkeypatch):
    # The router only asks whether the alias is configured; no connection is opened.
    monkeypatch.setitem(settings.DATABASES, REPORTS, {"ENGINE": "django.db.backends.sqlite3", "NAME": "replica"})
    router = ReportsRouter()
    assert router.db_for_read(Transfer) is None
    with reading_reports() as alias:
        assert alias == REPORTS
        assert router.db_for_read(Transfer) == REPORTS
        # Writes never go to a replica, even inside a report.
        assert router.db_for_write(Transfer) == "default"
    assert router.db_for_read(Transfer) is None
    assert router.allow_migrate("default", "timebank") is True
    assert router.allow_migrate(REPORTS, "timebank") is False


def test_reports_database_url_adds_a_reports_database_that_reports_read(tmp_path):
    """Started with REPORTS_DATABASE_URL (here the same SQLite file as the primary,
    standing in for a replica), a read inside reading_reports() is sent on the
    reports connection and a read outside it on the primary's."""
    db = tmp_path / "primary.sqlite3"
    script = textwrap.dedent(
        """
        import django
        django.setup()
        from django.core.management import call_command
        from django.db import connections
        from django.test.utils import CaptureQueriesContext
        from core.replica import reading_reports
        from timebank.models import Timebank
        call_command("migrate", verbosity=0)
        with CaptureQueriesContext(connections["reports"]) as on_replica:
            with CaptureQueriesContext(connections["default"]) as on_primary:
                with reading_reports():
                    inside = Timebank.objects.count()
                outside = Timebank.objects.count()
        print(inside, outside, len(on_replica), len(on_primary))
        """
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{db}",
        "REPORTS_DATABASE_URL": f"sqlite:///{db}",
        "TIMECOMMONS_TESTING": "1",
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    inside, outside, replica_queries, primary_queries = map(int, result.stdout.split()[-4:])
    assert inside == outside >= 1
    assert replica_queries == 1
    assert primary_queries == 1
