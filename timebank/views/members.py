"""Member pages: joining, logging in and out, password reset, "my profile",
and the coordinator's dashboard, applications and members.

Views are thin: parse the form, check who is asking, call one service or
selector, render. Who may open a page and how a service's refusal is shown on
the form are timebank.pages' (coordinator pages answer "not found" to anyone
else, so they reveal nothing about members).
"""

from django.contrib import messages
from django.contrib.auth import login, views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from core.errors import DomainError
from timebank.forms.members import (
    JoinForm,
    LoginForm,
    MemberSearchForm,
    MemberStatusForm,
    OfflineMemberForm,
    ProfileForm,
    ResetPasswordForm,
)
from timebank.hours import format_minutes
from timebank.models import Availability, CommunicationNeed, Timebank
from timebank.pages import coordinator_page, member_page, not_found_as_404, page_number, put_error_on_form
from timebank.selectors.accounts import account_statement, member_account, member_hours_summary, pot_account
from timebank.selectors.members import (
    member_applications,
    member_for_coordinator,
    member_search,
    member_status_counts,
)
from timebank.selectors.timebanks import public_timebanks, timebank_by_slug
from timebank.services import members as member_services

# --- Shared by the member and account pages -----------------------------------------------


def statement_cursors(request) -> dict:
    """?older=<entry id> / ?newer=<entry id> from the statement's links; junk is ignored."""
    cursors = {}
    for param, name in (("older", "older_than"), ("newer", "newer_than")):
        value = request.GET.get(param, "")
        if value.isdigit() and len(value) < 19:
            cursors[name] = int(value)
    return cursors


# --- Public: join, log in and out, password reset -----------------------------------------


def join(request):
    """Join the only timebank; with several, choose one first (each has its own join page)."""
    if request.user.is_authenticated:
        # Already has a login: joining again would make a second account.
        return redirect("timebank:my-hours")
    timebanks = list(public_timebanks()[:2])
    if len(timebanks) > 1:
        return render(request, "timebank/members/join_choose.html", {"timebanks": public_timebanks()})
    return _join(request, timebanks[0] if timebanks else Timebank.get_default())


def timebank_join(request, slug):
    """Join one timebank, named by its short name (/t/<slug>/join/)."""
    with not_found_as_404():
        timebank = timebank_by_slug(slug)
    if request.user.is_authenticated:
        return redirect("timebank:my-hours")
    return _join(request, timebank, own_page=True)


def _join(request, timebank, *, own_page: bool = False):
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = member_services.member_apply(
                timebank=timebank,
                display_name=data["display_name"],
                email=data["email"],
                phone=data["phone"],
                postcode=data["postcode"],
                about=data["about"],
                availability_slots=data["availability"],
                communication_needs=data["communication_needs"],
                password=data["password"],
            )
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Thank you for applying. A coordinator will be in touch soon.")
            return redirect("timebank:my-hours")
    return render(request, "timebank/members/join.html", {"form": form, "timebank": timebank, "own_page": own_page})


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetPasswordForm
    success_url = reverse_lazy("timebank:password-reset-done")


# --- Member: my profile -----------------------------------------------------------------------


def _profile_update(request, member, form) -> bool:
    data = form.cleaned_data
    try:
        member_services.member_update_profile(
            member=member,
            by_user=request.user,
            display_name=data["display_name"],
            postcode=data["postcode"],
            travel_radius_km=data["travel_radius_km"],
            availability_slots=data["availability"],
            communication_needs=data["communication_needs"],
            digest=data["digest"],
            phone=data["phone"],
            about=data["about"],
        )
    except DomainError as error:
        put_error_on_form(form, error)
        return False
    return True


@member_page(allow_applicants=True)
def my_profile(request, member):
    form = ProfileForm(request.POST or None, initial=ProfileForm.initial_for(member))
    if request.method == "POST" and form.is_valid() and _profile_update(request, member, form):
        messages.success(request, "Your profile is saved.")
        return redirect("timebank:my-profile")
    return render(request, "timebank/members/profile.html", {"form": form, "member": member})


# --- Coordinator ----------------------------------------------------------------------------


