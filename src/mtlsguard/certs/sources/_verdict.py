"""The proxy's verdict, forwarded DN fields, and the one place that turns them into an identity.

Shared by the sources that forward a certificate beside an OpenSSL-style verdict (nginx,
ingress-nginx, HAProxy, Apache, Caddy, Traefik, the dev server, ASGI): :func:`settle` gives
every one of them the same semantics for (certificate or fields, verdict). Every function is
total: it returns a value or raises :class:`~mtlsguard.certs.CertificateError`.
"""

from __future__ import annotations

import enum
import hashlib
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from cryptography import x509

from mtlsguard.certs.dn import from_wsgi_text, normalize_dn
from mtlsguard.certs.errors import CertificateError
from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.sources._decoding import check_size, load_pem_pairs

__all__ = [
    "ForwardedFields",
    "ProxyVerdict",
    "hex_serial",
    "identity_from_pem",
    "openssl_verdict",
    "present",
    "settle",
    "single_value",
]


class ProxyVerdict(enum.Enum):
    """What a proxy said about its own verification of the client certificate."""

    UNSTATED = "unstated"
    """The proxy forwarded no verdict at all."""
    NO_CERTIFICATE = "no_certificate"
    """The proxy says the client presented no certificate (``NONE``)."""
    SUCCESS = "success"
    """The proxy verified the certificate."""
    FAILED = "failed"
    """The proxy reports a failed (or skipped, as in ``GENEROUS``) verification."""


#: Values proxies substitute for "nothing here": empty, and Apache mod_headers' ``(null)``.
_EMPTY_VALUES: Final = frozenset({"", "(null)"})


def present(value: str | None) -> str | None:
    """Return ``value`` stripped, or ``None`` when it is absent, blank or ``(null)``."""
    if value is None:
        return None
    stripped = value.strip()
    return None if stripped in _EMPTY_VALUES else stripped


def single_value(value: str, what: str) -> str:
    """Refuse comma-joined repeats of a header that can only carry one value.

    Servers join repeated headers with ``,``; none of the certificate encodings that use this
    helper (PEM, base64, verdict keywords) contains a comma, so one means two values arrived.

    :raises CertificateError: ``ambiguous`` when ``value`` holds several values.
    """
    if "," in value:
        raise CertificateError("ambiguous", f"{what} carries several comma-joined values")
    return value


def openssl_verdict(value: str | None, what: str) -> ProxyVerdict:
    """Read an OpenSSL-style verdict: nginx ``$ssl_client_verify``, mod_ssl ``SSL_CLIENT_VERIFY``.

    ``SUCCESS``, ``NONE``, ``FAILED`` or ``FAILED:<reason>``, and mod_ssl's ``GENEROUS``
    (``optional_no_ca``: a certificate was accepted without being verified), which counts as
    failed. Absent or empty means the proxy said nothing.

    :raises CertificateError: ``malformed`` for any other text, ``ambiguous`` for repeats.
    """
    text = present(value)
    if text is None:
        return ProxyVerdict.UNSTATED
    check_size(text, what)
    upper = text.upper()
    if upper.startswith("FAILED"):
        # The reason is free text from OpenSSL; only the keyword matters here.
        return ProxyVerdict.FAILED
    keyword = single_value(upper, what).strip()
    if keyword == "SUCCESS":
        return ProxyVerdict.SUCCESS
    if keyword == "NONE":
        return ProxyVerdict.NO_CERTIFICATE
    if keyword == "GENEROUS":
        return ProxyVerdict.FAILED
    raise CertificateError("malformed", f"{what} is not SUCCESS, NONE or FAILED:<reason>")


def hex_serial(value: str, what: str) -> int:
    """Parse a hex serial number (nginx ``$ssl_client_serial``, mod_ssl ``SSL_CLIENT_M_SERIAL``).

    Colons between bytes are accepted; 20-byte serials are common, longer ones are refused.

    :raises CertificateError: ``malformed`` if ``value`` is not a hex serial.
    """
    digits = value.strip().replace(":", "")
    if not digits or len(digits) > 64 or not all(c in string.hexdigits for c in digits):
        raise CertificateError("malformed", f"{what} is not a hexadecimal serial number")
    return int(digits, 16)


