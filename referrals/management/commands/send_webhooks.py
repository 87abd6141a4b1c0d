"""manage.py send_webhooks: retry webhook deliveries whose backoff has passed.
Run it every minute from cron when there is no Celery worker."""

from django.core.management.base import BaseCommand

from referrals.webhooks import deliver_due


class Command(BaseCommand):
    help = "Retry pending webhook deliveries that are due."

    def handle(self, *args, **options):
        tried = deliver_due()
        self.stdout.write(f"{tried} webhook deliveries tried.")
