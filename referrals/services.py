"""Every write to referrals: making one, moving it through the state machine
(states.py), consent, outcomes, webhook subscriptions (the timebank's own
moves of a referral are referrals/timebank_path.py's), and the access log (docs/quality.md D2).

Each public function takes an Actor (who, for which organisation) and checks
that the actor may do it; refusals are DomainErrors with plain messages that
never quote the person's details (docs/quality.md D8). Every change and every refused
attempt is written to the access log, outside the change's transaction so a
refusal is recorded even though the change rolled back.
"""

import contextlib
import datetime
import secrets
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from assets.models import Organisation, Service, ServiceStatus, TaxonomyTerm
from core.errors import ConflictError, DomainError, InvalidInputError, NotAllowedError, NotFoundError
from core.places.postcodes import PostcodeError, normalise_postcode
from core.text import clean_text
from referrals import gp_events, states
from referrals.actors import Actor
from referrals.communication import CATEGORIES, is_need_code, need_code
from referrals.consent import referral_sharing, shown_progress, transition_refusal
from referrals.eligibility import age_on, eligibility_check
from referrals.instruments import get_instrument
from referrals.models import (
    AccessAction,
    AccessOutcome,
    BusinessStatus,
    Consent,
    ConsentMethod,
    ConsentScope,
    Outcome,
    OutcomeStage,
    PreferredContact,
    Priority,
    Referral,
    ReferralAccessLog,
    ReferralHistory,
    ReferralStatus,
    WebhookSubscription,
)
from referrals.selectors import referral_parties, referrals_visible_to
from referrals.webhooks import queue_referral_event, validate_webhook_url
from timebank.models import Member, MemberStatus, Timebank, User
from timebank.selectors.timebanks import is_slug, public_timebanks
from timebank.services.members import member_create

MAX_NEEDS = 20
MAX_COMMUNICATION_NEEDS = 10
# Consent may be recorded a little "in the future" by a client whose clock runs fast.
CLOCK_SKEW = datetime.timedelta(minutes=5)


# --- Access log -----------------------------------------------------------------------------


def _acting_user(actor: Actor | None) -> User | None:
    """The actor's login, to record who acted; None for an API client."""
    user = actor.user if actor is not None else None
    return user if isinstance(user, User) and user.pk is not None else None


def access_log_record(*, actor: Actor, action: str, outcome: str, referral_ids: Iterable[uuid.UUID | None]) -> None:
    """Append who did what to which referrals; ids only, never field values."""
    user = _acting_user(actor)
    ReferralAccessLog.objects.bulk_create(
        [
            ReferralAccessLog(
                referral_id=referral_id,
                action=action,
                outcome=outcome,
                user=user,
                application=actor.application,
                organisation_id=actor.organisation_id,
            )
            for referral_id in referral_ids
        ]
    )


