"""GP record events: coded entries the referrer writes back to the person's
GP record, at the moments the NHS social-prescribing codes describe
(referrals/snomed.py holds the codes; docs/referrals.md the moments).

Invariants: each moment is written at most once per referral (a unique
constraint on referral + code), inside the transaction that made it happen,
dated the day it happened. A moment with no confirmed code writes nothing.

When each moment happens (`record_transition`):

- REFERRED: the referral is requested (made without a draft, or draft -> requested).
- DECLINED: the business status says the person declined (person-declined), on
  any move: the receiver rejecting or failing it, the referrer cancelling it, or
  an update while it is open.
- NOT_ATTENDED: the business status says the person did not attend.
- SEEN: the first session was attended; for the timebank, the application was
  approved or the first exchange posted (referrals/timebank_path.py calls
  `record_moment(referral, snomed.SEEN)`).
- DISCHARGED: the receiver closes an accepted referral (completed or failed),
  unless the person declined (DECLINED says that already).

A rejection by the service, or a cancellation by the referrer, for any reason
other than the person declining writes nothing: no social-prescribing code says
"the service could not take you", and coding it as "declined" would put in the
person's record a choice they did not make. The referral made stays recorded.
"""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from core.errors import InvalidInputError
from referrals import snomed
from referrals.actors import Actor
from referrals.consent import Sharing, gp_events_visible, referral_sharing
from referrals.models import BusinessStatus, GpRecordEvent, Referral, ReferralStatus
from referrals.selectors import referrals_made_by

_SEEN_STATUSES = frozenset({BusinessStatus.FIRST_SESSION_ATTENDED, BusinessStatus.FIRST_EXCHANGE_POSTED})
_DISCHARGING = frozenset({ReferralStatus.COMPLETED, ReferralStatus.FAILED})


def record_moment(referral: Referral, moment: str, *, on: datetime.date | None = None) -> GpRecordEvent | None:
    concept = snomed.CONCEPTS.get(moment)
    if concept is None:
        return None
    event, _ = GpRecordEvent.objects.get_or_create(
        referral=referral, snomed_code=concept.code, defaults={"occurred_on": on or timezone.localdate()}
    )
    return event


def record_transition(referral: Referral, *, from_status: str) -> None:
    """Write the moments this change made happen; `referral` is saved with its
    new status and business status; `from_status` is "" for a new referral."""
    status, business_status = referral.status, referral.business_status
    if status == ReferralStatus.REQUESTED and from_status != ReferralStatus.REQUESTED:
        requested_on = timezone.localdate(referral.requested_at) if referral.requested_at else None
        record_moment(referral, snomed.REFERRED, on=requested_on)
    if business_status == BusinessStatus.PERSON_DECLINED:
        record_moment(referral, snomed.DECLINED)
    if business_status == BusinessStatus.DID_NOT_ATTEND:
        record_moment(referral, snomed.NOT_ATTENDED)
    if business_status in _SEEN_STATUSES:
        record_moment(referral, snomed.SEEN)
    if status in _DISCHARGING and from_status != status and business_status != BusinessStatus.PERSON_DECLINED:
        record_moment(referral, snomed.DISCHARGED)


# --- The feed the referrer pulls (what it may see is referrals/consent.py's) ------------------------


@dataclass(frozen=True)
class FeedPage:
    events: list[GpRecordEvent]
    # Where the next page starts: pass it back as ?cursor=. Always set, so a
    # client at the end can poll later from where it stopped.
    cursor: str
    more: bool


def encode_cursor(after: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        after = json.loads(raw)["after"]
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        after = None
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= _MAX_ID:
        raise InvalidInputError(
            "This cursor is not one this API gave out. Use the next link or cursor from your last page, "
            "or leave it out to start from the first event.",
            field="cursor",
        )
    return after


def _referrer_events(actor: Actor) -> QuerySet[GpRecordEvent]:
    return (
        GpRecordEvent.objects.filter(referral_id__in=referrals_made_by(actor).values("pk"))
        .select_related("referral__consent")
        .order_by("pk")
    )


# At most this many events are looked at per request, so a referrer with many
# events it may not see (no share-back) still gets a quick, possibly short, page.
_SCAN = 500
_MAX_ID = 2**63 - 1  # a bigint: larger is no cursor of ours (and SQLite would refuse it)


def referrer_event_feed(*, actor: Actor, cursor: str = "", size: int = 20) -> FeedPage:
    """The GP record events on referrals the actor's organisation made, oldest
    first, after `cursor`, that the consent lets it see. Ordered by the event's
    id, so events added while a client pages through come on later pages:
    nothing is skipped or repeated. A page may be short (events it may not see
    are stepped over, at most `_SCAN` per request); follow `more` until false."""
    after = decode_cursor(cursor) if cursor else 0
    scan = max(size * 5, _SCAN)
    batch = list(_referrer_events(actor).filter(pk__gt=after)[: scan + 1])
    has_unscanned = len(batch) > scan
    sharing: dict[object, Sharing] = {}
    shown: list[GpRecordEvent] = []
    last = after
    for event in batch[:scan]:
        if len(shown) == size:
            break
        last = event.pk
        if event.referral_id not in sharing:
            sharing[event.referral_id] = referral_sharing(actor, event.referral)
        shown.extend(gp_events_visible(sharing[event.referral_id], [event]))
    more = has_unscanned or any(event.pk > last for event in batch)
    return FeedPage(events=shown, cursor=encode_cursor(last), more=more)
