"""Scoped throttles keyed by who is calling: the OAuth client, else the user,
else the address. A view names its scope with `throttle_scope`, or `throttle_scopes`
{"read": ..., "write": ...} (rates in settings.REST_FRAMEWORK
["DEFAULT_THROTTLE_RATES"]); views without one share the "api" rate. A refusal is 429 with Retry-After (QUALITY A4)."""
from rest_framework.throttling import SimpleRateThrottle

from api.authentication import ApiClientPrincipal


def caller_ident(request, fallback) -> str:
    user = request.user
    if isinstance(user, ApiClientPrincipal):
        return f"client:{user.client.application_id}"
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"addr:{fallback}"


class ClientScopedThrottle(SimpleRateThrottle):
    scope = "api"
    cache_format = "throttle_%(scope)s_%(ident)s"

    def allow_request(self, request, view):
        scopes = getattr(view, "throttle_scopes", None)
        if scopes:
            self.scope = scopes["read" if request.method in ("GET", "HEAD", "OPTIONS") else "write"]
        else:
            self.scope = getattr(view, "throttle_scope", None) or "api"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": caller_ident(request, self.get_ident(request))}


class ReferralDailyThrottle(ClientScopedThrottle):
    """QUALITY A6: a daily cap on new referrals per client or person (POST only)."""

    scope = "referrals-daily"

    def allow_request(self, request, view):
        if request.method != "POST" or getattr(view, "action", None) != "create":
            return True
        self.scope = "referrals-daily"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return SimpleRateThrottle.allow_request(self, request, view)
