"""Social-prescribing referrals: who referred whom to what, with consent,
status history, outcomes, events for the GP record, an append-only access
log, and webhook subscriptions and deliveries.

Invariants:
- a referral targets exactly one of a directory service or a timebank
  (named CHECK constraint);
- status follows the FHIR Task state machine in `states.py`, changed only
  by `services.referral_transition`, with one ReferralHistory row per change;
- ReferralAccessLog rows are never updated or deleted (ORM refuses; on
  PostgreSQL a trigger refuses raw SQL too) and never hold field values;
- closed referrals are anonymised after REFERRAL_RETENTION_DAYS
  (`privacy/retention.py`, `manage.py anonymise_referrals`): `anonymised_at` is set;
- person fields are personal data and `what_matters`/`needs`/`notes` and
  outcomes are special category (health) data: see `PERSONAL_DATA_FIELDS`.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from referrals.snomed import term_for


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    IN_PROGRESS = "in-progress", _("In progress")
    ON_HOLD = "on-hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    ENTERED_IN_ERROR = "entered-in-error", _("Entered in error")


class BusinessStatus(models.TextChoices):
    CONTACT_ATTEMPTED = "contact-attempted", _("Contact attempted")
    CONTACTED = "contacted", _("Contacted")
    WAITLISTED = "waitlisted", _("On the waiting list")
    FIRST_SESSION_ATTENDED = "first-session-attended", _("First session attended")
    DID_NOT_ATTEND = "did-not-attend", _("Did not attend")
    PERSON_DECLINED = "person-declined", _("The person decided not to go ahead")
    FIRST_EXCHANGE_POSTED = "first-exchange-posted", _("First timebank exchange recorded")
    # The timebank path (referrals/timebank_path.py): the application was approved,
    # the member has given their first hour, and it is time for the 3-month follow-up.
    JOINED_TIMEBANK = "joined-timebank", _("Joined the timebank")
    FIRST_HOUR_GIVEN = "first-hour-given", _("Gave their first hour")
    FOLLOW_UP_DUE = "follow-up-due", _("Three-month follow-up due")


class Priority(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")


class PreferredContact(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    TEXT = "text", _("Text message")
    LETTER = "letter", _("Letter")


class ConsentScope(models.TextChoices):
    SHARE_WITH_SERVICE = "share-with-service", _("Share my details with the group or service")
    SHARE_BACK = "share-back-with-referrer", _("Share what happens with my link worker and GP")
    CODES_ONLY = "codes-only", _("Share codes only, no personal details")


class ConsentMethod(models.TextChoices):
    VERBAL = "verbal", _("Verbal")
    WRITTEN = "written", _("Written")
    DIGITAL = "digital", _("Digital")


class OutcomeStage(models.TextChoices):
    BASELINE = "baseline", _("At referral")
    FOLLOW_UP = "follow-up", _("At follow-up")


class Referral(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referring_organisation = models.ForeignKey(
        "assets.Organisation", on_delete=models.PROTECT, related_name="referrals_made"
    )
    # Who receives it: the service's organisation, or the timebank's (null when
    # the timebank has no organisation row; its coordinators receive it then).
    receiving_organisation = models.ForeignKey(
        "assets.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals_received"
    )
    target_service = models.ForeignKey(
        "assets.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    target_timebank = models.ForeignKey(
        "timebank.Timebank", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # The person (personal data).
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    postcode = models.CharField(max_length=10)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    preferred_contact = models.CharField(max_length=10, choices=PreferredContact.choices)
    contact_times = models.CharField(max_length=200, blank=True)
    communication_needs = models.JSONField(default=list, blank=True)
    do_not_contact = models.BooleanField(default=False)

    # What matters to the person (special category).
    what_matters = models.TextField(max_length=2000, blank=True)
    needs = models.ManyToManyField("assets.TaxonomyTerm", blank=True, related_name="+")
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.ROUTINE)
    notes = models.TextField(max_length=2000, blank=True)

    status = models.CharField(max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.REQUESTED)
    business_status = models.CharField(max_length=30, choices=BusinessStatus.choices, blank=True)
    status_reason = models.CharField(max_length=500, blank=True)
    # The pending member application a timebank referral creates.
    member = models.ForeignKey(
        "timebank.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    # Set when the referral first leaves draft: only then does the receiver see it.
    requested_at = models.DateTimeField(null=True, blank=True)
    first_exchange_at = models.DateTimeField(null=True, blank=True)
    # When the referred member's given hours first reached one hour.
    first_hour_given_at = models.DateTimeField(null=True, blank=True)
    # When the 3-month follow-up prompt was raised (referrals/timebank_path.py).
    follow_up_due_at = models.DateTimeField(null=True, blank=True)
    # The link worker confirmed the referral although the service's age limits
    # or area exclude the person, and why (referrals/eligibility.py).
    eligibility_override_reason = models.CharField(max_length=500, blank=True)
    # The referrer's own identifier for this referral (FHIR ServiceRequest.identifier):
    # a second create with the same one returns the first (idempotent).
    external_id_system = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    # Set when the retention job removed the person's details (docs/quality.md D5,
    # privacy/retention.py); an anonymised referral can no longer be changed.
    anonymised_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["referring_organisation", "-created_at"], name="referral_referrer_created"),
            models.Index(fields=["receiving_organisation", "status"], name="referral_receiver_status"),
            models.Index(fields=["target_timebank", "status"], name="referral_timebank_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(target_service__isnull=False) & models.Q(target_timebank__isnull=True))
                | (models.Q(target_service__isnull=True) & models.Q(target_timebank__isnull=False)),
                name="referral_targets_service_or_timebank",
            ),
            models.CheckConstraint(condition=models.Q(status__in=ReferralStatus.values), name="referral_status_known"),
            models.UniqueConstraint(
                fields=["referring_organisation", "external_id_system", "external_id"],
                condition=~models.Q(external_id=""),
                name="referral_external_id_once_per_referrer",
            ),
        ]

    def __str__(self) -> str:
        # Never the person's name: this string reaches logs and admin history.
        return f"Referral {self.id}"

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.given_name

    @property
    def postcode_district(self) -> str:
        return self.postcode.split(" ", 1)[0]

    @property
    def target_name(self) -> str:
        # A null foreign key reads as None without a query.
        if self.target_service is not None:
            return self.target_service.name
        return self.target_timebank.name if self.target_timebank is not None else ""


class Consent(models.Model):
    """The person's consent, recorded before the referral is requested (docs/quality.md D1).
    Withdrawal stops sharing: receivers then see codes only."""

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="consent")
    given = models.BooleanField()
    scopes = models.JSONField(default=list)
    method = models.CharField(max_length=10, choices=ConsentMethod.choices)
    recorded_by = models.CharField(max_length=200)
    recorded_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    def allows(self, scope: str) -> bool:
        return self.given and self.withdrawn_at is None and scope in self.scopes


class ReferralHistory(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    business_status = models.CharField(max_length=30, choices=BusinessStatus.choices, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    organisation = models.ForeignKey(
        "assets.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "referral history"


class AccessAction(models.TextChoices):
    LIST = "list", _("Listed")
    READ = "read", _("Read")
    CREATE = "create", _("Created")
    TRANSITION = "transition", _("Changed status")
    OUTCOME = "outcome", _("Recorded an outcome")
    CONSENT = "consent", _("Changed consent")
    ANONYMISE = "anonymise", _("Anonymised after the retention period")


class AccessOutcome(models.TextChoices):
    ALLOWED = "allowed", _("Allowed")
    REFUSED = "refused", _("Refused")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The referral access log is append-only.")

    def delete(self):
        raise PermissionError("The referral access log is append-only.")


class ReferralAccessLog(models.Model):
    """Who touched which referral, how, and whether it was allowed (docs/quality.md D2).

    `referral_id` is a plain UUID, not a foreign key, so the log outlives the
    referral and records refused attempts on ids that do not exist.
    """

    referral_id = models.UUIDField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=12, choices=AccessAction.choices)
    outcome = models.CharField(max_length=10, choices=AccessOutcome.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "assets.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The referral access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The referral access log is append-only.")


class Outcome(models.Model):
    """One completed measure (e.g. ONS4) at a stage; answers validated by its instrument."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="outcomes")
    instrument = models.CharField(max_length=40)
    stage = models.CharField(max_length=12, choices=OutcomeStage.choices)
    answers = models.JSONField()
    recorded_by_organisation = models.ForeignKey(
        "assets.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "pk"]


class GpRecordEvent(models.Model):
    """A coded event the referrer writes back to the person's GP record."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="gp_record_events")
    # A concept id from the table in referrals/snomed.py (no choices here, so the
    # table can grow without a migration).
    snomed_code = models.CharField(max_length=20)
    occurred_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "snomed_code"], name="gp_record_event_once_per_code"),
        ]

    @property
    def display(self) -> str:
        return term_for(self.snomed_code)


class WebhookSubscription(models.Model):
    """An https URL a client asked to be told about its referrals' changes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("assets.Organisation", on_delete=models.CASCADE, related_name="webhooks")
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    url = models.URLField(max_length=500)
    # Shared with the client once, at registration; signs every delivery.
    secret = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting to send")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Gave up")


class WebhookDelivery(models.Model):
    """One event to one subscription; ids only, never personal data."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due")]
        verbose_name_plural = "webhook deliveries"


# docs/quality.md D3: every field that holds data about the person, and its class.
PERSONAL_DATA_FIELDS = {
    "given_name": "personal",
    "family_name": "personal",
    "preferred_name": "personal",
    "date_of_birth": "personal",
    "postcode": "personal",
    "phone": "personal",
    "email": "personal",
    "preferred_contact": "personal",
    "contact_times": "personal",
    "communication_needs": "special category",
    "do_not_contact": "personal",
    "what_matters": "special category",
    "needs": "special category",
    "notes": "special category",
    # The link worker's reason for referring outside the service's age limits or area.
    "eligibility_override_reason": "special category",
}
