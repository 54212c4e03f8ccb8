"""The interface every certificate source implements (one module per proxy)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import ClassVar

from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.sources.view import RequestView

__all__ = ["CertificateSource", "RawValues"]

#: What a source read from one request, as hashable ``(role, value)`` pairs in role order.
#: ``extract()`` caches parse results on exactly this, i.e. on the raw header bytes.
RawValues = tuple[tuple[str, str | None], ...]


class CertificateSource(ABC):
    """How one proxy (or direct TLS server) hands the client certificate to the app.

    Subclasses set :attr:`name` and :attr:`default_names` and implement :meth:`parse`.
    :meth:`parse` must be a pure function of its arguments (its results are cached) and
    must return a :class:`ClientCertificate`, ``None`` (no certificate presented) or raise
    :class:`~mtlsguard.certs.model.CertificateError` — nothing else, for any input.
    """

    name: ClassVar[str]
    """Source name accepted by ``extract()`` (``"nginx"``, ``"envoy"``, ...)."""
    default_names: ClassVar[Mapping[str, str]]
    """Role (``cert``, ``chain``, ``verify``, ``used``, ...) to header name or environ key."""
    forwarded: ClassVar[bool] = True
    """True when the values are request headers set by a proxy, so they may only be
    believed from a trusted peer (see :class:`~mtlsguard.certs.TrustedProxies`)."""

    def is_forwarded(self, request: RequestView, names: Mapping[str, str] | None = None) -> bool:
        """Whether this request's values are forwarded headers (default: :attr:`forwarded`).

        ``names`` are the role names in force (defaults when ``None``); pass the same mapping
        as to :meth:`collect`, so the trust decision and the values read always agree.
        """
        return self.forwarded

    def collect(self, request: RequestView, names: Mapping[str, str]) -> RawValues:
        """Read the raw values this source needs; default: one header per role."""
        return tuple((role, request.header(header)) for role, header in names.items())

    def has_values(self, request: RequestView, names: Mapping[str, str]) -> bool:
        """True when the request carries any of this source's values (even malformed ones)."""
        return any(value is not None for _, value in self.collect(request, names))

    @abstractmethod
    def parse(self, values: Mapping[str, str | None], *, hops: int = 1) -> ClientCertificate | None:
        """Turn raw values into an identity.

        :param values: role to raw value (``None`` when absent), as returned by :meth:`collect`.
        :param hops: number of trusted proxies between the client and the app that append
            to multi-hop headers (Envoy XFCC); single-value sources ignore it.
        :raises CertificateError: on malformed input, or when the proxy reports a failed
            verification without forwarding the certificate.
        """
