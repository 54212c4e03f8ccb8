"""Read one request's client certificate: collect -> believe -> extract -> verify.

The trusted-proxy rule lives here, once, for every framework: forwarded-certificate headers
are read only when the TCP peer is a trusted proxy; from anyone else they make the request
untrusted (``untrusted_proxy``) and never fall back to another identity. A WSGI app, an ASGI
app, the Django middleware and the DRF classes all call :class:`CertificateReader`::

    reader = CertificateReader("nginx", policy, trusted_proxies=TrustedProxies(["10.0.0.0/8"]))
    outcome = reader.read_wsgi(environ)          # or reader.read_asgi(scope)
    if outcome.verified is None:
        ...  # outcome.error says why (or nothing was presented: error is None)

Reading never raises for anything a client can send: every failure is a
:class:`~mtlsguard.certs.CertificateError` in :attr:`CertificateOutcome.error`, with a stable
reason. Everything is CPU-only and cached below (the parse on the raw header bytes, the
verification on the DER and the policy), so it can run inline on an event loop unless the
policy fetches CRLs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from mtlsguard.certs.errors import CertificateError
from mtlsguard.certs.model import ClientCertificate, VerifiedCertificate
from mtlsguard.certs.policy import VerificationPolicy, system_time
from mtlsguard.certs.proxies import ProxyDecision, TrustedProxies, rewritten_peer
from mtlsguard.certs.recent import RecentOutcomes
from mtlsguard.certs.sources import (
    CertificateSource,
    RequestView,
    extract_collected,
    get_source,
    resolve_names,
)
from mtlsguard.certs.sources.base import RawValues
from mtlsguard.certs.verifier import CertificateVerifier, verifier_for

__all__ = [
    "NOTHING_PRESENTED",
    "CertificateOutcome",
    "CertificateReader",
    "VerificationGate",
    "check_raw_headers",
    "scope_headers",
    "scope_peer",
]

logger = logging.getLogger("mtlsguard.certs")

VerificationGate: TypeAlias = Callable[[ClientCertificate], CertificateError | None]
"""Asked before a full certificate the verifier has not verified before is verified: returns
an error to refuse it without the work (a throttle), or ``None`` to go on."""


@dataclass(frozen=True, slots=True)
class CertificateOutcome:
    """What reading a request's client certificate found.

    Exactly one of three shapes: nothing presented (all ``None``); presented and verified
    (``verified`` set, ``error`` ``None``); refused (``error`` set, and ``presented`` too when
    the certificate was extracted but did not verify).
    """

    presented: ClientCertificate | None
    """The certificate extracted from a believed source (even if it then failed to verify)."""
    verified: VerifiedCertificate | None
    """The verification result; ``None`` unless the certificate verified."""
    error: CertificateError | None
    """Why there is no verified certificate although something was presented."""

    @property
    def fingerprint(self) -> str | None:
        """SHA-256 of the presented certificate, if any."""
        return None if self.presented is None else self.presented.sha256

    @property
    def untrusted(self) -> bool:
        """Whether certificate headers came from a peer that is not a trusted proxy."""
        return self.error is not None and self.error.reason == "untrusted_proxy"


NOTHING_PRESENTED: Final = CertificateOutcome(None, None, None)
"""The outcome of a request that presented no certificate."""


def scope_peer(scope: Mapping[str, Any]) -> str | None:
    """The TCP peer of an ASGI connection scope (``scope["client"][0]``), if known."""
    client = scope.get("client")
    if isinstance(client, list | tuple) and client and isinstance(client[0], str):
        return client[0]
    return None


def scope_headers(scope: Mapping[str, Any]) -> dict[str, str]:
    """The request headers of an ASGI scope as ``{lower-case name: value}``.

    Repeated headers are joined with ``","`` as HTTP allows (and as Django's ASGI handler
    does); :func:`check_raw_headers` refuses repeated certificate headers before that matters.
    Undecodable entries are skipped.
    """
    headers: dict[str, str] = {}
    for entry in scope.get("headers") or ():
        try:
            raw_name, raw_value = entry
            name = bytes(raw_name).decode("latin-1").lower()
            value = bytes(raw_value).decode("latin-1")
        except (TypeError, ValueError):
            continue
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


def check_raw_headers(raw_headers: Iterable[Any], names: Mapping[str, str]) -> None:
    """Refuse duplicated or underscore-spelled certificate headers in an ASGI header list.

    ASGI servers pass every header line through; a framework that folds ``X_SSL_Client_Cert``
    into ``X-SSL-Client-Cert`` (Django does) or joins repeats with commas would let a client
    slip a value past a proxy that only overwrites the canonical spelling. WSGI servers fold
    headers before the application sees them; there the joined value fails to parse instead.

    :param raw_headers: ``scope["headers"]``, ``(name, value)`` byte pairs.
    :param names: the header names in force, by role.
    :raises CertificateError: ``ambiguous``.
    """
    wanted = {name.lower() for name in names.values()}
    seen: dict[str, int] = {}
    for entry in raw_headers:
        try:
            header = bytes(entry[0]).decode("latin-1").lower()
        except (TypeError, ValueError, IndexError):
            continue
        canonical = header.replace("_", "-")
        if canonical not in wanted:
            continue
        if "_" in header:
            raise CertificateError(
                "ambiguous", f"certificate header spelled with underscores: {header[:64]!r}"
            )
        seen[canonical] = seen.get(canonical, 0) + 1
        if seen[canonical] > 1:
            raise CertificateError("ambiguous", f"certificate header {header!r} repeated")


def _spelling_error(
    scope: Mapping[str, Any] | None, names: Mapping[str, str]
) -> CertificateError | None:
    if scope is None:
        return None
    try:
        check_raw_headers(scope.get("headers") or (), names)
    except CertificateError as exc:
        return exc
    return None


def _rewritten_from_scope(
    headers: Mapping[str, str] | None, scope: Mapping[str, Any] | None
) -> str | None:
    if scope is None:
        return None
    client = scope.get("client")
    if not (isinstance(client, list | tuple) and len(client) == 2):
        return None
    host, port = client
    if not isinstance(host, str) or not isinstance(port, int):
        return None
    if headers is None:
        headers = scope_headers(scope)
    return rewritten_peer(None, client=(host, port), forwarded_for=headers.get("x-forwarded-for"))


class CertificateReader:
    """Reads, believes (or not) and verifies the client certificate of requests.

    Built once per configuration; :meth:`read` is thread-safe and cheap on repeats.

    :param source: one of :data:`~mtlsguard.certs.SOURCES` (``"nginx"``, ``"envoy"``...), or
        a :class:`~mtlsguard.certs.sources.CertificateSource` of your own.
    :param policy: what "verified" means (its shared verifier is used), or a verifier.
    :param trusted_proxies: the peers whose forwarded headers are believed (default: none).
    :param names: per-role header-name overrides, as for :func:`~mtlsguard.certs.extract`.
    :raises CertificateError: ``unknown_source`` for an unknown source.
    :raises ValueError: when ``names`` names a role the source does not have.
    """

    __slots__ = (
        "_forwarded",
        "_memo_keys",
        "_meta_keys",
        "_names",
        "_own_has_values",
        "_recall_keys",
        "_recent",
        "_results",
        "_source",
        "_verifier",
        "trusted_proxies",
    )

    def __init__(
        self,
        source: str | CertificateSource,
        policy: VerificationPolicy | CertificateVerifier,
        *,
        trusted_proxies: TrustedProxies | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self._source = get_source(source) if isinstance(source, str) else source
        self._names: Mapping[str, str] = resolve_names(self._source, names)
        self._verifier = policy if isinstance(policy, CertificateVerifier) else verifier_for(policy)
        self._results = self._verifier.results
        self._forwarded = self._source.forwarded
        self.trusted_proxies: TrustedProxies = trusted_proxies or TrustedProxies()
        """The peers whose forwarded-certificate headers are believed."""
        # has_values() is "any collected value present" unless a source overrides it; then
        # the values read for the parse answer it without reading the request again.
        self._own_has_values = type(self._source).has_values is not CertificateSource.has_values
        # The default collect() reads one header per role; from a WSGI environ that is one
        # dict lookup per role, with the CGI keys computed here once.
        self._meta_keys: tuple[tuple[str, str], ...] | None = None
        if type(self._source).collect is CertificateSource.collect and self._source.name != "asgi":
            self._meta_keys = tuple(
                (role, "HTTP_" + header.upper().replace("-", "_"))
                for role, header in self._names.items()
            )
        # Repeats of a verified certificate skip straight to the outcome (see recent.py):
        # only where the key (peer + raw values) determines the trust decision and the parse.
        self._recent: RecentOutcomes[CertificateOutcome] | None = None
        self._memo_keys: tuple[str, ...] = ()
        if (
            self._meta_keys is not None
            and not self._own_has_values
            and type(self._source).is_forwarded is CertificateSource.is_forwarded
        ):
            self._recent = RecentOutcomes(self._verifier.policy.cache_size)
            self._memo_keys = tuple(key for _, key in self._meta_keys)
        self._recall_keys: tuple[str, ...] = ("REMOTE_ADDR", *self._memo_keys)

    @property
    def source(self) -> str:
        """The source's name."""
        return self._source.name

    @property
    def names(self) -> Mapping[str, str]:
        """The header names (or environ keys) in force, by role."""
        return self._names

    def read_wsgi(self, environ: Mapping[str, Any]) -> CertificateOutcome:
        """:meth:`read` for a WSGI environ (peer ``REMOTE_ADDR``, headers ``HTTP_*``)."""
        peer = environ.get("REMOTE_ADDR")
        return self.read(peer=peer if isinstance(peer, str) else None, environ=environ)

    def read_asgi(self, scope: Mapping[str, Any]) -> CertificateOutcome:
        """:meth:`read` for an ASGI ``http`` scope (peer ``scope["client"]``, raw headers)."""
        return self.read(peer=scope_peer(scope), headers=scope_headers(scope), scope=scope)

    def read(
        self,
        *,
        peer: str | None,
        environ: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        scope: Mapping[str, Any] | None = None,
        gate: VerificationGate | None = None,
    ) -> CertificateOutcome:
        """Extract, believe (or not) and verify one request's client certificate.

        :param peer: the TCP peer's address (``REMOTE_ADDR``), never anything from a header.
        :param environ: the WSGI environ (or Django's ``request.META``): ``HTTP_*`` header
            keys, and the mod_ssl / dev-server variables of the environ sources.
        :param headers: the request headers, if not taken from ``environ`` (any case).
        :param scope: the ASGI scope: read by the ``asgi`` source (TLS extension), and its
            raw header list is checked for repeated or underscore-spelled certificate headers.
        :param gate: asked before verifying a certificate that is not in the verifier's
            cache; an error it returns is the outcome (e.g. ``throttled``), unverified.
        :returns: the outcome; never raises for anything a client can send.
        """
        recent, key = self._recent, None
        if recent is not None and scope is None and headers is None and environ is not None:
            key, remembered = self._remembered(
                recent, (peer, *map(environ.get, self._memo_keys)), environ
            )
            if remembered is not None:
                return remembered
        try:
            presented = self._extract(peer, environ, headers, scope)
        except CertificateError as exc:
            return CertificateOutcome(None, None, exc)
        except Exception:
            # A parser must only raise CertificateError; if one does not, fail closed with a
            # 4xx rather than a 500, and leave the traceback for the operator.
            logger.exception("mtlsguard: certificate source %r failed unexpectedly", self.source)
            return CertificateOutcome(
                None, None, CertificateError("malformed", "unreadable certificate")
            )
        if presented is None:
            return NOTHING_PRESENTED
        # Read before verifying: a clear() from here on makes the memo entry stale at once.
        generation = self._results.generation
        try:
            verified = self._verifier.verify(presented, before=gate)
        except CertificateError as exc:
            return CertificateOutcome(presented, None, exc)
        except Exception:
            # The verifier maps every decoding error to ``malformed``; a verifier of the
            # caller's own (or a future bug) must not turn a client's certificate into a 500.
            logger.exception("mtlsguard: certificate verification failed unexpectedly")
            return CertificateOutcome(
                presented, None, CertificateError("malformed", "unverifiable certificate")
            )
        outcome = CertificateOutcome(presented, verified, None)
        if key is not None and presented.der is not None:
            assert recent is not None
            system_clock = self._verifier.policy.clock is system_time
            deadline = verified.expires_at.timestamp() if system_clock else None
            recent.put(key, outcome, generation, deadline)
        return outcome

    def recall(self, environ: Mapping[str, Any]) -> CertificateOutcome | None:
        """The remembered outcome of a WSGI request, or ``None`` (then :meth:`read` it).

        What ``read(peer=environ.get("REMOTE_ADDR"), environ=environ)`` answers when a live
        verified outcome is remembered for these exact values (the peer and every role
        header), the check that the server did not rewrite the peer included: no gate,
        nothing extracted or verified.
        """
        recent = self._recent
        if recent is None:
            return None
        # Equal to read()'s key (peer, *values): one tuple, built in C.
        key = tuple(map(environ.get, self._recall_keys))
        return self._remembered(recent, key, environ)[1]

    def _remembered(
        self,
        recent: RecentOutcomes[CertificateOutcome],
        key: tuple[Any, ...],
        environ: Mapping[str, Any],
    ) -> tuple[Any, CertificateOutcome | None]:
        """``(memo key, outcome)``: the outcome when a live one is remembered under ``key``.

        The key is ``None`` when the request cannot be memoised (an unhashable value).
        """
        try:
            entry = recent.lookup(key)
        except TypeError:
            return None, None
        if entry is None:
            return key, None
        outcome, generation, deadline = entry
        verified = outcome.verified
        if (
            verified is None
            or generation != self._results.generation
            or (
                time.time() >= deadline
                if deadline is not None
                else self._verifier.policy.clock() >= verified.expires_at
            )
        ):
            recent.discard(key)
            return key, None
        # rewritten_peer() finds something only with PROXY_ADDR, werkzeug's saved original,
        # or both REMOTE_PORT and X-Forwarded-For in the environ; without them it is skipped.
        if (
            self._forwarded
            and (
                "PROXY_ADDR" in environ
                or "werkzeug.proxy_fix.orig" in environ
                or ("REMOTE_PORT" in environ and "HTTP_X_FORWARDED_FOR" in environ)
            )
            and rewritten_peer(environ) is not None
        ):
            return None, None  # the full path refuses it (untrusted_proxy), every time
        return key, outcome

    @staticmethod
    def _rewritten(
        environ: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        scope: Mapping[str, Any] | None,
    ) -> str | None:
        # Only asked once the peer would be believed: the price of a trusted request.
        if environ is not None:
            return rewritten_peer(environ)
        return _rewritten_from_scope(headers, scope)

    def _extract(
        self,
        peer: str | None,
        environ: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        scope: Mapping[str, Any] | None,
    ) -> ClientCertificate | None:
        source, names = self._source, self._names
        # The asgi source reads the connection scope; every other source the environ/headers.
        where = scope if source.name == "asgi" and scope is not None else environ
        view = RequestView(headers, where)
        # The values are read once, for the trust decision and for the parse (which is what
        # extract() does with them).
        meta_keys = self._meta_keys
        if meta_keys is not None and headers is None and where is not None:
            values: RawValues = tuple(
                (role, value if isinstance(value := where.get(key), str) else None)
                for role, key in meta_keys
            )
        else:
            values = source.collect(view, names)
        if source.is_forwarded(view, names):
            if self._own_has_values:
                present = source.has_values(view, names)
            else:
                present = any(value is not None for _, value in values)
            # Under ASGI the names are visible as sent: a role header under another spelling
            # (X-SSL-Client_Cert) counts as presented, and is refused below, even when the
            # framework dropped it instead of folding it into the canonical key.
            spelling = _spelling_error(scope, names)
            decision = self.trusted_proxies.decide(peer, present or spelling is not None)
            if decision is ProxyDecision.NO_HEADERS:
                return None
            if decision is ProxyDecision.UNTRUSTED_WITH_HEADERS:
                raise CertificateError(
                    "untrusted_proxy",
                    f"client-certificate headers from {str(peer)[:64]!r}, "
                    "which is not a trusted proxy",
                )
            rewritten = self._rewritten(environ, headers, scope)
            if rewritten is not None:
                raise CertificateError(
                    "untrusted_proxy",
                    f"the peer address {str(peer)[:64]!r} cannot be trusted: {rewritten}",
                )
            if spelling is not None:
                raise spelling
        return extract_collected(source, values, hops=self.trusted_proxies.hops)
