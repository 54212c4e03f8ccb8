"""What a DRF request's client certificate is, reusing the middleware's work when it ran.

:class:`~mtlsguard.django.middleware.ClientCertificateMiddleware` has already extracted,
believed (or not) and verified the certificate, throttled failures and audited the request;
the DRF classes read its ``request.client_cert`` / ``client_cert_error`` / ``client_cert_user``.
Without the middleware they run the same inspection once per request themselves (cached on the
Django request) and take over throttling and auditing of failures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.request import Request

from mtlsguard.certs import CertificateError, ClientCertificate
from mtlsguard.django.audit import AuditRecord, clean_request_id, clip_path, emit
from mtlsguard.django.conf import get_settings
from mtlsguard.django.request_certificate import Inspection, inspect_request
from mtlsguard.django.runtime import VerifiedCertificate
from mtlsguard.django.throttling import FailureThrottle

__all__ = [
    "RequestCertificate",
    "audit_denial",
    "check_throttle",
    "django_request",
    "request_certificate",
    "throttle_failure",
    "verified_certificate",
]

_CACHE_ATTR = "_mtlsguard_drf_certificate"


@dataclass(frozen=True, slots=True)
class RequestCertificate:
    """The client certificate of one request, as the DRF classes see it."""

    verified: VerifiedCertificate | None
    """The verified certificate, or ``None``."""
    error: CertificateError | None
    """Why a presented certificate was not accepted, or ``None``."""
    presented: ClientCertificate | None
    """The certificate as presented (even when refused), if known."""
    by_middleware: bool
    """Whether the middleware produced this (and so already throttled and audited it)."""


def django_request(request: Request | HttpRequest) -> HttpRequest:
    """The Django ``HttpRequest`` behind a DRF ``Request`` (or the request itself)."""
    inner = getattr(request, "_request", None)
    return inner if isinstance(inner, HttpRequest) else request


def request_certificate(request: Request | HttpRequest) -> RequestCertificate:
    """The request's certificate: the middleware's result, else one inspection (cached)."""
    raw = django_request(request)
    if hasattr(raw, "client_cert"):
        verified: VerifiedCertificate | None = raw.client_cert
        error: CertificateError | None = getattr(raw, "client_cert_error", None)
        presented = verified.certificate if verified is not None else None
        return RequestCertificate(verified, error, presented, by_middleware=True)
    cached = getattr(raw, _CACHE_ATTR, None)
    if isinstance(cached, RequestCertificate):
        return cached
    inspection: Inspection = inspect_request(raw, get_settings())
    result = RequestCertificate(
        inspection.verified, inspection.error, inspection.presented, by_middleware=False
    )
    setattr(raw, _CACHE_ATTR, result)
    return result


def verified_certificate(request: Request | HttpRequest) -> VerifiedCertificate | None:
    """The request's verified certificate (from ``request.auth`` or the inspection), or None."""
    auth = getattr(request, "_auth", None) if isinstance(request, Request) else None
    if isinstance(auth, VerifiedCertificate):
        return auth
    bound = getattr(auth, "certificate", None)
    if isinstance(bound, VerifiedCertificate):
        return bound
    return request_certificate(request).verified


def _peer(raw: HttpRequest) -> str:
    return str(raw.META.get("REMOTE_ADDR") or "")


def _throttle_subject(
    request: Request | HttpRequest, cert: RequestCertificate
) -> tuple[str, str | None] | None:
    """The keys standing for the client, ``(peer, fingerprint)``, or ``None`` when none does.

    A verified certificate names the client wherever it connects from: counting its failures
    per address would let one client behind a shared address (a NAT, an office egress, the
    trusted proxy) lock everybody else there out. Without one, a direct client is counted
    per address (a certificate that did not verify costs nothing to mint, so it cannot be
    the key alone), and a client of the trusted proxy by the certificate it presented, if
    any: the proxy's address is everybody's. With neither there is nothing to count against,
    and a certificate-bound credential cannot succeed without its certificate anyway.
    """
    verified = cert.verified.certificate.sha256 if cert.verified is not None else None
    if verified:  # a field-only identity (no DER) has no fingerprint to key on
        return "certificate:" + verified, verified
    presented = cert.presented.sha256 if cert.presented is not None else None
    peer = _peer(django_request(request))
    if not get_settings().trusted_proxies.is_trusted(peer):
        return peer, presented
    return ("certificate:" + presented, presented) if presented else None


def check_throttle(request: Request | HttpRequest, cert: RequestCertificate) -> None:
    """Raise DRF's ``Throttled`` (429 + ``Retry-After``) while failures are throttled."""
    settings = get_settings()
    subject = _throttle_subject(request, cert)
    if not settings.throttle.enabled or subject is None:
        return
    wait = FailureThrottle(settings.throttle).retry_after(*subject)
    if wait is not None:
        raise exceptions.Throttled(
            wait=wait, detail="Too many failed authentications.", code="throttled"
        )


def throttle_failure(request: Request | HttpRequest, cert: RequestCertificate) -> None:
    """Count one failed authentication for the request's client (keys: ``_throttle_subject``)."""
    settings = get_settings()
    subject = _throttle_subject(request, cert)
    if settings.throttle.enabled and subject is not None:
        FailureThrottle(settings.throttle).record_failure(*subject)


def audit_denial(
    request: Request | HttpRequest,
    reason: str,
    *,
    status: int = 401,
    certificate: ClientCertificate | None = None,
    user: Any = None,
) -> None:
    """Emit a ``deny`` event on ``mtlsguard.audit`` for a failed DRF authentication."""
    settings = get_settings()
    if not settings.audit.enabled:
        return
    raw = django_request(request)
    header = settings.audit.request_id_header
    emit(
        AuditRecord(
            decision="deny",
            reason=reason,
            status=status,
            method=(raw.method or "")[:16],
            path=clip_path(raw.path),
            peer=_peer(raw)[:64],
            request_id=clean_request_id(raw.headers.get(header) if header else None),
            fingerprint=(certificate.sha256 or "") if certificate else "",
            subject=certificate.subject if certificate else "",
            issuer=certificate.issuer if certificate else "",
            serial=format(certificate.serial, "X")
            if certificate and certificate.serial is not None
            else "",
            user=user.get_username() if user is not None else "",
        ),
        settings.audit,
    )
