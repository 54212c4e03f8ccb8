"""The verifier built from a :class:`~mtlsguard.certs.VerificationPolicy`, and its caches.

As ``cryptography`` keeps ``PolicyBuilder`` (a value) apart from the ``ClientVerifier`` it
builds, the policy here only says what "verified" means; :class:`CertificateVerifier` is built
from it once and holds everything that costs something to set up or is worth remembering: the
trust store and path builder, the CRL index, the CRL fetcher and the result cache.

:func:`~mtlsguard.certs.verify` uses the policy's shared verifier (:func:`verifier_for`), so a
deployment that builds one policy at start-up pays for the set-up once. A caller that wants a
cache of its own (a test, a second tenant) builds ``CertificateVerifier(policy)`` itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import itertools
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Final

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import (
    ClientVerifier,
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from mtlsguard.certs.checks import (
    DECODING_ERRORS,
    check_key,
    check_pin,
    check_subject_email_constraints,
    check_usage,
    check_window,
    parse_certificates,
    path_error,
)
from mtlsguard.certs.crl import (
    CrlFetcher,
    CrlIndex,
    CrlRecord,
    RevocationStatus,
    distribution_point_urls,
    revocation_status,
)
from mtlsguard.certs.crl_scope import removed_from_crl
from mtlsguard.certs.dn import parse_dn
from mtlsguard.certs.errors import CertificateError
from mtlsguard.certs.model import ClientCertificate, VerifiedCertificate
from mtlsguard.certs.policy import VerificationPolicy

__all__ = ["CertificateVerifier", "ResultCache", "verifier_for"]

# With CRL fetching on, a "could not tell" answer is re-checked this soon rather than cached
# for the certificate's lifetime: the CRL server may be back, and may list it.
logger = logging.getLogger("mtlsguard.certs")

_UNKNOWN_RECHECK: Final = dt.timedelta(seconds=60)
_FIELDS_ONLY_TTL: Final = dt.timedelta(minutes=5)


class ResultCache:
    """A bounded, thread-safe LRU of verification results that expire."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[object, tuple[VerifiedCertificate, dt.datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object, now: dt.datetime) -> VerifiedCertificate | None:
        """The live result for ``key``, or ``None`` (expired entries are dropped)."""
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return None
            if now >= entry[1]:
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return entry[0]

    def put(self, key: object, value: VerifiedCertificate, until: dt.datetime) -> None:
        """Remember ``value`` until ``until`` (evicting the least recently used)."""
        if self.maxsize == 0:
            return
        with self._lock:
            self._data[key] = (value, until)
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


def _eku_allows_client_auth(
    _policy: object, _cert: x509.Certificate, eku: x509.ExtendedKeyUsage
) -> None:
    if ExtendedKeyUsageOID.CLIENT_AUTH not in eku:
        raise ValueError("extendedKeyUsage does not permit clientAuth")


def _optional_eku_allows_client_auth(
    _policy: object, cert: x509.Certificate, eku: x509.ExtendedKeyUsage | None
) -> None:
    if eku is not None:
        _eku_allows_client_auth(_policy, cert, eku)


def _key_usage_allows_signing(
    _policy: object, _cert: x509.Certificate, usage: x509.KeyUsage | None
) -> None:
    if usage is not None and not usage.digital_signature:
        raise ValueError("keyUsage does not permit digitalSignature")


