"""Shared plumbing for source parsers: request view and certificate decoders.

Everything here is framework-free and total: it returns a value or raises
:class:`~mtlsguard.certs.model.CertificateError`, never anything else.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from cryptography import x509

from mtlsguard.certs.model import CertificateError, ClientCertificate

__all__ = [
    "MAX_HEADER_BYTES",
    "RequestView",
    "b64_der",
    "certificate_from_pem_bundle",
    "load_pem_bundle",
    "url_decoded",
]

#: Upper bound on one forwarded-certificate value; real chains are a few KiB. Larger values
#: are refused before any decoding work, so a hostile client cannot make us parse megabytes.
MAX_HEADER_BYTES = 64 * 1024

_PEM_BLOCK = re.compile(
    r"-----BEGIN CERTIFICATE-----(?P<body>[A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----"
)


class RequestView:
    """Case-insensitive read access to a request's headers and WSGI/ASGI environ.

    ``headers`` is any mapping of header names to values (Django's ``request.headers``,
    a plain dict, ...). When it is ``None``, header lookups fall back to CGI-style
    ``HTTP_*`` keys of ``environ`` (Django's ``request.META``).
    """

    __slots__ = ("_environ", "_headers")

    def __init__(
        self,
        headers: Mapping[str, str] | None = None,
        environ: Mapping[str, Any] | None = None,
    ) -> None:
        self._environ: Mapping[str, Any] = environ if environ is not None else {}
        lowered: dict[str, str] = {}
        if headers is not None:
            for key, value in headers.items():
                k = key.lower()
                if k in lowered and lowered[k] != value:
                    raise CertificateError(
                        "ambiguous", f"header {key!r} appears more than once with different values"
                    )
                lowered[k] = value
            self._headers: dict[str, str] | None = lowered
        else:
            self._headers = None

    def header(self, name: str) -> str | None:
        """Return header ``name`` (any case), or ``None`` when absent."""
        if self._headers is not None:
            return self._headers.get(name.lower())
        value = self._environ.get("HTTP_" + name.upper().replace("-", "_"))
        return value if isinstance(value, str) else None

    def environ(self, key: str) -> Any:
        """Return the environ/scope entry ``key`` exactly as given, or ``None``."""
        return self._environ.get(key)


def check_size(value: str, what: str) -> None:
    """Refuse values over :data:`MAX_HEADER_BYTES` with ``malformed``."""
    if len(value) > MAX_HEADER_BYTES:
        raise CertificateError("malformed", f"{what} is longer than {MAX_HEADER_BYTES} bytes")


def url_decoded(value: str, what: str) -> str:
    """Percent-decode ``value`` (nginx ``$ssl_client_escaped_cert``, ALB); ``+`` stays ``+``."""
    check_size(value, what)
    try:
        return urllib.parse.unquote(value, errors="strict")
    except UnicodeDecodeError as exc:
        raise CertificateError("malformed", f"{what} is not valid percent-encoded UTF-8") from exc


def load_pem_bundle(text: str, what: str) -> list[x509.Certificate]:
    """Load one or more concatenated PEM certificates, leaf first.

    Tolerates the whitespace mangling proxies apply (tabs or spaces instead of newlines,
    as in nginx's deprecated ``$ssl_client_cert``).

    :raises CertificateError: ``malformed`` if there is no certificate or any block is bad.
    """
    check_size(text, what)
    certs: list[x509.Certificate] = []
    end = 0
    for match in _PEM_BLOCK.finditer(text):
        if text[end : match.start()].strip():
            raise CertificateError("malformed", f"{what} has text between PEM blocks")
        end = match.end()
        body = "".join(match.group("body").split())
        try:
            der = base64.b64decode(body, validate=True)
            certs.append(x509.load_der_x509_certificate(der))
        except (binascii.Error, ValueError) as exc:
            raise CertificateError("malformed", f"{what} holds an invalid PEM certificate") from exc
    if not certs or text[end:].strip():
        raise CertificateError("malformed", f"{what} is not a PEM certificate")
    return certs


def b64_der(value: str, what: str) -> bytes:
    """Decode standard base64 (padding optional, no whitespace inside) to DER bytes."""
    check_size(value, what)
    value = value.strip()
    if not value:
        raise CertificateError("malformed", f"{what} is empty")
    padded = value + "=" * (-len(value) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CertificateError("malformed", f"{what} is not valid base64") from exc


def certificate_from_pem_bundle(
    text: str, what: str, *, proxy_verified: bool | None, source: str
) -> ClientCertificate:
    """Leaf + chain from a PEM bundle (leaf first)."""
    leaf, *chain = load_pem_bundle(text, what)
    return ClientCertificate.from_certificate(
        leaf, chain=tuple(chain), proxy_verified=proxy_verified, source=source
    )
