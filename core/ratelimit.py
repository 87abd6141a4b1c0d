"""How often one address may send each anonymous form (join, report a problem,
claim an organisation, password reset): settings.FORM_RATE_LIMITS, from the
environment (FORM_RATE_JOIN and the rest).

Counts live in Redis, else in the database (core/counters.py), so every
gunicorn worker adds to the same count. A window is fixed (this hour, say):
cheap, one increment a sending, at worst twice the rate across a window's edge.
Only sendings that passed the form's checks count, so someone correcting a
typing mistake is not held up; what a flood costs (a saved row, an e-mail) is
what is limited. The address is the one core.clientip gives (TRUSTED_PROXY_COUNT),
and it is kept only as a keyed hash in the count's key, gone when the window ends.

Over the limit, the view shows the form again, with what was typed and a
plain message, as a 429 with Retry-After, and saves nothing.
"""

import time

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy, ngettext

from core.clientip import client_address
from core.counters import counter_add

TOO_MANY_MESSAGE = gettext_lazy(
    "We have had this form from your internet connection too many times in a short while. "
    "Nothing was saved. Please wait %(wait)s and try again."
)


def _in_words(seconds: int) -> str:
    if seconds >= 3600:
        hours = -(-seconds // 3600)
        return ngettext("an hour", "%(count)s hours", hours) % {"count": hours}
    minutes = -(-seconds // 60)
    return ngettext("a minute", "%(count)s minutes", minutes) % {"count": minutes}


def form_limit_reached(request: HttpRequest, form: forms.BaseForm, *, scope: str) -> int | None:
    """Count one sending of the form `scope` from this address. None when it may
    go ahead; over the limit, put the message on the form and return the seconds
    until the window ends."""
    allowed, seconds = settings.FORM_RATE_LIMITS[scope]
    now = time.time()
    window = int(now // seconds)
    who = salted_hmac("core.ratelimit", client_address(request)).hexdigest()[:32]
    key = f"form-rate:{scope}:{who}:{window}"
    # Atomic on Redis and on the database alike (core/counters.py).
    sent = counter_add(key, seconds=seconds)
    if sent <= allowed:
        return None
    wait = max(1, int((window + 1) * seconds - now))
    form.add_error(None, TOO_MANY_MESSAGE % {"wait": _in_words(wait)})
    return wait


def refused_as_too_many(response: HttpResponse, wait: int | None) -> HttpResponse:
    """The form's page as a 429 with Retry-After when `wait` says the limit was reached."""
    if wait:
        response.status_code = 429
        response["Retry-After"] = str(wait)
    return response
