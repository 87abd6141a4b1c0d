"""Member pages: joining, logging in and out, password reset, "my profile",
and the coordinator's dashboard, applications and members.

Views are thin: parse the form, check who is asking, call one service or
selector, render. Who may open a page and how a service's refusal is shown on
the form are timebank.pages' (coordinator pages answer "not found" to anyone
else, so they reveal nothing about members).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.communication import need_label
from core.errors import DomainError
from core.ratelimit import form_limit_reached, refused_as_too_many
from timebank import twofactor
from timebank.forms.members import (
    GuardianConsentForm,
    JoinForm,
    LoginForm,
    MemberSearchForm,
    MemberStatusForm,
    NewPasswordForm,
    OfflineMemberForm,
    ProfileForm,
    ResetPasswordForm,
)
from timebank.hours import format_minutes
from timebank.models import Availability, CommunicationNeed, Timebank
from timebank.pages import coordinator_page, member_page, not_found_as_404, page_number, put_error_on_form
from timebank.private_search import private_search
from timebank.selectors.accounts import account_statement, member_account, member_hours_summary, pot_account
from timebank.selectors.members import (
    member_applications,
    member_for_coordinator,
    member_search,
    member_status_counts,
)
from timebank.selectors.timebanks import public_timebanks, timebank_by_slug
from timebank.services import invitations, members as member_services

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
    wait = None
    if request.method == "POST" and form.is_valid() and not (wait := form_limit_reached(request, form, scope="join")):
        data = form.cleaned_data
        try:
            member_services.member_join(
                timebank=timebank,
                display_name=data["display_name"],
                email=data["email"],
                phone=data["phone"],
                postcode=data["postcode"],
                about=data["about"],
                availability_slots=data["availability"],
                # Chosen with the easy-read switch before joining: kept as their need.
                communication_needs=_with_easy_read(request, data["communication_needs"]),
                password=data["password"],
                is_carer=data["is_carer"],
                cares_for=data["cares_for"],
                under_18=data["under_18"],
                language=translation.get_language() or "",
            )
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            # The same answer whether or not the address already had an account:
            # what happens next is in the e-mail, which only its owner reads.
            return redirect("timebank:join-sent")
    return refused_as_too_many(
        render(request, "timebank/members/join.html", {"form": form, "timebank": timebank, "own_page": own_page}), wait
    )


def _with_easy_read(request, needs) -> list[str]:
    needs = list(needs or [])
    if getattr(request, "easy_read", False) and CommunicationNeed.EASY_READ not in needs:
        needs.append(CommunicationNeed.EASY_READ.value)
    return needs


def join_sent(request):
    """After the join form: look in your e-mail."""
    return render(request, "timebank/members/join_sent.html")


def join_confirm(request, uidb64, token):
    """The e-mailed link: the application's login starts working and the person is logged in."""
    try:
        user = member_services.member_join_confirm(uidb64=uidb64, token=token)
    except DomainError as error:
        return render(request, "timebank/members/join_link_broken.html", {"message": error.message}, status=400)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, _("Thank you: your e-mail address is confirmed. A coordinator will be in touch soon."))
    return redirect("timebank:my-hours")


