"""Throttling of failed certificate authentications (CWE-307) through Django's cache.

Failures are counted per peer address and per certificate fingerprint in fixed windows that
start with the first failure. Once either count reaches ``THROTTLE["FAILURES"]`` the
middleware answers 429 with ``Retry-After`` until the window ends. Because the counters live
in a Django cache, a shared backend (Redis, Memcached) makes the limit hold across nodes; the
default local-memory cache limits per process only.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import BaseCache, caches

from mtlsguard.django.conf import ThrottleSettings

__all__ = ["FailureThrottle"]

_PREFIX = "mtlsguard:throttle:"


def _key(kind: str, value: str) -> str:
    # Hash the value: cache keys must be short and printable (memcached) whatever a peer sends.
    return _PREFIX + kind + ":" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class FailureThrottle:
    """Counts failures for one configuration."""

    options: ThrottleSettings
    """The ``THROTTLE`` settings."""

    @property
    def cache(self) -> BaseCache:
        """The configured cache."""
        return caches[self.options.cache]

    def _subjects(self, peer: str, fingerprint: str | None) -> list[str]:
        keys = [_key("peer", peer)]
        if fingerprint:
            keys.append(_key("fp", fingerprint))
        return keys

    def retry_after(self, peer: str, fingerprint: str | None = None) -> int | None:
        """Seconds until the caller may try again, or ``None`` when not throttled."""
        if not self.options.enabled:
            return None
        keys = self._subjects(peer, fingerprint)
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

    def record_failure(self, peer: str, fingerprint: str | None = None) -> None:
        """Count one failed authentication for ``peer`` and ``fingerprint``."""
        if not self.options.enabled:
            return
        now = time.time()
        cache = self.cache
        for key in self._subjects(peer, fingerprint):
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
