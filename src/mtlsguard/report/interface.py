"""The report interface: what every format receives, and the two format base classes.

Formats are pure functions of their input: they build a string and never decide severity,
never read files and never write anything; the CLI writes what they return.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

from mtlsguard.findings.model import Finding, ScanResult, Severity
from mtlsguard.scan.excerpt import SourceExcerpt
from mtlsguard.scan.suppression import Suppression

__all__ = [
    "CategoryGrade",
    "ProbeGrade",
    "RouteFormat",
    "RouteReport",
    "RuleMetadata",
    "ScanFormat",
    "ScanReport",
    "ordered_findings",
    "severity_counts",
]


class RuleMetadata(Protocol):
    """What a format needs to know about a rule (``mtlsguard.scan.rules.all_rules()``)."""

    @property
    def rule_id(self) -> str:
        """Rule id (``MG101``)."""

    @property
    def title(self) -> str:
        """One-line summary."""

    @property
    def cwe(self) -> str:
        """Primary CWE id (``CWE-306``), or ``""``."""

    @property
    def severity(self) -> Severity:
        """The rule's default severity."""

    @property
    def doc(self) -> str:
        """The rule's documentation (its module docstring)."""


class CategoryGrade(Protocol):
    """One score category of a probe run (``mtlsguard.probe.scoring.CategoryScore``)."""

    @property
    def category(self) -> str:
        """Category name (``Authentication``, ``BOLA``...)."""

    @property
    def score(self) -> int | None:
        """0-100, or ``None`` when the run could not test the category."""

    @property
    def grade(self) -> str:
        """A-F, or ``n/a`` when not tested."""

    @property
    def findings(self) -> int:
        """How many findings fell in the category."""


class ProbeGrade(Protocol):
    """The grade of a probe run (``mtlsguard.probe.scoring.Score``)."""

    @property
    def score(self) -> int:
        """Overall 0-100."""

    @property
    def grade(self) -> str:
        """Overall A-F."""

    @property
    def categories(self) -> Sequence[CategoryGrade]:
        """Every category, tested or not."""


@dataclass(frozen=True, slots=True)
class ScanReport:
    """Everything a scan report shows."""

    result: ScanResult
    """Reportable findings (after config, suppressions and baseline), routes and errors."""
    rules: Sequence[RuleMetadata] = ()
    """Metadata of every known rule, for SARIF rule descriptors and the docs."""
    suppressed: Sequence[Suppression] = ()
    """Findings suppressed inline, with their reasons."""
    baselined: int = 0
    """How many findings a baseline accepted (not shown individually)."""
    fail_on: Severity | None = None
    """The exit-code threshold, when the caller wants the summary to mention it."""
    grade: ProbeGrade | None = None
    """The probe's grade and per-category scores, when probes ran; a static scan has none."""
    notes: Sequence[str] = ()
    """What the run observed that is not a finding (``mtlsguard probe`` notes)."""
    title: str = ""
    """Heading of a report that is not a plain scan (``mtlsguard demo: vulnerable example``)."""
    excerpts: Sequence[SourceExcerpt] = ()
    """Source lines around the findings' locations (``mtlsguard.scan.excerpt.read_excerpts``)."""


@dataclass(frozen=True, slots=True)
class RouteReport:
    """A route inventory to show."""

    result: ScanResult
    """The scan whose ``routes`` are listed."""
    baselined: frozenset[str] = frozenset()
    """Keys (see ``mtlsguard.app.baseline.route_keys``) of unprotected methods already accepted."""


class ScanFormat(ABC):
    """A scan report format."""

    name: ClassVar[str]
    """The ``--format`` value."""

    @abstractmethod
    def render(self, report: ScanReport) -> str:
        """Return the whole report as text."""


class RouteFormat(ABC):
    """A route inventory format."""

    name: ClassVar[str]
    """The ``--format`` value of ``mtlsguard routes``."""

    @abstractmethod
    def render(self, report: RouteReport) -> str:
        """Return the whole inventory as text."""


def ordered_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Most severe first, then by file, line and rule: the order every format uses."""
    return sorted(
        findings,
        key=lambda f: (
            -f.severity,
            f.location.path if f.location else "",
            f.location.line if f.location else 0,
            f.rule_id,
            f.route or "",
        ),
    )


def severity_counts(findings: Sequence[Finding]) -> dict[Severity, int]:
    """How many findings of each severity, most severe first (zeros included)."""
    counts = dict.fromkeys(sorted(Severity, reverse=True), 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts
