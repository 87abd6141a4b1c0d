"""Invitations to go online: a member whose application was made for them (a
social prescriber's referral) and who has an e-mail address gets a login when a
coordinator approves them, and an e-mailed link to choose their password.

Invariants:
- one login per address: an address that is already someone's login is linked
  to the member instead, and no invitation is sent (they log in as before);
- a new login has no usable password until the person chooses one through the
  link, so nobody else can log in as them meanwhile;
- the link works for settings.INVITATION_DAYS days, and once: its token covers
  the password hash, so choosing the password ends it. A coordinator can send
  a fresh link ("Send the invitation again") while no password is set.
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext, gettext_lazy

from core.errors import ConflictError, InvalidInputError
from core.text import lazy_text
from timebank.i18n import member_language
from timebank.models import Member, MemberStatus, Role, User
from timebank.notifications import notify_address
from timebank.permissions import require_coordinator_of

INVITATION_LINK_BROKEN = gettext_lazy(
    "This link does not work: it may be too old, or it was already used to choose a password. "
    "If you chose a password, log in with your e-mail address. If not, ask your timebank's coordinator "
    "to send the invitation again, or use “Forgotten your password?” on the log in page."
)
# The statuses in which a member takes part, so may be invited to go online.
INVITABLE_STATUSES = (MemberStatus.APPROVED, MemberStatus.ACTIVE, MemberStatus.PAUSED)


class _InvitationTokens(PasswordResetTokenGenerator):
    """Invitation links: their own salt (a password-reset or join link is not an
    invitation, nor the other way round) and their own lifetime, INVITATION_DAYS,
    instead of PASSWORD_RESET_TIMEOUT."""

    key_salt = "timebank.services.invitations.invitation"

    def check_token(self, user: User | None, token: str | None) -> bool:
        if not (user and token):
            return False
        timestamp_b36, _, _ = token.partition("-")
        try:
            timestamp = base36_to_int(timestamp_b36)
        except ValueError:
            return False
        # At or past the lifetime is too old: a lifetime of 0 days turns invitations off.
        if self._num_seconds(self._now()) - timestamp >= settings.INVITATION_DAYS * 86400:
            return False
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )


invitation_tokens = _InvitationTokens()


def _login_for_address(email: str) -> User | None:
    return User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).order_by("pk").first()


def _give_login(member: Member) -> bool:
    """Link the member to the login of their address, or make one with no usable
    password. True when a new login was made (so an invitation is needed).
    The caller holds the member's row lock."""
    existing = _login_for_address(member.email)
    if existing is not None:
        if Member.objects.filter(user=existing).exists():
            # That login is another member's: linking it would merge two people.
            raise ConflictError(
                gettext(
                    "This e-mail address is already the login of another member. "
                    "Change the address on this member's profile, or ask them which one to use."
                )
            )
        existing.groups.add(Group.objects.get(name=Role.MEMBER))
        member.user = existing
        member.save(update_fields=["user"])
        return False
    user = User(username=member.email, email=member.email, first_name=member.display_name[:150], is_active=True)
    user.set_unusable_password()
    user.save()
    user.groups.add(Group.objects.get(name=Role.MEMBER))
    member.user = user
    member.save(update_fields=["user"])
    return True


def _send_invitation(member: Member, user: User) -> None:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    timebank_name = member.timebank.name
    notify_address(
        address=user.email,
        subject=lazy_text(
            lambda: gettext("You are a member of %(timebank)s: choose your password") % {"timebank": timebank_name}
        ),
        template="emails/invitation.txt",
        context={
            "member": member,
            "timebank": member.timebank,
            "path": reverse("timebank:invitation", args=[uidb64, invitation_tokens.make_token(user)]),
            "days": settings.INVITATION_DAYS,
        },
        log_as=f"user {user.pk}",
        # Their chosen language, not the coordinator's who sends it.
        language=member_language(member),
    )


def member_invite_on_approval(*, member: Member) -> None:
    """Called inside member_approve's transaction (the member's row is locked):
    a member with an e-mail address and no login gets one, and an invitation if
    it is new. An address that belongs to another member does not stop the
    approval: the coordinator sees "not online" and can sort it out."""
    if member.user_id is not None or not member.email or member.erased_at is not None:
        return
    try:
        # Why a savepoint: a refusal must leave the approval itself intact.
        with transaction.atomic():
            made = _give_login(member)
    except ConflictError:
        member.user = None
        return
    if made and member.user is not None:
        _send_invitation(member, member.user)


def member_invite(*, member: Member, by_user: User) -> str:
    """The coordinator's "Send the invitation again": a fresh link (the old one
    still works until it expires). Gives the member a login first if they have
    none. Returns "sent", or "linked" when their address was already a login."""
    require_coordinator_of(by_user, member.timebank_id)
    # Why atomic + lock: two clicks at once must not make two logins for one address.
    with transaction.atomic():
        locked = Member.objects.select_for_update(of=("self",)).select_related("timebank").get(pk=member.pk)
        if locked.erased_at is not None:
            raise ConflictError(gettext("This member's personal data was erased, so they cannot be invited."))
        if locked.status not in INVITABLE_STATUSES:
            raise ConflictError(
                gettext("Only an approved member can be invited to go online. %(name)s is %(status)s.")
                % {"name": locked.display_name, "status": str(locked.get_status_display()).lower()}
            )
        if not locked.email:
            raise InvalidInputError(
                gettext("Add the member's e-mail address to their profile first: the invitation is sent there."),
                field="email",
            )
        if locked.user_id is None and not _give_login(locked):
            member.user = locked.user
            return "linked"
        user = locked.user
        if user is None or user.has_usable_password():
            raise ConflictError(
                gettext(
                    "%(name)s has already chosen a password. If they have forgotten it, they can use "
                    "“Forgotten your password?” on the log in page."
                )
                % {"name": locked.display_name}
            )
        if user.email.lower() != locked.email.lower():
            raise ConflictError(
                gettext(
                    "The member's login has a different e-mail address from their profile. "
                    "Ask them which one to use, and correct the profile."
                )
            )
        _send_invitation(locked, user)
    member.user = locked.user
    return "sent"


def _user_from_link(uidb64: str, token: str) -> User:
    try:
        user_id = int(urlsafe_base64_decode(uidb64[:24]).decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError(str(INVITATION_LINK_BROKEN)) from None
    if not 0 < user_id < 2**63:
        raise InvalidInputError(str(INVITATION_LINK_BROKEN))
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.has_usable_password() or not invitation_tokens.check_token(user, token[:100]):
        raise InvalidInputError(str(INVITATION_LINK_BROKEN))
    return user


def member_invitation_check(*, uidb64: str, token: str) -> User:
    """The login an invitation link is for; InvalidInputError for a link that is
    broken, too old or already used."""
    return _user_from_link(uidb64, token)


def member_invitation_accept(*, uidb64: str, token: str, password: str) -> User:
    """Choose the password through the link: the link is used up (the token
    covers the password hash) and the login works with the new password."""
    # Why atomic + lock: the same link opened twice must set one password.
    with transaction.atomic():
        user = _user_from_link(uidb64, token)
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.has_usable_password():
            raise InvalidInputError(str(INVITATION_LINK_BROKEN))
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise InvalidInputError(" ".join(error.messages), field="password") from None
        user.set_password(password)
        user.save(update_fields=["password"])
    return user
