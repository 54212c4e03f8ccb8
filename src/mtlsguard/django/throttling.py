"""Throttling of failed certificate authentications (CWE-307) through Django's cache.

Which subjects a failure counts against is decided in one place, :func:`failure_subjects`,
for the middleware and the DRF classes alike: the client's address and the certificate's
fingerprint (see its docstring for which, when). Each subject is counted in a fixed window
that starts with its first failure; once a count reaches ``THROTTLE["FAILURES"]`` the request
is answered 429 with ``Retry-After`` until the window ends. Because the counters live in a
Django cache, a shared backend (Redis, Memcached) makes the limit hold across nodes; the
default local-memory cache limits per process only.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import BaseCache, caches
from django.http import HttpRequest

from mtlsguard.certs import CertificateError, ClientCertificate
from mtlsguard.certs.request import CertificateOutcome, VerificationGate
from mtlsguard.django.conf import MtlsGuardSettings, ThrottleSettings
from mtlsguard.django.peers import forwarded_for, peer_address

__all__ = ["FailureSubjects", "FailureThrottle", "failure_subjects", "verification_gate"]

_PREFIX = "mtlsguard:throttle:"


def _key(kind: str, value: str) -> str:
    # Hash the value: cache keys must be short and printable (memcached) whatever a peer sends.
    return _PREFIX + kind + ":" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class FailureSubjects:
    """Who one failed authentication counts against; ``None`` parts are not counted."""

    address: str | None
    """The client's address (a direct peer, or what a trusted proxy reported)."""
    fingerprint: str | None
    """The SHA-256 of the certificate presented (verified or not)."""

    def __bool__(self) -> bool:
        return self.address is not None or self.fingerprint is not None


def failure_subjects(
    request: HttpRequest, settings: MtlsGuardSettings, outcome: CertificateOutcome
) -> FailureSubjects:
    """The subjects a failure of ``request`` counts against: the one throttle-subject policy.

    * A verified certificate names the client wherever it connects from: only its fingerprint
      counts. Counting its failures (a bad token, say) per address would let one client
      behind a shared address (a NAT, an office egress, the proxy) lock out everybody there.
    * Otherwise a direct client (the TCP peer is not a trusted proxy) counts by its address
      -- a certificate that did not verify costs nothing to mint, so it cannot be the only
      key -- and by the fingerprint it presented, if any.
    * Behind a trusted proxy the peer's address is everybody's and never counts: the client
      address the proxy reported in ``CLIENT_IP_HEADER`` does, if any, and so does the
      fingerprint presented. With neither there is nothing to count against.
    """
    verified = outcome.verified
    if verified is not None and verified.sha256:  # a field-only identity has no fingerprint
        return FailureSubjects(None, verified.sha256)
    presented = outcome.fingerprint
    peer = peer_address(request)
    proxies = settings.trusted_proxies
    if not proxies.is_trusted(peer):
        return FailureSubjects(peer, presented)
    reported = proxies.forwarded_client(peer, forwarded_for(request, settings))
    return FailureSubjects(reported, presented)


@dataclass(frozen=True, slots=True)
class FailureThrottle:
    """Counts failures for one configuration."""

    options: ThrottleSettings
    """The ``THROTTLE`` settings."""

    @property
    def cache(self) -> BaseCache:
        """The configured cache."""
        return caches[self.options.cache]

    def _subjects(self, address: str | None, fingerprint: str | None) -> list[str]:
        keys = []
        if address is not None:
            keys.append(_key("peer", address))
        if fingerprint:
            keys.append(_key("fp", fingerprint))
        return keys

    def retry_after(self, address: str | None, fingerprint: str | None = None) -> int | None:
        """Seconds until the caller may try again, or ``None`` when not throttled.

        ``address`` and ``fingerprint`` are a :class:`FailureSubjects`' parts; ``None`` ones
        are not looked at.
        """
        if not self.options.enabled:
            return None
        keys = self._subjects(address, fingerprint)
        if not keys:
            return None
        values = self.cache.get_many(keys)
        now = time.time()
        waits = []
        for key in keys:
            entry = values.get(key)
            if not isinstance(entry, tuple) or len(entry) != 2:
                continue
            count, started = entry
            remaining = started + self.options.window - now
            if count >= self.options.failures and remaining > 0:
                waits.append(max(1, math.ceil(remaining)))
        return max(waits) if waits else None

    def record_failure(self, address: str | None, fingerprint: str | None = None) -> None:
        """Count one failed authentication for ``address`` and ``fingerprint`` (if not None)."""
        if not self.options.enabled:
            return
        now = time.time()
        cache = self.cache
        for key in self._subjects(address, fingerprint):
            entry = cache.get(key)
            if (
                isinstance(entry, tuple)
                and len(entry) == 2
                and entry[1] + self.options.window > now
            ):
                count, started = entry
            else:
                count, started = 0, now
            remaining = max(1, math.ceil(started + self.options.window - now))
            # get-then-set can lose a concurrent increment; the bound stays within a factor of
            # the concurrency, which is acceptable for a failure counter and works on every
            # cache backend (incr() does not keep the window start).
            cache.set(key, (count + 1, started), timeout=remaining)

    def check(self, subjects: FailureSubjects) -> int | None:
        """:meth:`retry_after` for ``subjects``."""
        if not subjects:
            return None
        return self.retry_after(subjects.address, subjects.fingerprint)

    def record(self, subjects: FailureSubjects) -> None:
        """:meth:`record_failure` for ``subjects``."""
        if subjects:
            self.record_failure(subjects.address, subjects.fingerprint)


def verification_gate(request: HttpRequest, settings: MtlsGuardSettings) -> VerificationGate | None:
    """The check the reader makes before verifying a certificate it has not verified before.

    Path building is the expensive part of a request (more so with every intermediate an
    attacker forwards), so a client already over the failure limit -- by address or by the
    fingerprint it presents, as :func:`failure_subjects` counts them -- is refused with
    ``throttled`` before it, not after. Certificates verified before (the verifier's cache)
    never reach the gate: the valid path pays nothing. ``None`` when throttling is off.
    """
    if not settings.throttle.enabled:
        return None
    throttle = FailureThrottle(settings.throttle)

    def gate(presented: ClientCertificate) -> CertificateError | None:
        outcome = CertificateOutcome(presented, None, None)
        if throttle.check(failure_subjects(request, settings, outcome)) is None:
            return None
        return CertificateError(
            "throttled", "too many failed authentications; not verified until the window ends"
        )

    return gate
