"""The referral state machine (FHIR Task for referral management), as a table.

| from        | to               | who may move it |
|-------------|------------------|-----------------|
| draft       | requested        | referrer        |
| draft       | cancelled        | referrer        |
| requested   | accepted         | receiver        |
| requested   | rejected         | receiver        |
| requested   | cancelled        | referrer        |
| accepted    | in-progress      | receiver        |
| accepted    | on-hold          | receiver        |
| accepted    | completed        | receiver        |
| accepted    | failed           | receiver        |
| accepted    | cancelled        | referrer        |
| in-progress | on-hold          | receiver        |
| in-progress | completed        | receiver        |
| in-progress | failed           | receiver        |
| in-progress | cancelled        | referrer        |
| on-hold     | in-progress      | receiver        |
| on-hold     | failed           | receiver        |
| on-hold     | cancelled        | referrer        |
| any other   | entered-in-error | referrer        |

A move to the same status is allowed only to change `business_status`, by the
receiver, while the referral is accepted, in progress or on hold. A reason is
required for rejected, cancelled, on-hold and failed. Every other move is
illegal (409 with a plain message).
"""

from referrals.models import ReferralStatus as S

REFERRER = "referrer"
RECEIVER = "receiver"

TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, S.REQUESTED): REFERRER,
    (S.DRAFT, S.CANCELLED): REFERRER,
    (S.REQUESTED, S.ACCEPTED): RECEIVER,
    (S.REQUESTED, S.REJECTED): RECEIVER,
    (S.REQUESTED, S.CANCELLED): REFERRER,
    (S.ACCEPTED, S.IN_PROGRESS): RECEIVER,
    (S.ACCEPTED, S.ON_HOLD): RECEIVER,
    (S.ACCEPTED, S.COMPLETED): RECEIVER,
    (S.ACCEPTED, S.FAILED): RECEIVER,
    (S.ACCEPTED, S.CANCELLED): REFERRER,
    (S.IN_PROGRESS, S.ON_HOLD): RECEIVER,
    (S.IN_PROGRESS, S.COMPLETED): RECEIVER,
    (S.IN_PROGRESS, S.FAILED): RECEIVER,
    (S.IN_PROGRESS, S.CANCELLED): REFERRER,
    (S.ON_HOLD, S.IN_PROGRESS): RECEIVER,
    (S.ON_HOLD, S.FAILED): RECEIVER,
    (S.ON_HOLD, S.CANCELLED): REFERRER,
    **{(status, S.ENTERED_IN_ERROR): REFERRER for status in S.values if status != S.ENTERED_IN_ERROR},
}

REASON_REQUIRED = frozenset({S.REJECTED, S.CANCELLED, S.ON_HOLD, S.FAILED})
# Statuses in which the receiver may update business_status without a move.
BUSINESS_STATUS_UPDATABLE = frozenset({S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD})
# The receiver is working with the person (for "places left" and pages).
ACTIVE = frozenset({S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD})
CLOSED = frozenset({S.REJECTED, S.CANCELLED, S.COMPLETED, S.FAILED, S.ENTERED_IN_ERROR})


def who_may_move(from_status: str, to_status: str) -> str | None:
    """The party allowed to make this move, or None when it is illegal."""
    if from_status == to_status:
        return RECEIVER if from_status in BUSINESS_STATUS_UPDATABLE else None
    return TRANSITIONS.get((from_status, to_status))


def moves_for(status: str, party: str) -> list[str]:
    """The statuses this party may move a referral in `status` to (for pages)."""
    return [to for (frm, to), who in TRANSITIONS.items() if frm == status and who == party]
