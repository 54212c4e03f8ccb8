"""The demo's side-by-side summary (text) and its HTML and SARIF reports, one pair per side.

Pure functions of :class:`~mtlsguard.demo.result.DemoResult`: each side's reports render the
side's assessment with the report formats; the caller writes them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from mtlsguard.demo.result import DemoResult, SideResult
from mtlsguard.findings.assessment import ordered_findings
from mtlsguard.findings.model import Finding, Severity
from mtlsguard.probe.discovery import django_pattern_to_template
from mtlsguard.probe.runner import ProbeResult
from mtlsguard.report.html_report import HtmlFormat
from mtlsguard.report.sarif import SarifFormat

__all__ = ["render_summary", "report_documents"]

WIDTH: Final = 100
_LABEL: Final = 30
_COLUMN: Final = 34


def _row(label: str, *cells: str) -> str:
    # A cell wider than its column still keeps two spaces before the next one (before:
    # "1 critical, 2 high, 2 medium, 1 lownone").
    return (f"  {label:<{_LABEL}}" + "".join(f"{c:<{_COLUMN - 2}}  " for c in cells)).rstrip()


def _counts(findings: Sequence[Finding]) -> str:
    counts: dict[Severity, int] = {}
    for finding in findings:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    if not counts:
        return "none"
    return ", ".join(f"{n} {s.label}" for s, n in sorted(counts.items(), reverse=True))


def _route_of(finding: Finding) -> str:
    route = finding.route or "(settings and code)"
    template = django_pattern_to_template(route) if finding.route else None
    return template or route


def _by_route(side: SideResult) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for route in side.static.routes:
        rows.setdefault(django_pattern_to_template(route.pattern) or route.pattern, [])
    for _, finding in side.findings:
        ids = rows.setdefault(_route_of(finding), [])
        if finding.rule_id not in ids:
            ids.append(finding.rule_id)
    return rows


def _finding_lines(source: str, finding: Finding) -> list[str]:
    where = f" {finding.view}" if finding.view else ""
    head = (
        f"  {finding.severity.label.upper():<8} {finding.rule_id} {finding.cwe or '-':<8} "
        f"{_route_of(finding)}{where}  [{source}]"
    )
    lines = [head]
    wrap = textwrap.TextWrapper(width=WIDTH, subsequent_indent=" " * 14)
    lines += wrap.wrap(f"    what:     {finding.title}")
    evidence = finding.evidence if len(finding.evidence) <= 240 else finding.evidence[:239] + "…"
    if evidence:
        lines += wrap.wrap(f"    evidence: {evidence}")
    if finding.remediation:
        lines += wrap.wrap(f"    fix:      {finding.remediation}")
    return lines


def _probe_line(result: ProbeResult) -> str:
    return f"{result.requests_sent} requests, {result.elapsed:.1f}s"


def render_summary(result: DemoResult, reports: Sequence[Path] = ()) -> str:
    """Both examples side by side: grades, findings per route, then each finding's fix."""
    sides = result.sides
    names = [s.name for s in sides]
    lines = [
        "mtlsguard demo: the same bank app twice, behind the same mutual TLS",
        "  alice (identity A) and bob (identity B) both hold valid client certificates; the",
        "  probe presents alice's and no application credentials, and tries bob's objects.",
        "",
        _row("", *names),
        _row("Grade (probe score)", *(f"{s.score.grade}  ({s.score.score}/100)" for s in sides)),
    ]
    categories = [c.category for c in sides[0].score.categories]
    for index, category in enumerate(categories):
        cells = []
        for side in sides:
            scored = side.score.categories[index]
            shown = "not tested" if scored.score is None else f"{scored.score}/100"
            cells.append(f"{scored.grade:<4} {shown}")
        lines.append(_row(f"  {category.value}", *cells))
    lines += [
        _row("Static scan", *(_counts(s.static.findings) for s in sides)),
        _row("Probe over mTLS", *(_counts(s.mtls.findings) for s in sides)),
        _row("Probe of the app port", *(_counts(s.origin.findings) for s in sides)),
        _row("Probe traffic (mTLS)", *(_probe_line(s.mtls) for s in sides)),
        "",
        _row("Findings by route", *names),
    ]
    routes: list[str] = []
    per_side = [_by_route(s) for s in sides]
    for rows in per_side:
        routes += [r for r in rows if r not in routes]
    for route in routes:
        lines.append(_row(route, *(" ".join(rows.get(route, [])) or "-" for rows in per_side)))
    for side in sides:
        ordered = ordered_findings([f for _, f in side.findings])
        source = {id(f): label for label, f in side.findings}
        count = f"{len(ordered)} finding{'' if len(ordered) == 1 else 's'}"
        lines += ["", f"What to fix in {side.name} ({count})"]
        if not ordered:
            lines.append(
                "  nothing: a certificate alone gets no data, nobody reads another's objects, "
                "forged proxy headers are not believed"
            )
        for finding in ordered:
            lines += _finding_lines(source[id(finding)], finding)
        notes = [*side.mtls.notes, *side.origin.notes]
        errors = [*side.static.errors, *side.mtls.errors, *side.origin.errors]
        for error in errors[:5]:
            lines.append(f"  error: {error.path}: {error.message}")
        if any("enforced at the TLS handshake" in n for n in notes):
            lines.append("  note: mTLS is enforced at the handshake (no certificate, no request)")
    lines += ["", f"Finished in {result.elapsed:.1f}s; the demo's servers are stopped."]
    if reports:
        lines.append("Reports:")
        lines += [f"  {path}" for path in reports]
    return "\n".join(lines) + "\n"


def report_documents(result: DemoResult) -> list[tuple[str, str]]:
    """``(file name, text)`` of each side's HTML and SARIF report: ``<side>.html``/``.sarif``."""
    documents = []
    for side in result.sides:
        documents.append((f"{side.name}.html", HtmlFormat().render(side.assessment)))
        documents.append((f"{side.name}.sarif", SarifFormat().render(side.assessment)))
    return documents
