"""manage.py create_api_client --organisation "NAME" --scopes directory:read referrals:read referrals:write"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from api.clients import api_client_create
from assets.models import OrganisationType
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create an OAuth2 client-credentials API client for an organisation (created if none has that name) "
        "and print its client_id and client_secret once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="The organisation's name.")
        parser.add_argument("--scopes", nargs="+", required=True, choices=sorted(settings.API_SCOPES))
        parser.add_argument(
            "--organisation-type",
            default=OrganisationType.GP_PRACTICE,
            choices=OrganisationType.values,
            help="Used only when the organisation is new.",
        )

    def handle(self, *args, **options):
        try:
            client, client_id, secret = api_client_create(
                organisation_name=options["organisation"],
                scopes=options["scopes"],
                organisation_type=options["organisation_type"],
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"organisation: {client.organisation.name} ({client.organisation.pk})")
        self.stdout.write(f"scopes: {client.scopes}")
        self.stdout.write(f"client_id: {client_id}")
        self.stdout.write(f"client_secret: {secret}")
        self.stdout.write("Keep the secret safe: it is shown only this once.")
