"""The "Suggested for you" section of a member's home page (timebank.dashboard).

The same suggestions as the member's matches page (brokering.views.my_matches):
open requests near the member that they could help with, and people who could
help with the member's own open requests, through the workbench selectors. A
few of each; the section links to the full page.

Connected to timebank.dashboard.dashboard_sections in BrokeringConfig.ready():
the timebank sits below brokering and cannot import it. Only members who can
take part in exchanges (approved or active) get the section.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from brokering.selectors import workbench
from timebank.dashboard import SHOW_FEW, DashboardLink, DashboardSection
from timebank.models import Member


def _listing_url(listing) -> str:
    return reverse("timebank:listing-detail", kwargs={"public_id": listing.public_id})


def suggested_for_member(*, member: Member) -> DashboardSection | None:
    """A few suggestions for the member, or None when they cannot exchange."""
    if not member.can_exchange:
        return None
    items = [
        DashboardLink(
            text=nearby.listing.title,
            url=_listing_url(nearby.listing),
            detail=_("%(name)s would like help with this: %(why)s.")
            % {"name": nearby.listing.member.display_name, "why": nearby.explanation},
        )
        for nearby in workbench.requests_near_helper(member=member, limit=SHOW_FEW)
    ]
    helpers = [
        DashboardLink(
            text=suggestion.offer.title,
            url=_listing_url(suggestion.offer),
            detail=_("%(name)s could help with your request “%(title)s”. %(why)s")
            % {"name": suggestion.member.display_name, "title": request.title, "why": suggestion.public_explanation},
        )
        for request, suggestions in workbench.help_for_my_requests(member=member, suggestions_each=1)
        for suggestion in suggestions
    ]
    items += helpers[:SHOW_FEW]
    return DashboardSection(
        title=_("Suggested for you"),
        intro=_("People near you who need what you offer, and people who could help with what you asked for."),
        items=items,
        empty_text=_(
            "We have nothing to suggest just now. Add an offer or a request, and we will look for people who match."
        ),
        empty_link=DashboardLink(text=_("Add an offer or a request"), url=reverse("timebank:listing-create")),
        more_url=reverse("brokering:my-matches"),
        more_text=_("See all suggestions for you"),
        order=10,
    )
