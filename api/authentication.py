"""Who is calling: a person by session, or a machine client by an OAuth2
client-credentials bearer token.

A client-credentials token has no user, so the request's user becomes an
`ApiClientPrincipal`: authenticated, never staff, carrying the client and its
organisation. Tokens in the query string are refused (docs/quality.md A2).
"""

from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework.exceptions import AuthenticationFailed

from api.models import ApiClient


class ApiClientPrincipal:
    """Stands in for `request.user` when a machine client calls."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    is_coordinator = False
    is_link_worker = False
    is_group_organiser = False
    pk = None
    id = None

    def __init__(self, client: ApiClient):
        self.client = client

    @cached_property
    def organisation(self):
        return self.client.organisation

    @property
    def username(self) -> str:
        return f"client:{self.client.application.client_id}"

    def has_role(self, role: str) -> bool:
        return False

    def __str__(self) -> str:
        return self.username


class ClientCredentialsAuthentication(OAuth2Authentication):
    def authenticate(self, request):
        if "access_token" in request.query_params:
            # A token in a URL ends up in proxy and browser logs.
            raise AuthenticationFailed(_("Send the access token in the Authorization header, not in the address."))
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        if user is not None:
            return user, token
        try:
            # Loaded with the token (api/oauth.py), with its organisation.
            client = token.application.api_client
        except ApiClient.DoesNotExist:
            raise AuthenticationFailed(_("This client is not attached to an organisation.")) from None
        return ApiClientPrincipal(client), token
