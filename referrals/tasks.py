"""Celery tasks for referrals, where Celery's autodiscovery looks for them.
The webhook task lives with the deliveries it retries (referrals.webhooks)."""

from referrals.webhooks import deliver_webhook_task

__all__ = ["deliver_webhook_task"]
