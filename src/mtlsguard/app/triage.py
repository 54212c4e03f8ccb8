"""From a raw scan result to what the user is shown: config, suppressions, baseline, threshold.

The order matters and is fixed here, once, for the CLI and the management command alike:
project configuration (disabled rules, excluded paths, severity overrides) first, then inline
suppressions, then the baseline; the exit-code threshold applies to what is left.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from mtlsguard.app.baseline import Baseline, BaselineKind, route_keys
from mtlsguard.app.config import ProjectConfig, apply_config
from mtlsguard.findings.assessment import Assessment
from mtlsguard.findings.model import Confidence, Finding, Route, ScanResult, Severity
from mtlsguard.scan.suppression import (
    UNUSED_SUPPRESSION,
    RuleIds,
    Suppression,
    apply_suppressions,
)

__all__ = [
    "DEFAULT_FAIL_ON",
    "TriagedRoutes",
    "TriagedScan",
    "shown_findings",
    "triage_routes",
    "triage_scan",
]

DEFAULT_FAIL_ON = Severity.HIGH


@dataclass(frozen=True, slots=True)
class TriagedScan:
    """A scan after config, suppressions and baseline."""

    result: ScanResult
    """The result with only reportable findings (not suppressed, not in the baseline)."""
    current: tuple[Finding, ...]
    """Every finding before the baseline was applied (what ``--write-baseline`` records)."""
    suppressed: tuple[Suppression, ...] = ()
    """Findings that an inline comment with a reason suppressed."""
    baselined: int = 0
    """How many findings the baseline accepted."""
    fail_on: Severity = DEFAULT_FAIL_ON
    """The effective threshold."""

    @property
    def failing(self) -> tuple[Finding, ...]:
        """Reportable findings at or above the threshold."""
        return tuple(f for f in self.result.findings if f.severity >= self.fail_on)

    @property
    def nothing_scanned(self) -> bool:
        """True when no file could be scanned (exit 2 rather than a clean result)."""
        return self.result.files_scanned == 0


def triage_scan(
    raw: ScanResult,
    root: Path,
    config: ProjectConfig,
    *,
    baseline: Baseline | None = None,
    fail_on: Severity | None = None,
    rule_ids: RuleIds | None = None,
) -> TriagedScan:
    """Apply ``config``, inline suppressions and ``baseline`` to ``raw``.

    ``fail_on`` (the command line) wins over ``config.fail_on``, which wins over
    :data:`DEFAULT_FAIL_ON`. With ``rule_ids``, unused and unknown suppressions are reported
    (MG002) unless the configuration disables that rule.
    """
    if baseline is not None and baseline.kind is not BaselineKind.FINDINGS:
        raise ValueError("a routes baseline cannot filter findings")
    configured = apply_config(raw, config)
    if not config.selection().allows(UNUSED_SUPPRESSION.rule_id):
        rule_ids = None
    elif rule_ids is not None:  # an excluded file is not read, so its comments are not judged
        checked = frozenset(p for p in rule_ids.checked if not config.is_excluded(p))
        rule_ids = replace(rule_ids, checked=checked)
    outcome = apply_suppressions(configured, root, rule_ids=rule_ids)
    if rule_ids is not None:
        # MG002 findings take the project's severity override like any other finding.
        outcome = replace(outcome, result=apply_config(outcome.result, config))
    current = outcome.result.findings
    reportable = current
    baselined = 0
    if baseline is not None:
        known = baseline.keys
        reportable = tuple(f for f in current if f.fingerprint not in known)
        baselined = len(current) - len(reportable)
    # Severity.INFO is 0, so "or" would skip it: compare with None.
    threshold = fail_on if fail_on is not None else config.fail_on
    if threshold is None:
        threshold = DEFAULT_FAIL_ON
    return TriagedScan(
        result=replace(outcome.result, findings=reportable),
        current=current,
        suppressed=outcome.suppressed,
        baselined=baselined,
        fail_on=threshold,
    )


@dataclass(frozen=True, slots=True)
class TriagedRoutes:
    """A route inventory after config and the routes baseline."""

    result: ScanResult
    """The result with routes under excluded paths removed."""
    baselined: frozenset[str] = frozenset()
    """Keys of unprotected route methods that the baseline accepts."""

    @property
    def new_unprotected(self) -> tuple[tuple[Route, str], ...]:
        """``(route, key)`` for every unprotected route method not in the baseline."""
        return tuple(
            (route, key)
            for route in self.result.routes
            for key in route_keys(route)
            if key not in self.baselined
        )

    @property
    def nothing_scanned(self) -> bool:
        """True when no file could be scanned (exit 2 rather than a clean inventory)."""
        return self.result.files_scanned == 0


def triage_routes(
    raw: ScanResult, config: ProjectConfig, *, baseline: Baseline | None = None
) -> TriagedRoutes:
    """Apply ``config`` (excluded paths) and ``baseline`` to a route inventory."""
    if baseline is not None and baseline.kind is not BaselineKind.ROUTES:
        raise ValueError("a findings baseline cannot filter routes")
    configured = apply_config(raw, config)
    known = baseline.keys if baseline is not None else frozenset()
    present = {key for route in configured.routes for key in route_keys(route)}
    return TriagedRoutes(result=configured, baselined=frozenset(known & present))


def shown_findings(
    assessment: Assessment, severity: str | None = None, confidence: str | None = None
) -> Assessment:
    """``assessment`` with only the findings at or above ``severity`` and ``confidence``.

    The display filters of ``--severity``/``--confidence`` (Bandit's ``-l``/``-i``): what is
    not shown does not fail either. Without a filter, ``assessment`` itself is returned.
    """
    if severity is None and confidence is None:
        return assessment
    least_severe = Severity.parse(severity) if severity else Severity.INFO
    least_sure = Confidence[confidence.upper()] if confidence else Confidence.LOW
    kept = tuple(
        f
        for f in assessment.result.findings
        if f.severity >= least_severe and f.confidence >= least_sure
    )
    return replace(assessment, result=replace(assessment.result, findings=kept))
