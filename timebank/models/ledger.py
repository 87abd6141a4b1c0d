"""Ledger rows: accounts, transfers and entries, in integer minutes.

Only timebank.ledger writes these rows. The invariants are mirrored here as
named database constraints so that code which bypasses the ledger module is
still refused (docs/quality.md L2): non-zero entries, balances within limits, one
reversal per transfer and no reversal of a reversal. Sum-to-zero per transfer
is enforced by a deferred PostgreSQL trigger; append-only and "no reversal of
a reversal" by triggers on both databases (see the timebank migrations), and
by the ledger module everywhere.
"""

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from timebank.models.members import Member
from timebank.models.timebanks import Timebank


class LedgerRowIsAppendOnlyError(Exception):
    """Transfers and entries are never changed or deleted: reverse them instead."""


class AccountKind(models.TextChoices):
    MEMBER = "member", _("Member")
    POT = "pot", _("Community pot")
    OPENING = "opening", _("Opening balances")


class Account(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    timebank = models.ForeignKey(Timebank, on_delete=models.PROTECT, related_name="accounts")
    kind = models.CharField(max_length=10, choices=AccountKind.choices)
    member = models.OneToOneField(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="account")
    name = models.CharField(max_length=120)
    # Cached Σ entries.minutes, changed only by timebank.ledger under a row lock.
    balance = models.IntegerField(default=0)
    min_balance = models.IntegerField(
        null=True, blank=True, help_text="Lowest allowed balance in minutes; blank = no limit"
    )
    max_balance = models.IntegerField(
        null=True, blank=True, help_text="Highest allowed balance in minutes; blank = no limit"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_balance__isnull=True) | models.Q(balance__gte=models.F("min_balance")),
                name="account_balance_not_below_min",
            ),
            models.CheckConstraint(
                condition=models.Q(max_balance__isnull=True) | models.Q(balance__lte=models.F("max_balance")),
                name="account_balance_not_above_max",
            ),
            models.CheckConstraint(
                condition=(models.Q(kind="member") & models.Q(member__isnull=False))
                | (~models.Q(kind="member") & models.Q(member__isnull=True)),
                name="account_member_iff_member_kind",
            ),
            models.UniqueConstraint(
                fields=["timebank", "kind"],
                condition=~models.Q(kind="member"),
                name="account_one_system_account_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TransferKind(models.TextChoices):
    EXCHANGE = "exchange", _("Exchange")
    GIFT = "gift", _("Gift")
    GRANT = "grant", _("Grant from the community pot")
    DONATION = "donation", _("Donation to the community pot")
    REVERSAL = "reversal", _("Reversal")
    OPENING = "opening", _("Opening balance")
    # Hours for taking part in planning a service (coproduction.involvement):
    # attendance recorded by the organiser, paid from the organisation's account
    # or the community pot.
    INVOLVEMENT = "involve", _("Taking part in planning")


def stored_memo(kind: str) -> str:
    """A transfer kind's name as a memo is stored: in English, whoever records
    it (a statement shows it in the reader's language: `memo_words`)."""
    with translation.override("en-gb"):
        return str(TransferKind(kind).label)


def memo_words(memo: str, kind: str) -> str:
    """A stored memo as the reader sees it: the kind's name in their language
    when the memo is that name (or empty); any other memo as it was written."""
    if not memo or memo == stored_memo(kind):
        return str(TransferKind(kind).label)
    return memo


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerRowIsAppendOnlyError("Ledger rows cannot be changed; record a reversal instead.")

    def delete(self):
        raise LedgerRowIsAppendOnlyError("Ledger rows cannot be deleted; record a reversal instead.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise LedgerRowIsAppendOnlyError("Ledger rows cannot be changed; record a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerRowIsAppendOnlyError("Ledger rows cannot be deleted; record a reversal instead.")


class Transfer(AppendOnlyModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    timebank = models.ForeignKey(Timebank, on_delete=models.PROTECT, related_name="transfers")
    kind = models.CharField(max_length=10, choices=TransferKind.choices)
    # Written by the system only ("Gift", "Exchange", "Reversal of a gift"): it
    # can never be changed, so it never holds a name or anything a person typed.
    # Those go in TransferNote, which erasure can blank.
    memo = models.CharField(max_length=300, blank=True)
    # PROTECT, not SET_NULL: clearing it would UPDATE an append-only row, which
    # the triggers refuse. Someone who recorded transfers is deactivated, not deleted.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    exchange = models.OneToOneField(
        "timebank.Exchange", null=True, blank=True, on_delete=models.PROTECT, related_name="transfer"
    )
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    # NULL, not "": a unique key allows many transfers without one.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["timebank", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="transfer_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=(models.Q(kind="reversal") & models.Q(reverses__isnull=False))
                | (~models.Q(kind="reversal") & models.Q(reverses__isnull=True)),
                name="transfer_reversal_has_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.public_id}"


class TransferNote(models.Model):
    """What a person wrote with a transfer: a gift's message, a donation's note,
    a grant's or a reversal's reason, an exchange's description.

    Kept out of the append-only Transfer (whose memo is written by the system
    and never names anyone) because people put names, phone numbers and
    circumstances in it, and erasure must be able to blank it
    (privacy.services.member_erase). Not a ledger row: changing it moves no time.
    """

    transfer = models.OneToOneField(Transfer, on_delete=models.CASCADE, related_name="note")
    text = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Note on {self.transfer}"


class Entry(AppendOnlyModel):
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    minutes = models.IntegerField()
    # Balance of the account just after this entry: lets a statement page show a
    # running balance without summing the account's history.
    balance_after = models.IntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = "entries"
        indexes = [models.Index(fields=["account", "-id"], name="entry_account_statement")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(minutes=0), name="entry_minutes_not_zero"),
        ]


# --- Summaries (timebank/summaries.py) ----------------------------------------------
# Kept by the ledger module in the same transaction as each posting, so reports
# read a few summary rows instead of every entry, and `ledger_check` proves they
# equal the entries. Days are the day the help happened for exchanges (the
# exchange's `helped_on`), else the day the transfer was recorded. A reversal
# takes its transfer back out of the day, kind and category it was counted in.


class LedgerDay(models.Model):
    """One timebank's transfers of one kind (and, for exchanges, one category) on one day."""

    timebank = models.ForeignKey(Timebank, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    kind = models.CharField(max_length=10, choices=TransferKind.choices)
    # The category of the listing an exchange was arranged from; null for none.
    category = models.ForeignKey("timebank.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    transfers = models.IntegerField(default=0)  # posted, less those reversed
    minutes = models.BigIntegerField(default=0)  # time moved, counted once per transfer
    pot_in = models.BigIntegerField(default=0)  # minutes into the community pot (every posting)
    pot_out = models.BigIntegerField(default=0)  # minutes out of it, as a positive number
    # Every posting in a timebank counts on the same day's row: spread over a few
    # rows (by database session) so concurrent postings do not queue on one row
    # lock. Reports add the slots up.
    slot = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "timebank", "day", "kind", Coalesce("category", Value(0)), "slot", name="ledger_day_once_per_key"
            ),
        ]
        indexes = [models.Index(fields=["timebank", "day"], name="ledger_day_timebank_day")]


class AccountDay(models.Model):
    """How many exchanges one member account gave and received in on one day."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    timebank = models.ForeignKey(Timebank, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    gave = models.IntegerField(default=0)
    received = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "day"], name="account_day_once")]
        indexes = [
            # Covering, in the report's GROUP BY order: the overview's count of active
            # members reads the index alone, without sorting (docs/quality.md P10). No
            # index starting (timebank, day): SQLite's planner, once it has statistics,
            # would take it for the day range and then sort every row to group them.
            models.Index(fields=["timebank", "account", "day", "gave", "received"], name="account_day_report"),
        ]


class PartnerDay(models.Model):
    """How many exchanges two member accounts shared on one day (one row each way)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    timebank = models.ForeignKey(Timebank, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    exchanges = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "partner", "day"], name="partner_day_once")]
        indexes = [
            # Covering, in the report's GROUP BY order (see AccountDay).
            models.Index(fields=["timebank", "account", "partner", "day", "exchanges"], name="partner_day_report"),
        ]


class LimitOverride(models.Model):
    """A coordinator let a correction through although it took an account past its
    limit (timebank.ledger.transfer_reverse with `override_limits_by`): the account's
    limit was widened to the balance the correction left, and this row says who,
    why, and what the limit was before. Never changed once written."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="limit_overrides")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="limit_overrides")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)
    min_balance_before = models.IntegerField(null=True, blank=True)
    max_balance_before = models.IntegerField(null=True, blank=True)
    min_balance_after = models.IntegerField(null=True, blank=True)
    max_balance_after = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "account"], name="limit_override_once_per_account"),
        ]
