"""What the probe saw at one concrete path, once per caller, and how it looks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from mtlsguard.probe.client import Exchange, ProbeClient
from mtlsguard.probe.config import ProbeConfig

__all__ = ["Observation", "observe"]


@dataclass(frozen=True, slots=True)
class Observation:
    """The same GET of one path by every caller the run has."""

    template: str
    """The route template (``/api/accounts/{pk}/``)."""
    path: str
    """The concrete path (``/api/accounts/2/``)."""
    anonymous: Exchange
    """No certificate, no credentials."""
    a_cert: Exchange
    """``A``'s certificate, no application credentials."""
    a_full: Exchange
    """``A``'s certificate and credentials (the same exchange as :attr:`a_cert` without any)."""
    b_cert: Exchange | None = None
    """``B``'s certificate, no credentials (``None`` without a second identity)."""
    b_full: Exchange | None = None
    """``B``'s certificate and credentials."""

    def exchanges(self) -> list[Exchange]:
        """Every distinct exchange."""
        seen: list[Exchange] = []
        for exchange in (self.anonymous, self.a_cert, self.a_full, self.b_cert, self.b_full):
            if exchange is not None and all(exchange is not other for other in seen):
                seen.append(exchange)
        return seen


async def observe(
    client: ProbeClient, config: ProbeConfig, template: str, path: str
) -> Observation:
    """GET ``path`` as every caller: nobody, A's certificate alone, A with credentials, B alike.

    A caller without credentials is asked once (its certificate-only answer is its full one).
    """
    send = client.send
    a = config.identity
    anonymous, a_cert = await asyncio.gather(
        send(None, "GET", path), send(a.without_credentials(), "GET", path)
    )
    a_full = await send(a, "GET", path) if a.auth_header else a_cert
    b_cert = b_full = None
    b = config.peer
    if b is not None:
        b_cert = await send(b.without_credentials(), "GET", path)
        b_full = await send(b, "GET", path) if b.auth_header else b_cert
    return Observation(template, path, anonymous, a_cert, a_full, b_cert, b_full)
