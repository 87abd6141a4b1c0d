"""Keeping listings true: organisers' claims, people's problem reports, review reminders."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from assets.models.directory import Organisation, Service


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a coordinator")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not approved")


class OrganisationClaim(models.Model):
    """ "I run this group": a user asks to manage an organisation's listings."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="claims")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="claims")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation_claims")
    message = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"],
                condition=models.Q(status="pending"),
                name="organisation_claim_one_pending_per_user",
            ),
        ]


class ProblemKind(models.TextChoices):
    WRONG_DETAILS = "wrong-details", _("Some details are wrong")
    CLOSED = "closed", _("It has closed or stopped running")
    NO_REPLY = "no-reply", _("Nobody replies")
    OTHER = "other", _("Something else")


class ProblemReport(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="problem_reports")
    kind = models.CharField(max_length=20, choices=ProblemKind.choices)
    details = models.TextField(blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reporter_email = models.EmailField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["resolved_at", "created_at"], name="problem_report_queue_idx")]


class ReviewReminder(models.Model):
    """One row per (service, months stale) sent, so a reminder goes once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="review_reminders")
    months = models.PositiveSmallIntegerField()
    # The review date the reminder was about: a new review starts a new cycle.
    last_reviewed = models.DateField(null=True, blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "months", "last_reviewed"], name="review_reminder_once_per_cycle"
            ),
        ]
