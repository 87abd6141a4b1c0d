"""The public home pages: what a timebank is and how to join.

`/` is the home page of the only timebank of a single-timebank install; when
there are several, it lists them with links to their own pages. Each
timebank's own page is `/t/<slug>/`, with its name, area and contact details.
"""

from django.shortcuts import render

from timebank.pages import not_found_as_404
from timebank.selectors.members import member_for_user
from timebank.selectors.timebanks import public_timebanks, timebank_by_slug


def home(request):
    timebanks = list(public_timebanks()[:2])
    if len(timebanks) > 1:
        return render(
            request,
            "timebank/home_network.html",
            {"timebanks": public_timebanks(), "member": member_for_user(request.user)},
        )
    return _render_home(request, timebanks[0] if timebanks else None, own_page=False)


def timebank_home(request, slug):
    with not_found_as_404():
        timebank = timebank_by_slug(slug)
    return _render_home(request, timebank, own_page=True)


def _render_home(request, timebank, *, own_page: bool):
    return render(
        request,
        "timebank/home.html",
        {"timebank": timebank, "member": member_for_user(request.user), "own_page": own_page},
    )
