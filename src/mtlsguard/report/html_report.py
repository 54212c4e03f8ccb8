"""A self-contained HTML report: one file, no external assets, no scripts, everything escaped.

Summary and counts by severity first, then findings grouped by route (findings without a
route, such as settings, under "Project settings and code"), each with evidence and fix, then
the route inventory, suppressed findings and files that could not be scanned. A
Content-Security-Policy meta tag forbids loading anything, so a report opened from a CI
artifact cannot reach the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from mtlsguard import __version__
from mtlsguard.report.interface import ScanFormat, ScanReport, ordered_findings, severity_counts
from mtlsguard.scan.model import Finding, Protection, Route, Severity

__all__ = ["HtmlFormat"]

_NO_ROUTE = "Project settings and code"

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;
max-width:70rem;padding:0 1rem;color:#1b1f24;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
table.counts{border-collapse:collapse}table.counts td,table.counts th{padding:.2rem .8rem;
border:1px solid #d0d7de;text-align:left}
.finding{border:1px solid #d0d7de;border-left-width:6px;border-radius:4px;padding:.5rem 1rem;
margin:.8rem 0}
.sev{display:inline-block;padding:0 .5rem;border-radius:3px;font-weight:600;color:#fff}
.critical{border-left-color:#8b0000}.sev.critical{background:#8b0000}
.high{border-left-color:#cf222e}.sev.high{background:#cf222e}
.medium{border-left-color:#bf8700}.sev.medium{background:#bf8700}
.low{border-left-color:#0969da}.sev.low{background:#0969da}
.info{border-left-color:#6e7781}.sev.info{background:#6e7781}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.5rem 0}
dt{color:#57606a}dd{margin:0}pre{white-space:pre-wrap;word-break:break-word;margin:0;
background:#f6f8fa;padding:.3rem .5rem;border-radius:3px}code{font-size:.92em}
.fix{color:#116329}.muted{color:#57606a}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _finding_html(finding: Finding) -> str:
    severity = finding.severity.label
    cwes = ", ".join(c for c in (finding.cwe, *finding.cwes) if c)
    rows = []
    if finding.location is not None:
        where = f"{finding.location.path}:{finding.location.line}"
        rows.append(("Location", f"<code>{_e(where)}</code>"))
    if finding.view:
        rows.append(("View", f"<code>{_e(finding.view)}</code>"))
    if finding.methods:
        rows.append(("Methods", _e(", ".join(finding.methods))))
    if cwes:
        rows.append(("CWE", _e(cwes)))
    rows.append(("Confidence", _e(finding.confidence.label)))
    if finding.evidence:
        rows.append(("Evidence", f"<pre>{_e(finding.evidence)}</pre>"))
    if finding.remediation:
        rows.append(("Fix", f'<span class="fix">{_e(finding.remediation)}</span>'))
    body = "".join(f"<dt>{_e(name)}</dt><dd>{value}</dd>" for name, value in rows)
    return (
        f'<div class="finding {severity}">'
        f'<div><span class="sev {severity}">{_e(severity)}</span> '
        f"<strong>{_e(finding.rule_id)}</strong> {_e(finding.title)}</div>"
        f"<dl>{body}</dl></div>"
    )


_STATUS = {True: ("authenticated", "low"), False: ("OPEN", "high"), None: ("unknown", "medium")}


def _routes_html(routes: Sequence[Route]) -> str:
    rows = []
    for route in routes:
        protections = route.protections or (Protection("*", None, "none", "not determined"),)
        for protection in protections:
            label, css = _STATUS[protection.authenticated]
            decided = protection.decided_by + (
                f": {protection.detail}" if protection.detail else ""
            )
            rows.append(
                f"<tr><td><code>/{_e(route.pattern.lstrip('/'))}</code></td>"
                f"<td>{_e(protection.method)}</td>"
                f'<td><span class="sev {css}">{_e(label)}</span></td>'
                f"<td><code>{_e(route.view or '?')}</code></td><td>{_e(decided)}</td></tr>"
            )
    return (
        f'<h2 id="routes">Routes ({len(routes)})</h2><table class="counts">'
        "<tr><th>Route</th><th>Method</th><th>Status</th><th>View</th><th>Decided by</th></tr>"
        + "".join(rows)
        + "</table>"
    )


class HtmlFormat(ScanFormat):
    """``--format html``."""

    name = "html"

    def render(self, report: ScanReport) -> str:
        """Return a complete HTML5 document."""
        result = report.result
        findings = ordered_findings(result.findings)
        counts = severity_counts(findings)
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta http-equiv="Content-Security-Policy" '
            "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>mtlsguard report: {_e(result.root)}</title>",
            f"<style>{_CSS}</style></head><body>",
            f"<h1>mtlsguard scan report</h1><p>Root: <code>{_e(result.root)}</code><br>",
            f"{result.files_scanned} files, {result.lines_scanned} lines scanned; "
            f"{len(findings)} findings; {len(report.suppressed)} suppressed inline; "
            f"{report.baselined} accepted by the baseline; "
            f"{len(result.errors)} files not scanned.",
        ]
        if report.fail_on is not None:
            parts.append(f"<br>Fail-on threshold: {_e(report.fail_on.label)}")
        parts.append('</p><h2 id="summary">Findings by severity</h2><table class="counts">')
        parts.append("<tr><th>Severity</th><th>Findings</th></tr>")
        for severity in sorted(Severity, reverse=True):
            label = severity.label
            parts.append(
                f'<tr><td><span class="sev {label}">{label}</span></td>'
                f"<td>{counts[severity]}</td></tr>"
            )
        parts.append("</table>")

        groups: dict[str, list[Finding]] = {}
        for finding in findings:
            groups.setdefault(finding.route if finding.route is not None else _NO_ROUTE, [])
            groups[finding.route if finding.route is not None else _NO_ROUTE].append(finding)
        parts.append('<h2 id="findings">Findings by route</h2>')
        if not groups:
            parts.append('<p class="muted">No findings.</p>')
        for route, items in groups.items():
            title = route if route == _NO_ROUTE else f"/{route.lstrip('/')}"
            parts.append(
                f'<h3><code>{_e(title)}</code> <span class="muted">({len(items)})</span></h3>'
            )
            parts.extend(_finding_html(finding) for finding in items)

        if result.routes:
            parts.append(_routes_html(result.routes))
        if report.suppressed:
            parts.append('<h2 id="suppressed">Suppressed inline</h2><ul>')
            for item in report.suppressed:
                where = item.finding.location.path if item.finding.location else "?"
                parts.append(
                    f"<li><strong>{_e(item.finding.rule_id)}</strong> "
                    f"<code>{_e(where)}:{item.line}</code>: {_e(item.reason)}</li>"
                )
            parts.append("</ul>")
        if result.errors:
            parts.append('<h2 id="errors">Not scanned</h2><ul>')
            parts.extend(
                f"<li><code>{_e(error.path)}</code>: {_e(error.message)}</li>"
                for error in result.errors
            )
            parts.append("</ul>")
        parts.append(f'<p class="muted">mtlsguard {_e(__version__)}</p></body></html>')
        return "\n".join(parts) + "\n"
