"""Member writes: joining, the coordinator's decisions about a membership,
profile changes, and the coordinator's and members' own ledger actions.

Owns the member status table (MEMBER_TRANSITIONS): applied → approved →
active → paused/left, applied → declined. Any other move is a ConflictError
with a plain message; a move by someone who is not a coordinator is a
NotAllowedError. Every ledger change goes through timebank.ledger; this module
only checks who may ask for it and whose accounts it touches.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.functional import Promise
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext, gettext_lazy

from core.communication import is_need_code
from core.errors import ConflictError, InvalidInputError
from core.places.geocoding import GeocodingError, geocode
from core.places.postcodes import normalise_postcode, postcode_district
from core.text import clean_text
from timebank import hooks, ledger
from timebank.models import (
    Account,
    Availability,
    CommunicationNeed,
    GuardianConsentMethod,
    Listing,
    Member,
    MemberStatus,
    Role,
    Timebank,
    Transfer,
    User,
)
from timebank.models.members import DigestFrequency, MemberKind
from timebank.notifications import notify_address
from timebank.permissions import require_coordinator_of
from timebank.selectors.members import ACCOUNT_OPEN_STATUSES
from timebank.services.invitations import member_invite_on_approval

MIN_TRAVEL_RADIUS_KM = 1
MAX_TRAVEL_RADIUS_KM = 100


@dataclass(frozen=True)
class MemberTransition:
    sources: tuple[str, ...]
    target: str
    refusal: "str | Promise"  # said when the member is in any other status


MEMBER_TRANSITIONS: dict[str, MemberTransition] = {
    "approve": MemberTransition(
        (MemberStatus.APPLIED,),
        MemberStatus.APPROVED,
        gettext_lazy("Only an application that is waiting can be approved."),
    ),
    "decline": MemberTransition(
        (MemberStatus.APPLIED,),
        MemberStatus.DECLINED,
        gettext_lazy("Only an application that is waiting can be declined."),
    ),
    "activate": MemberTransition(
        (MemberStatus.APPROVED,), MemberStatus.ACTIVE, gettext_lazy("Only an approved member can become active.")
    ),
    "pause": MemberTransition(
        (MemberStatus.APPROVED, MemberStatus.ACTIVE),
        MemberStatus.PAUSED,
        gettext_lazy("Only an approved or active member can be paused."),
    ),
    "resume": MemberTransition(
        (MemberStatus.PAUSED,), MemberStatus.ACTIVE, gettext_lazy("Only a paused member can be resumed.")
    ),
    "leave": MemberTransition(
        (MemberStatus.APPROVED, MemberStatus.ACTIVE, MemberStatus.PAUSED),
        MemberStatus.LEFT,
        gettext_lazy("Only an approved, active or paused member can be marked as left."),
    ),
}


# --- Roles (who holds which role is timebank.permissions') ---------------------------------


def user_make_coordinator(*, user: User) -> User:
    """Give a user the coordinator role and access to the admin site."""
    user.groups.add(Group.objects.get(name=Role.COORDINATOR))
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


# --- Validation shared by joining, profiles and offline members --------------------------


@dataclass(frozen=True)
class _Place:
    postcode: str
    district: str
    latitude: float | None
    longitude: float | None


def _place_from_postcode(text: str, *, keep_unknown: bool = False) -> _Place:
    """Check the postcode's format, then find its point with the one geocoder.
    A postcode the geocoder does not know is refused, or with `keep_unknown`
    kept without a point."""
    postcode = normalise_postcode(text)
    try:
        found = geocode(postcode)
    except GeocodingError:
        if keep_unknown:
            return _Place(postcode, postcode_district(postcode), None, None)
        raise InvalidInputError(
            gettext("We could not find the postcode %(postcode)s. Check it, or enter just the first part, like RG1.")
            % {"postcode": postcode},
            field="postcode",
        ) from None
    return _Place(postcode, postcode_district(postcode), found.lat, found.lng)


def _availability(slots: Iterable[str]) -> int:
    valid = {value for value, _ in Availability.choices()}
    slots = list(slots or [])
    unknown = [slot for slot in slots if slot not in valid]
    if unknown:
        raise InvalidInputError(gettext("Choose times from the list."), field="availability")
    return Availability.from_slots(slots)


def _communication_needs(needs: Iterable[str]) -> list[str]:
    """The timebank's own choices, and the other Accessible Information Standard
    codes a referral carries (core.communication: braille, interpreter-polish, …)."""
    needs = list(dict.fromkeys(needs or []))
    if any(need not in CommunicationNeed.values and not is_need_code(need) for need in needs):
        raise InvalidInputError(gettext("Choose communication needs from the list."), field="communication_needs")
    return needs


def _travel_radius(value: object) -> int:
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not MIN_TRAVEL_RADIUS_KM <= value <= MAX_TRAVEL_RADIUS_KM
    ):
        raise InvalidInputError(
            gettext("Enter a distance from %(min)s to %(max)s kilometres.")
            % {"min": MIN_TRAVEL_RADIUS_KM, "max": MAX_TRAVEL_RADIUS_KM},
            field="travel_radius_km",
        )
    return value


def _kind(value: str) -> str:
    if value not in MemberKind.values:
        raise InvalidInputError(gettext("Choose a person or an organisation."), field="kind")
    return value


# --- Creating a member: joining, a coordinator adding someone, a referral ------------------


UNDER_18_NEEDS_CONSENT = gettext_lazy(
    "This member is under 18: record their parent's or guardian's consent before approving them."
)
CARES_FOR_MAX = 300


def _carer(*, is_carer: bool, cares_for: str) -> tuple[bool, str]:
    """Whether they look after someone, and who (in their words; kept only for a carer)."""
    cares_for = clean_text(cares_for, field="cares_for", label=gettext("who you look after"), max_length=CARES_FOR_MAX)
    return bool(is_carer), cares_for if is_carer else ""


@dataclass(frozen=True)
class _Wording:
    """How messages name the person: applying themselves, or added by someone else."""

    name: str
    email: str
    about: str


_THEMSELVES = _Wording(name="your name", email="your e-mail address", about="the text about you")
_SOMEONE = _Wording(name="their name", email="the e-mail address", about="the text about them")


def member_create(
    *,
    timebank: Timebank,
    display_name: str,
    postcode: str,
    status: str = MemberStatus.APPLIED,
    user: User | None = None,
    by_user: User | None = None,
    kind: str = MemberKind.PERSON,
    email: str = "",
    phone: str = "",
    about: str = "",
    availability_slots: Iterable[str] = (),
    communication_needs: Iterable[str] = (),
    note: str = "",
    keep_unknown_postcode: bool = False,
    what_matters: str = "",
    is_carer: bool = False,
    cares_for: str = "",
    under_18: bool = False,
) -> Member:
    """The one way a member is made, on every path: joining (member_apply), a
    coordinator adding someone who is not online (member_create_offline) and a
    referral to the timebank (referrals.services).

    - `status`: applied (a coordinator decides later) or approved at once,
      which only a coordinator (`by_user`) may do; an approved member's hour
      account is opened with them.
    - `user`: the member's login, if they have one. A new (unsaved) login is
      saved here with the member and given the member role: the two exist
      together or not at all. `by_user`: who adds the member for them.
    - `postcode`: its place comes from the one geocoder. A postcode the
      geocoder does not know is refused, or with `keep_unknown_postcode` kept
      without a map point (an application made for someone must not fail on
      it: a coordinator corrects it when approving).
    - `note`: why the membership is in its status, for coordinators (who added
      them, or that a social prescriber referred them).
    - `what_matters`: "what matters to you", from a referral the person agreed
      to share with the timebank; only they and its coordinators see it.
    - `is_carer`, `cares_for`: they look after someone (who, in their words);
      `under_18`: a young person, approved only with a parent's or guardian's
      consent recorded (member_guardian_consent_record).
    """
    if status not in (MemberStatus.APPLIED, MemberStatus.APPROVED):
        raise InvalidInputError(gettext("A new member is either waiting for approval or approved."), field="status")
    if status == MemberStatus.APPROVED:
        require_coordinator_of(by_user, timebank)
    wording = _THEMSELVES if user is not None and by_user is None else _SOMEONE
    display_name = clean_text(display_name, field="display_name", label=wording.name, max_length=80, required=True)
    email = clean_text(email, field="email", label=wording.email, max_length=254).lower()
    phone = clean_text(phone, field="phone", label=gettext("the phone number"), max_length=30)
    about = clean_text(about, field="about", label=wording.about, max_length=2000)
    what_matters = clean_text(
        what_matters, field="what_matters", label=gettext("what matters to them"), max_length=2000
    )
    note = clean_text(note, field="note", label=gettext("the note"), max_length=300)
    is_carer, cares_for = _carer(is_carer=is_carer, cares_for=cares_for)
    if under_18 and status == MemberStatus.APPROVED:
        raise InvalidInputError(str(UNDER_18_NEEDS_CONSENT), field="under_18")
    kind = _kind(kind)
    availability = _availability(availability_slots)
    needs = _communication_needs(communication_needs)
    place = _place_from_postcode(postcode, keep_unknown=keep_unknown_postcode)
    # Why atomic: the login, the member and (when approved) their ledger account
    # are created together or not at all.
    with transaction.atomic():
        if user is not None and user.pk is None:
            user.save()
            user.groups.add(Group.objects.get(name=Role.MEMBER))
        member = Member.objects.create(
            timebank=timebank,
            user=user,
            kind=kind,
            display_name=display_name,
            email=email,
            phone=phone,
            postcode=place.postcode,
            postcode_district=place.district,
            latitude=place.latitude,
            longitude=place.longitude,
            availability=availability,
            communication_needs=needs,
            about=about,
            what_matters=what_matters,
            is_carer=is_carer,
            cares_for=cares_for,
            under_18=bool(under_18),
            status=status,
            approved_at=timezone.now() if status == MemberStatus.APPROVED else None,
            status_note=note,
        )
        if status == MemberStatus.APPROVED:
            ledger.account_for_member(member=member)
    return member


def _applicant_name_and_email(display_name: str, email: str) -> tuple[str, str]:
    display_name = clean_text(
        display_name, field="display_name", label=gettext("your name"), max_length=80, required=True
    )
    email = clean_text(
        email, field="email", label=gettext("your e-mail address"), max_length=254, required=True
    ).lower()
    return display_name, email


def _validate_new_password(password: str, user: User) -> None:
    """The password rules (AUTH_PASSWORD_VALIDATORS), refused next to the password field."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise InvalidInputError(" ".join(error.messages), field="password") from None


