"""Who may do what: the one place the role rules live, for every app's services.

Roles are Django groups (timebank.models.Role); which role includes which is
written once, in timebank.models.users.ROLES_COUNTED_AS, and `User.has_role` /
`User.is_coordinator` apply it. The rules:

- `has_role(user, role)`: a logged-in user with that role. An administrator
  can do whatever a coordinator can, so `has_role(user, Role.COORDINATOR)` is
  also true for administrators (and superusers). Anyone else, including an
  anonymous visitor, `None` (the system acting on its own) and an API client
  (which has no roles), has no role.
- `is_coordinator(user)`: `has_role(user, Role.COORDINATOR)`.
- `require_coordinator(user)` / `require_role(user, role)`: the same checks
  for a service, raising NotAllowedError with a plain message when they fail.

Tenancy, also here, so that no view or service writes its own:
- `is_network_admin(user)`: an administrator (the Role.ADMIN group, or a
  superuser) runs the network and coordinates every timebank.
- `coordinated_timebanks(user)`: the timebanks a person coordinates: every
  one for a network administrator; those that list them in
  `Timebank.coordinators` for a coordinator; none for anyone else.
- `is_coordinator_of(user, timebank)`, `require_coordinator_of(...)`: may this
  person coordinate this timebank's members, listings, exchanges, ledger,
  reports, safeguarding records and referrals?
- `visible_timebank_ids(user)`: the timebanks whose data a person may see at
  all: the one they are an approved member of, and those they coordinate.
  Every selector of timebank data filters by it (or by the one timebank a
  coordinator's page is working in); another timebank's object is then
  simply not found.

Services check permission here and raise; pages turn the refusal into an
answer through timebank.pages (which owns the 404-vs-403 policy for pages);
the API keeps DRF's 401/403.

Naming the person who acts, in every app:
- a service parameter whose value is the acting User (the person whose
  permission is checked and who is recorded as having done it) is called
  `by_user`; it is keyword-only like every service argument;
- `actor` is used only where the value is a `referrals.actors.Actor`: a person
  or an API client acting for an organisation, which referrals' services and
  selectors take instead of a User;
- other names for a User say what the person is in the record, not who acts
  (`reporter` of a problem report, the `user` a login is made for).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from core.errors import NotAllowedError
from timebank.models import Member, MemberStatus, Role, Timebank

NOT_A_COORDINATOR = gettext_lazy("Only a coordinator can do this.")


def has_role(user: object, role: str) -> bool:
    """True when `user` is logged in and has `role` (or a role that includes it)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    user_has_role = getattr(user, "has_role", None)
    if user_has_role is None:
        return False
    # User.has_role applies ROLES_COUNTED_AS (an administrator counts as a coordinator).
    return bool(user_has_role(role))


def is_coordinator(user: object) -> bool:
    """True for a logged-in coordinator or administrator."""
    return has_role(user, Role.COORDINATOR)


def require_role(user: object, role: str, *, message: str | Promise) -> None:
    """Raise NotAllowedError(message) unless `user` has `role`."""
    if not has_role(user, role):
        raise NotAllowedError(str(message))


def require_coordinator(user: object, *, message: str | Promise = NOT_A_COORDINATOR) -> None:
    """Raise NotAllowedError unless `user` is a coordinator (or an administrator)."""
    require_role(user, Role.COORDINATOR, message=message)


# Roles whose holders act for others and see other people's personal data:
# coordinators (and administrators, counted as coordinators), link workers and
# group organisers. They, and Django staff, may turn on two-step sign-in.
ACTS_FOR_OTHERS = (Role.COORDINATOR, Role.LINK_WORKER, Role.GROUP_ORGANISER)


def acts_for_others(user: object) -> bool:
    """A logged-in coordinator, administrator, link worker, group organiser or staff user."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return True
    return any(has_role(user, role) for role in ACTS_FOR_OTHERS)


# --- Tenancy: which timebanks a person may coordinate or see ------------------------------

# Members whose own timebank's data they may see (an applicant sees only their
# own profile; someone who left or was declined sees none).
SEES_OWN_TIMEBANK = (MemberStatus.APPROVED, MemberStatus.ACTIVE, MemberStatus.PAUSED)


def is_network_admin(user: object) -> bool:
    """An administrator of the whole install: creates timebanks, coordinates all."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(user, "is_superuser", False)) or has_role(user, Role.ADMIN)


def coordinated_timebanks(user: object) -> QuerySet[Timebank]:
    """The timebanks `user` coordinates, in name order."""
    if is_network_admin(user):
        return Timebank.objects.all()
    if not has_role(user, Role.COORDINATOR):
        return Timebank.objects.none()
    user_id: int = getattr(user, "pk", 0)
    return Timebank.objects.filter(coordinators__pk=user_id)


def _timebank_id(timebank: Timebank | int | None) -> int | None:
    return timebank.pk if isinstance(timebank, Timebank) else timebank


def is_coordinator_of(user: object, timebank: Timebank | int | None) -> bool:
    """May `user` coordinate this timebank (given as a Timebank or its id)?"""
    timebank_id = _timebank_id(timebank)
    if timebank_id is None:
        return False
    if is_network_admin(user):
        return True
    return coordinated_timebanks(user).filter(pk=timebank_id).exists()


def require_coordinator_of(
    user: object, timebank: Timebank | int | None, *, message: str | Promise = NOT_A_COORDINATOR
) -> None:
    """Raise NotAllowedError unless `user` coordinates this timebank."""
    if not is_coordinator_of(user, timebank):
        raise NotAllowedError(str(message))


def visible_timebank_ids(user: object) -> set[int]:
    """The ids of the timebanks whose data `user` may see at all."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    user_id: int = getattr(user, "pk", 0)
    ids = set(coordinated_timebanks(user).values_list("pk", flat=True))
    ids.update(
        Member.objects.filter(user_id=user_id, status__in=SEES_OWN_TIMEBANK, erased_at__isnull=True).values_list(
            "timebank_id", flat=True
        )
    )
    return ids
