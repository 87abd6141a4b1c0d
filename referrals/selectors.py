"""Reads of referrals, always scoped to an Actor (docs/quality.md A1, D4).

- A referring organisation sees the referrals it made.
- A receiving organisation sees referrals to its services once requested.
- Timebank coordinators see referrals to the timebanks they coordinate once
  requested (Actor.coordinated_timebank_ids; a network administrator, all);
  a referral to another timebank does not exist for them.
- Nobody else sees anything.
What a receiver sees of the person depends on the consent scope and the
do-not-contact flag (`referral_sharing`).
"""

import dataclasses
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from referrals import states
from referrals.actors import Actor
from referrals.models import ConsentScope, Outcome, Referral, ReferralHistory, ReferralStatus

# What a receiver needs to contact the person, with consent to share (D4).
CONTACT_FIELDS = ("phone", "email", "preferred_contact", "contact_times")
RECEIVER_PERSON_FIELDS = (
    "given_name",
    "family_name",
    "preferred_name",
    "postcode_district",
    "communication_needs",
    "do_not_contact",
    *CONTACT_FIELDS,
)
# What is left of the person once a referral is anonymised (docs/quality.md D5,
# privacy/retention.py): the placeholder name and the postcode district. The blanked
# contact fields are not shown, so pages and the API say nothing misleading
# (like "best way to contact: " with no way given).
ANONYMISED_PERSON_FIELDS = frozenset({"given_name", "family_name", "preferred_name", "postcode", "postcode_district"})
REFERRER_PERSON_FIELDS = (
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "postcode",
    "communication_needs",
    "do_not_contact",
    *CONTACT_FIELDS,
)


def _received_q(actor: Actor) -> Q:
    received = Q(pk__in=[])
    if actor.organisation_id is not None:
        received |= Q(receiving_organisation_id=actor.organisation_id)
    if actor.coordinated_timebank_ids:
        received |= Q(target_timebank_id__in=sorted(actor.coordinated_timebank_ids))
    # A draft is the referrer's own until it is requested.
    return received & Q(requested_at__isnull=False)


def referrals_visible_to(actor: Actor) -> QuerySet[Referral]:
    q = _received_q(actor)
    if actor.organisation_id is not None:
        q |= Q(referring_organisation_id=actor.organisation_id)
    return (
        Referral.objects.filter(q)
        .select_related(
            "referring_organisation",
            "receiving_organisation",
            "target_service__organisation",
            "target_timebank",
            "consent",
        )
        .prefetch_related("needs")
    )


def referrals_made_by(actor: Actor) -> QuerySet[Referral]:
    if actor.organisation_id is None:
        return Referral.objects.none()
    return referrals_visible_to(actor).filter(referring_organisation_id=actor.organisation_id)


def referrals_received_by(actor: Actor) -> QuerySet[Referral]:
    return referrals_visible_to(actor).filter(_received_q(actor))


def referral_with_details(queryset: QuerySet[Referral]) -> QuerySet[Referral]:
    """Adds history, outcomes and GP events without a query per row."""
    return queryset.prefetch_related(
        Prefetch("history", queryset=ReferralHistory.objects.select_related("organisation")),
        Prefetch("outcomes", queryset=Outcome.objects.order_by("recorded_at", "pk")),
        "gp_record_events",
    )


def referral_parties(actor: Actor, referral: Referral) -> frozenset[str]:
    """Which side(s) of this referral the actor is on."""
    parties = set()
    if actor.organisation_id is not None and referral.referring_organisation_id == actor.organisation_id:
        parties.add(states.REFERRER)
    if referral.requested_at is not None:
        if actor.organisation_id is not None and referral.receiving_organisation_id == actor.organisation_id:
            parties.add(states.RECEIVER)
        if actor.coordinates(referral.target_timebank_id):
            parties.add(states.RECEIVER)
    return frozenset(parties)


