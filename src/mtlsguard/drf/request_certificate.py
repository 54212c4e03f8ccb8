"""What a DRF request's client certificate is, reusing the middleware's work when it ran.

:class:`~mtlsguard.django.middleware.ClientCertificateMiddleware` has already read the
certificate (``request.client_cert_outcome``), throttled failures and audited the request.
Without the middleware the DRF classes run the same reader once per request themselves
(cached on the Django request) and take over throttling and auditing of failures -- through
the same throttle-subject policy (:func:`mtlsguard.django.throttling.failure_subjects`) and the
same audit-record builder (:func:`mtlsguard.django.audit.audit_record`) as the middleware.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.request import Request

from mtlsguard.certs import CertificateError, ClientCertificate, VerifiedCertificate
from mtlsguard.certs.request import CertificateOutcome
from mtlsguard.django.audit import audit_record, emit
from mtlsguard.django.conf import get_settings
from mtlsguard.django.request_certificate import inspect_request
from mtlsguard.django.throttling import FailureThrottle, failure_subjects

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

    outcome: CertificateOutcome
    """What reading the request's certificate found."""
    by_middleware: bool
    """Whether the middleware produced this (and so already throttled and audited it)."""

    @property
    def verified(self) -> VerifiedCertificate | None:
        """The verified certificate, or ``None``."""
        return self.outcome.verified

    @property
    def error(self) -> CertificateError | None:
        """Why a presented certificate was not accepted, or ``None``."""
        return self.outcome.error

    @property
    def presented(self) -> ClientCertificate | None:
        """The certificate as presented (even when refused), if known."""
        return self.outcome.presented


def django_request(request: Request | HttpRequest) -> HttpRequest:
    """The Django ``HttpRequest`` behind a DRF ``Request`` (or the request itself)."""
    inner = getattr(request, "_request", None)
    return inner if isinstance(inner, HttpRequest) else request


def _middleware_outcome(raw: HttpRequest) -> CertificateOutcome | None:
    """What the middleware found, if it ran on ``raw``."""
    outcome = getattr(raw, "client_cert_outcome", None)
    if isinstance(outcome, CertificateOutcome):
        return outcome
    if not hasattr(raw, "client_cert"):
        return None
    # A middleware that sets only the documented client_cert / client_cert_error.
    verified: VerifiedCertificate | None = raw.client_cert
    error: CertificateError | None = getattr(raw, "client_cert_error", None)
    presented = verified.certificate if verified is not None else None
    return CertificateOutcome(presented, verified, error)


def request_certificate(request: Request | HttpRequest) -> RequestCertificate:
    """The request's certificate: the middleware's result, else one reading (cached)."""
    raw = django_request(request)
    middleware_outcome = _middleware_outcome(raw)
    if middleware_outcome is not None:
        return RequestCertificate(middleware_outcome, by_middleware=True)
    cached = getattr(raw, _CACHE_ATTR, None)
    if isinstance(cached, RequestCertificate):
        return cached
    result = RequestCertificate(inspect_request(raw, get_settings()), by_middleware=False)
    setattr(raw, _CACHE_ATTR, result)
    return result


def verified_certificate(request: Request | HttpRequest) -> VerifiedCertificate | None:
    """The request's verified certificate (from ``request.auth`` or the reading), or None."""
    auth = getattr(request, "_auth", None) if isinstance(request, Request) else None
    if isinstance(auth, VerifiedCertificate):
        return auth
    bound = getattr(auth, "certificate", None)
    if isinstance(bound, VerifiedCertificate):
        return bound
    return request_certificate(request).verified


def check_throttle(request: Request | HttpRequest, cert: RequestCertificate) -> None:
    """Raise DRF's ``Throttled`` (429 + ``Retry-After``) while failures are throttled.

    The refusal is audited (reason ``throttled``, status 429) as the middleware audits its own.

    :raises Throttled: when a subject of :func:`failure_subjects` is over the limit.
    """
    settings = get_settings()
    if not settings.throttle.enabled:
        return
    subjects = failure_subjects(django_request(request), settings, cert.outcome)
    wait = FailureThrottle(settings.throttle).check(subjects)
    if wait is not None:
        audit_denial(request, cert.outcome, "throttled", status=429)
        raise exceptions.Throttled(
            wait=wait, detail="Too many failed authentications.", code="throttled"
        )


def throttle_failure(request: Request | HttpRequest, cert: RequestCertificate) -> None:
    """Count one failed authentication against the request's :func:`failure_subjects`."""
    settings = get_settings()
    if settings.throttle.enabled:
        subjects = failure_subjects(django_request(request), settings, cert.outcome)
        FailureThrottle(settings.throttle).record(subjects)


def audit_denial(
    request: Request | HttpRequest,
    outcome: CertificateOutcome,
    reason: str,
    *,
    status: int = 401,
    user: Any = None,
) -> None:
    """Emit a ``deny`` event on ``mtlsguard.audit`` for a failed DRF authentication."""
    settings = get_settings()
    if not settings.audit.enabled:
        return
    record = audit_record(
        django_request(request),
        settings,
        outcome,
        allowed=False,
        reason=reason,
        status=status,
        user=user,
    )
    emit(record, settings.audit)
