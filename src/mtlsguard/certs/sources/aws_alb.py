"""AWS Application Load Balancer mutual TLS headers.

Two listener modes, from the ELB user guide ("Mutual authentication with TLS"):

* **passthrough**: ``X-Amzn-Mtls-Clientcert`` holds the whole chain the client presented,
  leaf first, as URL-encoded PEM with ``+``, ``=`` and ``/`` left unescaped. The ALB does not
  verify it, so ``proxy_verified`` is ``None``.
* **verify**: the ALB validated the chain against its trust store (a failure ends the
  handshake, so no request carries a failed verdict) and sends
  ``X-Amzn-Mtls-Clientcert-Serial-Number`` (hex), ``-Issuer`` and ``-Subject`` (RFC 2253),
  ``-Validity`` (``NotBefore=2023-09-21T01:50:17Z;NotAfter=2024-09-20T01:50:17Z``) and
  ``-Leaf`` (URL-encoded PEM of the leaf, same escaping). ``proxy_verified`` is ``True``.

No header means no certificate. Both modes' headers at once is a forgery or a
misconfiguration and is refused as ``ambiguous``. Header names can be renamed on the
listener; pass ``names=`` to match.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar, Final

from mtlsguard.certs.dn import normalize_dn
from mtlsguard.certs.errors import CertificateError
from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.sources._decoding import (
    certificate_from_pem_bundle,
    load_pem_bundle,
    url_decoded,
)
from mtlsguard.certs.sources._fields import check_same_certificate, rfc3339_datetime
from mtlsguard.certs.sources._verdict import hex_serial, present
from mtlsguard.certs.sources.base import CertificateSource

__all__ = ["AwsAlbSource"]

_VALIDITY: Final = re.compile(r"NotBefore=(?P<before>[^;]+);\s*NotAfter=(?P<after>[^;]+)")
_VERIFY_ROLES: Final = ("serial", "issuer", "subject", "validity", "leaf")


class AwsAlbSource(CertificateSource):
    """AWS ALB ``X-Amzn-Mtls-Clientcert*`` (passthrough and verify modes)."""

    name = "aws-alb"
    default_names: ClassVar[Mapping[str, str]] = {
        "cert": "X-Amzn-Mtls-Clientcert",
        "serial": "X-Amzn-Mtls-Clientcert-Serial-Number",
        "issuer": "X-Amzn-Mtls-Clientcert-Issuer",
        "subject": "X-Amzn-Mtls-Clientcert-Subject",
        "validity": "X-Amzn-Mtls-Clientcert-Validity",
        "leaf": "X-Amzn-Mtls-Clientcert-Leaf",
    }

    def parse(self, values: Mapping[str, str | None], *, hops: int = 1) -> ClientCertificate | None:
        """Identity from the passthrough chain or the verify-mode headers.

        :raises CertificateError: ``malformed`` for undecodable values, ``ambiguous`` for
            both modes at once or verify-mode fields that disagree with the leaf.
        """
        chain = present(values.get("cert"))
        verify = {role: present(values.get(role)) for role in _VERIFY_ROLES}
        if chain is not None:
            if any(v is not None for v in verify.values()):
                raise CertificateError(
                    "ambiguous", "AWS ALB passthrough and verify-mode headers in one request"
                )
            text = url_decoded(chain, "X-Amzn-Mtls-Clientcert")
            return certificate_from_pem_bundle(
                text, "X-Amzn-Mtls-Clientcert", proxy_verified=None, source=self.name
            )
        if all(v is None for v in verify.values()):
            return None
        fields = self._fields(verify)
        leaf_text = verify["leaf"]
        if leaf_text is None:
            return fields
        leaf = load_pem_bundle(
            url_decoded(leaf_text, "X-Amzn-Mtls-Clientcert-Leaf"), "X-Amzn-Mtls-Clientcert-Leaf"
        )
        if len(leaf) != 1:
            raise CertificateError("malformed", "X-Amzn-Mtls-Clientcert-Leaf holds several PEMs")
        cert = ClientCertificate.from_certificate(leaf[0], proxy_verified=True, source=self.name)
        check_same_certificate(cert, fields, "AWS ALB")
        return cert

    def _fields(self, verify: Mapping[str, str | None]) -> ClientCertificate:
        """The verify-mode fields as a field-only identity (``proxy_verified`` True)."""
        subject, issuer, serial, validity = (
            verify["subject"],
            verify["issuer"],
            verify["serial"],
            verify["validity"],
        )
        not_before = not_after = None
        if validity is not None:
            match = _VALIDITY.fullmatch(validity)
            if match is None:
                raise CertificateError(
                    "malformed", "X-Amzn-Mtls-Clientcert-Validity is not NotBefore=...;NotAfter=..."
                )
            not_before = rfc3339_datetime(match["before"], "ALB NotBefore")
            not_after = rfc3339_datetime(match["after"], "ALB NotAfter")
        return ClientCertificate.from_fields(
            subject="" if subject is None else normalize_dn(subject),
            issuer="" if issuer is None else normalize_dn(issuer),
            serial=None if serial is None else hex_serial(serial, "ALB serial number"),
            not_before=not_before,
            not_after=not_after,
            proxy_verified=True,
            source=self.name,
        )
