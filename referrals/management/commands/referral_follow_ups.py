"""manage.py referral_follow_ups: raise the three-month follow-up prompt on
referrals accepted REFERRAL_FOLLOW_UP_DAYS ago (referrals/timebank_path.py).
Run it daily from cron, or let Celery beat run referral_follow_ups_task."""

from django.core.management.base import BaseCommand

from referrals.timebank_path import referral_follow_ups_due


class Command(BaseCommand):
    help = "Raise the follow-up prompt on referrals accepted about three months ago."

    def handle(self, *args, **options):
        prompted = referral_follow_ups_due()
        # A count only: which referrals is in their history and the access log.
        self.stdout.write(f"{len(prompted)} referrals are due a follow-up.")