def invitation(request, uidb64, token):
    """The e-mailed invitation of a member whose application was made for them:
    they choose a password, are logged in and see their dashboard. A used or
    expired link says so, and how to get a new one."""
    try:
        user = invitations.member_invitation_check(uidb64=uidb64, token=token)
    except DomainError as error:
        return render(request, "timebank/members/invitation_broken.html", {"message": error.message}, status=400)
    form = NewPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitations.member_invitation_accept(
                uidb64=uidb64, token=token, password=form.cleaned_data["new_password1"]
            )
        except DomainError as error:
            if error.field is None:
                return render(
                    request, "timebank/members/invitation_broken.html", {"message": error.message}, status=400
                )
            form.add_error("new_password1", error.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your password is saved and you are logged in. Welcome to the timebank."))
            return redirect("timebank:home")
    return render(request, "timebank/members/invitation.html", {"form": form, "invited": user})


class LoginView(auth_views.LoginView):
    """Username (or e-mail) and password; then, for someone with two-step
    sign-in on, the code page (timebank.views.twofactor.login_code) before they
    are signed in."""

    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if twofactor.two_factor_on(user):
            twofactor.pending_start(self.request, user, redirect_to=self.get_success_url())
            return redirect("timebank:login-code")
        return super().form_valid(form)


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout page (AXES_LOCKOUT_CALLABLE): how long to wait, and
    how else to get back in. Says nothing about whether the account exists."""
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": settings.LOGIN_LOCKOUT_MINUTES},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetPasswordForm
    success_url = reverse_lazy("timebank:password-reset-done")

    def form_valid(self, form):
        # Each request sends an e-mail: a flood would fill someone's inbox.
        wait = form_limit_reached(self.request, form, scope="password-reset")
        if wait:
            return refused_as_too_many(self.form_invalid(form), wait)
        return super().form_valid(form)


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
            # Only on the member's own form: a coordinator's save leaves it as it is.
            what_matters=data.get("what_matters"),
            is_carer=data["is_carer"],
            cares_for=data["cares_for"],
            # Only on a coordinator's copy of the form.
            under_18=data.get("under_18"),
        )
    except DomainError as error:
        put_error_on_form(form, error)
        return False
    return True


@member_page(allow_applicants=True)
def my_profile(request, member):
    form = ProfileForm(request.POST or None, initial=ProfileForm.initial_for(member), member=member, own=True)
    if request.method == "POST" and form.is_valid() and _profile_update(request, member, form):
        messages.success(request, _("Your profile is saved."))
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
    # Posted, not in the address: the terms are names, phones and e-mails (timebank.private_search).
    search = private_search(request, MemberSearchForm, name="members", public_fields=("status",))
    if search.redirect is not None:
        return search.redirect
    terms = search.terms
    page = member_search(
        timebank=timebank, text=terms.get("q", ""), status=terms.get("status", ""), page_number=page_number(request)
    )
    return render(
        request,
        "timebank/members/members.html",
        {"form": search.form, "page": page, "query": search.query},
        status=search.status,
    )


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
            messages.success(request, _("%(name)s is now a member.") % {"name": member.display_name})
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
        # The timebank's words for its own choices; the Accessible Information Standard's for
        # the others a referral brought (core.communication).
        "needs": [
            CommunicationNeed(n).label if n in CommunicationNeed.values else need_label(n)
            for n in member.communication_needs or []
        ],
        "can_invite": _can_invite(member),
        "invitation_days": settings.INVITATION_DAYS,
    }
    if context["account"] is not None:
        context["statement"] = account_statement(account=context["account"], **statement_cursors(request))
    return render(request, "timebank/members/member.html", context, status=status)


def _can_invite(member) -> bool:
    """The member's page offers "Send the invitation again" (timebank.services.invitations)."""
    if member.erased_at is not None or not member.email or member.status not in invitations.INVITABLE_STATUSES:
        return False
    return member.user is None or not member.user.has_usable_password()


@require_POST
@coordinator_page
def coordinator_member_invite(request, timebank, public_id):
    member = member_for_coordinator(timebank=timebank, public_id=public_id)
    try:
        outcome = invitations.member_invite(member=member, by_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if outcome == "linked":
            messages.success(
                request,
                _(
                    "%(name)s's e-mail address already had a login: it is now theirs here too. "
                    "They log in with it as before."
                )
                % {"name": member.display_name},
            )
        else:
            messages.success(
                request, _("The invitation to choose a password is sent to %(name)s.") % {"name": member.display_name}
            )
    return redirect("timebank:coordinator-member", public_id=member.public_id)


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
    # Two forms on the page: the profile, and (for a member under 18) their
    # parent's or guardian's consent; the button pressed says which was sent.
    consent_sent = request.method == "POST" and "record_consent" in request.POST
    profile_sent = request.method == "POST" and not consent_sent
    form = ProfileForm(request.POST if profile_sent else None, initial=ProfileForm.initial_for(member), member=member)
    consent_form = GuardianConsentForm(
        request.POST if consent_sent else None,
        initial={"guardian_name": member.guardian_name, "guardian_relationship": member.guardian_relationship},
        prefix="consent",
    )
    if profile_sent and form.is_valid() and _profile_update(request, member, form):
        messages.success(request, _("%(name)s's profile is saved.") % {"name": member.display_name})
        return redirect("timebank:coordinator-member", public_id=member.public_id)
    if consent_sent and consent_form.is_valid():
        data = consent_form.cleaned_data
        try:
            member_services.member_guardian_consent_record(
                member=member,
                by_user=request.user,
                guardian_name=data["guardian_name"],
                relationship=data["guardian_relationship"],
                method=data["method"],
            )
        except DomainError as error:
            put_error_on_form(consent_form, error)
        else:
            messages.success(request, _("The parent's or guardian's consent is recorded."))
            return redirect("timebank:coordinator-member", public_id=member.public_id)
    return render(
        request,
        "timebank/members/member_edit.html",
        {"form": form, "member": member, "consent_form": consent_form},
    )


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
