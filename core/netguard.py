"""Outbound HTTP to addresses that people give us (webhook URLs, Open Referral
feeds): only ever to the public internet, never to this machine or its network.

Invariants:
* A host name is resolved once per request, every address it resolves to is
  checked, and the connection goes to the address that was checked (the pool
  is keyed by that IP; TLS still sends and verifies the host name, and the Host
  header is the original one). Resolving again to connect would let a name
  that changes its answer in between (DNS rebinding) reach a private address.
* An address is refused unless `ipaddress` calls it global, and also when it is
  an IPv4-mapped IPv6 address whose IPv4 address is not global, or in a range
  that leads somewhere we cannot see (NAT64, 6to4, Teredo, the old
  IPv4-compatible range).
* Only the given schemes and ports are allowed; the environment's proxies and
  .netrc are ignored (a proxy would resolve the name itself).
* Redirects are followed only when the caller asks, and each hop is checked
  like the first.
* With `keep_alive` (many requests to one feed), connections are kept and reused,
  but only for the same checked address: every request still resolves the name
  and checks it first. Kept sessions belong to one thread each.
"""

from __future__ import annotations

import http.cookiejar
import ipaddress
import socket
import threading
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

import requests
from django.utils.translation import gettext, gettext_lazy
from requests.adapters import HTTPAdapter

from core.errors import InvalidInputError

# IPv6 ranges refused whatever follows. NAT64 (RFC 6052, and local-use RFC 8215)
# and 6to4 are translated or tunnelled to an IPv4 address by a gateway we cannot
# see, which may sit inside the network: the review found 64:ff9b::7f00:1 and
# 2002:7f00:1:: reaching loopback. A server has no need to call out through
# them, so they are refused outright rather than judged by the IPv4 inside.
# Teredo tunnels hide their end point, and IPv4-compatible addresses
# (deprecated) can still be routed to IPv4 by some stacks.
_REFUSED_V6 = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
    ipaddress.IPv6Network("2002::/16"),
    ipaddress.IPv6Network("2001::/32"),
    ipaddress.IPv6Network("::/96"),
)
# Only tests turn this on, to talk to a server they run on 127.0.0.1.
ALLOW_LOOPBACK_FOR_TESTS = False

# Kept sessions per thread (one per checked address and host name) before they are dropped.
MAX_KEPT_SESSIONS = 8

PRIVATE_ADDRESS_MESSAGE = gettext_lazy(
    "It points to a local or private network address; only public internet addresses are allowed."
)


class AddressRefusedError(InvalidInputError):
    """The URL may not be fetched: a scheme, port or address we do not reach."""

    code = "address_refused"


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    # An IPv4-mapped address (::ffff:a.b.c.d) is that IPv4 address to the socket layer.
    return address.ipv4_mapped


def address_is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if ALLOW_LOOPBACK_FOR_TESTS and address.is_loopback:
        return True
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in network for network in _REFUSED_V6):
            return False
        if (embedded := _embedded_ipv4(address)) is not None:
            return address_is_public(embedded)
    return address.is_global


