"""The home pages: what a timebank is and how to join, and a member's own home.

`/` is the home page of the only timebank of a single-timebank install; when
there are several, it lists them with links to their own pages. Each
timebank's own page is `/t/<slug>/`, with its name, area and contact details.

A logged-in member sees their dashboard at `/` instead (timebank.dashboard:
their hours in words, what is waiting for them, their offers and requests,
suggestions and groups near them); an applicant sees what happens next. Their
own timebank's `/t/<slug>/` shows the same; any other timebank's page is the
public one. Someone whose application was declined, and staff without a
member profile, see the public page.
"""

from django.shortcuts import render

from timebank.dashboard import member_dashboard
from timebank.models import MemberStatus
from timebank.pages import not_found_as_404
from timebank.selectors.members import member_for_user
from timebank.selectors.timebanks import public_timebanks, timebank_by_slug


def home(request):
    member = member_for_user(request.user)
    if _has_dashboard(member):
        return _render_dashboard(request, member)
    timebanks = list(public_timebanks()[:2])
    if len(timebanks) > 1:
        return render(
            request,
            "timebank/home_network.html",
            {"timebanks": public_timebanks(), "member": member},
        )
    return _render_home(request, timebanks[0] if timebanks else None, member=member, own_page=False)


def timebank_home(request, slug):
    with not_found_as_404():
        timebank = timebank_by_slug(slug)
    member = member_for_user(request.user)
    if _has_dashboard(member) and member.timebank_id == timebank.pk:
        return _render_dashboard(request, member)
    return _render_home(request, timebank, member=member, own_page=True)


def _has_dashboard(member) -> bool:
    return member is not None and member.status != MemberStatus.DECLINED and member.erased_at is None


def _render_dashboard(request, member):
    return render(
        request,
        "timebank/home_member.html",
        {"dashboard": member_dashboard(member=member), "member": member, "timebank": member.timebank},
    )


def _render_home(request, timebank, *, member, own_page: bool):
    return render(
        request,
        "timebank/home.html",
        {"timebank": timebank, "member": member, "own_page": own_page},
    )
