"""manage.py anonymise_referrals [--dry-run]: remove the personal details of
referrals that closed more than REFERRAL_RETENTION_DAYS ago (docs/quality.md D5).
Run it daily from cron. Prints counts only, never anyone's details."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.errors import ConfigurationError
from privacy.retention import referrals_anonymise, referrals_due_for_anonymising, retention_cutoff


def _referrals(count: int) -> str:
    return "1 referral" if count == 1 else f"{count} referrals"


class Command(BaseCommand):
    help = "Anonymise referrals that closed longer ago than the retention period (REFERRAL_RETENTION_DAYS)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only say how many referrals would be anonymised; change nothing."
        )

    def handle(self, *args, **options):
        now = timezone.now()
        try:
            cutoff = retention_cutoff(now=now)
            if options["dry_run"]:
                count = referrals_due_for_anonymising(now=now).count()
            else:
                count = referrals_anonymise(now=now)
        except ConfigurationError as error:
            raise CommandError(str(error)) from None
        before = timezone.localdate(cutoff).isoformat()
        if options["dry_run"]:
            self.stdout.write(f"Would anonymise {_referrals(count)} closed before {before}. Nothing was changed.")
        else:
            self.stdout.write(f"Anonymised {_referrals(count)} closed before {before}.")
