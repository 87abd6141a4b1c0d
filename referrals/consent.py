"""The consent policy: what one viewer may see of one referral, the one rule
every read path follows (docs/quality.md D1, D4): the API's JSON and its
filters, the pages, webhook deliveries, GP record events, reports and error
messages.

The person's Consent (referrals.models) has scopes:
- `share-with-service`: the receiver may see who the person is (name, contact,
  what matters, notes and other free text). Without it (codes only, or
  withdrawn) the receiver sees codes only: needs, priority, status, the
  do-not-contact flag, no free text written by the referrer.
- `share-back-with-referrer`: what happens after the referral is made goes back
  to the link worker and the GP. Without it (or once consent is withdrawn) the
  referrer sees only its own moves: the status it last set (requested,
  cancelled, entered in error), its own history rows, its own outcomes, the
  "referral made" GP record event. No business status, no receiver's reasons,
  no first exchange, and the referral's "last changed" time is its own last
  change. Its list filters and ordering work on what it sees (`with_shown_progress`);
  a refusal to move the referral names no status it cannot see.
- `codes-only`: the same as leaving out `share-with-service`, said plainly.

Withdrawal (`Consent.withdrawn_at`) takes away both scopes from that moment on,
on every path (a webhook waiting to be sent is checked again when it is sent).
An organisation on both sides (referring to its own service) sees everything;
a timebank coordinator receiving a referral to their timebank is its receiver.
Anyone else does not see the referral at all (selectors.referrals_visible_to).

Reports count referrals for a reader who is usually on neither side
(`report_view`): see its docstring.
"""

import dataclasses
import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, DateTimeField, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext as _, gettext_lazy

from referrals import snomed, states
from referrals.actors import Actor
from referrals.models import (
    Consent,
    ConsentScope,
    GpRecordEvent,
    Outcome,
    Referral,
    ReferralHistory,
    ReferralStatus,
)

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

# The statuses only the referrer moves a referral to (states.TRANSITIONS): a
# status the referrer set is one of these, and no receiver move reaches one.
REFERRER_STATUSES = frozenset(to for (_, to), who in states.TRANSITIONS.items() if who == states.REFERRER) - frozenset(
    to for (_, to), who in states.TRANSITIONS.items() if who == states.RECEIVER
)
# GP record moments that are the referrer's own act (the referral was made).
REFERRER_MOMENTS = frozenset({snomed.REFERRED})
_REFERRER_MOMENT_CODES = frozenset(snomed.CONCEPTS[m].code for m in REFERRER_MOMENTS if m in snomed.CONCEPTS)

NOT_SHARED_BACK = gettext_lazy(
    "The person did not agree to share what happens next with the organisation that referred them, "
    "so only what you did is shown here."
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


def consent_allows(referral: Referral, scope: str) -> bool:
    """The person's consent on this referral allows `scope` now (given, not withdrawn)."""
    consent: Consent | None = getattr(referral, "consent", None)
    return consent is not None and consent.allows(scope)


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
    # The link worker's reason for an exception to the service's ages or areas
    # (referrals.eligibility): free text about the person, so a receiver sees it
    # only with consent to share; without, it sees only that an exception was made.
    eligibility_override_reason: bool = False
    # Free text the other side wrote on the history (reasons): a receiver without
    # consent to share sees no text the referrer wrote about the person.
    others_reasons: bool = True


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
    if states.REFERRER in parties:
        # Both sides (one organisation referring to its own service) see all.
        share_back = consent_allows(referral, ConsentScope.SHARE_BACK) or states.RECEIVER in parties
        return Sharing(
            person_fields=REFERRER_PERSON_FIELDS,
            what_matters=True,
            notes=True,
            consent_details=True,
            gp_record_events=True,
            outcome_organisations=None if share_back else frozenset({actor.organisation_id}),
            progress=share_back,
            organisation_id=actor.organisation_id,
            eligibility_override_reason=True,
        )
    shared = consent_allows(referral, ConsentScope.SHARE_WITH_SERVICE)
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
        eligibility_override_reason=shared,
        others_reasons=shared,
    )


@dataclass(frozen=True)
class Progress:
    """The status, business status, reason, history and times one viewer may see."""

    status: str
    business_status: str
    status_reason: str
    history: list[ReferralHistory]
    first_exchange_at: datetime.datetime | None
    modified_at: datetime.datetime


