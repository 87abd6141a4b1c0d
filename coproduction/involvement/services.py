"""Writes for involvement: opportunities, sign-ups, attendance credited in
hours, and expense claims.

Rules kept here:
- who manages an opportunity (edits, publishes, records attendance, reviews
  claims): its timebank's coordinators, and staff of its host organisation
  (`can_manage`);
- an opportunity is published only with at least INVOLVEMENT_MIN_NOTICE_DAYS of
  notice; a refused attempt is recorded on the draft with its reason;
- a member signs up in one step: their communication needs come from their
  profile and their access needs from what they told us once (InvolvementProfile),
  never asked again;
- attendance credits each person once: under a lock on the opportunity, the
  people not yet credited are paid in ONE ledger transfer (the payer's leg and
  one leg each) from the host's organisation account or the community pot;
  recording the same people again pays nothing;
- an expense claim goes estimated -> submitted (actual amounts) -> question
  (answered: back to submitted) -> approved -> paid, or declined; only the
  kinds of cost the opportunity covers; a receipt is needed only above
  EXPENSES_RECEIPT_REQUIRED_OVER_PENCE, must be a JPEG, PNG or PDF (read from
  its first bytes) and at most EXPENSES_RECEIPT_MAX_BYTES.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _, gettext_noop

from assets.models import Organisation, OrganisationMembership
from coproduction.involvement.models import (
    ClaimAction,
    ClaimStatus,
    ExpenseClaim,
    ExpenseClaimEvent,
    ExpenseLine,
    ExpenseReceipt,
    InvolvementProfile,
    Opportunity,
    OpportunityStatus,
    Participation,
    ParticipationStatus,
)
from coproduction.involvement.money import MAX_PENCE, format_pence
from core.errors import ConflictError, InvalidInputError, NotAllowedError
from core.places.postcodes import normalise_postcode, postcode_district
from core.text import clean_text
from timebank.ledger import Leg, account_for_member, system_account, transfer_post
from timebank.models import Account, AccountKind, Member, Timebank, Transfer, TransferKind, User
from timebank.models.members import MemberKind
from timebank.permissions import SEES_OWN_TIMEBANK, is_coordinator_of

NOT_A_MANAGER = gettext_noop("Only the timebank's coordinators or the organisation hosting this can do this.")


# --- Who may act --------------------------------------------------------------------------


def host_organisation_id_of(user: object) -> uuid.UUID | None:
    """The directory organisation a staff user belongs to, if any."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    user_id: int = getattr(user, "pk", 0)
    return OrganisationMembership.objects.filter(user_id=user_id).values_list("organisation_id", flat=True).first()


def host_organisation_of(user: object) -> Organisation | None:
    """The directory organisation a staff user belongs to, if any."""
    organisation_id = host_organisation_id_of(user)
    return None if organisation_id is None else Organisation.objects.filter(pk=organisation_id).first()


def can_manage(user: object, opportunity: Opportunity) -> bool:
    """The timebank's coordinators, and staff of the host organisation."""
    if is_coordinator_of(user, opportunity.timebank_id):
        return True
    host = opportunity.host_organisation_id
    return host is not None and host_organisation_id_of(user) == host


def _require_manager(user: object, opportunity: Opportunity) -> None:
    if not can_manage(user, opportunity):
        raise NotAllowedError(_(NOT_A_MANAGER))


def _member_of(user: User | None, timebank_id: int) -> Member:
    user_id: int = getattr(user, "pk", 0) or 0
    member = Member.objects.filter(user_id=user_id, erased_at__isnull=True).first()
    if member is None or member.timebank_id != timebank_id or member.status not in SEES_OWN_TIMEBANK:
        raise NotAllowedError(_("Only members of this timebank can take part."))
    return member


# --- Opportunities ------------------------------------------------------------------------


@dataclass(frozen=True)
class OpportunityDetails:
    title: str
    what: str
    starts_at: datetime.datetime
    duration_minutes: int
    contact_name: str
    contact_phone: str
    why_it_matters: str = ""
    what_will_change: str = ""
    place: str = ""
    postcode: str = ""
    online: bool = False
    access_information: str = ""
    hours_minutes: int = 0
    payment_pence: int = 0
    covers_travel: bool = True
    covers_care: bool = False
    covers_other: bool = False
    expenses_note: str = ""
    host_organisation: Organisation | None = None
    paid_from: Member | None = None


