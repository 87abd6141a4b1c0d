"""Exchanges: one provider gives time to one or more receivers.

The lifecycle lives in timebank.exchanges (a transition table); this module
holds only the rows. Each change of status writes an ExchangeHistory row.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from timebank.models.listings import Listing
from timebank.models.members import Member
from timebank.models.timebanks import Timebank


class ExchangeStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    DONE = "done", _("Done: waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    POSTED = "posted", _("Hours recorded")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    DISPUTED = "disputed", _("Disputed")


class Exchange(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    timebank = models.ForeignKey(Timebank, on_delete=models.PROTECT, related_name="exchanges")
    listing = models.ForeignKey(Listing, null=True, blank=True, on_delete=models.SET_NULL, related_name="exchanges")
    provider = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="exchanges_given")
    receivers = models.ManyToManyField(Member, through="ExchangeReceiver", related_name="exchanges_received")
    description = models.CharField(max_length=300, blank=True)
    agreed_for = models.DateTimeField(null=True, blank=True, help_text="When the help is planned")
    minutes = models.PositiveIntegerField(null=True, blank=True, help_text="Minutes given, recorded by the provider")
    # The day the help was given, asked for when the time is recorded (not the day it
    # was recorded): statements, reports and the monthly figures count it on this day.
    helped_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=ExchangeStatus.choices, default=ExchangeStatus.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Recorded by a coordinator for members who are not online.
    recorded_by_coordinator = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    confirm_reminded_at = models.DateTimeField(null=True, blank=True)
    # When confirming was refused because an account limit would be passed: the
    # exchange stays done, and the receiver and coordinators are told so it can be
    # resolved (timebank.services.exchanges); cleared once it is posted or cancelled.
    limit_refused_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["timebank", "status"], name="exchange_timebank_status"),
            models.Index(fields=["provider", "status"], name="exchange_provider_status"),
            models.Index(fields=["status", "done_at"], name="exchange_status_done"),
        ]
        constraints = [
            # docs/quality.md A6: one exchange is at most a day of someone's time.
            models.CheckConstraint(
                condition=models.Q(minutes__isnull=True) | models.Q(minutes__gt=0, minutes__lte=24 * 60),
                name="exchange_minutes_between_1_and_1440",
            ),
        ]

    def __str__(self) -> str:
        return f"Exchange {self.public_id}"


class ExchangeReceiver(models.Model):
    exchange = models.ForeignKey(Exchange, on_delete=models.CASCADE, related_name="receiver_links")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["exchange", "member"], name="exchange_receiver_once"),
        ]


class ExchangeHistory(models.Model):
    exchange = models.ForeignKey(Exchange, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=12, choices=ExchangeStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ExchangeStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "exchange history"
