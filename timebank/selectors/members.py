"""Reads of members: who is asking, the coordinator's member search and
applications queue, and one member scoped to a coordinator's timebank.

Every coordinator read is scoped to one timebank, so a coordinator of one
timebank never finds another's members (they get "not found").
"""

import uuid

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext

from core.errors import NotFoundError
from core.places.postcodes import PostcodeError, normalise_postcode
from timebank.hours import format_minutes
from timebank.models import Account, Member, MemberStatus, Timebank, User

MEMBERS_PAGE_SIZE = 25
# Statuses whose account is open: the member can be given, granted or donate hours.
ACCOUNT_OPEN_STATUSES = (MemberStatus.APPROVED, MemberStatus.ACTIVE, MemberStatus.PAUSED)


def member_for_user(user: User | AnonymousUser | None) -> Member | None:
    """The logged-in person's member profile, if they have one."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.member
    except Member.DoesNotExist:
        return None


def member_search(*, timebank: Timebank, text: str = "", status: str = "", page_number: int | str = 1) -> Page[Member]:
    """Members matching a name, e-mail, phone or postcode, in name order, paginated."""
    members = Member.objects.filter(timebank=timebank).select_related("account", "user")
    text = " ".join((text or "").split())[:100]
    if text:
        match = Q(display_name__icontains=text) | Q(email__icontains=text) | Q(phone__icontains=text)
        try:
            postcode = normalise_postcode(text)
        except PostcodeError:
            postcode = ""
        if postcode:
            match |= Q(postcode__istartswith=postcode) | Q(postcode_district__iexact=postcode)
        members = members.filter(match)
    if status in MemberStatus.values:
        members = members.filter(status=status)
    page = Paginator(members.order_by("display_name", "pk"), MEMBERS_PAGE_SIZE).get_page(page_number)
    for member in page.object_list:
        try:
            balance_text = format_minutes(member.account.balance)
        except Account.DoesNotExist:
            balance_text = ""
        # For the page only, not a model field: setattr, as Member declares no such attribute.
        setattr(member, "balance_text", balance_text)  # noqa: B010
    return page


def member_applications(*, timebank: Timebank, page_number: int | str = 1) -> Page[Member]:
    """Applications waiting for a decision, oldest first (first come, first seen)."""
    applications = Member.objects.filter(timebank=timebank, status=MemberStatus.APPLIED).order_by("joined_at", "pk")
    return Paginator(applications, MEMBERS_PAGE_SIZE).get_page(page_number)


def member_for_coordinator(*, timebank: Timebank, public_id: uuid.UUID | str) -> Member:
    member = Member.objects.filter(timebank=timebank, public_id=public_id).select_related("account", "user").first()
    if member is None:
        raise NotFoundError(gettext("There is no such member."))
    return member


def member_gift_choices(*, timebank: Timebank, exclude: Member | None = None) -> QuerySet[Member]:
    """Members who can be given hours, for a "give hours to" list."""
    members = Member.objects.filter(timebank=timebank, status__in=ACCOUNT_OPEN_STATUSES).order_by("display_name", "pk")
    if exclude is not None:
        members = members.exclude(pk=exclude.pk)
    return members


def member_status_counts(*, timebank: Timebank) -> dict[str, int]:
    """How many members are in each status, for the coordinator's dashboard (one query)."""
    counts = dict.fromkeys(MemberStatus.values, 0)
    rows = Member.objects.filter(timebank=timebank).values("status").annotate(n=Count("pk")).order_by()
    counts.update({row["status"]: row["n"] for row in rows})
    return counts
