"""The network administrator's pages: every timebank with its coordinators,
and starting a new timebank. Anyone who is not a network administrator gets
"not found" (timebank.pages.network_admin_page)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from core.errors import DomainError
from timebank.forms.timebanks import TimebankCreateForm
from timebank.pages import network_admin_page, put_error_on_form
from timebank.selectors.timebanks import timebanks_for_network
from timebank.services.timebanks import timebank_create


@network_admin_page
def network_timebanks(request):
    return render(request, "timebank/timebanks/list.html", {"timebanks": timebanks_for_network()})


@network_admin_page
def network_timebank_create(request):
    form = TimebankCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            timebank = timebank_create(
                by_user=request.user,
                name=data["name"],
                slug=data["slug"],
                area=data["area"],
                contact_email=data["contact_email"],
                contact_phone=data["contact_phone"],
                default_min_balance=-data["overdraft_hours"] * 60,
                default_max_balance=data["ceiling_hours"] * 60 if data["ceiling_hours"] is not None else None,
                coordinators=form.chosen_coordinators(),
            )
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(
                request,
                gettext("%(name)s is ready. Its page is %(address)s.")
                % {"name": timebank.name, "address": f"/t/{timebank.slug}/"},
            )
            return redirect("timebank:network-timebanks")
    return render(request, "timebank/timebanks/create.html", {"form": form})
