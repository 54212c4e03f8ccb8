"""Refusal responses: RFC 9457 problem details for APIs, Django's error handlers otherwise."""

from __future__ import annotations

import json
from http import HTTPStatus

from django.core.exceptions import BadRequest, PermissionDenied
from django.core.handlers.exception import response_for_exception
from django.http import HttpRequest, HttpResponse

__all__ = ["PROBLEM_JSON", "Refusal", "problem_response", "refusal_response"]

#: RFC 9457 media type.
PROBLEM_JSON = "application/problem+json"


class Refusal:
    """Why the middleware refuses a request, before any view runs."""

    __slots__ = ("detail", "reason", "retry_after", "status")

    def __init__(
        self, status: int, reason: str, detail: str, *, retry_after: int | None = None
    ) -> None:
        self.status = status
        """400, 401, 403 or 429."""
        self.reason = reason
        """Stable reason code (a ``CertificateError`` reason, ``no_certificate``, ``throttled``)."""
        self.detail = detail
        """Human-readable explanation (never contains a certificate)."""
        self.retry_after = retry_after
        """Seconds for ``Retry-After`` (429 only)."""

    def __repr__(self) -> str:
        return f"Refusal({self.status}, {self.reason!r})"


def problem_response(refusal: Refusal, instance: str | None = None) -> HttpResponse:
    """An ``application/problem+json`` response (RFC 9457) for ``refusal``.

    ``type`` is ``about:blank`` (the title is the status phrase); the stable ``reason`` code is
    an extension member clients can switch on.
    """
    body: dict[str, object] = {
        "type": "about:blank",
        "title": HTTPStatus(refusal.status).phrase,
        "status": refusal.status,
        "detail": refusal.detail,
        "reason": refusal.reason,
    }
    if instance:
        body["instance"] = instance
    response = HttpResponse(json.dumps(body), status=refusal.status, content_type=PROBLEM_JSON)
    _decorate(response, refusal)
    return response


def _decorate(response: HttpResponse, refusal: Refusal) -> None:
    if refusal.retry_after is not None:
        response["Retry-After"] = str(refusal.retry_after)
    if response.status_code == 401:
        # RFC 9110 requires a challenge with 401. There is no registered scheme for TLS client
        # certificates; this names what is missing so clients and humans can tell.
        response["WWW-Authenticate"] = 'ClientCertificate realm="mtls"'
    response["Cache-Control"] = "no-store"


def refusal_response(request: HttpRequest, refusal: Refusal, *, api: bool) -> HttpResponse:
    """The response for ``refusal``: problem JSON on API paths, else Django's handlers.

    Outside APIs, 400 goes through ``handler400`` and 401/403 through ``handler403`` (Django
    has no 401 handler), so projects keep their own error pages; 429 is plain text.
    """
    if api:
        return problem_response(refusal, instance=request.path)
    if refusal.status == 400:
        response = response_for_exception(request, BadRequest(refusal.detail))
    elif refusal.status in (401, 403):
        response = response_for_exception(request, PermissionDenied(refusal.detail))
    else:
        response = HttpResponse(
            f"{HTTPStatus(refusal.status).phrase}: {refusal.detail}\n",
            status=refusal.status,
            content_type="text/plain; charset=utf-8",
        )
    _decorate(response, refusal)
    return response
