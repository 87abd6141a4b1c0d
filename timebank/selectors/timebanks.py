"""Reads of timebanks: the public list and one timebank by its short name, and
the network administrator's list with each timebank's coordinators.

A timebank's name, area and contact details are public (its home page shows
them); its members are not, and nothing here lists them.
"""

import re

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext

from core.errors import NotFoundError
from timebank.models import MemberStatus, Role, Timebank, User

# Members who count as taking part, for the network administrator's list.
COUNTED_STATUSES = (MemberStatus.APPROVED, MemberStatus.ACTIVE, MemberStatus.PAUSED)


def public_timebanks() -> QuerySet[Timebank]:
    """Every timebank, in name order, for the home page's list."""
    return Timebank.objects.order_by("name", "pk")


SLUG_MAX_LENGTH = 60
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def is_slug(value: object) -> bool:
    """Whether `value` could be a timebank's short name at all. Anything else
    (a NUL byte, which PostgreSQL refuses in a query, other alphabets, 10,000
    characters) names no timebank and is not looked up."""
    return isinstance(value, str) and len(value) <= SLUG_MAX_LENGTH and _SLUG.fullmatch(value) is not None


def timebank_by_slug(slug: str) -> Timebank:
    """The timebank with this short name; NotFoundError when there is none."""
    timebank = Timebank.objects.filter(slug=slug).first() if is_slug(slug) else None
    if timebank is None:
        raise NotFoundError(gettext("There is no timebank with this address."))
    return timebank


def timebanks_for_network() -> QuerySet[Timebank]:
    """Every timebank with its coordinators (loaded in one more query) and its
    numbers of members and applications waiting, for the network administrator."""
    return (
        Timebank.objects.order_by("name", "pk")
        .prefetch_related(
            Prefetch("coordinators", queryset=User.objects.order_by("first_name", "last_name", "username"))
        )
        .annotate(
            member_count=Count("members", filter=Q(members__status__in=COUNTED_STATUSES), distinct=True),
            applied_count=Count("members", filter=Q(members__status=MemberStatus.APPLIED), distinct=True),
        )
    )


def coordinator_candidates() -> QuerySet[User]:
    """People who already coordinate (a network administrator may ask one to
    coordinate a new timebank as well), in name order."""
    return (
        User.objects.filter(is_active=True, groups__name=Role.COORDINATOR)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def users_by_login(logins: list[str]) -> tuple[list[User], list[str]]:
    """The active users named by these login names or e-mail addresses, and the
    names that match nobody (or more than one person), in the order given."""
    found: list[User] = []
    unknown: list[str] = []
    for login in logins:
        matches = list(User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login), is_active=True)[:2])
        if len(matches) == 1:
            found.append(matches[0])
        else:
            unknown.append(login)
    return found, unknown
