"""The checks :func:`~mtlsguard.certs.verify` makes on one certificate.

Before and after path building: pinning, validity window, key usage, key strength, and the
reading of a path builder's error. Each is a pure function of the certificate and the
policy's options that returns ``None`` or raises :class:`~mtlsguard.certs.CertificateError`
with its reason; the verifier (:mod:`mtlsguard.certs.verifier`) decides their order and
caches the results.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import VerificationError

from mtlsguard.certs.errors import DECODING_ERRORS, NO_EXTENSION, CertificateError
from mtlsguard.certs.model import ClientCertificate
from mtlsguard.certs.policy import VerificationPolicy

__all__ = [
    "DECODING_ERRORS",
    "NO_EXTENSION",
    "check_key",
    "check_pin",
    "check_subject_email_constraints",
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
    except DECODING_ERRORS as exc:
        raise CertificateError("malformed", f"not a DER X.509 certificate: {exc}") from exc
    return leaf, intermediates


def check_usage(leaf: x509.Certificate, policy: VerificationPolicy) -> None:
    """Require clientAuth in the extendedKeyUsage and digitalSignature in any keyUsage.

    :raises CertificateError: ``bad_key_usage``, or ``malformed`` for undecodable
        extensions.
    """
    try:
        extensions = leaf.extensions
    except DECODING_ERRORS as exc:  # duplicate, undecodable or unsupported
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


def _rfc822_constraint_matches(constraint: str, email: str) -> bool:
    """RFC 5280 §4.2.1.10 rfc822Name matching of one constraint against one mailbox."""
    local, at, host = email.rpartition("@")
    if not at or not local or not host:
        return False
    host = host.lower()
    wanted = constraint.lower()
    if "@" in constraint:  # one particular mailbox
        c_local, _, c_host = constraint.rpartition("@")
        return local == c_local and host == c_host.lower()
    if wanted.startswith("."):  # any host in that domain (not the domain itself)
        return host.endswith(wanted)
    return host == wanted  # every mailbox on that host


def _rfc822_subtrees(ca: x509.Certificate) -> tuple[list[str] | None, list[str]]:
    try:
        constraints = ca.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return None, []
    permitted = None
    if constraints.permitted_subtrees is not None:
        permitted = [
            n.value for n in constraints.permitted_subtrees if isinstance(n, x509.RFC822Name)
        ]
    excluded = [
        n.value for n in constraints.excluded_subtrees or () if isinstance(n, x509.RFC822Name)
    ]
    return permitted, excluded


def check_subject_email_constraints(chain: Sequence[x509.Certificate]) -> None:
    """Apply the chain's rfc822Name constraints to the leaf's subject ``emailAddress``.

    RFC 5280 §4.2.1.10: rfc822Name constraints bind the legacy ``emailAddress`` attribute of
    the subject too. ``cryptography``'s path builder checks them on SANs only, so a CA
    constrained to ``partner.com`` could otherwise issue ``emailAddress=admin@example.com``
    (which the ``email`` mapping reads). ``chain`` is the verified path, leaf first.

    :raises CertificateError: ``invalid`` when a subject e-mail is outside a CA's permitted
        rfc822 subtrees or inside an excluded one.
    """
    if len(chain) < 2:
        return
    leaf = chain[0]
    subtrees = [_rfc822_subtrees(ca) for ca in chain[1:]]
    if all(permitted is None and not excluded for permitted, excluded in subtrees):
        return  # no CA constrains e-mail names: the common case reads no subject
    try:
        emails = [str(a.value) for a in leaf.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)]
    except DECODING_ERRORS as exc:
        raise CertificateError(
            "malformed", f"certificate subject cannot be decoded: {exc}"
        ) from exc
    for email in emails:
        for permitted, excluded in subtrees:
            if any(_rfc822_constraint_matches(c, email) for c in excluded):
                raise CertificateError(
                    "invalid", f"subject emailAddress {email!r} is in a CA's excluded subtrees"
                )
            # A permitted set that names no rfc822 subtree leaves e-mail unconstrained, as
            # for SANs; one that names any must match.
            if permitted and not any(_rfc822_constraint_matches(c, email) for c in permitted):
                raise CertificateError(
                    "invalid",
                    f"subject emailAddress {email!r} is outside a CA's permitted name constraints",
                )
