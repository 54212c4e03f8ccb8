"""What one probe run knows so far: the state its phases share.

A :class:`RunState` is made once per run, before the first phase, from the configuration,
the routes to probe, the open client and the certificates read from disk. The observation
phases fill :attr:`RunState.observed` and :attr:`RunState.ids`; the probing phases read them.
Every phase reports transport failures, 5xx answers and refused redirects through
:meth:`RunState.record`, so the run's errors are deduplicated in one place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from mtlsguard.findings.model import Location, ScanError
from mtlsguard.probe.client import Exchange, ProbeClient, ProbeSetupError
from mtlsguard.probe.config import Identity, ProbeConfig
from mtlsguard.probe.coverage import certificate_refused
from mtlsguard.probe.crawl import links_in, relative_path
from mtlsguard.probe.discovery import Endpoint, parameters
from mtlsguard.probe.forged import load_certificate_pem
from mtlsguard.probe.ids import HarvestedIds
from mtlsguard.probe.observation import Observation, observe
from mtlsguard.probe.ownership import identity_markers

__all__ = ["Certificates", "Progress", "RunState"]

Progress = Callable[[int, int], None]
"""``progress(done, total)`` over concrete paths."""

_NO_ANSWER = frozenset({"tls", "connection", "protocol"})
"""Failure kinds a refused handshake shows up as (an alert, or a connection closed racing it)."""
_PROXIES = ("nginx", "apache", "caddy", "envoy", "haproxy", "traefik", "cloudflare", "awselb")


def proxy_refusal(anonymous: Exchange, a_cert: Exchange) -> tuple[int, bytes] | None:
    """How a proxy refused a request without a certificate that ``A``'s got through, or ``None``.

    nginx's ``ssl_verify_client on`` answers 400 ("No required SSL certificate was sent",
    internally 496) and 495 for a bad one; other proxies answer 403 with their own page. Returns
    the status and body, so a run can check every refusal looked the same (one proxy's page).
    """
    status = anonymous.status
    if status is None or a_cert.status is None or a_cert.status == status:
        return None
    by_proxy = certificate_refused(anonymous) or status in {400, 495, 496}
    if status == 403:
        # the proxy's own page names it (nginx's "<center>nginx</center>", Apache's signature);
        # the app's 403 behind the same proxy carries the proxy's Server header but not that
        server = (anonymous.header("Server") or "").lower()
        page = anonymous.body[:4096].decode("utf-8", "replace").lower()
        json_body = "json" in (anonymous.header("Content-Type") or "")
        by_proxy = not json_body and any(p in server and p in page for p in _PROXIES)
    return (status, anonymous.body[:4096]) if by_proxy else None


def _chain(identity: Identity | None) -> tuple[x509.Certificate, ...]:
    if identity is None or identity.cert is None:
        return ()
    try:
        return tuple(load_certificate_pem(Path(identity.cert).read_bytes()))
    except (OSError, ValueError) as exc:
        raise ProbeSetupError(f"cannot read the certificate {identity.cert}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Certificates:
    """The certificate chains of ``A`` and ``B`` (leaf first; empty when there is none)."""

    a: tuple[x509.Certificate, ...]
    """``A``'s chain."""
    b: tuple[x509.Certificate, ...]
    """``B``'s chain."""

    @classmethod
    def read(cls, config: ProbeConfig) -> Certificates:
        """Read both chains from disk, before any request is sent.

        :raises ProbeSetupError: when a certificate file is unreadable or not PEM.
        """
        return cls(_chain(config.identity), _chain(config.peer))


@dataclass(eq=False)
class RunState:
    """The run's inputs, what its phases observed, and its counts and errors."""

    config: ProbeConfig
    """What the run was told."""
    client: ProbeClient
    """The open client every request goes through."""
    endpoints: Sequence[Endpoint]
    """Every route discovery found, whatever its methods."""
    certificates: Certificates
    """A's and B's certificate chains."""
    progress: Progress | None = None
    """Called with ``(done, total)`` concrete paths as observations are planned and made."""
    routes: tuple[Endpoint, ...] = field(init=False)
    """The routes observed: those answering GET, or the base URL alone without any route."""
    observed: dict[str, list[tuple[str, Observation]]] = field(default_factory=dict)
    """Template → ``(object id, observation)`` per concrete path (id ``""`` on a listing)."""
    ids: HarvestedIds = field(default_factory=HarvestedIds)
    """IDs seen in each identity's listings."""
    errors: dict[tuple[str, str], ScanError] = field(default_factory=dict)
    """The run's errors, keyed to report each failure once."""
    done: int = 0
    """Concrete paths observed."""
    total: int = 0
    """Concrete paths planned."""
    reached: int = 0
    """Concrete paths where A's certificate got an HTTP answer."""
    anonymous_refused_by_tls: int = 0
    """Concrete paths where the handshake without a certificate was refused (A got through)."""
    anonymous_reached: int = 0
    """Concrete paths where a request without a certificate got an HTTP answer (not a proxy's
    certificate refusal)."""
    proxy_refusals: set[tuple[int, bytes]] = field(default_factory=set)
    """Distinct ``(status, body)`` a proxy refused certificate-less requests with."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Template → why it was not probed (no ID to fill it, unsafe method)."""
    written: set[str] = field(default_factory=set)
    """Templates the opt-in write probes sent unsafe methods to (an object the probe made)."""
    planned_owner: dict[str, str | None] = field(default_factory=dict)
    """Concrete path → whose object the run believed it was when it chose the path."""
    markers: dict[str, frozenset[str]] = field(init=False)
    """``A``/``B`` → the lower-case strings that name its certificate's holder."""
    _views: dict[str, str | None] = field(init=False, repr=False)
    _locations: dict[str, Location] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        endpoints = self.endpoints
        self.routes = tuple(e for e in endpoints if "GET" in e.methods) or (
            (Endpoint("/"),) if not endpoints else ()
        )
        self._views = {e.template: e.view for e in self.routes}
        chains = self.certificates
        self.markers = {
            "A": identity_markers(chains.a[0]) if chains.a else frozenset(),
            "B": identity_markers(chains.b[0]) if chains.b else frozenset(),
        }
        self._locations = {e.template: e.location for e in endpoints if e.location}
        for endpoint in endpoints:
            if "GET" not in endpoint.methods:
                self.skipped[endpoint.template] = (
                    "not probed (unsafe: only routes that answer GET are probed)"
                    if self.config.allow_unsafe_methods
                    else "not probed (unsafe method not allowed)"
                )

    @property
    def tls(self) -> bool:
        """The target is ``https:``: certificates are presented."""
        return self.client.base_url.startswith("https:")

    @property
    def distinguishable(self) -> bool:
        """The app can tell ``B`` from ``A``.

        ``B`` exists, and over plain http both have credentials (nothing else differs between
        them there).
        """
        config = self.config
        return config.peer is not None and (
            self.tls or bool(config.identity.auth_header and config.peer.auth_header)
        )

    @property
    def refuses_anonymous(self) -> bool:
        """Every request without a certificate was refused, so forged headers cannot pass either.

        Refused at the TLS handshake, or by the proxy (one status and page for all).
        """
        refused = self.anonymous_refused_by_tls + len(self.proxy_refusals)
        return refused > 0 and self.anonymous_reached == 0 and len(self.proxy_refusals) <= 1

    @property
    def refused_by_proxy(self) -> int | None:
        """The status the proxy refused every certificate-less request with, if it did."""
        if not self.refuses_anonymous or not self.proxy_refusals:
            return None
        return next(iter(self.proxy_refusals))[0]

    @property
    def collection_templates(self) -> list[str]:
        """Templates of routes without parameters (listings), in discovery order."""
        return [e.template for e in self.routes if not parameters(e.template)]

    @property
    def detail_templates(self) -> list[str]:
        """Templates of routes with parameters, in discovery order."""
        return [e.template for e in self.routes if parameters(e.template)]

    def names(self, identity: str) -> frozenset[str]:
        """What names ``identity`` (``A``/``B``): its certificate markers and learned user ids."""
        return self.markers[identity] | self.ids.user_ids[identity]

    def harvest(self, obs: Observation, values: dict[str, str]) -> None:
        """Keep the objects of A's and B's answers at ``obs`` (reached with ``values``)."""
        for who, answer in (("A", obs.a_full), ("B", obs.b_full)):
            if answer is None or not answer.has_data:
                continue
            data = answer.json()
            if data is not None:
                self.ids.add(data, identity=who, template=obs.template, via=values)
                continue
            page = obs.path
            paths = [relative_path(link, page, self.client.base_url) for link in links_in(answer)]
            self.ids.add_links(
                [p for p in paths if p], identity=who, templates=self.detail_templates
            )

    def location_of(self, template: str) -> Location | None:
        """Where the view of a route is defined, when the route file said."""
        return self._locations.get(template)

    def view_of(self, template: str) -> str | None:
        """The dotted view of a probed route, from discovery or the configuration."""
        return self._views.get(template) or self.config.views.get(template)

    def record(self, exchange: Exchange, *, expected_tls_refusal: bool = False) -> None:
        """Turn failures, 5xx answers and refused redirects into errors of the run.

        ``expected_tls_refusal``: a handshake failure of this exchange is mTLS doing its job
        (a request without a certificate), not an error.
        """
        if expected_tls_refusal and exchange.failure_kind in _NO_ANSWER:
            return
        message = None
        if exchange.failure is not None:
            message = f"{exchange.identity} {exchange.method}: {exchange.failure}"
        elif exchange.status is not None and exchange.status >= 500:
            message = f"{exchange.identity} {exchange.method}: server error {exchange.status}"
        elif "not followed" in exchange.note:
            message = f"{exchange.identity} {exchange.method}: {exchange.note}"
        if exchange.truncated:
            extra = f"body larger than {self.config.max_body} bytes; the rest was not read"
            message = f"{message}; {extra}" if message else f"{exchange.identity}: {extra}"
        if message is None:
            return
        key = (exchange.url, message)
        if exchange.failure_kind in {"budget", "deadline"}:
            # one error for the bound, not one per request it stopped
            key = ("", exchange.failure_kind)
            message = (exchange.failure or "") + "; the remaining probes were skipped"
        self.errors.setdefault(key, ScanError(exchange.url if key[0] else "", message))

    async def observe_all(self, targets: Sequence[tuple[str, str]]) -> list[Observation]:
        """Observe every ``(template, path)`` concurrently; results in the same order."""
        self.total += len(targets)
        self._report()
        return list(await asyncio.gather(*(self._observe(t, p) for t, p in targets)))

    async def _observe(self, template: str, path: str) -> Observation:
        obs = await observe(self.client, self.config, template, path)
        anonymous, a_cert = obs.anonymous, obs.a_cert
        # Under TLS 1.3 the refusal of a certificate-less client arrives after the handshake,
        # as an alert or, racing it, as a closed connection: either counts when A got through.
        refused = self.tls and anonymous.failure_kind in _NO_ANSWER and a_cert.status is not None
        by_proxy = proxy_refusal(anonymous, a_cert) if self.tls else None
        if refused:
            self.anonymous_refused_by_tls += 1
        elif by_proxy is not None:
            self.proxy_refusals.add(by_proxy)
        elif anonymous.status is not None:
            self.anonymous_reached += 1
        if a_cert.status is not None:
            self.reached += 1
        for exchange in obs.exchanges():
            self.record(exchange, expected_tls_refusal=exchange is anonymous and refused)
        self.done += 1
        self._report()
        return obs

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.done, max(self.total, self.done))
