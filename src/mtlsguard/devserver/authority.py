"""Certificate authorities in memory: keys, names, issuing leaves and CRLs.

The building blocks of :class:`~mtlsguard.devserver.pki.TestPKI` (the tests' PKI) and
:class:`~mtlsguard.devserver.localca.LocalCA` (``mtlsguard pki``). Nothing here is meant for
production trust: keys are generated on the fly and written unencrypted when asked to.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "CertificateAuthority",
    "IssuedCertificate",
    "KeyType",
    "PrivateKey",
    "load_private_key",
    "name",
    "utc_now",
]

KeyType = Literal["ec", "rsa"]
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def utc_now() -> dt.datetime:
    """The current time in UTC, to the second (certificates carry no microseconds)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _new_key(key_type: KeyType, rsa_bits: int = 2048) -> PrivateKey:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    return ec.generate_private_key(ec.SECP256R1())


def load_private_key(pem: bytes) -> PrivateKey:
    """Load an unencrypted PEM private key of a type this PKI issues (EC or RSA).

    :raises ValueError: if ``pem`` is not such a key.
    """
    key = load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError(f"unsupported private key type {type(key).__name__}")
    return key


def name(common_name: str, **attrs: str) -> x509.Name:
    """Build an ``x509.Name`` from a CN plus ``O=``, ``OU=``, ``C=``, ``L=``, ``ST=`` attributes.

    Attributes come out most-general first (C, ST, L, O, OU, CN), as CAs usually issue them.
    """
    order = [
        ("C", NameOID.COUNTRY_NAME),
        ("ST", NameOID.STATE_OR_PROVINCE_NAME),
        ("L", NameOID.LOCALITY_NAME),
        ("O", NameOID.ORGANIZATION_NAME),
        ("OU", NameOID.ORGANIZATIONAL_UNIT_NAME),
    ]
    rdns = [x509.NameAttribute(oid, attrs[key]) for key, oid in order if key in attrs]
    rdns.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(rdns)


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate, its private key and the intermediates a peer needs (leaf excluded)."""

    cert: x509.Certificate
    key: PrivateKey
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def cert_pem(self) -> bytes:
        """The leaf as PEM."""
        return self.cert.public_bytes(Encoding.PEM)

    @property
    def der(self) -> bytes:
        """The leaf as DER."""
        return self.cert.public_bytes(Encoding.DER)

    @property
    def chain_pem(self) -> bytes:
        """Leaf followed by intermediates, as one PEM bundle (what TLS servers want)."""
        return self.cert_pem + b"".join(c.public_bytes(Encoding.PEM) for c in self.chain)

    @property
    def key_pem(self) -> bytes:
        """Unencrypted PKCS#8 PEM of the private key."""
        return self.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())

    def write(self, directory: Path, stem: str) -> tuple[Path, Path]:
        """Write ``stem.pem`` (leaf + chain) and ``stem.key`` (mode 0600); return their paths."""
        directory.mkdir(parents=True, exist_ok=True)
        cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
        cert_path.write_bytes(self.chain_pem)
        key_path.touch(mode=0o600)
        key_path.write_bytes(self.key_pem)
        return cert_path, key_path