def _clean_details(details: OpportunityDetails, *, timebank: Timebank) -> dict[str, object]:
    values: dict[str, object] = {
        "title": clean_text(details.title, field="title", label=_("a title"), max_length=150, required=True),
        "what": clean_text(details.what, field="what", label=_("what it is"), max_length=2000, required=True),
        "why_it_matters": clean_text(
            details.why_it_matters, field="why_it_matters", label=_("why it matters"), max_length=2000
        ),
        "what_will_change": clean_text(
            details.what_will_change, field="what_will_change", label=_("what will change"), max_length=2000
        ),
        "place": clean_text(details.place, field="place", label=_("the place"), max_length=200),
        "access_information": clean_text(
            details.access_information, field="access_information", label=_("access information"), max_length=2000
        ),
        "contact_name": clean_text(
            details.contact_name, field="contact_name", label=_("the contact's name"), max_length=100, required=True
        ),
        "contact_phone": clean_text(
            details.contact_phone,
            field="contact_phone",
            label=_("the contact's phone number"),
            max_length=30,
            required=True,
        ),
        "expenses_note": clean_text(
            details.expenses_note, field="expenses_note", label=_("the note on expenses"), max_length=300
        ),
    }
    if not details.online and not values["place"]:
        raise InvalidInputError(_("Say where it happens, or tick “Online”."), field="place")
    postcode = ""
    if details.postcode.strip():
        postcode = normalise_postcode(details.postcode)
        if not postcode:
            raise InvalidInputError(_("Enter a postcode like RG1 7QE, or leave it blank."), field="postcode")
    values["postcode"] = postcode
    values["postcode_district"] = postcode_district(postcode) if postcode else ""
    if not 0 < details.duration_minutes <= 24 * 60:
        raise InvalidInputError(_("Enter how long it lasts, up to 24 hours."), field="duration_minutes")
    if not 0 <= details.hours_minutes <= 24 * 60:
        raise InvalidInputError(_("Enter the hours credited, up to 24 hours."), field="hours_minutes")
    if not 0 <= details.payment_pence <= MAX_PENCE:
        raise InvalidInputError(_("Enter a payment of £100,000 or less."), field="payment_pence")
    if details.paid_from is not None and (
        details.paid_from.timebank_id != timebank.pk or details.paid_from.kind != MemberKind.ORGANISATION
    ):
        raise InvalidInputError(
            _("Hours can be paid only by an organisation that is a member of this timebank."), field="paid_from"
        )
    values.update(
        starts_at=details.starts_at,
        duration_minutes=details.duration_minutes,
        online=details.online,
        hours_minutes=details.hours_minutes,
        payment_pence=details.payment_pence,
        covers_travel=details.covers_travel,
        covers_care=details.covers_care,
        covers_other=details.covers_other,
        host_organisation=details.host_organisation,
        paid_from=details.paid_from,
    )
    return values


def opportunity_create(*, by_user: User, timebank: Timebank, details: OpportunityDetails) -> Opportunity:
    """A new draft, by a coordinator of the timebank or staff of the host organisation."""
    host = details.host_organisation
    allowed = is_coordinator_of(by_user, timebank.pk) or (
        host is not None and host_organisation_id_of(by_user) == host.pk
    )
    if not allowed:
        raise NotAllowedError(_(NOT_A_MANAGER))
    if details.paid_from is not None and not is_coordinator_of(by_user, timebank.pk):
        raise NotAllowedError(_("Only the timebank's coordinators choose whose account pays the hours."))
    values = _clean_details(details, timebank=timebank)
    return Opportunity.objects.create(timebank=timebank, created_by=by_user, **values)


def opportunity_update(*, by_user: User, opportunity: Opportunity, details: OpportunityDetails) -> Opportunity:
    """Change a draft (a published opportunity is closed or cancelled instead)."""
    _require_manager(by_user, opportunity)
    values = _clean_details(details, timebank=opportunity.timebank)
    if not is_coordinator_of(by_user, opportunity.timebank_id):
        # Staff of the host organisation change the details, not who hosts it or
        # whose account pays its hours: those are the timebank's coordinators' call.
        values["host_organisation"] = opportunity.host_organisation
        values["paid_from"] = opportunity.paid_from
    # Why atomic and a lock: publishing may be checking this row's date right now.
    with transaction.atomic():
        locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        if locked.status != OpportunityStatus.DRAFT:
            raise ConflictError(_("Only a draft can be changed. Close or cancel it instead."))
        Opportunity.objects.filter(pk=opportunity.pk).update(**values)
    opportunity.refresh_from_db()
    return opportunity


