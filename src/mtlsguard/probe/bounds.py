"""The bounds of a whole probe run: requests sent, deadline, rate and concurrency.

One :class:`RunBounds` per run, owned by the :class:`~mtlsguard.probe.client.ProbeClient`:
every request, retry and redirect takes a ticket here before it reaches the wire, so the
``max_requests`` and ``max_time`` caps hold whatever the phases ask for.
"""

from __future__ import annotations

import asyncio
import time

from mtlsguard.probe.config import ProbeConfig
from mtlsguard.probe.exchange import FailureKind

__all__ = ["RunBounds"]


class RunBounds:
    """Request budget, deadline, rate and concurrency of one run (see :class:`ProbeConfig`)."""

    def __init__(self, config: ProbeConfig) -> None:
        """Start the run's clock: the deadline is ``max_time`` seconds from now."""
        self.limit = config.max_requests
        """Requests the run may send, retries and redirects included."""
        self.deadline = time.monotonic() + config.max_time
        """``time.monotonic()`` after which nothing more is sent."""
        self.sent = 0
        """Requests sent so far."""
        self.exhausted = False
        """A request was refused because the budget or the deadline was reached."""
        self.slots = asyncio.Semaphore(max(1, config.concurrency))
        """Held while a request is in flight: at most ``concurrency`` at once."""
        self._rate = config.rate
        self._rate_lock = asyncio.Lock()
        self._next_start = 0.0

    def remaining_time(self) -> float:
        """Seconds left before the deadline."""
        return self.deadline - time.monotonic()

    async def take(self) -> FailureKind | None:
        """Count one request, waiting for its turn under ``rate``.

        Returns ``"deadline"`` or ``"budget"`` instead when the request must not be sent.
        """
        if time.monotonic() >= self.deadline:
            self.exhausted = True
            return "deadline"
        if self.sent >= self.limit:
            self.exhausted = True
            return "budget"
        self.sent += 1
        if self._rate:
            async with self._rate_lock:
                now = time.monotonic()
                wait = self._next_start - now
                self._next_start = max(now, self._next_start) + 1.0 / self._rate
            if wait > 0:
                await asyncio.sleep(wait)
        return None