def member_apply(
    *,
    timebank: Timebank,
    display_name: str,
    email: str,
    postcode: str,
    phone: str = "",
    about: str = "",
    availability_slots: Iterable[str] = (),
    communication_needs: Iterable[str] = (),
    password: str | None = None,
    kind: str = MemberKind.PERSON,
    login_active: bool = True,
    is_carer: bool = False,
    cares_for: str = "",
    under_18: bool = False,
) -> Member:
    """An application to join: a User (role member) and a Member with status applied.

    The person can log in at once and sees that they are waiting for approval.
    Without a password (an application made for someone, e.g. from a referral)
    the account cannot log in until they set one through "forgotten password".
    With `login_active=False` (the public join page: member_join) the login
    works only once the e-mailed link proves the address is theirs.
    """
    # The login is named by the e-mail address: checked here, before it is made.
    display_name, email = _applicant_name_and_email(display_name, email)
    if User.objects.filter(email__iexact=email).exists() or User.objects.filter(username__iexact=email).exists():
        raise InvalidInputError(
            gettext(
                "There is already an account with this e-mail address. "
                "Log in, or reset your password if you have forgotten it."
            ),
            field="email",
        )
    user = User(username=email, email=email, first_name=display_name[:150], is_active=login_active)
    if password:
        _validate_new_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        return member_create(
            timebank=timebank,
            user=user,
            kind=kind,
            display_name=display_name,
            email=email,
            phone=phone,
            postcode=postcode,
            about=about,
            availability_slots=availability_slots,
            communication_needs=communication_needs,
            is_carer=is_carer,
            cares_for=cares_for,
            under_18=under_18,
        )
    except IntegrityError:
        # Two applications with the same address at once: the unique username caught it.
        raise InvalidInputError(
            gettext("There is already an account with this e-mail address."), field="email"
        ) from None


