"""Writes for listings (offers and requests) and each timebank's categories.

Rules kept here:
- only the listing's owner (the user of listing.member) or a coordinator may
  create, change, close or reopen a listing;
- a listing lives until `expires_on` (inclusive): it must be set in the future
  and at most a year ahead; by default it is today + LISTING_LIFETIME_DAYS;
- owners are reminded once, LISTING_REMINDER_DAYS before expiry, and a listing
  past its expiry is closed so it no longer shows when people browse;
- each timebank has its own categories: a listing's category is one of its
  timebank's, and only that timebank's coordinators edit them (names and slugs
  are unique within the timebank); a category is deactivated, never deleted,
  because listings refer to it;
- a carer's break (`carers_break`: sit with the person, a lift, a phone call)
  is a request by a member who says they look after someone; its helpers need
  a current DBS check (timebank.selectors.safeguarding) and coordinators see
  these requests on their workbench.
"""

import datetime
import logging
from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_lazy

from core.errors import ConflictError, InvalidInputError, NotAllowedError
from core.text import clean_text
from timebank import summaries
from timebank.models import CarersBreak, Category, Listing, ListingKind, ListingStatus, Member, Timebank, User, Where
from timebank.notifications import notify
from timebank.permissions import is_coordinator_of, require_coordinator_of
from timebank.services.safeguarding import safeguarding_override_record, safeguarding_require

logger = logging.getLogger(__name__)

MAX_LIFETIME_DAYS = 365
EDITABLE_FIELDS = ("title", "description", "where", "category", "expires_on", "carers_break")
TITLE_MAX = Listing._meta.get_field("title").max_length
DESCRIPTION_MAX = Listing._meta.get_field("description").max_length


CATEGORY_NAME_TAKEN = gettext_lazy("There is already a category with that name.")


def _require_owner_or_coordinator(*, member: Member, by_user: User | None) -> None:
    if is_coordinator_of(by_user, member.timebank_id):
        return
    if by_user is None or member.user_id is None or member.user_id != by_user.pk:
        raise NotAllowedError(gettext("Only the member who listed this, or a coordinator, can change it."))


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInputError(
            gettext("Give your listing a short title, for example “Help with the garden”."), field="title"
        )
    if TITLE_MAX is not None and len(title) > TITLE_MAX:
        raise InvalidInputError(
            gettext("Keep the title to %(max)s characters or fewer.") % {"max": TITLE_MAX}, field="title"
        )
    return title


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if DESCRIPTION_MAX is not None and len(description) > DESCRIPTION_MAX:
        raise InvalidInputError(
            gettext("Keep the description to %(max)s characters or fewer.") % {"max": DESCRIPTION_MAX},
            field="description",
        )
    return description


def _clean_where(where: str) -> str:
    if where not in Where.values:
        raise InvalidInputError(gettext("Choose where the help happens."), field="where")
    return where


def _clean_category(category: Category | None, *, timebank_id: int, current: Category | None = None) -> Category:
    if not isinstance(category, Category):
        raise InvalidInputError(gettext("Choose a category."), field="category")
    # Each timebank has its own categories (and safeguarding rules): a listing uses its timebank's.
    if category.timebank_id != timebank_id:
        raise InvalidInputError(
            gettext("That category is not one of this timebank's. Choose one from the list."), field="category"
        )
    # A listing may keep a category that has since been deactivated, but no new use of one.
    if not category.is_active and (current is None or current.pk != category.pk):
        raise InvalidInputError(gettext("That category is no longer in use. Choose another."), field="category")
    return category


def _clean_expires_on(expires_on: datetime.date, *, today: datetime.date) -> datetime.date:
    if not isinstance(expires_on, datetime.date) or isinstance(expires_on, datetime.datetime):
        raise InvalidInputError(gettext("Enter the date the listing should end."), field="expires_on")
    if expires_on <= today:
        raise InvalidInputError(gettext("The end date must be in the future."), field="expires_on")
    if expires_on > today + datetime.timedelta(days=MAX_LIFETIME_DAYS):
        raise InvalidInputError(
            gettext("A listing can last at most a year. Choose an earlier end date."), field="expires_on"
        )
    return expires_on


def _clean_carers_break(carers_break: object, *, kind: str, member: Member) -> str:
    if not carers_break:
        return ""
    if carers_break not in CarersBreak.values:
        raise InvalidInputError(gettext("Choose what kind of break you would like."), field="carers_break")
    if kind != ListingKind.REQUEST:
        raise InvalidInputError(gettext("Only a request can ask for a carer's break."), field="carers_break")
    if not member.is_carer:
        raise InvalidInputError(
            gettext(
                "A carer's break is for members who look after someone. "
                "Say on your profile that you look after someone, then ask again."
            ),
            field="carers_break",
        )
    return str(carers_break)


