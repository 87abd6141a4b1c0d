"""The public home page: what a timebank is and how to join."""

from django.shortcuts import render

from timebank.models import Timebank
from timebank.selectors.members import member_for_user


def home(request):
    return render(
        request,
        "timebank/home.html",
        {"timebank": Timebank.get_default(), "member": member_for_user(request.user)},
    )
