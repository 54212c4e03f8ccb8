"""The client certificate a request presented, and what a verification made of it.

:class:`ClientCertificate` is what extraction yields; :class:`VerifiedCertificate` is what
:func:`~mtlsguard.certs.verify` returns. Both are plain values: the policy, the verifier and
its cache all refer to them, so they live below all three. (``CertificateError`` lives in
:mod:`mtlsguard.certs.errors`; it is re-exported here for older imports.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from mtlsguard.certs.dn import parse_dn
from mtlsguard.certs.errors import REASONS, CertificateError

__all__ = ["REASONS", "CertificateError", "ClientCertificate", "VerifiedCertificate"]


def _attr_values(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(attr.value) for attr in name.get_attributes_for_oid(oid)]


@dataclass(frozen=True, slots=True)
class _Names:
    """The textual identity of a certificate: DNs and SANs."""

    subject: str = ""
    issuer: str = ""
    common_name: str | None = None
    emails: tuple[str, ...] = ()
    dns_names: tuple[str, ...] = ()
    uris: tuple[str, ...] = ()

    @classmethod
    def of(cls, cert: x509.Certificate) -> _Names:
        """Decode ``cert``'s names; undecodable parts come out empty (never an exception).

        Every exception class is caught, not only ``ValueError``: ``cryptography`` raises
        others for inputs it cannot represent (``UnsupportedGeneralNameType`` for an
        x400Address or ediPartyName SAN), and a client's certificate must never turn reading
        its names (an audit record, an error message) into a crash.
        """
        try:
            subject = cert.subject
            subject_text = subject.rfc4514_string()
            emails_in_subject = _attr_values(subject, NameOID.EMAIL_ADDRESS)
            cns = _attr_values(subject, NameOID.COMMON_NAME)
        except Exception:  # any decoding failure: see the docstring
            subject_text, emails_in_subject, cns = "", [], []
        try:
            issuer = cert.issuer.rfc4514_string()
        except Exception:
            issuer = ""
        emails: list[str] = []
        dns: list[str] = []
        uris: list[str] = []
        san: x509.SubjectAlternativeName | None
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except Exception:  # none, duplicate or undecodable: no SAN-derived identity
            san = None
        if san is not None:
            emails.extend(san.get_values_for_type(x509.RFC822Name))
            dns.extend(san.get_values_for_type(x509.DNSName))
            uris.extend(san.get_values_for_type(x509.UniformResourceIdentifier))
        emails.extend(emails_in_subject)
        return cls(
            subject=subject_text,
            issuer=issuer,
            common_name=cns[-1] if cns else None,
            emails=tuple(emails),
            dns_names=tuple(dns),
            uris=tuple(uris),
        )


@dataclass(frozen=True, slots=True)
class ClientCertificate:
    """What a request presented: the certificate itself, or only the fields a proxy forwarded.

    Build one with :meth:`from_der` (the usual case) or :meth:`from_fields` (proxies that
    forward only DN/serial/fingerprint; then ``der`` is ``None`` and a verification policy
    refuses it with reason ``fields_only`` unless it explicitly allows field-only identities).

    The names (``subject``, ``issuer``, ``common_name``, ``emails``, ``dns_names``, ``uris``)
    of a full certificate are decoded on first access and then kept: most requests only
    need the fingerprint, and decoding names is the costliest part of describing a
    certificate. Names that cannot be decoded read as empty, so they can never match an
    identity mapping; they never raise.
    """

    der: bytes | None
    """DER encoding of the leaf certificate, or ``None`` for a field-only identity."""
    sha256: str | None
    """Lower-case hex SHA-256 of ``der`` (RFC 8705 ``x5t#S256`` before base64url)."""
    serial: int | None
    """Serial number as an integer (20-byte serials included)."""
    not_before: dt.datetime | None
    """Start of validity, timezone-aware UTC."""
    not_after: dt.datetime | None
    """End of validity, timezone-aware UTC."""
    chain: tuple[bytes, ...] = ()
    """DER of the intermediates forwarded with the leaf (leaf excluded), nearest first."""
    proxy_verified: bool | None = None
    """What the proxy said about its own verification: True, False, or None if it said nothing."""
    source: str = ""
    """The source name this identity was extracted from (``"nginx"``, ``"envoy"``...)."""
    _given_names: _Names | None = field(default=None, repr=False)
    _certificate: x509.Certificate | None = field(default=None, repr=False, compare=False)
    _decoded: list[_Names] = field(
        default_factory=list, init=False, repr=False, compare=False, hash=False
    )
    # The parsed leaf and intermediates, set only by the constructors below when they are
    # known to be the certificates of ``der`` and ``chain`` (and the dates were read from that
    # leaf), so verify() need not parse them again. ``init=False``: ``dataclasses.replace()``
    # and direct construction leave it ``None``, and verify() then parses ``der`` itself.
    _parsed: tuple[x509.Certificate, tuple[x509.Certificate, ...]] | None = field(
        default=None, init=False, repr=False, compare=False, hash=False
    )

    def __repr__(self) -> str:
        return (
            f"ClientCertificate(subject={self.subject!r}, issuer={self.issuer!r}, "
            f"serial={self.serial!r}, sha256={self.sha256!r}, source={self.source!r}, "
            f"proxy_verified={self.proxy_verified!r}, fields_only={self.fields_only!r})"
        )

    @property
    def _names(self) -> _Names:
        if self._given_names is not None:
            return self._given_names
        if not self._decoded:
            cert = self._certificate
            # A benign race: two threads may both decode; either result is the same.
            self._decoded.append(_Names.of(cert) if cert is not None else _Names())
        return self._decoded[0]

    @property
    def subject(self) -> str:
        """Subject DN, RFC 4514 (most specific RDN first, as ``cryptography`` renders it)."""
        return self._names.subject

    @property
    def issuer(self) -> str:
        """Issuer DN as an RFC 4514 string."""
        return self._names.issuer

    @property
    def common_name(self) -> str | None:
        """The subject's last commonName, if any."""
        return self._names.common_name

    @property
    def emails(self) -> tuple[str, ...]:
        """The rfc822Name SANs, then emailAddress attributes of the subject."""
        return self._names.emails

    @property
    def dns_names(self) -> tuple[str, ...]:
        """The dNSName SANs."""
        return self._names.dns_names

    @property
    def uris(self) -> tuple[str, ...]:
        """The uniformResourceIdentifier SANs."""
        return self._names.uris

    @property
    def spiffe_id(self) -> str | None:
        """The first ``spiffe://`` URI SAN, if any."""
        for uri in self.uris:
            if uri.lower().startswith("spiffe://"):
                return uri
        return None

    @property
    def pem(self) -> str | None:
        """PEM encoding of the leaf, or ``None`` for a field-only identity."""
        cert = self.certificate
        return None if cert is None else cert.public_bytes(Encoding.PEM).decode("ascii")

    @property
    def certificate(self) -> x509.Certificate | None:
        """The parsed ``cryptography`` certificate, or ``None`` for a field-only identity."""
        return self._certificate

    @property
    def fields_only(self) -> bool:
        """True when the proxy forwarded fields but not the certificate."""
        return self.der is None

    @classmethod
    def from_certificate(
        cls,
        cert: x509.Certificate,
        *,
        chain: tuple[x509.Certificate, ...] = (),
        proxy_verified: bool | None = None,
        source: str = "",
        der: bytes | None = None,
        chain_der: tuple[bytes, ...] | None = None,
    ) -> ClientCertificate:
        """Describe a parsed certificate.

        ``der`` and ``chain_der``, when the caller already holds them, are the encodings of
        ``cert`` and ``chain`` (saves re-encoding on the first-sight path).

        :raises CertificateError: ``malformed`` if the serial or validity cannot be decoded.
        """
        consistent = der is None and chain_der is None  # encodings computed here
        try:
            der = der if der is not None else cert.public_bytes(Encoding.DER)
            identity = cls(
                der=der,
                sha256=hashlib.sha256(der).hexdigest(),
                serial=cert.serial_number,
                not_before=cert.not_valid_before_utc,
                not_after=cert.not_valid_after_utc,
                chain=(
                    chain_der
                    if chain_der is not None
                    else tuple(c.public_bytes(Encoding.DER) for c in chain)
                ),
                proxy_verified=proxy_verified,
                source=source,
                _certificate=cert,
            )
        except (ValueError, TypeError, UnicodeError) as exc:
            raise CertificateError(
                "malformed", f"certificate fields cannot be decoded: {exc}"
            ) from exc
        if consistent:
            object.__setattr__(identity, "_parsed", (cert, chain))
        return identity

    @classmethod
    def _from_parsed(
        cls,
        cert: x509.Certificate,
        der: bytes,
        chain: tuple[x509.Certificate, ...],
        chain_der: tuple[bytes, ...],
        *,
        proxy_verified: bool | None,
        source: str,
    ) -> ClientCertificate:
        """:meth:`from_certificate` for certificates parsed from exactly ``der``/``chain_der``.

        Only for callers that parsed each certificate from the given DER themselves: the
        parsed objects are then kept for :func:`~mtlsguard.certs.verify`.
        """
        identity = cls.from_certificate(
            cert,
            chain=chain,
            proxy_verified=proxy_verified,
            source=source,
            der=der,
            chain_der=chain_der,
        )
        object.__setattr__(identity, "_parsed", (cert, chain))
        return identity

    @classmethod
    def from_der(
        cls,
        der: bytes,
        *,
        chain: tuple[bytes, ...] = (),
        proxy_verified: bool | None = None,
        source: str = "",
    ) -> ClientCertificate:
        """Parse a DER leaf (and DER intermediates).

        :raises CertificateError: ``malformed`` if any of them is not a valid certificate.
        """
        try:
            leaf = x509.load_der_x509_certificate(der)
            parsed_chain = tuple(x509.load_der_x509_certificate(c) for c in chain)
        # x509.InvalidVersion (a bad version field) is not a ValueError.
        except (ValueError, TypeError, x509.InvalidVersion) as exc:
            raise CertificateError("malformed", f"not a DER X.509 certificate: {exc}") from exc
        return cls._from_parsed(
            leaf, der, parsed_chain, tuple(chain), proxy_verified=proxy_verified, source=source
        )

    @classmethod
    def from_fields(
        cls,
        *,
        subject: str,
        issuer: str = "",
        serial: int | None = None,
        sha256: str | None = None,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        emails: tuple[str, ...] = (),
        dns_names: tuple[str, ...] = (),
        uris: tuple[str, ...] = (),
        proxy_verified: bool | None = None,
        source: str = "",
    ) -> ClientCertificate:
        """Describe a field-only identity (``der`` is ``None``).

        ``subject`` and ``issuer`` must already be RFC 4514 strings (see
        :func:`mtlsguard.certs.dn.parse_dn`).

        :raises CertificateError: ``malformed`` if ``subject`` is not a DN.
        """
        cn: str | None = None
        # Read the CN back out of the RFC 4514 string with the real parser, never by splitting.
        if subject:
            cns = _attr_values(parse_dn(subject), NameOID.COMMON_NAME)
            cn = cns[-1] if cns else None
        return cls(
            der=None,
            sha256=sha256.lower() if sha256 else None,
            serial=serial,
            not_before=not_before,
            not_after=not_after,
            proxy_verified=proxy_verified,
            source=source,
            _given_names=_Names(
                subject=subject,
                issuer=issuer,
                common_name=cn,
                emails=emails,
                dns_names=dns_names,
                uris=uris,
            ),
        )


@dataclass(frozen=True, slots=True)
class VerifiedCertificate:
    """A client certificate that passed a :class:`~mtlsguard.certs.VerificationPolicy`."""

    certificate: ClientCertificate
    """The identity as extracted (subject, SANs, fingerprint...)."""
    chain: tuple[x509.Certificate, ...]
    """The verified path, leaf first, trust anchor last; empty for an allowed field-only
    identity."""
    expires_at: dt.datetime
    """When this result stops being valid: re-verify after it (the cache does so itself)."""
    revocation_checked: bool = False
    """True when a current CRL vouched for every certificate the policy checks."""

    def __repr__(self) -> str:
        return (
            f"VerifiedCertificate(subject={self.subject!r}, sha256={self.sha256!r}, "
            f"chain_length={len(self.chain)}, expires_at={self.expires_at.isoformat()!r}, "
            f"revocation_checked={self.revocation_checked})"
        )

    @property
    def sha256(self) -> str | None:
        """The leaf's hex SHA-256 fingerprint."""
        return self.certificate.sha256

    @property
    def subject(self) -> str:
        """The leaf's subject DN (RFC 4514)."""
        return self.certificate.subject

    @property
    def trust_anchor(self) -> x509.Certificate | None:
        """The CA certificate the chain ended at (``None`` for a field-only identity)."""
        return self.chain[-1] if self.chain else None
