"""A member's right to erasure (docs/quality.md D6); the subject access export
is in privacy.selectors.

Erasure (`member_erase`) removes what identifies the person and what they
wrote, ends their access, and keeps everything the hour ledger needs: the
member row stays (as "Former member"), so does their account, its balance and
every Transfer and Entry, so every timebank still sums to zero and
`manage.py ledger_check` still passes. Ledger rows are never touched: their
memos are written by the system and name nobody; what people wrote with a
transfer is in its TransferNote, which is blanked here.

On SQLite the erased text can still sit in the write-ahead log (the -wal file)
until a checkpoint copies the pages into the database; after the erasure
commits, the log is checkpointed and truncated (privacy.storage).
"""

import uuid

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from assets.models import OrganisationClaim, OrganisationMembership, ProblemReport
from core.errors import ConflictError
from privacy.registry import MEMBER_ERASERS, USER_ERASERS
from privacy.selectors import exchange_party_q
from privacy.storage import truncate_write_ahead_log_on_commit
from timebank.models import (
    Account,
    Exchange,
    ExchangeHistory,
    ExchangeStatus,
    Listing,
    ListingStatus,
    Member,
    MemberStatus,
    TransferNote,
    User,
)
from timebank.models.members import DigestFrequency
from timebank.permissions import require_coordinator_of
from timebank.services.exchanges import exchange_cancel
from timebank.services.listings import listing_close
from timebank.services.members import MEMBER_TRANSITIONS, member_leave

FORMER_MEMBER = "Former member"
REMOVED = "Removed"

# Exchanges that have not reached "done" can still be called off (the cancel
# transition in timebank.services.exchanges accepts exactly these).
CANCELLABLE_EXCHANGE_STATUSES = (ExchangeStatus.PROPOSED, ExchangeStatus.ACCEPTED)


# --- Erasure (docs/quality.md D6) -----------------------------------------------------------------


def member_erase(*, member: Member, by_user: User) -> None:
    """Erase a member's personal data, by a coordinator.

    Removed: their name (now "Former member"), e-mail, phone, full postcode and
    map point, what they wrote about themselves, communication needs and
    availability; their login (deactivated, renamed, unusable password, roles
    and sessions gone, API tokens revoked); their listings' text (and open
    listings are closed); their notes on exchanges and the descriptions of the
    exchanges they took part in; the notes on every transfer that moved their
    hours (gift messages, reasons: the other person's words may name them too);
    the e-mail on problem reports they made and the message on their
    organisation claims; their login attempts kept by django-axes;
    their name and the change messages in the admin site's history. Their profile
    cannot be edited afterwards (timebank.services.members refuses it).

    Kept:
    - the member row, status "left", with the postcode district (e.g. RG1) only:
      it is an area of thousands of households, and keeps area figures right;
    - their ledger account with its balance and every transfer and entry
      (append-only; the ledger must keep summing to zero);
    - safeguarding records (SafeguardingCheck, Incident, CategoryRestriction):
      kept for legal reasons (a safeguarding concern must stay on record even
      after someone leaves; these are coordinator-only);
    - referrals linked to the member: they are the referring organisation's
      health record, with their own lawful basis and retention (docs/quality.md D5),
      and are changed only through referrals.services.

    Exchanges not yet done are cancelled through the exchange service; exchanges
    whose time is already recorded (done, disputed) are left for the other
    person or a coordinator to finish: the hours were given.

    Refused with a ConflictError when the member was already erased.
    """
    require_coordinator_of(by_user, member.timebank_id)
    if member.user_id is not None and member.user_id == by_user.pk:
        raise ConflictError(_("You cannot erase your own data here. Ask another coordinator to do it."))
    now = timezone.now()
    # Why atomic + lock: every part of the erasure happens or none does, and two
    # coordinators erasing the same member at once cannot both go ahead.
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if locked.erased_at is not None:
            when = timezone.localtime(locked.erased_at)
            raise ConflictError(
                _("This member's personal data was already erased on %(date)s.") % {"date": date_format(when, "j F Y")}
            )
        user = locked.user

        open_exchanges = (
            Exchange.objects.filter(exchange_party_q(locked), status__in=CANCELLABLE_EXCHANGE_STATUSES)
            .distinct()
            .order_by("pk")
        )
        for exchange in list(open_exchanges):
            exchange_cancel(exchange=exchange, by_user=by_user, note="Cancelled because a member left the timebank.")

        if locked.status in MEMBER_TRANSITIONS["leave"].sources:
            member_leave(member=locked, by_user=by_user)
        else:
            # Applied, declined or already left: no status transition leads to
            # "left" from there, but an erased person's membership has ended.
            locked.status = MemberStatus.LEFT

        for listing in Listing.objects.filter(member=locked, status=ListingStatus.OPEN).order_by("pk"):
            listing_close(listing=listing, by_user=by_user)
        Listing.objects.filter(member=locked).update(
            title=REMOVED, description="", latitude=None, longitude=None, updated_at=now
        )

        their_exchanges = Exchange.objects.filter(exchange_party_q(locked)).values("pk")
        Exchange.objects.filter(pk__in=their_exchanges).update(description="", updated_at=now)
        if user is not None:
            ExchangeHistory.objects.filter(actor=user).exclude(note="").update(note="")

        # Notes, not ledger rows: the transfers and their memos stay as they are.
        TransferNote.objects.filter(transfer__entries__account__member=locked).exclude(text="").update(text="")

        # The account's name is shown on other members' statements. Account is
        # not a ledger row: only its balance is the ledger's, and that stays.
        Account.objects.filter(member=locked).update(name=FORMER_MEMBER)

        locked.display_name = FORMER_MEMBER
        locked.email = ""
        locked.phone = ""
        locked.postcode = ""
        locked.latitude = None
        locked.longitude = None
        locked.about = ""
        locked.what_matters = ""
        locked.communication_needs = []
        locked.availability = 0
        locked.digest = DigestFrequency.NEVER
        locked.status_note = "Personal data erased"
        locked.erased_at = now
        locked.save(
            update_fields=[
                "display_name",
                "email",
                "phone",
                "postcode",
                "latitude",
                "longitude",
                "about",
                "what_matters",
                "communication_needs",
                "availability",
                "digest",
                "status",
                "status_note",
                "erased_at",
            ]
        )
        for eraser in MEMBER_ERASERS:
            eraser(locked)
        if user is not None:
            _erase_user(user)
        _erase_admin_history(locked, user)
        truncate_write_ahead_log_on_commit()
    member.refresh_from_db()