def minimum_notice_days() -> int:
    return int(settings.INVOLVEMENT_MIN_NOTICE_DAYS)


def notice_problem(*, starts_at: datetime.datetime, now: datetime.datetime | None = None) -> str:
    """Why an opportunity starting then cannot be published now; empty when it can."""
    now = now or timezone.now()
    days = minimum_notice_days()
    if starts_at - now < datetime.timedelta(days=days):
        earliest = timezone.localtime(now + datetime.timedelta(days=days))
        return _(
            "This starts too soon to publish. People need at least %(days)s days' notice to arrange "
            "travel, care and support: move it to %(earliest)s or later."
        ) % {"days": days, "earliest": date_format(earliest, "j F Y")}
    return ""


def opportunity_publish(*, by_user: User, opportunity: Opportunity) -> Opportunity:
    """Publish a draft so the timebank's members see it; refused (and the refusal
    recorded on the draft, with its reason) when there is too little notice."""
    _require_manager(by_user, opportunity)
    # Why atomic and a lock: two people pressing "Publish" at once publish once.
    with transaction.atomic():
        locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        if locked.status != OpportunityStatus.DRAFT:
            raise ConflictError(_("Only a draft can be published."))
        problem = notice_problem(starts_at=locked.starts_at)
        if problem:
            Opportunity.objects.filter(pk=locked.pk).update(
                publish_refused_at=timezone.now(), publish_refused_reason=problem[:300]
            )
        else:
            Opportunity.objects.filter(pk=locked.pk).update(
                status=OpportunityStatus.PUBLISHED,
                published_at=timezone.now(),
                publish_refused_at=None,
                publish_refused_reason="",
            )
    opportunity.refresh_from_db()
    if problem:
        # Raised after the commit, so the refusal stays recorded on the draft.
        raise ConflictError(problem, field="starts_at")
    return opportunity


def opportunity_set_status(*, by_user: User, opportunity: Opportunity, status: str) -> Opportunity:
    """Close (no more sign-ups) or cancel an opportunity."""
    _require_manager(by_user, opportunity)
    allowed: dict[str, tuple[str, ...]] = {
        OpportunityStatus.CLOSED: (OpportunityStatus.PUBLISHED,),
        OpportunityStatus.CANCELLED: (OpportunityStatus.DRAFT, OpportunityStatus.PUBLISHED),
    }
    if status not in allowed:
        raise InvalidInputError(_("Choose close or cancel."))
    # Why atomic and a lock: the status is checked and changed as one step.
    with transaction.atomic():
        locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        if locked.status not in allowed[status]:
            raise ConflictError(
                _("This opportunity is %(status)s and cannot be changed that way.")
                % {"status": locked.get_status_display().lower()}
            )
        Opportunity.objects.filter(pk=locked.pk).update(status=status)
    opportunity.refresh_from_db()
    return opportunity


# --- Taking part --------------------------------------------------------------------------


def participation_sign_up(*, by_user: User, opportunity: Opportunity, access_needs: str | None = None) -> Participation:
    """ "I'd like to take part", in one step. The member's communication needs are
    copied from their profile; their access needs from what they told us before,
    or, the first time only, from `access_needs` (kept for every later sign-up)."""
    member = _member_of(by_user, opportunity.timebank_id)
    typed = clean_text(access_needs, field="access_needs", label=_("your access needs"), max_length=1000)
    # Why atomic and a lock: the opportunity must still be open when the row is
    # written, and two clicks make one sign-up.
    with transaction.atomic():
        locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        if locked.status != OpportunityStatus.PUBLISHED or locked.starts_at <= timezone.now():
            raise ConflictError(_("This opportunity is no longer open for sign-ups."))
        profile = InvolvementProfile.objects.filter(member=member).first()
        if profile is None:
            profile = InvolvementProfile.objects.create(member=member, access_needs=typed)
        needs = {"access_needs": profile.access_needs, "communication_needs": list(member.communication_needs or [])}
        existing = Participation.objects.filter(opportunity=locked, member=member).first()
        if existing is not None:
            if existing.status != ParticipationStatus.WITHDRAWN:
                raise ConflictError(_("You have already said you would like to take part."))
            Participation.objects.filter(pk=existing.pk).update(status=ParticipationStatus.SIGNED_UP, **needs)
            existing.refresh_from_db()
            return existing
        return Participation.objects.create(opportunity=locked, member=member, **needs)


