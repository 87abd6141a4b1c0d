"""Two-step sign-in pages: the login's second step (the code after the
password) and, under the account, turning it on with an authenticator app,
backup codes and turning it off. The rules are timebank.twofactor's.

Only people who act for others see the account pages (anyone else: not
found); the second step is for whoever gave a right password in this session.
"""

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from core.errors import DomainError
from timebank import twofactor
from timebank.forms.twofactor import CodeForm
from timebank.pages import not_found_unless, put_error_on_form

# --- The login's second step -----------------------------------------------------------------


def _lockout_response(request, user):
    """The lockout page when wrong passwords or codes from this address have locked
    this account (the same page as the password step), else None."""
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_allowed(request, credentials):
        return None
    return get_lockout_response(request, None, credentials)


@never_cache
@sensitive_post_parameters("code")
def login_code(request):
    """After a right password: the code, then the person is signed in."""
    user, pending = twofactor.pending_user(request)
    if user is None:
        messages.info(request, gettext("Please log in with your password first."))
        return redirect("timebank:login")
    locked = _lockout_response(request, user)
    if locked is not None:
        return locked
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = twofactor.code_matching_device(user=user, code=form.cleaned_data["code"])
        if device is None:
            twofactor.report_wrong_code(request, user)
            form.add_error("code", twofactor.WRONG_CODE)
        else:
            twofactor.pending_clear(request)
            login(request, user, backend=pending["backend"])
            # After login(), which renews the session: this session passed the second step.
            django_otp.login(request, device)
            next_url = pending.get("next") or ""
            if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
                next_url = "timebank:home"
            return redirect(next_url)
    return render(request, "timebank/twofactor/login_code.html", {"form": form})


# --- The account pages ----------------------------------------------------------------------------


def _allowed(request) -> None:
    not_found_unless(twofactor.two_factor_allowed(request.user))


@login_required
@never_cache
def two_step(request):
    """Is two-step sign-in on? Links to set up, backup codes and turning off."""
    _allowed(request)
    user = request.user
    return render(
        request,
        "timebank/twofactor/account.html",
        {
            "is_on": twofactor.two_factor_on(user),
            "backup_codes_left": twofactor.backup_codes_left(user),
            "off_form": CodeForm(),
        },
    )


@login_required
@never_cache
@sensitive_post_parameters("code")
def two_step_setup(request):
    """Scan the QR code (or type the key), then type a code to prove it works."""
    _allowed(request)
    if twofactor.two_factor_on(request.user):
        return redirect("timebank:two-step")
    device = twofactor.totp_device_for_setup(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = twofactor.totp_device_confirm(user=request.user, device=device, code=form.cleaned_data["code"])
        except DomainError as error:
            put_error_on_form(form, error)
        else:
            # This session has just shown a right code: it counts as verified (the admin opens).
            django_otp.login(request, device)
            messages.success(
                request,
                gettext(
                    "Two-step sign-in is on. Next time you log in we will ask for a code from your app. "
                    "Now make backup codes in case you lose your phone."
                ),
            )
            return redirect("timebank:two-step")
    return render(
        request,
        "timebank/twofactor/setup.html",
        {"form": form, "qr_svg": twofactor.device_qr_svg(device), "secret": twofactor.device_secret_text(device)},
    )


@require_POST
@login_required
@never_cache
def two_step_backup_codes(request):
    """New backup codes, shown once on this page."""
    _allowed(request)
    if not request.user.is_verified():
        # Backup codes get round the app: only a session that showed a code may make them,
        # not one signed in some other way (an old session, a borrowed browser).
        messages.error(request, gettext("Log out and log in again with a code from your app, then make backup codes."))
        return redirect("timebank:two-step")
    try:
        codes = twofactor.backup_codes_create(user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("timebank:two-step")
    return render(request, "timebank/twofactor/backup_codes.html", {"codes": codes})


@require_POST
@login_required
@never_cache
@sensitive_post_parameters("code")
def two_step_off(request):
    """Turn two-step sign-in off; needs a current code."""
    _allowed(request)
    locked = _lockout_response(request, request.user)
    if locked is not None:
        return locked
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            twofactor.two_factor_turn_off(user=request.user, code=form.cleaned_data["code"])
        except DomainError as error:
            twofactor.report_wrong_code(request, request.user)
            put_error_on_form(form, error)
        else:
            messages.success(request, gettext("Two-step sign-in is off. Logging in now needs only your password."))
            return redirect("timebank:two-step")
    return render(
        request,
        "timebank/twofactor/account.html",
        {
            "is_on": twofactor.two_factor_on(request.user),
            "backup_codes_left": twofactor.backup_codes_left(request.user),
            "off_form": form,
        },
    )
