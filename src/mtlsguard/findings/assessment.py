"""What one run concluded, as every report format receives it: the :class:`Assessment`.

A run (:mod:`mtlsguard.app`) is a static scan, a probe, or both merged per route; whatever it
was, it ends in one assessment, and each format (text, JSON, SARIF, HTML, the demo's summary,
the GitHub job summary) renders the whole of it — the grade, the notes, the parts of a merged
finding — and nobody edits a format's output afterwards. Formats never decide severity or
exit codes; the run did.

Also here: the inventory ``mtlsguard routes`` shows (:class:`RouteInventory`), and the small
values both carry (:class:`Suppression`, :class:`SourceExcerpt`, :class:`MergedParts`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from mtlsguard.findings.model import Finding, Route, ScanResult, Severity
from mtlsguard.findings.registry import Rule

__all__ = [
    "Assessment",
    "CategoryGrade",
    "Grade",
    "MergedParts",
    "RouteInventory",
    "RunKind",
    "SourceExcerpt",
    "Suppression",
    "describe_part",
    "ordered_findings",
    "route_key",
    "route_keys",
    "severity_counts",
    "unprotected_methods",
]


class RunKind(enum.StrEnum):
    """What produced an assessment."""

    STATIC = "static"
    """``mtlsguard scan`` / ``manage.py mtlsguard scan``: the source tree or the live resolver."""
    PROBE = "probe"
    """``mtlsguard probe``: requests to a running application."""
    COMBINED = "combined"
    """``mtlsguard scan --probe`` and the demo: both, merged per route."""


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


class Grade(Protocol):
    """The grade of the probes of a run (``mtlsguard.probe.scoring.Score``)."""

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
class Suppression:
    """A finding that an inline comment suppressed, and why."""

    finding: Finding
    """The suppressed finding, unchanged."""
    reason: str
    """The justification given after ``--``."""
    line: int
    """Line of the suppression comment."""


@dataclass(frozen=True, slots=True)
class SourceExcerpt:
    """A few lines of a scanned file around one line a finding points at."""

    path: str
    """POSIX path relative to the scanned root (as in :class:`Location`)."""
    focus: int
    """The 1-based line the finding points at."""
    start: int
    """1-based number of the first line in :attr:`lines`."""
    lines: tuple[str, ...]
    """The lines, without line endings and with control characters replaced."""
    cut: bool = False
    """True when the block continues past the last line shown."""


@dataclass(frozen=True, slots=True)
class MergedParts:
    """What a merged finding (``scan --probe``) was made of: both sides' own findings."""

    static: tuple[Finding, ...]
    """The static finding(s) it contains."""
    dynamic: tuple[Finding, ...]
    """The probe finding(s) that confirmed them."""


def _no_sections() -> Mapping[str, Mapping[str, object]]:
    return MappingProxyType({})


def _no_parts() -> Mapping[str, MergedParts]:
    return MappingProxyType({})


def describe_part(finding: Finding) -> str:
    """Where one part of a merged finding was seen: ``MG101 at bank/views.py:38``."""
    if finding.location is not None:
        return f"{finding.rule_id} at {finding.location.path}:{finding.location.line}"
    if finding.route:
        return f"{finding.rule_id} on {finding.route}"
    return finding.rule_id


@dataclass(frozen=True, slots=True)
class Assessment:
    """Everything a report shows about one run."""

    result: ScanResult
    """Reportable findings (after configuration, suppressions and baseline), routes, errors.

    ``root`` is the scanned directory, or the probed base URL of a probe-only run."""
    rules: Sequence[Rule] = ()
    """Every rule that could have reported (SARIF rule descriptors, the docs)."""
    suppressed: Sequence[Suppression] = ()
    """Findings suppressed inline, with their reasons."""
    baselined: int = 0
    """How many findings a baseline accepted (not shown individually)."""
    fail_on: Severity | None = None
    """The exit-code threshold, when the run has one."""
    grade: Grade | None = None
    """The probes' grade and per-category scores; ``None`` when no probe ran."""
    notes: Sequence[str] = ()
    """What the run observed that is not a finding (``mTLS is enforced at the handshake``)."""
    title: str = ""
    """Heading of a report that is not a plain scan (``mtlsguard demo: vulnerable example``)."""
    excerpts: Sequence[SourceExcerpt] = ()
    """Source lines around the findings' locations (HTML only needs them)."""
    kind: RunKind = RunKind.STATIC
    """What produced it."""
    fail_under: str | None = None
    """The lowest acceptable probe grade (``--fail-under``), when given."""
    traffic: str = ""
    """What the probes sent (``3 routes, 5 paths, 40 requests in 1.2s``); empty without one."""
    merged: Mapping[str, MergedParts] = field(default_factory=_no_parts)
    """Fingerprint of a reported finding -> its static and dynamic parts (combined runs)."""

    def parts_of(self, finding: Finding) -> MergedParts | None:
        """The parts of ``finding`` when both sides saw it, else ``None``."""
        return self.merged.get(finding.fingerprint)

    sections: Mapping[str, Mapping[str, object]] = field(default_factory=_no_sections)
    """Run summaries by name (``probe``: the probe's score and traffic), shown as is by JSON
    (top level) and SARIF (``run.properties``)."""
    successful: bool = True
    """Whether the run did its work (SARIF ``executionSuccessful``): a static scan read files,
    a probe reached the target."""

    @property
    def failing(self) -> tuple[Finding, ...]:
        """Reportable findings at or above :attr:`fail_on` (none without a threshold)."""
        if self.fail_on is None:
            return ()
        threshold = self.fail_on
        return tuple(f for f in self.result.findings if f.severity >= threshold)


@dataclass(frozen=True, slots=True)
class RouteInventory:
    """What ``mtlsguard routes`` shows: every route and its protection."""

    result: ScanResult
    """The scan whose ``routes`` are listed."""
    baselined: frozenset[str] = frozenset()
    """Keys (:func:`route_keys`) of unprotected route methods a baseline accepts."""


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


def unprotected_methods(route: Route) -> tuple[str, ...]:
    """Methods of ``route`` that an unauthenticated request reaches (``authenticated is False``)."""
    return tuple(p.method for p in route.protections if p.authenticated is False)


def route_key(route: Route, method: str) -> str:
    """Baseline key of one method of ``route``: ``GET api/x/ -> app.views.x``."""
    return f"{method} {route.pattern} -> {route.view or '?'}"


def route_keys(route: Route) -> tuple[str, ...]:
    """Baseline keys of the unprotected methods of ``route``."""
    return tuple(route_key(route, method) for method in unprotected_methods(route))
