"""Class-based-view counterparts of :mod:`mtlsguard.django.decorators`.

Put the mixin first in the bases (``class View(CertificateRequiredMixin, TemplateView)``).
Both work with sync and async class-based views.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest

from mtlsguard.django.decorators import amfa_refusal, certificate_refusal, mfa_refusal, respond

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
        if getattr(self, "view_is_async", False):

            async def checked() -> Any:
                refusal = await amfa_refusal(request)
                if refusal is not None:
                    return await sync_to_async(respond)(request, refusal)
                return await parent(request, *args, **kwargs)

            return checked()
        refusal = mfa_refusal(request)
        if refusal is not None:
            return respond(request, refusal)
        return parent(request, *args, **kwargs)
