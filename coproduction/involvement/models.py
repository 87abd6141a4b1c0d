"""Opportunities to take part, who signed up and came, and the expenses they claim.

Invariants (mirrored as named constraints where the database can hold them):
- an Opportunity belongs to one timebank (whose members see it and whose ledger
  pays its hours) and is hosted by that timebank or by a directory organisation;
- hours are integer minutes, money is integer pence, never floats;
- a member takes part in an opportunity at most once (one Participation), and
  is credited for it at most once: `Participation.credited_by` names the one
  ledger transfer that paid them, written by services.attendance_record only;
- a member claims expenses for an opportunity at most once (one ExpenseClaim per
  Participation), with lines of the kinds the opportunity's policy covers;
- a receipt is kept in the database (never at a public address) and served only
  through a permission-checked page;
- every change of a claim's state is an ExpenseClaimEvent row (who, when, and
  the written question or answer, if any).

Another app (voice) points at Opportunity for feedback on an activity and asks
"did this member attend?" through selectors.member_attended.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OpportunityStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class Opportunity(models.Model):
    """A chance to take part in planning: a meeting, a panel, a workshop."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    timebank = models.ForeignKey("timebank.Timebank", on_delete=models.PROTECT, related_name="opportunities")
    # Blank: the timebank itself hosts it.
    host_organisation = models.ForeignKey(
        "assets.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="opportunities"
    )
    # The organisation member (Member of kind "organisation") whose account pays the
    # hours; blank: the timebank's community pot.
    paid_from = models.ForeignKey(
        "timebank.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="opportunities_paid"
    )
    title = models.CharField(max_length=150)
    what = models.TextField(max_length=2000)
    why_it_matters = models.TextField(max_length=2000, blank=True)
    what_will_change = models.TextField(max_length=2000, blank=True)
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField()
    place = models.CharField(max_length=200, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    postcode_district = models.CharField(max_length=5, blank=True)
    online = models.BooleanField(default=False)
    access_information = models.TextField(max_length=2000, blank=True)
    contact_name = models.CharField(max_length=100)
    contact_phone = models.CharField(max_length=30)
    hours_minutes = models.PositiveIntegerField(default=0)
    payment_pence = models.PositiveIntegerField(default=0)
    covers_travel = models.BooleanField(default=True)
    covers_care = models.BooleanField(default=False)
    covers_other = models.BooleanField(default=False)
    expenses_note = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=10, choices=OpportunityStatus.choices, default=OpportunityStatus.DRAFT, db_index=True
    )
    # The last refused attempt to publish, and why, shown on the opportunity's page.
    publish_refused_at = models.DateTimeField(null=True, blank=True)
    publish_refused_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name_plural = "opportunities"
        indexes = [models.Index(fields=["timebank", "status", "starts_at"], name="opportunity_tb_status_start")]
        constraints = [
            models.CheckConstraint(condition=models.Q(duration_minutes__gt=0), name="opportunity_duration_positive"),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__lte=24 * 60), name="opportunity_duration_at_most_a_day"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def covered_kinds(self) -> list[str]:
        kinds: list[str] = []
        if self.covers_travel:
            kinds.append(ExpenseKind.TRAVEL)
        if self.covers_care:
            kinds.append(ExpenseKind.CARE)
        if self.covers_other:
            kinds.append(ExpenseKind.OTHER)
        return kinds


class ParticipationStatus(models.TextChoices):
    SIGNED_UP = "signed-up", _("Signed up")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ATTENDED = "attended", _("Attended")
    DID_NOT_ATTEND = "absent", _("Did not attend")