# --- Joining from the public page ---------------------------------------------------------------

JOIN_LINK_BROKEN = gettext_lazy(
    "This link does not work: it may be old, or already used. "
    "Log in if you have finished joining, or fill in the join form again to get a new link."
)


class _JoinLinkTokens(PasswordResetTokenGenerator):
    """Links that prove an address is the joiner's: valid for PASSWORD_RESET_TIMEOUT,
    and once only (logging in changes last_login, which the token covers). Their own
    salt, so a password-reset link is not a join link or the other way round."""

    key_salt = "timebank.services.members.join-link"


join_link_tokens = _JoinLinkTokens()


def member_join(
    *,
    timebank: Timebank,
    display_name: str,
    email: str,
    postcode: str,
    password: str,
    phone: str = "",
    about: str = "",
    availability_slots: Iterable[str] = (),
    communication_needs: Iterable[str] = (),
    is_carer: bool = False,
    cares_for: str = "",
    under_18: bool = False,
    language: str = "",
) -> Member | None:
    """Someone applies on the public join page. The answer never tells whether the
    address already has an account (anyone may type anyone's address):

    - a new address gets an application whose login works once the person
      follows the link e-mailed to that address;
    - an address with an account gets nothing new saved, and its owner gets an
      e-mail saying someone tried to join with it, how to log in and how to reset
      the password (or, if that account is itself still waiting for its link,
      the link again).

    Both paths make the same checks (so the same form errors) and hash the
    password once, so they take about as long. Returns the new Member, or None.
    """
    display_name, email = _applicant_name_and_email(display_name, email)
    _validate_new_password(password, User(username=email, email=email, first_name=display_name[:150]))
    clean_text(phone, field="phone", label=gettext("the phone number"), max_length=30)
    clean_text(about, field="about", label=gettext("the text about you"), max_length=2000)
    _availability(availability_slots)
    _communication_needs(communication_needs)
    _carer(is_carer=is_carer, cares_for=cares_for)
    _place_from_postcode(postcode)
    existing = _login_for_address(email)
    if existing is None:
        try:
            member = member_apply(
                timebank=timebank,
                display_name=display_name,
                email=email,
                phone=phone,
                postcode=postcode,
                about=about,
                availability_slots=availability_slots,
                communication_needs=communication_needs,
                password=password,
                login_active=False,
                is_carer=is_carer,
                cares_for=cares_for,
                under_18=under_18,
            )
        except InvalidInputError as error:
            # Someone else joined with this address a moment ago: answer as for any registered one.
            existing = _login_for_address(email) if error.field == "email" else None
            if existing is None:
                raise
        else:
            # The language they joined in: their pages and e-mails stay in it.
            member_set_language(member=member, language=language)
            if member.user is not None:  # member_apply always makes the login
                _send_join_link(member.user)
            return member
    make_password(password)  # the hashing a new application does, so the time does not tell
    if _waiting_for_join_link(existing):
        _send_join_link(existing)
    else:
        notify_address(
            address=existing.email or email,
            subject=gettext_lazy("Someone tried to join with your e-mail address"),
            template="emails/join_already_registered.txt",
            context={"user": existing},
            log_as=f"user {existing.pk}",
        )
    return None


