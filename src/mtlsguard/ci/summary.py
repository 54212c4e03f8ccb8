"""The Markdown job summary of the GitHub Action (``$GITHUB_STEP_SUMMARY``).

A pure function of the runs' assessments: one section per run (scan, probe) with its status,
counts, the probe grade and a table of findings, most severe first. Severity is read from the
findings, never decided here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from mtlsguard.findings.assessment import Assessment, ordered_findings
from mtlsguard.findings.model import Finding, Severity
from mtlsguard.report.wording import readable_route

__all__ = [
    "MAX_ROWS",
    "SEVERITIES",
    "ResultRow",
    "RunSummary",
    "at_or_above",
    "render_summary",
    "result_rows",
]

SEVERITIES: Final = tuple(severity.label for severity in sorted(Severity, reverse=True))
"""Severity names, most severe first (``critical`` ... ``info``)."""

MAX_ROWS: Final = 50
"""Findings listed per run; the rest are counted (the SARIF log has them all)."""


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One reportable finding, as the summary table shows it."""

    rule_id: str
    """The rule id, e.g. ``MG102``."""
    severity: str
    """One of :data:`SEVERITIES`."""
    title: str
    """The finding's title."""
    location: str
    """``path:line`` relative to the repository, the request of a probe, or empty."""
    route: str
    """The URL pattern, or empty."""


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run's section of the job summary."""

    heading: str
    """E.g. ``mtlsguard scan backend``."""
    exit_code: int
    """0 nothing at or above the threshold, 1 findings, 2 usage or scan error."""
    message: str = ""
    """Why the run failed (exit code 2)."""
    assessment: Assessment | None = None
    """What the run concluded; ``None`` when it could not run."""
    sarif_file: str = ""
    """Where its SARIF log was written."""
    path_prefix: str = ""
    """The scanned root's place in the repository (``backend/``), for locations."""


def _location(finding: Finding, prefix: str) -> str:
    if finding.location is not None:
        return f"{prefix}{finding.location.path}:{finding.location.line}"
    request = finding.web_request or {}
    target = request.get("target")
    if target:
        return f"{request.get('method', 'GET')} {target}"
    return ""


def result_rows(assessment: Assessment, path_prefix: str = "") -> list[ResultRow]:
    """The reportable findings of ``assessment``, most severe first."""
    return [
        ResultRow(
            rule_id=finding.rule_id,
            severity=finding.severity.label,
            title=finding.title,
            location=_location(finding, path_prefix),
            route=readable_route(finding.route) if finding.route else "",
        )
        for finding in ordered_findings(assessment.result.findings)
    ]


def at_or_above(rows: Sequence[ResultRow], threshold: str) -> int:
    """How many of ``rows`` are at or above the severity ``threshold``."""
    limit = SEVERITIES.index(threshold)
    return sum(1 for row in rows if SEVERITIES.index(row.severity) <= limit)


def _cell(text: str) -> str:
    # A table cell is one line and must not end the cell early.
    return " ".join(text.split()).replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{_cell(text).replace('`', '')}`" if text else ""


def _counts(rows: Sequence[ResultRow]) -> str:
    parts = []
    for severity in SEVERITIES:
        count = sum(1 for row in rows if row.severity == severity)
        if count:
            parts.append(f"{count} {severity}")
    return ", ".join(parts)


def _status(run: RunSummary, fail_on: str) -> str:
    if run.exit_code == 2:
        detail = f": {_cell(run.message)}" if run.message else ""
        return f"**Error** (exit code 2){detail}"
    if run.exit_code == 1:
        return f"**Failed**: findings at or above {fail_on or 'the threshold'}"
    return "**Passed**"


def _table(rows: Sequence[ResultRow], sarif_file: str) -> list[str]:
    lines = [
        "",
        "| Severity | Rule | Finding | Location | Route |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows[:MAX_ROWS]:
        cells = (row.severity, row.rule_id, _cell(row.title), _code(row.location), _code(row.route))
        lines.append("| " + " | ".join(cells) + " |")
    if len(rows) > MAX_ROWS:
        lines += ["", f"... and {len(rows) - MAX_ROWS} more in `{sarif_file}`."]
    return lines


def _section(run: RunSummary, fail_on: str) -> list[str]:
    lines = [f"### {run.heading}", "", _status(run, fail_on)]
    assessment = run.assessment
    if assessment is None:
        return [*lines, ""]
    rows = result_rows(assessment, run.path_prefix)
    counted = f"{len(rows)} finding{'' if len(rows) == 1 else 's'}"
    if rows:
        counted += f" ({_counts(rows)})"
    if fail_on in SEVERITIES:
        counted += f"; fail-on {fail_on}: {at_or_above(rows, fail_on)} at or above it"
    elif fail_on == "none":
        counted += "; fail-on none: findings do not fail the job"
    lines += ["", counted]
    if assessment.grade is not None:
        grade = assessment.grade
        lines += ["", f"Probe grade: **{grade.grade}** ({grade.score}/100)"]
    if rows:
        lines += _table(rows, run.sarif_file)
    if run.sarif_file:
        lines += ["", f"SARIF: `{run.sarif_file}`"]
    return [*lines, ""]


def render_summary(runs: Sequence[RunSummary], fail_on: str) -> str:
    """The Markdown job summary of ``runs``; ``fail_on`` is a severity, ``none`` or empty."""
    lines = ["## mtlsguard", ""]
    for run in runs:
        lines += _section(run, fail_on)
    return "\n".join(lines) + "\n"
