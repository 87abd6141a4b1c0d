"""The referral Actor for an API request: a machine client acts for its
organisation; a person for the organisation they belong to."""

from api.authentication import ApiClientPrincipal
from referrals.actors import Actor, actor_for_client, actor_for_user


def actor_from_request(request) -> Actor:
    cached = getattr(request, "_referral_actor", None)
    if cached is not None:
        return cached
    user = request.user
    actor = actor_for_client(user.client) if isinstance(user, ApiClientPrincipal) else actor_for_user(user)
    request._referral_actor = actor
    return actor
