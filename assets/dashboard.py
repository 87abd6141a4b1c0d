"""The "Groups near you" section of a member's home page (timebank.dashboard):
a few community groups and activities from the directory near where the
member lives, nearest first, and a link to search for more.

Connected to timebank.dashboard.dashboard_sections in AssetsConfig.ready():
the timebank sits below assets and cannot import it. The search starts from
the member's own stored place (no geocoding on the home page); a member whose
place is not known is told how to add it. The directory is public, so
applicants get this section too.
"""

from urllib.parse import urlencode

from django.urls import reverse

from assets.selectors import MAX_RADIUS_KM, asset_search
from core.places.geocoding import km_to_miles
from timebank.dashboard import SHOW_FEW, DashboardLink, DashboardSection
from timebank.models import Member

TITLE = "Groups near you"
# Groups worth a trip: at least this far, even for a member who travels less for exchanges.
MIN_RADIUS_KM = 5.0


def _miles(km: float) -> str:
    miles = km_to_miles(km)
    return f"{miles:.1f} miles" if miles < 10 else f"{miles:.0f} miles"


def groups_near_member(*, member: Member) -> DashboardSection:
    """The nearest few groups and activities to the member (or how to see them)."""
    directory = reverse("assets:directory")
    if member.latitude is None or member.longitude is None:
        return DashboardSection(
            title=TITLE,
            items=[],
            empty_text="We do not know where you live, so we cannot show groups near you.",
            empty_link=DashboardLink(text="Add your postcode to your profile", url=reverse("timebank:my-profile")),
            more_url=directory,
            more_text="Search for local groups and activities",
            order=20,
        )
    radius_km = min(max(float(member.travel_radius_km), MIN_RADIUS_KM), MAX_RADIUS_KM)
    found = asset_search(lat=member.latitude, lng=member.longitude, radius_km=radius_km, per_page=SHOW_FEW)
    items = [
        DashboardLink(
            text=result.service.name,
            url=reverse("assets:service", args=[result.service.id]),
            detail=f"{result.service.organisation.name}, {_miles(result.distance_km)} away.",
        )
        for result in found.results
    ]
    more_url = f"{directory}?{urlencode({'near': member.postcode_district})}" if member.postcode_district else directory
    return DashboardSection(
        title=TITLE,
        intro="Local groups and activities from our directory. You do not need hours to go to them.",
        items=items,
        empty_text=f"We found no groups within {_miles(radius_km)} of you.",
        more_url=more_url,
        more_text="Find more groups near you",
        order=20,
    )
