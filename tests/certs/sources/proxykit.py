"""Shared helpers for the nginx/HAProxy/Apache/Caddy/Traefik/WSGI/ASGI source tests.

Certificates come from the session ``pki`` (real keys, real signatures). DN strings and
serials that a proxy would print are produced by the real ``openssl`` binary with the same
name options nginx and mod_ssl use, never typed by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from mtlsguard.certs import REASONS, CertificateError, ClientCertificate
from mtlsguard.devserver.pki import IssuedCertificate, TestPKI

#: 20 content bytes in DER: the largest serial size RFC 5280 allows (cryptography caps at 159 bits).
SERIAL_20_BYTES = (1 << 158) + 12345

#: Commas, quotes, ``+``, ``;``, ``=``, ``#``, a trailing space, non-ASCII, a multi-valued RDN
#: and an emailAddress attribute: everything that breaks DN string splitting.
TRICKY_SUBJECT = x509.Name(
    [
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE")]),
        x509.RelativeDistinguishedName(
            [x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'Müller, "Quoted" & Söhne; Ltd.')]
        ),
        x509.RelativeDistinguishedName(
            [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "R+D / Ops=1")]
        ),
        x509.RelativeDistinguishedName(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, "Jürgen #1 "),
                x509.NameAttribute(NameOID.USER_ID, "jm"),
            ]
        ),
        x509.RelativeDistinguishedName(
            [x509.NameAttribute(NameOID.EMAIL_ADDRESS, "jm@example.com")]
        ),
    ]
)

SPIFFE_ID = "spiffe://example.com/ns/billing/sa/j%C3%BCrgen"


@dataclass(frozen=True)
class Kit:
    """The certificates the source tests use."""

    tricky: IssuedCertificate
    """Tricky subject, 20-byte serial, SPIFFE + email SANs, issued by the intermediate."""
    client: IssuedCertificate
    """The PKI's ordinary client (chains through the intermediate)."""
    other: IssuedCertificate
    """A second identity, for "two different certificates" cases."""
    expired: IssuedCertificate
    """An expired client certificate (what a proxy reports as a failed verification)."""


_KITS: dict[int, Kit] = {}


def kit(pki: TestPKI) -> Kit:
    """The certificates for ``pki``, issued once per session."""
    key = id(pki)
    if key not in _KITS:
        tricky = pki.intermediate.issue(
            TRICKY_SUBJECT,
            serial=SERIAL_20_BYTES,
            emails=["jm@example.com"],
            uris=[SPIFFE_ID, "https://example.com/users/jm"],
            dns_names=["jm.clients.example.com"],
        )
        _KITS[key] = Kit(
            tricky=tricky, client=pki.client, other=pki.other_client, expired=pki.expired
        )
    return _KITS[key]


def pem(cert: x509.Certificate) -> str:
    """PEM text of ``cert`` (with its real line breaks)."""
    return cert.public_bytes(Encoding.PEM).decode("ascii")


def der(cert: x509.Certificate) -> bytes:
    """DER bytes of ``cert``."""
    return cert.public_bytes(Encoding.DER)


@dataclass(frozen=True)
class OpenSslFields:
    """What OpenSSL prints for a certificate, as nginx / mod_ssl forward it."""

    subject: str
    issuer: str
    serial: str
    """Upper-case hex, as ``$ssl_client_serial`` and ``SSL_CLIENT_M_SERIAL``."""


