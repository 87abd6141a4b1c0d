"""Introductions: one click on the workbench proposes an exchange between a
helper and the person who asked, and both people are told (through the
exchange service's e-mails)."""

from __future__ import annotations

import uuid

from django.utils import timezone
from django.utils.translation import gettext as _

from brokering.selectors.matching import suggest_for_requests
from core.errors import InvalidInputError
from timebank.models import Exchange, Listing, ListingKind, ListingStatus, Member, User
from timebank.permissions import require_coordinator_of
from timebank.selectors.safeguarding import safeguarding_problems
from timebank.services.exchanges import exchange_propose
from timebank.services.safeguarding import SafeguardingError


def _offering_helper(*, request: Listing, helper_public_id: uuid.UUID | str) -> Member | None:
    """The member of the request's timebank with an open offer in its category, or None."""
    try:
        public_id = uuid.UUID(str(helper_public_id))
    except ValueError:
        return None
    offers = Listing.objects.filter(
        member__public_id=public_id,
        timebank_id=request.timebank_id,
        kind=ListingKind.OFFER,
        status=ListingStatus.OPEN,
        category_id=request.category_id,
        expires_on__gte=timezone.localdate(),
    ).select_related("member")
    offer = offers.first()
    return offer.member if offer is not None else None


def introduction_make(
    *,
    request: Listing,
    helper_public_id: uuid.UUID | str,
    by_user: User,
    description: str = "",
    safeguarding_override_reason: str = "",
) -> Exchange:
    """Propose an exchange between the helper and the person who asked. The
    helper must be one of the request's current suggestions. A helper the
    safeguarding rule excludes from them (timebank.selectors.safeguarding, the
    rule suggestions apply) is refused with the problems in plain words,
    unless the coordinator overrides with a reason (recorded by
    exchange_propose); they must still have an open offer in the category."""
    require_coordinator_of(
        by_user, request.timebank_id, message=_("Only a coordinator of this timebank can make introductions.")
    )
    if request.status != ListingStatus.OPEN:
        raise InvalidInputError(_("This request is closed."), field="helper")
    suggestions = suggest_for_requests(requests=[request], limit=1000).get(request.pk, [])
    chosen = next((s for s in suggestions if str(s.member.public_id) == str(helper_public_id)), None)
    if chosen is not None:
        helper = chosen.member
    else:
        found = _offering_helper(request=request, helper_public_id=helper_public_id)
        if found is None or not safeguarding_problems(
            helper=found,
            category=request.category,
            where=request.where,
            today=timezone.localdate(),
            carers_break=bool(request.carers_break),
            receivers=[request.member],
        ):
            raise InvalidInputError(
                _(
                    "That person is no longer a suggestion for this request (their checks, availability or "
                    "open exchanges may have changed)."
                ),
                field="helper",
            )
        # Left out of the suggestions by the safeguarding rule: exchange_propose
        # refuses with the problems in plain words, or records the coordinator's override.
        helper = found
    try:
        return exchange_propose(
            timebank=request.timebank,
            provider=helper,
            receivers=[request.member],
            by_user=by_user,
            listing=request,
            description=description or _("Introduction for: %(title)s") % {"title": request.title},
            safeguarding_override_reason=safeguarding_override_reason,
        )
    except SafeguardingError as error:
        if chosen is not None:
            raise
        raise SafeguardingError(
            _("That person is no longer a suggestion for this request. %(problems)s") % {"problems": error.message},
            problems=error.problems,
            field=error.field,
        ) from error
