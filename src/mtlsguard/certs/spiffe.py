"""SPIFFE X.509-SVIDs: the one SPIFFE ID of a certificate, and which CA may issue it.

The SPIFFE X.509-SVID specification (§2) says an SVID holds *exactly one* URI SAN, the
SPIFFE ID; a certificate with several URI SANs is not an SVID, and picking "the first
``spiffe://`` one" lets a CA that may issue *some* URI choose which one an application reads.
A SPIFFE ID is ``spiffe://<trust domain><path>``: a lower-case trust domain of letters,
digits, ``.``, ``-`` and ``_``, and path segments of letters, digits, ``.``, ``-`` and ``_``
(no empty, ``.`` or ``..`` segments, no query, fragment, port or user info).

A trust domain is bound to its CA (:func:`issued_by`): a bundle that trusts several CAs
must not let each of them mint IDs of every trust domain.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from mtlsguard.certs.model import ClientCertificate

__all__ = ["SpiffeId", "ca_matches", "issued_by", "parse_spiffe_id", "svid_id"]

_SPIFFE_ID: Final = re.compile(r"spiffe://([a-z0-9._-]{1,255})((?:/[A-Za-z0-9._-]+)*)")
_HEX64: Final = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class SpiffeId:
    """A syntactically valid SPIFFE ID."""

    uri: str
    """The whole ID, as in the certificate."""
    trust_domain: str
    """The trust domain (``example.org``)."""
    path: str
    """The path, ``""`` or starting with ``/``."""


def parse_spiffe_id(uri: str) -> SpiffeId | None:
    """``uri`` as a :class:`SpiffeId`, or ``None`` when it is not a valid SPIFFE ID."""
    match = _SPIFFE_ID.fullmatch(uri)
    if match is None:
        return None
    path = match.group(2)
    if any(segment in (".", "..") for segment in path.split("/")[1:]):
        return None
    return SpiffeId(uri, match.group(1), path)


def svid_id(cert: ClientCertificate) -> SpiffeId | None:
    """The SPIFFE ID of ``cert`` if it is shaped like an X.509-SVID, else ``None``.

    That is: exactly one URI SAN, and it is a valid SPIFFE ID.
    """
    uris = cert.uris
    if len(uris) != 1:
        return None
    return parse_spiffe_id(uris[0])


def ca_matches(ca: x509.Certificate, reference: str) -> bool:
    """Whether ``reference`` names ``ca``.

    A reference is the CA's SHA-256 fingerprint (hex, colons allowed), its subject DN (RFC
    4514, exactly as ``cryptography`` renders it) or its subject CN.
    """
    fingerprint = reference.replace(":", "").strip().lower()
    if _HEX64.fullmatch(fingerprint):
        return hashlib.sha256(ca.public_bytes(Encoding.DER)).hexdigest() == fingerprint
    try:
        subject = ca.subject
        if subject.rfc4514_string() == reference:
            return True
        return any(
            a.value == reference for a in subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        )
    except ValueError:
        return False


def issued_by(chain: Iterable[x509.Certificate], references: Iterable[str]) -> bool:
    """Whether a CA of the verified ``chain`` matches one of ``references``.

    ``chain`` is leaf first; the leaf itself is skipped. See :func:`ca_matches`.
    """
    cas = list(chain)[1:]
    return any(ca_matches(ca, ref) for ca in cas for ref in references)
