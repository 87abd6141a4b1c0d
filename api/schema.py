"""drf-spectacular extensions: document our client-credentials authentication
as the OAuth2 scheme, with the scopes each operation needs."""

from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme
from rest_framework.permissions import SAFE_METHODS


class ClientCredentialsScheme(DjangoOAuthToolkitScheme):
    target_class = "api.authentication.ClientCredentialsAuthentication"
    name = "oauth2"

    def get_security_requirement(self, auto_schema):
        scopes = getattr(auto_schema.view, "required_scopes", None)
        if not scopes:
            return []
        return {self.name: [scopes["read" if auto_schema.method in SAFE_METHODS else "write"]]}
