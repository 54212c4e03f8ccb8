"""What a CRL covers: RFC 5280 §5.2.4 (delta CRLs), §5.2.5 (IssuingDistributionPoint), §5.3.

:class:`CrlScope` is read once per CRL (:class:`~mtlsguard.certs.crl.CrlRecord` keeps it) and
answers two questions for :func:`~mtlsguard.certs.crl.revocation_status`: does this CRL apply
to a certificate at all, and may its silence be read as "not revoked"?
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cryptography import x509

from mtlsguard.certs.errors import DECODING_ERRORS, NO_EXTENSION

__all__ = ["CrlScope", "removed_from_crl"]

#: CRL extensions this module understands (RFC 5280 §5.2); a critical one of any other type
#: makes the CRL unusable (§5.2: "MUST NOT use that CRL").
_KNOWN_CRL_EXTENSIONS: Final = (
    x509.AuthorityKeyIdentifier,
    x509.CRLNumber,
    x509.DeltaCRLIndicator,
    x509.IssuingDistributionPoint,
    x509.FreshestCRL,
    x509.AuthorityInformationAccess,
    x509.IssuerAlternativeName,
)
#: CRL entry extensions understood (§5.3); ``certificateIssuer`` marks an indirect CRL.
_KNOWN_ENTRY_EXTENSIONS: Final = (x509.CRLReason, x509.InvalidityDate)


@dataclass(frozen=True, slots=True)
class CrlScope:
    """Which certificates and reasons a CRL covers (RFC 5280 §5.2.4, §5.2.5, §5.3)."""

    unusable: str | None = None
    """Why the CRL must not be used at all (an unprocessed critical extension, an indirect
    CRL, attribute certificates only), or ``None``."""
    delta: bool = False
    """A delta CRL (DeltaCRLIndicator): it lists changes since a base CRL."""
    idp: x509.IssuingDistributionPoint | None = None
    """The IssuingDistributionPoint, if any."""

    @property
    def complete(self) -> bool:
        """Whether not being listed means "not revoked" (for the certificates it applies to).

        A delta CRL without its base, and a CRL for only some revocation reasons, are not.
        """
        return not self.delta and (self.idp is None or self.idp.only_some_reasons is None)

    @classmethod
    def of(cls, crl: x509.CertificateRevocationList) -> CrlScope:
        """Read the scope of ``crl``.

        :raises ValueError: when the extensions cannot be decoded.
        """
        delta = False
        idp: x509.IssuingDistributionPoint | None = None
        try:
            extensions = list(crl.extensions)
            entries = [list(entry.extensions) for entry in crl]
        except DECODING_ERRORS as exc:
            raise ValueError(f"CRL extensions cannot be decoded: {exc}") from exc
        for extension in extensions:
            value = extension.value
            if isinstance(value, x509.DeltaCRLIndicator):
                delta = True
            elif isinstance(value, x509.IssuingDistributionPoint):
                idp = value
            elif extension.critical and not isinstance(value, _KNOWN_CRL_EXTENSIONS):
                return cls(f"unprocessed critical CRL extension {extension.oid.dotted_string}")
        for entry in entries:
            for extension in entry:
                if isinstance(extension.value, x509.CertificateIssuer):
                    return cls("indirect CRL (certificateIssuer entries) not supported")
                if extension.critical and not isinstance(extension.value, _KNOWN_ENTRY_EXTENSIONS):
                    return cls(
                        f"unprocessed critical CRL entry extension {extension.oid.dotted_string}"
                    )
        if idp is not None and idp.indirect_crl:
            return cls("indirect CRL not supported")
        if idp is not None and idp.only_contains_attribute_certs:
            return cls("the CRL covers attribute certificates only")
        return cls(None, delta, idp)

    def applies_to(self, cert: x509.Certificate) -> bool:
        """Whether ``cert`` is inside this CRL's scope (its kind and its partition)."""
        idp = self.idp
        if idp is None:
            return True
        kind_limited = idp.only_contains_ca_certs or idp.only_contains_user_certs
        if kind_limited and _is_ca(cert) != idp.only_contains_ca_certs:
            return False
        if idp.full_name is None and idp.relative_name is None:
            return True
        # A partitioned CRL covers the certificates whose distribution point names it.
        for point in _distribution_points(cert):
            names = point.full_name
            if idp.full_name is not None and names is not None and set(idp.full_name) & set(names):
                return True
            if idp.relative_name is not None and point.relative_name == idp.relative_name:
                return True
        return False


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except NO_EXTENSION:
        return False


def _distribution_points(cert: x509.Certificate) -> list[x509.DistributionPoint]:
    try:
        return list(cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value)
    except NO_EXTENSION:
        return []


def removed_from_crl(entry: x509.RevokedCertificate) -> bool:
    """Whether a delta CRL's ``entry`` takes the certificate off the list (§5.3.1)."""
    try:
        reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except NO_EXTENSION:
        return False
    return reason is x509.ReasonFlags.remove_from_crl
