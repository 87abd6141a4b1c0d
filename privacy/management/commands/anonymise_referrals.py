"""manage.py anonymise_referrals [--dry-run]: remove the personal details of
referrals that closed more than REFERRAL_RETENTION_DAYS ago (docs/quality.md D5).
Run it daily from cron. Prints counts only, never anyone's details."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.errors import ConfigurationError
from privacy.retention import referrals_due_for_anonymising, referrals_retention_run, retention_cutoff


def _referrals(count: int) -> str:
    return "1 referral" if count == 1 else f"{count} referrals"


def _applications(count: int, adjective: str = "") -> str:
    noun = "member application" if count == 1 else "member applications"
    return " ".join(part for part in (str(count), adjective, noun) if part)


class Command(BaseCommand):
    help = "Anonymise referrals that closed longer ago than the retention period (REFERRAL_RETENTION_DAYS)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only say how many referrals would be anonymised; change nothing."
        )

    def handle(self, *args, **options):
        now = timezone.now()
        result = None
        try:
            cutoff = retention_cutoff(now=now)
            if options["dry_run"]:
                count = referrals_due_for_anonymising(now=now).count()
            else:
                result = referrals_retention_run(now=now)
                count = result.referrals
        except ConfigurationError as error:
            raise CommandError(str(error)) from None
        before = timezone.localdate(cutoff).isoformat()
        if options["dry_run"]:
            self.stdout.write(f"Would anonymise {_referrals(count)} closed before {before}. Nothing was changed.")
        else:
            self.stdout.write(f"Anonymised {_referrals(count)} closed before {before}.")
        if result is not None and result.applications_removed:
            removed = _applications(result.applications_removed, "declined")
            self.stdout.write(f"Removed {removed} that only those referrals had made.")
        if result is not None and result.applications_waiting:
            waiting = _applications(result.applications_waiting)
            self.stdout.write(
                f"{waiting} still waiting for a coordinator's decision "
                "came from those referrals: they are kept; please approve or decline them."
            )
