"""Open Referral UK feeds the directory is filled from, each imported on a schedule.

A FeedSource is one council's or platform's feed (or a file on this machine).
Coordinators see each source's last run and its report, and can ask for a run
now; `manage.py import_feeds` (cron or Celery beat) runs the sources that are
due or asked for, and the import command and the page share one service
(assets/services/feeds.py). Each imported service points back at its source
and says when it was last seen there.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class FeedSchedule(models.TextChoices):
    MANUAL = "manual", _("Only when someone asks")
    DAILY = "daily", _("Every day")
    WEEKLY = "weekly", _("Every week")


class FeedRunStatus(models.TextChoices):
    NEVER = "never", _("Not run yet")
    QUEUED = "queued", _("Waiting to run")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")


class FeedSource(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True, help_text="Who publishes it, like 'Reading Services Guide'.")
    url = models.CharField(
        max_length=500, help_text="The feed's base URL (https://…, without /services) or a file on the server."
    )
    # What the last run found the feed to be: "3.0", "1.0", or "" before the first run.
    version = models.CharField(max_length=10, blank=True)
    schedule = models.CharField(max_length=10, choices=FeedSchedule.choices, default=FeedSchedule.DAILY)
    is_active = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=FeedRunStatus.choices, default=FeedRunStatus.NEVER)
    run_requested_at = models.DateTimeField(null=True, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_succeeded_at = models.DateTimeField(null=True, blank=True)
    # The last run's counts and report: {"errors": [[id, reason], ...], "warnings": [...], ...}
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    unplaced_count = models.PositiveIntegerField(default=0)
    last_report = models.JSONField(default=dict, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
