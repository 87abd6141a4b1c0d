"""django-oauth-toolkit's validator, loading a bearer token together with the API
client and organisation it belongs to: authenticating a machine client is then
one query instead of two, and that query's SQL is compiled once (core/
compiled.py), not on every API request. Everything else, the expiry, revocation,
scope and audience checks included, is the toolkit's own."""

import hashlib

from oauth2_provider.models import get_access_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator

from core.compiled import CompiledQuery

_TOKEN_BY_CHECKSUM = CompiledQuery(
    lambda checksum: (
        get_access_token_model()
        .objects.select_related("application__api_client__organisation", "user")
        .filter(token_checksum=checksum)[:1]
    )
)


class ApiOAuth2Validator(OAuth2Validator):
    def _load_access_token(self, token):
        # Tokens are stored hashed (COMPLIANT_BCP_RFC9700_TOKEN_STORAGE): looked up by
        # the SHA-256 of the token, as the toolkit writes it. token_checksum is unique.
        checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        found = _TOKEN_BY_CHECKSUM.rows(checksum=checksum)
        return found[0] if found else None