def openssl_fields(cert: x509.Certificate, nameopt: str = "RFC2253") -> OpenSslFields:
    """Run ``openssl x509`` on ``cert`` with ``-nameopt nameopt``.

    ``RFC2253`` is nginx ``$ssl_client_s_dn`` (X509_NAME_print_ex with XN_FLAG_RFC2253) and
    mod_ssl's default ``SSL_CLIENT_S_DN``.
    """
    binary = shutil.which("openssl")
    assert binary, "the openssl binary is required to print DNs the way proxies do"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cert.pem"
        path.write_text(pem(cert))
        out = subprocess.run(
            [
                binary,
                "x509",
                "-in",
                str(path),
                "-noout",
                "-subject",
                "-issuer",
                "-serial",
                *("-nameopt", nameopt),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    fields = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return OpenSslFields(
        subject=fields["subject"], issuer=fields["issuer"], serial=fields["serial"]
    )


def assert_identity(
    identity: ClientCertificate | None,
    cert: x509.Certificate,
    *,
    chain: tuple[x509.Certificate, ...] = (),
    proxy_verified: bool | None,
    source: str,
) -> None:
    """Assert that ``identity`` describes ``cert``, every value computed independently."""
    assert identity is not None
    raw = der(cert)
    assert identity.der == raw
    assert identity.sha256 == hashlib.sha256(raw).hexdigest()
    assert identity.serial == cert.serial_number
    assert identity.subject == cert.subject.rfc4514_string()
    assert identity.issuer == cert.issuer.rfc4514_string()
    assert identity.not_after == cert.not_valid_after_utc
    assert identity.not_before == cert.not_valid_before_utc
    assert identity.not_after.tzinfo is not None
    assert identity.chain == tuple(der(c) for c in chain)
    assert identity.proxy_verified is proxy_verified
    assert identity.source == source
    assert not identity.fields_only


def assert_tricky_details(identity: ClientCertificate | None) -> None:
    """SAN- and subject-derived attributes of the tricky certificate."""
    assert identity is not None
    assert identity.spiffe_id == SPIFFE_ID
    assert "https://example.com/users/jm" in identity.uris
    assert identity.emails[0] == "jm@example.com"
    assert identity.dns_names == ("jm.clients.example.com",)
    assert identity.common_name == "Jürgen #1 "
    assert identity.serial == SERIAL_20_BYTES
    assert len(identity.serial.to_bytes(20, "big")) == 20


def environ_from_headers(headers: dict[str, str]) -> dict[str, str]:
    """CGI-style ``HTTP_*`` environ keys for ``headers``, as a WSGI server builds them."""
    return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}


def utc(ts: int) -> dt.datetime:
    """An aware UTC datetime from a Unix timestamp."""
    return dt.datetime.fromtimestamp(ts, dt.UTC)


def san_values(cert: x509.Certificate, kind: type[x509.GeneralName]) -> list[str]:
    """The SANs of one type (``x509.DNSName``, ``x509.UniformResourceIdentifier``...), in order."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [str(v) for v in ext.value.get_values_for_type(kind)]  # type: ignore[arg-type]


def assert_fields_identity(
    identity: ClientCertificate | None, cert: x509.Certificate, *, proxy_verified: bool | None
) -> None:
    """Assert a field-only identity carrying ``cert``'s fingerprint, serial, DNs and validity."""
    assert identity is not None
    assert identity.fields_only
    assert identity.der is None
    assert identity.pem is None
    assert identity.sha256 == hashlib.sha256(der(cert)).hexdigest()
    assert identity.serial == cert.serial_number
    assert identity.subject == cert.subject.rfc4514_string()
    assert identity.issuer == cert.issuer.rfc4514_string()
    assert identity.not_before == cert.not_valid_before_utc
    assert identity.not_after == cert.not_valid_after_utc
    assert identity.proxy_verified is proxy_verified


def outcome(call: Callable[[], object]) -> object:
    """What ``call`` returned, or the ``CertificateError`` it raised (anything else propagates)."""
    try:
        return call()
    except CertificateError as exc:
        return exc


def assert_total(call: Callable[[], object]) -> None:
    """``call`` returns an identity or ``None``, or raises a ``CertificateError`` with a known
    reason and a message; nothing else (the contract every source's ``parse`` keeps)."""
    result = outcome(call)
    if isinstance(result, CertificateError):
        assert result.reason in REASONS
        assert str(result)
    else:
        assert result is None or isinstance(result, ClientCertificate)