def access_needs_update(*, by_user: User, member: Member, access_needs: str) -> InvolvementProfile:
    """A member changes the access needs organisers see (from their next sign-up)."""
    if member.user_id is None or member.user_id != getattr(by_user, "pk", None):
        raise NotAllowedError(_("Only you can change your access needs."))
    text = clean_text(access_needs, field="access_needs", label=_("your access needs"), max_length=1000)
    profile, _created = InvolvementProfile.objects.update_or_create(member=member, defaults={"access_needs": text})
    return profile


def participation_withdraw(*, by_user: User, participation: Participation) -> Participation:
    """The member can no longer come."""
    if participation.member.user_id != getattr(by_user, "pk", None):
        raise NotAllowedError(_("Only the person who signed up can withdraw."))
    updated = Participation.objects.filter(pk=participation.pk, status=ParticipationStatus.SIGNED_UP).update(
        status=ParticipationStatus.WITHDRAWN
    )
    if not updated:
        raise ConflictError(_("You can withdraw only before your attendance is recorded."))
    participation.refresh_from_db()
    return participation


def _payer_account(opportunity: Opportunity) -> Account:
    if opportunity.paid_from is not None:
        return account_for_member(member=opportunity.paid_from)
    return system_account(timebank=opportunity.timebank, kind=AccountKind.POT)


@dataclass(frozen=True)
class AttendanceResult:
    newly_attended: int
    transfer: Transfer | None


def attendance_record(*, by_user: User, opportunity: Opportunity, attended: list[int]) -> AttendanceResult:
    """The organiser records who came (`attended`: Participation ids). Everyone
    who came and has not yet been credited is credited the opportunity's hours
    in one ledger transfer; those not ticked are marked as not attending.
    Recording the same people again credits nothing."""
    _require_manager(by_user, opportunity)
    # Why atomic and a lock on the opportunity: two organisers recording at once
    # queue here, so the second sees the first's credits and pays nobody twice.
    # The ledger's own locks (accounts, primary-key order) come after this one.
    with transaction.atomic():
        locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        if locked.status not in (OpportunityStatus.PUBLISHED, OpportunityStatus.CLOSED):
            raise ConflictError(_("Attendance can be recorded only for a published or closed opportunity."))
        if locked.starts_at > timezone.now():
            raise ConflictError(_("Attendance can be recorded once the opportunity has started."))
        rows = list(
            Participation.objects.select_related("member")
            .filter(opportunity=locked)
            .exclude(status=ParticipationStatus.WITHDRAWN)
        )
        chosen = set(attended)
        unknown = chosen - {row.pk for row in rows}
        if unknown:
            raise InvalidInputError(_("Choose only people who signed up."), field="attended")
        now = timezone.now()
        to_credit = [row for row in rows if row.pk in chosen and row.credited_by_id is None]
        Participation.objects.filter(
            pk__in=[row.pk for row in rows if row.pk not in chosen and row.credited_by_id is None]
        ).update(status=ParticipationStatus.DID_NOT_ATTEND, attended_at=None, recorded_by=by_user)
        transfer = None
        if to_credit and locked.hours_minutes > 0:
            payer = _payer_account(locked)
            legs = [Leg(account=payer, minutes=-locked.hours_minutes * len(to_credit))]
            legs += [
                Leg(account=account_for_member(member=row.member), minutes=locked.hours_minutes) for row in to_credit
            ]
            transfer = transfer_post(
                timebank=locked.timebank,
                kind=TransferKind.INVOLVEMENT,
                legs=legs,
                recorded_by=by_user,
            )
        Participation.objects.filter(pk__in=[row.pk for row in to_credit]).update(
            status=ParticipationStatus.ATTENDED, attended_at=now, recorded_by=by_user, credited_by=transfer
        )
    return AttendanceResult(newly_attended=len(to_credit), transfer=transfer)


# --- Expenses -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LineEstimate:
    kind: str
    description: str
    estimate_pence: int


@dataclass(frozen=True)
class Receipt:
    data: bytes