def _as_uuid(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


@contextlib.contextmanager
def _logged(actor: Actor, action: str, referral_id: object = None) -> Iterator[dict[str, uuid.UUID]]:
    """Log the attempt as allowed when the block succeeds, refused when it
    raises a DomainError (after the block's own transaction has rolled back)."""
    result: dict[str, uuid.UUID] = {}
    try:
        yield result
    except DomainError:
        access_log_record(
            actor=actor, action=action, outcome=AccessOutcome.REFUSED, referral_ids=[_as_uuid(referral_id)]
        )
        raise
    access_log_record(
        actor=actor,
        action=action,
        outcome=AccessOutcome.ALLOWED,
        referral_ids=[result.get("referral_id", _as_uuid(referral_id))],
    )


def referral_read(*, actor: Actor, referral_id: object, queryset: QuerySet[Referral] | None = None) -> Referral:
    """The referral if the actor may see it (logged as a read), else NotFoundError
    (logged as refused): an outsider cannot tell it exists."""
    with _logged(actor, AccessAction.READ, referral_id):
        return _get_visible(actor, referral_id, queryset)


def referrals_read(*, actor: Actor, referrals: list[Referral]) -> list[Referral]:
    """Log a list read of these referrals (one row each, one query)."""
    access_log_record(
        actor=actor, action=AccessAction.LIST, outcome=AccessOutcome.ALLOWED, referral_ids=[r.pk for r in referrals]
    )
    return referrals


def _get_visible(
    actor: Actor, referral_id: object, queryset: QuerySet[Referral] | None = None, *, lock: bool = False
) -> Referral:
    pk = _as_uuid(referral_id)
    qs = queryset if queryset is not None else referrals_visible_to(actor)
    if lock:
        # Lock only the referral row (not the joined organisations/services).
        qs = qs.select_for_update(of=("self",))
    referral = qs.filter(pk=pk).first() if pk else None
    if referral is None:
        raise NotFoundError(_("There is no referral with this id that you can see."))
    return referral


def _refuse_if_anonymised(referral: Referral) -> None:
    """An anonymised referral (docs/quality.md D5, privacy/retention.py) is read-only: no new
    statuses, reasons, consent or outcomes are attached to it."""
    if referral.anonymised_at is not None:
        raise ConflictError(
            _(
                "This referral's personal details were removed after the retention period, "
                "so it can no longer be changed."
            )
        )


# --- Making a referral ---------------------------------------------------------------------


@dataclass
class PersonDetails:
    given_name: str
    family_name: str
    postcode: str
    preferred_contact: str
    preferred_name: str = ""
    date_of_birth: datetime.date | None = None
    phone: str = ""
    email: str = ""
    contact_times: str = ""
    communication_needs: list[str] = field(default_factory=list)
    do_not_contact: bool = False


@dataclass
class ConsentDetails:
    given: bool
    scopes: list[str]
    method: str
    recorded_by: str
    recorded_at: datetime.datetime


def _clean_person(person: PersonDetails) -> PersonDetails:
    p = PersonDetails(
        given_name=clean_text(
            person.given_name, field="person.given_name", label="the person's given name", max_length=100, required=True
        ),
        family_name=clean_text(
            person.family_name,
            field="person.family_name",
            label="the person's family name",
            max_length=100,
            required=True,
        ),
        preferred_name=clean_text(
            person.preferred_name, field="person.preferred_name", label="the preferred name", max_length=100
        ),
        date_of_birth=person.date_of_birth,
        postcode="",
        phone=clean_text(person.phone, field="person.phone", label="the phone number", max_length=30),
        email=clean_text(person.email, field="person.email", label="the e-mail address", max_length=254).lower(),
        preferred_contact=person.preferred_contact,
        contact_times=clean_text(
            person.contact_times, field="person.contact_times", label="the contact times", max_length=200
        ),
        communication_needs=list(person.communication_needs or []),
        do_not_contact=bool(person.do_not_contact),
    )
    try:
        p.postcode = normalise_postcode(person.postcode)
    except PostcodeError:
        # Our own message: PostcodeError's quotes what was typed (D8).
        raise InvalidInputError(_("Enter a UK postcode like RG1 7QE."), field="person.postcode") from None
    if p.date_of_birth and not (datetime.date(1900, 1, 1) <= p.date_of_birth <= timezone.localdate()):
        raise InvalidInputError(_("The date of birth must be a past date after 1900."), field="person.date_of_birth")
    if p.email:
        try:
            validate_email(p.email)
        except ValidationError:
            raise InvalidInputError(_("Enter an e-mail address like name@example.org."), field="person.email") from None
    if p.preferred_contact not in PreferredContact.values:
        raise InvalidInputError(
            _("Choose how to contact the person: %(choices)s.") % {"choices": ", ".join(PreferredContact.values)},
            field="person.preferred_contact",
        )
    if p.preferred_contact in (PreferredContact.PHONE, PreferredContact.TEXT) and not p.phone:
        raise InvalidInputError(
            _("Give a phone number, or choose another way to contact the person."), field="person.phone"
        )
    if p.preferred_contact == PreferredContact.EMAIL and not p.email:
        raise InvalidInputError(
            _("Give an e-mail address, or choose another way to contact the person."), field="person.email"
        )
    # Words ("large print") become the stored codes ("large-print"): referrals.communication.
    codes = [need_code(n) for n in p.communication_needs]
    if len(codes) > MAX_COMMUNICATION_NEEDS or None in codes:
        raise InvalidInputError(
            _(
                "Communication needs are up to %(count)s short codes or words, like large-print "
                "or large print. Accepted: %(codes)s, or a language followed "
                "by interpreter, like Polish interpreter."
            )
            % {"count": MAX_COMMUNICATION_NEEDS, "codes": ", ".join(code for code, _label in CATEGORIES)},
            field="person.communication_needs",
        )
    p.communication_needs = list(dict.fromkeys(c for c in codes if c))
    return p


def _clean_consent(consent: ConsentDetails) -> ConsentDetails:
    scopes = list(dict.fromkeys(consent.scopes or []))
    unknown = [s for s in scopes if s not in ConsentScope.values]
    if unknown:
        raise InvalidInputError(
            _("Consent scopes are: %(choices)s.") % {"choices": ", ".join(ConsentScope.values)}, field="consent.scopes"
        )
    if ConsentScope.CODES_ONLY in scopes and ConsentScope.SHARE_WITH_SERVICE in scopes:
        raise InvalidInputError(
            _("Choose either sharing details with the service or codes only, not both."), field="consent.scopes"
        )
    if consent.given and not scopes:
        raise InvalidInputError(_("Say what the person agreed to share."), field="consent.scopes")
    if consent.method not in ConsentMethod.values:
        raise InvalidInputError(
            _("Consent method is one of: %(choices)s.") % {"choices": ", ".join(ConsentMethod.values)},
            field="consent.method",
        )
    recorded_by = clean_text(
        consent.recorded_by, field="consent.recorded_by", label="who recorded consent", max_length=200, required=True
    )
    if consent.recorded_at is None or consent.recorded_at > timezone.now() + CLOCK_SKEW:
        raise InvalidInputError(_("Consent cannot be recorded in the future."), field="consent.recorded_at")
    return ConsentDetails(
        given=bool(consent.given),
        scopes=scopes,
        method=consent.method,
        recorded_by=recorded_by,
        recorded_at=consent.recorded_at,
    )


def _require_consent_to_request(referral: Referral, consent: Consent | ConsentDetails | None) -> None:
    if consent is None or not consent.given or getattr(consent, "withdrawn_at", None) is not None:
        raise InvalidInputError(_("Record the person's consent before requesting the referral."), field="consent")
    if referral.target_timebank_id and ConsentScope.SHARE_WITH_SERVICE not in consent.scopes:
        raise InvalidInputError(
            "A referral to the timebank needs the person's consent to share their details with it, "
            "so a coordinator can contact them.",
            field="consent.scopes",
        )


def _needs(slugs: Iterable[str]) -> list[TaxonomyTerm]:
    slugs = list(dict.fromkeys(slugs or []))
    if len(slugs) > MAX_NEEDS:
        raise InvalidInputError(_("Choose at most %(count)s needs.") % {"count": MAX_NEEDS}, field="needs")
    terms = list(TaxonomyTerm.objects.filter(slug__in=[s for s in slugs if isinstance(s, str)]))
    if len(terms) != len(slugs):
        known = {t.slug for t in terms}
        unknown = [str(s)[:80] for s in slugs if s not in known]
        raise InvalidInputError(_("Unknown need categories: %(needs)s.") % {"needs": ", ".join(unknown)}, field="needs")
    return terms


# At most this many timebanks are named in a message saying how to choose one.
TIMEBANKS_LISTED = 20


def _how_to_choose(timebanks: list[Timebank]) -> str:
    listed = ", ".join(f"{tb.slug} ({tb.name})" for tb in timebanks[:TIMEBANKS_LISTED])
    if len(timebanks) > TIMEBANKS_LISTED:
        return _("Name the timebank by its short name: %(listed)s and others.") % {"listed": listed}
    return _("Name the timebank by its short name: %(listed)s.") % {"listed": listed}


def _target_timebank(slug: str) -> Timebank:
    """The timebank a referral goes to: the one named by its short name (slug),
    or, when none is named, the install's only timebank. Which one is the
    referrer's choice once an install has several (nobody is sent to a
    timebank that does not cover them by default)."""
    timebanks = list(public_timebanks()[: TIMEBANKS_LISTED + 1])
    if slug:
        chosen = Timebank.objects.filter(slug=slug).first() if is_slug(slug) else None
        if chosen is None:
            raise InvalidInputError(
                _("There is no timebank with that short name.") + " " + _how_to_choose(timebanks),
                field="target.timebank",
            )
        return chosen
    if not timebanks:
        raise InvalidInputError(_("There is no timebank to refer to here."), field="target.timebank")
    if len(timebanks) > 1:
        raise InvalidInputError(
            _("There are several timebanks here: choose which one the person is referred to.")
            + " "
            + _how_to_choose(timebanks),
            field="target.timebank",
        )
    return timebanks[0]


def _target(
    *, service_id: object, to_timebank: bool, timebank_slug: str = ""
) -> tuple[Service | None, Timebank | None, Organisation | None]:
    to_timebank = bool(to_timebank) or bool(timebank_slug)
    if bool(service_id) == to_timebank:
        raise InvalidInputError(_("Refer to one service or to a timebank."), field="target")
    if to_timebank:
        timebank = _target_timebank(timebank_slug)
        return None, timebank, Organisation.objects.filter(timebank=timebank).first()
    pk = _as_uuid(service_id)
    service = Service.objects.select_related("organisation").filter(pk=pk).first() if pk else None
    if service is None:
        raise InvalidInputError(_("There is no service with this id."), field="target.service")
    if service.status != ServiceStatus.ACTIVE:
        raise InvalidInputError(_("This service is not running at the moment."), field="target.service")
    if not service.accepts_referrals:
        raise InvalidInputError(_("This service does not take referrals."), field="target.service")
    return service, None, service.organisation


def _history(referral: Referral, actor: Actor | None, from_status: str, reason: str = "") -> None:
    ReferralHistory.objects.create(
        referral=referral,
        from_status=from_status,
        to_status=referral.status,
        business_status=referral.business_status,
        reason=reason,
        organisation_id=actor.organisation_id if actor else None,
        actor=_acting_user(actor),
        application=actor.application if actor else None,
    )


def _timebank_application(
    referral: Referral, *, timebank: Timebank, consent: Consent | ConsentDetails | None
) -> Member:
    """The pending member application a timebank referral creates: no login
    yet (the approval invites someone with an e-mail address to go online:
    timebank.services.invitations); a coordinator sees it with the other
    applications. With the person's consent to share their details with the
    timebank, what matters to them and every communication need (the
    Accessible Information Standard's codes, core.communication) go to their
    profile, which only they and the timebank's coordinators see."""
    shares = (
        consent is not None
        and consent.given
        and getattr(consent, "withdrawn_at", None) is None
        and ConsentScope.SHARE_WITH_SERVICE in consent.scopes
    )
    member = member_create(
        timebank=timebank,
        status=MemberStatus.APPLIED,
        display_name=f"{referral.preferred_name or referral.given_name} {referral.family_name}"[:80],
        email=referral.email,
        phone=referral.phone,
        postcode=referral.postcode,
        # Only codes core.communication knows: an old referral's free-form code is left out.
        communication_needs=[need for need in referral.communication_needs if is_need_code(need)] if shares else [],
        what_matters=referral.what_matters if shares else "",
        note="Referred by a social prescriber",
        # The postcode's format was checked; a coordinator can correct an
        # unknown one when approving. The referral itself must not fail.
        keep_unknown_postcode=True,
        # A young person (a young carer) needs a guardian's consent before a
        # coordinator approves them (docs/coproduction-carers.md).
        under_18=referral.date_of_birth is not None and age_on(referral.date_of_birth, timezone.localdate()) < 18,
    )
    referral.member = member
    return member


def _clean_override(reason: str | None) -> str:
    return clean_text(reason, field="eligibility_override.reason", label="the reason for the exception", max_length=500)


def _check_eligibility(referral: Referral, override: str) -> None:
    """Refuse (InvalidInputError) a referral the service's age limits or areas
    exclude, unless `override` gives a reason; keep the reason only when an
    exception was needed. Checked on the day the referral is requested."""
    referral.eligibility_override_reason = eligibility_check(
        service=referral.target_service,
        timebank=referral.target_timebank,
        date_of_birth=referral.date_of_birth,
        postcode=referral.postcode,
        on=timezone.localdate(),
        override_reason=override,
    )


def _on_requested(referral: Referral, consent: Consent | ConsentDetails | None) -> None:
    referral.requested_at = timezone.now()
    if referral.target_timebank is not None and referral.member_id is None:
        _timebank_application(referral, timebank=referral.target_timebank, consent=consent)


def referral_create(
    *,
    actor: Actor,
    person: PersonDetails,
    consent: ConsentDetails | None,
    what_matters: str = "",
    needs: Iterable[str] = (),
    target_service_id: object = None,
    to_timebank: bool = False,
    target_timebank: str = "",
    priority: str = Priority.ROUTINE,
    notes: str = "",
    draft: bool = False,
    eligibility_override_reason: str = "",
    external_id_system: str = "",
    external_id: str = "",
) -> Referral:
    """Make a referral (a draft, or requested at once). A requested one must fit
    who the service is for (referrals.eligibility), or carry the link worker's
    reason for an exception (`eligibility_override_reason`); a draft is checked
    when it is requested, and keeps a reason given now until then."""
    with _logged(actor, AccessAction.CREATE) as log:
        if actor.organisation is None:
            raise NotAllowedError(_("Only staff of a referring organisation, or its API clients, can make referrals."))
        person = _clean_person(person)
        consent = _clean_consent(consent) if consent is not None else None
        what_matters = clean_text(
            what_matters, field="what_matters", label="what matters to the person", max_length=2000
        )
        notes = clean_text(notes, field="notes", label="the notes", max_length=2000)
        override = _clean_override(eligibility_override_reason)
        if priority not in Priority.values:
            raise InvalidInputError(_("Priority is routine or urgent."), field="priority")
        terms = _needs(needs)
        service, timebank, receiver = _target(
            service_id=target_service_id, to_timebank=to_timebank, timebank_slug=target_timebank
        )
        referral = Referral(
            referring_organisation=actor.organisation,
            receiving_organisation=receiver,
            target_service=service,
            target_timebank=timebank,
            created_by=_acting_user(actor),
            created_by_application=actor.application,
            given_name=person.given_name,
            family_name=person.family_name,
            preferred_name=person.preferred_name,
            date_of_birth=person.date_of_birth,
            postcode=person.postcode,
            phone=person.phone,
            email=person.email,
            preferred_contact=person.preferred_contact,
            contact_times=person.contact_times,
            communication_needs=person.communication_needs,
            do_not_contact=person.do_not_contact,
            what_matters=what_matters,
            priority=priority,
            notes=notes,
            status=ReferralStatus.DRAFT if draft else ReferralStatus.REQUESTED,
            eligibility_override_reason=override,
            # The referrer's own id (FHIR ServiceRequest.identifier): unique per referrer,
            # so a second create with it fails on the constraint (api/fhir returns the first).
            external_id_system=clean_text(
                external_id_system, field="identifier.system", label="the identifier's system", max_length=200
            ),
            external_id=clean_text(external_id, field="identifier.value", label="the identifier", max_length=200),
        )
        if not draft:
            _require_consent_to_request(referral, consent)
            _check_eligibility(referral, override)
        # Why atomic: the referral, its consent, needs, first history row, the
        # timebank application and the webhook rows exist together or not at all.
        with transaction.atomic():
            if not draft:
                _on_requested(referral, consent)
            referral.save()
            if consent is not None:
                Consent.objects.create(referral=referral, **consent.__dict__)
            referral.needs.set(terms)
            _history(referral, actor, "")
            _gp_record_events(referral, "")
            queue_referral_event(referral=referral, event="referral.created")
        log["referral_id"] = referral.pk
        return referral


# --- Moving a referral on ------------------------------------------------------------------

_ONLY_PARTY = {
    states.REFERRER: gettext_lazy("Only the organisation that made the referral can move it to %(status)s."),
    states.RECEIVER: gettext_lazy("Only the organisation receiving the referral can move it to %(status)s."),
}


def _status_label(status: str) -> str:
    return ReferralStatus(status).label.lower()


def referral_transition(
    *,
    actor: Actor,
    referral_id: object,
    to: str,
    reason: str | None = "",
    business_status: str | None = "",
    eligibility_override_reason: str = "",
) -> Referral:
    """Move a referral on (states.py). Requesting a draft checks who the service
    is for, as making a referral does; `eligibility_override_reason` (or one
    kept on the draft) is the link worker's reason for an exception."""
    with _logged(actor, AccessAction.TRANSITION, referral_id):
        if to not in ReferralStatus.values:
            raise InvalidInputError(
                _("Unknown status. Use one of: %(choices)s.") % {"choices": ", ".join(ReferralStatus.values)},
                field="to",
            )
        business_status = business_status or ""
        if business_status and business_status not in BusinessStatus.values:
            raise InvalidInputError(
                _("Unknown business status. Use one of: %(choices)s.") % {"choices": ", ".join(BusinessStatus.values)},
                field="business_status",
            )
        reason = clean_text(reason, field="reason", label="the reason", max_length=500)
        override = _clean_override(eligibility_override_reason)
        # Why atomic + lock: two people moving the same referral at once must
        # not both succeed from the same starting status.
        with transaction.atomic():
            referral = _get_visible(actor, referral_id, lock=True)
            _refuse_if_anonymised(referral)
            from_status = referral.status
            # A referrer the person did not agree to share what happens with is
            # answered from the status it sees, so no refusal names a status it
            # cannot see (referrals/consent.py).
            sharing = referral_sharing(actor, referral)
            seen_status = from_status if sharing.progress else shown_progress(sharing, referral).status
            party = states.who_may_move(seen_status, to)
            if party is None:
                if seen_status == to:
                    raise ConflictError(_("This referral is already %(status)s.") % {"status": _status_label(to)})
                raise ConflictError(
                    _("A referral that is %(status)s cannot be moved to %(to)s.")
                    % {"status": _status_label(seen_status), "to": _status_label(to)}
                )
            if party not in referral_parties(actor, referral):
                raise NotAllowedError(str(_ONLY_PARTY[party]) % {"status": _status_label(to)})
            refusal = transition_refusal(sharing=sharing, shown_status=seen_status, real_status=from_status, to=to)
            if refusal:
                raise ConflictError(refusal)
            if from_status == to and not business_status:
                raise InvalidInputError(_("Give the new business status."), field="business_status")
            if to in states.REASON_REQUIRED and not reason:
                raise InvalidInputError(
                    _("Give a reason for moving the referral to %(status)s.") % {"status": _status_label(to)},
                    field="reason",
                )
            if from_status == ReferralStatus.DRAFT and to == ReferralStatus.REQUESTED:
                _require_consent_to_request(referral, getattr(referral, "consent", None))
                _check_eligibility(referral, override or referral.eligibility_override_reason)
                _on_requested(referral, getattr(referral, "consent", None))
            referral.status = to
            if business_status or from_status != to:
                referral.business_status = business_status
            referral.status_reason = reason
            referral.save()
            _history(referral, actor, from_status, reason)
            _gp_record_events(referral, from_status)
            if referral.member_id and to in (
                ReferralStatus.REJECTED,
                ReferralStatus.CANCELLED,
                ReferralStatus.ENTERED_IN_ERROR,
            ):
                Member.objects.filter(pk=referral.member_id, status=MemberStatus.APPLIED).update(
                    status=MemberStatus.DECLINED, status_note="The referral was closed"
                )
            queue_referral_event(
                referral=referral, event="referral.status_changed" if from_status != to else "referral.updated"
            )
        return referral


def _gp_record_events(referral: Referral, from_status: str) -> None:
    """The GP record events this change made happen (referrals/gp_events.py says
    which moment is which); `from_status` is "" for a new referral."""
    gp_events.record_transition(referral, from_status=from_status)


def referral_consent_record(*, actor: Actor, referral_id: object, consent: ConsentDetails) -> Consent:
    """The referrer records (or updates) consent; recording it as not given after
    it was given is a withdrawal: sharing stops at once (docs/quality.md D1)."""
    with _logged(actor, AccessAction.CONSENT, referral_id):
        consent = _clean_consent(consent)
        with transaction.atomic():
            referral = _get_visible(actor, referral_id, lock=True)
            if states.REFERRER not in referral_parties(actor, referral):
                raise NotAllowedError(_("Only the organisation that made the referral can record consent."))
            _refuse_if_anonymised(referral)
            existing: Consent | None = getattr(referral, "consent", None)
            if existing is not None and not consent.given and existing.given:
                existing.withdrawn_at = timezone.now()
                existing.save(update_fields=["withdrawn_at"])
                return existing
            Consent.objects.update_or_create(referral=referral, defaults={**consent.__dict__, "withdrawn_at": None})
            Referral.objects.filter(pk=referral.pk).update(modified_at=timezone.now())
            return Consent.objects.get(referral=referral)


def referral_outcome_record(
    *, actor: Actor, referral_id: object, instrument: str, stage: str, answers: object
) -> Outcome:
    with _logged(actor, AccessAction.OUTCOME, referral_id):
        chosen = get_instrument(instrument)
        if stage not in OutcomeStage.values:
            raise InvalidInputError(
                _("Stage is one of: %(choices)s.") % {"choices": ", ".join(OutcomeStage.values)}, field="stage"
            )
        cleaned = chosen.validate(answers)
        with transaction.atomic():
            referral = _get_visible(actor, referral_id)
            if not referral_parties(actor, referral):
                raise NotAllowedError(_("Only the organisations on this referral can record outcomes."))
            _refuse_if_anonymised(referral)
            if referral.status == ReferralStatus.ENTERED_IN_ERROR:
                raise ConflictError(_("This referral was entered in error, so outcomes cannot be recorded on it."))
            return Outcome.objects.create(
                referral=referral,
                instrument=chosen.slug,
                stage=stage,
                answers=cleaned,
                recorded_by_organisation_id=actor.organisation_id,
            )


# --- Webhook subscriptions ---------------------------------------------------------------------


def webhook_subscription_create(*, actor: Actor, url: str) -> WebhookSubscription:
    """Register an https URL for the actor's organisation; the secret is shown once."""
    if actor.organisation is None:
        raise NotAllowedError(_("Only an organisation's staff or API clients can register webhooks."))
    url = validate_webhook_url((url or "").strip())
    if WebhookSubscription.objects.filter(organisation_id=actor.organisation_id, is_active=True).count() >= 10:
        raise ConflictError(_("An organisation can have at most 10 webhooks. Remove one first."))
    return WebhookSubscription.objects.create(
        organisation=actor.organisation, application=actor.application, url=url, secret=secrets.token_urlsafe(32)
    )


def webhook_subscription_delete(*, actor: Actor, subscription_id: object) -> None:
    pk = _as_uuid(subscription_id)
    deleted, _per_model = (
        WebhookSubscription.objects.filter(pk=pk, organisation_id=actor.organisation_id).delete() if pk else (0, {})
    )
    if not deleted:
        raise NotFoundError(_("There is no webhook with this id for your organisation."))
