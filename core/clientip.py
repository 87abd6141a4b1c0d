"""The address of the person making a request, as the one trusted proxy chain saw it.

Behind nginx or Caddy every request reaches Django from the proxy's own address
(REMOTE_ADDR), and the person's address is in X-Forwarded-For, which each proxy
appends to. Anyone can send that header with made-up entries at the left, so
only the entries our own proxies added can be believed: with
TRUSTED_PROXY_COUNT = N (the number of proxies in front of the app), the
person's address is the entry N places from the right. Nothing further left is
ever used. With N = 0 (the default: the app is reached directly) the header is
ignored and REMOTE_ADDR is the address.

Everything that keys on a person's address (login lockout, rate limits) calls
`client_address` so that they all agree.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _as_address(text: str) -> str | None:
    """The address in `text`, or None when it is not one (a proxy may be misconfigured)."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The person's address: X-Forwarded-For's entry TRUSTED_PROXY_COUNT hops from
    the right, or REMOTE_ADDR when no proxy is trusted or the header is unusable."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    hops = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops <= 0 or not forwarded:
        return remote
    entries = [entry for entry in forwarded.split(",") if entry.strip()]
    if not entries:
        return remote
    # Fewer entries than proxies: the request passed fewer proxies than configured,
    # and every entry present was still added by one of ours, so the leftmost is the
    # furthest we can trust.
    chosen = entries[-min(hops, len(entries))]
    return _as_address(chosen) or remote
