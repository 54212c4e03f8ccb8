"""Markdown job summary of mtlsguard SARIF logs (GitHub's ``$GITHUB_STEP_SUMMARY``).

Pure functions of SARIF documents written by ``mtlsguard scan`` or ``mtlsguard probe``: the
severity of each result is read from ``properties.severity``, never decided here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from mtlsguard.findings.model import Severity

__all__ = [
    "MAX_ROWS",
    "SEVERITIES",
    "Outcome",
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
    """One unsuppressed SARIF result, as the summary table shows it."""

    rule_id: str
    """The rule id, e.g. ``MG102``."""
    severity: str
    """One of :data:`SEVERITIES`."""
    title: str
    """The first sentence of the result's message."""
    location: str
    """``path:line`` relative to the scanned root, the request URL of a probe, or empty."""
    route: str
    """The URL pattern, or empty."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one mtlsguard command ended."""

    exit_code: int
    """0 nothing at or above the threshold, 1 findings, 2 usage or scan error."""
    message: str = ""
    """Why the command failed (exit code 2), for the summary."""


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One command's section of the job summary."""

    heading: str
    """E.g. ``mtlsguard scan backend``."""
    outcome: Outcome
    """How the command ended."""
    sarif: Mapping[str, Any] | None
    """The SARIF log it wrote, or ``None`` if it wrote none."""
    sarif_file: str = ""
    """Where the log was written (shown in the summary)."""


def _cell(text: str) -> str:
    # A table cell is one line and must not end the cell early.
    return " ".join(text.split()).replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{_cell(text).replace('`', '')}`" if text else ""


def _location(result: Mapping[str, Any]) -> str:
    for location in result.get("locations") or []:
        physical = location.get("physicalLocation") or {}
        uri = (physical.get("artifactLocation") or {}).get("uri")
        if uri:
            line = (physical.get("region") or {}).get("startLine")
            return f"{uri}:{line}" if line else str(uri)
    request = result.get("webRequest") or {}
    target = request.get("target")
    if target:
        return f"{request.get('method', 'GET')} {target}"
    return ""


def result_rows(sarif: Mapping[str, Any]) -> list[ResultRow]:
    """The unsuppressed results of every run of ``sarif``, most severe first."""
    rows: list[ResultRow] = []
    for run in sarif.get("runs") or []:
        for result in run.get("results") or []:
            if result.get("suppressions"):
                continue
            properties = result.get("properties") or {}
            severity = str(properties.get("severity", "info"))
            message = str((result.get("message") or {}).get("text", ""))
            title = message.split(". ", 1)[0].rstrip(".")
            rows.append(
                ResultRow(
                    rule_id=str(result.get("ruleId", "")),
                    severity=severity if severity in SEVERITIES else "info",
                    title=title,
                    location=_location(result),
                    route=str(properties.get("route", "")),
                )
            )
    rows.sort(key=lambda row: (SEVERITIES.index(row.severity), row.rule_id, row.location))
    return rows


def at_or_above(rows: Sequence[ResultRow], threshold: str) -> int:
    """How many of ``rows`` are at or above the severity ``threshold``."""
    limit = SEVERITIES.index(threshold)
    return sum(1 for row in rows if SEVERITIES.index(row.severity) <= limit)


def _counts(rows: Sequence[ResultRow]) -> str:
    parts = []
    for severity in SEVERITIES:
        count = sum(1 for row in rows if row.severity == severity)
        if count:
            parts.append(f"{count} {severity}")
    return ", ".join(parts)


def _grade(sarif: Mapping[str, Any]) -> str:
    for run in sarif.get("runs") or []:
        probe = (run.get("properties") or {}).get("probe")
        if isinstance(probe, Mapping) and probe.get("grade"):
            score = probe.get("score")
            suffix = f" ({score}/100)" if score is not None else ""
            return f"Probe grade: **{probe['grade']}**{suffix}"
    return ""


def _status(outcome: Outcome, fail_on: str) -> str:
    if outcome.exit_code == 2:
        detail = f": {_cell(outcome.message)}" if outcome.message else ""
        return f"**Error** (exit code 2){detail}"
    if outcome.exit_code == 1:
        return f"**Failed**: findings at or above {fail_on or 'the threshold'}"
    return "**Passed**"


def _section(run: RunSummary, fail_on: str) -> list[str]:
    lines = [f"### {run.heading}", "", _status(run.outcome, fail_on)]
    if run.sarif is None:
        return [*lines, ""]
    rows = result_rows(run.sarif)
    counted = f"{len(rows)} finding{'' if len(rows) == 1 else 's'}"
    if rows:
        counted += f" ({_counts(rows)})"
    if fail_on in SEVERITIES:
        counted += f"; fail-on {fail_on}: {at_or_above(rows, fail_on)} at or above it"
    elif fail_on == "none":
        counted += "; fail-on none: findings do not fail the job"
    lines += ["", counted]
    grade = _grade(run.sarif)
    if grade:
        lines += ["", grade]
    if rows:
        lines += [
            "",
            "| Severity | Rule | Finding | Location | Route |",
            "| --- | --- | --- | --- | --- |",
        ]
        for row in rows[:MAX_ROWS]:
            cells = (
                row.severity,
                row.rule_id,
                _cell(row.title),
                _code(row.location),
                _code(row.route),
            )
            lines.append("| " + " | ".join(cells) + " |")
        if len(rows) > MAX_ROWS:
            lines += ["", f"... and {len(rows) - MAX_ROWS} more in `{run.sarif_file}`."]
    if run.sarif_file:
        lines += ["", f"SARIF: `{run.sarif_file}`"]
    return [*lines, ""]


def render_summary(runs: Sequence[RunSummary], fail_on: str) -> str:
    """The Markdown job summary of ``runs``; ``fail_on`` is a severity, ``none`` or empty."""
    lines = ["## mtlsguard", ""]
    for run in runs:
        lines += _section(run, fail_on)
    return "\n".join(lines) + "\n"
