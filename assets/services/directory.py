"""Writes for the directory: listings, organisers' claims, problem reports, capacity,
review reminders. Each write checks who may make it and runs in one transaction."""

from __future__ import annotations

import datetime
import functools
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _, gettext_lazy, ngettext

from assets.models import (
    Capacity,
    ClaimStatus,
    MembershipRole,
    Organisation,
    OrganisationClaim,
    OrganisationMembership,
    ProblemKind,
    ProblemReport,
    ReviewReminder,
    Service,
    ServiceStatus,
)
from assets.selectors import organisation_can_be_claimed, user_can_edit_service
from core.errors import ConflictError, InvalidInputError, NotAllowedError
from timebank.models import Role, User
from timebank.permissions import has_role, is_coordinator, require_coordinator

# Fields an organiser may change on their own listing from the edit page.
EDITABLE_SERVICE_FIELDS = (
    "name",
    "description",
    "url",
    "email",
    "phone",
    "status",
    "alert",
    "is_free",
    "cost_amount",
    "cost_description",
    "minimum_age",
    "maximum_age",
    "eligibility_description",
    "accepts_self_referral",
    "accepts_referrals",
    "drop_in",
    "by_appointment",
)
REVIEW_REMINDER_MONTHS = (10, 11, 12)


NOT_A_COORDINATOR = gettext_lazy("Only a coordinator can do that.")
TIMEBANK_NOT_CLAIMABLE = gettext_lazy(
    "A timebank's own listing cannot be claimed: referrals to the timebank go to its coordinators. "
    "If you help run the timebank, ask one of them."
)


def service_update(*, service: Service, by_user: User, changes: dict[str, Any]) -> Service:
    """An organiser (or coordinator) edits a listing; saving it counts as a review."""
    if not user_can_edit_service(user=by_user, service=service):
        raise NotAllowedError(_("Only the group's organisers or a coordinator can change this listing."))
    unknown = set(changes) - set(EDITABLE_SERVICE_FIELDS)
    if unknown:
        raise InvalidInputError(_("That field cannot be changed here: %(field)s.") % {"field": sorted(unknown)[0]})
    minimum, maximum = changes.get("minimum_age", service.minimum_age), changes.get("maximum_age", service.maximum_age)
    if minimum is not None and maximum is not None and minimum > maximum:
        raise InvalidInputError(_("The youngest age must not be more than the oldest age."), field="maximum_age")
    if changes.get("is_free", service.is_free) and changes.get("cost_amount") not in (None, 0):
        raise InvalidInputError(
            _("A free service has no cost. Untick 'free' or clear the amount."), field="cost_amount"
        )
    # Lock the row so two organisers saving at once do not lose each other's review date.
    with transaction.atomic():
        locked = Service.objects.select_for_update().get(pk=service.pk)
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.last_reviewed = timezone.localdate()
        locked.save()
    return locked


def service_mark_reviewed(*, service: Service, by_user: User) -> Service:
    """ "These details are still right": resets the 12-month clock."""
    if not user_can_edit_service(user=by_user, service=service):
        raise NotAllowedError(_("Only the group's organisers or a coordinator can confirm this listing."))
    Service.objects.filter(pk=service.pk).update(last_reviewed=timezone.localdate(), modified_at=timezone.now())
    service.refresh_from_db()
    return service


def capacity_update(*, service: Service, by_user: User, places_available: int | None, waitlist_open: bool) -> Capacity:
    if not user_can_edit_service(user=by_user, service=service):
        raise NotAllowedError(_("Only the group's organisers or a coordinator can change places left."))
    if places_available is not None and places_available < 0:
        raise InvalidInputError(_("Places left cannot be below zero."), field="places_available")
    # One capacity row per service: update_or_create under the service's transaction.
    with transaction.atomic():
        capacity, _created = Capacity.objects.update_or_create(
            service=service, defaults={"places_available": places_available, "waitlist_open": waitlist_open}
        )
    return capacity


