"""Where a Django request comes from: its TCP peer and what a trusted proxy says about it.

Read by the certificate adapter, the throttle and the audit; below all three, so none of them
has to import another to know an address.
"""

from __future__ import annotations

import functools

from django.http import HttpRequest

from mtlsguard.django.conf import MtlsGuardSettings

__all__ = ["client_address", "forwarded_for", "meta_key", "peer_address"]


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
