"""Celery tasks for referrals, where Celery's autodiscovery looks for them.
The webhook task lives with the deliveries it retries (referrals.webhooks)."""

from celery import shared_task

from referrals.timebank_path import referral_follow_ups_due
from referrals.webhooks import deliver_webhook_task

__all__ = ["deliver_webhook_task", "referral_follow_ups_task"]


@shared_task(name="referrals.referral_follow_ups")
def referral_follow_ups_task() -> int:
    """The daily follow-up prompt (manage.py referral_follow_ups), for Celery beat."""
    return len(referral_follow_ups_due())
