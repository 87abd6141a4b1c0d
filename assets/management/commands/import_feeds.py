"""manage.py import_feeds: run every feed source that is due (asked for on the feeds
page, or its daily or weekly schedule has come round), one at a time, printing each
one's summary. Run it from cron every few minutes; see the README's scheduled jobs.
Exits non-zero when a feed failed, after trying every due feed."""

from django.core.management.base import BaseCommand, CommandError

from assets.services import due_feeds, run_feed
from core.errors import ConflictError


class Command(BaseCommand):
    help = "Import every Open Referral UK feed source that is due or asked for, one at a time."

    def handle(self, *args, **options):
        failed = []
        for feed in due_feeds():
            try:
                summary = run_feed(feed)
            except ConflictError as exc:
                # Another run (a worker, the import command) took it first: not a failure.
                self.stdout.write(f"{feed.name}: {exc.message}")
                continue
            if feed.last_error:
                failed.append(feed.name)
                self.stderr.write(f"{feed.name} failed: {feed.last_error} ({summary.line()}).")
            else:
                self.stdout.write(f"{feed.name}: {summary.line()}.")
        if failed:
            raise CommandError(f"{len(failed)} feed{'s' if len(failed) != 1 else ''} failed: {', '.join(failed)}.")
