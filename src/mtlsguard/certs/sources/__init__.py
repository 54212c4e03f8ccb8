"""Registry of certificate sources and the cached :func:`extract` entry point."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from mtlsguard.certs.errors import CertificateError
from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.sources.apache import ApacheSource
from mtlsguard.certs.sources.asgi import AsgiTlsSource
from mtlsguard.certs.sources.aws_alb import AwsAlbSource
from mtlsguard.certs.sources.base import CertificateSource, RawValues
from mtlsguard.certs.sources.caddy import CaddySource
from mtlsguard.certs.sources.cloudflare import CloudflareSource
from mtlsguard.certs.sources.envoy import EnvoySource
from mtlsguard.certs.sources.gcp import GcpSource
from mtlsguard.certs.sources.haproxy import HaproxySource
from mtlsguard.certs.sources.nginx import IngressNginxSource, NginxSource
from mtlsguard.certs.sources.rfc9440 import Rfc9440Source
from mtlsguard.certs.sources.traefik import TraefikSource
from mtlsguard.certs.sources.view import RequestView
from mtlsguard.certs.sources.wsgi_ssl import WsgiSslSource

__all__ = [
    "SOURCES",
    "CertificateSource",
    "RequestView",
    "extract",
    "extract_collected",
    "get_source",
]

SOURCES: Mapping[str, CertificateSource] = {
    src.name: src
    for src in (
        NginxSource(),
        IngressNginxSource(),
        EnvoySource(),
        TraefikSource(),
        HaproxySource(),
        ApacheSource(),
        CaddySource(),
        AwsAlbSource(),
        GcpSource(),
        CloudflareSource(),
        Rfc9440Source(),
        AsgiTlsSource(),
        WsgiSslSource(),
    )
}
"""Every known source by name."""


def get_source(name: str) -> CertificateSource:
    """Return the source called ``name``.

    :raises CertificateError: ``unknown_source`` if there is none.
    """
    try:
        return SOURCES[name]
    except KeyError:
        known = ", ".join(sorted(SOURCES))
        raise CertificateError(
            "unknown_source", f"unknown source {name!r}; known: {known}"
        ) from None


def resolve_names(source: CertificateSource, names: Mapping[str, str] | None) -> Mapping[str, str]:
    """Merge per-role header-name overrides into ``source``'s defaults.

    :raises ValueError: if ``names`` names a role the source does not have.
    """
    if not names:
        return source.default_names
    unknown = set(names) - set(source.default_names)
    if unknown:
        roles = ", ".join(sorted(source.default_names))
        raise ValueError(f"source {source.name!r} has no role(s) {sorted(unknown)}; roles: {roles}")
    return {**source.default_names, **names}


@functools.lru_cache(maxsize=4096)
def _parse_cached(
    source: CertificateSource, values: RawValues, hops: int
) -> ClientCertificate | None:
    # Keyed on the raw values, so a repeat request costs one dict lookup (sources hash by
    # identity: the registered ones are singletons). Errors are not cached (lru_cache does
    # not cache exceptions), which is what we want for hostile input.
    return source.parse(dict(values), hops=hops)


def extract(
    source: str,
    headers: Mapping[str, str] | None = None,
    environ: Mapping[str, Any] | None = None,
    *,
    names: Mapping[str, str] | None = None,
    hops: int = 1,
) -> ClientCertificate | None:
    """Return the client certificate a request presented through ``source``.

    :param source: one of :data:`SOURCES` (``"nginx"``, ``"envoy"``, ``"aws-alb"``, ...).
    :param headers: request headers; lookups are case-insensitive. When ``None``, CGI-style
        ``HTTP_*`` keys of ``environ`` are used.
    :param environ: WSGI environ / ``request.META``, or the ASGI scope for ``"asgi"``.
    :param names: per-role header-name overrides, e.g. ``{"cert": "X-Client-Cert"}``.
    :param hops: trusted proxies that append to multi-hop headers (Envoy XFCC).
    :returns: the identity, or ``None`` when no certificate was presented.
    :raises CertificateError: with a stable ``reason`` on malformed or failed input.

    This function does not decide whether the headers may be believed: callers check the
    peer with :class:`~mtlsguard.certs.TrustedProxies` first (the Django middleware does).
    """
    src = get_source(source)
    if hops < 1:
        raise ValueError("hops must be at least 1")
    view = RequestView(headers, environ)
    values = src.collect(view, resolve_names(src, names))
    return _parse_cached(src, values, hops)


def extract_collected(
    source: CertificateSource, values: RawValues, *, hops: int = 1
) -> ClientCertificate | None:
    """:func:`extract` for values already read with ``source.collect(...)``.

    For a caller that reads the values anyway, to decide whether to believe them (the Django
    middleware): the same cached parse, without reading the request a second time.

    :raises CertificateError: as :func:`extract`.
    """
    if hops < 1:
        raise ValueError("hops must be at least 1")
    return _parse_cached(source, values, hops)
