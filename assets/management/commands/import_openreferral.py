"""manage.py import_openreferral SOURCE [--modified-after DATE]: read an ORUK 3.0 or v1
file or feed into the directory (see assets.openreferral.importer)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from tqdm import tqdm

from assets.services import SourceError, openreferral_import


class Command(BaseCommand):
    help = "Import services from an Open Referral UK (3.0 or v1) file or feed URL. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "source", help="A JSON/ndjson file, or a feed's base URL like https://example.org/openreferral"
        )
        parser.add_argument("--modified-after", help="Only records changed on or after this date-time (ISO 8601).")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args, source, modified_after=None, no_progress=False, **options):
        since = None
        if modified_after:
            since = parse_datetime(modified_after)
            if since is None and (day := parse_date(modified_after)):
                since = timezone.datetime.combine(day, timezone.datetime.min.time())
            if since is None:
                raise CommandError("--modified-after must be a date like 2024-01-31 or 2024-01-31T09:00:00Z.")
            if timezone.is_naive(since):
                since = timezone.make_aware(since)
        bar = tqdm(unit=" services", disable=no_progress, file=self.stderr._out)

        def progress(summary):
            bar.update(1)

        try:
            summary, _total = openreferral_import(source=source, modified_after=since, on_record=progress)
        except SourceError as exc:
            raise CommandError(exc.message) from None
        finally:
            bar.close()
        for record_id, reason in summary.errors:
            self.stderr.write(f"Skipped {record_id}: {reason}")
        for record_id, warning in summary.warnings:
            self.stderr.write(f"Kept {record_id}, but {warning}")
        self.stdout.write(self.style.SUCCESS(f"Import finished: {summary.line()}."))
