"""Certificate fields that proxies forward beside (or instead of) the certificate itself.

Used by the Envoy, AWS ALB, GCP and Cloudflare sources: decoders for the forwarded
fingerprint, timestamps and booleans, and the one check that a set of forwarded fields
describes the same certificate as the DER that came with it. Every function is total: it
returns a value or raises :class:`~mtlsguard.certs.model.CertificateError`.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Callable
from typing import Final

from cryptography import x509

from mtlsguard.certs.errors import CertificateError
from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.sources._verdict import ProxyVerdict, settle

__all__ = [
    "boolean_flag",
    "check_same_certificate",
    "name_from_der",
    "optional_flag",
    "rfc3339_datetime",
    "settle_presented",
    "sha256_hex",
]

_TRUE: Final = frozenset({"true", "1"})
_FALSE: Final = frozenset({"false", "0"})

#: RFC 3339 date-time (ISO 8601 profile) with a mandatory offset or ``Z``.
_RFC3339: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})"
)


def boolean_flag(value: str, what: str) -> bool:
    """Read a forwarded boolean: ``true``/``false`` (any case) or ``1``/``0``.

    :raises CertificateError: ``malformed`` for anything else.
    """
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CertificateError("malformed", f"{what} is not true/false")


def optional_flag(value: str | None, what: str) -> bool | None:
    """:func:`boolean_flag`, or ``None`` when the header is absent."""
    return None if value is None else boolean_flag(value, what)


def settle_presented(
    presented: bool | None,
    verdict: ProxyVerdict,
    build: Callable[[bool | None], ClientCertificate] | None,
    what: str,
) -> ClientCertificate | None:
    """:func:`~mtlsguard.certs.sources._verdict.settle` for proxies that also say "presented".

    ``presented`` False (or a ``NONE`` verdict) means no certificate: ``None``, unless
    something describing a certificate (``build``) or a success verdict came with it.

    :raises CertificateError: ``ambiguous`` for that contradiction, else as ``settle``.
    """
    if presented is False or verdict is ProxyVerdict.NO_CERTIFICATE:
        if build is not None or verdict is ProxyVerdict.SUCCESS:
            raise CertificateError("ambiguous", f"{what} says no client certificate, yet sent one")
        return None
    return settle(verdict, build, what)


def sha256_hex(value: str, what: str) -> str:
    """Normalize a hex SHA-256 fingerprint (any case, colons allowed) to 64 lower-case digits.

    :raises CertificateError: ``malformed`` if ``value`` is not 32 bytes of hex.
    """
    digits = value.strip().replace(":", "").lower()
    if len(digits) != 64 or not all(c in string.hexdigits for c in digits):
        raise CertificateError("malformed", f"{what} is not a hex SHA-256 fingerprint")
    return digits


def rfc3339_datetime(value: str, what: str) -> dt.datetime:
    """Parse an RFC 3339 timestamp (``2024-09-20T01:50:17Z``, ``...+00:00``) to aware UTC.

    :raises CertificateError: ``malformed`` if ``value`` is not such a timestamp.
    """
    text = value.strip()
    if not _RFC3339.fullmatch(text):
        raise CertificateError("malformed", f"{what} is not an RFC 3339 timestamp")
    try:
        # fromisoformat takes "Z" and up to microseconds; trim longer fractions first.
        text = re.sub(r"(\.\d{6})\d+", r"\1", text.upper().replace(" ", "T"))
        parsed = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise CertificateError("malformed", f"{what} is not a valid date and time") from exc
    return parsed.astimezone(dt.UTC)


def name_from_der(der: bytes, what: str) -> str:
    """Render a DER-encoded X.509 ``Name`` as the RFC 4514 string ``cryptography`` computes.

    :raises CertificateError: ``malformed`` if ``der`` is not a DER ``Name``.
    """
    try:
        return x509.Name.from_bytes(der).rfc4514_string()
    except (ValueError, TypeError, UnicodeError) as exc:
        raise CertificateError("malformed", f"{what} is not a DER distinguished name") from exc


def check_same_certificate(cert: ClientCertificate, fields: ClientCertificate, what: str) -> None:
    """Refuse forwarded ``fields`` that describe another certificate than ``cert``.

    ``fields`` is the field-only identity built from what the proxy forwarded beside the
    certificate; each attribute it carries (non-empty DN, serial, SHA-256, validity) must
    equal the certificate's, and each URI/DNS name it lists must be a SAN of the certificate.

    :raises CertificateError: ``ambiguous`` on the first disagreement.
    """
    pairs: tuple[tuple[str, object, object], ...] = (
        ("subject DN", fields.subject or None, cert.subject),
        ("issuer DN", fields.issuer or None, cert.issuer),
        ("serial number", fields.serial, cert.serial),
        ("SHA-256 fingerprint", fields.sha256, cert.sha256),
        ("notBefore", fields.not_before, cert.not_before),
        ("notAfter", fields.not_after, cert.not_after),
    )
    for label, forwarded, actual in pairs:
        if forwarded is not None and forwarded != actual:
            raise CertificateError("ambiguous", f"{what}: forwarded {label} differs from the DER")
    if not set(fields.uris) <= set(cert.uris) or not set(fields.dns_names) <= set(cert.dns_names):
        raise CertificateError("ambiguous", f"{what}: forwarded SANs are not the certificate's")
