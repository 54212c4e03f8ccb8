"""Origin and Fetch Metadata checks: refuse a browser's unsafe cross-site request.

Browsers present a client certificate on any request to the host, cross-site ones included,
just as they send cookies: a page on another site can make a user's browser ``POST`` to an
API that authenticates by certificate alone (CSRF, CWE-352). Clients that are not browsers
send neither ``Origin`` nor ``Sec-Fetch-Site``, so refusing unsafe requests whose ``Origin``
is foreign costs API clients nothing. The rule mirrors Django's ``CsrfViewMiddleware`` origin
check: the request's own origin, or one listed in ``CSRF_TRUSTED_ORIGINS`` (``*.`` wildcards
included), is accepted. Behind a TLS-terminating proxy set ``SECURE_PROXY_SSL_HEADER``, as for
Django's CSRF check, so that the request's own origin is ``https://``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.utils.http import is_same_domain

__all__ = ["SAFE_METHODS", "cross_site_reason"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
"""Methods that must not change state (RFC 9110 §9.2.1): never refused here."""

_FOREIGN_FETCH_SITES = frozenset({"cross-site", "same-site"})


def _trusted(origin: str) -> bool:
    trusted: list[str] = list(getattr(settings, "CSRF_TRUSTED_ORIGINS", []))
    if origin in trusted:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    for entry in trusted:
        if "*" not in entry:
            continue
        pattern = urlsplit(entry)
        if pattern.scheme == parts.scheme and is_same_domain(
            parts.netloc, pattern.netloc.replace("*", "", 1)
        ):
            return True
    return False


def cross_site_reason(request: HttpRequest) -> str | None:
    """Why ``request`` is an unsafe request from a foreign origin, or ``None`` when it is not.

    Safe methods are never foreign. With an ``Origin`` header the origin decides (``null``,
    the opaque origin of sandboxed frames and some redirects, is foreign); without one a
    ``Sec-Fetch-Site`` of ``cross-site`` or ``same-site`` is; a request with neither is not
    a browser's cross-site request.
    """
    if request.method in SAFE_METHODS:
        return None
    origin = request.META.get("HTTP_ORIGIN")
    if origin is not None:
        try:
            own = f"{'https' if request.is_secure() else 'http'}://{request.get_host()}"
        except DisallowedHost:
            own = None
        if origin == own or (origin != "null" and _trusted(origin)):
            return None
        return f"Origin {origin!r} is neither this site's nor in CSRF_TRUSTED_ORIGINS"
    fetch_site = request.META.get("HTTP_SEC_FETCH_SITE")
    if fetch_site in _FOREIGN_FETCH_SITES:
        return f"Sec-Fetch-Site is {fetch_site!r} and no Origin was sent"
    return None
