"""A self-contained HTML report: one file, no external assets, no scripts, everything escaped.

Summary first (the probe's grade when probes ran, otherwise a note that a static scan has
none; counts by severity; the fail-on verdict), then the probe's per-category scores, the
findings grouped by route (findings without a route, such as settings, under "Project settings
and code"), each with location, CWE links, evidence, the source excerpt it points at and its
fix, then a fix list, the route inventory, suppressed findings and files that could not be
scanned. The Content-Security-Policy (:mod:`mtlsguard.report.html_style`) forbids loading
anything, so a report opened from a CI artifact cannot reach the network.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape
from typing import Final

from mtlsguard import __version__
from mtlsguard.findings.assessment import (
    Assessment,
    Grade,
    MergedParts,
    SourceExcerpt,
    describe_part,
    ordered_findings,
    severity_counts,
)
from mtlsguard.findings.model import Finding, Protection, Route, Severity
from mtlsguard.report.html_style import CSP, CSS, bar_class
from mtlsguard.report.interface import ScanFormat
from mtlsguard.report.wording import plural, readable_route

__all__ = ["HtmlFormat"]

_NO_ROUTE: Final = "Project settings and code"
_CWE: Final = re.compile(r"CWE-([0-9]{1,6})")
_STATUS: Final = {
    True: ("authenticated", "auth"),
    False: ("OPEN", "open"),
    None: ("unknown", "unknown"),
}


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _route_title(route: str) -> str:
    return route if route == _NO_ROUTE else readable_route(route)


def _dotted(name: str) -> str:
    """A dotted view name that may break after its dots only, never mid-word."""
    return "<wbr>.".join(_e(part) for part in name.split("."))


def _cwe_links(finding: Finding) -> str:
    links = []
    for cwe in dict.fromkeys(c for c in (finding.cwe, *finding.cwes) if c):
        match = _CWE.fullmatch(cwe)
        if match is None:
            links.append(_e(cwe))
            continue
        url = f"https://cwe.mitre.org/data/definitions/{match.group(1)}.html"
        links.append(f'<a href="{url}" rel="noreferrer">{_e(cwe)}</a>')
    return ", ".join(links)


def _excerpt_html(excerpt: SourceExcerpt) -> str:
    rows = []
    for number, line in enumerate(excerpt.lines, start=excerpt.start):
        focus = " focus" if number == excerpt.focus else ""
        rows.append(f'<span class="line{focus}"><span class="ln">{number}</span>{_e(line)}</span>')
    if excerpt.cut:
        rows.append('<span class="line"><span class="ln">…</span></span>')
    return f'<h4>Code</h4><pre class="source">{"".join(rows)}</pre>'


def _finding_html(
    finding: Finding,
    anchor: str,
    excerpts: Mapping[tuple[str, int], SourceExcerpt],
    parts: MergedParts | None,
) -> str:
    severity = finding.severity.label
    facts = []
    excerpt = None
    if finding.location is not None:
        where = f"{finding.location.path}:{finding.location.line}"
        facts.append(("Location", f"<code>{_e(where)}</code>"))
        excerpt = excerpts.get((finding.location.path, finding.location.line))
    if finding.view:
        facts.append(("View", f"<code>{_e(finding.view)}</code>"))
    if finding.methods:
        facts.append(("Methods", _e(", ".join(finding.methods))))
    cwes = _cwe_links(finding)
    if cwes:
        facts.append(("CWE", cwes))
    facts.append(("Confidence", _e(finding.confidence.label)))
    if parts is not None:
        for side, found in (("Static scan saw", parts.static), ("Probe saw", parts.dynamic)):
            seen = "; ".join(describe_part(f) for f in found)
            facts.append((side, f"<code>{_e(seen)}</code>"))
    html = [
        f'<article class="finding {severity}" id="{anchor}">',
        f'<div><span class="sev {severity}">{_e(severity)}</span>'
        f'<span class="rule">{_e(finding.rule_id)}</span>'
        f'<span class="title">{_e(finding.title)}</span></div>',
        '<dl class="facts">',
        *(f"<div><dt>{name}</dt><dd>{value}</dd></div>" for name, value in facts),
        "</dl>",
    ]
    if finding.evidence:
        html.append(f"<h4>Evidence</h4><pre>{_e(finding.evidence)}</pre>")
    if excerpt is not None:
        html.append(_excerpt_html(excerpt))
    if finding.remediation:
        html.append(f'<div class="fix"><h4>Fix</h4><p>{_e(finding.remediation)}</p></div>')
    html.append("</article>")
    return "".join(html)


_NO_GRADE: Final = (
    '<p class="muted">A static scan has no A&#8211;F grade: the grade and the per-category '
    "scores come from probes over real mutual TLS (<code>mtlsguard scan --probe URL</code>, "
    "<code>mtlsguard probe</code> or <code>mtlsguard demo</code>).</p>"
)


def _grade_card(grade: Grade) -> str:
    letter = grade.grade if grade.grade in {"A", "B", "C", "D", "F"} else "none"
    return (
        f'<div class="card grade"><div class="letter grade-{letter}">{_e(grade.grade)}</div>'
        f'<div><div class="big">Probe grade {_e(grade.grade)}</div>'
        f"<p><strong>Probe score {grade.score}/100</strong> from probes over mutual TLS: "
        "100 minus a cost per finding by severity; A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, "
        "F below.</p></div></div>"
    )


def _counts_card(counts: Mapping[Severity, int]) -> str:
    items = []
    for severity, count in counts.items():
        css = severity.label if count else "zero"
        items.append(f'<li class="{css}"><span class="n">{count}</span>{severity.label}</li>')
    return (
        '<div class="card"><h3>Findings by severity</h3>'
        f'<ul class="counts">{"".join(items)}</ul></div>'
    )


def _summary_html(report: Assessment, findings: Sequence[Finding]) -> list[str]:
    result = report.result
    counts = severity_counts(findings)
    # A static scan leads with what it has (the counts), not with a grade it cannot have.
    cards = [_counts_card(counts)] if report.grade is None else [_grade_card(report.grade)]
    if report.grade is not None:
        cards.append(_counts_card(counts))
    parts = ['<section id="summary"><h2>Summary</h2><div class="cards">', *cards, "</div>"]
    if report.fail_on is not None:
        failing = sum(n for s, n in counts.items() if s >= report.fail_on)
        css = "fail" if failing else "pass"
        parts.append(
            f'<p class="verdict {css}">{plural(failing, "finding")} at or above the fail-on '
            f"threshold ({_e(report.fail_on.label)}).</p>"
        )
    stats = [plural(len(findings), "finding")]
    if result.files_scanned or result.lines_scanned:
        scanned = f"{plural(result.files_scanned, 'file')}, {plural(result.lines_scanned, 'line')}"
        stats.insert(0, f"{scanned} scanned")
    stats += [
        f"{len(report.suppressed)} suppressed inline",
        f"{report.baselined} accepted by the baseline",
        f"{len(result.errors)} not scanned",
    ]
    parts.append(f'<p class="stats">{_e("; ".join(stats))}.</p>')
    if report.grade is None:
        parts.append(_NO_GRADE)
    parts.append("</section>")
    return parts


def _categories_html(grade: Grade, notes: Sequence[str]) -> list[str]:
    rows = []
    for category in grade.categories:
        if category.score is None:
            shown = '<span class="muted">not tested</span>'
        else:
            tone = "" if category.score >= 90 else " warn" if category.score >= 60 else " bad"
            shown = (
                f'<span class="bar{tone}"><span class="{bar_class(category.score)}"></span>'
                f"</span>{category.score}/100"
            )
        rows.append(
            f"<tr><td>{_e(category.category)}</td><td>{_e(category.grade)}</td>"
            f'<td>{shown}</td><td class="num">{category.findings}</td></tr>'
        )
    parts = [
        '<section id="categories"><h2>Probe score by category</h2><table>',
        "<tr><th>Category</th><th>Grade</th><th>Score</th><th>Findings</th></tr>",
        *rows,
        "</table>",
    ]
    if notes:
        parts.append("<ul>")
        parts.extend(f'<li class="muted">{_e(note)}</li>' for note in notes)
        parts.append("</ul>")
    parts.append("</section>")
    return parts


def _grouped(findings: Sequence[Finding]) -> dict[str, list[tuple[str, Finding]]]:
    groups: dict[str, list[tuple[str, Finding]]] = {}
    for number, finding in enumerate(findings, start=1):
        route = finding.route if finding.route is not None else _NO_ROUTE
        groups.setdefault(route, []).append((f"finding-{number}", finding))
    return groups


def _findings_html(
    groups: Mapping[str, list[tuple[str, Finding]]], report: Assessment
) -> list[str]:
    by_line = {(excerpt.path, excerpt.focus): excerpt for excerpt in report.excerpts}
    parts = ['<section id="findings"><h2>Findings by route</h2>']
    if not groups:
        parts.append('<p class="muted">No findings.</p>')
    for number, (route, items) in enumerate(groups.items(), start=1):
        views = list(dict.fromkeys(f.view for _, f in items if f.view))
        title = _NO_ROUTE if route == _NO_ROUTE else f"<code>{_e(_route_title(route))}</code>"
        shown = f"<p>{_e(', '.join(views))}</p>" if views else ""
        parts.append(
            f'<section class="route" id="route-{number}"><header>'
            f'<h3>{title} <span class="muted">'
            f"({len(items)})</span></h3>{shown}</header>"
        )
        parts.extend(
            _finding_html(finding, anchor, by_line, report.parts_of(finding))
            for anchor, finding in items
        )
        parts.append("</section>")
    parts.append("</section>")
    return parts


def _fixes_html(groups: Mapping[str, list[tuple[str, Finding]]]) -> list[str]:
    """One item per distinct fix, most severe first, linking every finding it fixes."""
    items = sorted(
        ((anchor, route, f) for route, found in groups.items() for anchor, f in found),
        key=lambda item: -item[2].severity,
    )
    fixes: dict[tuple[str, str], list[tuple[str, str, Finding]]] = {}
    for item in items:
        finding = item[2]
        fixes.setdefault((finding.rule_id, finding.remediation or item[0]), []).append(item)
    parts = [
        '<section id="fixes"><h2>Fix list</h2>'
        '<p class="muted">Each fix once, most severe first, with the findings it closes.</p>'
        '<ol class="todo">'
    ]
    for places in fixes.values():
        anchor, _, finding = places[0]
        severity = finding.severity.label
        links = ", ".join(
            f'<a href="#{a}">{_e(_fix_place(route, f))}</a>' for a, route, f in places
        )
        fix = _e(finding.remediation) if finding.remediation else "See the finding."
        parts.append(
            f'<li><span class="sev {severity}">{_e(severity)}</span>'
            f'<a class="rule" href="#{anchor}">{_e(finding.rule_id)}</a>'
            f'<span class="where">{links}</span>: {fix}</li>'
        )
    parts.append("</ol></section>")
    return parts


def _fix_place(route: str, finding: Finding) -> str:
    if route == _NO_ROUTE and finding.location is not None:
        return f"{finding.location.path}:{finding.location.line}"
    return _route_title(route)


def _routes_html(routes: Sequence[Route]) -> list[str]:
    rows = []
    for route in routes:
        protections = route.protections or (Protection("*", None, "none", "not determined"),)
        for protection in protections:
            label, css = _STATUS[protection.authenticated]
            decided = protection.decided_by + (
                f": {protection.detail}" if protection.detail else ""
            )
            rows.append(
                f"<tr><td><code>{_e(readable_route(route.pattern))}</code></td>"
                f"<td>{_e(protection.method)}</td>"
                f'<td><span class="tag {css}">{_e(label)}</span></td>'
                f'<td><code class="view">{_dotted(route.view or "?")}</code></td>'
                f"<td>{_e(decided)}</td></tr>"
            )
    return [
        f'<section id="routes"><h2>Routes ({len(routes)})</h2><table>',
        "<tr><th>Route</th><th>Method</th><th>Status</th><th>View</th><th>Decided by</th></tr>",
        *rows,
        "</table></section>",
    ]


def _toc(report: Assessment, has_findings: bool) -> str:
    entries = [("summary", "Summary")]
    if report.grade is not None:
        entries.append(("categories", "Probe score"))
    entries.append(("findings", "Findings by route"))
    if has_findings:
        entries.append(("fixes", "Fix list"))
    if report.result.routes:
        entries.append(("routes", "Routes"))
    if report.suppressed:
        entries.append(("suppressed", "Suppressed"))
    if report.result.errors:
        entries.append(("errors", "Not scanned"))
    links = "".join(f'<li><a href="#{anchor}">{name}</a></li>' for anchor, name in entries)
    return f'<nav class="toc" aria-label="Contents"><ul class="page">{links}</ul></nav>'


class HtmlFormat(ScanFormat):
    """``--format html``."""

    name = "html"

    def render(self, report: Assessment) -> str:
        """Return a complete HTML5 document."""
        result = report.result
        findings = ordered_findings(result.findings)
        groups = _grouped(findings)
        heading = report.title or "Scan report"
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            '<meta name="referrer" content="no-referrer">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>mtlsguard: {_e(heading)}: {_e(result.root)}</title>",
            f"<style>{CSS}</style></head><body>",
            '<header class="top"><div class="page"><div class="brand">mtlsguard</div>',
            f'<h1>{_e(heading)}</h1><p class="target"><code>{_e(result.root)}</code></p>',
            "</div></header>",
            _toc(report, bool(findings)),
            '<main class="page">',
            *_summary_html(report, findings),
        ]
        if report.grade is not None:
            notes = [report.traffic, *report.notes] if report.traffic else list(report.notes)
            parts += _categories_html(report.grade, notes)
        parts += _findings_html(groups, report)
        if findings:
            parts += _fixes_html(groups)
        if result.routes:
            parts += _routes_html(result.routes)
        if report.suppressed:
            parts.append('<section id="suppressed"><h2>Suppressed inline</h2><ul>')
            for item in report.suppressed:
                where = item.finding.location.path if item.finding.location else "?"
                parts.append(
                    f'<li><span class="rule">{_e(item.finding.rule_id)}</span>'
                    f"<code>{_e(where)}:{item.line}</code>: {_e(item.reason)}</li>"
                )
            parts.append("</ul></section>")
        if result.errors:
            parts.append('<section id="errors"><h2>Not scanned</h2><ul>')
            parts.extend(
                f"<li><code>{_e(error.path)}</code>: {_e(error.message)}</li>"
                for error in result.errors
            )
            parts.append("</ul></section>")
        parts.append(
            f"<footer>mtlsguard {_e(__version__)}. Severities and grades are decided by the "
            "rules and the probe score; this report only shows them.</footer></main></body></html>"
        )
        return "\n".join(parts) + "\n"
