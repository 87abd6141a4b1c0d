"""Reads of referrals, always scoped to an Actor (docs/quality.md A1, D4).

- A referring organisation sees the referrals it made.
- A receiving organisation sees referrals to its services once requested.
- Timebank coordinators see referrals to the timebanks they coordinate once
  requested (Actor.coordinated_timebank_ids; a network administrator, all);
  a referral to another timebank does not exist for them.
- Nobody else sees anything.
What a receiver sees of the person depends on the consent scope and the
do-not-contact flag: the consent policy, referrals/consent.py (`referral_sharing`).
"""

import uuid
from collections.abc import Iterable

from django.db.models import Count, Prefetch, Q, QuerySet

from referrals import states
from referrals.actors import Actor

# The consent policy lives in referrals/consent.py; these names are read from here too.
from referrals.consent import (
    ANONYMISED_PERSON_FIELDS as ANONYMISED_PERSON_FIELDS,
    CONTACT_FIELDS as CONTACT_FIELDS,
    RECEIVER_PERSON_FIELDS as RECEIVER_PERSON_FIELDS,
    REFERRER_PERSON_FIELDS as REFERRER_PERSON_FIELDS,
    Progress as Progress,
    Sharing as Sharing,
    gp_events_visible as gp_events_visible,
    referral_parties as referral_parties,
    referral_sharing as referral_sharing,
    shown_progress as shown_progress,
    visible_outcomes as visible_outcomes,
    with_shown_progress as with_shown_progress,
)
from referrals.models import Outcome, Referral, ReferralHistory, ReferralStatus


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


def with_history(queryset: QuerySet[Referral]) -> QuerySet[Referral]:
    """Adds the history without a query per row: lists need it to show each
    viewer only the progress it may see (`shown_progress`)."""
    return queryset.prefetch_related(
        Prefetch("history", queryset=ReferralHistory.objects.select_related("organisation")),
    )


def referral_with_details(queryset: QuerySet[Referral]) -> QuerySet[Referral]:
    """Adds history, outcomes and GP events without a query per row."""
    return with_history(queryset).prefetch_related(
        Prefetch("outcomes", queryset=Outcome.objects.order_by("recorded_at", "pk")),
        "gp_record_events",
    )


def referral_visible_outcomes(actor: Actor, referral: Referral) -> list[Outcome]:
    return visible_outcomes(referral_sharing(actor, referral), referral)


def places_taken(service_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Referrals each service is actively working with, for "places left"."""
    rows = (
        Referral.objects.filter(target_service_id__in=service_ids, status__in=states.ACTIVE)
        .values("target_service_id")
        .annotate(n=Count("pk"))
    )
    return {row["target_service_id"]: row["n"] for row in rows}


OPEN_STATUSES = (ReferralStatus.REQUESTED, *tuple(states.ACTIVE))
