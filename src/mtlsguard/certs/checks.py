"""The checks :func:`~mtlsguard.certs.verify` makes on one certificate.

Before and after path building: pinning, validity window, key usage, key strength, and the
reading of a path builder's error. Each is a pure function of the certificate and the
policy's options that returns ``None`` or raises :class:`~mtlsguard.certs.CertificateError`
with its reason; the verifier (:mod:`mtlsguard.certs.verifier`) decides their order and
caches the results.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import VerificationError

from mtlsguard.certs.errors import CertificateError
from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.policy import VerificationPolicy

__all__ = [
    "check_key",
    "check_pin",
    "check_usage",
    "check_window",
    "parse_certificates",
    "path_error",
]


def check_pin(sha256: str | None, policy: VerificationPolicy) -> None:
    """Refuse a leaf whose fingerprint is not pinned, when the policy pins any.

    :raises CertificateError: ``not_pinned``.
    """
    if policy.pinned_sha256 and (sha256 or "").lower() not in policy.pinned_sha256:
        raise CertificateError(
            "not_pinned", f"certificate {sha256} is not among the pinned fingerprints"
        )


def check_window(
    not_before: dt.datetime | None,
    not_after: dt.datetime | None,
    now: dt.datetime,
    skew: dt.timedelta,
    what: str,
) -> None:
    """Refuse ``now`` outside ``[not_before, not_after]`` widened by ``skew`` on both ends.

    :raises CertificateError: ``expired`` or ``not_yet_valid``, naming ``what``.
    """
    if not_after is not None and now - skew > not_after:
        raise CertificateError("expired", f"{what} expired at {not_after.isoformat()}")
    if not_before is not None and now + skew < not_before:
        raise CertificateError(
            "not_yet_valid", f"{what} is not valid before {not_before.isoformat()}"
        )


def parse_certificates(cert: ClientCertificate) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """The parsed leaf and intermediates of a full (not field-only) certificate.

    :raises CertificateError: ``malformed`` if the DER does not parse.
    """
    assert cert.der is not None
    parsed = cert._parsed
    if parsed is not None:
        # Set only by the constructors that parsed exactly ``der`` and ``chain`` (the cache
        # key); cryptography's certificates are immutable, so sharing them is safe.
        return parsed[0], list(parsed[1])
    try:
        # Otherwise the DER: it is what the cache is keyed on.
        leaf = x509.load_der_x509_certificate(cert.der)
        intermediates = [x509.load_der_x509_certificate(der) for der in cert.chain]
    except (ValueError, x509.InvalidVersion) as exc:
        raise CertificateError("malformed", f"not a DER X.509 certificate: {exc}") from exc
    return leaf, intermediates


def check_usage(leaf: x509.Certificate, policy: VerificationPolicy) -> None:
    """Require clientAuth in the extendedKeyUsage and digitalSignature in any keyUsage.

    :raises CertificateError: ``bad_key_usage``, or ``malformed`` for undecodable
        extensions.
    """
    try:
        extensions = leaf.extensions
    except (ValueError, x509.DuplicateExtension) as exc:  # duplicate or undecodable
        raise CertificateError(
            "malformed", f"certificate extensions cannot be decoded: {exc}"
        ) from exc
    eku: x509.ExtendedKeyUsage | None = None
    usage: x509.KeyUsage | None = None
    for extension in extensions:  # one pass; get_extension_for_class scans once per call
        value = extension.value
        if isinstance(value, x509.ExtendedKeyUsage):
            eku = value
        elif isinstance(value, x509.KeyUsage):
            usage = value
    if eku is None:
        if policy.require_client_auth_eku:
            raise CertificateError(
                "bad_key_usage", "certificate has no extendedKeyUsage (clientAuth)"
            )
    elif ExtendedKeyUsageOID.CLIENT_AUTH not in eku:
        raise CertificateError(
            "bad_key_usage", "certificate's extendedKeyUsage does not permit clientAuth"
        )
    if usage is not None and not usage.digital_signature:
        raise CertificateError(
            "bad_key_usage", "certificate's keyUsage does not permit digitalSignature"
        )


def check_key(leaf: x509.Certificate, policy: VerificationPolicy) -> None:
    """Refuse keys below the policy's minimum size, DSA, and keys that cannot sign.

    :raises CertificateError: ``weak_key`` or ``invalid``.
    """
    try:
        key = leaf.public_key()
    except (UnsupportedAlgorithm, ValueError) as exc:
        raise CertificateError("invalid", f"unsupported or undecodable public key: {exc}") from exc
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < policy.min_rsa_bits:
            raise CertificateError(
                "weak_key", f"RSA key of {key.key_size} bits; at least {policy.min_rsa_bits}"
            )
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.key_size < policy.min_ec_bits:
            raise CertificateError(
                "weak_key",
                f"EC key on {key.curve.name} ({key.curve.key_size} bits); "
                f"at least {policy.min_ec_bits}",
            )
    elif isinstance(key, dsa.DSAPublicKey):
        raise CertificateError("weak_key", "DSA client keys are not accepted")
    elif not isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        raise CertificateError("invalid", f"{type(key).__name__} keys cannot sign a TLS handshake")


def path_error(
    exc: VerificationError, intermediates: list[x509.Certificate], when: dt.datetime
) -> CertificateError:
    """The :class:`CertificateError` a path builder's failure stands for.

    Called after the leaf's own window, usage and key passed, so what is left is about the
    chain: an expired or future CA, no path to a trust anchor, or usage/key rules of a CA.
    """
    text = str(exc)
    lowered = text.lower()
    if "not valid at validation time" in lowered:
        # The leaf's window was checked already, so it is a CA certificate in the chain.
        for ca in intermediates:
            if ca.not_valid_after_utc < when:
                return CertificateError(
                    "expired", f"intermediate CA {ca.subject.rfc4514_string()} expired"
                )
            if ca.not_valid_before_utc > when:
                return CertificateError(
                    "not_yet_valid",
                    f"intermediate CA {ca.subject.rfc4514_string()} is not yet valid",
                )
        return CertificateError("untrusted_issuer", f"no valid path to a trusted CA: {text}")
    if "candidates exhausted" in lowered or "signature" in lowered or "issuer" in lowered:
        return CertificateError("untrusted_issuer", f"no path to a trusted CA: {text}")
    if "eku" in lowered or "key usage" in lowered or "keyusage" in lowered:
        return CertificateError("bad_key_usage", f"key usage forbids client authentication: {text}")
    if "rsa" in lowered and ("modulus" in lowered or "key" in lowered):
        return CertificateError("weak_key", f"a key in the chain is too weak: {text}")
    return CertificateError("invalid", f"certificate path is invalid: {text}")
