"""Load the demo: a timebank around Reading's Oxford Road, community assets,
referrals. Idempotent: running it twice changes nothing the second time."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from timebank import demo, hooks


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the demo logins."

    def handle(self, *args: object, **options: object) -> None:
        logins: list[tuple[str, str, str]] = []
        # The demo's people are made up: the e-mails their story triggers go nowhere.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            # The timebank's own demo first; each higher app connects its seeder
            # to the hook in its AppConfig.ready(), in the order apps are installed.
            for seeder in (demo.seed, *hooks.demo_seeders.receivers):
                # One transaction per area: a failure leaves no half-seeded area.
                with transaction.atomic():
                    logins.extend(seeder(stdout=self.stdout) or [])
        if logins:
            self.stdout.write("\nDemo logins (password for all: see below)")
            for role, username, password in logins:
                self.stdout.write(f"  {role:<20} {username:<24} {password}")
