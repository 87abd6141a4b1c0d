"""Feed sources: the Open Referral UK feeds the directory is filled from, run on a
schedule or when a coordinator asks. The import command, the scheduled job
(`manage.py import_feeds`), the Celery task and the coordinators' page all run a
source through `run_feed`, so each run leaves the same report on the source.

Invariants:
* One run of a source at a time. A run claims its source with one conditional
  UPDATE (not a read then a write), so two workers, or the command and the
  scheduled job, cannot both run it; the second is refused with a ConflictError.
* A run always ends SUCCEEDED or FAILED, whatever goes wrong inside it: a feed
  that cannot be read leaves its plain message in `last_error`, anything else a
  plain sentence (the log gets the exception's type and where it was raised,
  never its message, which may quote a record). A run that never ends (the
  process was killed) counts as failed after STUCK_AFTER and may run again.
* "Run now" on a page only marks the source queued (and, with a Celery broker,
  queues a task after the commit): a whole council's feed is never imported
  inside a web request.
* The report kept on a source is bounded: at most REPORT_LIMIT errors and as many
  warnings, with the number left off.
* Files on the server can be a source only from the command line: the page's
  form, and `feed_source_save`, accept only http:// and https:// addresses.
"""

from __future__ import annotations

import datetime
import logging
import traceback
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from assets.models import FeedRunStatus, FeedSchedule, FeedSource
from assets.openreferral.importer import openreferral_import
from assets.openreferral.report import ImportSummary, SourceError
from core.errors import ConflictError, InvalidInputError
from core.netguard import GuardedSession
from timebank.permissions import require_coordinator

logger = logging.getLogger(__name__)

# Errors and warnings kept in a source's last report; the rest are counted.
REPORT_LIMIT = 1_000
# A run that has not finished after this long is taken to have died with its process.
STUCK_AFTER = datetime.timedelta(hours=4)
SCHEDULE_PERIODS = {
    FeedSchedule.DAILY: datetime.timedelta(days=1),
    FeedSchedule.WEEKLY: datetime.timedelta(days=7),
}
FEED_URL_SCHEMES = ("http", "https")
FEED_URL_PORTS = (80, 443)
_url_validator = URLValidator(schemes=list(FEED_URL_SCHEMES))


def feed_url_problem(url: str) -> str | None:
    """What is wrong with `url` as a feed address typed into a page, or None.
    Only web addresses: a page must never make the server read its own files."""
    url = (url or "").strip()
    if not url:
        return _("Enter the feed's web address, like https://example.org/openreferral.")
    if not url.lower().startswith(("http://", "https://")):
        return _("Enter a web address starting with https:// (or http://). Files can only be imported by the command.")
    try:
        _url_validator(url)
        parts = urlsplit(url)
        port = parts.port
    except (ValidationError, ValueError):
        return _("This is not a complete web address. Check it, like https://example.org/openreferral.")
    if port is not None and port not in FEED_URL_PORTS:
        return _("Feeds can only be read on the usual web ports (80 or 443). Remove the port number from the address.")
    if parts.username or parts.password:
        return _("Remove the user name and password from the address.")
    return None


def feed_source_save(
    *,
    by_user: object,
    name: str,
    url: str,
    schedule: str,
    is_active: bool,
    feed: FeedSource | None = None,
) -> FeedSource:
    """Add a feed source (or change `feed`). Raises InvalidInputError naming the field."""
    require_coordinator(by_user, message=_("Only coordinators can manage the directory's feeds."))
    name = " ".join((name or "").split())
    url = (url or "").strip()
    if not name:
        raise InvalidInputError(_("Enter a name, like Reading Services Guide."), field="name")
    if problem := feed_url_problem(url):
        raise InvalidInputError(problem, field="url")
    if schedule not in FeedSchedule.values:
        raise InvalidInputError(_("Choose how often to import it from the list."), field="schedule")
    adding = feed is None
    feed = feed or FeedSource()
    feed.name, feed.url, feed.schedule, feed.is_active = name, url.rstrip("/"), schedule, is_active
    try:
        # The savepoint keeps a clash on the unique name from spoiling the caller's transaction.
        with transaction.atomic():
            # Only the fields a person sets: a run may be writing its report at the same time.
            feed.save(update_fields=None if adding else ["name", "url", "schedule", "is_active"])
    except IntegrityError:
        raise InvalidInputError(
            _("There is already a feed called %(name)s. Choose another name.") % {"name": name}, field="name"
        ) from None
    return feed


def _not_running(now: datetime.datetime) -> Q:
    """Sources no run is working on now (one that has run past STUCK_AFTER is dead)."""
    return ~Q(status=FeedRunStatus.RUNNING) | Q(last_started_at__isnull=True) | Q(last_started_at__lt=now - STUCK_AFTER)


