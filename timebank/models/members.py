"""Member profiles: who someone is in the timebank, where, when, and how to reach them."""

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from timebank.models.timebanks import Timebank


class MemberStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    APPROVED = "approved", _("Approved")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    LEFT = "left", _("Left")
    DECLINED = "declined", _("Application declined")


class MemberKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation (care home, charity, …)")


class CommunicationNeed(models.TextChoices):
    EASY_READ = "easy-read", _("Easy read")
    LARGE_PRINT = "large-print", _("Large print")
    BSL = "bsl", _("British Sign Language")
    PHONE_ONLY = "phone-only", _("Phone only")
    NO_EMAIL = "no-email", _("No e-mail: letters please")


class DigestFrequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    NEVER = "never", _("Never")


class GuardianConsentMethod(models.TextChoices):
    IN_PERSON = "in-person", _("In person, to a coordinator")
    PHONE = "phone", _("By phone, to a coordinator")
    SIGNED_FORM = "signed-form", _("A signed form or letter")
    EMAIL = "email", _("By e-mail")


# Each day and part of a day as one whole phrase, so a language can put the
# words in its own order ("Tuesday morning", "Bore dydd Mawrth").
_SLOT_NAMES = {
    "mon-morning": _("Monday morning"),
    "mon-afternoon": _("Monday afternoon"),
    "mon-evening": _("Monday evening"),
    "tue-morning": _("Tuesday morning"),
    "tue-afternoon": _("Tuesday afternoon"),
    "tue-evening": _("Tuesday evening"),
    "wed-morning": _("Wednesday morning"),
    "wed-afternoon": _("Wednesday afternoon"),
    "wed-evening": _("Wednesday evening"),
    "thu-morning": _("Thursday morning"),
    "thu-afternoon": _("Thursday afternoon"),
    "thu-evening": _("Thursday evening"),
    "fri-morning": _("Friday morning"),
    "fri-afternoon": _("Friday afternoon"),
    "fri-evening": _("Friday evening"),
    "sat-morning": _("Saturday morning"),
    "sat-afternoon": _("Saturday afternoon"),
    "sat-evening": _("Saturday evening"),
    "sun-morning": _("Sunday morning"),
    "sun-afternoon": _("Sunday afternoon"),
    "sun-evening": _("Sunday evening"),
}


class Availability:
    """Days and parts of day packed in one integer: bit = day * 3 + part.

    An integer lets matching test overlap with one bitwise AND, in SQL or Python.
    """

    DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    DAY_NAMES = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
    PARTS = ["morning", "afternoon", "evening"]

    @classmethod
    def bit(cls, day: str, part: str) -> int:
        return 1 << (cls.DAYS.index(day) * 3 + cls.PARTS.index(part))

    @classmethod
    def from_slots(cls, slots) -> int:
        value = 0
        for slot in slots:
            day, part = slot.split("-", 1)
            value |= cls.bit(day, part)
        return value

    @classmethod
    def to_slots(cls, value: int) -> list[str]:
        return [f"{d}-{p}" for d in cls.DAYS for p in cls.PARTS if value & cls.bit(d, p)]

    @classmethod
    def choices(cls) -> list[tuple[str, Any]]:
        """(slot, its name in the language of the page when shown): lazy, so a form may hold them."""
        return [(f"{d}-{p}", _SLOT_NAMES[f"{d}-{p}"]) for d in cls.DAYS for p in cls.PARTS]

    @classmethod
    def describe(cls, value: int) -> list[str]:
        """Plain words, e.g. ["Tuesday morning", "Friday afternoon"]."""
        return [str(_SLOT_NAMES[f"{d}-{p}"]) for d in cls.DAYS for p in cls.PARTS if value & cls.bit(d, p)]


class Member(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    timebank = models.ForeignKey(Timebank, on_delete=models.PROTECT, related_name="members")
    # Null for members who are not online: a coordinator acts for them.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="member"
    )
    kind = models.CharField(max_length=20, choices=MemberKind.choices, default=MemberKind.PERSON)
    display_name = models.CharField(max_length=80)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    postcode = models.CharField(max_length=10, blank=True, help_text="Full postcode or district, e.g. RG1 7QE or RG1")
    postcode_district = models.CharField(max_length=5, blank=True, db_index=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    travel_radius_km = models.PositiveSmallIntegerField(default=3)
    availability = models.PositiveIntegerField(default=0)
    communication_needs = models.JSONField(default=list, blank=True)
    about = models.TextField(blank=True, max_length=2000)
    # "What matters to you", carried from a social-prescribing referral with the
    # person's consent: seen by the member and the timebank's coordinators only,
    # never by other members (unlike `about`).
    what_matters = models.TextField(blank=True, max_length=2000)
    status = models.CharField(max_length=20, choices=MemberStatus.choices, default=MemberStatus.APPLIED, db_index=True)
    digest = models.CharField(max_length=10, choices=DigestFrequency.choices, default=DigestFrequency.WEEKLY)
    joined_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    first_exchange_at = models.DateTimeField(null=True, blank=True)
    last_exchange_at = models.DateTimeField(null=True, blank=True)
    status_note = models.CharField(max_length=300, blank=True)
    last_digest_sent_at = models.DateTimeField(null=True, blank=True)
    # Set once by privacy.services.member_erase: the person's details are gone
    # and the member shows as "Former member"; the account and its history stay.
    erased_at = models.DateTimeField(null=True, blank=True)
    # Carers as members in their own right (docs/coproduction-carers.md). Who
    # they look after is in their own words and seen by coordinators only; the
    # link to that person's membership, when they are a member, is set by a
    # coordinator. Erasure blanks both (privacy/carers.py).
    is_carer = models.BooleanField(default=False)
    cares_for = models.CharField(max_length=300, blank=True)
    cares_for_member = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # "I am under 18", answered at joining: no date of birth is kept. An
    # under-18 member (a young carer) is approved only once a parent's or
    # guardian's consent is recorded, and is never paired one-to-one with an
    # adult without a coordinator's approval (timebank.selectors.safeguarding).
    # A coordinator clears it when they turn 18.
    under_18 = models.BooleanField(default=False)
    guardian_name = models.CharField(max_length=120, blank=True)
    guardian_relationship = models.CharField(max_length=60, blank=True)
    guardian_consent_method = models.CharField(max_length=20, choices=GuardianConsentMethod.choices, blank=True)
    guardian_consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    guardian_consent_at = models.DateTimeField(null=True, blank=True)
    # The language the person reads: pages after they sign in, and every e-mail
    # and letter sent to them (core.i18n). Blank: not chosen yet, so the
    # visitor's cookie or browser decides and e-mails go in LANGUAGE_CODE.
    language = models.CharField(max_length=8, blank=True, choices=settings.LANGUAGES)

    class Meta:
        ordering = ["display_name"]
        indexes = [
            models.Index(fields=["timebank", "status"], name="member_timebank_status"),
            models.Index(fields=["latitude", "longitude"], name="member_lat_lng"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(travel_radius_km__lte=100), name="member_travel_radius_at_most_100km"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def has_guardian_consent(self) -> bool:
        return self.guardian_consent_at is not None

    @property
    def can_exchange(self) -> bool:
        return self.status in (MemberStatus.APPROVED, MemberStatus.ACTIVE)
