"""Confirm and post exchanges whose receivers have not answered within their
timebank's auto_confirm_days. Run daily (cron or Celery beat); safe to run
twice or alongside people confirming by hand."""

from django.core.management.base import BaseCommand

from timebank.services.exchanges import exchange_auto_confirm_due


class Command(BaseCommand):
    help = "Confirm exchanges left waiting for confirmation too long, and record their hours."

    def handle(self, *args, **options):
        posted = exchange_auto_confirm_due()
        self.stdout.write(f"{posted} exchange{'s' if posted != 1 else ''} confirmed automatically.")
