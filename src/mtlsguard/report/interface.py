"""The two format interfaces: one renders an :class:`Assessment`, the other a route inventory.

Formats are pure functions of their input: they build a string and never decide severity,
never read files and never write anything; the caller writes what they return, and nobody
edits it afterwards. What they receive is :mod:`mtlsguard.findings.assessment`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from mtlsguard.findings.assessment import Assessment, RouteInventory

__all__ = ["RouteFormat", "ScanFormat"]


class ScanFormat(ABC):
    """A report format of an :class:`Assessment` (``--format`` of scan and probe)."""

    name: ClassVar[str]
    """The ``--format`` value."""

    @abstractmethod
    def render(self, assessment: Assessment) -> str:
        """Return the whole report as text."""


class RouteFormat(ABC):
    """A route inventory format (``mtlsguard routes --format``)."""

    name: ClassVar[str]
    """The ``--format`` value of ``mtlsguard routes``."""

    @abstractmethod
    def render(self, inventory: RouteInventory) -> str:
        """Return the whole inventory as text."""