def resolve_public(host: str, port: int) -> str:
    """The address to connect to for `host`: resolved once, refused unless every
    address the name has is public (one private answer is enough to refuse: which
    one a client would pick is not ours to know)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise AddressRefusedError(gettext("Its host name could not be found.")) from None
    addresses = []
    for info in infos:
        # Drop an IPv6 zone ("fe80::1%eth0"): it is link-local and refused anyway.
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address_is_public(address):
            raise AddressRefusedError(str(PRIVATE_ADDRESS_MESSAGE))
        addresses.append(address)
    if not addresses:
        raise AddressRefusedError(gettext("Its host name could not be found."))
    return str(addresses[0])


def check_url(url: str, *, schemes: Iterable[str], ports: Iterable[int]) -> tuple[str, int]:
    """(host, port) of `url` when its form is allowed; AddressRefusedError otherwise.
    Does not resolve the name (resolve_public does, once, when connecting)."""
    schemes, ports = tuple(schemes), tuple(ports)
    try:
        parts = urlsplit(url)
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme, 0)
    except ValueError:
        raise AddressRefusedError(gettext("That is not a valid web address.")) from None
    if parts.scheme not in schemes:
        starts = gettext(" or ").join(s + "://" for s in schemes)
        raise AddressRefusedError(gettext("The address must start with %(starts)s.") % {"starts": starts})
    if not parts.hostname:
        raise AddressRefusedError(gettext("That is not a valid web address."))
    if parts.username or parts.password:
        raise AddressRefusedError(gettext("The address must not contain a user name or password."))
    if port not in ports:
        allowed = ", ".join(str(p) for p in ports)
        raise AddressRefusedError(
            gettext("The address must use port %(port)s (leave the port out for %(port)s).") % {"port": allowed}
        )
    return parts.hostname, port


def url_problem(url: str, *, schemes: Iterable[str], ports: Iterable[int]) -> str | None:
    """Why `url` may not be fetched now (its form, or where its name resolves), or None."""
    try:
        host, port = check_url(url, schemes=schemes, ports=ports)
        resolve_public(host, port)
    except AddressRefusedError as exc:
        return exc.message
    return None


class PinnedAddressAdapter(HTTPAdapter):
    """Connects to one IP address given in advance while speaking to the host name
    in the URL: urllib3's pool is keyed by the IP, and TLS gets the name for SNI and
    for checking the certificate."""

    def __init__(self, *, address: str, hostname: str, **kwargs):
        self.address = address
        self.hostname = hostname
        super().__init__(**kwargs)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        host_params["host"] = self.address
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = self.hostname
            pool_kwargs["assert_hostname"] = self.hostname
        return host_params, pool_kwargs


class GuardedSession:
    """Sends requests as requests.Session does (the same keyword arguments and
    Response), only to public addresses, resolving each host once. Follows up to
    `max_redirects` redirects by hand, checking each hop; with 0 a redirect is
    returned as the answer.

    With `keep_alive`, each thread keeps the session it built for a checked address
    and host name and sends that thread's later requests to the same address through
    it, reusing the connection (an import fetching thousands of pages from one feed
    saves a connection per request). A name that now resolves elsewhere gets a new
    session pinned to the new, checked, address. Thread-local because a
    requests.Session is not documented as safe to share; a thread's sessions go
    with it. Without keep_alive, every request has a session of its own."""

    def __init__(
        self, *, schemes: Iterable[str], ports: Iterable[int], max_redirects: int = 0, keep_alive: bool = False
    ):
        self.schemes, self.ports, self.max_redirects = tuple(schemes), tuple(ports), max_redirects
        self.keep_alive = keep_alive
        self._kept = threading.local()

    def get(self, url: str, **kwargs) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        kwargs.pop("allow_redirects", None)
        for _ in range(self.max_redirects + 1):
            response = self._send_once(method, url, **kwargs)
            if self.max_redirects == 0 or not response.is_redirect:
                return response
            location = response.headers["Location"]
            response.close()
            url = urljoin(url, location)
            if response.status_code in (301, 302, 303) and method != "HEAD":
                # As browsers and requests do: the next hop is a GET without the body.
                method = "GET"
                kwargs.pop("data", None)
                kwargs.pop("json", None)
        raise requests.TooManyRedirects(f"More than {self.max_redirects} redirects.")

    def _send_once(self, method: str, url: str, **kwargs) -> requests.Response:
        host, port = check_url(url, schemes=self.schemes, ports=self.ports)
        address = resolve_public(host, port)
        session = self._session(address=address, hostname=host)
        headers = dict(kwargs.pop("headers", None) or {})
        headers["Host"] = urlsplit(url).netloc
        # Not closed here: a streamed response still reads through its pool.
        return session.request(method, url, headers=headers, allow_redirects=False, **kwargs)

    def _session(self, *, address: str, hostname: str) -> requests.Session:
        """A session that connects only to `address` (already checked)."""
        kept: dict[tuple[str, str], requests.Session] | None = None
        if self.keep_alive:
            kept = self._kept.__dict__.setdefault("sessions", {})
            if (session := kept.get((address, hostname))) is not None:
                return session
            if len(kept) >= MAX_KEPT_SESSIONS:
                for old in kept.values():
                    old.close()
                kept.clear()
        session = requests.Session()
        # Environment proxies would resolve the name again themselves; .netrc
        # credentials must never go to a URL someone else chose.
        session.trust_env = False
        adapter = PinnedAddressAdapter(address=address, hostname=hostname, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        if kept is not None:
            # A kept session must not carry anything from one request to the next.
            session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
            kept[(address, hostname)] = session
        return session
