"""manage.py export_openreferral [--output FILE]: every service as ORUK 3.0 ndjson, one
fully nested service per line, streamed in chunks so memory stays flat."""

import contextlib
import sys

from django.core.management.base import BaseCommand

from assets.openreferral.export import full_services_queryset, ndjson_lines


class Command(BaseCommand):
    help = "Write the directory as Open Referral UK 3.0 ndjson (one service per line)."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")

    def handle(self, *args, output=None, **options):
        with open(output, "w", encoding="utf-8") if output else contextlib.nullcontext(sys.stdout) as handle:
            count = 0
            for line in ndjson_lines(full_services_queryset().order_by("id")):
                handle.write(line)
                count += 1
        self.stderr.write(f"Exported {count} services.")