def _path_builder(policy: VerificationPolicy) -> PolicyBuilder:
    """``cryptography``'s builder for ``policy`` (everything but the verification time)."""
    # webpki's client profile insists on a subjectAltName; many client certificates carry
    # only a subject CN, so the end-entity policy lets it be absent (still checked if there).
    ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.SubjectAlternativeName, Criticality.AGNOSTIC, None
    )
    # The usage rules run inside the path builder, on the one extension each needs, so a
    # good certificate never pays for materialising all its extensions in Python;
    # verify() re-checks in Python only after a failure, to name the reason.
    if policy.require_client_auth_eku:
        ee_policy = ee_policy.require_present(
            x509.ExtendedKeyUsage, Criticality.AGNOSTIC, _eku_allows_client_auth
        )
    else:
        ee_policy = ee_policy.may_be_present(
            x509.ExtendedKeyUsage, Criticality.AGNOSTIC, _optional_eku_allows_client_auth
        )
    ee_policy = ee_policy.may_be_present(
        x509.KeyUsage, Criticality.AGNOSTIC, _key_usage_allows_signing
    )
    return (
        PolicyBuilder()
        .store(Store(list(policy.trust_anchors)))
        .max_chain_depth(policy.max_chain_depth)
        .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee_policy)
    )


class CertificateVerifier:
    """Verifies client certificates against one policy; owns the set-up work and the caches.

    ::

        verifier = CertificateVerifier(policy)
        verified = verifier.verify(cert)       # VerifiedCertificate, or CertificateError

    Thread-safe. Results are cached (see :mod:`mtlsguard.certs.verify` for how long);
    failures never are.
    """

    def __init__(self, policy: VerificationPolicy) -> None:
        self.policy = policy
        """The policy this verifier applies (immutable)."""
        self.builder = _path_builder(policy)
        """The path builder, without a verification time."""
        records = [CrlRecord(crl, f"CRL #{i}") for i, crl in enumerate(policy.crls)]
        self.crls = CrlIndex(records)
        """The policy's local CRLs, indexed by issuer."""
        self.fetcher = (
            CrlFetcher(timeout=policy.crl_fetch_timeout, max_bytes=policy.crl_fetch_max_bytes)
            if policy.fetch_crls
            else None
        )
        """Downloads distribution-point CRLs (``None`` unless the policy fetches them)."""
        self.results = ResultCache(policy.cache_size)
        """Verified results by (leaf DER, chain DER)."""
        self._verifier: tuple[int, ClientVerifier] | None = None

    def verifier_at(self, when: dt.datetime) -> ClientVerifier:
        """A client verifier for time ``when`` (to the second), reused within that second."""
        second = int(when.timestamp())
        cached = self._verifier
        if cached is not None and cached[0] == second:
            return cached[1]
        verifier = self.builder.time(
            dt.datetime.fromtimestamp(second, dt.UTC)
        ).build_client_verifier()
        self._verifier = (second, verifier)  # benign race: any thread's result is correct
        return verifier

    def clear_cache(self) -> None:
        """Forget every cached verification result and fetched CRL."""
        self.results.clear()
        if self.fetcher is not None:
            self.fetcher.clear()

    def verify(
        self,
        cert: ClientCertificate,
        *,
        before: Callable[[ClientCertificate], CertificateError | None] | None = None,
    ) -> VerifiedCertificate:
        """Verify ``cert`` (see :func:`mtlsguard.certs.verify` for the checks, in order).

        :param before: asked when a full certificate is not in the cache, before any of the
            work (parsing the chain, path building, CRLs); an error it returns is raised
            instead (a throttle refusing the client). Cache hits never call it.
        :returns: the verified certificate, possibly from the cache.
        :raises CertificateError: with the reason of the first check that failed.
        """
        if cert.proxy_verified is False:
            raise CertificateError(
                "proxy_verification_failed", "the proxy reported that client verification failed"
            )
        now = self.policy.clock()
        if cert.der is None:
            return self._verify_fields_only(cert, now)
        # Keyed on the DER itself (not the sha256 field), and verified from that same DER.
        key = (cert.der, cert.chain)
        hit = self.results.get(key, now)
        if hit is not None:
            return hit if hit.certificate is cert else dataclasses.replace(hit, certificate=cert)
        if before is not None:
            refused = before(cert)
            if refused is not None:
                raise refused
        try:
            result = self._verify_certificate(cert, now)
        except CertificateError:
            raise
        except DECODING_ERRORS as exc:  # a field decoded lazily, outside the known places
            raise CertificateError("malformed", f"certificate cannot be decoded: {exc}") from exc
        except Exception as exc:
            # The boundary: whatever a future cryptography raises for a client's bytes is a
            # refusal with a stable reason (audited and throttled by the caller), never a 500.
            logger.exception("mtlsguard: verifying a certificate failed unexpectedly")
            raise CertificateError("malformed", "certificate cannot be verified") from exc
        self.results.put(key, result, result.expires_at)
        return result

    # --- a full certificate --------------------------------------------------------------

    def _verify_certificate(self, cert: ClientCertificate, now: dt.datetime) -> VerifiedCertificate:
        policy = self.policy
        leaf, intermediates = parse_certificates(cert)
        if policy.pinned_sha256:
            check_pin(hashlib.sha256(cert.der or b"").hexdigest(), policy)
        skew = policy.clock_skew
        if cert._parsed is not None and cert.not_before is not None and cert.not_after is not None:
            # Read from this very leaf when the identity was built (cryptography makes a new
            # datetime on every read).
            not_before, not_after = cert.not_before, cert.not_after
        else:
            not_before, not_after = leaf.not_valid_before_utc, leaf.not_valid_after_utc
        check_window(not_before, not_after, now, skew, "certificate")
        if len(intermediates) > policy.max_chain_depth:
            raise CertificateError(
                "invalid", f"{len(intermediates)} intermediates; at most {policy.max_chain_depth}"
            )
        # Inside the skew allowance the leaf may be a little outside its window; validate the
        # path at the nearest instant inside it, which the window check above already accepted.
        when = min(max(now, not_before), not_after)
        try:
            verified = self.verifier_at(when).verify(leaf, intermediates)
        except VerificationError as exc:
            # The path builder enforces the usage rules too; name the reason from our own
            # checks (in the documented order) rather than from its message.
            check_usage(leaf, policy)
            check_key(leaf, policy)
            raise path_error(exc, intermediates, when) from exc
        except DECODING_ERRORS as exc:  # a name or extension the path builder cannot decode
            raise CertificateError("malformed", f"certificate cannot be decoded: {exc}") from exc
        check_key(leaf, policy)
        chain = tuple(verified.chain)
        check_subject_email_constraints(chain)
        # chain[0] is the leaf, whose notAfter is read already.
        expires = min([not_after, *(c.not_valid_after_utc for c in chain[1:])]) + skew
        checked = False
        if policy.revocation_mode != "off":
            expires, checked = self._check_revocation(chain, now, expires)
        if policy.max_cache_ttl is not None:
            expires = min(expires, now + policy.max_cache_ttl)
        return VerifiedCertificate(cert, chain, expires, checked)

    def _check_revocation(
        self, chain: tuple[x509.Certificate, ...], now: dt.datetime, expires: dt.datetime
    ) -> tuple[dt.datetime, bool]:
        policy = self.policy
        depth = 1 if policy.revocation_depth == "leaf" else len(chain) - 1
        all_good = True
        for subject, issuer in itertools.pairwise(chain[: depth + 1]):
            status, good_until, detail = self._revocation_of(subject, issuer, now)
            if status is RevocationStatus.REVOKED:
                raise CertificateError(
                    "revoked", f"{subject.subject.rfc4514_string()} is revoked: {detail}"
                )
            if status is RevocationStatus.UNKNOWN:
                if policy.revocation_mode == "strict":
                    raise CertificateError(
                        "revocation_unknown",
                        f"revocation status of {subject.subject.rfc4514_string()} unknown: "
                        f"{detail}",
                    )
                all_good = False
                if self.fetcher is not None:
                    expires = min(expires, now + _UNKNOWN_RECHECK)
            elif good_until is not None:
                expires = min(expires, good_until)
        return expires, all_good

    def _revocation_of(
        self, subject: x509.Certificate, issuer: x509.Certificate, now: dt.datetime
    ) -> tuple[RevocationStatus, dt.datetime | None, str]:
        """The status of ``subject`` from the local CRLs, then from its distribution points."""
        # Decoding a name costs cryptography ~10 us per read: read the issuer once, and the
        # subject (as RFC 4514) only for an error message.
        issuer_name = subject.issuer
        candidates: list[CrlRecord] = list(self.crls.for_issuer(issuer_name))
        status, good_until, detail = revocation_status(
            subject, issuer, candidates, now, issuer_name=issuer_name
        )
        if status is not RevocationStatus.UNKNOWN or self.fetcher is None:
            return status, good_until, detail
        details = [detail]
        for url in distribution_point_urls(subject):
            record, why = self.fetcher.get(url, now)
            if record is None:
                details.append(why)
                continue
            candidates.append(record)
            status, good_until, detail = revocation_status(
                subject, issuer, candidates, now, issuer_name=issuer_name
            )
            details.append(f"{url}: {detail}")
            if status is not RevocationStatus.UNKNOWN:
                return status, good_until, detail
        return status, good_until, "; ".join(details)

    # --- a field-only identity -----------------------------------------------------------

    def _verify_fields_only(self, cert: ClientCertificate, now: dt.datetime) -> VerifiedCertificate:
        policy = self.policy
        if not policy.allow_fields_only:
            raise CertificateError(
                "fields_only",
                "the proxy forwarded certificate fields but not the certificate; "
                "configure it to forward the certificate, or allow field-only identities",
            )
        check_pin(cert.sha256, policy)
        check_window(cert.not_before, cert.not_after, now, policy.clock_skew, "certificate")
        checked = False
        if policy.revocation_mode != "off":
            checked = self._fields_only_revocation(cert, now)
        expires = now + (policy.max_cache_ttl or _FIELDS_ONLY_TTL)
        if cert.not_after is not None:
            expires = min(expires, cert.not_after + policy.clock_skew)
        return VerifiedCertificate(cert, (), expires, checked)

    def _fields_only_revocation(self, cert: ClientCertificate, now: dt.datetime) -> bool:
        # Without the certificate we only have the issuer's name; a CRL is believed only when
        # a trust anchor of that name signed it. Anything less is "unknown".
        status = RevocationStatus.UNKNOWN
        if cert.serial is not None and cert.issuer:
            try:
                issuer_name = parse_dn(cert.issuer)
            except (CertificateError, ValueError):
                issuer_name = None
            anchors = [a for a in self.policy.trust_anchors if a.subject == issuer_name]
            for record in self.crls.for_issuer(issuer_name) if issuer_name else []:
                if not any(record.is_signed_by(a) for a in anchors):
                    continue
                if record.scope.unusable is not None:
                    continue
                entry = record.crl.get_revoked_certificate_by_serial_number(cert.serial)
                if entry is not None and not (record.scope.delta and removed_from_crl(entry)):
                    raise CertificateError(
                        "revoked", f"serial {cert.serial:#x} is listed in {record.origin}"
                    )
                # Without the certificate its kind and distribution points are unknown: only
                # a complete CRL with no IssuingDistributionPoint vouches for it.
                if record.is_current(now) and record.scope.complete and record.scope.idp is None:
                    status = RevocationStatus.GOOD
        if status is RevocationStatus.UNKNOWN and self.policy.revocation_mode == "strict":
            raise CertificateError(
                "revocation_unknown", "no current CRL signed by a trust anchor for the issuer"
            )
        return status is RevocationStatus.GOOD


_build_lock = threading.Lock()


def verifier_for(policy: VerificationPolicy) -> CertificateVerifier:
    """The verifier :func:`~mtlsguard.certs.verify` uses for ``policy``: built once, shared.

    It is kept in the policy's private slot (one attribute read on every call, no global
    registry), and goes away with the policy.
    """
    slot = policy._shared_verifier
    if slot:
        shared: CertificateVerifier = slot[0]
        return shared
    with _build_lock:
        if not slot:
            slot.append(CertificateVerifier(policy))
        built: CertificateVerifier = slot[0]
        return built
