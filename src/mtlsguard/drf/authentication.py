"""DRF authentication by verified client certificate, and by certificate-bound token.

Both follow DRF's three-outcome contract: ``None`` when the request does not use the scheme
(no certificate / no ``Bearer`` token), ``AuthenticationFailed`` when it was tried and failed,
``(user, auth)`` on success. Both give an ``authenticate_header`` so refusals are 401, not
403. Neither touches the session: like DRF's ``RemoteUserAuthentication``, every request is
authenticated on its own and ``login()`` is never called.

Add ``ClientCertificateMiddleware`` to reuse its verified result, throttling and audit; without
it these classes inspect the request themselves (same trusted-proxy rule, same
``MTLSGUARD`` settings) and throttle and audit their own failures.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from rest_framework import exceptions
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    get_authorization_header,
)
from rest_framework.request import Request

from mtlsguard.certs import ClientCertificate, VerifiedCertificate
from mtlsguard.certs.request import CertificateOutcome
from mtlsguard.django.backends import authenticate_certificate
from mtlsguard.django.origin import SAFE_METHODS, cross_site_reason
from mtlsguard.drf.confirmation import (
    BoundToken,
    TokenError,
    TokenSettings,
    decode_jwt,
    thumbprint_matches,
)
from mtlsguard.drf.request_certificate import (
    RequestCertificate,
    audit_denial,
    check_throttle,
    django_request,
    request_certificate,
    throttle_failure,
)

__all__ = [
    "CertificateBoundToken",
    "CertificateBoundTokenAuthentication",
    "ClientCertificateAuthentication",
    "token_settings",
]

#: The challenge the middleware sends with its own 401s (no registered scheme exists).
CERTIFICATE_CHALLENGE = 'ClientCertificate realm="mtls"'


def _accepted(verified: VerifiedCertificate) -> CertificateOutcome:
    """The outcome of a request whose certificate verified (built only to audit a denial)."""
    return CertificateOutcome(verified.certificate, verified, None)


class ClientCertificateAuthentication(BaseAuthentication):
    """Authenticate the request as the user its verified client certificate maps to.

    ``request.auth`` is the :class:`~mtlsguard.certs.VerifiedCertificate`. A certificate that
    was presented but not accepted (untrusted proxy, expired, revoked, unknown CA...) or that
    maps to no active user fails with 401; no certificate at all returns ``None`` so another
    class (or ``IsAuthenticated``) decides.
    """

    www_authenticate = CERTIFICATE_CHALLENGE
    """The ``WWW-Authenticate`` challenge sent with 401 responses."""

    refuse_cross_site = True
    """Refuse (403, reason ``cross_site``) unsafe requests that a browser sent from a foreign
    origin (:func:`mtlsguard.django.origin.cross_site_reason`). Browsers present client
    certificates on cross-site requests just as they send cookies; API clients that are not
    browsers send no ``Origin`` and are unaffected."""

    enforce_csrf = False
    """Also require Django's CSRF token on unsafe methods, as DRF's ``SessionAuthentication``
    does: for endpoints that browsers call from your own pages (with the token)."""

    def authenticate(self, request: Request) -> tuple[Any, VerifiedCertificate] | None:
        """The three outcomes: ``None``, ``AuthenticationFailed``, or ``(user, certificate)``.

        :raises AuthenticationFailed: with the certificate's reason as ``code``.
        :raises Throttled: when failures from this peer or certificate are throttled (only
            without the middleware, which throttles by itself).
        """
        raw = request._request if isinstance(request, Request) else django_request(request)
        outcome = getattr(raw, "client_cert_outcome", None)
        if isinstance(outcome, CertificateOutcome) and outcome.error is None:
            # The middleware's reading, accepted or nothing presented: the common case, with
            # nothing to throttle or audit here.
            if outcome.verified is None:
                return None
            return self.authenticate_credentials(request, outcome.verified)
        cert = request_certificate(request)
        if cert.error is not None:
            if not cert.by_middleware:
                check_throttle(request, cert)
                throttle_failure(request, cert)
                audit_denial(request, cert.outcome, cert.error.reason)
            raise exceptions.AuthenticationFailed(
                f"Client certificate refused ({cert.error.reason}).", code=cert.error.reason
            )
        if cert.verified is None:
            return None
        return self.authenticate_credentials(request, cert.verified)

    def authenticate_credentials(
        self, request: Request, verified: VerifiedCertificate
    ) -> tuple[Any, VerifiedCertificate]:
        """Map a verified certificate to an active user (the middleware's, or the backends').

        :raises AuthenticationFailed: ``no_user`` when it maps to no active user.
        """
        raw = request._request if isinstance(request, Request) else django_request(request)
        user = getattr(raw, "client_cert_user", None)
        if user is None:
            # Django's authenticate() contract, without its per-call signature inspection.
            user = authenticate_certificate(raw, verified)
        if user is None or not getattr(user, "is_active", False):
            audit_denial(request, _accepted(verified), "no_user")
            raise exceptions.AuthenticationFailed(
                "The client certificate is not bound to an active user.", code="no_user"
            )
        if self.refuse_cross_site and raw.method not in SAFE_METHODS:  # never foreign
            foreign = cross_site_reason(raw)
            if foreign is not None:
                audit_denial(request, _accepted(verified), "cross_site", status=403, user=user)
                raise exceptions.PermissionDenied(f"Cross-site request refused: {foreign}.")
        if self.enforce_csrf:
            SessionAuthentication().enforce_csrf(request)
        return user, verified

    def authenticate_header(self, request: Request) -> str:
        """The challenge that makes DRF answer 401 instead of 403."""
        return self.www_authenticate


class CertificateBoundToken:
    """``request.auth`` of :class:`CertificateBoundTokenAuthentication`."""

    __slots__ = ("certificate", "token")

    def __init__(self, token: BoundToken, certificate: VerifiedCertificate) -> None:
        self.token = token
        """The verified token (subject, confirmation, claims)."""
        self.certificate = certificate
        """The verified certificate it is bound to."""

    def __repr__(self) -> str:
        return f"CertificateBoundToken(subject={self.token.subject!r})"


_token_lock = threading.Lock()
_token_cache: tuple[object, TokenSettings] | None = None


def token_settings() -> TokenSettings:
    """``settings.MTLSGUARD_TOKENS`` validated (cached until the setting object changes).

    :raises ImproperlyConfigured: when it is missing or invalid, saying how to fix it.
    """
    global _token_cache
    raw = getattr(django_settings, "MTLSGUARD_TOKENS", None)
    cached = _token_cache
    if cached is not None and cached[0] is raw:
        return cached[1]
    if not isinstance(raw, dict):
        raise ImproperlyConfigured(
            "CertificateBoundTokenAuthentication needs settings.MTLSGUARD_TOKENS = "
            "{'ALGORITHMS': [...], 'KEY': ...} (see docs/django.md), or a subclass that "
            "overrides resolve_token()."
        )
    try:
        parsed = TokenSettings.from_mapping(raw)
    except (ValueError, OSError) as exc:
        raise ImproperlyConfigured(str(exc)) from exc
    with _token_lock:
        _token_cache = (raw, parsed)
    return parsed


class CertificateBoundTokenAuthentication(BaseAuthentication):
    """RFC 8705 §3: a bearer token accepted only with the certificate it is bound to.

    The token (a JWT verified with PyJWT against ``MTLSGUARD_TOKENS``, or an opaque token a
    subclass resolves in :meth:`resolve_opaque_token`) must carry
    ``cnf["x5t#S256"]``, and that thumbprint must equal the SHA-256 of the verified client
    certificate of this request. A token bound to another certificate, an unbound token, or a
    bound token without a certificate are refused with 401. Failures are throttled per peer
    and certificate through the ``MTLSGUARD["THROTTLE"]`` settings (429 + ``Retry-After``).
    """

    keyword = "Bearer"
    """The ``Authorization`` scheme handled; other schemes return ``None``."""

    realm = "api"
    """Realm in the ``WWW-Authenticate`` challenge."""

    def authenticate(self, request: Request) -> tuple[Any, CertificateBoundToken] | None:
        """The three outcomes: ``None``, ``AuthenticationFailed``, or ``(user, bound)``.

        :raises AuthenticationFailed: with a stable ``code`` (``malformed_token``,
            ``invalid_token``, ``not_bound``, ``no_certificate``, ``binding_mismatch``,
            ``unknown_user``, or the certificate's own reason).
        :raises Throttled: once failures from this peer or certificate exceed the limit.
        """
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode("ascii"):
            return None
        cert = request_certificate(request)
        check_throttle(request, cert)
        try:
            if len(header) != 2:
                raise TokenError("malformed_token", "Authorization must be 'Bearer <token>'")
            try:
                token = header[1].decode("ascii")
            except UnicodeDecodeError:
                raise TokenError("malformed_token", "the token is not ASCII") from None
            return self.authenticate_credentials(request, token, cert)
        except TokenError as exc:
            throttle_failure(request, cert)
            audit_denial(request, cert.outcome, exc.reason)
            raise exceptions.AuthenticationFailed(str(exc), code=exc.reason) from None

    def authenticate_credentials(
        self, request: Request, token: str, cert: RequestCertificate
    ) -> tuple[Any, CertificateBoundToken]:
        """Verify ``token``, its binding to ``cert`` and its user.

        :raises TokenError: with the reason of the first check that failed.
        """
        bound = self.resolve_token(token)
        if cert.verified is None:
            reason = cert.error.reason if cert.error is not None else "no_certificate"
            raise TokenError(reason, "a certificate-bound token needs its client certificate")
        presented: ClientCertificate = cert.verified.certificate
        if not thumbprint_matches(bound.confirmation, presented):
            raise TokenError("binding_mismatch", "the token is bound to another certificate")
        user = self.get_user(bound)
        return user, CertificateBoundToken(bound, cert.verified)

    def resolve_token(self, token: str) -> BoundToken:
        """Verify ``token`` and return what it binds: JWTs here, others via the opaque hook.

        :raises TokenError: when the token is invalid or carries no thumbprint.
        """
        if token.count(".") == 2:
            return decode_jwt(token, self.get_token_settings())
        return self.resolve_opaque_token(token)

    def resolve_opaque_token(self, token: str) -> BoundToken:
        """Resolve a non-JWT token (override: database lookup, RFC 7662 introspection...).

        The result's ``confirmation`` must be the token's ``cnf["x5t#S256"]``.

        :raises TokenError: always by default (only JWTs are understood).
        """
        raise TokenError("malformed_token", "the bearer token is not a JWT")

    def get_token_settings(self) -> TokenSettings:
        """The JWT options (default: ``settings.MTLSGUARD_TOKENS``)."""
        return token_settings()

    def get_user(self, bound: BoundToken) -> Any:
        """The active user the token was issued to.

        :raises TokenError: ``unknown_user`` for a missing or inactive user.
        """
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(bound.subject)
        except user_model.DoesNotExist:
            raise TokenError("unknown_user", "the token's user does not exist") from None
        if not getattr(user, "is_active", False):
            raise TokenError("unknown_user", "the token's user is inactive")
        return user

    def authenticate_header(self, request: Request) -> str:
        """``Bearer realm=...`` (RFC 6750), which makes DRF answer 401 instead of 403."""
        return f'{self.keyword} realm="{self.realm}"'
