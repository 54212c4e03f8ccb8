"""What the probe saw at one concrete path, once per caller."""

from __future__ import annotations

from dataclasses import dataclass

from mtlsguard.probe.client import Exchange

__all__ = ["Observation"]


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
