"""The co-production self-assessment: the ladder, the values, the statements
people answer, and the rounds of answers an organisation keeps over time.

- `Rung`, `Value` and `Statement` are shared by the whole install and live in
  the database (seeded by migration 0002, edited by a network administrator on
  the statements page). A statement is never deleted once answered: it is
  retired, so old rounds' answers keep their meaning.
- A `Round` belongs to one timebank (the "organisation" answering). It fixes,
  when it is opened, which statements it asks (`Round.statements`), so a
  statement added or retired later does not change an old round. One open
  round per timebank (a named constraint).
- An `AnswerSet` is one person's answers in one round: a coordinator answers
  as staff, a member as a member. One per person per round (a named
  constraint). Results show only totals, never who answered what.
- An `Answer` is a score from 0 ("Not at all") to 3 ("Completely"), or empty
  for "Don't know", which counts in no average.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from timebank.models import Timebank


class Score(models.IntegerChoices):
    NOT_AT_ALL = 0, _("Not at all")
    A_LITTLE = 1, _("A little")
    MOSTLY = 2, _("Mostly")
    COMPLETELY = 3, _("Completely")


# A rung is reached when its statements score, on average, at least this
# (docs/coproduction-assessment.md, "Where the organisation sits").
REACHED_AT = Score.MOSTLY
HIGHEST_SCORE = Score.COMPLETELY


class Side(models.TextChoices):
    STAFF = "staff", _("Staff")
    MEMBER = "member", _("Members")


class Rung(models.Model):
    """A rung of Think Local Act Personal's ladder of co-production; 1 is the bottom."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(unique=True)
    stage = models.CharField(max_length=40, help_text=_("Doing to, doing for or doing with."))
    description = models.TextField(max_length=500)
    next_step = models.TextField(
        max_length=1000, blank=True, help_text=_("What an organisation on the rung below can do to reach this one.")
    )

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name


class Value(models.Model):
    """A value of co-production (sharing power, including everyone, ...)."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(unique=True)
    description = models.TextField(max_length=500)
    next_step = models.TextField(max_length=1000, blank=True)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name


class Statement(models.Model):
    """One statement: staff read `staff_text` ("We ..."), members `member_text`
    ("They ...", about the organisation)."""

    rung = models.ForeignKey(Rung, on_delete=models.PROTECT, related_name="statements")
    value = models.ForeignKey(Value, on_delete=models.PROTECT, related_name="statements")
    staff_text = models.CharField(max_length=300)
    member_text = models.CharField(max_length=300)
    next_step = models.TextField(max_length=1000, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["rung__position", "position", "pk"]

    def __str__(self) -> str:
        return self.staff_text

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class Round(models.Model):
    """One round of the self-assessment by one timebank."""

    timebank = models.ForeignKey(Timebank, on_delete=models.CASCADE, related_name="assessment_rounds")
    title = models.CharField(max_length=100)
    opened_on = models.DateField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    statements = models.ManyToManyField(Statement, related_name="rounds")

    class Meta:
        ordering = ["-opened_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["timebank"],
                condition=Q(closed_at__isnull=True),
                name="assessment_one_open_round_per_timebank",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class AnswerSet(models.Model):
    """One person's answers in one round. `respondent` is kept only so that a
    person answers once and can change their answers while the round is open;
    erasure unlinks it. Results never show it."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="answer_sets")
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    side = models.CharField(max_length=10, choices=Side.choices)
    submitted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "respondent"], name="assessment_one_answer_set_per_person"),
            models.CheckConstraint(condition=Q(side__in=Side.values), name="assessment_answer_set_side_known"),
        ]


class Answer(models.Model):
    """A score for one statement; empty for "Don't know"."""

    answer_set = models.ForeignKey(AnswerSet, on_delete=models.CASCADE, related_name="answers")
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="answers")
    score = models.PositiveSmallIntegerField(null=True, blank=True, choices=Score.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["answer_set", "statement"], name="assessment_one_answer_per_statement"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=HIGHEST_SCORE),
                name="assessment_answer_score_on_the_scale",
            ),
        ]