def listing_create(
    *,
    member: Member,
    kind: str,
    category: Category,
    title: str,
    description: str = "",
    where: str,
    expires_on: datetime.date | None = None,
    by_user: User | None,
    safeguarding_override_reason: str = "",
    carers_break: str = "",
) -> Listing:
    """List an offer ("I can…") or a request ("I'd like help with…") for `member`.

    An offer must pass the safeguarding rule (timebank.services.safeguarding):
    the member may not offer help they are restricted from or lack the checks
    for, unless a coordinator of the timebank overrides with a reason."""
    _require_owner_or_coordinator(member=member, by_user=by_user)
    if not member.can_exchange:
        raise NotAllowedError(
            gettext(
                "Only approved members can list offers and requests. "
                "A coordinator will be in touch about your application."
            )
        )
    if kind not in ListingKind.values:
        raise InvalidInputError(gettext("Choose whether this is an offer or a request."), field="kind")
    today = timezone.localdate()
    if expires_on is None:
        expires_on = today + datetime.timedelta(days=settings.LISTING_LIFETIME_DAYS)
    fields = {
        "category": _clean_category(category, timebank_id=member.timebank_id),
        "title": _clean_title(title),
        "description": _clean_description(description),
        "where": _clean_where(where),
        "expires_on": _clean_expires_on(expires_on, today=today),
        "carers_break": _clean_carers_break(carers_break, kind=kind, member=member),
    }
    clearance = None
    if kind == ListingKind.OFFER:
        clearance = safeguarding_require(
            timebank=member.timebank,
            helper=member,
            category=category,
            where=where,
            by_user=by_user,
            override_reason=safeguarding_override_reason,
            today=today,
        )
    # Why atomic: a coordinator's override is recorded with the offer it let through, or neither is.
    with transaction.atomic():
        listing = Listing.objects.create(
            timebank_id=member.timebank_id,
            member=member,
            kind=kind,
            **fields,
            # The owner's place, copied for match suggestions' index (see Listing.latitude).
            latitude=member.latitude,
            longitude=member.longitude,
        )
        if clearance is not None:
            safeguarding_override_record(clearance=clearance, listing=listing)
    return listing