def request_run(feed: FeedSource, by_user: object) -> FeedSource:
    """Queue `feed` to run soon: with a Celery broker a task is queued once this
    commits; without one the scheduled `import_feeds` picks it up. Never runs it here."""
    require_coordinator(by_user, message=_("Only coordinators can run the directory's feeds."))
    if not feed.is_active:
        raise ConflictError(_("%(name)s is switched off. Switch it on first, then run it.") % {"name": feed.name})
    now = timezone.now()
    # Conditional, like the claim in run_feed: a run under way is not queued again.
    queued = (
        FeedSource.objects.filter(_not_running(now), pk=feed.pk)
        .exclude(status=FeedRunStatus.QUEUED)
        .update(run_requested_at=now, status=FeedRunStatus.QUEUED)
    )
    feed.refresh_from_db()
    if not queued:
        if feed.status == FeedRunStatus.QUEUED:
            return feed  # asked twice: it is already waiting
        raise ConflictError(
            _("%(name)s is running now. Its report will be on this page when it finishes.") % {"name": feed.name}
        )
    if settings.CELERY_BROKER_URL and not settings.CELERY_TASK_ALWAYS_EAGER:
        from assets.tasks import run_feed_task  # the task module imports this one

        feed_id = str(feed.pk)
        # The task gets only the id, and only once the request is committed.
        transaction.on_commit(lambda: run_feed_task.delay(feed_id))
    return feed


def due_feeds(now: datetime.datetime | None = None) -> list[FeedSource]:
    """Active sources to run now: those queued, and those whose schedule (daily,
    weekly) has come round since their last start. A run stuck past STUCK_AFTER
    does not hold its source back. Queued ones first, then the longest waiting."""
    now = now or timezone.now()
    scheduled = Q(schedule__in=list(SCHEDULE_PERIODS), last_started_at__isnull=True)
    for schedule, period in SCHEDULE_PERIODS.items():
        scheduled |= Q(schedule=schedule, last_started_at__lte=now - period)
    queued = Q(run_requested_at__isnull=False) | Q(status=FeedRunStatus.QUEUED)
    return list(
        FeedSource.objects.filter(_not_running(now), queued | scheduled, is_active=True).order_by(
            F("run_requested_at").asc(nulls_last=True), F("last_started_at").asc(nulls_first=True), "name"
        )
    )


def run_feed(
    feed: FeedSource,
    *,
    on_record: Callable[[ImportSummary], None] | None = None,
    session: GuardedSession | None = None,
) -> ImportSummary:
    """Import `feed` now and keep the run's counts and report on it (see the module
    docstring). Raises ConflictError when the source is already running; any other
    failure ends the run FAILED with a plain message, and the summary so far is returned.
    Call it outside a transaction: the claim must be committed for other workers to see it."""
    started = timezone.now()
    claimed = FeedSource.objects.filter(_not_running(started), pk=feed.pk).update(
        status=FeedRunStatus.RUNNING, last_started_at=started, last_error=""
    )
    if not claimed:
        raise ConflictError(f"{feed.name} is already running. Wait for it to finish, then try again.")
    latest: list[ImportSummary] = []

    def progress(summary: ImportSummary) -> None:
        if not latest:
            latest.append(summary)  # the run's own tally: what it did before any failure
        if on_record:
            on_record(summary)

    total: int | None = None
    error = ""
    try:
        summary, total = openreferral_import(source=feed.url, feed=feed, on_record=progress, session=session)
    except SourceError as exc:
        summary, error = (latest[0] if latest else ImportSummary()), exc.message
    except Exception as exc:  # whatever happens, the source must not be left RUNNING
        summary = latest[0] if latest else ImportSummary()
        error = (
            "The import stopped unexpectedly. What it had read before it stopped is kept. "
            "Try again later; if it happens again, tell whoever runs this site."
        )
        # The type and where it was raised, never the message: it may quote a record.
        logger.error(
            "Feed %s stopped with %s at:\n%s",
            feed.pk,
            type(exc).__name__,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
    _record_run(feed, summary=summary, total=total, error=error)
    return summary


def _report(summary: ImportSummary, *, total: int | None) -> dict[str, object]:
    errors = [list(item) for item in summary.errors]
    warnings = [list(item) for item in summary.warnings]
    return {
        "line": summary.line(),
        "total": total,
        "errors": errors[:REPORT_LIMIT],
        "errors_left_off": max(0, len(errors) - REPORT_LIMIT) + getattr(summary, "errors_left_off", 0),
        "warnings": warnings[:REPORT_LIMIT],
        "warnings_left_off": max(0, len(warnings) - REPORT_LIMIT) + getattr(summary, "warnings_left_off", 0),
    }


def _record_run(feed: FeedSource, *, summary: ImportSummary, total: int | None, error: str) -> None:
    finished = timezone.now()
    fields: dict[str, object] = {
        "status": FeedRunStatus.FAILED if error else FeedRunStatus.SUCCEEDED,
        "last_error": error[:1000],
        "last_finished_at": finished,
        "run_requested_at": None,
        "created_count": summary.created,
        "updated_count": summary.updated,
        "unchanged_count": summary.unchanged,
        "skipped_count": summary.skipped,
        "unplaced_count": summary.unplaced,
        "last_report": _report(summary, total=total),
    }
    if summary.version:
        fields["version"] = summary.version[:10]
    if not error:
        fields["last_succeeded_at"] = finished
    FeedSource.objects.filter(pk=feed.pk).update(**fields)
    feed.refresh_from_db()
