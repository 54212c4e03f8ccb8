"""Cloudflare mTLS (API Shield / Access) client-certificate headers at the origin.

Two features put them there, both documented by Cloudflare:

* **Client certificate forwarding** (``client_certificate_forwarding`` on an mTLS hostname)
  adds ``Cf-Client-Cert-Der-Base64`` (base64 DER of the leaf) and ``Cf-Client-Cert-Sha256``
  (hex SHA-256 of it).
* The **"Add TLS client auth headers"** Managed Transform adds ``cf-cert-*`` headers from the
  ``cf.tls_client_auth.*`` fields: ``presented``, ``verified`` and ``revoked`` (booleans),
  issuer/subject DNs (the ``-rfc2253`` variant, else ``-legacy``; the plain ``cf-cert-*-dn``
  uses an attribute order of its own and is ignored), ``serial`` (hex),
  ``fingerprint-sha256`` (hex) and ``not-before`` / ``not-after`` (``Mar 21 13:35:00 2022 GMT``).

Cloudflare fills these for certificates that failed validation too, so the verdict decides
``proxy_verified``; ``revoked`` true is refused with reason ``revoked``. For RFC 9440
``Client-Cert`` headers built by a transform rule, use the ``rfc9440`` source.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import ClassVar, Final

from mtlsguard.certs.dn import normalize_dn
from mtlsguard.certs.errors import CertificateError
from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.sources._decoding import b64_der
from mtlsguard.certs.sources._fields import (
    boolean_flag,
    check_same_certificate,
    optional_flag,
    settle_presented,
    sha256_hex,
)
from mtlsguard.certs.sources._verdict import ProxyVerdict, hex_serial, openssl_verdict, present
from mtlsguard.certs.sources.base import CertificateSource

__all__ = ["CloudflareSource"]

_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
#: OpenSSL's ``ASN1_TIME_print`` form, which Cloudflare forwards: ``Mar  1 13:35:00 2022 GMT``.
_OPENSSL_TIME: Final = re.compile(
    r"(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2}) "
    r"(?P<year>\d{4}) GMT"
)
_FIELD_ROLES: Final = (
    "subject",
    "subject_legacy",
    "issuer",
    "issuer_legacy",
    "serial",
    "fingerprint",
    "not_before",
    "not_after",
)


def _openssl_time(value: str, what: str) -> dt.datetime:
    """Parse ``Mar 21 13:35:00 2022 GMT`` (locale-independent) to an aware UTC datetime."""
    match = _OPENSSL_TIME.fullmatch(value.strip())
    if match is None or match["mon"] not in _MONTHS:
        raise CertificateError("malformed", f"{what} is not a 'Mon DD HH:MM:SS YYYY GMT' time")
    try:
        return dt.datetime(
            int(match["year"]),
            _MONTHS.index(match["mon"]) + 1,
            int(match["day"]),
            int(match["h"]),
            int(match["m"]),
            int(match["s"]),
            tzinfo=dt.UTC,
        )
    except ValueError as exc:
        raise CertificateError("malformed", f"{what} is not a valid date") from exc


def _verdict(value: str | None) -> ProxyVerdict:
    """``cf-cert-verified``: a boolean, or the Workers ``SUCCESS``/``NONE``/``FAILED:...``."""
    if value is None:
        return ProxyVerdict.UNSTATED
    if value.strip().upper().startswith(("SUCCESS", "NONE", "FAILED")):
        return openssl_verdict(value, "cf-cert-verified")
    verified = boolean_flag(value, "cf-cert-verified")
    return ProxyVerdict.SUCCESS if verified else ProxyVerdict.FAILED


class CloudflareSource(CertificateSource):
    """Cloudflare ``Cf-Client-Cert-*`` forwarding and ``cf-cert-*`` Managed Transform headers."""

    name = "cloudflare"
    default_names: ClassVar[Mapping[str, str]] = {
        "cert": "Cf-Client-Cert-Der-Base64",
        "sha256": "Cf-Client-Cert-Sha256",
        "presented": "Cf-Cert-Presented",
        "verify": "Cf-Cert-Verified",
        "revoked": "Cf-Cert-Revoked",
        "subject": "Cf-Cert-Subject-Dn-Rfc2253",
        "issuer": "Cf-Cert-Issuer-Dn-Rfc2253",
        "subject_legacy": "Cf-Cert-Subject-Dn-Legacy",
        "issuer_legacy": "Cf-Cert-Issuer-Dn-Legacy",
        "serial": "Cf-Cert-Serial",
        "fingerprint": "Cf-Cert-Fingerprint-Sha256",
        "not_before": "Cf-Cert-Not-Before",
        "not_after": "Cf-Cert-Not-After",
    }

    def parse(self, values: Mapping[str, str | None], *, hops: int = 1) -> ClientCertificate | None:
        """Identity from the forwarded DER or, failing that, the ``cf-cert-*`` fields.

        :raises CertificateError: ``revoked`` when Cloudflare flags the certificate revoked;
            ``proxy_verification_failed`` for a failed verdict with nothing else;
            ``ambiguous`` for contradictions; ``malformed`` for undecodable values.
        """
        value = {role: present(values.get(role)) for role in self.default_names}
        presented = optional_flag(value["presented"], "cf-cert-presented")
        verdict = _verdict(value["verify"])
        revoked = optional_flag(value["revoked"], "cf-cert-revoked")
        build: Callable[[bool | None], ClientCertificate] | None = None
        if revoked or any(value[r] is not None for r in (*_FIELD_ROLES, "cert", "sha256")):

            def build(proxy_verified: bool | None) -> ClientCertificate:
                if revoked:
                    raise CertificateError("revoked", "Cloudflare reports the certificate revoked")
                return self._identity(value, proxy_verified)

        return settle_presented(presented, verdict, build, "Cloudflare")

    def _identity(
        self, value: Mapping[str, str | None], proxy_verified: bool | None
    ) -> ClientCertificate:
        fields = self._fields(value, proxy_verified)
        der = value["cert"]
        if der is None:
            if value["sha256"] is not None:
                raise CertificateError("malformed", "Cf-Client-Cert-Sha256 without the certificate")
            return fields
        cert = ClientCertificate.from_der(
            b64_der(der, "Cf-Client-Cert-Der-Base64"),
            proxy_verified=proxy_verified,
            source=self.name,
        )
        sha256 = value["sha256"]
        if sha256 is not None and sha256_hex(sha256, "Cf-Client-Cert-Sha256") != cert.sha256:
            raise CertificateError("ambiguous", "Cf-Client-Cert-Sha256 differs from the DER")
        check_same_certificate(cert, fields, "Cloudflare")
        return cert

    def _fields(
        self, value: Mapping[str, str | None], proxy_verified: bool | None
    ) -> ClientCertificate:
        """The ``cf-cert-*`` headers as a field-only identity."""
        return ClientCertificate.from_fields(
            subject=self._dn(value["subject"], value["subject_legacy"]),
            issuer=self._dn(value["issuer"], value["issuer_legacy"]),
            serial=None
            if value["serial"] is None
            else hex_serial(value["serial"], "cf-cert-serial"),
            sha256=(
                None
                if value["fingerprint"] is None
                else sha256_hex(value["fingerprint"], "cf-cert-fingerprint-sha256")
            ),
            not_before=(
                None
                if value["not_before"] is None
                else _openssl_time(value["not_before"], "cf-cert-not-before")
            ),
            not_after=(
                None
                if value["not_after"] is None
                else _openssl_time(value["not_after"], "cf-cert-not-after")
            ),
            proxy_verified=proxy_verified,
            source=self.name,
        )

    @staticmethod
    def _dn(rfc2253: str | None, legacy: str | None) -> str:
        """One DN from its forwarded forms: RFC 2253 when sent, else the legacy slash form.

        The two are not compared: the legacy form cannot express multi-valued RDNs or
        non-ASCII text faithfully, so it is only a fallback.
        """
        text = rfc2253 if rfc2253 is not None else legacy
        return "" if text is None else normalize_dn(text)
