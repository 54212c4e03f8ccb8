"""The ASGI TLS extension: ``scope["extensions"]["tls"]`` (asgiref spec "TLS Extension" 0.2).

Call ``extract("asgi", environ=scope)``. The server (uvicorn, hypercorn, daphne...) fills::

    client_cert_chain   iterable of PEM strings, client certificate first; empty if none
    client_cert_name    RFC 4514 subject DN of client_cert_chain[0], or None
    client_cert_error   None if verified (or no certificate); else why verification failed

The values come from the server's own TLS handshake, not from headers: this source is
never forwarded. ``proxy_verified`` is True when a certificate arrived and
``client_cert_error`` is ``None`` (the spec's "provided and successfully verified"), False
when there is an error. A ``client_cert_name`` without a chain (the spec allows it when a
device in front forwards only the name) gives a field-only identity; with a chain the two
must agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mtlsguard.certs.errors import CertificateError
from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.sources._verdict import (
    ForwardedFields,
    ProxyVerdict,
    identity_from_pem,
    present,
)
from mtlsguard.certs.sources.base import CertificateSource, RawValues
from mtlsguard.certs.sources.view import RequestView

__all__ = ["AsgiTlsSource"]

#: More certificates than any real client chain; more than this is refused.
_MAX_CHAIN = 16


def _tls_extension(request: RequestView) -> Mapping[str, Any] | None:
    extensions = request.environ("extensions")
    if extensions is None:
        return None
    if not isinstance(extensions, Mapping):
        raise CertificateError("malformed", "ASGI scope 'extensions' is not a mapping")
    tls = extensions.get("tls")
    if tls is None:
        return None
    if not isinstance(tls, Mapping):
        raise CertificateError("malformed", "ASGI scope extensions['tls'] is not a mapping")
    return tls


def _optional_text(tls: Mapping[str, Any], key: str) -> str | None:
    value = tls.get(key)
    if value is None or isinstance(value, str):
        return value
    raise CertificateError("malformed", f"ASGI TLS {key} is not a string")


class AsgiTlsSource(CertificateSource):
    """ASGI ``tls`` extension of the connection scope (direct TLS, never forwarded)."""

    name = "asgi"
    forwarded = False
    default_names: ClassVar[Mapping[str, str]] = {
        "chain": "client_cert_chain",
        "name": "client_cert_name",
        "error": "client_cert_error",
    }

    def collect(self, request: RequestView, names: Mapping[str, str]) -> RawValues:
        """Turn the extension's values into hashable text: the chain as one PEM bundle.

        :raises CertificateError: ``malformed`` when the scope holds values of the wrong type.
        """
        tls = _tls_extension(request)
        if tls is None:
            return (("chain", None), ("name", None), ("error", None))
        chain = tls.get(names["chain"], ())
        if isinstance(chain, str | bytes) or not hasattr(chain, "__iter__"):
            raise CertificateError("malformed", "ASGI TLS client_cert_chain is not an iterable")
        pems: list[str] = []
        for element in chain:
            if not isinstance(element, str):
                raise CertificateError("malformed", "ASGI TLS client_cert_chain holds a non-string")
            if len(pems) == _MAX_CHAIN:
                raise CertificateError("malformed", "ASGI TLS client_cert_chain is too long")
            pems.append(element)
        return (
            ("chain", "\n".join(pems) if pems else None),
            ("name", _optional_text(tls, names["name"])),
            ("error", _optional_text(tls, names["error"])),
        )

    def parse(self, values: Mapping[str, str | None], *, hops: int = 1) -> ClientCertificate | None:
        """Identity from the chain (leaf first) or, without one, from ``client_cert_name``.

        :raises CertificateError: ``malformed``, ``ambiguous`` (name disagrees with the chain)
            or ``proxy_verification_failed`` (an error without a certificate).
        """
        chain = present(values.get("chain"))
        name = present(values.get("name"))
        error = present(values.get("error"))
        if chain is None and name is None and error is None:
            return None  # not TLS, or TLS without a client certificate
        # An error with neither chain nor name is a failure without a certificate: settle()
        # turns it into proxy_verification_failed.
        verdict = ProxyVerdict.SUCCESS if error is None else ProxyVerdict.FAILED
        return identity_from_pem(
            chain,
            verdict,
            ForwardedFields(subject=name),
            source=self.name,
            what="ASGI TLS client certificate",
        )
