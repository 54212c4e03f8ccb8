"""Which peers may hand us forwarded-certificate headers: :class:`TrustedProxies`.

A forwarded-certificate header (``X-SSL-Client-Cert``, ``X-Forwarded-Client-Cert``...) is only
as trustworthy as the connection it arrived on. If the application is reachable without the
proxy, any client can send the header itself. So the decision is made from the TCP peer
(``REMOTE_ADDR``), never from anything in the request, and headers from an untrusted peer make
the whole request untrusted: they are not silently dropped, and the request does not fall back
to another identity (a session cookie, a direct TLS certificate).
"""

from __future__ import annotations

import enum
import ipaddress
import logging
from collections.abc import Iterable, Mapping
from typing import Any, Final

from mtlsguard.certs.errors import CertificateError

__all__ = ["ProxyDecision", "TrustedProxies", "rewritten_peer"]

logger = logging.getLogger("mtlsguard.certs")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Longest textual IPv6 address with an IPv4 tail and a generous zone id; anything longer is
# garbage and is refused before the ipaddress module looks at it.
_MAX_PEER_LENGTH: Final = 128
#: Peer strings whose verdict :meth:`TrustedProxies.is_trusted` remembers (then starts afresh).
_MAX_VERDICTS: Final = 4096


class ProxyDecision(enum.Enum):
    """What to do with a request's forwarded-certificate headers.

    Returned by :meth:`TrustedProxies.decide`; every caller must handle all three members.
    """

    BELIEVE = "believe"
    """The peer is a trusted proxy and sent forwarded headers: extract the certificate."""
    NO_HEADERS = "no_headers"
    """No forwarded headers were sent: there is no forwarded identity (a direct TLS
    certificate, if the server terminated TLS itself, may still be used)."""
    UNTRUSTED_WITH_HEADERS = "untrusted_with_headers"
    """An untrusted peer sent forwarded headers: refuse the request as unauthenticated
    (reason ``untrusted_proxy``). Never ignore the headers and carry on with another identity."""


