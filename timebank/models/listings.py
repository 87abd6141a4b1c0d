"""Listings: what members offer ("I can…") and ask for ("I'd like help with…")."""

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language, gettext, gettext_lazy as _

from timebank.models.members import Member
from timebank.models.timebanks import Timebank


class Category(models.Model):
    """A kind of help in one timebank's list, which its coordinators edit.

    Each timebank has its own categories and their safeguarding rules: a new
    timebank starts with a copy of the template (timebank.categories), and a
    listing's category is always one of its own timebank's (the services check)."""

    timebank = models.ForeignKey(Timebank, on_delete=models.PROTECT, related_name="categories")
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80)
    description = models.CharField(max_length=300, blank=True)
    # The Welsh name and description, shown to people reading in Cymraeg
    # (blank: the English is shown). `label`/`summary` pick by language.
    name_cy = models.CharField("Welsh name", max_length=80, blank=True)
    description_cy = models.CharField("Welsh description", max_length=300, blank=True)
    # Safeguarding: help in this category is only suggested to members whose
    # checks are current (brokering reads these).
    needs_dbs_check = models.BooleanField(default=False)
    needs_references = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            # Two timebanks may both have "Gardening"; one timebank has it once.
            models.UniqueConstraint(fields=["timebank", "slug"], name="category_slug_once_per_timebank"),
            models.UniqueConstraint(fields=["timebank", "name"], name="category_name_once_per_timebank"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the language of the page (Welsh when there is one)."""
        return self.name_cy if self.name_cy and _reading_welsh() else self.name

    @property
    def summary(self) -> str:
        return self.description_cy if self.description_cy and _reading_welsh() else self.description


def _reading_welsh() -> bool:
    return (get_language() or "").startswith("cy")


class ListingKind(models.TextChoices):
    OFFER = "offer", _("Offer")
    REQUEST = "request", _("Request")


class ListingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Where(models.TextChoices):
    HOME = "home", _("At home")
    PUBLIC = "public", _("In a public place")
    ONLINE = "online", _("Online")
    PHONE = "phone", _("By phone")


class CarersBreak(models.TextChoices):
    """What a carer's break request asks for. Helpers need a current DBS check
    (timebank.selectors.safeguarding) and coordinators see these requests."""

    SIT = "sit", _("Someone to sit with the person I look after")
    LIFT = "lift", _("A lift")
    PHONE_CALL = "phone-call", _("A phone call")


class Listing(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    timebank = models.ForeignKey(Timebank, on_delete=models.PROTECT, related_name="listings")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="listings")
    kind = models.CharField(max_length=10, choices=ListingKind.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="listings")
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=2000, blank=True)
    where = models.CharField(max_length=10, choices=Where.choices, default=Where.PUBLIC)
    status = models.CharField(max_length=10, choices=ListingStatus.choices, default=ListingStatus.OPEN)
    expires_on = models.DateField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    # When a request was first matched (an exchange proposed): waiting time ends.
    matched_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # A copy of the owner's place (Member.latitude/longitude), kept in step by
    # listing_create and member_update_profile. Why a copy: match suggestions
    # find in-person offers in a bounding box from one index on listings
    # (listing_offer_place) instead of reading every offer in the category and
    # its member row (docs/quality.md P6).
    latitude = models.FloatField(null=True, blank=True, editable=False)
    longitude = models.FloatField(null=True, blank=True, editable=False)
    # A carer's break request: its kind (CarersBreak), or blank for any other listing.
    carers_break = models.CharField(max_length=12, choices=CarersBreak.choices, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["timebank", "kind", "status", "category"], name="listing_browse"),
            models.Index(fields=["status", "expires_on"], name="listing_expiry"),
            models.Index(fields=["member", "kind", "status"], name="listing_member"),
            models.Index(
                fields=["timebank", "kind", "status", "category", "latitude", "longitude"], name="listing_offer_place"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(carers_break="") | models.Q(kind="request"), name="listing_carers_break_is_request"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        # The services check this too (timebank.services.listings); here for the admin's forms.
        if self.category_id and self.timebank_id and self.category.timebank_id != self.timebank_id:
            raise ValidationError({"category": gettext("Choose one of this timebank's categories.")})
        if self.carers_break and self.kind != ListingKind.REQUEST:
            raise ValidationError({"carers_break": gettext("Only a request can be a carer's break.")})
