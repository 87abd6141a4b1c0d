"""Users and roles. Roles are Django groups so permissions stay in one place."""

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    COORDINATOR = "coordinator", _("Coordinator")
    LINK_WORKER = "link-worker", _("Link worker")
    GROUP_ORGANISER = "group-organiser", _("Group organiser")
    ADMIN = "admin", _("Administrator")


# Roles that carry another role's powers as well as their own: an administrator
# can do whatever a coordinator can. timebank.permissions reads roles only
# through User.has_role, so this is the one place the rule is written.
ROLES_COUNTED_AS: dict[str, tuple[str, ...]] = {
    Role.COORDINATOR: (Role.COORDINATOR, Role.ADMIN),
}


class User(AbstractUser):
    """A person who can log in. Members who are not online have no User."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    def has_role(self, role: str) -> bool:
        """True when this user has `role`, or a role that includes it (ROLES_COUNTED_AS)."""
        if not self.is_authenticated:
            return False
        names = ROLES_COUNTED_AS.get(role, (role,))
        if self.is_superuser and (Role.ADMIN in names or Role.COORDINATOR in names):
            return True
        return not self.role_names().isdisjoint(names)

    def role_names(self) -> frozenset[str]:
        """The names of this user's groups, read once per User object: a page asks
        several times (is a coordinator? of which timebanks? a network administrator?)."""
        cached: frozenset[str] | None = getattr(self, "_role_names", None)
        if cached is None:
            cached = frozenset(group.name for group in self.groups.all())
            self._role_names = cached
        return cached

    @property
    def is_coordinator(self) -> bool:
        return self.has_role(Role.COORDINATOR)

    @property
    def is_link_worker(self) -> bool:
        return self.has_role(Role.LINK_WORKER)

    @property
    def is_group_organiser(self) -> bool:
        return self.has_role(Role.GROUP_ORGANISER)
