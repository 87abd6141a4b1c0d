"""Pages for a member's rights over their data: a coordinator downloads
everything held about a member as JSON, or erases their personal data."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.errors import DomainError
from privacy import selectors as export, services as privacy
from privacy.forms import EraseMemberForm
from timebank.pages import coordinator_page, put_error_on_form
from timebank.selectors.members import member_for_coordinator


@coordinator_page
def coordinator_member_erase(request, timebank, public_id):
    member = member_for_coordinator(timebank=timebank, public_id=public_id)
    # Bound on every POST, even an empty one: no tick means nothing happens, with a message.
    form = EraseMemberForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            privacy.member_erase(member=member, by_user=request.user)
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(
                request,
                _("Their personal data is erased. They now show as “Former member”; their hours and history stay."),
            )
            return redirect("timebank:coordinator-member", public_id=member.public_id)
    return render(request, "privacy/member_erase.html", {"form": form, "member": member})


@coordinator_page
def coordinator_member_export(request, timebank, public_id):
    member = member_for_coordinator(timebank=timebank, public_id=public_id)
    response = HttpResponse(
        export.personal_data_json(member=member),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="member-{member.public_id}.json"'
    # Personal data: never kept by a browser or a proxy.
    response["Cache-Control"] = "no-store"
    return response
