"""Users and roles. Roles are Django groups so permissions stay in one place."""

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    MEMBER = "member", "Member"
    COORDINATOR = "coordinator", "Coordinator"
    LINK_WORKER = "link-worker", "Link worker"
    GROUP_ORGANISER = "group-organiser", "Group organiser"
    ADMIN = "admin", "Administrator"


class User(AbstractUser):
    """A person who can log in. Members who are not online have no User."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    def has_role(self, role: str) -> bool:
        if not self.is_authenticated:
            return False
        if self.is_superuser and role in (Role.ADMIN, Role.COORDINATOR):
            return True
        # Prefetched groups avoid a query per check on pages that ask often.
        return any(group.name == role for group in self.groups.all())

    @property
    def is_coordinator(self) -> bool:
        return self.has_role(Role.COORDINATOR) or self.has_role(Role.ADMIN)

    @property
    def is_link_worker(self) -> bool:
        return self.has_role(Role.LINK_WORKER)

    @property
    def is_group_organiser(self) -> bool:
        return self.has_role(Role.GROUP_ORGANISER)