def _parse_peer(peer: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Parse a ``REMOTE_ADDR`` value, or return ``None`` for anything that is not an address."""
    if not peer or len(peer) > _MAX_PEER_LENGTH or not peer.isascii():
        return None
    if peer[0] == "[" and peer[-1] == "]":  # some servers bracket IPv6 literals
        peer = peer[1:-1]
    # A zone id (fe80::1%eth0) names the interface, not the host: match on the address.
    peer = peer.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d; judge them as IPv4.
        return address.ipv4_mapped
    return address


def _parse_network(entry: str | IPNetwork) -> IPNetwork:
    if isinstance(entry, ipaddress.IPv4Network | ipaddress.IPv6Network):
        network: IPNetwork = entry
    elif isinstance(entry, str):
        try:
            network = ipaddress.ip_network(entry.strip(), strict=True)
        except ValueError as exc:
            raise ValueError(
                f"trusted proxy {entry!r} is not an IP address or CIDR network "
                "(e.g. '10.0.0.1', '10.0.0.0/8', 'fd00::/8'); host bits must be zero"
            ) from exc
    else:
        raise TypeError(f"trusted proxy entries must be strings, got {type(entry).__name__}")
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96:
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:
            # ::ffff:10.0.0.0/104 means 10.0.0.0/8; store it that way so peers match it.
            return ipaddress.IPv4Network(f"{mapped}/{network.prefixlen - 96}")
    return network


class TrustedProxies:
    """The proxies allowed to forward client certificates, and how many hops they add.

    >>> proxies = TrustedProxies(["10.0.0.0/8", "::1"], hops=1)
    >>> proxies.is_trusted("10.1.2.3"), proxies.is_trusted("::ffff:10.1.2.3")
    (True, True)
    >>> proxies.is_trusted("203.0.113.9"), proxies.is_trusted("not an address")
    (False, False)

    Immutable and hashable. An empty list trusts nobody, which is the default everywhere.

    :param networks: IPv4/IPv6 addresses or CIDR networks (``"10.0.0.0/8"``, ``"fd00::/8"``,
        ``"127.0.0.1"``). Host bits must be zero, so typos like ``10.0.0.1/8`` fail loudly.
    :param hops: how many trusted proxies sit between the client and the application and
        append to multi-hop headers (Envoy's ``X-Forwarded-Client-Cert``, ``X-Forwarded-For``).
        The element appended by the nearest of them (the ``hops``-th from the end) describes
        the client.
    :param unix_socket: also trust peers without an IP address (``REMOTE_ADDR`` empty or
        ``unix:...``), i.e. a proxy talking to the application over a Unix socket.
    :raises ValueError: on an entry that is not an address or network, or ``hops < 1``.
    """

    __slots__ = ("_exact", "_hops", "_networks", "_unix_socket", "_v4", "_v6", "_verdicts")

    def __init__(
        self,
        networks: Iterable[str | IPNetwork] = (),
        *,
        hops: int = 1,
        unix_socket: bool = False,
    ) -> None:
        if isinstance(networks, str):
            raise TypeError("networks must be a list of strings, not a single string")
        if isinstance(hops, bool) or not isinstance(hops, int) or hops < 1:
            raise ValueError(f"hops must be an integer >= 1, got {hops!r}")
        parsed = tuple(dict.fromkeys(_parse_network(entry) for entry in networks))
        set_ = object.__setattr__
        set_(self, "_networks", parsed)
        set_(self, "_hops", hops)
        set_(self, "_unix_socket", bool(unix_socket))
        # Single hosts go in a set (one hash lookup); real networks are checked by family.
        set_(self, "_exact", frozenset(n.network_address for n in parsed if n.num_addresses == 1))
        set_(
            self,
            "_v4",
            tuple(
                n for n in parsed if n.num_addresses > 1 and isinstance(n, ipaddress.IPv4Network)
            ),
        )
        set_(
            self,
            "_v6",
            tuple(
                n for n in parsed if n.num_addresses > 1 and isinstance(n, ipaddress.IPv6Network)
            ),
        )
        # Parsing REMOTE_ADDR and testing the networks costs ~10 us per request; the answer
        # for a peer string never changes, and behind a proxy it is nearly always the same.
        set_(self, "_verdicts", {})

    _networks: tuple[IPNetwork, ...]
    _hops: int
    _unix_socket: bool
    _exact: frozenset[ipaddress.IPv4Address | ipaddress.IPv6Address]
    _v4: tuple[ipaddress.IPv4Network, ...]
    _v6: tuple[ipaddress.IPv6Network, ...]
    _verdicts: dict[str, bool]

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("TrustedProxies is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("TrustedProxies is immutable")

    @property
    def networks(self) -> tuple[IPNetwork, ...]:
        """The trusted networks, parsed and de-duplicated, in the order given."""
        return self._networks

    @property
    def hops(self) -> int:
        """Trusted proxies between client and application that append to multi-hop headers."""
        return self._hops

    @property
    def unix_socket(self) -> bool:
        """Whether peers without an IP address (a Unix-socket proxy) are trusted."""
        return self._unix_socket

    def __repr__(self) -> str:
        nets = [str(n) for n in self._networks]
        extra = ", unix_socket=True" if self._unix_socket else ""
        return f"TrustedProxies({nets!r}, hops={self._hops}{extra})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TrustedProxies):
            return NotImplemented
        return (
            set(self._networks) == set(other._networks)
            and self._hops == other._hops
            and self._unix_socket == other._unix_socket
        )

    def __hash__(self) -> int:
        return hash((frozenset(self._networks), self._hops, self._unix_socket))

    def __bool__(self) -> bool:
        return bool(self._networks) or self._unix_socket

    def is_trusted(self, peer: str | None) -> bool:
        """Whether forwarded-certificate headers from ``peer`` (``REMOTE_ADDR``) may be believed.

        Never raises: ``None``, garbage, ports, and anything that is not exactly an IP address
        are simply not trusted. IPv4-mapped IPv6 peers (``::ffff:10.0.0.1``) are judged as
        their IPv4 address; a zone id (``fe80::1%eth0``) is ignored.
        """
        if not isinstance(peer, str):
            return False
        verdict = self._verdicts.get(peer)
        if verdict is None:
            verdict = self._judge(peer)
            if len(self._verdicts) >= _MAX_VERDICTS:
                self._verdicts.clear()  # bounded: peers are many only without a proxy
            self._verdicts[peer] = verdict
        return verdict

    def _judge(self, peer: str) -> bool:
        if self._unix_socket and (peer == "" or peer.startswith("unix:")):
            return True
        address = _parse_peer(peer)
        if address is None:
            return False
        if address in self._exact:
            return True
        if isinstance(address, ipaddress.IPv4Address):
            return any(address in network for network in self._v4)
        return any(address in network for network in self._v6)

    def decide(self, peer: str | None, has_forwarded_headers: bool) -> ProxyDecision:
        """Tell the caller what to do with a request from ``peer``.

        :param peer: the TCP peer address (``REMOTE_ADDR``), not anything from a header.
        :param has_forwarded_headers: whether the request carries any forwarded-certificate
            header of the configured source, even an empty or malformed one (see
            ``CertificateSource.has_values``).
        """
        if not has_forwarded_headers:
            return ProxyDecision.NO_HEADERS
        if self.is_trusted(peer):
            return ProxyDecision.BELIEVE
        return ProxyDecision.UNTRUSTED_WITH_HEADERS

    def forwarded_client(self, peer: str | None, forwarded_for: str | None) -> str | None:
        """The client's address as a trusted proxy reported it, or ``None``.

        Behind a proxy every request comes from the proxy's address, so anything "per client"
        (throttling, audit) needs the address the proxy saw: the :attr:`hops`-th entry from
        the right of ``forwarded_for`` (an ``X-Forwarded-For`` value; entries further left are
        whatever the client sent). Believed only from a trusted ``peer``, and only if it is
        an IP address. Never raises.

        >>> proxies = TrustedProxies(["10.0.0.0/8"])
        >>> proxies.forwarded_client("10.0.0.5", "6.6.6.6, 192.0.2.7")
        '192.0.2.7'
        >>> proxies.forwarded_client("203.0.113.9", "192.0.2.7") is None
        True
        """
        if not isinstance(forwarded_for, str) or not self.is_trusted(peer):
            return None
        entries = forwarded_for.split(",")
        if len(entries) < self._hops:
            return None
        try:
            return str(ipaddress.ip_address(entries[-self._hops].strip()))
        except ValueError:
            return None

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str:
        """:meth:`forwarded_client`, else the TCP ``peer`` (``""`` when unknown)."""
        reported = self.forwarded_client(peer, forwarded_for)
        if reported is not None:
            return reported
        return peer if isinstance(peer, str) else ""

    def check(self, peer: str | None, has_forwarded_headers: bool) -> bool:
        """Like :meth:`decide`, but impossible to misuse.

        :returns: ``True`` when the forwarded headers should be believed, ``False`` when there
            are none.
        :raises CertificateError: ``untrusted_proxy`` when an untrusted peer sent them.
        """
        decision = self.decide(peer, has_forwarded_headers)
        if decision is ProxyDecision.UNTRUSTED_WITH_HEADERS:
            raise CertificateError(
                "untrusted_proxy",
                f"forwarded client-certificate headers from untrusted peer {str(peer)[:64]!r}",
            )
        return decision is ProxyDecision.BELIEVE


_warned: set[str] = set()


def _environ_rewrite(environ: Mapping[str, Any]) -> str | None:
    if "PROXY_ADDR" in environ and "PROXY_PROTOCOL" in environ:
        return "gunicorn --proxy-protocol set REMOTE_ADDR from the PROXY line"
    original = environ.get("werkzeug.proxy_fix.orig")
    if isinstance(original, Mapping) and original.get("REMOTE_ADDR") != environ.get("REMOTE_ADDR"):
        return "werkzeug ProxyFix set REMOTE_ADDR from X-Forwarded-For"
    return None


def _client_from_forwarded_for(client: tuple[str, int], forwarded_for: str) -> str | None:
    host, port = client
    if port < 0 or len(forwarded_for) > 4096:
        return None
    if port != 0 and f":{port}" not in forwarded_for:
        return None  # the common case, a real peer: one substring test
    entries = [entry.strip() for entry in forwarded_for.split(",")]
    if (port == 0 and host in entries) or any(
        entry in (f"{host}:{port}", f"[{host}]:{port}") for entry in entries
    ):
        return (
            "the ASGI server set the client address from X-Forwarded-For "
            "(uvicorn --proxy-headers with --forwarded-allow-ips)"
        )
    return None


def rewritten_peer(
    environ: Mapping[str, Any] | None,
    *,
    client: tuple[str, int] | None = None,
    forwarded_for: str | None = None,
) -> str | None:
    """Why the peer address the server reports is not the TCP peer, or ``None``.

    Some application servers replace the peer address with one taken from the request:
    uvicorn's proxy headers (``--forwarded-allow-ips``) and werkzeug's ``ProxyFix`` from
    ``X-Forwarded-For``, gunicorn's ``--proxy-protocol`` from the PROXY line. Then
    ``REMOTE_ADDR`` is whatever the client claimed (``127.0.0.1``) when the server trusts
    too many peers, and the trusted-proxy decision cannot be made from it. Detected from what
    the server leaves behind: gunicorn's ``PROXY_ADDR``, ProxyFix's saved original, and for
    uvicorn a client ``(host, port)`` that is an ``X-Forwarded-For`` entry (a real TCP peer
    never has port 0, and is never the client its proxy reports with the same port).
    Cheap and never raises; the first detection of each kind is logged as a warning.

    :param environ: a WSGI environ or Django's ``request.META`` (``REMOTE_ADDR``,
        ``REMOTE_PORT``, ``HTTP_X_FORWARDED_FOR``).
    :param client: for a bare ASGI scope, ``scope["client"]``; ``forwarded_for`` then is
        its ``X-Forwarded-For`` header.
    """
    why = None
    if environ is not None:
        why = _environ_rewrite(environ)
        if why is None and client is None:
            forwarded_for = environ.get("HTTP_X_FORWARDED_FOR")
            host, port = environ.get("REMOTE_ADDR"), environ.get("REMOTE_PORT")
            if isinstance(host, str) and isinstance(port, int | str):
                client = (host, int(port) if str(port).isdigit() else -1)
    if why is None and client is not None and isinstance(forwarded_for, str):
        why = _client_from_forwarded_for(client, forwarded_for)
    if why is not None and why not in _warned:
        _warned.add(why)
        logger.warning(
            "mtlsguard: %s; forwarded client-certificate headers are refused because the "
            "peer address cannot be trusted. Let the app server keep the TCP peer (uvicorn "
            "--no-proxy-headers, gunicorn without --proxy-protocol) and let mtlsguard read "
            "X-Forwarded-For from TRUSTED_PROXIES (docs/deploy/app-servers.md).",
            why,
        )
    return why
