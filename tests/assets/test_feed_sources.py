"""Feed sources: coordinators add them on a page and ask for a run; the scheduled
job and the import command run them through one service, which leaves each run's
counts and report on the source (issue 13)."""

import datetime
import io
import json
import logging
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django.utils.html import escape
from hypothesis import given, settings as hsettings, strategies as st

from assets.models import FeedRunStatus, FeedSchedule, FeedSource, Service
from assets.services import due_feeds, feed_source_save, feed_url_problem, request_run, run_feed
from assets.tasks import run_feed_task
from core.errors import ConflictError
from tests.factories import UserFactory
from tests.security.test_pages_security import inline_code_in
from timebank.models import Role

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).parent / "samples"
V3 = str(SAMPLES / "oruk3_services.json")
FEEDS_PAGE = "/coordinator/directory/feeds/"
NOW = datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def file_feed(db):
    # Files are for the command line: the page refuses them, so the test makes it directly.
    return FeedSource.objects.create(name="Reading sample file", url=V3, schedule=FeedSchedule.MANUAL)


@pytest.fixture
def cora(client, coordinator):
    client.force_login(coordinator)
    return coordinator


class StandInFeed:
    """Stands in for the feed fetcher's session: answers from `pages` by URL, 404 otherwise."""

    def __init__(self, pages, *, status=200):
        self.pages, self.status, self.urls = pages, status, []

    def get(self, url, **kwargs):
        self.urls.append(url)
        found = url in self.pages and self.status == 200
        response = mock.Mock(status_code=self.status if url in self.pages else 404)
        response.raise_for_status.side_effect = None if found else __import__("requests").HTTPError(str(url))
        response.raw.read.return_value = json.dumps(self.pages.get(url, {})).encode()
        return response


def one_service_feed():
    full = json.loads(Path(V3).read_text())["contents"][0]
    return StandInFeed(
        {
            "https://feed.example/openreferral/services?page=1&per_page=50": {
                "total_items": 1,
                "page_number": 1,
                "last_page": True,
                "contents": [{"id": full["id"], "name": full["name"]}],
            },
            f"https://feed.example/openreferral/services/{full['id']}": full,
        }
    )


# --- The page: adding and changing sources ---------------------------------------------------


