"""Certificates and CRLs the throwaway PKI does not issue, built with ``cryptography``.

Constrained CAs, leaves with a chosen subject and raw extensions (an ediPartyName SAN), and
CRLs with scope extensions (delta, IssuingDistributionPoint, unknown critical ones).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mtlsguard.devserver.authority import _ca_extensions
from mtlsguard.devserver.pki import CertificateAuthority, IssuedCertificate

#: A SubjectAlternativeName holding one ediPartyName ([5] { partyName [1] UTF8String "abc" }),
#: which cryptography refuses to decode with ``UnsupportedGeneralNameType``.
EDI_PARTY_SAN = bytes.fromhex("3009a507a1050c03616263")
#: The same with an x400Address ([3], an empty ORAddress sequence body).
X400_SAN = bytes.fromhex("3004a3023000")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def constrained_intermediate(
    parent: CertificateAuthority,
    common_name: str,
    *,
    permitted: Sequence[x509.GeneralName] | None = None,
    excluded: Sequence[x509.GeneralName] | None = None,
) -> CertificateAuthority:
    """An intermediate CA of ``parent`` carrying a critical NameConstraints extension."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mtlsguard test"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(parent.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(days=1))
        .not_valid_after(_now() + dt.timedelta(days=365))
        .add_extension(
            x509.NameConstraints(
                permitted_subtrees=list(permitted) if permitted else None,
                excluded_subtrees=list(excluded) if excluded else None,
            ),
            critical=True,
        )
    )
    builder = _ca_extensions(builder, key, parent.key, path_length=0)
    cert = builder.sign(parent.key, hashes.SHA256())
    return CertificateAuthority(cert=cert, key=key, chain=parent._chain_for_leaf())


def leaf(
    ca: CertificateAuthority,
    subject: x509.Name,
    *,
    sans: Iterable[x509.GeneralName] = (),
    raw_san: bytes | None = None,
    extra: Iterable[x509.ExtensionType] = (),
) -> IssuedCertificate:
    """A clientAuth leaf of ``ca`` with exactly ``subject`` and the given SANs."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(hours=1))
        .not_valid_after(_now() + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    names = list(sans)
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if raw_san is not None:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(x509.oid.ExtensionOID.SUBJECT_ALTERNATIVE_NAME, raw_san),
            critical=False,
        )
    for extension in extra:
        builder = builder.add_extension(extension, critical=False)
    cert = builder.sign(ca.key, hashes.SHA256())  # type: ignore[arg-type]
    return IssuedCertificate(cert=cert, key=key, chain=ca._chain_for_leaf())


def subject(common_name: str, *, email: str | None = None, **attrs: str) -> x509.Name:
    """``CN=common_name`` (+ ``emailAddress``), most general attribute first as usual."""
    parts = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, attrs.get("O", "mtlsguard test"))]
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    if email is not None:
        parts.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return x509.Name(parts)


def scoped_crl(
    ca: CertificateAuthority,
    *,
    revoked: Iterable[int] = (),
    extensions: Iterable[tuple[x509.ExtensionType, bool]] = (),
    entry_extensions: Iterable[tuple[x509.ExtensionType, bool]] = (),
    next_update: dt.datetime | None = None,
) -> x509.CertificateRevocationList:
    """A current CRL of ``ca`` listing ``revoked``, with extra (critical?) extensions."""
    now = _now()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(now - dt.timedelta(minutes=5))
        .next_update(next_update or now + dt.timedelta(days=1))
        .add_extension(x509.CRLNumber(7), critical=False)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    for serial in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now)
        for extension, critical in entry_extensions:
            entry = entry.add_extension(extension, critical=critical)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(ca.key, hashes.SHA256())  # type: ignore[arg-type]


def idp(
    *,
    full_name: Sequence[x509.GeneralName] | None = None,
    only_user: bool = False,
    only_ca: bool = False,
    only_some_reasons: frozenset[x509.ReasonFlags] | None = None,
    indirect: bool = False,
    only_attribute: bool = False,
) -> tuple[x509.IssuingDistributionPoint, bool]:
    """An IssuingDistributionPoint (always critical, RFC 5280 §5.2.5)."""
    return (
        x509.IssuingDistributionPoint(
            full_name=list(full_name) if full_name else None,
            relative_name=None,
            only_contains_user_certs=only_user,
            only_contains_ca_certs=only_ca,
            only_some_reasons=only_some_reasons,
            indirect_crl=indirect,
            only_contains_attribute_certs=only_attribute,
        ),
        True,
    )
