"""RFC 9440 ``Client-Cert`` / ``Client-Cert-Chain``: DER certificates as structured fields.

``Client-Cert`` is an RFC 8941 Item whose value is a Byte Sequence (``:<base64 DER>:``);
``Client-Cert-Chain`` is a List of Byte Sequences (``:a:, :b:``), the intermediates in TLS
order, never the leaf. Neither carries parameters. Parsing follows RFC 8941 section 4.2
strictly, except that, as the RFC recommends, missing ``=`` padding is accepted.

RFC 9440 says nothing about the proxy's verification, so ``proxy_verified`` is ``None``
(Cloudflare, for one, fills these fields for certificates that failed validation).
The GCP and Cloudflare sources reuse :func:`parse_byte_sequence` and
:func:`parse_byte_sequence_list` for their RFC 9440-encoded variables.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import ClassVar, Final

from mtlsguard.certs.errors import CertificateError
from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.sources._decoding import b64_der, check_size
from mtlsguard.certs.sources._verdict import present
from mtlsguard.certs.sources.base import CertificateSource

__all__ = ["Rfc9440Source", "parse_byte_sequence", "parse_byte_sequence_list"]

#: RFC 8941 ``base64`` characters inside a Byte Sequence (section 3.3.5).
_BASE64: Final = frozenset(string.ascii_letters + string.digits + "+/=")
_OWS: Final = " \t"


def _consume_byte_sequence(text: str, pos: int, what: str) -> tuple[bytes, int]:
    """Parse one Byte Sequence starting at ``pos`` (RFC 8941 4.2.7); return it and the end."""
    if pos >= len(text) or text[pos] != ":":
        raise CertificateError("malformed", f"{what} is not a structured-field byte sequence")
    end = text.find(":", pos + 1)
    if end < 0:
        raise CertificateError("malformed", f"{what} byte sequence has no closing ':'")
    content = text[pos + 1 : end]
    if not set(content) <= _BASE64:
        raise CertificateError("malformed", f"{what} byte sequence holds non-base64 characters")
    if ";" in text[end + 1 : end + 2]:
        raise CertificateError("malformed", f"{what} carries parameters, which are not allowed")
    return b64_der(content, what), end + 1


def parse_byte_sequence(value: str, what: str) -> bytes:
    """Parse a field whose value is exactly one Byte Sequence without parameters.

    :raises CertificateError: ``ambiguous`` when the value is a list of several byte
        sequences (a repeated header joined with commas), ``malformed`` for anything else
        that is not ``:<base64>:``.
    """
    check_size(value, what)
    text = value.lstrip(" ")
    der, pos = _consume_byte_sequence(text, 0, what)
    rest = text[pos:]
    if rest.lstrip(_OWS).startswith(","):
        raise CertificateError("ambiguous", f"{what} holds several certificates")
    if rest.strip(" "):
        raise CertificateError("malformed", f"{what} has trailing characters")
    return der


def parse_byte_sequence_list(value: str, what: str) -> list[bytes]:
    """Parse an RFC 8941 List whose members are Byte Sequences without parameters.

    An empty (or all-space) value is the empty list.

    :raises CertificateError: ``malformed`` for any other member type, a parameter, a
        missing or trailing comma, or bad base64.
    """
    check_size(value, what)
    text = value.lstrip(" ")
    members: list[bytes] = []
    pos = 0
    while pos < len(text):
        der, pos = _consume_byte_sequence(text, pos, what)
        members.append(der)
        while pos < len(text) and text[pos] in _OWS:
            pos += 1
        if pos == len(text):
            break
        if text[pos] != ",":
            raise CertificateError("malformed", f"{what} list members must be comma-separated")
        pos += 1
        while pos < len(text) and text[pos] in _OWS:
            pos += 1
        if pos == len(text):
            raise CertificateError("malformed", f"{what} list ends with a comma")
    return members


class Rfc9440Source(CertificateSource):
    """``Client-Cert`` (leaf) and ``Client-Cert-Chain`` (intermediates), RFC 9440."""

    name = "rfc9440"
    default_names: ClassVar[Mapping[str, str]] = {
        "cert": "Client-Cert",
        "chain": "Client-Cert-Chain",
    }

    def parse(self, values: Mapping[str, str | None], *, hops: int = 1) -> ClientCertificate | None:
        """Decode the leaf and the chain; ``None`` when ``Client-Cert`` is absent or empty.

        :raises CertificateError: ``malformed`` for bad structured fields or DER, or a chain
            without a leaf; ``ambiguous`` for several leaves.
        """
        cert = present(values.get("cert"))
        chain = present(values.get("chain"))
        if cert is None:
            if chain is not None:
                raise CertificateError("malformed", "Client-Cert-Chain without Client-Cert")
            return None
        leaf = parse_byte_sequence(cert, "Client-Cert")
        intermediates = (
            () if chain is None else parse_byte_sequence_list(chain, "Client-Cert-Chain")
        )
        return ClientCertificate.from_der(leaf, chain=tuple(intermediates), source=self.name)
