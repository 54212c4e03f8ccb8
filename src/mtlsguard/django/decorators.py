"""View decorators: ``certificate_required`` and ``login_and_certificate_required``.

Both need :class:`~mtlsguard.django.middleware.ClientCertificateMiddleware` (they read what it
put on the request) and work on sync and async views. Refusals look like the middleware's:
problem JSON on ``API_PREFIXES``, Django's 403 handling elsewhere.

``login_and_certificate_required`` is the multi-factor policy (CWE-308): the request needs a
verified certificate *and* a session login made by another authentication backend (a
password, SSO...), and both must name the same user. A login made from the certificate itself
(the persistent middleware) is not a second factor.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from mtlsguard.django.conf import get_settings
from mtlsguard.django.responses import Refusal, refusal_response

__all__ = [
    "amfa_refusal",
    "certificate_refusal",
    "certificate_required",
    "login_and_certificate_required",
    "mfa_refusal",
    "respond",
    "second_factor_refusal",
]

View = TypeVar("View", bound=Callable[..., Any])


def _middleware_ran(request: HttpRequest) -> None:
    if not hasattr(request, "client_cert"):
        raise ImproperlyConfigured(
            "certificate_required needs 'mtlsguard.django.middleware.ClientCertificateMiddleware'"
            " in MIDDLEWARE."
        )


def certificate_refusal(request: HttpRequest) -> Refusal | None:
    """Why ``request`` lacks a verified certificate, or ``None`` if it has one."""
    _middleware_ran(request)
    if request.client_cert is not None:
        return None
    error = request.client_cert_error
    if error is None:
        return Refusal(401, "no_certificate", "A verified client certificate is required.")
    return Refusal(403, error.reason, f"Client certificate refused: {error}")


def second_factor_refusal(
    request: HttpRequest, session_user_id: Any, session_backend: Any
) -> Refusal | None:
    """Why the certificate and the session login do not add up to two agreeing factors."""
    refusal = certificate_refusal(request)
    if refusal is not None:
        return refusal
    cert_user = getattr(request, "client_cert_user", None)
    if cert_user is None:
        return Refusal(403, "no_user", "The client certificate is not bound to a user.")
    if session_user_id is None or session_backend is None:
        return Refusal(401, "login_required", "Sign in as well as presenting a certificate.")
    if _is_certificate_backend(str(session_backend)):
        return Refusal(401, "login_required", "A certificate login is not a second factor.")
    if str(session_user_id) != str(cert_user.pk):
        return Refusal(
            403, "identity_mismatch", "The signed-in user and the certificate's user differ."
        )
    return None


def _is_certificate_backend(path: str) -> bool:
    from mtlsguard.django.backends import ClientCertificateBackend

    try:
        return isinstance(load_backend(path), ClientCertificateBackend)
    except ImportError:
        return True  # an unloadable backend is no factor at all


def respond(request: HttpRequest, refusal: Refusal) -> Any:
    """The refusal response for ``request`` (problem JSON on API paths)."""
    return refusal_response(request, refusal, api=get_settings().is_api(request.path_info))


def _live_login(request: HttpRequest, session_user_id: Any, session_hash: Any) -> Any:
    """``session_user_id`` if the session's auth hash still matches the certificate's user.

    ``request.user`` is the certificate's user, so Django's own check of the session hash
    (which ends sessions after a password change) never ran: a stale login is no factor.
    """
    user = getattr(request, "client_cert_user", None)
    if user is None or session_user_id is None or str(session_user_id) != str(user.pk):
        return session_user_id  # second_factor_refusal refuses these on its own
    if not hasattr(user, "get_session_auth_hash"):
        return session_user_id
    if isinstance(session_hash, str) and session_hash:
        hashes = [user.get_session_auth_hash()]
        fallbacks = getattr(user, "get_session_auth_fallback_hash", None)
        if fallbacks is not None:
            hashes.extend(fallbacks())
        if any(constant_time_compare(session_hash, h) for h in hashes):
            return session_user_id
    return None


def mfa_refusal(request: HttpRequest) -> Refusal | None:
    """:func:`second_factor_refusal` with the factors read from the session."""
    _middleware_ran(request)
    session = getattr(request, "session", None)
    if session is None:
        return second_factor_refusal(request, None, None)
    user_id = _live_login(request, session.get(SESSION_KEY), session.get(HASH_SESSION_KEY))
    return second_factor_refusal(request, user_id, session.get(BACKEND_SESSION_KEY))


async def amfa_refusal(request: HttpRequest) -> Refusal | None:
    """Async :func:`mfa_refusal` (sessions may live in the database)."""
    _middleware_ran(request)
    session = getattr(request, "session", None)
    if session is None:
        return second_factor_refusal(request, None, None)
    user_id = _live_login(
        request, await session.aget(SESSION_KEY), await session.aget(HASH_SESSION_KEY)
    )
    return second_factor_refusal(request, user_id, await session.aget(BACKEND_SESSION_KEY))


async def _acertificate_refusal(request: HttpRequest) -> Refusal | None:
    return certificate_refusal(request)


def _guard(
    name: str,
    doc: str,
    check: Callable[[HttpRequest], Refusal | None],
    acheck: Callable[[HttpRequest], Awaitable[Refusal | None]],
) -> Callable[[View], View]:
    """A decorator that answers ``check``'s refusal instead of calling the view."""

    def decorator(view: View) -> View:
        if iscoroutinefunction(view):

            async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                refusal = await acheck(request)
                if refusal is not None:
                    return await sync_to_async(respond)(request, refusal)
                return await view(request, *args, **kwargs)

            wrapped: Any = functools.wraps(view)(async_wrapper)
            return markcoroutinefunction(wrapped)  # type: ignore[no-any-return]

        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            refusal = check(request)
            if refusal is not None:
                return respond(request, refusal)
            return view(request, *args, **kwargs)

        return functools.wraps(view)(wrapper)  # type: ignore[return-value]

    decorator.__name__ = decorator.__qualname__ = name
    decorator.__doc__ = doc
    return decorator


certificate_required = _guard(
    "certificate_required",
    "Refuse the view unless the request presented a verified client certificate.",
    certificate_refusal,
    _acertificate_refusal,
)

login_and_certificate_required = _guard(
    "login_and_certificate_required",
    "Refuse the view unless a verified certificate and a session login agree (CWE-308).",
    mfa_refusal,
    amfa_refusal,
)
