"""`manage.py export_personal_data MEMBER_ID [--output FILE]`: a subject access
export (docs/quality.md D7) of everything the app holds about one member, as JSON.

MEMBER_ID is the member's number or their public id (the UUID in the address
of their page). Without --output the JSON is written to standard output.
"""

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from privacy.selectors import parse_member_reference, personal_data_json


class Command(BaseCommand):
    help = "Write everything the app holds about one member as JSON (a subject access export)."

    def add_arguments(self, parser):
        parser.add_argument("member_id", metavar="MEMBER_ID", help="The member's number or public id.")
        parser.add_argument("--output", metavar="FILE", help="Write to this file instead of the screen.")

    def handle(self, *args, member_id, output=None, **options):
        try:
            member = parse_member_reference(member_id)
        except DomainError as error:
            raise CommandError(error.message) from None
        text = personal_data_json(member=member)
        if not output:
            self.stdout.write(text)
            return
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        except OSError as error:
            raise CommandError(f"Could not write {output}: {error.strerror}.") from None
        # The member's id only: the file holds personal data, the screen need not (docs/quality.md D8).
        self.stdout.write(f"Wrote the data held about member {member.public_id} to {output}.")
