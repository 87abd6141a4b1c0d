"""Short idle sessions for people who can see health data.

Referrals carry health information, so a signed-in browser left open by a link
worker, a group organiser, a coordinator or a member of staff must not stay
usable for long: after SESSION_IDLE_MINUTES_HEALTH minutes without a request
(30 by default) the next request signs them out and sends them to the login
page with a plain message. Members, who see only their own timebank, stay
signed in for SESSION_COOKIE_AGE (14 days by default).

Who counts is decided when the person logs in (`session_note_login`, connected
in ReferralsConfig.ready) and kept in the session, so an ordinary page pays no
extra query; a session from before this check is decided on its first request.
The last-activity stamp is rewritten at most once a minute, so most requests
do not write the session either.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils.translation import ngettext

from timebank.permissions import acts_for_others

SEES_HEALTH_DATA_KEY = "sees_health_data"
LAST_ACTIVITY_KEY = "last_activity"
# A stamp a little stale costs at most this many seconds of idle time.
STAMP_EVERY_SECONDS = 60


def sees_health_data(user: object) -> bool:
    """Can this person open referrals? Coordinators, administrators, link workers,
    group organisers and staff, and anyone working for an organisation in the
    directory (its referral pages are open to its people)."""
    if acts_for_others(user):
        return True
    return getattr(user, "organisation_membership", None) is not None


def idle_minutes_allowed() -> int:
    return settings.SESSION_IDLE_MINUTES_HEALTH


def session_note_login(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: decide once whether this session has the short idle time."""
    session = getattr(request, "session", None)
    if session is None:
        return
    session[SEES_HEALTH_DATA_KEY] = sees_health_data(user)
    session[LAST_ACTIVITY_KEY] = int(time.time())


class HealthDataIdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and self._expired(request, user):
            logout(request)
            messages.info(
                request,
                ngettext(
                    "You were signed out because you had not used the site for %(minutes)s minute. "
                    "This keeps people's health information safe. Please log in again.",
                    "You were signed out because you had not used the site for %(minutes)s minutes. "
                    "This keeps people's health information safe. Please log in again.",
                    idle_minutes_allowed(),
                )
                % {"minutes": idle_minutes_allowed()},
            )
            if request.path.startswith("/api/"):
                # The API answers as for anyone not signed in (401/403), not with a page.
                return self.get_response(request)
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    @staticmethod
    def _expired(request, user) -> bool:
        session = request.session
        sees = session.get(SEES_HEALTH_DATA_KEY)
        if sees is None:
            sees = session[SEES_HEALTH_DATA_KEY] = sees_health_data(user)
        if not sees:
            return False
        now = int(time.time())
        last = session.get(LAST_ACTIVITY_KEY)
        if isinstance(last, int) and now - last > idle_minutes_allowed() * 60:
            return True
        if not isinstance(last, int) or now - last >= STAMP_EVERY_SECONDS:
            session[LAST_ACTIVITY_KEY] = now
        return False
