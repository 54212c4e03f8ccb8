"""What the demo found, per example project: the values its summary and reports render."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mtlsguard.findings.assessment import Assessment
from mtlsguard.findings.model import Finding, ScanResult
from mtlsguard.probe.runner import ProbeResult
from mtlsguard.probe.scoring import Score

__all__ = ["PROBE_MTLS", "PROBE_ORIGIN", "STATIC", "DemoResult", "SideResult"]

#: Sources a finding can come from, as the summary names them.
STATIC: Final = "static scan"
PROBE_MTLS: Final = "probe over mTLS"
PROBE_ORIGIN: Final = "probe of the app port"


@dataclass(frozen=True, slots=True)
class SideResult:
    """What the demo found on one example project."""

    name: str
    """``vulnerable`` or ``hardened``."""
    source: Path
    """The source tree the static scan read."""
    static: ScanResult
    """The static scan (after the project's config and inline suppressions)."""
    mtls: ProbeResult
    """The probe against the embedded mTLS server (alice as A, bob as B)."""
    origin: ProbeResult
    """The probe against the plain-http app server reached directly (forged headers)."""
    score: Score
    """Score and grade of both probe runs together."""
    findings: tuple[tuple[str, Finding], ...]
    """Every finding with where it came from (:data:`STATIC`, :data:`PROBE_MTLS`, ...)."""
    assessment: Assessment
    """Both sides as one assessment: what the side's HTML and SARIF reports render."""


@dataclass(frozen=True, slots=True)
class DemoResult:
    """Both sides and how long the demo took."""

    sides: tuple[SideResult, ...]
    """In :data:`~mtlsguard.demo.stage.PROJECTS` order."""
    elapsed: float
    """Seconds from start to the last probe answer."""
    urls: dict[str, str]
    """Server name → base URL (they are stopped by the time this is returned)."""
