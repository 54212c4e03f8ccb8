"""The request reader's memo of recent verified outcomes, keyed on the raw request values.

A client that keeps presenting the same certificate through the same proxy sends the same
header values every time. :class:`RecentOutcomes` maps ``(peer, raw role values)`` straight to
the verified :class:`~mtlsguard.certs.request.CertificateOutcome`, so a repeat skips the
extraction, the trust decision and the verifier's own cache walk. It holds nothing the slower
path would not return for the same input:

* the key is the TCP peer itself and the exact raw values of every role header, so the
  trusted-proxy decision and the parse are what they were when the entry was made;
* only verified outcomes are remembered, each with the verifier's result-cache
  :attr:`~mtlsguard.certs.verifier.ResultCache.generation`: clearing that cache (a CRL
  reload, :meth:`~mtlsguard.certs.VerificationPolicy.clear_cache`) invalidates every entry;
* an entry is used only before the verified result's ``expires_at`` (by the policy's clock),
  exactly as the verifier's cache would;
* it is bounded (oldest entries go first).

The per-request checks that do not depend on the key (whether the server rewrote the peer
address) are still made by the reader on every hit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["RecentOutcomes"]

Outcome = TypeVar("Outcome")


class RecentOutcomes(Generic[Outcome]):
    """A bounded, thread-safe map of ``key -> (verified outcome, generation, deadline)``.

    Reads take no lock (one ``dict.get``); writes do, and evict the oldest entries.
    """

    __slots__ = ("_data", "_lock", "lookup", "maxsize")

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        """How many outcomes are kept (0: none)."""
        self._data: dict[Any, tuple[Outcome, int, float | None]] = {}
        self._lock = threading.Lock()
        self.lookup: Callable[[Any], tuple[Outcome, int, float | None] | None] = self._data.get
        """:meth:`get` without the method call (the request path asks on every request)."""

    def get(self, key: Any) -> tuple[Outcome, int, float | None] | None:
        """The entry for ``key``, if any (validity is the caller's to check).

        :raises TypeError: when ``key`` is not hashable (a non-string value in the environ).
        """
        return self._data.get(key)

    def put(self, key: Any, outcome: Outcome, generation: int, deadline: float | None) -> None:
        """Remember ``outcome`` (verified in result-cache ``generation``) under ``key``.

        ``deadline`` is its ``expires_at`` as a POSIX timestamp when the policy's clock is the
        system clock (compared with ``time.time()``, cheaper than building a datetime), else
        ``None`` (the caller asks the policy's clock).
        """
        if self.maxsize <= 0:
            return
        with self._lock:
            data = self._data
            data.pop(key, None)
            while len(data) >= self.maxsize:
                del data[next(iter(data))]
            data[key] = (outcome, generation, deadline)

    def discard(self, key: Any) -> None:
        """Forget ``key`` (an entry found stale)."""
        with self._lock:
            self._data.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)