def _own_last_change(referral: Referral, own: list[ReferralHistory]) -> datetime.datetime:
    changed = own[-1].at if own else referral.created_at
    consent: Consent | None = getattr(referral, "consent", None)
    withdrawn = consent.withdrawn_at if consent is not None else None
    return max(changed, withdrawn) if withdrawn is not None else changed


def shown_progress(sharing: Sharing, referral: Referral) -> Progress:
    """Without share-back consent a referrer sees only its own moves: the status
    it last set (requested, cancelled, entered in error) and its own history rows,
    not what the receiver did. A receiver without consent to share sees no reason
    the referrer wrote. Uses the prefetched history when there is one."""
    history = list(referral.history.all())
    if not sharing.progress:
        own = [row for row in history if _is_own(sharing, row)]
        last = own[-1] if own else None
        return Progress(
            status=last.to_status if last else ReferralStatus.REQUESTED,
            business_status="",
            status_reason=last.reason if last else "",
            history=own,
            first_exchange_at=None,
            modified_at=_own_last_change(referral, own),
        )
    status_reason = referral.status_reason
    if not sharing.others_reasons:
        history = [_without_reason(row) if _by_referrer(referral, row) else row for row in history]
        if referral.status in REFERRER_STATUSES:
            status_reason = ""  # The referrer set this status, and wrote this reason.
    return Progress(
        status=referral.status,
        business_status=referral.business_status,
        status_reason=status_reason,
        history=history,
        first_exchange_at=referral.first_exchange_at,
        modified_at=referral.modified_at,
    )


def _is_own(sharing: Sharing, row: ReferralHistory) -> bool:
    return sharing.organisation_id is not None and row.organisation_id == sharing.organisation_id


def _by_referrer(referral: Referral, row: ReferralHistory) -> bool:
    return row.organisation_id is not None and row.organisation_id == referral.referring_organisation_id


def _without_reason(row: ReferralHistory) -> ReferralHistory:
    # A copy: the prefetched row is shared with whoever else reads this referral object.
    shown = ReferralHistory(**{f.attname: getattr(row, f.attname) for f in ReferralHistory._meta.concrete_fields})
    shown.reason = ""
    if "organisation" in row._state.fields_cache:
        shown.organisation = row.organisation
    return shown


def visible_outcomes(sharing: Sharing, referral: Referral) -> list[Outcome]:
    outcomes = list(referral.outcomes.all())
    allowed = sharing.outcome_organisations
    if allowed is None:
        return outcomes
    return [o for o in outcomes if o.recorded_by_organisation_id in allowed]


def gp_events_visible(sharing: Sharing, events: Iterable[GpRecordEvent]) -> list[GpRecordEvent]:
    """The GP record events this viewer may see: none for a receiver; all for a
    referrer the person agreed to share back with; without that, only the
    moments that are the referrer's own act (REFERRER_MOMENTS: the referral made)."""
    if not sharing.gp_record_events:
        return []
    if sharing.progress:
        return list(events)
    return [event for event in events if event.snomed_code in _REFERRER_MOMENT_CODES]


def transition_refusal(*, sharing: Sharing, shown_status: str, real_status: str, to: str) -> str | None:
    """For a referrer that cannot see the real status: why a move it may make
    from what it sees is refused, without naming the status it cannot see.
    None when the move is fine (or the viewer sees the real status)."""
    if sharing.progress or shown_status == real_status:
        return None
    if states.who_may_move(real_status, to) == states.who_may_move(shown_status, to):
        return None
    label = ReferralStatus(to).label.lower()
    return _(
        "This referral cannot be moved to %(status)s now. The person did not agree to share what happened "
        "after the referral with you, so ask the organisation that received it."
    ) % {"status": label}


# --- Lists: filter and order on what the viewer sees ---------------------------------------------

_SHARE_BACK_JSON = f'"{ConsentScope.SHARE_BACK.value}"'


