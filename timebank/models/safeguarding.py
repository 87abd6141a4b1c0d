"""Safeguarding records, visible to coordinators only."""

from django.conf import settings
from django.db import models

from timebank.models.listings import Category
from timebank.models.members import Member


class SafeguardingCheckKind(models.TextChoices):
    REFERENCE = "reference", "Reference"
    DBS_BASIC = "dbs-basic", "DBS check (basic)"
    DBS_STANDARD = "dbs-standard", "DBS check (standard)"
    DBS_ENHANCED = "dbs-enhanced", "DBS check (enhanced)"


class SafeguardingCheck(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="safeguarding_checks")
    kind = models.CharField(max_length=20, choices=SafeguardingCheckKind.choices)
    reference_number = models.CharField(max_length=40, blank=True)
    referee_name = models.CharField(max_length=120, blank=True)
    checked_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-checked_on"]
        indexes = [models.Index(fields=["member", "kind", "expires_on"], name="safeguarding_check_current")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True) | models.Q(expires_on__gte=models.F("checked_on")),
                name="safeguarding_check_expires_after_checked",
            ),
        ]


class Incident(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="incidents")
    occurred_at = models.DateTimeField()
    what_happened = models.TextField(max_length=4000)
    action_taken = models.TextField(max_length=4000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]


class CategoryRestriction(models.Model):
    """A member may not be matched for help in this category."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="category_restrictions")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "category"], name="category_restriction_once"),
        ]
