"""Remind members whose offers and requests end soon, and close those past
their end date so they stop showing. Run daily; safe to run twice (each
listing is reminded once)."""

from django.core.management.base import BaseCommand

from timebank.services.listings import listing_remind_and_expire


class Command(BaseCommand):
    help = "Remind owners of listings that end soon and close listings past their end date."

    def handle(self, *args, **options):
        reminded, expired = listing_remind_and_expire()
        reminders = "reminder" if reminded == 1 else "reminders"
        listings = "listing" if expired == 1 else "listings"
        self.stdout.write(f"{reminded} {reminders} sent, {expired} {listings} closed.")
