"""Feedback, ideas and votes, and "You said, we did" (issue 17, part 4).

- `Rating`: one person's rating of one thing on a five-point smiley scale, with
  optional words. The thing is an exchange the member took part in, a service
  of the community directory, or a referral's first contact (recorded by the
  receiving organisation on the referred person's behalf). One rating per
  person per thing (named unique constraints); rating again changes it.
- `Idea`: a member's proposal for their timebank, with a coordinator's public
  response (status and words). "You said, we did" lists the done ones.
- `IdeaVote`: one member's vote for one idea; a unique constraint keeps it to
  one, whatever the page or a double click sends.

Writes are in coproduction.voice.services, reads in coproduction.voice.selectors.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from timebank.models import Category, Member, Timebank

WORDS_MAX_LENGTH = 500
IDEA_TITLE_MAX_LENGTH = 120
IDEA_TEXT_MAX_LENGTH = 2000
RESPONSE_MAX_LENGTH = 2000


class Score(models.IntegerChoices):
    """The smiley scale: each point has words, never only a face."""

    VERY_GOOD = 5, _("Very good")
    GOOD = 4, _("Good")
    OK = 3, _("OK")
    NOT_GOOD = 2, _("Not good")
    BAD = 1, _("Bad")


# Decorative faces shown next to the words (hidden from screen readers).
FACES = {5: "😄", 4: "🙂", 3: "😐", 2: "🙁", 1: "😞"}


class Subject(models.TextChoices):
    EXCHANGE = "exchange", _("An exchange")
    SERVICE = "service", _("A community service")
    REFERRAL = "referral", _("A referral's first contact")
    OPPORTUNITY = "opportunity", _("An activity to take part in")


class Rating(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subject = models.CharField(max_length=12, choices=Subject.choices)
    # The timebank whose reports count it: the exchange's, the rating member's
    # (a service), the referral's target timebank (None for a referral to a service).
    timebank = models.ForeignKey(Timebank, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The member whose rating it is (None for a referred person rated on their behalf).
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="ratings")
    exchange = models.ForeignKey(
        "timebank.Exchange", null=True, blank=True, on_delete=models.CASCADE, related_name="ratings"
    )
    service = models.ForeignKey("assets.Service", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # An involvement opportunity (coproduction.involvement) the member attended.
    opportunity = models.ForeignKey(
        "involvement.Opportunity", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The exchange's category of help when it was rated (reports by category).
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    score = models.PositiveSmallIntegerField(choices=Score.choices)
    words = models.CharField(max_length=WORDS_MAX_LENGTH, blank=True)
    # Who typed it in: the member, or the organiser who recorded it on the person's behalf.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    on_behalf = models.BooleanField(default=False)
    easy_read = models.BooleanField(default=False)
    rated_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-rated_at", "-pk"]
        indexes = [models.Index(fields=["timebank", "subject", "rated_at"], name="rating_timebank_subject_at")]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"),
            # Exactly one thing is rated, the one `subject` names; members rate
            # exchanges, services and activities themselves.
            models.CheckConstraint(
                condition=(
                    Q(subject="exchange", exchange__isnull=False, member__isnull=False)
                    & Q(service__isnull=True, referral__isnull=True, opportunity__isnull=True)
                    | Q(subject="service", service__isnull=False, member__isnull=False)
                    & Q(exchange__isnull=True, referral__isnull=True, opportunity__isnull=True)
                    | Q(subject="referral", referral__isnull=False)
                    & Q(exchange__isnull=True, service__isnull=True, opportunity__isnull=True)
                    | Q(subject="opportunity", opportunity__isnull=False, member__isnull=False)
                    & Q(exchange__isnull=True, service__isnull=True, referral__isnull=True)
                ),
                name="rating_one_subject",
            ),
            models.UniqueConstraint(
                fields=["member", "exchange"], condition=Q(exchange__isnull=False), name="rating_once_per_exchange"
            ),
            models.UniqueConstraint(
                fields=["member", "service"], condition=Q(service__isnull=False), name="rating_once_per_service"
            ),
            models.UniqueConstraint(
                fields=["member", "opportunity"],
                condition=Q(opportunity__isnull=False),
                name="rating_once_per_opportunity",
            ),
            models.UniqueConstraint(
                fields=["referral"], condition=Q(referral__isnull=False), name="rating_once_per_referral"
            ),
        ]

    def __str__(self) -> str:
        return f"Rating {self.public_id}"

    @property
    def face(self) -> str:
        return FACES.get(self.score, "")


class IdeaStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a response")
    CONSIDERING = "considering", _("Under consideration")
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    NOT_NOW = "not-now", _("Not now")


# Ideas that can still be voted for.
VOTABLE_STATUSES = (IdeaStatus.OPEN, IdeaStatus.CONSIDERING, IdeaStatus.PLANNED)


class Idea(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    timebank = models.ForeignKey(Timebank, on_delete=models.PROTECT, related_name="+")
    proposed_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="ideas")
    title = models.CharField(max_length=IDEA_TITLE_MAX_LENGTH)
    description = models.TextField(max_length=IDEA_TEXT_MAX_LENGTH, blank=True)
    status = models.CharField(max_length=12, choices=IdeaStatus.choices, default=IdeaStatus.OPEN)
    # The coordinator's public response: what they will do, or what changed.
    response = models.TextField(max_length=RESPONSE_MAX_LENGTH, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["timebank", "status"], name="idea_timebank_status")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=[s.value for s in IdeaStatus]), name="idea_status_known"),
            # A coordinator's answer always says something.
            models.CheckConstraint(condition=Q(status="open") | ~Q(response=""), name="idea_answer_has_words"),
        ]

    def __str__(self) -> str:
        return self.title


class IdeaVote(models.Model):
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="idea_votes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # One vote per member per idea, however many requests arrive at once.
            models.UniqueConstraint(fields=["idea", "member"], name="idea_vote_once_per_member"),
        ]

    def __str__(self) -> str:
        return f"Vote for idea {self.idea_id}"
