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

The checks live in :mod:`mtlsguard.certs.checks`, their order and the caches in
:class:`~mtlsguard.certs.verifier.CertificateVerifier`; this module is the one-call entry point.
"""

from __future__ import annotations

from mtlsguard.certs.model import ClientCertificate, VerifiedCertificate
from mtlsguard.certs.policy import VerificationPolicy
from mtlsguard.certs.verifier import CertificateVerifier, verifier_for

__all__ = ["VerifiedCertificate", "verify"]


def verify(cert: ClientCertificate, policy: VerificationPolicy) -> VerifiedCertificate:
    """Verify ``cert`` against ``policy``.

    :returns: the verified certificate, possibly from the policy's cache.
    :raises CertificateError: with one of the reasons listed in this module's docstring.
    """
    # The shared verifier's slot is read here rather than through verifier_for(): this is
    # the cached path of every request, and a function call is a measurable part of it.
    slot = policy._shared_verifier
    verifier: CertificateVerifier = slot[0] if slot else verifier_for(policy)
    return verifier.verify(cert)
