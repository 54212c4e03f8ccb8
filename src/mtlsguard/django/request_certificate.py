"""A Django request -> the core reader's outcome: presented, believed (or not), verified.

The trusted-proxy rule itself lives in :class:`mtlsguard.certs.request.CertificateReader`;
this module only adapts a Django request to it: the peer is ``REMOTE_ADDR``, headers and the
environ sources' variables come from ``request.META``, and under ASGI the connection scope
(TLS extension, raw header list) from ``request.scope``. The reader is compiled once per
settings (:func:`mtlsguard.django.runtime.reader`) and caches below, so this runs inline in
both the sync and the async middleware.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from mtlsguard.certs.request import NOTHING_PRESENTED, CertificateOutcome
from mtlsguard.django import runtime
from mtlsguard.django.conf import MtlsGuardSettings

__all__ = [
    "NOTHING_PRESENTED",
    "CertificateOutcome",
    "client_address",
    "forwarded_for",
    "inspect_request",
    "meta_key",
    "peer_address",
]


@functools.lru_cache(maxsize=64)
def meta_key(header: str) -> str:
    """The ``request.META`` key of HTTP header ``header``."""
    return "HTTP_" + header.upper().replace("-", "_")


def peer_address(request: HttpRequest) -> str:
    """The TCP peer (``REMOTE_ADDR``), ``""`` when unknown."""
    return str(request.META.get("REMOTE_ADDR") or "")


def forwarded_for(request: HttpRequest, settings: MtlsGuardSettings) -> str | None:
    """The raw ``CLIENT_IP_HEADER`` value (``X-Forwarded-For``), believed or not."""
    header = settings.client_ip_header
    value = request.META.get(meta_key(header)) if header is not None else None
    return value if isinstance(value, str) else None


def client_address(request: HttpRequest, settings: MtlsGuardSettings) -> str:
    """The client's address: what a trusted proxy reports in ``CLIENT_IP_HEADER``, else the peer.

    See :meth:`mtlsguard.certs.TrustedProxies.client_address`.
    """
    return settings.trusted_proxies.client_address(
        peer_address(request), forwarded_for(request, settings)
    )


def inspect_request(request: HttpRequest, settings: MtlsGuardSettings) -> CertificateOutcome:
    """Extract, believe (or not) and verify the request's client certificate.

    Never raises for anything a client can send: every failure becomes ``error``.

    :raises ImproperlyConfigured: only when the settings cannot be compiled (CA bundle).
    """
    meta = request.META
    scope: Any = getattr(request, "scope", None)
    return runtime.reader(settings).read(
        peer=meta.get("REMOTE_ADDR"),
        environ=meta,
        scope=scope if isinstance(scope, Mapping) else None,
    )
