"""The terminal report: findings grouped by severity, each with its CWE, location and fix.

A probe's run adds its grade, per-category scores and notes at the end; a merged run
(``scan --probe``) shows under each confirmed finding what the static scan and the probe saw.

Built with ``rich`` into a string. With ``color=False`` (not a TTY, a file, ``NO_COLOR``) the
output has no escape sequences at all, so it can be piped, diffed and grepped.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich.console import Console, Group, RenderableType
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from mtlsguard.findings.assessment import (
    Assessment,
    Grade,
    MergedParts,
    RunKind,
    describe_part,
    ordered_findings,
    severity_counts,
)
from mtlsguard.findings.model import Finding, ScanResult, Severity
from mtlsguard.report.interface import ScanFormat
from mtlsguard.report.wording import plural, readable_route

__all__ = [
    "SEVERITY_STYLES",
    "ConciseFormat",
    "TextFormat",
    "make_console",
    "printable",
    "score_lines",
]

#: A text report with more findings than this repeats its summary at the end, where the
#: reader is when the output stops scrolling.
LONG_REPORT = 10

SEVERITY_STYLES: dict[Severity, str] = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "bold yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def printable(value: str) -> str:
    """``value`` with control characters shown escaped, as ``repr`` shows them.

    Evidence and paths come from the scanned project; an escape sequence in them must not
    reach the user's terminal.
    """
    if value.isprintable():
        return value
    return "".join(ch if ch.isprintable() or ch in "\n\t" else repr(ch)[1:-1] for ch in value)


def make_console(buffer: io.StringIO, *, color: bool, width: int) -> Console:
    """A console that writes into ``buffer``; plain text unless ``color``."""
    return Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        width=width,
        highlight=False,
        emoji=False,
        markup=False,
        legacy_windows=False,
    )


def _counts(findings: Sequence[Finding]) -> str:
    parts = [f"{n} {s.label}" for s, n in severity_counts(findings).items() if n]
    return ", ".join(parts) if parts else "none"


def _summary(report: Assessment) -> RenderableType:
    result = report.result
    probe_only = report.kind is RunKind.PROBE
    lines = Text()
    lines.append("mtlsguard probe " if probe_only else "mtlsguard scan ", style="bold")
    lines.append(printable(result.root))
    lines.append("\n")
    findings = f"{plural(len(result.findings), 'finding')} ({_counts(result.findings)})"
    if probe_only:
        lines.append(findings)
    else:
        lines.append(
            f"{plural(result.files_scanned, 'file')}, {plural(result.lines_scanned, 'line')} "
            f"scanned; {findings}"
        )
    extras = []
    if report.suppressed:
        extras.append(f"{len(report.suppressed)} suppressed inline")
    if report.baselined:
        extras.append(f"{report.baselined} accepted by the baseline")
    if result.errors:
        extras.append(_errors_summary(report))
    if extras:
        lines.append("; " + "; ".join(extras))
    if report.fail_on is not None:
        failing = plural(len(report.failing), "finding")
        lines.append(f"\nfail-on {report.fail_on.label}: {failing} at or above it")
    return lines


def _errors_summary(report: Assessment) -> str:
    """How many files or probe requests failed, in the words of the run's kind."""
    errors = report.result.errors
    probed = sum(1 for e in errors if "://" in e.path)
    if report.kind is RunKind.PROBE:
        what = "request or route" if len(errors) == 1 else "requests or routes"
        return f"{len(errors)} {what} failed"
    parts = []
    if len(errors) - probed:
        files = plural(len(errors) - probed, "file")
        parts.append(f"{files} could not be scanned")
    if probed:
        parts.append(f"{plural(probed, 'probe request')} failed")
    return "; ".join(parts)


def score_lines(grade: Grade, notes: Sequence[str], traffic: str = "") -> list[str]:
    """The probe grade, its categories and the run's notes, as plain lines."""
    lines = [
        f"Probe score: {grade.score}/100, grade {grade.grade}"
        + (f"   ({traffic})" if traffic else "")
    ]
    for category in grade.categories:
        shown = "not tested" if category.score is None else f"{category.score}/100"
        lines.append(f"  {category.category:<15} {category.grade:<4} {shown}")
    lines += [f"  note: {note}" for note in notes]
    return lines