@dataclass(frozen=True)
class Sharing:
    """What one actor may see of one referral."""

    person_fields: tuple[str, ...]
    what_matters: bool
    notes: bool
    consent_details: bool
    gp_record_events: bool
    outcome_organisations: frozenset[uuid.UUID | None] | None  # organisation ids; None: all outcomes
    # What happened after the referral was made (the receiver's status moves,
    # business status, reasons and history). False for a referrer without the
    # person's share-back consent: it then sees only its own moves (`shown_progress`).
    progress: bool = True
    # Which organisation is looking (its own history rows stay visible).
    organisation_id: uuid.UUID | None = None


def referral_sharing(actor: Actor, referral: Referral) -> Sharing:
    """What this actor may see of this referral; of an anonymised one, only
    what is left of the person (ANONYMISED_PERSON_FIELDS)."""
    sharing = _sharing(actor, referral)
    if referral.anonymised_at is None:
        return sharing
    return dataclasses.replace(
        sharing, person_fields=tuple(f for f in sharing.person_fields if f in ANONYMISED_PERSON_FIELDS)
    )


def _sharing(actor: Actor, referral: Referral) -> Sharing:
    parties = referral_parties(actor, referral)
    consent = getattr(referral, "consent", None)
    if states.REFERRER in parties:
        share_back = consent is not None and consent.allows(ConsentScope.SHARE_BACK)
        # Both sides (one organisation referring to its own service) see all.
        share_back = share_back or states.RECEIVER in parties
        return Sharing(
            person_fields=REFERRER_PERSON_FIELDS,
            what_matters=True,
            notes=True,
            consent_details=True,
            gp_record_events=True,
            outcome_organisations=None if share_back else frozenset({actor.organisation_id}),
            progress=share_back,
            organisation_id=actor.organisation_id,
        )
    shared = consent is not None and consent.allows(ConsentScope.SHARE_WITH_SERVICE)
    if not shared:
        # Codes only, or consent withdrawn: no name, no contact, no free text.
        fields: tuple[str, ...] = ("do_not_contact",)
    elif referral.do_not_contact:
        fields = tuple(f for f in RECEIVER_PERSON_FIELDS if f not in CONTACT_FIELDS)
    else:
        fields = RECEIVER_PERSON_FIELDS
    return Sharing(
        person_fields=fields,
        what_matters=shared,
        notes=shared,
        consent_details=False,
        gp_record_events=False,
        outcome_organisations=None if shared else frozenset({actor.organisation_id}),
        organisation_id=actor.organisation_id,
    )


@dataclass(frozen=True)
class Progress:
    """The status, business status, reason and history one viewer may see."""

    status: str
    business_status: str
    status_reason: str
    history: list[ReferralHistory]


def shown_progress(sharing: Sharing, referral: Referral) -> Progress:
    """Without share-back consent a referrer sees only its own moves: the status
    it last set (requested, cancelled, entered in error) and its own history rows,
    not what the receiver did. Uses the prefetched history when there is one."""
    history = list(referral.history.all())
    if sharing.progress:
        return Progress(referral.status, referral.business_status, referral.status_reason, history)
    own = [row for row in history if row.organisation_id == sharing.organisation_id]
    last = own[-1] if own else None
    return Progress(
        status=last.to_status if last else ReferralStatus.REQUESTED,
        business_status="",
        status_reason=last.reason if last else "",
        history=own,
    )


def referral_visible_outcomes(actor: Actor, referral: Referral) -> list[Outcome]:
    allowed = referral_sharing(actor, referral).outcome_organisations
    outcomes = list(referral.outcomes.all())
    if allowed is None:
        return outcomes
    return [o for o in outcomes if o.recorded_by_organisation_id in allowed]


def places_taken(service_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Referrals each service is actively working with, for "places left"."""
    rows = (
        Referral.objects.filter(target_service_id__in=service_ids, status__in=states.ACTIVE)
        .values("target_service_id")
        .annotate(n=Count("pk"))
    )
    return {row["target_service_id"]: row["n"] for row in rows}


OPEN_STATUSES = (ReferralStatus.REQUESTED, *tuple(states.ACTIVE))