def listing_update(
    *, listing: Listing, by_user: User | None, safeguarding_override_reason: str = "", **fields: object
) -> Listing:
    """Change a listing's title, description, where, category or end date.

    An offer moved to another category or place must pass the safeguarding
    rule there, as in listing_create."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInputError(
            gettext("These cannot be changed here: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    _require_owner_or_coordinator(member=listing.member, by_user=by_user)
    # Each cleaner checks the type of what it is given.
    cleaners: dict[str, Callable[[Any], object]] = {
        "title": _clean_title,
        "description": _clean_description,
        "where": _clean_where,
        "category": lambda value: _clean_category(value, timebank_id=listing.timebank_id, current=listing.category),
        "expires_on": lambda value: _clean_expires_on(value, today=timezone.localdate()),
        "carers_break": lambda value: _clean_carers_break(value, kind=listing.kind, member=listing.member),
    }
    cleaned = {name: cleaners[name](value) for name, value in fields.items()}
    clearance = None
    new_category = cleaned.get("category", listing.category)
    new_where = cleaned.get("where", listing.where)
    if listing.kind == ListingKind.OFFER and (
        getattr(new_category, "pk", None) != listing.category_id or new_where != listing.where
    ):
        clearance = safeguarding_require(
            timebank=listing.timebank,
            helper=listing.member,
            category=cast(Category, new_category),
            where=str(new_where),
            by_user=by_user,
            override_reason=safeguarding_override_reason,
            today=timezone.localdate(),
        )
    if "expires_on" in cleaned and cleaned["expires_on"] != listing.expires_on:
        # A new end date earns a new reminder before it.
        cleaned["reminded_at"] = None
    if cleaned:
        # Refresh the copy of the owner's place (see Listing.latitude) with any change.
        cleaned["latitude"], cleaned["longitude"] = listing.member.latitude, listing.member.longitude
    old_category_id = listing.category_id
    for name, value in cleaned.items():
        setattr(listing, name, value)
    # Why atomic: a coordinator's override is recorded with the change it let through, or neither is;
    # the reports' counts by category move with the listing's exchanges, or not at all.
    with transaction.atomic():
        if cleaned:
            listing.save(update_fields=[*cleaned, "updated_at"])
        if listing.category_id != old_category_id:
            summaries.move_category(
                listing_id=listing.pk, old_category_id=old_category_id, new_category_id=listing.category_id
            )
        if clearance is not None:
            safeguarding_override_record(clearance=clearance, listing=listing)
    return listing


def listing_close(*, listing: Listing, by_user: User | None) -> Listing:
    """Take a listing down: it no longer shows when people browse."""
    _require_owner_or_coordinator(member=listing.member, by_user=by_user)
    # Why atomic + lock: two clicks (or the expiry command) closing at once must
    # see each other's change, not both write.
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        if locked.status == ListingStatus.CLOSED:
            raise ConflictError(gettext("This listing is already closed."))
        locked.status = ListingStatus.CLOSED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
    listing.status, listing.closed_at = locked.status, locked.closed_at
    return listing


def listing_reopen(*, listing: Listing, by_user: User | None, safeguarding_override_reason: str = "") -> Listing:
    """Put a closed listing back up; one that had run out gets a fresh end date.

    A reopened offer is offered again, so it must pass the safeguarding rule
    as in listing_create (a restriction or an expired check may have come
    since it closed), unless a coordinator of the timebank overrides with a
    reason."""
    _require_owner_or_coordinator(member=listing.member, by_user=by_user)
    if not listing.member.can_exchange:
        raise NotAllowedError(
            gettext("This member cannot take part in exchanges just now, so the listing stays closed.")
        )
    if listing.status == ListingStatus.OPEN:
        raise ConflictError(gettext("This listing is already open."))
    today = timezone.localdate()
    clearance = None
    if listing.kind == ListingKind.OFFER:
        clearance = safeguarding_require(
            timebank=listing.timebank,
            helper=listing.member,
            category=listing.category,
            where=listing.where,
            by_user=by_user,
            override_reason=safeguarding_override_reason,
            today=today,
        )
    # Why atomic + lock: as in listing_close; and a coordinator's override is
    # recorded with the reopening it let through, or neither is.
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        if locked.status == ListingStatus.OPEN:
            raise ConflictError(gettext("This listing is already open."))
        locked.status = ListingStatus.OPEN
        locked.closed_at = None
        if locked.expires_on <= today:
            locked.expires_on = today + datetime.timedelta(days=settings.LISTING_LIFETIME_DAYS)
            locked.reminded_at = None
        locked.save(update_fields=["status", "closed_at", "expires_on", "reminded_at", "updated_at"])
        if clearance is not None:
            safeguarding_override_record(clearance=clearance, listing=locked)
    for name in ("status", "closed_at", "expires_on", "reminded_at"):
        setattr(listing, name, getattr(locked, name))
    return listing


def listing_remind_and_expire(*, today: datetime.date | None = None) -> tuple[int, int]:
    """Remind owners of listings ending within LISTING_REMINDER_DAYS (once each),
    then close listings whose end date has passed. Returns (reminded, expired)."""
    today = today or timezone.localdate()
    now = timezone.now()
    remind_until = today + datetime.timedelta(days=settings.LISTING_REMINDER_DAYS)
    due = (
        Listing.objects.filter(
            status=ListingStatus.OPEN, reminded_at__isnull=True, expires_on__gte=today, expires_on__lte=remind_until
        )
        .select_related("member", "member__user")
        .order_by("pk")
    )
    reminded = 0
    for listing in due.iterator(chunk_size=500):
        # Why atomic: the reminder mail is queued on commit of the row that
        # records it, so a crash never sends a reminder that is not recorded.
        with transaction.atomic():
            # The conditional update claims the reminder: a second run of the
            # command at the same time updates 0 rows and sends nothing.
            claimed = Listing.objects.filter(pk=listing.pk, reminded_at__isnull=True).update(reminded_at=now)
            if not claimed:
                continue
            notify(
                to_member=listing.member,
                subject=f"Your {listing.get_kind_display().lower()} “{listing.title}” ends soon",
                template="emails/listing_reminder.txt",
                context={
                    "listing": listing,
                    "edit_path": reverse("timebank:listing-edit", kwargs={"public_id": listing.public_id}),
                },
            )
            reminded += 1
    expired = Listing.objects.filter(status=ListingStatus.OPEN, expires_on__lt=today).update(
        status=ListingStatus.CLOSED, closed_at=now, updated_at=now
    )
    if reminded or expired:
        logger.info("Listings: %s reminded, %s closed after expiry", reminded, expired)
    return reminded, expired


# --- Categories (the timebank's coordinators only) -----------------------------------


def _require_coordinator_of(by_user: User | None, timebank_id: int) -> None:
    require_coordinator_of(
        by_user, timebank_id, message=gettext("Only this timebank's coordinators can change its categories.")
    )


def _clean_category_fields(
    *, timebank_id: int, name: str, description: str, exclude_pk: int | None
) -> tuple[str, str, str]:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInputError(gettext("Enter a name for the category."), field="name")
    if len(name) > 80:
        raise InvalidInputError(gettext("Keep the name to 80 characters or fewer."), field="name")
    slug = slugify(name)[:80]
    if not slug:
        raise InvalidInputError(gettext("Use some letters or numbers in the name."), field="name")
    ours = Category.objects.filter(timebank_id=timebank_id)
    clash = ours.filter(slug=slug) | ours.filter(name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise InvalidInputError(str(CATEGORY_NAME_TAKEN), field="name")
    description = (description or "").strip()
    if len(description) > 300:
        raise InvalidInputError(gettext("Keep the description to 300 characters or fewer."), field="description")
    return name, slug, description


def _clean_welsh(name_cy: str, description_cy: str) -> tuple[str, str]:
    """The optional Welsh name and description (Category.label, .summary)."""
    name_cy = " ".join(clean_text(name_cy, field="name_cy", label=gettext("the Welsh name"), max_length=80).split())
    description_cy = clean_text(
        description_cy, field="description_cy", label=gettext("the Welsh description"), max_length=300
    )
    return name_cy, description_cy


def category_create(
    *,
    timebank: Timebank,
    name: str,
    description: str = "",
    name_cy: str = "",
    description_cy: str = "",
    needs_dbs_check: bool = False,
    needs_references: bool = False,
    by_user: User | None,
) -> Category:
    """Add a category to `timebank`'s list, at the end."""
    _require_coordinator_of(by_user, timebank.pk)
    name, slug, description = _clean_category_fields(
        timebank_id=timebank.pk, name=name, description=description, exclude_pk=None
    )
    name_cy, description_cy = _clean_welsh(name_cy, description_cy)
    last = (
        Category.objects.filter(timebank=timebank).order_by("-position").values_list("position", flat=True).first() or 0
    )
    try:
        # Why atomic: on PostgreSQL a refused INSERT must not spoil the caller's transaction.
        with transaction.atomic():
            return Category.objects.create(
                timebank=timebank,
                name=name,
                slug=slug,
                description=description,
                name_cy=name_cy,
                description_cy=description_cy,
                needs_dbs_check=bool(needs_dbs_check),
                needs_references=bool(needs_references),
                position=last + 1,
            )
    except IntegrityError:
        # Two coordinators added the same name at once: the constraint caught the second.
        raise InvalidInputError(str(CATEGORY_NAME_TAKEN), field="name") from None


