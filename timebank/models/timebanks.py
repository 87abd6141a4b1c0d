"""A Timebank is a tenant: members, listings and accounts belong to one."""

from django.conf import settings
from django.db import models


class Timebank(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    # Where the timebank works, in a few words for its public pages
    # ("Caversham and Emmer Green, Reading").
    area = models.CharField(max_length=160, blank=True)
    # How the public reaches the timebank (its coordinators), shown on its home page.
    contact_email = models.EmailField(max_length=254, blank=True)
    contact_phone = models.CharField(max_length=30, blank=True)
    # Overdraft limit given to new member accounts, in minutes (negative).
    default_min_balance = models.IntegerField(default=-600)
    # Optional ceiling for new member accounts, in minutes; null means none.
    default_max_balance = models.IntegerField(null=True, blank=True)
    auto_confirm_days = models.PositiveSmallIntegerField(default=7)
    # A helper is never offered more than this many open exchanges at once.
    max_open_exchanges_per_member = models.PositiveSmallIntegerField(default=5)
    request_wait_alert_days = models.PositiveSmallIntegerField(default=14)
    # The people who coordinate this timebank (a coordinator may coordinate
    # several). Network administrators coordinate every timebank without
    # being listed (timebank.permissions).
    coordinators = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="coordinated_timebanks", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(default_min_balance__lte=0), name="timebank_default_min_balance_not_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def get_default(cls) -> "Timebank | None":
        """The first timebank (migration 0002 makes one); None in an empty database."""
        return cls.objects.order_by("pk").first()
