"""The one way brokering sends e-mail: rendered from templates/emails/brokering/
and handed to the mail backend only after the surrounding transaction commits,
so a rolled-back change never tells anyone anything (docs/quality.md L12).

These e-mails go to coordinators' addresses, several at once: they are written
in `language` (default: the site's LANGUAGE_CODE), never in the language of
whoever happened to cause them. E-mails to a member go through
timebank.notifications.notify, which writes in the member's own language."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation


def send_after_commit(*, to: list[str], template: str, context: dict, language: str | None = None) -> bool:
    """Queue one e-mail per call; returns False when there is nobody to send to."""
    recipients = [address for address in to if address]
    if not recipients:
        return False
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"emails/brokering/{template}_subject.txt", context).split())
        body = render_to_string(f"emails/brokering/{template}.txt", context)

    def deliver():
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)

    transaction.on_commit(deliver)
    return True
