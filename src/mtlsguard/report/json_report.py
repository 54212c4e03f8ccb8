"""The JSON report: a stable, versioned schema for scripts and dashboards.

Top level: ``schema`` (``"mtlsguard-scan"``), ``version`` (bumped only on incompatible change;
fields are only ever added), ``tool``, ``root``, ``summary``, ``findings``, ``suppressed``,
``routes`` and ``errors``, plus the run's sections (``probe``: the probe's score and traffic)
when it has them. Findings are ordered most severe first; a finding that both the static scan
and the probe saw (``scan --probe``) lists its parts under ``static`` and ``dynamic``. The
document's JSON Schema ships in the package (``schemas/mtlsguard-scan.schema.json`` here,
:func:`json_schema`).
"""

from __future__ import annotations

import json

from mtlsguard import __version__
from mtlsguard.findings.assessment import Assessment, ordered_findings, severity_counts
from mtlsguard.findings.model import Finding, Location, Route, ScanResult
from mtlsguard.report.indented_json import dumps_indented
from mtlsguard.report.interface import ScanFormat
from mtlsguard.report.resolution import has_resolution, resolution_data

__all__ = [
    "JSON_SCHEMA_VERSION",
    "JsonFormat",
    "finding_dict",
    "json_schema",
    "route_dict",
    "summary_dict",
]

JSON_SCHEMA_VERSION = 1
SCHEMA_RESOURCE = "schemas/mtlsguard-scan.schema.json"
"""The JSON Schema of the report, relative to this package."""


def json_schema() -> dict[str, object]:
    """The JSON Schema (draft 2020-12) that every ``--format json`` document validates against."""
    from importlib.resources import files  # loads only when asked (not for a scan's report)

    text = files("mtlsguard.report").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, object] = json.loads(text)
    return schema


def _location(location: Location | None) -> dict[str, object] | None:
    if location is None:
        return None
    return {"path": location.path, "line": location.line, "column": location.column}


def finding_dict(finding: Finding) -> dict[str, object]:
    """A finding as a JSON object (every field, plus its baseline ``fingerprint``)."""
    data: dict[str, object] = {
        "rule_id": finding.rule_id,
        "title": finding.title,
        "cwe": finding.cwe,
        "cwes": list(finding.cwes),
        "severity": finding.severity.label,
        "confidence": finding.confidence.label,
        "location": _location(finding.location),
        "route": finding.route,
        "view": finding.view,
        "view_kind": finding.view_kind,
        "methods": list(finding.methods),
        "evidence": finding.evidence,
        "remediation": finding.remediation,
        "fingerprint": finding.fingerprint,
    }
    if finding.also_routes:
        data["also_routes"] = list(finding.also_routes)
    if finding.web_request is not None:
        data["web_request"] = finding.web_request
    if finding.web_response is not None:
        data["web_response"] = finding.web_response
    return data


def _reported(finding: Finding, report: Assessment) -> dict[str, object]:
    data = finding_dict(finding)
    parts = report.parts_of(finding)
    if parts is not None:
        data["static"] = [finding_dict(f) for f in parts.static]
        data["dynamic"] = [finding_dict(f) for f in parts.dynamic]
    return data


def route_dict(route: Route) -> dict[str, object]:
    """A route as a JSON object."""
    return {
        "pattern": route.pattern,
        "name": route.name,
        "view": route.view,
        "location": _location(route.location),
        "methods": list(route.methods),
        "protections": [
            {
                "method": p.method,
                "authenticated": p.authenticated,
                "decided_by": p.decided_by,
                "detail": p.detail,
            }
            for p in route.protections
        ],
    }


def summary_dict(result: ScanResult) -> dict[str, object]:
    """Counts: files and lines scanned, findings by severity, errors."""
    by_severity = {s.label: n for s, n in severity_counts(result.findings).items()}
    return {
        "files_scanned": result.files_scanned,
        "lines_scanned": result.lines_scanned,
        "findings": len(result.findings),
        "by_severity": by_severity,
        "routes": len(result.routes),
        "errors": len(result.errors),
    }


class JsonFormat(ScanFormat):
    """``--format json``."""

    name = "json"

    def render(self, report: Assessment) -> str:
        """Return the report as indented JSON with a trailing newline."""
        result = report.result
        summary = summary_dict(result)
        summary["suppressed"] = len(report.suppressed)
        summary["baselined"] = report.baselined
        document: dict[str, object] = {
            "schema": "mtlsguard-scan",
            "version": JSON_SCHEMA_VERSION,
            "tool": {"name": "mtlsguard", "version": __version__},
            "root": result.root,
            "fail_on": report.fail_on.label if report.fail_on is not None else None,
            "summary": summary,
            "findings": [_reported(f, report) for f in ordered_findings(result.findings)],
            "suppressed": [
                {"reason": s.reason, "line": s.line, "finding": finding_dict(s.finding)}
                for s in report.suppressed
            ],
            "routes": [route_dict(r) for r in result.routes],
            "errors": [{"path": e.path, "message": e.message} for e in result.errors],
        }
        if has_resolution(result):
            document["resolution"] = resolution_data(result)
        for name, section in report.sections.items():
            document[name] = dict(section)
        return dumps_indented(document) + "\n"
