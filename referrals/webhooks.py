"""Webhooks: telling a client's system that one of its referrals changed.

Payload: {"event", "referral_id", "status", "occurred_at"}: ids only, never
personal data (docs/quality.md D8). Who hears what follows the consent policy
(referrals/consent.py `may_hear`): the referring organisation hears of the
receiver's moves (and of business-status updates) only when the person agreed
to share what happens with it; without that it gets no event at all for them,
only for its own moves (made, cancelled, entered in error). A delivery is checked
again when it is sent, so consent withdrawn after it was queued stops it
(it is marked failed, "withheld: no consent to share back"). Each delivery is signed with HMAC-SHA256 over
"<timestamp>.<body>" with the subscription's secret, sent in the header
`TimeCommons-Signature: t=<timestamp>,v1=<hex digest>`.

Deliveries are rows written in the same transaction as the change and sent
only after it commits (a rolled-back change sends nothing, docs/quality.md L12),
never by the web request itself (a slow endpoint must not hold a web worker): by
a Celery task when a broker is configured, otherwise by `manage.py send_webhooks`,
which a cron job or systemd timer runs every minute. A failed attempt is retried
with exponential backoff (settings.WEBHOOK_RETRY_BASE_SECONDS, doubling, up to
settings.WEBHOOK_MAX_ATTEMPTS): by Celery's retry, or by the next send_webhooks.

URLs must be https, on a port in settings.WEBHOOK_ALLOWED_PORTS (443), to a
public address; loopback, private, link-local and other non-global targets are
refused at registration and again at each send, where the name is resolved
once and the connection made to the address checked (core/netguard.py);
redirects are never followed; connect 3 s, read 10 s, TLS verified, at most
64 KiB of the answer read (docs/quality.md A7, A10).
"""

import datetime
import hashlib
import hmac
import json
import logging
import time

import requests
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import InvalidInputError
from core.netguard import AddressRefusedError, GuardedSession, url_problem
from referrals.consent import may_hear
from referrals.models import DeliveryState, Referral, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "TimeCommons-Signature"
TIMEOUT = (3, 10)
MAX_RESPONSE_BYTES = 64 * 1024


def _session() -> GuardedSession:
    return GuardedSession(schemes=["https"], ports=settings.WEBHOOK_ALLOWED_PORTS)


def webhook_url_problem(url: str) -> str | None:
    """Why this URL may not receive webhooks, or None if it may."""
    if len(url) > 500:
        return "The address is too long (500 characters at most)."
    return url_problem(url, schemes=["https"], ports=settings.WEBHOOK_ALLOWED_PORTS)


def validate_webhook_url(url: str) -> str:
    problem = webhook_url_problem(url)
    if problem:
        raise InvalidInputError(problem, field="url")
    return url


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def queue_referral_event(*, referral: Referral, event: str) -> None:
    """Write a delivery for each subscription that may hear about this referral,
    and send them once the surrounding transaction commits."""
    organisation_ids = {referral.referring_organisation_id}
    if referral.requested_at is not None and referral.receiving_organisation_id:
        organisation_ids.add(referral.receiving_organisation_id)
    payload = {
        "event": event,
        "referral_id": str(referral.pk),
        "status": referral.status,
        "occurred_at": timezone.now().isoformat().replace("+00:00", "Z"),
    }
    organisation_ids = {
        org for org in organisation_ids if may_hear(organisation_id=org, referral=referral, payload=payload)
    }
    subscriptions = WebhookSubscription.objects.filter(organisation_id__in=organisation_ids, is_active=True)
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(subscription=sub, payload=payload, next_attempt_at=timezone.now()) for sub in subscriptions]
    )
    if deliveries:
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: dispatch(ids))


def _deliver_and_retry(task, delivery_id: str) -> None:
    delivery = deliver(delivery_id)
    if delivery.state == DeliveryState.PENDING:
        raise task.retry(countdown=backoff_seconds(delivery.attempts))


