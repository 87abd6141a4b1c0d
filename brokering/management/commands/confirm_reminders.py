"""Reminders to confirm a done exchange (run daily by cron or Celery beat)."""

from django.core.management.base import BaseCommand

from brokering.services.digests import confirm_reminders_send


class Command(BaseCommand):
    help = "Remind receivers, once, to confirm exchanges marked done some days ago."

    def handle(self, *args, **options):
        self.stdout.write(f"Exchanges reminded: {confirm_reminders_send()}")
