"""``ClientCertificateMiddleware``: the request's client certificate, verified, as ``request.user``.

Place it after ``SessionMiddleware`` and ``AuthenticationMiddleware`` (check
``mtlsguard.E001``). For every request it sets:

* ``request.client_cert`` -- the :class:`~mtlsguard.certs.VerifiedCertificate`, or ``None``;
* ``request.client_cert_error`` -- the :class:`~mtlsguard.certs.CertificateError` explaining
  why a presented certificate was not accepted, or ``None``;
* ``request.client_cert_user`` -- the user the certificate maps to, or ``None``;
* ``request.client_cert_outcome`` -- the whole
  :class:`~mtlsguard.certs.request.CertificateOutcome` (what was presented, even when it was
  refused), which the DRF classes reuse;
* ``request.user`` -- the user the certificate maps to (through ``AUTHENTICATION_BACKENDS``),
  when ``MTLSGUARD["AUTHENTICATE"]`` is on and it maps to one.

Refusals happen before any view runs: 400 for malformed or untrusted forwarded headers, 401
for a missing certificate and 403 for an invalid one where ``REQUIRED`` says a certificate is
needed, 429 once failures are throttled. API paths get ``application/problem+json``; other
paths go through Django's ``handler400`` / ``handler403``.

:class:`ClientCertificateMiddleware` is stateless (no session, a user per request, like DRF's
``RemoteUserAuthentication``). :class:`PersistentClientCertificateMiddleware` logs the user in
once, rotating the session key, and logs out when the certificate changes or disappears.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase

from mtlsguard.certs.request import CertificateOutcome
from mtlsguard.django import runtime
from mtlsguard.django.audit import audit_record, emit_async, submit_allowed, submit_event
from mtlsguard.django.audit import wanted as audit_wanted
from mtlsguard.django.backends import authenticate_certificate
from mtlsguard.django.conf import MtlsGuardSettings, get_settings
from mtlsguard.django.request_certificate import inspect_request
from mtlsguard.django.responses import Refusal, refusal_response
from mtlsguard.django.throttling import FailureThrottle, failure_subjects

__all__ = [
    "SESSION_FINGERPRINT_KEY",
    "ClientCertificateMiddleware",
    "PersistentClientCertificateMiddleware",
]

logger = logging.getLogger("mtlsguard.django")

#: Session key holding the fingerprint of the certificate a persistent login was made with.
SESSION_FINGERPRINT_KEY = "_mtlsguard_cert_sha256"

_BAD_INPUT = frozenset({"malformed", "ambiguous", "unknown_source"})

GetResponse = Callable[[HttpRequest], Any]


def decide(settings: MtlsGuardSettings, outcome: CertificateOutcome, path: str) -> Refusal | None:
    """The refusal for a request, before throttling; ``None`` lets it through to the view."""
    error = outcome.error
    required = settings.is_required(path)
    if error is not None and error.reason == "untrusted_proxy":
        if settings.untrusted_headers == "reject":
            return Refusal(400, error.reason, "Client-certificate headers from an untrusted peer.")
        logger.warning(
            "mtlsguard: ignored %s (add the peer to MTLSGUARD['TRUSTED_PROXIES'] if it is "
            "your proxy)",
            error,
        )
        if required:
            return Refusal(401, error.reason, "A verified client certificate is required.")
        return None
    if error is not None and error.reason in _BAD_INPUT:
        if required:
            return Refusal(400, error.reason, f"Unreadable client certificate: {error}")
        return None
    if error is not None:
        if required:
            return Refusal(403, error.reason, f"Client certificate refused: {error}")
        return None
    if outcome.verified is None and required:
        return Refusal(401, "no_certificate", "A verified client certificate is required.")
    return None


class _Known:
    """``request.auser`` for a user known already: ``await request.auser()`` returns it.

    One small object per request (a closure is three: function, cell and tuple, all left to
    the garbage collector with the request).
    """

    __slots__ = ("user",)

    def __init__(self, user: Any) -> None:
        self.user = user

    async def __call__(self) -> Any:
        return self.user


class ClientCertificateMiddleware:
    """Verify the client certificate of every request and map it to ``request.user``.

    Stateless: nothing is stored in the session. Subclass and set :attr:`persistent` (see
    :class:`PersistentClientCertificateMiddleware`) for browser apps that want a login.
    """

    sync_capable = True
    async_capable = True

    persistent = False
    """Log the certificate's user in (session) instead of authenticating each request."""

    def __init__(self, get_response: GetResponse) -> None:
        if get_response is None:
            raise ValueError("get_response must be provided.")
        self.get_response = get_response
        # Fail at startup, not at the first request: invalid settings or an unreadable CA
        # bundle raise ImproperlyConfigured here.
        runtime.reader(get_settings())
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    # -- sync ---------------------------------------------------------------------------------

    def __call__(self, request: HttpRequest) -> Any:
        """Process one request."""
        if self.is_async:
            return self.__acall__(request)
        settings = get_settings()
        outcome = inspect_request(request, settings)  # _annotate(), in line: the hot path
        verified = outcome.verified
        request.client_cert = verified
        request.client_cert_error = outcome.error
        request.client_cert_user = None
        request.client_cert_outcome = outcome
        if verified is not None and not self.persistent:
            # The hot path (stateless, a verified certificate): a verified outcome has no
            # error, so nothing is refused or throttled, and it is an audit event
            # ("verified", or "no_user" when it maps to nobody).
            user = None
            if settings.authenticate:
                user = authenticate_certificate(request, verified)
                request.client_cert_user = user
            if user is not None:
                request.user = user  # _set_user(), in line for a user
                request.auser = _Known(user)
            else:
                self._set_user(request, settings, user)
            response = self.get_response(request)
            why = "no_user" if user is None and settings.authenticate else "verified"
            submit_allowed(request, settings, outcome, why, response.status_code, user)
            return response
        refusal = decide(settings, outcome, request.path_info)
        refusal = self._throttle(settings, outcome, request, refusal)
        user = None
        if refusal is None:
            user = self._identify(request, settings, outcome)
            response = self.get_response(request)
        else:
            response = refusal_response(request, refusal, api=settings.is_api(request.path_info))
        reason = self._reason(settings, outcome, refusal, user)
        if reason is not None:  # _reason() asked audit.wanted() already
            submit_event(
                request,
                settings,
                outcome,
                allowed=refusal is None,
                reason=reason,
                status=response.status_code,
                user=user,
            )
        return response

    def _identify(
        self, request: HttpRequest, settings: MtlsGuardSettings, ins: CertificateOutcome
    ) -> Any:
        if ins.untrusted:
            self._set_anonymous(request)
            return None
        user = None
        if settings.authenticate and ins.verified is not None:
            user = authenticate_certificate(request, ins.verified)
        request.client_cert_user = user
        if self.persistent:
            return self._persist(request, ins, user)
        self._set_user(request, settings, user)
        return user

    def _persist(self, request: HttpRequest, ins: CertificateOutcome, user: Any) -> Any:
        self._require_session(request)
        fingerprint = ins.fingerprint if ins.verified is not None else None
        bound = request.session.get(SESSION_FINGERPRINT_KEY)
        current = request.user
        if current.is_authenticated:
            if user is not None and current.pk == user.pk and bound == fingerprint:
                return current
            if bound is None and user is None:
                return None  # a login made another way, and no certificate claims anyone
            if bound is None and user is not None and current.pk == user.pk:
                # The same user signed in another way (a second factor): keep that login,
                # tie it to this certificate, and rotate the key on the privilege change.
                request.session.cycle_key()
                request.session[SESSION_FINGERPRINT_KEY] = fingerprint
                return current
            # The certificate changed, vanished or no longer maps to this user (CWE-384).
            auth.logout(request)
        if user is None:
            return None
        auth.login(request, user)  # flushes or cycles the session key
        request.session[SESSION_FINGERPRINT_KEY] = fingerprint
        return user

    def _throttle(
        self,
        settings: MtlsGuardSettings,
        ins: CertificateOutcome,
        request: HttpRequest,
        refusal: Refusal | None,
    ) -> Refusal | None:
        # Only requests that failed pay for the cache round trip; valid certificates are
        # never slowed down (and never locked out by someone else failing from their NAT).
        if ins.error is None or not settings.throttle.enabled:
            return refusal
        throttle = FailureThrottle(settings.throttle)
        subjects = failure_subjects(request, settings, ins)
        wait = throttle.check(subjects)
        if wait is not None:
            return Refusal(
                429, "throttled", "Too many failed certificate authentications.", retry_after=wait
            )
        throttle.record(subjects)
        return refusal

    # -- async --------------------------------------------------------------------------------

    async def __acall__(self, request: HttpRequest) -> Any:
        """Process one request (ASGI)."""
        settings = get_settings()
        if settings.verify.fetch_crls:
            # verify() may download a CRL: keep network I/O off the event loop.
            outcome = await sync_to_async(self._annotate, thread_sensitive=False)(request, settings)
        else:
            outcome = self._annotate(request, settings)  # CPU only, cached: run inline
        refusal = decide(settings, outcome, request.path_info)
        if outcome.error is not None and settings.throttle.enabled:
            refusal = await sync_to_async(self._throttle, thread_sensitive=False)(
                settings, outcome, request, refusal
            )
        user = None
        if refusal is None:
            user = await self._aidentify(request, settings, outcome)
            get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
            response = await get_response(request)
        else:
            response = await sync_to_async(refusal_response, thread_sensitive=True)(
                request, refusal, api=settings.is_api(request.path_info)
            )
        reason = self._reason(settings, outcome, refusal, user)
        if reason is not None and settings.audit.database:
            record = audit_record(
                request,
                settings,
                outcome,
                allowed=refusal is None,
                reason=reason,
                status=response.status_code,
                user=user,
            )
            await emit_async(record, settings.audit)
        elif reason is not None:
            submit_event(
                request,
                settings,
                outcome,
                allowed=refusal is None,
                reason=reason,
                status=response.status_code,
                user=user,
            )
        return response

    async def _aidentify(
        self, request: HttpRequest, settings: MtlsGuardSettings, ins: CertificateOutcome
    ) -> Any:
        if ins.untrusted:
            self._set_anonymous(request)
            return None
        user = None
        if settings.authenticate and ins.verified is not None:
            user = await auth.aauthenticate(request, certificate=ins.verified)
        request.client_cert_user = user
        if self.persistent:
            return await self._apersist(request, ins, user)
        self._set_user(request, settings, user)
        return user

    async def _apersist(self, request: HttpRequest, ins: CertificateOutcome, user: Any) -> Any:
        self._require_session(request)
        fingerprint = ins.fingerprint if ins.verified is not None else None
        bound = await request.session.aget(SESSION_FINGERPRINT_KEY)
        current = await request.auser()
        if current.is_authenticated:
            if user is not None and current.pk == user.pk and bound == fingerprint:
                return current
            if bound is None and user is None:
                return None
            if bound is None and user is not None and current.pk == user.pk:
                await request.session.acycle_key()
                await request.session.aset(SESSION_FINGERPRINT_KEY, fingerprint)
                return current
            await auth.alogout(request)
        if user is None:
            return None
        await auth.alogin(request, user)
        await request.session.aset(SESSION_FINGERPRINT_KEY, fingerprint)
        return user

    # -- shared -------------------------------------------------------------------------------

    @staticmethod
    def _annotate(request: HttpRequest, settings: MtlsGuardSettings) -> CertificateOutcome:
        outcome = inspect_request(request, settings)
        request.client_cert = outcome.verified
        request.client_cert_error = outcome.error
        request.client_cert_user = None
        request.client_cert_outcome = outcome
        return outcome

    @classmethod
    def _set_user(cls, request: HttpRequest, settings: MtlsGuardSettings, user: Any) -> None:
        if user is not None:
            request.user = user
            request.auser = _Known(user)
        elif settings.authenticate and settings.is_required(request.path_info):
            # Where a certificate is required it is the identity: a valid certificate that
            # maps to nobody is anonymous, and never rides on another user's session cookie.
            cls._set_anonymous(request)
        elif not hasattr(request, "user"):
            request.user = AnonymousUser()

    @staticmethod
    def _set_anonymous(request: HttpRequest) -> None:
        # Headers from an untrusted peer make the request untrusted: it must not fall back to
        # the session's user (or any other identity) either.
        anonymous = AnonymousUser()
        request.user = anonymous
        request.auser = _Known(anonymous)

    @staticmethod
    def _require_session(request: HttpRequest) -> None:
        if not hasattr(request, "session") or not hasattr(request, "user"):
            raise ImproperlyConfigured(
                "PersistentClientCertificateMiddleware needs sessions and authentication: "
                "put 'django.contrib.sessions.middleware.SessionMiddleware' and "
                "'django.contrib.auth.middleware.AuthenticationMiddleware' before it in "
                "MIDDLEWARE."
            )

    @staticmethod
    def _reason(
        settings: MtlsGuardSettings,
        ins: CertificateOutcome,
        refusal: Refusal | None,
        user: Any,
    ) -> str | None:
        """The audit reason of a request, or ``None`` when it is not an audit event."""
        if refusal is None and ins.presented is None and ins.error is None:
            return None  # nothing certificate-related happened: not an audit event
        if not audit_wanted(refusal is None, settings.audit):
            return None  # decided before building anything: this is the hot path
        if refusal is not None:
            return refusal.reason
        if ins.error is not None:
            return ins.error.reason
        if user is None and settings.authenticate:
            return "no_user"
        return "verified"


class PersistentClientCertificateMiddleware(ClientCertificateMiddleware):
    """Log the certificate's user in once; log out when the certificate changes or vanishes.

    ``login()`` rotates the session key (session fixation, CWE-384) and the session remembers
    the certificate's fingerprint: a request with another certificate, with none, or whose
    certificate no longer maps to the user (binding revoked, user deactivated) ends the
    session. A session made by a password login is left alone while no certificate claims a
    user.
    """

    persistent = True
