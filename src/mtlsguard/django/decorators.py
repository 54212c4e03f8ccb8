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
from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY, load_backend
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from mtlsguard.django.conf import get_settings
from mtlsguard.django.responses import Refusal, refusal_response

__all__ = [
    "certificate_refusal",
    "certificate_required",
    "login_and_certificate_required",
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


def certificate_required(view: View) -> View:
    """Refuse the view unless the request presented a verified client certificate."""
    if iscoroutinefunction(view):

        async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            refusal = certificate_refusal(request)
            if refusal is not None:
                return await sync_to_async(respond)(request, refusal)
            return await view(request, *args, **kwargs)

        wrapped: Any = functools.wraps(view)(async_wrapper)
        return markcoroutinefunction(wrapped)  # type: ignore[no-any-return]

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        refusal = certificate_refusal(request)
        if refusal is not None:
            return respond(request, refusal)
        return view(request, *args, **kwargs)

    return functools.wraps(view)(wrapper)  # type: ignore[return-value]


def login_and_certificate_required(view: View) -> View:
    """Refuse the view unless a verified certificate and a session login agree (CWE-308)."""
    if iscoroutinefunction(view):

        async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            _middleware_ran(request)
            session = getattr(request, "session", None)
            user_id = await session.aget(SESSION_KEY) if session is not None else None
            backend = await session.aget(BACKEND_SESSION_KEY) if session is not None else None
            refusal = second_factor_refusal(request, user_id, backend)
            if refusal is not None:
                return await sync_to_async(respond)(request, refusal)
            return await view(request, *args, **kwargs)

        wrapped: Any = functools.wraps(view)(async_wrapper)
        return markcoroutinefunction(wrapped)  # type: ignore[no-any-return]

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        _middleware_ran(request)
        session = getattr(request, "session", None)
        user_id = session.get(SESSION_KEY) if session is not None else None
        backend = session.get(BACKEND_SESSION_KEY) if session is not None else None
        refusal = second_factor_refusal(request, user_id, backend)
        if refusal is not None:
            return respond(request, refusal)
        return view(request, *args, **kwargs)

    return functools.wraps(view)(wrapper)  # type: ignore[return-value]