class Participation(models.Model):
    """A member's "I'd like to take part", and whether they came."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    opportunity = models.ForeignKey(Opportunity, on_delete=models.PROTECT, related_name="participations")
    member = models.ForeignKey("timebank.Member", on_delete=models.PROTECT, related_name="participations")
    status = models.CharField(
        max_length=10, choices=ParticipationStatus.choices, default=ParticipationStatus.SIGNED_UP, db_index=True
    )
    # Copied from the member's profile when they signed up, so the organiser sees
    # what to arrange; blanked on erasure.
    access_needs = models.TextField(max_length=1000, blank=True)
    communication_needs = models.JSONField(default=list, blank=True)
    signed_up_at = models.DateTimeField(auto_now_add=True)
    attended_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The one transfer that credited this person's hours; set once.
    credited_by = models.ForeignKey(
        "timebank.Transfer", null=True, blank=True, on_delete=models.PROTECT, related_name="involvement_credits"
    )

    class Meta:
        ordering = ["signed_up_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "member"], name="participation_once_per_member"),
            models.CheckConstraint(
                condition=models.Q(credited_by__isnull=True) | models.Q(status="attended"),
                name="participation_credited_only_if_attended",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} at {self.opportunity}"


class InvolvementProfile(models.Model):
    """What a member told us once about their access needs, reused for every
    later sign-up so they are never asked again (the Member profile has no
    access-needs field)."""

    member = models.OneToOneField("timebank.Member", on_delete=models.CASCADE, related_name="involvement_profile")
    access_needs = models.TextField(max_length=1000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Access needs of {self.member}"


class ExpenseKind(models.TextChoices):
    TRAVEL = "travel", _("Travel")
    CARE = "care", _("Care cover for someone you look after")
    OTHER = "other", _("Other costs")


class ClaimStatus(models.TextChoices):
    ESTIMATED = "estimated", _("Estimate sent")
    SUBMITTED = "submitted", _("Waiting for approval")
    QUESTION = "question", _("Question asked")
    APPROVED = "approved", _("Approved, waiting to be paid")
    PAID = "paid", _("Paid")
    DECLINED = "declined", _("Not approved")


class ExpenseClaim(models.Model):
    """One participant's expenses for one opportunity: an estimate before, the
    actual amounts after, then approval and payment."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    participation = models.OneToOneField(Participation, on_delete=models.PROTECT, related_name="expense_claim")
    status = models.CharField(max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.ESTIMATED, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The promise in force when the claim was submitted (settings.EXPENSES_PAY_WITHIN_DAYS).
    pay_within_days = models.PositiveSmallIntegerField(default=14)

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="paid") | models.Q(paid_at__isnull=False, approved_at__isnull=False),
                name="expense_claim_paid_has_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"Expenses of {self.participation}"


class ExpenseLine(models.Model):
    claim = models.ForeignKey(ExpenseClaim, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=10, choices=ExpenseKind.choices)
    description = models.CharField(max_length=200, blank=True)
    estimate_pence = models.PositiveIntegerField(default=0)
    actual_pence = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(estimate_pence__lte=100_000_00), name="expense_line_estimate_cap"
            ),
            models.CheckConstraint(
                condition=models.Q(actual_pence__isnull=True) | models.Q(actual_pence__lte=100_000_00),
                name="expense_line_actual_cap",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description}"


class ExpenseReceipt(models.Model):
    """A photo or PDF of a receipt, kept in the database so it has no public
    address; its type is read from its first bytes, never from its name."""

    line = models.OneToOneField(ExpenseLine, on_delete=models.CASCADE, related_name="receipt")
    content_type = models.CharField(max_length=30)
    size_bytes = models.PositiveIntegerField()
    data = models.BinaryField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Receipt for {self.line}"


class ClaimAction(models.TextChoices):
    ESTIMATED = "estimated", _("Estimate sent")
    SUBMITTED = "submitted", _("Actual amounts sent")
    QUESTION = "question", _("Question asked")
    ANSWER = "answer", _("Question answered")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Not approved")
    PAID = "paid", _("Marked paid")


class ExpenseClaimEvent(models.Model):
    """One row per change of a claim: who did what, when, and what they wrote."""

    claim = models.ForeignKey(ExpenseClaim, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=10, choices=ClaimAction.choices)
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.created_at:%Y-%m-%d})"
