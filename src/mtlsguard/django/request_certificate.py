"""Request -> the certificate it presented, whether to believe it, and whether it verifies.

This is the framework-facing half of the trusted-proxy rule: forwarded-certificate headers are
read only when the TCP peer is a trusted proxy; from anyone else they make the request
untrusted (``untrusted_proxy``), and never fall back to another identity. Everything here is
CPU-only and cached below (``extract`` on the raw header bytes, ``verify`` on fingerprint and
policy), so it runs inline in both the sync and the async middleware.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from mtlsguard.certs import CertificateError, ClientCertificate
from mtlsguard.certs.proxies import ProxyDecision
from mtlsguard.certs.sources import (
    CertificateSource,
    RequestView,
    extract_collected,
    get_source,
    resolve_names,
)
from mtlsguard.certs.verify import verify
from mtlsguard.django import runtime
from mtlsguard.django.conf import MtlsGuardSettings
from mtlsguard.django.runtime import VerifiedCertificate

__all__ = ["Inspection", "client_address", "inspect_request", "meta_key"]

logger = logging.getLogger("mtlsguard.django")


@dataclass(frozen=True, slots=True)
class Inspection:
    """What the middleware learnt about a request's client certificate."""

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


_NOTHING = Inspection(None, None, None)


@functools.lru_cache(maxsize=64)
def meta_key(header: str) -> str:
    """The ``request.META`` key of HTTP header ``header``."""
    return "HTTP_" + header.upper().replace("-", "_")


def client_address(request: HttpRequest, settings: MtlsGuardSettings) -> str:
    """The client's address: what a trusted proxy reports, else the TCP peer.

    Behind a proxy every request comes from the proxy's address, so throttling "per peer"
    needs the address the proxy saw: the ``hops``-th entry from the right of
    ``CLIENT_IP_HEADER`` (entries further left are whatever the client sent). Only believed
    from a trusted peer, and only if it is an IP address.
    """
    peer = str(request.META.get("REMOTE_ADDR") or "")
    header = settings.client_ip_header
    if header is None or not settings.trusted_proxies.is_trusted(peer):
        return peer
    value = request.META.get(meta_key(header))
    if not isinstance(value, str):
        return peer
    entries = value.split(",")
    hops = settings.trusted_proxies.hops
    if len(entries) < hops:
        return peer
    candidate = entries[-hops].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer


def _environ(request: HttpRequest, source: str) -> Mapping[str, Any]:
    scope = getattr(request, "scope", None)
    environ: Mapping[str, Any] = (
        scope if source == "asgi" and isinstance(scope, Mapping) else request.META
    )
    return environ


def _check_raw_headers(request: HttpRequest, names: Mapping[str, str]) -> None:
    """Refuse duplicated or underscore-spelled certificate headers (ASGI only).

    Django's ASGI handler folds ``X_SSL_Client_Cert`` into the same ``META`` key as
    ``X-SSL-Client-Cert`` and joins repeated headers with commas, so a client could slip a
    value past a proxy that only overwrites the canonical spelling. WSGI servers fold headers
    before Django sees them; there the joined value fails to parse instead.
    """
    scope = getattr(request, "scope", None)
    if not isinstance(scope, Mapping):
        return
    wanted = {name.lower() for name in names.values()}
    seen: dict[str, int] = {}
    for raw_name, _ in scope.get("headers", ()):
        try:
            header = bytes(raw_name).decode("latin-1").lower()
        except (TypeError, ValueError):
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


def inspect_request(request: HttpRequest, settings: MtlsGuardSettings) -> Inspection:
    """Extract, believe (or not) and verify the request's client certificate.

    Never raises for anything a client can send: every failure becomes ``error``.
    """
    source = get_source(settings.source)
    environ = _environ(request, settings.source)
    names = resolve_names(source, settings.headers)
    peer = request.META.get("REMOTE_ADDR")
    try:
        view = RequestView(None, environ)
        # The values are read once, for the trust decision and for the parse (which is what
        # extract() does with them); has_values() is "any value present" unless overridden.
        values = source.collect(view, names)
        if source.is_forwarded(view, names):
            if type(source).has_values is CertificateSource.has_values:
                present = any(value is not None for _, value in values)
            else:
                present = source.has_values(view, names)
            decision = settings.trusted_proxies.decide(peer, present)
            if decision is ProxyDecision.NO_HEADERS:
                return _NOTHING
            if decision is ProxyDecision.UNTRUSTED_WITH_HEADERS:
                raise CertificateError(
                    "untrusted_proxy",
                    f"client-certificate headers from {str(peer)[:64]!r}, "
                    "which is not in MTLSGUARD['TRUSTED_PROXIES']",
                )
            _check_raw_headers(request, names)
        presented = extract_collected(source, values, hops=settings.trusted_proxies.hops)
    except CertificateError as exc:
        return Inspection(None, None, exc)
    except Exception:
        # A parser must only raise CertificateError; if one does not, fail closed with a 4xx
        # rather than a 500, and leave the traceback for the operator.
        logger.exception("mtlsguard: certificate source %r failed unexpectedly", settings.source)
        return Inspection(None, None, CertificateError("malformed", "unreadable certificate"))
    if presented is None:
        return _NOTHING
    try:
        verified = verify(presented, runtime.policy(settings))
    except CertificateError as exc:
        return Inspection(presented, None, exc)
    return Inspection(presented, verified, None)