def category_update(
    *,
    category: Category,
    name: str,
    description: str = "",
    name_cy: str | None = None,
    description_cy: str | None = None,
    needs_dbs_check: bool,
    needs_references: bool,
    by_user: User | None,
) -> Category:
    """Rename or re-describe a category, or change the checks its helpers need
    (in the category's own timebank only)."""
    _require_coordinator_of(by_user, category.timebank_id)
    name, slug, description = _clean_category_fields(
        timebank_id=category.timebank_id, name=name, description=description, exclude_pk=category.pk
    )
    category.name, category.slug, category.description = name, slug, description
    # None leaves the Welsh as it is (a caller that does not know of it).
    welsh = _clean_welsh(
        category.name_cy if name_cy is None else name_cy,
        category.description_cy if description_cy is None else description_cy,
    )
    category.name_cy, category.description_cy = welsh
    category.needs_dbs_check, category.needs_references = bool(needs_dbs_check), bool(needs_references)
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError:
        raise InvalidInputError(str(CATEGORY_NAME_TAKEN), field="name") from None
    return category


def category_set_active(*, category: Category, active: bool, by_user: User | None) -> Category:
    """Deactivate a category (no new listings in it) or bring it back."""
    _require_coordinator_of(by_user, category.timebank_id)
    if category.is_active == active:
        raise ConflictError(
            gettext("This category is already in use.") if active else gettext("This category is already switched off.")
        )
    category.is_active = active
    category.save(update_fields=["is_active"])
    return category