@dataclass
class CertificateAuthority:
    """A CA that issues client/server certificates and CRLs."""

    cert: x509.Certificate
    key: PrivateKey
    chain: tuple[x509.Certificate, ...] = ()
    """Intermediates above this CA, excluding the root (empty for a root)."""
    revoked: dict[int, dt.datetime] = field(default_factory=dict)
    """Serial numbers revoked by :meth:`revoke`, with their revocation time."""

    @classmethod
    def from_pem(
        cls, cert_pem: bytes, key_pem: bytes, chain_pem: bytes = b""
    ) -> CertificateAuthority:
        """Load a CA saved earlier: its certificate, unencrypted key and intermediates above it.

        :raises ValueError: if a PEM cannot be loaded or the key does not match the certificate.
        """
        cert = x509.load_pem_x509_certificate(cert_pem)
        key = load_private_key(key_pem)
        if cert.public_key() != key.public_key():
            raise ValueError("the private key does not belong to the CA certificate")
        chain = tuple(x509.load_pem_x509_certificates(chain_pem)) if chain_pem.strip() else ()
        return cls(cert=cert, key=key, chain=chain)

    @classmethod
    def root(
        cls,
        subject: x509.Name | str = "mtlsguard Test Root CA",
        *,
        key_type: KeyType = "ec",
        days: int = 3650,
    ) -> CertificateAuthority:
        """Create a self-signed root CA."""
        subject_name = name(subject, O="mtlsguard test") if isinstance(subject, str) else subject
        key = _new_key(key_type)
        now = utc_now()
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject_name)
            .issuer_name(subject_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=days))
        )
        builder = _ca_extensions(builder, key, key, path_length=1)
        return cls(cert=builder.sign(key, hashes.SHA256()), key=key)

    def intermediate(
        self,
        subject: x509.Name | str = "mtlsguard Test Intermediate CA",
        *,
        key_type: KeyType = "ec",
    ) -> CertificateAuthority:
        """Create an intermediate CA signed by this CA."""
        subject_name = name(subject, O="mtlsguard test") if isinstance(subject, str) else subject
        key = _new_key(key_type)
        now = utc_now()
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject_name)
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1825))
        )
        builder = _ca_extensions(builder, key, self.key, path_length=0)
        cert = builder.sign(self.key, hashes.SHA256())
        return CertificateAuthority(cert=cert, key=key, chain=self._chain_for_leaf())

    def issue(
        self,
        subject: x509.Name | str,
        *,
        emails: Iterable[str] = (),
        dns_names: Iterable[str] = (),
        uris: Iterable[str] = (),
        ips: Iterable[str] = (),
        eku: Sequence[x509.ObjectIdentifier] | None = (ExtendedKeyUsageOID.CLIENT_AUTH,),
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        serial: int | None = None,
        key_type: KeyType = "ec",
        rsa_bits: int = 2048,
        key: PrivateKey | None = None,
    ) -> IssuedCertificate:
        """Issue an end-entity certificate.

        ``eku=None`` omits the extendedKeyUsage extension; the default is clientAuth only.
        Validity defaults to one day ago until 90 days from now.
        """
        subject_name = name(subject) if isinstance(subject, str) else subject
        key = key if key is not None else _new_key(key_type, rsa_bits)
        now = utc_now()
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject_name)
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(serial if serial is not None else x509.random_serial_number())
            .not_valid_before(not_before or now - dt.timedelta(days=1))
            .not_valid_after(not_after or now + dt.timedelta(days=90))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=isinstance(key, rsa.RSAPrivateKey),
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        general_names: list[x509.GeneralName] = [x509.RFC822Name(e) for e in emails]
        general_names += [x509.DNSName(d) for d in dns_names]
        general_names += [x509.UniformResourceIdentifier(u) for u in uris]
        general_names += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        if general_names:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(general_names), critical=False
            )
        if eku is not None:
            builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        return IssuedCertificate(cert=cert, key=key, chain=self._chain_for_leaf())

    def issue_server(
        self,
        hosts: Sequence[str] = ("localhost", "127.0.0.1"),
        *,
        not_after: dt.datetime | None = None,
    ) -> IssuedCertificate:
        """Issue a TLS server certificate for ``hosts`` (DNS names and IP addresses)."""
        dns, ips = [], []
        for host in hosts:
            try:
                ipaddress.ip_address(host)
            except ValueError:
                dns.append(host)
            else:
                ips.append(host)
        return self.issue(
            hosts[0],
            dns_names=dns,
            ips=ips,
            eku=(ExtendedKeyUsageOID.SERVER_AUTH,),
            not_after=not_after,
        )

    def revoke(self, cert: x509.Certificate, when: dt.datetime | None = None) -> None:
        """Mark ``cert`` revoked; it appears in the next :meth:`crl`."""
        self.revoked[cert.serial_number] = when or utc_now() - dt.timedelta(minutes=1)

    def crl(
        self,
        *,
        last_update: dt.datetime | None = None,
        next_update: dt.datetime | None = None,
        number: int | None = None,
    ) -> x509.CertificateRevocationList:
        """Sign a CRL listing every serial passed to :meth:`revoke`.

        ``number`` is the CRLNumber (it must grow with every CRL a CA publishes); the default
        derives it from the number of revocations, which is enough for one-off test CRLs.
        """
        now = utc_now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(last_update or now - dt.timedelta(minutes=5))
            .next_update(next_update or now + dt.timedelta(days=7))
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.CRLNumber(number if number is not None else len(self.revoked) + 1),
                critical=False,
            )
        )
        for serial, when in sorted(self.revoked.items()):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
            )
        return builder.sign(self.key, hashes.SHA256())

    def _chain_for_leaf(self) -> tuple[x509.Certificate, ...]:
        # A leaf needs this CA (unless it is the root) and everything above it except the root.
        if self.cert.issuer == self.cert.subject:
            return ()
        return (self.cert, *self.chain)


def _ca_extensions(
    builder: x509.CertificateBuilder, key: PrivateKey, issuer_key: PrivateKey, *, path_length: int
) -> x509.CertificateBuilder:
    return (
        builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=path_length), critical=True
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