def _login_for_address(email: str) -> User | None:
    return User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).order_by("pk").first()


def _waiting_for_join_link(user: User) -> bool:
    """Joined on the public page and never followed the e-mailed link."""
    return not user.is_active and user.last_login is None and user.has_usable_password()


def _send_join_link(user: User) -> None:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    notify_address(
        address=user.email,
        subject=gettext_lazy("Finish joining: confirm your e-mail address"),
        template="emails/join_confirm.txt",
        context={
            "user": user,
            "path": reverse("timebank:join-confirm", args=[uidb64, join_link_tokens.make_token(user)]),
            "days": max(settings.PASSWORD_RESET_TIMEOUT // 86400, 1),
        },
        log_as=f"user {user.pk}",
    )


def member_join_confirm(*, uidb64: str, token: str) -> User:
    """Follow the e-mailed link: the login starts working. Raises InvalidInputError
    for a link that is broken, old or already used."""
    try:
        user_id = int(urlsafe_base64_decode(uidb64[:24]).decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError(str(JOIN_LINK_BROKEN)) from None
    if not 0 < user_id < 2**63:
        raise InvalidInputError(str(JOIN_LINK_BROKEN))
    user = User.objects.filter(pk=user_id).first()
    if user is None or not _waiting_for_join_link(user) or not join_link_tokens.check_token(user, token[:100]):
        raise InvalidInputError(str(JOIN_LINK_BROKEN))
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user


def member_create_offline(
    *,
    timebank: Timebank,
    by_user: User,
    display_name: str,
    postcode: str,
    phone: str = "",
    email: str = "",
    about: str = "",
    availability_slots: Iterable[str] = (),
    communication_needs: Iterable[str] = (),
    kind: str = MemberKind.PERSON,
) -> Member:
    """A coordinator adds someone who is not online: no login, approved at once,
    with their account open, so the coordinator can record exchanges for them."""
    require_coordinator_of(by_user, timebank)
    return member_create(
        timebank=timebank,
        status=MemberStatus.APPROVED,
        by_user=by_user,
        kind=kind,
        display_name=display_name,
        email=email,
        phone=phone,
        postcode=postcode,
        about=about,
        availability_slots=availability_slots,
        communication_needs=communication_needs,
        note=f"Added by {by_user.get_full_name() or by_user.username} (not online)",
    )


# --- Status changes ------------------------------------------------------------------------


def _member_transition(*, member: Member, action: str, note: str = "", by_user: User | None = None) -> Member:
    transition = MEMBER_TRANSITIONS[action]
    note = clean_text(note, field="note", label=gettext("the note"), max_length=300)
    # Why atomic + lock: two coordinators deciding the same application at once
    # must not both succeed (one approves, the other declines).
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if locked.status not in transition.sources:
            raise ConflictError(
                gettext("%(refusal)s %(name)s is %(status)s.")
                % {
                    "refusal": transition.refusal,
                    "name": locked.display_name,
                    "status": str(locked.get_status_display()).lower(),
                }
            )
        locked.status = transition.target
        locked.status_note = note
        fields = ["status", "status_note"]
        if transition.target == MemberStatus.APPROVED:
            locked.approved_at = timezone.now()
            fields.append("approved_at")
        locked.save(update_fields=fields)
        if transition.target == MemberStatus.APPROVED:
            ledger.account_for_member(member=locked)
            # Someone whose application was made for them, with an e-mail address,
            # gets a login and an invitation to choose a password (timebank.services.invitations).
            member_invite_on_approval(member=locked)
            # Inside the transaction: a referral that brought them is accepted with the approval, or neither is.
            hooks.member_approved.send(member=locked, by_user=by_user)
        elif transition.target == MemberStatus.DECLINED:
            hooks.member_declined.send(member=locked, by_user=by_user, note=note)
    member.status, member.status_note, member.approved_at = locked.status, locked.status_note, locked.approved_at
    member.user_id = locked.user_id
    return member


def member_approve(*, member: Member, by_user: User, note: str = "") -> Member:
    """Accept an application: the member can now give and receive hours. A
    member under 18 is approved only once a parent's or guardian's consent is
    recorded (member_guardian_consent_record)."""
    require_coordinator_of(by_user, member.timebank_id)
    fresh = Member.objects.filter(pk=member.pk).values("under_18", "guardian_consent_at").first()
    if fresh is not None and fresh["under_18"] and fresh["guardian_consent_at"] is None:
        raise ConflictError(str(UNDER_18_NEEDS_CONSENT))
    return _member_transition(member=member, action="approve", note=note, by_user=by_user)


def member_decline(*, member: Member, by_user: User, note: str = "") -> Member:
    require_coordinator_of(by_user, member.timebank_id)
    return _member_transition(member=member, action="decline", note=note, by_user=by_user)


def member_activate(*, member: Member, by_user: User | None = None) -> Member:
    """Approved → active, when a member first takes part. `by_user=None` means the
    system did it (an exchange was posted); a person must be a coordinator."""
    if by_user is not None:
        require_coordinator_of(by_user, member.timebank_id)
    return _member_transition(member=member, action="activate")


def member_pause(*, member: Member, by_user: User, note: str = "") -> Member:
    """A break (illness, holiday, a safeguarding concern): no new exchanges."""
    require_coordinator_of(by_user, member.timebank_id)
    return _member_transition(member=member, action="pause", note=note)


def member_resume(*, member: Member, by_user: User, note: str = "") -> Member:
    require_coordinator_of(by_user, member.timebank_id)
    return _member_transition(member=member, action="resume", note=note)


def member_leave(*, member: Member, by_user: User, note: str = "") -> Member:
    """The member has left. Their account and history stay: the ledger keeps summing to zero."""
    require_coordinator_of(by_user, member.timebank_id)
    return _member_transition(member=member, action="leave", note=note)


def member_allowed_actions(member: Member) -> list[str]:
    """The status changes a coordinator may make now, for the member's page."""
    return [action for action, t in MEMBER_TRANSITIONS.items() if member.status in t.sources and action != "activate"]


# --- Profile ---------------------------------------------------------------------------------

ERASED_PROFILE_REFUSAL = gettext_lazy(
    "This member's personal data was erased at their request, so their profile cannot be edited. "
    "If they want to come back, they can apply again as a new member."
)


def _require_self_or_coordinator(*, member: Member, by_user: User) -> None:
    is_self = by_user is not None and member.user_id is not None and member.user_id == by_user.pk
    if not is_self:
        require_coordinator_of(by_user, member.timebank_id)


def member_update_profile(
    *,
    member: Member,
    by_user: User,
    display_name: str,
    postcode: str,
    travel_radius_km: int,
    availability_slots: Iterable[str] = (),
    communication_needs: Iterable[str] = (),
    digest: str = DigestFrequency.WEEKLY,
    phone: str = "",
    about: str = "",
    what_matters: str | None = None,
    is_carer: bool | None = None,
    cares_for: str = "",
    under_18: bool | None = None,
) -> Member:
    """The member (or a coordinator for them) changes their profile. Refused once the
    member's personal data is erased (privacy.services): it must not be filled in again.
    `what_matters` (their own words, from a referral) is left as it is when None;
    so are `is_carer` and `cares_for` when `is_carer` is None. `under_18` (None:
    unchanged) only a coordinator changes, e.g. when a young carer turns 18."""
    _require_self_or_coordinator(member=member, by_user=by_user)
    if member.erased_at is not None:
        raise ConflictError(str(ERASED_PROFILE_REFUSAL))
    change_age = under_18 is not None and bool(under_18) != member.under_18
    if change_age:
        require_coordinator_of(by_user, member.timebank_id)
    display_name = clean_text(display_name, field="display_name", label=gettext("a name"), max_length=80, required=True)
    phone = clean_text(phone, field="phone", label=gettext("the phone number"), max_length=30)
    about = clean_text(about, field="about", label=gettext("the text about you"), max_length=2000)
    if what_matters is not None:
        what_matters = clean_text(
            what_matters, field="what_matters", label=gettext("what matters to you"), max_length=2000
        )
    radius = _travel_radius(travel_radius_km)
    availability = _availability(availability_slots)
    needs = _communication_needs(communication_needs)
    if digest not in DigestFrequency.values:
        raise InvalidInputError(gettext("Choose how often you would like the e-mail digest."), field="digest")
    place = _place_from_postcode(postcode)
    member.display_name = display_name
    member.phone = phone
    member.about = about
    member.travel_radius_km = radius
    member.availability = availability
    member.communication_needs = needs
    member.digest = digest
    member.postcode, member.postcode_district = place.postcode, place.district
    member.latitude, member.longitude = place.latitude, place.longitude
    fields = [
        "display_name",
        "phone",
        "about",
        "travel_radius_km",
        "availability",
        "communication_needs",
        "digest",
        "postcode",
        "postcode_district",
        "latitude",
        "longitude",
    ]
    if what_matters is not None:
        member.what_matters = what_matters
        fields.append("what_matters")
    if is_carer is not None:
        member.is_carer, member.cares_for = _carer(is_carer=is_carer, cares_for=cares_for)
        fields += ["is_carer", "cares_for"]
    if change_age:
        member.under_18 = bool(under_18)
        fields.append("under_18")
    # Why atomic: the profile, the account's name (shown on statements) and the listings' copy of
    # the place change together. The lock is the one erasure takes: a profile saved while a
    # coordinator erases the member waits, then sees the erasure and is refused.
    with transaction.atomic():
        if Member.objects.select_for_update().values_list("erased_at", flat=True).get(pk=member.pk) is not None:
            raise ConflictError(str(ERASED_PROFILE_REFUSAL))
        member.save(update_fields=fields)
        Account.objects.filter(member=member).exclude(name=display_name).update(name=display_name)
        # Listings carry a copy of their member's place (for match suggestions): it moves with them.
        Listing.objects.filter(member=member).update(latitude=member.latitude, longitude=member.longitude)
    return member


# --- Carers and young carers ------------------------------------------------------------------

GUARDIAN_NAME_MAX = 120
GUARDIAN_RELATIONSHIP_MAX = 60


def member_set_language(*, member: Member, language: str) -> bool:
    """The member's own choice of language (pages and e-mails). A language the
    service does not offer changes nothing. Returns whether it changed."""
    if language not in dict(settings.LANGUAGES) or member.language == language:
        return False
    member.language = language
    member.save(update_fields=["language"])
    return True


def member_set_easy_read(*, member: Member, on: bool) -> bool:
    """Turn the easy-read view on or off for the member: kept as the easy-read
    communication need, so letters and feedback forms follow it too."""
    before = list(member.communication_needs or [])
    needs = [need for need in before if need != CommunicationNeed.EASY_READ]
    if on:
        needs.append(CommunicationNeed.EASY_READ.value)
    if needs == before:
        return False
    member.communication_needs = needs
    member.save(update_fields=["communication_needs"])
    return True


def member_guardian_consent_record(
    *, member: Member, by_user: User, guardian_name: str, relationship: str, method: str
) -> Member:
    """A coordinator records that a parent or guardian agreed to an under-18
    member (a young carer) joining: who, their relationship, how they said so;
    who recorded it and when are kept with it. Needed before approval."""
    require_coordinator_of(by_user, member.timebank_id)
    guardian_name = clean_text(
        guardian_name,
        field="guardian_name",
        label=gettext("the parent's or guardian's name"),
        max_length=GUARDIAN_NAME_MAX,
        required=True,
    )
    relationship = clean_text(
        relationship,
        field="guardian_relationship",
        label=gettext("how they are related"),
        max_length=GUARDIAN_RELATIONSHIP_MAX,
        required=True,
    )
    if method not in GuardianConsentMethod.values:
        raise InvalidInputError(gettext("Choose how the parent or guardian gave their consent."), field="method")
    # Why atomic + lock: the erasure takes the same lock; consent is not written on an erased member.
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if locked.erased_at is not None:
            raise ConflictError(str(ERASED_PROFILE_REFUSAL))
        if not locked.under_18:
            raise ConflictError(gettext("A parent's or guardian's consent is only needed for a member under 18."))
        locked.guardian_name, locked.guardian_relationship = guardian_name, relationship
        locked.guardian_consent_method = method
        locked.guardian_consent_recorded_by = by_user
        locked.guardian_consent_at = timezone.now()
        locked.save(
            update_fields=[
                "guardian_name",
                "guardian_relationship",
                "guardian_consent_method",
                "guardian_consent_recorded_by",
                "guardian_consent_at",
            ]
        )
    for name in ("guardian_name", "guardian_relationship", "guardian_consent_method", "guardian_consent_at"):
        setattr(member, name, getattr(locked, name))
    member.guardian_consent_recorded_by = by_user
    return member


def member_cares_for_link(*, member: Member, cared_for: Member | None, by_user: User) -> Member:
    """A coordinator links a carer to the member they look after (or clears the
    link with None). Both belong to the same timebank."""
    require_coordinator_of(by_user, member.timebank_id)
    if cared_for is not None:
        if cared_for.timebank_id != member.timebank_id:
            raise InvalidInputError(gettext("Choose a member of this timebank."), field="cares_for_member")
        if cared_for.pk == member.pk:
            raise InvalidInputError(gettext("A member cannot look after themselves here."), field="cares_for_member")
        if not member.is_carer:
            raise ConflictError(gettext("Say first that this member looks after someone (their profile)."))
    member.cares_for_member = cared_for
    member.save(update_fields=["cares_for_member"])
    return member


# --- Hours: gifts, the community pot, reversals ------------------------------------------------


def _require_can_receive(member: Member) -> None:
    # A paused member may still be given hours (a gift while unwell is the point).
    if member.status not in ACCOUNT_OPEN_STATUSES:
        raise ConflictError(
            gettext("%(name)s cannot be given hours: their membership is %(status)s.")
            % {"name": member.display_name, "status": str(member.get_status_display()).lower()},
            field="receiver",
        )


def _require_can_give(member: Member) -> None:
    if not member.can_exchange:
        raise ConflictError(
            gettext("%(name)s cannot give hours just now: their membership is %(status)s.")
            % {"name": member.display_name, "status": str(member.get_status_display()).lower()}
        )


def member_give_hours(*, giver: Member, receiver: Member, minutes: int, by_user: User, note: str = "") -> Transfer:
    """A gift of hours from one member to another, by the giver or a coordinator for them."""
    _require_self_or_coordinator(member=giver, by_user=by_user)
    if receiver.timebank_id != giver.timebank_id:
        raise InvalidInputError(gettext("Choose a member of your timebank."), field="receiver")
    if receiver.pk == giver.pk:
        raise InvalidInputError(gettext("You cannot give hours to yourself."), field="receiver")
    _require_can_give(giver)
    _require_can_receive(receiver)
    note = clean_text(note, field="note", label=gettext("the note"), max_length=200)
    # The note goes to the transfer's note, never its append-only memo (ledger.py).
    return ledger.gift(giver=giver, receiver=receiver, minutes=minutes, note=note, recorded_by=by_user)


def member_donate_to_pot(*, member: Member, minutes: int, by_user: User, note: str = "") -> Transfer:
    """A member gives hours to the community pot, by themselves or a coordinator for them."""
    _require_self_or_coordinator(member=member, by_user=by_user)
    _require_can_give(member)
    note = clean_text(note, field="note", label=gettext("the note"), max_length=200)
    return ledger.pot_donate(member=member, minutes=minutes, note=note, recorded_by=by_user)


def pot_grant_to_member(*, member: Member, minutes: int, by_user: User, reason: str) -> Transfer:
    """A coordinator gives hours from the community pot to a member, with a reason."""
    require_coordinator_of(by_user, member.timebank_id)
    _require_can_receive(member)
    reason = clean_text(reason, field="reason", label=gettext("the reason"), max_length=200, required=True)
    return ledger.pot_grant(member=member, minutes=minutes, note=reason, recorded_by=by_user)


def transfer_reverse_with_reason(
    *, transfer: Transfer, by_user: User, reason: str, override_limits: bool = False
) -> Transfer:
    """A coordinator undoes a transfer with an equal and opposite one (once only).

    A reversal an account limit refuses comes back as a ConflictError on the
    `override_limits` field; with `override_limits` the coordinator lets it
    through: the limit is widened and the reason recorded with the override."""
    require_coordinator_of(by_user, transfer.timebank_id)
    reason = clean_text(
        reason, field="reason", label=gettext("why this is being reversed"), max_length=250, required=True
    )
    try:
        return ledger.transfer_reverse(
            transfer=transfer,
            reason=reason,
            recorded_by=by_user,
            override_limits_by=by_user if override_limits else None,
        )
    except ledger.LimitExceededError as error:
        refused = ledger.LimitExceededError(
            gettext("%(reason)s Tick the box to let this correction through anyway.") % {"reason": error.message},
            account=error.account,
        )
        refused.field = "override_limits"
        raise refused from error
