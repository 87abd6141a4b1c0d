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

from core.errors import NotAllowedError
from timebank.models import Role

NOT_A_COORDINATOR = "Only a coordinator can do this."


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


def require_role(user: object, role: str, *, message: str) -> None:
    """Raise NotAllowedError(message) unless `user` has `role`."""
    if not has_role(user, role):
        raise NotAllowedError(message)


def require_coordinator(user: object, *, message: str = NOT_A_COORDINATOR) -> None:
    """Raise NotAllowedError unless `user` is a coordinator (or an administrator)."""
    require_role(user, Role.COORDINATOR, message=message)
