"""Who is acting on referrals: a staff user (through their organisation
membership), a coordinator (receives referrals to the timebanks they
coordinate, and only those), or an API client (through its organisation).
Services and selectors take an Actor, so pages and the API share one set of
rules."""

from dataclasses import dataclass, field

from assets.models import Organisation
from timebank.permissions import coordinated_timebanks


@dataclass(frozen=True)
class Actor:
    user: object | None = None  # timebank.User
    application: object | None = None  # oauth2_provider Application
    organisation: Organisation | None = None
    # The timebanks whose referrals this person receives as a coordinator
    # (timebank.permissions.coordinated_timebanks: every one for a network
    # administrator). Empty for everyone else, API clients included.
    coordinated_timebank_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def organisation_id(self):
        return self.organisation.pk if self.organisation is not None else None

    @property
    def is_coordinator(self) -> bool:
        """Coordinates at least one timebank, so receives referrals to it."""
        return bool(self.coordinated_timebank_ids)

    def coordinates(self, timebank_id: int | None) -> bool:
        return timebank_id is not None and timebank_id in self.coordinated_timebank_ids


def actor_for_user(user) -> Actor:
    membership = getattr(user, "organisation_membership", None)
    return Actor(
        user=user,
        organisation=membership.organisation if membership is not None else None,
        coordinated_timebank_ids=frozenset(coordinated_timebanks(user).values_list("pk", flat=True)),
    )


def actor_for_client(client) -> Actor:
    """`client` is an api.models.ApiClient."""
    return Actor(application=client.application, organisation=client.organisation)
