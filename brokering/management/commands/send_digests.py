"""Weekly digest e-mails (run daily or weekly by cron or Celery beat)."""

from django.core.management.base import BaseCommand

from brokering.services.digests import digests_send


class Command(BaseCommand):
    help = "E-mail weekly-digest members the new listings that match their offers and requests."

    def handle(self, *args, **options):
        self.stdout.write(f"Digests sent: {digests_send()}")
