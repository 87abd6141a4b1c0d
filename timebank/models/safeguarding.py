"""Safeguarding records, visible to coordinators only."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext, gettext_lazy as _

from timebank.models.listings import Category
from timebank.models.members import Member


class SafeguardingCheckKind(models.TextChoices):
    REFERENCE = "reference", _("Reference")
    DBS_BASIC = "dbs-basic", _("DBS check (basic)")
    DBS_STANDARD = "dbs-standard", _("DBS check (standard)")
    DBS_ENHANCED = "dbs-enhanced", _("DBS check (enhanced)")


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

    def clean(self) -> None:
        # brokering.services.safeguarding.restriction_add checks this too; here for the admin's forms.
        if self.category_id and self.member_id and self.category.timebank_id != self.member.timebank_id:
            raise ValidationError({"category": gettext("Choose one of the member's timebank's categories.")})


class SafeguardingOverrideIsAppendOnlyError(Exception):
    """A recorded override is never changed or deleted: it is the record of a decision."""


class SafeguardingOverrideQuerySet(models.QuerySet["SafeguardingOverride"]):
    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise SafeguardingOverrideIsAppendOnlyError("A safeguarding override cannot be changed.")

    def delete(self):  # type: ignore[no-untyped-def]
        raise SafeguardingOverrideIsAppendOnlyError("A safeguarding override cannot be deleted.")


class SafeguardingOverride(models.Model):
    """A coordinator let a member help although the safeguarding rule
    (timebank.selectors.safeguarding) found problems, and said why.

    Append-only: the record of a decision (who, when, for whom, in which
    category and place, which problems, why, and the exchange or offer it was
    for). Written only by timebank.services.safeguarding. PROTECT everywhere:
    clearing a link would change the record."""

    timebank = models.ForeignKey("timebank.Timebank", on_delete=models.PROTECT, related_name="+")
    # The helper the problems were about.
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="safeguarding_overrides")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    where = models.CharField(max_length=10, blank=True)
    # Problem codes (timebank.selectors.safeguarding.PROBLEM_CODES) and their messages at the time.
    problems = models.JSONField(default=list)
    problems_text = models.TextField(blank=True)
    reason = models.TextField(max_length=1000)
    exchange = models.ForeignKey(
        "timebank.Exchange", null=True, blank=True, on_delete=models.PROTECT, related_name="safeguarding_overrides"
    )
    listing = models.ForeignKey(
        "timebank.Listing", null=True, blank=True, on_delete=models.PROTECT, related_name="safeguarding_overrides"
    )
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SafeguardingOverrideQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(exchange__isnull=False) | models.Q(listing__isnull=False),
                name="safeguarding_override_for_exchange_or_listing",
            ),
        ]

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not self._state.adding:
            raise SafeguardingOverrideIsAppendOnlyError("A safeguarding override cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise SafeguardingOverrideIsAppendOnlyError("A safeguarding override cannot be deleted.")
