"""Forged forwarded-certificate headers, one set per proxy, built from a real certificate.

Each set is what that proxy would send for the certificate, encoded exactly as the proxy
encodes it (the same encodings :func:`mtlsguard.certs.extract` parses): nginx's URL-encoded
PEM and ``SUCCESS`` verdict, ingress-nginx's names, HAProxy's base64 DER with ``0``/``1``,
Apache mod_headers' space-joined PEM, Envoy's XFCC element with ``Hash``/``Cert``/``Subject``,
Traefik's armour-less base64 DER, the AWS ALB passthrough chain and RFC 9440's byte sequence.
An application that changes its answer when a client sends these believes client-controlled
headers.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

__all__ = ["ForgedHeaders", "forged_header_sets", "load_certificate_pem"]


@dataclass(frozen=True, slots=True)
class ForgedHeaders:
    """The headers one proxy would forward for a certificate."""

    proxy: str
    """Source name as :func:`mtlsguard.certs.extract` knows it (``nginx``, ``envoy`` ...)."""
    headers: tuple[tuple[str, str], ...]
    """Header name/value pairs."""
    sha256: str
    """Hex SHA-256 of the certificate they describe (for evidence instead of the value)."""


def load_certificate_pem(data: bytes) -> list[x509.Certificate]:
    """Certificates of a PEM file, leaf first.

    :raises ValueError: when ``data`` holds no PEM certificate.
    """
    certificates = x509.load_pem_x509_certificates(data)
    if not certificates:
        raise ValueError("no PEM certificate found")
    return certificates


def _xfcc_quote(value: str) -> str:
    # Envoy writes Subject quoted but not XFCC-escaped (RFC 2253 escaping already applies);
    # URL-encoded certificates and URIs hold no quote or backslash.
    return f'"{value}"'


def forged_header_sets(chain: Sequence[x509.Certificate]) -> list[ForgedHeaders]:
    """Every proxy's header set for ``chain`` (leaf first)."""
    leaf = chain[0]
    der = leaf.public_bytes(Encoding.DER)
    pem = leaf.public_bytes(Encoding.PEM).decode("ascii")
    chain_pem = "".join(c.public_bytes(Encoding.PEM).decode("ascii") for c in chain)
    b64 = base64.b64encode(der).decode("ascii")
    sha = hashlib.sha256(der).hexdigest()
    subject = leaf.subject.rfc4514_string()
    issuer = leaf.issuer.rfc4514_string()
    serial = format(leaf.serial_number, "X")
    escaped = quote(pem, safe="")
    xfcc = [f"Hash={sha}", f"Cert={_xfcc_quote(escaped)}", f"Subject={_xfcc_quote(subject)}"]
    try:
        sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        xfcc += [
            f"URI={_xfcc_quote(u)}"
            for u in sans.get_values_for_type(x509.UniformResourceIdentifier)
        ]
    except (x509.ExtensionNotFound, x509.DuplicateExtension, ValueError):
        pass
    sets: list[tuple[str, list[tuple[str, str]]]] = [
        (
            "nginx",
            [
                ("X-SSL-Client-Cert", escaped),
                ("X-SSL-Client-Verify", "SUCCESS"),
                ("X-SSL-Client-S-DN", subject),
                ("X-SSL-Client-I-DN", issuer),
                ("X-SSL-Client-Serial", serial),
            ],
        ),
        (
            "ingress-nginx",
            [
                ("ssl-client-cert", escaped),
                ("ssl-client-verify", "SUCCESS"),
                ("ssl-client-subject-dn", subject),
                ("ssl-client-issuer-dn", issuer),
            ],
        ),
        (
            "haproxy",
            [
                ("X-SSL-Client-Cert", b64),
                ("X-SSL-Client-Verify", "0"),
                ("X-SSL-Client-Used", "1"),
            ],
        ),
        (
            "apache",
            [
                ("X-SSL-Client-Cert", " ".join(pem.strip().splitlines())),
                ("X-SSL-Client-Verify", "SUCCESS"),
            ],
        ),
        ("envoy", [("X-Forwarded-Client-Cert", ";".join(xfcc))]),
        ("traefik", [("X-Forwarded-Tls-Client-Cert", b64)]),
        ("aws-alb", [("X-Amzn-Mtls-Clientcert", quote(chain_pem, safe="+=/"))]),
        ("rfc9440", [("Client-Cert", f":{b64}:")]),
    ]
    return [ForgedHeaders(proxy, tuple(headers), sha) for proxy, headers in sets]
