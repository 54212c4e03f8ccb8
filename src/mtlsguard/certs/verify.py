"""Turn an extracted :class:`ClientCertificate` into a :class:`VerifiedCertificate`, or refuse.

:func:`verify` checks, in this order, and raises :class:`CertificateError` with the first
failing reason:

1. ``proxy_verification_failed`` — the proxy itself said verification failed;
2. ``fields_only`` — no certificate, only forwarded fields (unless the policy allows them);
3. ``malformed`` — the leaf or a forwarded intermediate cannot be parsed;
4. ``not_pinned`` — pinning is configured and the leaf's SHA-256 is not pinned;
5. ``expired`` / ``not_yet_valid`` — the leaf's validity window, widened by ``clock_skew``;
6. ``bad_key_usage`` — no clientAuth EKU (or no EKU at all, by default), or keyUsage
   without digitalSignature;
7. ``weak_key`` — RSA modulus or EC curve below the policy's minimum, or DSA;
8. ``untrusted_issuer`` — no path to a trust anchor (self-signed, unknown CA, missing
   intermediate, bad signature), via ``cryptography.x509.verification``; problems with the
   chain's CA certificates map to ``expired``/``not_yet_valid``/``invalid``;
9. ``revoked`` / ``revocation_unknown`` — CRLs, see :mod:`mtlsguard.certs.crl`.

Steps 5 to 7 are checked here before path building, so the common reasons never depend on the
wording of ``cryptography``'s error messages.

Successful results are cached per policy, keyed by the leaf fingerprint and the forwarded
chain, until the earliest of: the leaf's or an intermediate's ``notAfter`` (plus skew), the
``nextUpdate`` of any CRL consulted, and ``max_cache_ttl``. Failures are never cached.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import itertools
from dataclasses import dataclass
from typing import Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import VerificationError

from mtlsguard.certs.crl import (
    CrlRecord,
    RevocationStatus,
    distribution_point_urls,
    revocation_status,
)
from mtlsguard.certs.model import CertificateError, ClientCertificate
from mtlsguard.certs.policy import VerificationPolicy

__all__ = ["VerifiedCertificate", "verify"]

# With CRL fetching on, a "could not tell" answer is re-checked this soon rather than cached
# for the certificate's lifetime: the CRL server may be back, and may list it.
_UNKNOWN_RECHECK: Final = dt.timedelta(seconds=60)
_FIELDS_ONLY_TTL: Final = dt.timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class VerifiedCertificate:
    """A client certificate that passed a :class:`VerificationPolicy`."""

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


def verify(cert: ClientCertificate, policy: VerificationPolicy) -> VerifiedCertificate:
    """Verify ``cert`` against ``policy``.

    :returns: the verified certificate, possibly from the policy's cache.
    :raises CertificateError: with one of the reasons listed in this module's docstring.
    """
    if cert.proxy_verified is False:
        raise CertificateError(
            "proxy_verification_failed", "the proxy reported that client verification failed"
        )
    now = policy.clock()
    if cert.der is None:
        return _verify_fields_only(cert, policy, now)
    compiled = policy._compiled
    # Keyed on the DER itself (not the sha256 field), and verified from that same DER below.
    key = (cert.der, cert.chain)
    hit = compiled.results.get(key, now)
    if hit is not None:
        return hit if hit.certificate is cert else dataclasses.replace(hit, certificate=cert)
    result = _verify_certificate(cert, policy, now)
    compiled.results.put(key, result, result.expires_at)
    return result


def _fail(reason: str, message: str) -> CertificateError:
    return CertificateError(reason, message)


def _check_pin(sha256: str | None, policy: VerificationPolicy) -> None:
    if policy.pinned_sha256 and (sha256 or "").lower() not in policy.pinned_sha256:
        raise _fail("not_pinned", f"certificate {sha256} is not among the pinned fingerprints")


def _check_window(
    not_before: dt.datetime | None,
    not_after: dt.datetime | None,
    now: dt.datetime,
    skew: dt.timedelta,
    what: str,
) -> None:
    if not_after is not None and now - skew > not_after:
        raise _fail("expired", f"{what} expired at {not_after.isoformat()}")
    if not_before is not None and now + skew < not_before:
        raise _fail("not_yet_valid", f"{what} is not valid before {not_before.isoformat()}")


def _verify_fields_only(
    cert: ClientCertificate, policy: VerificationPolicy, now: dt.datetime
) -> VerifiedCertificate:
    if not policy.allow_fields_only:
        raise _fail(
            "fields_only",
            "the proxy forwarded certificate fields but not the certificate; "
            "configure it to forward the certificate, or allow field-only identities",
        )
    _check_pin(cert.sha256, policy)
    _check_window(cert.not_before, cert.not_after, now, policy.clock_skew, "certificate")
    checked = False
    if policy.revocation_mode != "off":
        checked = _fields_only_revocation(cert, policy, now)
    expires = now + (policy.max_cache_ttl or _FIELDS_ONLY_TTL)
    if cert.not_after is not None:
        expires = min(expires, cert.not_after + policy.clock_skew)
    return VerifiedCertificate(cert, (), expires, checked)


def _fields_only_revocation(
    cert: ClientCertificate, policy: VerificationPolicy, now: dt.datetime
) -> bool:
    # Without the certificate we only have the issuer's name; a CRL is believed only when a
    # trust anchor of that name signed it. Anything less is "unknown".
    from mtlsguard.certs.dn import parse_dn

    status = RevocationStatus.UNKNOWN
    if cert.serial is not None and cert.issuer:
        try:
            issuer_name = parse_dn(cert.issuer)
        except (CertificateError, ValueError):
            issuer_name = None
        anchors = [a for a in policy.trust_anchors if a.subject == issuer_name]
        for record in policy._compiled.crls.for_issuer(issuer_name) if issuer_name else []:
            if not any(record.is_signed_by(a) for a in anchors):
                continue
            if record.crl.get_revoked_certificate_by_serial_number(cert.serial) is not None:
                raise _fail("revoked", f"serial {cert.serial:#x} is listed in {record.origin}")
            if record.is_current(now):
                status = RevocationStatus.GOOD
    if status is RevocationStatus.UNKNOWN and policy.revocation_mode == "strict":
        raise _fail("revocation_unknown", "no current CRL signed by a trust anchor for the issuer")
    return status is RevocationStatus.GOOD


def _parse(cert: ClientCertificate) -> tuple[x509.Certificate, list[x509.Certificate]]:
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
        raise _fail("malformed", f"not a DER X.509 certificate: {exc}") from exc
    return leaf, intermediates


def _check_usage(leaf: x509.Certificate, policy: VerificationPolicy) -> None:
    try:
        extensions = leaf.extensions
    except (ValueError, x509.DuplicateExtension) as exc:  # duplicate or undecodable
        raise _fail("malformed", f"certificate extensions cannot be decoded: {exc}") from exc
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
            raise _fail("bad_key_usage", "certificate has no extendedKeyUsage (clientAuth)")
    elif ExtendedKeyUsageOID.CLIENT_AUTH not in eku:
        raise _fail("bad_key_usage", "certificate's extendedKeyUsage does not permit clientAuth")
    if usage is not None and not usage.digital_signature:
        raise _fail("bad_key_usage", "certificate's keyUsage does not permit digitalSignature")


def _check_key(leaf: x509.Certificate, policy: VerificationPolicy) -> None:
    try:
        key = leaf.public_key()
    except (UnsupportedAlgorithm, ValueError) as exc:
        raise _fail("invalid", f"unsupported or undecodable public key: {exc}") from exc
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < policy.min_rsa_bits:
            raise _fail(
                "weak_key", f"RSA key of {key.key_size} bits; at least {policy.min_rsa_bits}"
            )
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.key_size < policy.min_ec_bits:
            raise _fail(
                "weak_key",
                f"EC key on {key.curve.name} ({key.curve.key_size} bits); "
                f"at least {policy.min_ec_bits}",
            )
    elif isinstance(key, dsa.DSAPublicKey):
        raise _fail("weak_key", "DSA client keys are not accepted")
    elif not isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        raise _fail("invalid", f"{type(key).__name__} keys cannot sign a TLS handshake")


def _map_path_error(
    exc: VerificationError, intermediates: list[x509.Certificate], when: dt.datetime
) -> CertificateError:
    text = str(exc)
    lowered = text.lower()
    if "not valid at validation time" in lowered:
        # The leaf's window was checked already, so it is a CA certificate in the chain.
        for ca in intermediates:
            if ca.not_valid_after_utc < when:
                return _fail("expired", f"intermediate CA {ca.subject.rfc4514_string()} expired")
            if ca.not_valid_before_utc > when:
                return _fail(
                    "not_yet_valid",
                    f"intermediate CA {ca.subject.rfc4514_string()} is not yet valid",
                )
        return _fail("untrusted_issuer", f"no valid path to a trusted CA: {text}")
    if "candidates exhausted" in lowered or "signature" in lowered or "issuer" in lowered:
        return _fail("untrusted_issuer", f"no path to a trusted CA: {text}")
    if "eku" in lowered or "key usage" in lowered or "keyusage" in lowered:
        return _fail("bad_key_usage", f"key usage forbids client authentication: {text}")
    if "rsa" in lowered and ("modulus" in lowered or "key" in lowered):
        return _fail("weak_key", f"a key in the chain is too weak: {text}")
    return _fail("invalid", f"certificate path is invalid: {text}")


def _verify_certificate(
    cert: ClientCertificate, policy: VerificationPolicy, now: dt.datetime
) -> VerifiedCertificate:
    leaf, intermediates = _parse(cert)
    if policy.pinned_sha256:
        _check_pin(hashlib.sha256(cert.der or b"").hexdigest(), policy)
    skew = policy.clock_skew
    if cert._parsed is not None and cert.not_before is not None and cert.not_after is not None:
        # Read from this very leaf when the identity was built (cryptography makes a new
        # datetime on every read).
        not_before, not_after = cert.not_before, cert.not_after
    else:
        not_before, not_after = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    _check_window(not_before, not_after, now, skew, "certificate")
    if len(intermediates) > policy.max_chain_depth:
        raise _fail(
            "invalid", f"{len(intermediates)} intermediates; at most {policy.max_chain_depth}"
        )
    # Inside the skew allowance the leaf may be a little outside its window; validate the
    # path at the nearest instant inside it, which the window check above already accepted.
    when = min(max(now, not_before), not_after)
    compiled = policy._compiled
    try:
        verified = compiled.verifier_at(when).verify(leaf, intermediates)
    except VerificationError as exc:
        # The path builder enforces the usage rules too; name the reason from our own checks
        # (in the documented order) rather than from its message.
        _check_usage(leaf, policy)
        _check_key(leaf, policy)
        raise _map_path_error(exc, intermediates, when) from exc
    except ValueError as exc:  # a name or extension the path builder cannot decode
        raise _fail("malformed", f"certificate cannot be decoded: {exc}") from exc
    _check_key(leaf, policy)
    chain = tuple(verified.chain)
    # chain[0] is the leaf, whose notAfter is read already.
    expires = min([not_after, *(c.not_valid_after_utc for c in chain[1:])]) + skew
    checked = False
    if policy.revocation_mode != "off":
        expires, checked = _check_revocation(chain, policy, now, expires)
    if policy.max_cache_ttl is not None:
        expires = min(expires, now + policy.max_cache_ttl)
    return VerifiedCertificate(cert, chain, expires, checked)


def _check_revocation(
    chain: tuple[x509.Certificate, ...],
    policy: VerificationPolicy,
    now: dt.datetime,
    expires: dt.datetime,
) -> tuple[dt.datetime, bool]:
    compiled = policy._compiled
    depth = 1 if policy.revocation_depth == "leaf" else len(chain) - 1
    all_good = True
    for subject, issuer in itertools.pairwise(chain[: depth + 1]):
        # Decoding a name costs cryptography ~10 us per read: read the issuer once, and the
        # subject (as RFC 4514) only for an error message.
        issuer_name = subject.issuer
        candidates: list[CrlRecord] = list(compiled.crls.for_issuer(issuer_name))
        status, good_until, detail = revocation_status(
            subject, issuer, candidates, now, issuer_name=issuer_name
        )
        if status is RevocationStatus.UNKNOWN and compiled.fetcher is not None:
            details = [detail]
            for url in distribution_point_urls(subject):
                record, why = compiled.fetcher.get(url, now)
                if record is None:
                    details.append(why)
                    continue
                candidates.append(record)
                status, good_until, detail = revocation_status(
                    subject, issuer, candidates, now, issuer_name=issuer_name
                )
                details.append(f"{url}: {detail}")
                if status is not RevocationStatus.UNKNOWN:
                    break
            if status is RevocationStatus.UNKNOWN:
                detail = "; ".join(details)
        if status is RevocationStatus.REVOKED:
            raise _fail("revoked", f"{subject.subject.rfc4514_string()} is revoked: {detail}")
        if status is RevocationStatus.UNKNOWN:
            if policy.revocation_mode == "strict":
                raise _fail(
                    "revocation_unknown",
                    f"revocation status of {subject.subject.rfc4514_string()} unknown: {detail}",
                )
            all_good = False
            if compiled.fetcher is not None:
                expires = min(expires, now + _UNKNOWN_RECHECK)
        elif good_until is not None:
            expires = min(expires, good_until)
    return expires, all_good
