"""manage.py purge_idempotency_keys: forget keys older than the retention
period (settings.API_IDEMPOTENCY_KEY_HOURS, at least 24 h). Run daily."""

from django.core.management.base import BaseCommand

from api.idempotency import idempotency_keys_purge


class Command(BaseCommand):
    help = "Delete idempotency keys older than the retention period."

    def handle(self, *args, **options):
        self.stdout.write(f"{idempotency_keys_purge()} idempotency keys deleted.")