@coordinator_page
def coordinator_dashboard(request, timebank):
    counts = member_status_counts(timebank=timebank)
    pot = pot_account(timebank=timebank)
    return render(
        request,
        "timebank/members/coordinator_dashboard.html",
        {"timebank": timebank, "counts": counts, "pot_balance_text": format_minutes(pot.balance)},
    )


@coordinator_page
def coordinator_applications(request, timebank):
    page = member_applications(timebank=timebank, page_number=page_number(request))
    return render(request, "timebank/members/applications.html", {"page": page})


@coordinator_page
def coordinator_members(request, timebank):
    form = MemberSearchForm(request.GET or None)
    text = status = ""
    if form.is_valid():
        text, status = form.cleaned_data["q"], form.cleaned_data["status"]
    page = member_search(timebank=timebank, text=text, status=status, page_number=page_number(request))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "timebank/members/members.html", {"form": form, "page": page, "query": query.urlencode()})


@coordinator_page
def coordinator_member_add(request, timebank):
    form = OfflineMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = member_services.member_create_offline(
                timebank=timebank,
                by_user=request.user,
                kind=data["kind"],
                display_name=data["display_name"],
                phone=data["phone"],
                email=data["email"],
                postcode=data["postcode"],
                about=data["about"],
                availability_slots=data["availability"],
                communication_needs=data["communication_needs"],
            )
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            messages.success(request, f"{member.display_name} is now a member.")
            return redirect("timebank:coordinator-member", public_id=member.public_id)
    return render(request, "timebank/members/member_add.html", {"form": form})


def render_member_for_coordinator(request, member, *, status_form=None, status=200):
    context = {
        "member": member,
        "summary": member_hours_summary(member=member),
        "account": member_account(member=member),
        "statement": None,
        "status_form": status_form or MemberStatusForm(),
        "actions": member_services.member_allowed_actions(member),
        "availability": Availability.describe(member.availability),
        "needs": [CommunicationNeed(n).label for n in member.communication_needs if n in CommunicationNeed.values],
    }
    if context["account"] is not None:
        context["statement"] = account_statement(account=context["account"], **statement_cursors(request))
    return render(request, "timebank/members/member.html", context, status=status)


@coordinator_page
def coordinator_member(request, timebank, public_id):
    member = member_for_coordinator(timebank=timebank, public_id=public_id)
    return render_member_for_coordinator(request, member)


@coordinator_page
def coordinator_member_edit(request, timebank, public_id):
    member = member_for_coordinator(timebank=timebank, public_id=public_id)
    if member.erased_at is not None:
        # The link is hidden; this is for an old bookmark or a typed address.
        messages.error(request, member_services.ERASED_PROFILE_REFUSAL)
        return redirect("timebank:coordinator-member", public_id=member.public_id)
    form = ProfileForm(request.POST or None, initial=ProfileForm.initial_for(member))
    if request.method == "POST" and form.is_valid() and _profile_update(request, member, form):
        messages.success(request, f"{member.display_name}'s profile is saved.")
        return redirect("timebank:coordinator-member", public_id=member.public_id)
    return render(request, "timebank/members/member_edit.html", {"form": form, "member": member})


STATUS_SERVICES = {
    "approve": (member_services.member_approve, "{name} is approved and can now give and receive hours."),
    "decline": (member_services.member_decline, "{name}'s application is declined."),
    "pause": (member_services.member_pause, "{name} is paused."),
    "resume": (member_services.member_resume, "{name} is active again."),
    "leave": (member_services.member_leave, "{name} is marked as left."),
}


@require_POST
@coordinator_page
def coordinator_member_status(request, timebank, public_id):
    member = member_for_coordinator(timebank=timebank, public_id=public_id)
    form = MemberStatusForm(request.POST)
    if not form.is_valid():
        return render_member_for_coordinator(request, member, status_form=form)
    service, done = STATUS_SERVICES[form.cleaned_data["action"]]
    try:
        service(member=member, by_user=request.user, note=form.cleaned_data["note"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done.format(name=member.display_name))
    if form.cleaned_data["return_to"] == "applications":
        return redirect("timebank:coordinator-applications")
    return redirect("timebank:coordinator-member", public_id=member.public_id)
