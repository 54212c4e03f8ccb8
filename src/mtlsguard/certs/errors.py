"""The one error type of ``mtlsguard.certs`` and its stable reason codes.

Every module of the package raises :class:`CertificateError`, and the lowest of them (the DN
parser) needs it too, so it lives here, below everything else, rather than beside the
certificate model.
"""

from __future__ import annotations

from typing import Final

from cryptography import x509

__all__ = ["DECODING_ERRORS", "NO_EXTENSION", "REASONS", "CertificateError"]

#: Stable reason codes carried by :class:`CertificateError`. Callers (middleware, audit
#: logs, alerting) may rely on these strings; new codes are only ever added.
REASONS: Final = frozenset(
    {
        # extraction
        "malformed",  # the header/environ value could not be decoded or parsed
        "proxy_verification_failed",  # the proxy itself reported a failed verification
        "untrusted_proxy",  # forwarded-certificate headers arrived from an untrusted peer
        "ambiguous",  # several conflicting certificates were presented (e.g. duplicated headers)
        "unknown_source",  # extract() was asked for a source it does not know
        # verification
        "fields_only",  # the proxy forwarded fields (DN, serial) but not the certificate
        "expired",
        "not_yet_valid",
        "untrusted_issuer",
        "revoked",
        "revocation_unknown",  # no usable CRL for an issuer while revocation checking is required
        "bad_key_usage",  # no clientAuth EKU, or keyUsage forbids digitalSignature
        "weak_key",
        "not_pinned",  # fingerprint pinning is configured and this certificate is not pinned
        "invalid",  # any other path-validation failure
        "throttled",  # not verified: the client is over its failure limit (a reader's gate)
    }
)


class CertificateError(ValueError):
    """A client certificate could not be extracted or verified.

    ``reason`` is one of :data:`REASONS` and is stable across releases; ``str(error)`` is a
    human-readable explanation that never contains the full certificate.
    """

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:  # pragma: no cover - programming error
            raise AssertionError(f"unknown CertificateError reason {reason!r}")
        super().__init__(message)
        self.reason = reason

    def __repr__(self) -> str:
        return f"CertificateError(reason={self.reason!r}, message={str(self)!r})"


#: Every exception class ``cryptography`` is known to raise while decoding a certificate's
#: or a CRL's fields lazily: ``ValueError``, ``TypeError``, ``UnicodeError``,
#: ``InvalidVersion``, ``DuplicateExtension`` (an extension twice) and
#: ``UnsupportedGeneralNameType`` (an x400Address or ediPartyName SAN); the last three are
#: not ``ValueError``\ s. Each maps to ``malformed``; the verifier also turns any *other*
#: exception into ``malformed`` (logged), so a class added by a future ``cryptography``
#: cannot become a 500 either.
DECODING_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    UnicodeError,
    x509.InvalidVersion,
    x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
)

#: An extension that is absent, or present but undecodable (duplicate, malformed).
NO_EXTENSION: tuple[type[Exception], ...] = (x509.ExtensionNotFound, *DECODING_ERRORS)
