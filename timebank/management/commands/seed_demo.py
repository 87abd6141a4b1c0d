"""Load the demo: a timebank around Reading's Oxford Road, community assets,
referrals. Idempotent: running it twice changes nothing the second time."""
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils.module_loading import import_string

# Each area adds its seeder; they run in this order, each given the command's stdout.
DEMO_SEEDERS = [
    "timebank.demo.seed",
    "assets.demo.seed",
    "assets.referrals.demo.seed",
]


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        logins: list[tuple[str, str, str]] = []
        # The demo's people are made up: the e-mails their story triggers go nowhere.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            for dotted in DEMO_SEEDERS:
                seeder = import_string(dotted)
                # One transaction per area: a failure leaves no half-seeded area.
                with transaction.atomic():
                    logins.extend(seeder(stdout=self.stdout) or [])
        if logins:
            self.stdout.write("\nDemo logins (password for all: see below)")
            for role, username, password in logins:
                self.stdout.write(f"  {role:<18} {username:<24} {password}")