def organisation_claim_request(*, by_user: User, service: Service, message: str = "") -> OrganisationClaim:
    """A group organiser says "I run this": a coordinator decides."""
    if not getattr(by_user, "is_authenticated", False):
        raise NotAllowedError(_("Log in to claim a listing."))
    if not has_role(by_user, Role.GROUP_ORGANISER) and not is_coordinator(by_user):
        raise NotAllowedError(_("Only group organisers can claim a listing. Ask a coordinator to give you that role."))
    if len(message) > 2000:
        raise InvalidInputError(_("Keep the message under 2,000 characters."), field="message")
    if not organisation_can_be_claimed(service.organisation):
        raise ConflictError(str(TIMEBANK_NOT_CLAIMABLE))
    membership = OrganisationMembership.objects.filter(user=by_user).first()
    if membership and membership.organisation_id == service.organisation_id:
        raise ConflictError(_("You already manage this group's listings."))
    if membership:
        raise ConflictError(
            _("You already belong to %(name)s. Ask a coordinator to move you.") % {"name": membership.organisation.name}
        )
    try:
        # The partial unique constraint refuses a second pending claim; the savepoint
        # keeps the caller's transaction usable after that refusal.
        with transaction.atomic():
            return OrganisationClaim.objects.create(
                organisation_id=service.organisation_id, service=service, user=by_user, message=message.strip()
            )
    except IntegrityError:
        raise ConflictError(_("You have already asked to manage this group. A coordinator will reply soon.")) from None


def organisation_claim_approve(*, claim: OrganisationClaim, by_user: User) -> OrganisationMembership:
    require_coordinator(by_user, message=str(NOT_A_COORDINATOR))
    # Lock the claim so two coordinators deciding at once cannot both act on it.
    with transaction.atomic():
        locked = OrganisationClaim.objects.select_for_update().get(pk=claim.pk)
        if locked.status != ClaimStatus.PENDING:
            raise ConflictError(_("This claim has already been decided."))
        # Also refuses a claim made before this rule, or before the organisation became a timebank's.
        if not organisation_can_be_claimed(Organisation.objects.get(pk=locked.organisation_id)):
            raise ConflictError(str(TIMEBANK_NOT_CLAIMABLE))
        if OrganisationMembership.objects.filter(user_id=locked.user_id).exists():
            raise ConflictError(_("That person already belongs to an organisation."))
        membership = OrganisationMembership.objects.create(
            user_id=locked.user_id, organisation_id=locked.organisation_id, role=MembershipRole.ORGANISER
        )
        locked.status, locked.decided_by, locked.decided_at = ClaimStatus.APPROVED, by_user, timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
    return membership


def organisation_claim_reject(*, claim: OrganisationClaim, by_user: User, note: str = "") -> OrganisationClaim:
    require_coordinator(by_user, message=str(NOT_A_COORDINATOR))
    with transaction.atomic():
        locked = OrganisationClaim.objects.select_for_update().get(pk=claim.pk)
        if locked.status != ClaimStatus.PENDING:
            raise ConflictError(_("This claim has already been decided."))
        locked.status, locked.decided_by, locked.decided_at = ClaimStatus.REJECTED, by_user, timezone.now()
        locked.decision_note = note[:500]
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return locked


def problem_report_create(
    *,
    service: Service,
    kind: str,
    details: str = "",
    reporter: User | AnonymousUser | None = None,
    reporter_email: str = "",
) -> ProblemReport:
    """Anyone, logged in or not, can say a listing is wrong."""
    if kind not in ProblemKind.values:
        raise InvalidInputError(_("Choose what is wrong."), field="kind")
    if len(details) > 2000:
        raise InvalidInputError(_("Keep the details under 2,000 characters."), field="details")
    if kind == ProblemKind.OTHER and not details.strip():
        raise InvalidInputError(_("Tell us what is wrong."), field="details")
    return ProblemReport.objects.create(
        service=service,
        kind=kind,
        details=details.strip(),
        reporter=reporter if isinstance(reporter, User) and reporter.is_authenticated else None,
        reporter_email=reporter_email.strip(),
    )


