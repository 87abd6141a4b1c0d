"""Making API clients: an OAuth2 client-credentials application attached to
one organisation with a fixed set of scopes. The secret is returned once;
only its hash is stored."""

import secrets

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from oauth2_provider.models import Application

from api.models import ApiClient
from assets.models import Organisation, OrganisationType
from core.errors import InvalidInputError


def api_client_create(
    *, organisation_name: str, scopes: list[str], organisation_type: str = OrganisationType.GP_PRACTICE
) -> tuple[ApiClient, str, str]:
    """Returns (client, client_id, client_secret). Creates the organisation if
    no organisation has this name (e.g. a GP practice new to the directory)."""
    name = (organisation_name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInputError(_("Give the organisation's name (200 characters at most)."), field="organisation")
    unknown = sorted(set(scopes) - set(settings.API_SCOPES))
    if unknown or not scopes:
        raise InvalidInputError(
            _("Scopes must be some of: %(scopes)s.") % {"scopes": ", ".join(settings.API_SCOPES)}, field="scopes"
        )
    secret = secrets.token_urlsafe(40)
    # Why atomic: an organisation, application and link that exist together or not at all.
    with transaction.atomic():
        organisation = Organisation.objects.filter(name__iexact=name).order_by("created_at").first()
        if organisation is None:
            organisation = Organisation.objects.create(name=name, organisation_type=organisation_type)
        application = Application.objects.create(
            name=f"{organisation.name} API client"[:255],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            client_secret=secret,
            hash_client_secret=True,
        )
        client = ApiClient.objects.create(
            application=application, organisation=organisation, scopes=" ".join(dict.fromkeys(scopes))
        )
    return client, application.client_id, secret