@dataclass(frozen=True, slots=True)
class ForwardedFields:
    """Certificate fields a proxy forwarded beside (or instead of) the certificate itself.

    Every attribute is the raw forwarded text, ``None`` when absent.
    """

    subject: str | None = None
    """Subject DN, RFC 2253/4514 or legacy slash form."""
    issuer: str | None = None
    """Issuer DN, RFC 2253/4514 or legacy slash form."""
    serial: str | None = None
    """Serial number in hex."""
    sha1: str | None = None
    """SHA-1 fingerprint in hex (nginx ``$ssl_client_fingerprint``), colons allowed."""

    @classmethod
    def from_values(cls, values: Mapping[str, str | None]) -> ForwardedFields:
        """Pick the ``subject``, ``issuer``, ``serial`` and ``fingerprint`` roles of ``values``."""
        return cls(
            subject=present(values.get("subject")),
            issuer=present(values.get("issuer")),
            serial=present(values.get("serial")),
            sha1=present(values.get("fingerprint")),
        )

    @property
    def any(self) -> bool:
        """True when at least one field was forwarded."""
        return any(v is not None for v in (self.subject, self.issuer, self.serial, self.sha1))

    def _normalized(self, what: str) -> tuple[str | None, str | None, int | None, str | None]:
        # WSGI/ASGI hand header and environ bytes over as latin-1 text: re-read them as UTF-8.
        subject = None if self.subject is None else normalize_dn(from_wsgi_text(self.subject))
        issuer = None if self.issuer is None else normalize_dn(from_wsgi_text(self.issuer))
        serial = None if self.serial is None else hex_serial(self.serial, f"{what} serial")
        sha1 = None
        if self.sha1 is not None:
            sha1 = self.sha1.replace(":", "").lower()
            if len(sha1) != 40 or not all(c in string.hexdigits for c in sha1):
                raise CertificateError("malformed", f"{what} fingerprint is not a SHA-1 hex digest")
        return subject, issuer, serial, sha1

    def identity(self, *, proxy_verified: bool | None, source: str, what: str) -> ClientCertificate:
        """A field-only identity (``der is None``) with DNs normalized to RFC 4514.

        :raises CertificateError: ``malformed`` if a field cannot be parsed.
        """
        subject, issuer, serial, _ = self._normalized(what)
        return ClientCertificate.from_fields(
            subject=subject or "",
            issuer=issuer or "",
            serial=serial,
            proxy_verified=proxy_verified,
            source=source,
        )

    def check_agrees(self, cert: ClientCertificate, what: str) -> None:
        """Refuse fields that describe another certificate than ``cert``.

        :raises CertificateError: ``ambiguous`` on any disagreement, ``malformed`` if a field
            cannot be parsed.
        """
        subject, issuer, serial, sha1 = self._normalized(what)
        if subject is not None and subject != cert.subject:
            raise CertificateError("ambiguous", f"{what} subject DN differs from the certificate")
        if issuer is not None and issuer != cert.issuer:
            raise CertificateError("ambiguous", f"{what} issuer DN differs from the certificate")
        if serial is not None and serial != cert.serial:
            raise CertificateError("ambiguous", f"{what} serial differs from the certificate")
        # SHA-1 only compares what the proxy sent with what we hold; it is never trusted.
        if (
            sha1 is not None
            and cert.der is not None
            and sha1 != hashlib.sha1(cert.der, usedforsecurity=False).hexdigest()
        ):
            raise CertificateError("ambiguous", f"{what} fingerprint differs from the certificate")


def settle(
    verdict: ProxyVerdict,
    build: Callable[[bool | None], ClientCertificate] | None,
    what: str,
) -> ClientCertificate | None:
    """Apply the semantics every source shares to a verdict and what was forwarded.

    :param build: makes the identity (from the certificate or from fields) given the
        ``proxy_verified`` value; ``None`` when neither a certificate nor fields arrived.
    :returns: ``None`` when no certificate was presented, else the identity with
        ``proxy_verified`` True (SUCCESS), False (FAILED) or None (no verdict).
    :raises CertificateError: ``proxy_verification_failed`` for a failure without a
        certificate; ``ambiguous`` for a certificate with ``NONE``, or ``SUCCESS`` without one.
    """
    if build is None:
        if verdict is ProxyVerdict.FAILED:
            raise CertificateError(
                "proxy_verification_failed",
                f"{what}: the proxy reports a failed verification and forwarded no certificate",
            )
        if verdict is ProxyVerdict.SUCCESS:
            raise CertificateError(
                "ambiguous",
                f"{what}: the proxy reports a verified certificate but forwarded none",
            )
        return None
    if verdict is ProxyVerdict.NO_CERTIFICATE:
        raise CertificateError(
            "ambiguous", f"{what}: the proxy says no certificate was presented, yet forwarded one"
        )
    proxy_verified = {
        ProxyVerdict.SUCCESS: True,
        ProxyVerdict.FAILED: False,
        ProxyVerdict.UNSTATED: None,
    }[verdict]
    return build(proxy_verified)


def identity_from_pem(
    cert_text: str | None,
    verdict: ProxyVerdict,
    fields: ForwardedFields,
    *,
    source: str,
    what: str,
    chain_texts: tuple[str, ...] = (),
) -> ClientCertificate | None:
    """Identity from a PEM leaf (plus PEM intermediates) or, failing that, forwarded fields.

    The nginx, ingress-nginx, Apache and dev-server sources all forward this shape. When both
    the certificate and fields arrive they must describe the same certificate.

    :raises CertificateError: as :func:`settle`, plus ``malformed`` for undecodable values and
        ``ambiguous`` when fields disagree with the certificate.
    """
    build: Callable[[bool | None], ClientCertificate] | None = None
    if cert_text is not None:
        text = cert_text

        def build(proxy_verified: bool | None) -> ClientCertificate:
            (leaf_der, leaf), *chain = load_pem_pairs(text, what)
            for extra in chain_texts:
                chain.extend(load_pem_pairs(extra, f"{what} chain"))
            # mod_ssl's chain variables may repeat the leaf; keep intermediates only, once each.
            # Identical DER is an identical certificate (no need to hash each one).
            seen = {leaf_der}
            intermediates: list[x509.Certificate] = []
            intermediate_ders: list[bytes] = []
            for der, cert in chain:
                if der not in seen:
                    seen.add(der)
                    intermediates.append(cert)
                    intermediate_ders.append(der)
            # Each certificate was parsed from exactly its DER (load_pem_pairs).
            identity = ClientCertificate._from_parsed(
                leaf,
                leaf_der,
                tuple(intermediates),
                tuple(intermediate_ders),
                proxy_verified=proxy_verified,
                source=source,
            )
            fields.check_agrees(identity, what)
            return identity

    elif fields.any:

        def build(proxy_verified: bool | None) -> ClientCertificate:
            return fields.identity(proxy_verified=proxy_verified, source=source, what=what)

    return settle(verdict, build, what)