def _erase_admin_history(member: Member, user: User | None) -> None:
    """The admin site's change history names what it changed (LogEntry.object_repr is
    the object's name when it was saved, e.g. "Alicia Quennell"); the entries stay,
    as a record that a change was made, with the name and the message removed."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    objects = [(member, FORMER_MEMBER)] + ([(user, user.username)] if user is not None else [])
    for instance, shown_as in objects:
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(instance, for_concrete_model=False),
            object_id=str(instance.pk),
        ).update(object_repr=shown_as, change_message="")


def _erase_user(user: User) -> None:
    """End the login for good and remove what identifies the person."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from oauth2_provider.models import (
        get_access_token_model,
        get_device_grant_model,
        get_grant_model,
        get_id_token_model,
        get_refresh_token_model,
    )

    old_username = user.username
    user.username = f"erased-{uuid.uuid4().hex}"
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    # An unusable password also invalidates every session's auth hash.
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    # A former member coordinates nothing.
    user.coordinated_timebanks.clear()
    user.user_permissions.clear()
    _delete_sessions_of(user)
    for get_model in (
        get_refresh_token_model,
        get_access_token_model,
        get_id_token_model,
        get_grant_model,
        get_device_grant_model,
    ):
        get_model().objects.filter(user=user).delete()
    # Their own staff role at an organisation (access) ends with the login.
    OrganisationMembership.objects.filter(user=user).delete()
    # What they wrote about themselves and how to reach them.
    OrganisationClaim.objects.filter(user=user).update(message="")
    ProblemReport.objects.filter(reporter=user).update(reporter_email="")
    # What higher apps keep about the login (the API's stored replies).
    for eraser in USER_ERASERS:
        eraser(user)
    # django-axes keeps login attempts and logins by the name typed in (and the
    # address and browser); the account can no longer log in, so they go.
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username__iexact=old_username).delete()


def _delete_sessions_of(user: User) -> None:
    """Log the person out everywhere. Sessions are stored signed, not indexed
    by user, so each live session is decoded once (a small table in practice)."""
    wanted = str(user.pk)
    stale = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id", "")) == wanted
    ]
    if stale:
        Session.objects.filter(pk__in=stale).delete()
