"""manage.py import_openreferral SOURCE [--modified-after DATE]: read an ORUK 3.0 or v1
file or feed into the directory (see assets.openreferral.importer).

SOURCE may also be the name of a feed source (coordinators' feeds page): then it runs
through the same service as the scheduled job (assets.services.feeds.run_feed), so
the source's page shows this run's report."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from tqdm import tqdm

from assets.models import FeedSource
from assets.services import SourceError, openreferral_import, run_feed
from core.errors import ConflictError


class Command(BaseCommand):
    help = (
        "Import services from an Open Referral UK (3.0 or v1) file or feed URL, or run a feed source "
        "by its name. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "source",
            help="A JSON/ndjson file, a feed's base URL like https://example.org/openreferral, "
            "or the name of a feed source",
        )
        parser.add_argument("--modified-after", help="Only records changed on or after this date-time (ISO 8601).")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args, source, modified_after=None, no_progress=False, **options):
        since = _since(modified_after) if modified_after else None
        feed = FeedSource.objects.filter(name=source).first()
        if feed is not None and since is not None:
            raise CommandError(
                f"{feed.name} is a feed source: it is always read whole. Leave out --modified-after, "
                "or give the feed's URL instead of its name."
            )
        bar = tqdm(unit=" services", disable=no_progress, file=self.stderr._out)

        def progress(summary):
            # How many records the source holds, when it says: the bar's end.
            if bar.total is None and summary.total:
                bar.total = summary.total
                bar.refresh()
            bar.update(1)

        try:
            if feed is not None:
                summary = run_feed(feed, on_record=progress)
            else:
                summary, _total = openreferral_import(source=source, modified_after=since, on_record=progress)
        except (SourceError, ConflictError) as exc:
            raise CommandError(exc.message) from None
        finally:
            bar.close()
        for record_id, reason in summary.errors:
            self.stderr.write(f"Skipped {record_id}: {reason}")
        for record_id, warning in summary.warnings:
            self.stderr.write(f"Kept {record_id}, but {warning}")
        line = summary.line()  # with the places that could not be found from their postcode
        if feed is not None and feed.last_error:
            raise CommandError(f"{feed.name} failed: {feed.last_error} ({line}).")
        self.stdout.write(self.style.SUCCESS(f"Import finished: {line}."))


def _since(text: str) -> datetime.datetime:
    try:
        since = parse_datetime(text)
        day = parse_date(text) if since is None else None
    except ValueError:  # shaped like a date, but no such day
        since = day = None
    if since is None and day:
        since = datetime.datetime.combine(day, datetime.time.min)
    if since is None:
        raise CommandError("--modified-after must be a date like 2024-01-31 or 2024-01-31T09:00:00Z.")
    if timezone.is_naive(since):
        since = timezone.make_aware(since)
    return since
