"""Who is acting on referrals: a staff user (through their organisation
membership), a coordinator (receives referrals to the timebank), or an API
client (through its organisation). Services and selectors take an Actor, so
pages and the API share one set of rules."""

from dataclasses import dataclass

from assets.models import Organisation


@dataclass(frozen=True)
class Actor:
    user: object | None = None  # timebank.User
    application: object | None = None  # oauth2_provider Application
    organisation: Organisation | None = None
    is_coordinator: bool = False

    @property
    def organisation_id(self):
        return self.organisation.pk if self.organisation is not None else None


def actor_for_user(user) -> Actor:
    membership = getattr(user, "organisation_membership", None)
    return Actor(
        user=user,
        organisation=membership.organisation if membership is not None else None,
        is_coordinator=bool(getattr(user, "is_coordinator", False)),
    )


def actor_for_client(client) -> Actor:
    """`client` is an api.models.ApiClient."""
    return Actor(application=client.application, organisation=client.organisation)
