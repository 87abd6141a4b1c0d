"""Tables the REST interface needs of its own: which organisation an OAuth
client belongs to, and the idempotency keys that make POST retries safe.

Referral data never lives here; the api app only parses, checks and renders.
"""

from django.conf import settings
from django.db import models


class ApiClient(models.Model):
    """An OAuth2 client-credentials application and the one organisation it acts for.

    A client sees only its organisation's referrals and those sent to its
    organisation's services, and only with the scopes listed here.
    """

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="api_client"
    )
    organisation = models.ForeignKey("assets.Organisation", on_delete=models.PROTECT, related_name="api_clients")
    # Space-separated, as OAuth2 writes scopes.
    scopes = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "created_at"]
        verbose_name = "API client"

    def __str__(self) -> str:
        return f"API client for {self.organisation}"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class IdempotencyState(models.TextChoices):
    IN_PROGRESS = "in-progress", "In progress"
    DONE = "done", "Done"


class IdempotencyKey(models.Model):
    """One POST per (owner, key): a retry replays the stored response (docs/quality.md L8).

    `owner` is "client:<application id>" or "user:<user id>", so two clients
    may use the same key without meeting. Only a hash of the request is kept,
    and the stored response is what that owner was already shown.
    """

    owner = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=IdempotencyState.choices, default=IdempotencyState.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_once_per_owner")]
