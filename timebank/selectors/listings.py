"""Reads of listings: browsing, a member's own listings, one listing's page,
and open requests for brokering. Each returns a queryset with the rows a page
shows already joined, so a page's query count does not grow with its rows."""

import datetime
import uuid

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import NotFoundError
from timebank.models import Category, Listing, ListingKind, ListingStatus, Member, MemberStatus, Timebank, User
from timebank.permissions import is_coordinator_of, visible_timebank_ids

# Members whose listings others may see and answer.
VISIBLE_MEMBER_STATUSES = (MemberStatus.APPROVED, MemberStatus.ACTIVE)
TEXT_MAX = 100


def _live(queryset: QuerySet[Listing], *, today: datetime.date | None = None) -> QuerySet[Listing]:
    """Open, not past their end date, listed by a member who can take part."""
    today = today or timezone.localdate()
    return queryset.filter(status=ListingStatus.OPEN, expires_on__gte=today, member__status__in=VISIBLE_MEMBER_STATUSES)


def listing_browse(
    *,
    timebank: Timebank,
    kind: str | None = None,
    category: Category | None = None,
    text: str = "",
    today: datetime.date | None = None,
) -> QuerySet[Listing]:
    """Offers and requests people can answer, newest first, filtered by kind,
    category and words in the title or description."""
    queryset = _live(Listing.objects.filter(timebank=timebank), today=today)
    if kind in ListingKind.values:
        queryset = queryset.filter(kind=kind)
    if category is not None:
        queryset = queryset.filter(category=category)
    # NUL and other control characters mean nothing here (and PostgreSQL refuses NUL).
    words = "".join(ch if ch.isprintable() else " " for ch in (text or "")[:TEXT_MAX]).split()
    for word in words[:8]:
        queryset = queryset.filter(Q(title__icontains=word) | Q(description__icontains=word))
    return queryset.select_related("member", "category").order_by("-created_at", "-pk")


def listings_of_member(*, member: Member) -> QuerySet[Listing]:
    """All of a member's listings, open ones first, newest first."""
    return (
        Listing.objects.filter(member=member)
        .select_related("category", "member")
        .order_by("status", "-created_at", "-pk")
    )


def listing_for_viewer(*, public_id: uuid.UUID, user: User | AnonymousUser | None) -> Listing:
    """One listing as `user` may see it: the timebank's approved members see
    its live listings; the owner and its coordinators also see closed and
    expired ones. Another timebank's listing does not exist for them."""
    listing = (
        Listing.objects.filter(public_id=public_id, timebank_id__in=visible_timebank_ids(user))
        .select_related("member", "member__user", "category", "timebank")
        .first()
    )
    if listing is None or user is None:
        raise NotFoundError(gettext("There is no such offer or request."))
    if listing.member.user_id == user.pk or is_coordinator_of(user, listing.timebank_id):
        return listing
    if not _live(Listing.objects.filter(pk=listing.pk)).exists():
        raise NotFoundError(gettext("This offer or request is no longer listed."))
    return listing


def open_requests_oldest_first(*, timebank: Timebank, unmatched_only: bool = False) -> QuerySet[Listing]:
    """Requests still waiting for help, the longest-waiting first (brokering)."""
    queryset = _live(Listing.objects.filter(timebank=timebank, kind=ListingKind.REQUEST))
    if unmatched_only:
        queryset = queryset.filter(matched_at__isnull=True)
    return queryset.select_related("member", "category").order_by("created_at", "pk")


# --- Categories: each timebank has its own list -------------------------------------------


def timebank_categories(*, timebank: Timebank | int) -> QuerySet[Category]:
    """All of a timebank's categories, in use or not, in their order (coordinators' pages)."""
    return Category.objects.filter(timebank=timebank).order_by("position", "name", "pk")


def active_categories(*, timebank: Timebank | int) -> QuerySet[Category]:
    """The categories a new listing in `timebank` may use."""
    return timebank_categories(timebank=timebank).filter(is_active=True)


def category_of_timebank(*, timebank: Timebank | int, pk: object) -> Category:
    """One of `timebank`'s categories by id; another timebank's is not found."""
    text = str(pk)
    # Only a whole number that fits an id is looked up (PostgreSQL refuses a larger one).
    fits = text.isdigit() and len(text) < 19
    category = timebank_categories(timebank=timebank).filter(pk=int(text)).first() if fits else None
    if category is None:
        raise NotFoundError(gettext("There is no such category."))
    return category


def active_category_by_slug(*, timebank: Timebank | int, slug: str) -> Category | None:
    """The category in use in `timebank` with this slug, or None (another
    timebank's category of the same slug is not this timebank's)."""
    return active_categories(timebank=timebank).filter(slug=slug).first()
