"""Celery tasks for referrals (used only when a broker is configured).
Arguments are ids, never personal data (docs/quality.md D8)."""

from celery import shared_task

from referrals.models import DeliveryState


@shared_task(bind=True, max_retries=10, ignore_result=True)
def deliver_webhook_task(self, delivery_id: str) -> None:
    from referrals.webhooks import backoff_seconds, deliver

    delivery = deliver(delivery_id)
    if delivery.state == DeliveryState.PENDING:
        raise self.retry(countdown=backoff_seconds(delivery.attempts))