def test_a_coordinator_adds_a_feed_and_sees_it_listed(client, cora):
    response = client.post(
        FEEDS_PAGE,
        {
            "name": "Reading Services Guide",
            "url": "https://services.reading.example/openreferral/",
            "schedule": "daily",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    feed = FeedSource.objects.get()
    assert (feed.name, feed.url, feed.schedule, feed.is_active) == (
        "Reading Services Guide",
        "https://services.reading.example/openreferral",
        FeedSchedule.DAILY,
        True,
    )
    assert feed.status == FeedRunStatus.NEVER
    html = client.get(FEEDS_PAGE).content.decode()
    assert "Reading Services Guide" in html and "https://services.reading.example/openreferral" in html
    assert "Not run yet" in html and "<caption>" in html and 'scope="col"' in html


@pytest.mark.parametrize(
    "url, message",
    [
        (V3, "starting with https://"),
        ("file:///etc/passwd", "starting with https://"),
        ("/etc/passwd", "starting with https://"),
        ("https://", "not a complete web address"),
        ("https://exa mple.org/feed", "not a complete web address"),
        ("https://example.org:8080/feed", "usual web ports"),
        ("https://user:secret@example.org/feed", "Remove the user name and password"),
    ],
)
def test_the_page_refuses_files_and_bad_addresses_with_the_message_by_the_field(client, cora, url, message):
    response = client.post(FEEDS_PAGE, {"name": "Sneaky", "url": url, "schedule": "daily", "is_active": "on"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html  # the error summary
    field_error = html.split('id="id_url_error"', 1)[1].split("</div>", 1)[0]
    assert message in field_error
    assert not FeedSource.objects.exists()


def test_a_second_feed_with_the_same_name_is_refused_by_the_name_field(client, cora, file_feed):
    response = client.post(
        FEEDS_PAGE, {"name": "Reading sample file", "url": "https://feed.example/oruk", "schedule": "weekly"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is already a feed called Reading sample file" in html.split('id="id_name_error"', 1)[1]
    assert FeedSource.objects.count() == 1


def test_a_coordinator_changes_a_feed_on_its_page(client, cora):
    feed = FeedSource.objects.create(name="Wokingham", url="https://old.example/oruk")
    response = client.post(
        f"{FEEDS_PAGE}{feed.id}/",
        {"name": "Wokingham Borough", "url": "https://new.example/oruk", "schedule": "weekly"},
    )
    assert response.status_code == 302
    feed.refresh_from_db()
    assert (feed.name, feed.url, feed.schedule, feed.is_active) == (
        "Wokingham Borough",
        "https://new.example/oruk",
        FeedSchedule.WEEKLY,
        False,
    )


def test_people_who_are_not_coordinators_cannot_see_or_run_feeds(client, alice, file_feed):
    assert client.get(FEEDS_PAGE).status_code == 302  # log in first
    assert client.post(f"{FEEDS_PAGE}{file_feed.id}/run/").status_code == 302
    client.force_login(alice.user)
    assert client.get(FEEDS_PAGE).status_code == 404
    assert client.get(f"{FEEDS_PAGE}{file_feed.id}/").status_code == 404
    assert client.post(f"{FEEDS_PAGE}{file_feed.id}/run/").status_code == 404
    assert client.post(FEEDS_PAGE, {"name": "X", "url": "https://x.example/", "schedule": "daily"}).status_code == 404
    file_feed.refresh_from_db()
    assert file_feed.status == FeedRunStatus.NEVER and file_feed.run_requested_at is None
    assert FeedSource.objects.count() == 1


# --- Run now, the scheduled job, and the report on the page ----------------------------------


def test_run_now_only_queues_the_feed_and_says_when_it_will_run(client, cora, file_feed):
    response = client.post(f"{FEEDS_PAGE}{file_feed.id}/run/", follow=True)
    file_feed.refresh_from_db()
    assert file_feed.status == FeedRunStatus.QUEUED and file_feed.run_requested_at is not None
    assert not Service.objects.exists()  # nothing imported inside the web request
    html = response.content.decode()
    assert "Reading sample file is queued" in html and "scheduled import job will pick it up" in html
    assert "Waiting to run" in html


def test_run_now_with_a_broker_queues_a_task_with_only_the_id_after_commit(
    client, cora, file_feed, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with mock.patch.object(run_feed_task, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"{FEEDS_PAGE}{file_feed.id}/run/", follow=True)
    delay.assert_called_once_with(str(file_feed.id))
    assert "will start in a minute or two" in response.content.decode()


def test_the_task_runs_the_feed(file_feed):
    run_feed_task(str(file_feed.id))
    file_feed.refresh_from_db()
    assert file_feed.status == FeedRunStatus.SUCCEEDED and file_feed.created_count == 2


def test_a_switched_off_feed_cannot_be_queued(client, cora, file_feed):
    FeedSource.objects.filter(pk=file_feed.pk).update(is_active=False)
    response = client.post(f"{FEEDS_PAGE}{file_feed.id}/run/", follow=True)
    assert "switched off" in response.content.decode()
    file_feed.refresh_from_db()
    assert file_feed.run_requested_at is None and file_feed.status == FeedRunStatus.NEVER


def test_import_feeds_runs_the_queued_feed_and_the_page_shows_its_counts_and_reasons(client, cora, file_feed):
    client.post(f"{FEEDS_PAGE}{file_feed.id}/run/")
    out = io.StringIO()
    call_command("import_feeds", stdout=out, stderr=io.StringIO())
    assert "Reading sample file: 2 created, 0 updated, 1 skipped" in out.getvalue()

    file_feed.refresh_from_db()
    assert file_feed.status == FeedRunStatus.SUCCEEDED and file_feed.run_requested_at is None
    assert (file_feed.created_count, file_feed.updated_count, file_feed.skipped_count) == (2, 0, 1)
    assert file_feed.version == "3.0" and file_feed.last_error == ""
    assert file_feed.last_started_at <= file_feed.last_finished_at == file_feed.last_succeeded_at
    [(record_id, reason)] = file_feed.last_report["errors"]
    assert record_id == "3d0f5a6b-9c8e-4f70-b2c3-d4e5f6a7b8c9"
    assert {s.source_id for s in Service.objects.all()} == {file_feed.id}
    assert all(file_feed.last_started_at <= s.source_checked_at for s in Service.objects.all())

    html = client.get(FEEDS_PAGE).content.decode()
    assert "Finished" in html and "2 new, 0 changed, 0 unchanged, 1 skipped" in html
    assert "Skipped, with the reasons" in html and record_id in html and escape(reason) in html

    # Run again: due no more (manual, not queued), so nothing happens.
    out = io.StringIO()
    call_command("import_feeds", stdout=out)
    assert out.getvalue() == ""


def test_a_long_report_shows_the_first_reasons_and_how_many_more(client, cora, file_feed):
    errors = [[f"record-{n}", "it has no name"] for n in range(15)]
    FeedSource.objects.filter(pk=file_feed.pk).update(
        status=FeedRunStatus.SUCCEEDED,
        last_finished_at=NOW,
        skipped_count=2015,
        last_report={"line": "0 created, 0 updated, 2015 skipped", "errors": errors, "errors_left_off": 2000},
    )
    html = client.get(FEEDS_PAGE).content.decode()
    assert "record-9" in html and "record-10" not in html and "And 2005 more skipped." in html
    html = client.get(f"{FEEDS_PAGE}{file_feed.id}/").content.decode()
    assert "record-14" in html and "And 2000 more skipped." in html


def test_a_feed_that_cannot_be_read_fails_with_a_plain_message(client, cora):
    feed = FeedSource.objects.create(name="Gone away", url="https://feed.example/openreferral")
    summary = run_feed(feed, session=StandInFeed({}, status=500))
    feed.refresh_from_db()
    assert feed.status == FeedRunStatus.FAILED and feed.last_succeeded_at is None
    assert feed.last_error.startswith("Could not fetch https://feed.example/openreferral/services")
    assert "Traceback" not in feed.last_error and summary.created == 0
    html = client.get(FEEDS_PAGE).content.decode()
    assert "Failed" in html and "The last run failed: Could not fetch" in html


def test_import_feeds_reports_a_failed_feed_and_carries_on_with_the_next(file_feed):
    FeedSource.objects.create(name="A missing file", url="/no/such/file.json", run_requested_at=NOW)
    request_run(file_feed, UserFactory(roles=[Role.COORDINATOR]))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 feed failed: A missing file"):
        call_command("import_feeds", stdout=out, stderr=err)
    assert "A missing file failed: There is no file called /no/such/file.json." in err.getvalue()
    assert "Reading sample file: 2 created" in out.getvalue()
    assert FeedSource.objects.get(name="A missing file").status == FeedRunStatus.FAILED


def test_an_unexpected_error_marks_the_feed_failed_without_the_records_text(file_feed, caplog):
    with (
        mock.patch("assets.services.feeds.openreferral_import", side_effect=RuntimeError("Jane Doe, 12 Secret Road")),
        caplog.at_level(logging.ERROR),
    ):
        run_feed(file_feed)
    file_feed.refresh_from_db()
    assert file_feed.status == FeedRunStatus.FAILED
    assert "stopped unexpectedly" in file_feed.last_error
    assert "Jane Doe" not in file_feed.last_error and "Jane Doe" not in caplog.text
    assert "RuntimeError" in caplog.text


def test_a_feed_url_is_read_through_the_session_and_its_services_point_back_at_it():
    feed = FeedSource.objects.create(name="Reading Services Guide", url="https://feed.example/openreferral")
    session = one_service_feed()
    summary = run_feed(feed, session=session)
    assert summary.created == 1
    service = Service.objects.get()
    assert service.source == feed and service.source_checked_at is not None
    feed.refresh_from_db()
    assert feed.last_report["total"] == 1 and feed.status == FeedRunStatus.SUCCEEDED


# --- One run at a time -----------------------------------------------------------------------


def test_a_second_run_of_a_running_feed_is_refused(file_feed):
    refused = []

    def try_again(summary):
        if not refused:
            # While the first run is under way, a second claim (another worker) must fail.
            with pytest.raises(ConflictError, match="already running"):
                run_feed(FeedSource.objects.get(pk=file_feed.pk))
            refused.append(FeedSource.objects.get(pk=file_feed.pk).status)

    summary = run_feed(file_feed, on_record=try_again)
    assert refused == [FeedRunStatus.RUNNING]
    assert summary.created == 2
    file_feed.refresh_from_db()
    assert file_feed.status == FeedRunStatus.SUCCEEDED


def test_a_claim_is_refused_while_running_but_a_run_stuck_for_hours_may_run_again(file_feed):
    FeedSource.objects.filter(pk=file_feed.pk).update(
        status=FeedRunStatus.RUNNING, last_started_at=timezone.now() - datetime.timedelta(minutes=30)
    )
    with pytest.raises(ConflictError):
        run_feed(file_feed)
    assert not Service.objects.exists()
    FeedSource.objects.filter(pk=file_feed.pk).update(last_started_at=timezone.now() - datetime.timedelta(hours=5))
    run_feed(file_feed)
    file_feed.refresh_from_db()
    assert file_feed.status == FeedRunStatus.SUCCEEDED and Service.objects.count() == 2


# --- What is due -----------------------------------------------------------------------------


def _feed(name, *, schedule=FeedSchedule.DAILY, started_ago=None, **fields):
    started = NOW - started_ago if started_ago is not None else None
    return FeedSource.objects.create(
        name=name, url=f"https://{name}.example/oruk", schedule=schedule, last_started_at=started, **fields
    )


def test_due_feeds_follows_each_schedule_and_the_queue():
    hour, day = datetime.timedelta(hours=1), datetime.timedelta(days=1)
    _feed("never-run-daily")
    _feed("daily-yesterday", started_ago=25 * hour)
    _feed("daily-this-morning", started_ago=2 * hour)
    _feed("weekly-8-days", schedule=FeedSchedule.WEEKLY, started_ago=8 * day)
    _feed("weekly-6-days", schedule=FeedSchedule.WEEKLY, started_ago=6 * day)
    _feed("manual-old", schedule=FeedSchedule.MANUAL, started_ago=30 * day)
    _feed("manual-queued", schedule=FeedSchedule.MANUAL, run_requested_at=NOW - hour, status=FeedRunStatus.QUEUED)
    _feed("queued-but-off", is_active=False, run_requested_at=NOW - hour, status=FeedRunStatus.QUEUED)
    _feed("daily-off", is_active=False, started_ago=3 * day)
    _feed("running-now", run_requested_at=NOW - 2 * hour, status=FeedRunStatus.RUNNING)
    _feed("running-but-stuck", schedule=FeedSchedule.MANUAL, run_requested_at=NOW - 6 * hour)
    FeedSource.objects.filter(name="running-now").update(last_started_at=NOW - hour)
    FeedSource.objects.filter(name="running-but-stuck").update(
        status=FeedRunStatus.RUNNING, last_started_at=NOW - 5 * hour
    )
    assert [feed.name for feed in due_feeds(NOW)] == [
        "running-but-stuck",  # asked for first
        "manual-queued",
        "never-run-daily",
        "weekly-8-days",
        "daily-yesterday",
    ]


# --- The import command with a feed's name ---------------------------------------------------


def test_the_import_command_runs_a_feed_by_its_name_and_leaves_the_report_on_it(file_feed):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_openreferral", "Reading sample file", "--no-progress", stdout=out, stderr=err)
    assert "Import finished: 2 created, 0 updated, 1 skipped" in out.getvalue()
    assert "Skipped 3d0f5a6b-9c8e-4f70-b2c3-d4e5f6a7b8c9" in err.getvalue()
    file_feed.refresh_from_db()
    assert file_feed.status == FeedRunStatus.SUCCEEDED and file_feed.created_count == 2
    assert Service.objects.filter(source=file_feed).count() == 2


def test_the_import_command_refuses_a_feed_that_is_already_running(file_feed):
    FeedSource.objects.filter(pk=file_feed.pk).update(status=FeedRunStatus.RUNNING, last_started_at=timezone.now())
    with pytest.raises(CommandError, match="already running"):
        call_command("import_openreferral", "Reading sample file", "--no-progress", stdout=io.StringIO())


def test_the_import_command_says_when_a_named_feed_failed():
    FeedSource.objects.create(name="Broken", url="/no/such/file.json")
    with pytest.raises(CommandError, match="Broken failed: There is no file called"):
        call_command("import_openreferral", "Broken", "--no-progress", stdout=io.StringIO(), stderr=io.StringIO())
    assert FeedSource.objects.get().status == FeedRunStatus.FAILED


def test_a_plain_file_is_still_imported_without_a_feed_source():
    out = io.StringIO()
    call_command("import_openreferral", V3, "--no-progress", stdout=out, stderr=io.StringIO())
    assert "2 created" in out.getvalue()
    assert not FeedSource.objects.exists() and not Service.objects.filter(source__isnull=False).exists()


def test_the_feed_pages_have_no_inline_code_even_with_a_hostile_report(client, cora, file_feed):
    hostile = '<script>alert(1)</script><b style="color:red">x</b>'
    FeedSource.objects.filter(pk=file_feed.pk).update(
        status=FeedRunStatus.FAILED,
        last_finished_at=NOW,
        last_error=hostile,
        last_report={"line": "0 created", "errors": [[hostile, hostile]], "warnings": [["w", hostile]]},
    )
    pages = [
        client.get(FEEDS_PAGE),
        client.get(f"{FEEDS_PAGE}{file_feed.id}/"),
        client.post(f"{FEEDS_PAGE}{file_feed.id}/", {"name": "", "url": "/etc/passwd", "schedule": "daily"}),
    ]
    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        assert inline_code_in(html) == [] and "<script>alert" not in html
    assert "Enter a web address starting with https://" in pages[2].content.decode()
    assert "coordinator/directory/feeds/" in client.get("/coordinator/").content.decode()


def test_the_progress_bar_knows_the_total_when_the_source_says_it(file_feed):
    err = io.StringIO()
    call_command("import_openreferral", "Reading sample file", stdout=io.StringIO(), stderr=err)
    assert "3/3" in err.getvalue()  # the file holds 3 records, and the bar counted to 3 of 3


@given(st.text(max_size=200))
@hsettings(max_examples=200, deadline=None)
def test_any_typed_address_gets_a_message_or_passes_never_an_exception(url):
    problem = feed_url_problem(url)
    assert problem is None or (isinstance(problem, str) and problem.endswith("."))
    if problem is None:
        assert url.strip().lower().startswith(("http://", "https://"))


def test_changing_a_feed_keeps_the_report_a_run_wrote_meanwhile(file_feed, coordinator):
    loaded_by_the_page = FeedSource.objects.get(pk=file_feed.pk)  # the edit request reads the feed...
    run_feed(file_feed)  # ...a run finishes before it saves...
    feed_source_save(
        by_user=coordinator,
        feed=loaded_by_the_page,
        name="Reading file",
        url="https://x.example/oruk",
        schedule=FeedSchedule.WEEKLY,
        is_active=True,
    )
    file_feed.refresh_from_db()
    assert (file_feed.name, file_feed.schedule) == ("Reading file", FeedSchedule.WEEKLY)
    assert file_feed.status == FeedRunStatus.SUCCEEDED and file_feed.created_count == 2
    assert file_feed.last_report["errors"]
