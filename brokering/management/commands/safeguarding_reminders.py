"""Safeguarding check expiry reminders to coordinators (run daily)."""

from django.core.management.base import BaseCommand

from brokering.services.safeguarding import check_reminders_send


class Command(BaseCommand):
    help = "E-mail coordinators, once per check, about checks that expire soon."

    def handle(self, *args, **options):
        self.stdout.write(f"Checks reminded: {check_reminders_send()}")
