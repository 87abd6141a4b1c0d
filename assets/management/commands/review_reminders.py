"""manage.py review_reminders: e-mail organisers of listings not checked for 10, 11 and
12 months (each reminder once). Schedule it daily."""

from django.core.management.base import BaseCommand

from assets.services import review_reminders_send


class Command(BaseCommand):
    help = "Remind organisers to check listings not reviewed for 10, 11 or 12 months."

    def handle(self, *args, **options):
        sent = review_reminders_send()
        self.stdout.write(f"Sent {sent} reminder{'s' if sent != 1 else ''}.")
