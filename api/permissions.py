"""Permissions shared by every API view.

Deny by default (docs/quality.md A5): the settings make every view need an
authenticated caller and pass `ClientHasScope`. A machine client may call a
view only if the view names the scope it needs (`required_scopes`, one for
reading and one for writing) and the client's token carries it; views for
people only (a member's own account) name none, so clients get 403 there.
Object-level rules (which organisation sees which referral) live in the
selectors and services, not here.
"""

from django.utils.translation import gettext as _, gettext_lazy
from rest_framework.permissions import SAFE_METHODS, BasePermission

from api.authentication import ApiClientPrincipal


class ClientHasScope(BasePermission):
    message = gettext_lazy("Your client's access token does not have the scope this needs.")

    def has_permission(self, request, view):
        if not isinstance(request.user, ApiClientPrincipal):
            return True
        scopes = getattr(view, "required_scopes", None)
        if not scopes:
            self.message = _("This part of the API is for people logged in, not for API clients.")
            return False
        needed = scopes["read" if request.method in SAFE_METHODS else "write"]
        return request.auth is not None and request.auth.allow_scopes([needed])


class IsMember(BasePermission):
    """A logged-in person with a timebank member profile."""

    message = gettext_lazy("This is for timebank members. Join the timebank first.")

    def has_permission(self, request, view):
        return getattr(request.user, "member", None) is not None if request.user.is_authenticated else False
