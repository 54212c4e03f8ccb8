"""Class-based-view counterparts of :mod:`mtlsguard.django.decorators`.

Put the mixin first in the bases (``class View(CertificateRequiredMixin, TemplateView)``).
Both work with sync and async class-based views.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.http import HttpRequest

from mtlsguard.django.decorators import certificate_refusal, respond, second_factor_refusal

__all__ = ["CertificateRequiredMixin", "LoginAndCertificateRequiredMixin"]


class CertificateRequiredMixin:
    """Refuse the view unless the request presented a verified client certificate."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """Check the certificate, then dispatch as usual."""
        refusal = certificate_refusal(request)
        if refusal is None:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        response = respond(request, refusal)
        if getattr(self, "view_is_async", False):

            async def refused() -> Any:
                return response

            return refused()
        return response


class LoginAndCertificateRequiredMixin:
    """Refuse the view unless a verified certificate and a session login agree (CWE-308)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """Check both factors, then dispatch as usual."""
        parent = super().dispatch  # type: ignore[misc]
        session = getattr(request, "session", None)
        if getattr(self, "view_is_async", False):

            async def checked() -> Any:
                user_id = await session.aget(SESSION_KEY) if session is not None else None
                backend = await session.aget(BACKEND_SESSION_KEY) if session is not None else None
                refusal = second_factor_refusal(request, user_id, backend)
                if refusal is not None:
                    from asgiref.sync import sync_to_async

                    return await sync_to_async(respond)(request, refusal)
                return await parent(request, *args, **kwargs)

            return checked()
        user_id = session.get(SESSION_KEY) if session is not None else None
        backend = session.get(BACKEND_SESSION_KEY) if session is not None else None
        refusal = second_factor_refusal(request, user_id, backend)
        if refusal is not None:
            return respond(request, refusal)
        return parent(request, *args, **kwargs)
