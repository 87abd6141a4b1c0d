"""Scoped throttles keyed by who is calling: the OAuth client, else the user,
else the address. A view names its scope with `throttle_scope`, or `throttle_scopes`
{"read": ..., "write": ...} (rates in settings.REST_FRAMEWORK
["DEFAULT_THROTTLE_RATES"]); views without one share the "api" rate. A refusal is
429 with Retry-After (docs/quality.md A4).

Counting is a sliding window of two fixed-window counters, not DRF's list of
every request's time: DRF reads and writes that whole list on each request, so
its cost grows with the rate (a 500/day cap keeps 500 timestamps; a bench with
the limits lifted kept tens of thousands), and two workers can both read the old
list and each allow a request past the limit. Here a request costs one read and
one atomic increment, whatever the rate (core/counters.py: Redis, else one
statement on the database). The request is counted first and then
judged on the count the increment returned, so two workers at once cannot both
take the last place; a refused request is taken off again. The estimate is the
current window's count plus the previous window's, weighted by how much of it
the sliding window still covers.
"""

import math

from rest_framework.throttling import SimpleRateThrottle

from api.authentication import ApiClientPrincipal
from core.counters import counter_add, counter_get


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
    # Set by _count from the scope's rate (the stubs give DRF's own as optional).
    num_requests: int
    duration: int

    def allow_request(self, request, view):
        scopes = getattr(view, "throttle_scopes", None)
        if scopes:
            self.scope = scopes["read" if request.method in ("GET", "HEAD", "OPTIONS") else "write"]
        else:
            self.scope = getattr(view, "throttle_scope", None) or "api"
        return self._count(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": caller_ident(request, self.get_ident(request))}

    def _count(self, request, view) -> bool:
        """Allow and count this request, or refuse it and note how long to wait."""
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        num_requests, duration = self.parse_rate(self.rate)
        assert num_requests is not None and duration is not None  # a rate always parses to both
        self.num_requests, self.duration = num_requests, duration
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        elapsed = now - window * self.duration
        current_key, previous_key = f"{key}:{window}", f"{key}:{window - 1}"
        previous = counter_get(previous_key)
        # Kept two windows: the next window still weighs this one.
        current = counter_add(current_key, seconds=2 * self.duration)
        if previous * (1 - elapsed / self.duration) + current > self.num_requests:
            # Given back; had the key expired since, this starts a window at -1, which the
            # next increment brings back to 0: the same as giving nothing back.
            counter_add(current_key, seconds=2 * self.duration, delta=-1)
            self._wait = self._seconds_until_allowed(current - 1, previous, elapsed)
            return False
        return True

    def _seconds_until_allowed(self, current: int, previous: int, elapsed: float) -> float:
        room = self.num_requests - 1  # what the estimate must fall to
        if current <= room and previous:
            # Later in this window, once enough of the previous one has slid out.
            return self.duration * (1 - (room - current) / previous) - elapsed
        # In the next window, once enough of this one has slid out.
        return (self.duration - elapsed) + self.duration * (1 - room / current if current else 0)

    def wait(self):
        return max(1, math.ceil(getattr(self, "_wait", 1)))


class ReferralDailyThrottle(ClientScopedThrottle):
    """docs/quality.md A6: a daily cap on new referrals per client or person (POST only)."""

    scope = "referrals-daily"

    def allow_request(self, request, view):
        if request.method != "POST" or getattr(view, "action", None) != "create":
            return True
        self.scope = "referrals-daily"
        return self._count(request, view)