def problem_report_resolve(
    *, report: ProblemReport, by_user: User, note: str = "", close_service: bool = False
) -> ProblemReport:
    require_coordinator(by_user, message=str(NOT_A_COORDINATOR))
    # Lock so a report is resolved once, and the listing change goes with it.
    with transaction.atomic():
        locked = ProblemReport.objects.select_for_update().get(pk=report.pk)
        if locked.resolved_at is not None:
            raise ConflictError(_("This report has already been dealt with."))
        locked.resolved_at, locked.resolved_by, locked.resolution_note = timezone.now(), by_user, note[:500]
        locked.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
        if close_service:
            Service.objects.filter(pk=locked.service_id).update(
                status=ServiceStatus.DEFUNCT, modified_at=timezone.now()
            )
    return locked


def _months_ago(today: datetime.date, months: int) -> datetime.date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    day = min(today.day, 28)
    return datetime.date(year, month + 1, day)


def review_reminders_send(*, today: datetime.date | None = None) -> int:
    """E-mail organisers of listings not reviewed for 10, 11 and 12 months; each
    reminder once per review cycle. Returns how many e-mails went out."""
    today = today or timezone.localdate()
    sent = 0
    services = (
        Service.objects.filter(status__in=[ServiceStatus.ACTIVE, ServiceStatus.TEMPORARILY_CLOSED])
        .filter(Q(last_reviewed__isnull=False))
        .select_related("organisation")
        .order_by("id")
    )
    for months in sorted(REVIEW_REMINDER_MONTHS, reverse=True):
        due = services.filter(last_reviewed__lte=_months_ago(today, months))
        if months != max(REVIEW_REMINDER_MONTHS):
            due = due.filter(last_reviewed__gt=_months_ago(today, months + 1))
        for service in due.iterator():
            recipients = list(
                OrganisationMembership.objects.filter(
                    organisation_id=service.organisation_id,
                    role__in=[MembershipRole.ORGANISER, MembershipRole.STAFF],
                )
                .exclude(user__email="")
                .values_list("user__email", flat=True)
            ) or ([service.organisation.email] if service.organisation.email else [])
            if not recipients:
                continue
            # The unique row is the "sent" mark: insert first, so a rerun never sends twice.
            with transaction.atomic():
                _reminder, created = ReviewReminder.objects.get_or_create(
                    service=service, months=months, last_reviewed=service.last_reviewed
                )
                if not created:
                    continue
                transaction.on_commit(
                    functools.partial(_send_review_reminder, service=service, months=months, recipients=recipients)
                )
            sent += 1
    return sent


def _send_review_reminder(*, service: Service, months: int, recipients: list[str]) -> None:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    # Organisers keep no language of their own: the site's language (its default, English).
    with translation.override(settings.LANGUAGE_CODE):
        values = {"name": service.name, "months": months}
        lines = [
            _("Hello,"),
            ngettext(
                'Your listing "%(name)s" was last checked %(months)s month ago. '
                "People and link workers rely on it being right.",
                'Your listing "%(name)s" was last checked %(months)s months ago. '
                "People and link workers rely on it being right.",
                months,
            )
            % values,
            _('Please look at it and press "These details are still right", or change what is out of date:')
            + f"\n{base}/directory/services/{service.id}/edit/",
            _('After 12 months without a check it shows as "may be out of date" and appears lower in searches.'),
        ]
        send_mail(
            subject=_("Please check your listing: %(name)s") % values,
            message="\n\n".join(lines) + "\n",
            from_email=None,
            recipient_list=recipients,
        )


def organisation_create(*, name: str, organisation_type: str, **fields: Any) -> Organisation:
    """Used by admin tools, imports and demo data."""
    if not name.strip():
        raise InvalidInputError(_("Give the organisation a name."), field="name")
    return Organisation.objects.create(name=name.strip(), organisation_type=organisation_type, **fields)