# The Celery task (used only when a broker is configured); its argument is an
# id, never personal data (docs/quality.md D8). The name is fixed so that a
# move of this module never strands messages already queued.
deliver_webhook_task = shared_task(bind=True, max_retries=10, ignore_result=True, name="referrals.deliver_webhook")(
    _deliver_and_retry
)
# Messages queued before the referrals app had its own folder carry this name.
shared_task(bind=True, max_retries=10, ignore_result=True, name="assets.referrals.tasks.deliver_webhook_task")(
    _deliver_and_retry
)


def dispatch(delivery_ids) -> None:
    """Hand committed deliveries to Celery; without a broker they stay pending,
    due now, for the next `send_webhooks` (never sent inside the web request)."""
    if settings.CELERY_BROKER_URL and not settings.CELERY_TASK_ALWAYS_EAGER:
        for delivery_id in delivery_ids:
            deliver_webhook_task.delay(str(delivery_id))


def backoff_seconds(attempts: int) -> int:
    return settings.WEBHOOK_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))


def _post(url: str, body: bytes, headers: dict) -> int:
    # The guard resolves the name once, refuses a private answer and connects to
    # the address it checked; a redirect comes back as the answer (a failure).
    with _session().post(url, data=body, headers=headers, timeout=TIMEOUT, stream=True, verify=True) as response:
        # Read a little at most: a hostile endpoint must not make us buffer gigabytes.
        for _ in response.iter_content(chunk_size=MAX_RESPONSE_BYTES):
            break
        return response.status_code


WITHHELD = "withheld: no consent to share back"


def _withheld(delivery: WebhookDelivery) -> bool:
    """The consent no longer lets this subscription hear of this event (withdrawn
    since it was queued)."""
    referral_id = delivery.payload.get("referral_id")
    referral = Referral.objects.select_related("consent").filter(pk=referral_id).first() if referral_id else None
    if referral is None:
        return False
    return not may_hear(
        organisation_id=delivery.subscription.organisation_id, referral=referral, payload=delivery.payload
    )


def deliver(delivery_id) -> WebhookDelivery:
    """One attempt to send one delivery; records the result."""
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    if delivery.state != DeliveryState.PENDING:
        return delivery
    subscription = delivery.subscription
    if _withheld(delivery):
        delivery.state = DeliveryState.FAILED
        delivery.next_attempt_at = None
        delivery.last_error = WITHHELD
        delivery.save(update_fields=["state", "next_attempt_at", "last_error"])
        return delivery
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "TimeCommons-Webhooks/1",
        SIGNATURE_HEADER: sign(subscription.secret, body, timestamp),
        "TimeCommons-Event": delivery.payload.get("event", ""),
        "TimeCommons-Delivery": str(delivery.pk),
    }
    status_code, error = None, ""
    try:
        status_code = _post(subscription.url, body, headers)
        if not 200 <= status_code < 300:
            error = f"answered {status_code}"
    except AddressRefusedError:
        error = "address refused"
    except requests.RequestException as exc:
        error = type(exc).__name__
    delivery.attempts += 1
    delivery.last_status_code = status_code
    delivery.last_error = error[:200]
    if not error:
        delivery.state = DeliveryState.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.state = DeliveryState.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = timezone.now() + datetime.timedelta(seconds=backoff_seconds(delivery.attempts))
    delivery.save(
        update_fields=["attempts", "last_status_code", "last_error", "state", "delivered_at", "next_attempt_at"]
    )
    if error:
        # Ids and the failure kind only: no payload, no URL (D8).
        logger.info("Webhook delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, error)
    return delivery


def deliver_due(*, now: datetime.datetime | None = None) -> int:
    """Retry every pending delivery whose backoff has passed; returns how many were tried."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    for delivery_id in due:
        deliver(delivery_id)
    return len(due)
