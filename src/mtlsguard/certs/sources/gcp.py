"""Google Cloud Application Load Balancer mTLS custom request headers.

The load balancer sends only the headers the operator configures, each built from one
variable; the default names here are those of Google's own example ("Set up mTLS",
``--custom-request-header='X-Client-Cert-Present:{client_cert_present}'`` and so on).
Encodings, from the custom-headers reference:

* ``client_cert_present`` / ``client_cert_chain_verified``: ``true`` or ``false``.
* ``client_cert_error``: predefined error strings (``client_cert_not_provided``, ...).
* ``client_cert_sha256_fingerprint``: base64 of the SHA-256 of the leaf's DER.
* ``client_cert_serial_number``: the serial (read as hex, the form Google's logs show).
* ``client_cert_spiffe_id``: the SPIFFE URI SAN; ``client_cert_uri_sans`` and
  ``client_cert_dnsname_sans``: comma-separated lists of base64-encoded SANs (the SPIFFE ID
  is not repeated in ``uri_sans``).
* ``client_cert_valid_not_before`` / ``_after``: RFC 3339 timestamps.
* ``client_cert_issuer_dn`` / ``client_cert_subject_dn``: base64 of the DER ``Name``.
* ``client_cert_leaf`` / ``client_cert_chain``: RFC 9440 byte sequence / list of them, set
  only when the chain passed validation.

With the ``ALLOW_INVALID_OR_MISSING_CLIENT_CERT`` validation mode, requests with a failed or
missing certificate reach the backend too: ``chain_verified=false`` with the certificate's
fields gives an identity with ``proxy_verified=False``; ``present=false`` gives ``None``.
Configure the ``present`` header: without it a failed verdict and "no certificate" look alike
and the request is refused with ``proxy_verification_failed``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import ClassVar, TypeVar

from mtlsguard.certs.errors import CertificateError
from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.sources._decoding import b64_der
from mtlsguard.certs.sources._fields import (
    check_same_certificate,
    name_from_der,
    optional_flag,
    rfc3339_datetime,
    settle_presented,
)
from mtlsguard.certs.sources._verdict import ProxyVerdict, hex_serial, present
from mtlsguard.certs.sources.base import CertificateSource
from mtlsguard.certs.sources.rfc9440 import parse_byte_sequence, parse_byte_sequence_list

__all__ = ["GcpSource"]

_T = TypeVar("_T")
_NOT_PROVIDED = "client_cert_not_provided"
#: Every role that describes a certificate (all but present / verify / error).
_DESCRIBING_ROLES = (
    *("sha256", "serial", "spiffe", "uris", "dns", "not_before", "not_after"),
    *("issuer", "subject", "cert", "chain"),
)


def _b64_text_list(value: str, what: str) -> tuple[str, ...]:
    """Decode a comma-separated list of base64-encoded UTF-8 strings."""
    items = []
    for part in value.split(","):
        try:
            items.append(b64_der(part, what).decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise CertificateError("malformed", f"{what} holds non-UTF-8 text") from exc
    return tuple(items)


def _optional(text: str | None, decode: Callable[[str], _T]) -> _T | None:
    return None if text is None else decode(text)


def _fingerprint(value: str) -> str:
    digest = b64_der(value, "GCP client_cert_sha256_fingerprint")
    if len(digest) != 32:
        raise CertificateError("malformed", "GCP client_cert_sha256_fingerprint is not SHA-256")
    return digest.hex()


def _serial(value: str) -> int:
    return hex_serial(value, "GCP client_cert_serial_number")


def _subject_dn(value: str) -> str:
    return name_from_der(b64_der(value, "GCP client_cert_subject_dn"), "GCP subject DN")


def _issuer_dn(value: str) -> str:
    return name_from_der(b64_der(value, "GCP client_cert_issuer_dn"), "GCP issuer DN")


def _not_before(value: str) -> dt.datetime:
    return rfc3339_datetime(value, "GCP client_cert_valid_not_before")


def _not_after(value: str) -> dt.datetime:
    return rfc3339_datetime(value, "GCP client_cert_valid_not_after")


def _uri_sans(value: str) -> tuple[str, ...]:
    return _b64_text_list(value, "GCP client_cert_uri_sans")


def _dns_sans(value: str) -> tuple[str, ...]:
    return _b64_text_list(value, "GCP client_cert_dnsname_sans")


class GcpSource(CertificateSource):
    """Google Cloud load balancer ``{client_cert_*}`` custom request headers."""

    name = "gcp"
    default_names: ClassVar[Mapping[str, str]] = {
        "present": "X-Client-Cert-Present",
        "verify": "X-Client-Cert-Chain-Verified",
        "error": "X-Client-Cert-Error",
        "sha256": "X-Client-Cert-Hash",
        "serial": "X-Client-Cert-Serial-Number",
        "spiffe": "X-Client-Cert-SPIFFE",
        "uris": "X-Client-Cert-URI-SANs",
        "dns": "X-Client-Cert-DNSName-SANs",
        "not_before": "X-Client-Cert-Valid-Not-Before",
        "not_after": "X-Client-Cert-Valid-Not-After",
        "issuer": "X-Client-Cert-Issuer-Dn",
        "subject": "X-Client-Cert-Subject-Dn",
        "cert": "X-Client-Cert-Leaf",
        "chain": "X-Client-Cert-Chain",
    }

    def parse(self, values: Mapping[str, str | None], *, hops: int = 1) -> ClientCertificate | None:
        """Identity from the leaf (plus chain) or, failing that, the forwarded fields.

        :raises CertificateError: ``proxy_verification_failed`` when verification failed and
            nothing describes the certificate; ``ambiguous`` for contradictions (a leaf with
            a failed verdict, fields with ``present=false``, fields that disagree with the
            leaf); ``malformed`` for undecodable values.
        """
        value = {role: present(values.get(role)) for role in self.default_names}
        presented = optional_flag(value["present"], "GCP client_cert_present")
        verified = optional_flag(value["verify"], "GCP client_cert_chain_verified")
        if presented is None and _NOT_PROVIDED in (value["error"] or "").replace(" ", "").split(
            ","
        ):
            presented = False
        verdict = {
            True: ProxyVerdict.SUCCESS,
            False: ProxyVerdict.FAILED,
            None: ProxyVerdict.UNSTATED,
        }[verified]
        if value["cert"] is not None and verdict is ProxyVerdict.FAILED:
            raise CertificateError("ambiguous", "GCP forwarded a leaf for a failed verification")
        build: Callable[[bool | None], ClientCertificate] | None = None
        if any(value[role] is not None for role in _DESCRIBING_ROLES):

            def build(proxy_verified: bool | None) -> ClientCertificate:
                return self._identity(value, proxy_verified)

        return settle_presented(presented, verdict, build, "GCP load balancer")

    def _identity(
        self, value: Mapping[str, str | None], proxy_verified: bool | None
    ) -> ClientCertificate:
        fields = self._fields(value, proxy_verified)
        leaf, chain = value["cert"], value["chain"]
        if leaf is None:
            if chain is not None:
                raise CertificateError("malformed", "GCP client_cert_chain without a leaf")
            return fields
        cert = ClientCertificate.from_der(
            parse_byte_sequence(leaf, "GCP client_cert_leaf"),
            chain=tuple(
                () if chain is None else parse_byte_sequence_list(chain, "GCP client_cert_chain")
            ),
            proxy_verified=proxy_verified,
            source=self.name,
        )
        check_same_certificate(cert, fields, "GCP load balancer")
        return cert

    def _fields(
        self, value: Mapping[str, str | None], proxy_verified: bool | None
    ) -> ClientCertificate:
        """The forwarded variables as a field-only identity."""
        uris = [] if value["spiffe"] is None else [value["spiffe"]]
        uris.extend(_optional(value["uris"], _uri_sans) or ())
        return ClientCertificate.from_fields(
            subject=_optional(value["subject"], _subject_dn) or "",
            issuer=_optional(value["issuer"], _issuer_dn) or "",
            serial=_optional(value["serial"], _serial),
            sha256=_optional(value["sha256"], _fingerprint),
            not_before=_optional(value["not_before"], _not_before),
            not_after=_optional(value["not_after"], _not_after),
            uris=tuple(uris),
            dns_names=_optional(value["dns"], _dns_sans) or (),
            proxy_verified=proxy_verified,
            source=self.name,
        )
