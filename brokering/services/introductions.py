"""Introductions: one click on the workbench proposes an exchange between a
helper and the person who asked, and both people are told (through the
exchange service's e-mails)."""

from __future__ import annotations

import uuid

from brokering.selectors.matching import suggest_for_requests
from core.errors import InvalidInputError
from timebank.models import Exchange, Listing, ListingStatus, User
from timebank.services.exchanges import exchange_propose


def introduction_make(
    *, request: Listing, helper_public_id: uuid.UUID | str, by_user: User, description: str = ""
) -> Exchange:
    """Propose an exchange between the helper and the person who asked. The
    helper must be one of the request's current suggestions, so a coordinator
    cannot introduce someone the safeguarding rules exclude."""
    if request.status != ListingStatus.OPEN:
        raise InvalidInputError("This request is closed.", field="helper")
    suggestions = suggest_for_requests(requests=[request], limit=1000).get(request.pk, [])
    chosen = next((s for s in suggestions if str(s.member.public_id) == str(helper_public_id)), None)
    if chosen is None:
        raise InvalidInputError(
            "That person is no longer a suggestion for this request (their checks, availability or "
            "open exchanges may have changed).",
            field="helper",
        )
    return exchange_propose(
        timebank=request.timebank,
        provider=chosen.member,
        receivers=[request.member],
        by_user=by_user,
        listing=request,
        description=description or f"Introduction for: {request.title}",
    )
