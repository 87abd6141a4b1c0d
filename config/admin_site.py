"""The admin site: Django's, but only for staff whose session passed two-step
sign-in (django-otp's OTPAdminSite checks request.user.is_verified()).

The admin has no password form of its own: its login address sends people to
the site's login (which asks for the code when two-step sign-in is on), or,
for staff without a device yet, to the page that sets one up. A second
password form here would be a way round the site's second step.
"""

from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.admin import OTPAdminSite

from timebank.twofactor import two_factor_on


class TimeCommonsAdminSite(OTPAdminSite):
    site_header = "TimeCommons administration"
    site_title = "TimeCommons administration"

    def __init__(self, name: str = "admin") -> None:
        # Keep the "admin" URL namespace the rest of the project reverses.
        super().__init__(name)

    def login(self, request, extra_context=None):
        index = reverse("admin:index", current_app=self.name)
        next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
            next_url = index
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(next_url, reverse("timebank:login"))
        if self.has_permission(request):
            return redirect(next_url)
        if not (user.is_active and user.is_staff):
            messages.error(request, "The admin pages are for staff only.")
            return redirect("timebank:home")
        if two_factor_on(user):
            # Signed in before two-step sign-in was turned on: log in again with the code.
            logout(request)
            messages.info(request, "Log in again with your code from your authenticator app to open the admin.")
            return redirect_to_login(next_url, reverse("timebank:login"))
        messages.info(
            request,
            "The admin pages need two-step sign-in. Set it up here first, then open the admin again.",
        )
        return redirect("timebank:two-step-setup")