def progress_shared_q(actor: Actor) -> Q:
    """Referrals (among those the actor sees) whose progress the actor sees: it is
    not their referrer, or it is on both sides, or the person agreed to share back.
    Scopes are a JSON list of known codes, so matching the quoted code in its text
    works on SQLite and PostgreSQL alike (SQLite has no JSON `contains`)."""
    q = ~Q(referring_organisation_id=actor.organisation_id) if actor.organisation_id else Q(pk__isnull=False)
    if actor.organisation_id is not None:
        q |= Q(receiving_organisation_id=actor.organisation_id, requested_at__isnull=False)
    if actor.coordinated_timebank_ids:
        q |= Q(target_timebank_id__in=sorted(actor.coordinated_timebank_ids), requested_at__isnull=False)
    return q | Q(consent__given=True, consent__withdrawn_at__isnull=True, consent__scopes__icontains=_SHARE_BACK_JSON)


def with_shown_progress(queryset: QuerySet[Referral], actor: Actor) -> QuerySet[Referral]:
    """Annotates `shown_status` and `shown_modified_at`: what `shown_progress`
    gives this actor, in SQL, so list filters and ordering reveal nothing more."""
    own = ReferralHistory.objects.filter(referral=OuterRef("pk"), organisation_id=actor.organisation_id).order_by(
        "-at", "-pk"
    )
    own_changed = Coalesce(Subquery(own.values("at")[:1]), F("created_at"))
    withdrawn = Coalesce(F("consent__withdrawn_at"), own_changed)
    return queryset.annotate(
        shown_status=Case(
            When(progress_shared_q(actor), then=F("status")),
            default=Coalesce(Subquery(own.values("to_status")[:1]), Value(ReferralStatus.REQUESTED.value)),
        ),
        shown_modified_at=Case(
            When(progress_shared_q(actor), then=F("modified_at")),
            default=Greatest(own_changed, withdrawn),
            output_field=DateTimeField(),
        ),
    )


# --- Webhooks ------------------------------------------------------------------------------------


def referrer_made_event(payload: dict) -> bool:
    """A webhook event the referrer's own act caused: making the referral, or a
    move to a status only the referrer sets. Everything else is progress."""
    event = payload.get("event")
    return event == "referral.created" or (
        event == "referral.status_changed" and payload.get("status") in REFERRER_STATUSES
    )


def may_hear(*, organisation_id: uuid.UUID | None, referral: Referral, payload: dict) -> bool:
    """Whether an organisation's webhook may carry this event about this referral:
    the referrer hears of the receiver's progress only with share-back consent
    (checked when queued and again when sent, so a withdrawal in between stops it).
    No event at all is sent rather than one without a status: its timing alone
    would tell that the receiver did something."""
    if organisation_id != referral.referring_organisation_id:
        return True
    if organisation_id == referral.receiving_organisation_id and referral.requested_at is not None:
        return True
    return referrer_made_event(payload) or consent_allows(referral, ConsentScope.SHARE_BACK)


# --- Reports -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportView:
    """What a timebank's reports may count of one referral."""

    counted: bool  # in every referral report (the same referrals in each)
    progress: bool  # its status and business status; else counted as "not shared"
    outcome_organisations: frozenset[uuid.UUID | None] | None  # as Sharing; None: all


NO_OUTCOMES: frozenset[uuid.UUID | None] = frozenset()


def report_view(reader: Actor, referral: Referral) -> ReportView:
    """A report reader (a timebank's coordinators) counts:
    - only referrals whose consent stands: one not given, or withdrawn, is left
      out of every referral report (the same referrals in each report, so small
      numbers stay suppressed across them);
    - for a referral it received (to its timebank): what its receiver sees
      (`referral_sharing`);
    - for any other referral, where it is on neither side: the status and
      business status only when the person agreed to share what happens
      (share-back), else they count as "not shared"; outcomes only when the
      person agreed to both sharing scopes (with the service and back), as an
      outcome then may leave the organisation that recorded it either way."""
    consent: Consent | None = getattr(referral, "consent", None)
    if consent is None or not consent.given or consent.withdrawn_at is not None:
        return ReportView(counted=False, progress=False, outcome_organisations=NO_OUTCOMES)
    if referral_parties(reader, referral):
        sharing = referral_sharing(reader, referral)
        return ReportView(counted=True, progress=sharing.progress, outcome_organisations=sharing.outcome_organisations)
    share_back = consent.allows(ConsentScope.SHARE_BACK)
    both = share_back and consent.allows(ConsentScope.SHARE_WITH_SERVICE)
    return ReportView(counted=True, progress=share_back, outcome_organisations=None if both else NO_OUTCOMES)
