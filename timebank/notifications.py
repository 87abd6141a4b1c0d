"""E-mail to members, sent only after the surrounding transaction commits.

Every area calls `notify()` instead of sending mail itself, so that docs/quality.md L12
holds everywhere: a write that rolls back (a refused transfer, an illegal
transition) sends nothing. Messages are plain text rendered from a template
under templates/emails/.

A member with no e-mail address, or who asked for no e-mail ("no-email" in
their communication needs), is sent nothing; `notify()` returns False so the
caller can tell a coordinator to phone or write instead.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise

from timebank.i18n import member_language
from timebank.models import CommunicationNeed, Member

logger = logging.getLogger(__name__)

SUBJECT_PREFIX = "TimeCommons: "


def member_email(member: Member) -> str:
    """The address to write to, or "" when the member cannot or would rather not get e-mail."""
    if CommunicationNeed.NO_EMAIL in (member.communication_needs or []):
        return ""
    if member.email:
        return member.email
    user = member.user if member.user_id else None
    return (user.email if user else "") or ""


def notify(*, to_member: Member, subject: "str | Promise", template: str, context: dict) -> bool:
    """Queue a plain-text e-mail to `to_member`, sent when the current transaction commits.

    Written in the member's language (Member.language): pass `subject` lazily
    (gettext_lazy, format_lazy) so it is translated for them, not for whoever
    caused the e-mail. Returns True when an e-mail is queued, False when the
    member has no usable address.
    """
    address = member_email(to_member)
    if not address:
        return False
    notify_address(
        address=address,
        subject=subject,
        template=template,
        context={"member": to_member, **context},
        log_as=f"member {to_member.pk}",
        language=member_language(to_member),
    )
    return True


def notify_address(
    *, address: str, subject: "str | Promise", template: str, context: dict, log_as: str, language: str | None = None
) -> None:
    """Queue a plain-text e-mail to `address` (a login's, when there is no member
    to write to), sent when the current transaction commits. `log_as` names the
    recipient in logs by id only ("user 12"), never by address. `language`: the
    recipient's (default: the language in use now)."""
    # Rendered now, while the rows it mentions are certainly readable; sent later.
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        body = render_to_string(template, {"site_url": settings.SITE_URL, **context})
        full_subject = str(SUBJECT_PREFIX) + " ".join(str(subject).split())

    def send() -> None:
        try:
            send_mail(full_subject, body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False)
        except Exception:
            # The data is already committed: a mail server fault must not turn
            # the person's successful action into an error page. Ids only in logs.
            logger.exception("E-mail to %s could not be sent", log_as)

    transaction.on_commit(send)