def _finding(finding: Finding, parts: MergedParts | None) -> RenderableType:
    style = SEVERITY_STYLES[finding.severity]
    head = Text()
    head.append(printable(finding.rule_id), style=style)
    head.append("  ")
    head.append(printable(finding.title), style="bold")
    cwes = printable(", ".join(c for c in (finding.cwe, *finding.cwes) if c))
    if cwes:
        head.append(f"  [{cwes}]", style="magenta")
    head.append(f"  confidence {finding.confidence.label}", style="dim")
    details = Table.grid(padding=(0, 2))
    details.add_column(style="dim", no_wrap=True)
    details.add_column(overflow="fold")
    if finding.location is not None:
        details.add_row("location", printable(f"{finding.location.path}:{finding.location.line}"))
    if finding.route is not None:
        methods = f"  [{', '.join(finding.methods)}]" if finding.methods else ""
        details.add_row("route", printable(f"{readable_route(finding.route)}{methods}"))
    if finding.view:
        details.add_row("view", printable(finding.view))
    if finding.evidence:
        details.add_row("evidence", printable(finding.evidence))
    if parts is not None:
        for side, found in (("static", parts.static), ("probe", parts.dynamic)):
            seen = "; ".join(describe_part(f) for f in found)
            details.add_row(f"{side} saw", printable(seen))
    if finding.remediation:
        details.add_row("fix", Text(printable(finding.remediation), style="green"))
    return Group(head, details, Text(""))


def _errors(result: ScanResult) -> RenderableType:
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for error in result.errors:
        table.add_row(printable(error.path), printable(error.message))
    return table


class TextFormat(ScanFormat):
    """``--format text`` (the default)."""

    name = "text"

    def __init__(self, *, color: bool = False, width: int = 100) -> None:
        self.color = color
        self.width = width

    def render(self, report: Assessment) -> str:
        """Return the report; ANSI styles only when the format was built with ``color``."""
        buffer = io.StringIO()
        console = make_console(buffer, color=self.color, width=self.width)
        console.print(_summary(report))
        findings = ordered_findings(report.result.findings)
        for severity in sorted(Severity, reverse=True):
            group = [f for f in findings if f.severity is severity]
            if not group:
                continue
            console.print()
            console.print(
                Rule(
                    Text(f"{severity.label.upper()} ({len(group)})", SEVERITY_STYLES[severity]),
                    align="left",
                )
            )
            for finding in group:
                console.print(_finding(finding, report.parts_of(finding)))
        if report.suppressed:
            console.print(Rule("suppressed inline", align="left"))
            for item in report.suppressed:
                where = item.finding.location.path if item.finding.location else "?"
                console.print(
                    Text(
                        printable(f"{item.finding.rule_id}  {where}:{item.line}  -- {item.reason}")
                    )
                )
        if report.result.errors:
            console.print()
            failed = "failed requests" if report.kind is RunKind.PROBE else "not scanned"
            console.print(Rule(failed, align="left"))
            console.print(_errors(report.result))
        if not findings:
            console.print()
            console.print(Text("No findings.", style="bold green"))
        if report.grade is not None:
            console.print()
            for line in score_lines(report.grade, report.notes, report.traffic):
                console.print(Text(printable(line)), soft_wrap=True)
        elif report.notes:
            console.print()
            for note in report.notes:
                console.print(Text(printable(f"note: {note}")), soft_wrap=True)
        if len(findings) > LONG_REPORT:
            console.print()
            console.print(Rule("summary", align="left"))
            console.print(_summary(report))
        text = buffer.getvalue()
        if self.color:
            return text
        # rich pads table cells to the console width; plain output should diff cleanly.
        return "".join(line.rstrip() + "\n" for line in text.splitlines())


def _concise_line(finding: Finding) -> str:
    if finding.location is not None:
        where = f"{finding.location.path}:{finding.location.line}:{finding.location.column}"
    else:
        where = readable_route(finding.route) if finding.route else "-"
    if finding.route and finding.location is not None:
        detail = f" ({readable_route(finding.route)})"
    else:  # no route to tell findings apart (a setting, a suppression): the evidence does
        detail = f": {finding.evidence}" if finding.evidence and not finding.route else ""
    severity = finding.severity.label
    return printable(f"{where}: {finding.rule_id} [{severity}] {finding.title}{detail}")


class ConciseFormat(ScanFormat):
    """``--format concise``: one line per finding, ``path:line:col: ID message``, then a count.

    For editors, ``grep`` and large projects (Ruff's ``concise``, Semgrep's default); a finding
    without a source location (a probe's) starts with its route.
    """

    name = "concise"

    def render(self, report: Assessment) -> str:
        """Return one line per finding and a final summary line."""
        findings = ordered_findings(report.result.findings)
        lines = [_concise_line(f) for f in findings]
        summary = f"Found {plural(len(findings), 'finding')}"
        if findings:
            summary += f" ({_counts(findings)})"
        if report.fail_on is not None:
            summary += f"; {len(report.failing)} at or above {report.fail_on.label}"
        if report.result.errors:
            summary += f"; {_errors_summary(report)}"
        lines.append(summary + ".")
        return "\n".join(lines) + "\n"