def receipt_content_type(data: bytes) -> str | None:
    """JPEG, PNG or PDF, read from the first bytes (never the file's name)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _require_claimant_or_manager(user: object, participation: Participation) -> None:
    if participation.member.user_id is not None and participation.member.user_id == getattr(user, "pk", None):
        return
    _require_manager(user, participation.opportunity)


def _event(claim: ExpenseClaim, action: str, by_user: User | None, text: str = "") -> None:
    ExpenseClaimEvent.objects.create(claim=claim, action=action, by_user=by_user, text=text)


def expense_claim_estimate(*, by_user: User, participation: Participation, lines: list[LineEstimate]) -> ExpenseClaim:
    """Send (or change) the estimate of costs before the opportunity. Only the
    kinds of cost the opportunity covers; no question about why."""
    _require_claimant_or_manager(by_user, participation)
    opportunity = participation.opportunity
    if participation.status == ParticipationStatus.WITHDRAWN:
        raise ConflictError(_("You withdrew from this, so there is nothing to claim."))
    if not lines:
        raise InvalidInputError(_("Enter at least one cost."), field="lines")
    covered = opportunity.covered_kinds
    for line in lines:
        if line.kind not in covered:
            raise InvalidInputError(_("This opportunity does not cover that kind of cost."), field="lines")
        if not 0 < line.estimate_pence <= MAX_PENCE:
            raise InvalidInputError(_("Enter an amount between £0.01 and £100,000."), field="lines")
    cleaned = [
        ExpenseLine(
            kind=line.kind,
            description=clean_text(line.description, field="lines", label=_("what the cost is"), max_length=200),
            estimate_pence=line.estimate_pence,
        )
        for line in lines
    ]
    # Why atomic and a lock: the claim and its lines change together, and only
    # while the claim is still an estimate.
    with transaction.atomic():
        Participation.objects.select_for_update().get(pk=participation.pk)
        claim = ExpenseClaim.objects.filter(participation=participation).first()
        if claim is None:
            claim = ExpenseClaim.objects.create(
                participation=participation, pay_within_days=settings.EXPENSES_PAY_WITHIN_DAYS
            )
        elif claim.status != ClaimStatus.ESTIMATED:
            raise ConflictError(_("The actual amounts have been sent, so the estimate cannot change."))
        claim.lines.all().delete()
        for row in cleaned:
            row.claim = claim
        ExpenseLine.objects.bulk_create(cleaned)
        _event(claim, ClaimAction.ESTIMATED, by_user)
    return claim


def receipt_required_over_pence() -> int:
    return int(settings.EXPENSES_RECEIPT_REQUIRED_OVER_PENCE)


def _check_receipt(receipt: Receipt) -> str:
    limit = int(settings.EXPENSES_RECEIPT_MAX_BYTES)
    if len(receipt.data) > limit:
        raise InvalidInputError(
            _("The receipt is too big: send a file of %(size)s KB or less.") % {"size": limit // 1024},
            field="receipt",
        )
    content_type = receipt_content_type(receipt.data)
    if content_type is None:
        raise InvalidInputError(_("Send the receipt as a photo (JPEG or PNG) or a PDF."), field="receipt")
    return content_type


def expense_claim_submit(
    *, by_user: User, claim: ExpenseClaim, actuals: dict[int, int], receipts: dict[int, Receipt]
) -> ExpenseClaim:
    """After the opportunity: the actual amount of each cost (by line id), with
    a receipt for any above EXPENSES_RECEIPT_REQUIRED_OVER_PENCE."""
    participation = claim.participation
    _require_claimant_or_manager(by_user, participation)
    # Read the start afresh: the claim's cached opportunity may be stale.
    starts_at = Opportunity.objects.values_list("starts_at", flat=True).get(pk=participation.opportunity_id)
    if starts_at > timezone.now():
        raise ConflictError(_("Send the actual amounts after the opportunity has happened."))
    checked = {line_id: _check_receipt(receipt) for line_id, receipt in receipts.items()}
    # Why atomic and a lock: amounts, receipts, state and history change together.
    with transaction.atomic():
        locked = ExpenseClaim.objects.select_for_update().get(pk=claim.pk)
        if locked.status != ClaimStatus.ESTIMATED:
            raise ConflictError(_("The actual amounts have already been sent."))
        lines = list(locked.lines.all())
        has_receipt = set(ExpenseReceipt.objects.filter(line__claim=locked).values_list("line_id", flat=True))
        for line in lines:
            pence = actuals.get(line.pk)
            if pence is None or not 0 <= pence <= MAX_PENCE:
                raise InvalidInputError(_("Enter what each cost came to (0 if nothing)."), field=f"actual_{line.pk}")
            needs_receipt = pence > receipt_required_over_pence()
            if needs_receipt and line.pk not in receipts and line.pk not in has_receipt:
                raise InvalidInputError(
                    _("Add a receipt for costs over %(amount)s.")
                    % {"amount": format_pence(receipt_required_over_pence())},
                    field=f"receipt_{line.pk}",
                )
            line.actual_pence = pence
        ExpenseLine.objects.bulk_update(lines, ["actual_pence"])
        for line_id, receipt in receipts.items():
            if line_id not in {line.pk for line in lines}:
                raise InvalidInputError(_("That receipt is for a cost that is not on this claim."))
            ExpenseReceipt.objects.update_or_create(
                line_id=line_id,
                defaults={"content_type": checked[line_id], "size_bytes": len(receipt.data), "data": receipt.data},
            )
        ExpenseClaim.objects.filter(pk=locked.pk).update(
            status=ClaimStatus.SUBMITTED,
            submitted_at=timezone.now(),
            pay_within_days=settings.EXPENSES_PAY_WITHIN_DAYS,
        )
        _event(locked, ClaimAction.SUBMITTED, by_user)
    claim.refresh_from_db()
    return claim


def _transition(
    *,
    by_user: User,
    claim: ExpenseClaim,
    allowed_from: tuple[str, ...],
    to: str,
    action: str,
    text: str = "",
    manager_only: bool = True,
    **fields: object,
) -> ExpenseClaim:
    participation = claim.participation
    if manager_only:
        _require_manager(by_user, participation.opportunity)
    else:
        _require_claimant_or_manager(by_user, participation)
    # Why atomic and a lock: the state is checked and changed, with its history row, as one step.
    with transaction.atomic():
        locked = ExpenseClaim.objects.select_for_update().get(pk=claim.pk)
        if locked.status not in allowed_from:
            raise ConflictError(
                _("This claim is “%(status)s”, so that cannot be done now.") % {"status": locked.get_status_display()}
            )
        ExpenseClaim.objects.filter(pk=locked.pk).update(status=to, **fields)
        _event(locked, action, by_user, text)
    claim.refresh_from_db()
    return claim


def expense_claim_ask(*, by_user: User, claim: ExpenseClaim, question: str) -> ExpenseClaim:
    """A coordinator asks the claimant a question in writing."""
    text = clean_text(question, field="text", label=_("your question"), max_length=2000, required=True)
    return _transition(
        by_user=by_user,
        claim=claim,
        allowed_from=(ClaimStatus.SUBMITTED,),
        to=ClaimStatus.QUESTION,
        action=ClaimAction.QUESTION,
        text=text,
    )


def expense_claim_answer(*, by_user: User, claim: ExpenseClaim, answer: str) -> ExpenseClaim:
    """The claimant answers; the claim waits for approval again."""
    text = clean_text(answer, field="text", label=_("your answer"), max_length=2000, required=True)
    return _transition(
        by_user=by_user,
        claim=claim,
        allowed_from=(ClaimStatus.QUESTION,),
        to=ClaimStatus.SUBMITTED,
        action=ClaimAction.ANSWER,
        text=text,
        manager_only=False,
    )


def expense_claim_approve(*, by_user: User, claim: ExpenseClaim) -> ExpenseClaim:
    return _transition(
        by_user=by_user,
        claim=claim,
        allowed_from=(ClaimStatus.SUBMITTED,),
        to=ClaimStatus.APPROVED,
        action=ClaimAction.APPROVED,
        approved_at=timezone.now(),
        approved_by=by_user,
    )


def expense_claim_decline(*, by_user: User, claim: ExpenseClaim, reason: str) -> ExpenseClaim:
    text = clean_text(reason, field="text", label=_("why it is not approved"), max_length=2000, required=True)
    return _transition(
        by_user=by_user,
        claim=claim,
        allowed_from=(ClaimStatus.SUBMITTED, ClaimStatus.QUESTION),
        to=ClaimStatus.DECLINED,
        action=ClaimAction.DECLINED,
        text=text,
    )


def expense_claim_mark_paid(*, by_user: User, claim: ExpenseClaim) -> ExpenseClaim:
    return _transition(
        by_user=by_user,
        claim=claim,
        allowed_from=(ClaimStatus.APPROVED,),
        to=ClaimStatus.PAID,
        action=ClaimAction.PAID,
        paid_at=timezone.now(),
        paid_by=by_user,
    )
