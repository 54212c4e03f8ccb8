"""SARIF 2.1.0 output, as DESIGN.md specifies it (and as GitHub code scanning reads it).

One ``reportingDescriptor`` per rule id with ``properties.tags`` holding the CWE and
``properties.security-severity``; each result has ``ruleId``, ``level`` (critical/high →
``error``, medium → ``warning``, low/info → ``note``), a physical location relative to the
scanned root (``uriBaseId`` ``SRCROOT``), a logical location naming the view, and
``properties.route``. Dynamic findings add ``webRequest``/``webResponse``. Findings suppressed
inline are kept with an ``inSource`` suppression carrying the reason. A finding both the static
scan and the probe saw (``scan --probe``) lists each side's location under
``relatedLocations`` and their rule ids under ``properties.merged``; the run's sections (the
probe's score) go under ``runs[0].properties``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from mtlsguard import __version__
from mtlsguard.findings.assessment import Assessment, MergedParts, ordered_findings
from mtlsguard.findings.model import Finding, ScanResult, Severity
from mtlsguard.findings.registry import Rule
from mtlsguard.report.interface import ScanFormat
from mtlsguard.report.markdown import docstring_to_markdown
from mtlsguard.report.resolution import has_resolution, resolution_data

__all__ = [
    "SARIF_SCHEMA_URI",
    "SECURITY_SEVERITY",
    "SOURCE_ROOT_ID",
    "SarifFormat",
    "sarif_level",
]

SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SOURCE_ROOT_ID = "SRCROOT"

#: GitHub reads ``security-severity`` as a CVSS-like score: > 9.0 critical, 7.0-8.9 high,
#: 4.0-6.9 medium, <= 3.9 low. One fixed score per severity keeps the mapping lossless.
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}

_LEVELS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}


def sarif_level(severity: Severity) -> str:
    """The SARIF ``level`` of a severity."""
    return _LEVELS[severity]


def _cwe_tags(cwes: Sequence[str]) -> list[str]:
    tags = ["security"]
    for cwe in cwes:
        if not cwe:
            continue
        tags.append(cwe)
        number = cwe.upper().removeprefix("CWE-")
        if number.isdigit():
            # GitHub code scanning links this form to the CWE entry.
            tags.append(f"external/cwe/cwe-{number}")
    return list(dict.fromkeys(tags))


def _first_paragraph(doc: str, fallback: str) -> str:
    for paragraph in doc.strip().split("\n\n"):
        text = " ".join(paragraph.split())
        if text:
            return text
    return fallback


def _descriptor(
    rule_id: str, title: str, cwes: Sequence[str], severity: Severity, doc: str
) -> dict[str, object]:
    descriptor: dict[str, object] = {
        "id": rule_id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": _first_paragraph(doc, title)},
        "defaultConfiguration": {"level": sarif_level(severity)},
        "properties": {
            "tags": _cwe_tags(cwes),
            "security-severity": SECURITY_SEVERITY[severity],
        },
    }
    if doc.strip():
        descriptor["help"] = {"text": doc.strip(), "markdown": docstring_to_markdown(doc)}
    return descriptor


def _rule_descriptors(
    rules: Sequence[Rule], findings: Sequence[Finding]
) -> tuple[list[dict[str, object]], dict[str, int]]:
    descriptors: list[dict[str, object]] = []
    index: dict[str, int] = {}
    for rule in sorted(rules, key=lambda r: r.rule_id):
        if rule.rule_id in index:
            continue
        index[rule.rule_id] = len(descriptors)
        descriptors.append(
            _descriptor(rule.rule_id, rule.title, [rule.cwe], rule.severity, rule.doc)
        )
    # A finding whose rule is not in the metadata (a third-party rule, the tool's own MG001)
    # still gets exactly one descriptor, built from the finding itself.
    for finding in findings:
        if finding.rule_id in index:
            continue
        index[finding.rule_id] = len(descriptors)
        descriptors.append(
            _descriptor(
                finding.rule_id,
                finding.title,
                [finding.cwe, *finding.cwes],
                finding.severity,
                "",
            )
        )
    return descriptors, index


def _message(finding: Finding) -> str:
    parts = [finding.title.rstrip(".") + "."]
    if finding.route:
        methods = f" ({', '.join(finding.methods)})" if finding.methods else ""
        parts.append(f"Route: {finding.route}{methods}.")
    if finding.evidence:
        parts.append(f"Evidence: {finding.evidence}")
    if finding.remediation:
        parts.append(f"Fix: {finding.remediation}")
    return " ".join(parts)


@dataclass(frozen=True, slots=True)
class _Artifacts:
    """How file paths relative to the scanned root become SARIF artifact locations."""

    prefix: str = ""
    """Path of the scanned root below ``SRCROOT`` (``backend/``), or empty."""
    anchor: str | None = None
    """A file for results that have no source location, if any."""
    anchor_base: str | None = SOURCE_ROOT_ID
    """The ``uriBaseId`` the anchor is relative to; ``None``: the repository (no base)."""

    def location(self, path: str) -> dict[str, object]:
        if "://" in path:  # a probe error names a URL, not a file
            return {"uri": path}
        return {"uri": quote(self.prefix + path, safe="/"), "uriBaseId": SOURCE_ROOT_ID}

    def anchored(self) -> dict[str, object] | None:
        if self.anchor is None:
            return None
        artifact: dict[str, object] = {"uri": quote(self.anchor, safe="/")}
        if self.anchor_base is not None:
            artifact["uriBaseId"] = self.anchor_base
        return {"artifactLocation": artifact, "region": {"startLine": 1}}


def _result(finding: Finding, rule_index: int, artifacts: _Artifacts) -> dict[str, object]:
    location: dict[str, object] = {}
    if finding.location is not None:
        region: dict[str, object] = {"startLine": max(1, finding.location.line)}
        if finding.location.column > 1:
            region["startColumn"] = finding.location.column
        location["physicalLocation"] = {
            "artifactLocation": artifacts.location(finding.location.path),
            "region": region,
        }
    else:
        anchored = artifacts.anchored()
        if anchored is not None:
            location["physicalLocation"] = anchored
    if finding.view:
        logical: dict[str, object] = {"fullyQualifiedName": finding.view}
        logical["name"] = finding.view.rsplit(".", 1)[-1]
        if finding.view_kind in {"function", "type"}:
            logical["kind"] = finding.view_kind
        location["logicalLocations"] = [logical]
    properties: dict[str, object] = {
        "severity": finding.severity.label,
        "confidence": finding.confidence.label,
        "cwe": finding.cwe,
    }
    if finding.route is not None:
        properties["route"] = finding.route
    if finding.methods:
        properties["methods"] = list(finding.methods)
    if finding.cwes:
        properties["cwes"] = list(finding.cwes)
    if finding.remediation:
        properties["remediation"] = finding.remediation
    result: dict[str, object] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": sarif_level(finding.severity),
        "message": {"text": _message(finding)},
        "partialFingerprints": {"mtlsguardFingerprint/v1": finding.fingerprint},
        "properties": properties,
    }
    if location:
        result["locations"] = [location]
    if finding.web_request is not None:
        result["webRequest"] = finding.web_request
    if finding.web_response is not None:
        result["webResponse"] = finding.web_response
    return result


def _related(parts: MergedParts, artifacts: _Artifacts) -> list[dict[str, object]]:
    related: list[dict[str, object]] = []
    for side, findings in (("static", parts.static), ("dynamic", parts.dynamic)):
        for finding in findings:
            item: dict[str, object] = {
                "id": len(related) + 1,
                "message": {"text": f"{side} {finding.rule_id}: {finding.evidence}"},
            }
            if finding.location is not None:
                item["physicalLocation"] = {
                    "artifactLocation": artifacts.location(finding.location.path),
                    "region": {"startLine": max(1, finding.location.line)},
                }
            elif finding.route:
                item["logicalLocations"] = [
                    {"fullyQualifiedName": finding.route, "kind": "resource"}
                ]
            related.append(item)
    return related


def _root_uri(result: ScanResult) -> str:
    uri = Path(result.root).as_uri() if Path(result.root).is_absolute() else result.root
    return uri if uri.endswith("/") else uri + "/"


class SarifFormat(ScanFormat):
    """``--format sarif``: one run, one driver, every rule described.

    By default paths are relative to the scanned root (``SRCROOT``). For GitHub code scanning,
    which matches paths relative to the repository, ``repository`` names the repository's
    root: ``SRCROOT`` becomes it and every path gets the scanned root's place in it
    (``backend/``); ``anchor`` (a file relative to the repository) gives results without a
    source location one, since code scanning rejects an upload with a result that has none.
    """

    name = "sarif"

    def __init__(self, *, repository: Path | None = None, anchor: str | None = None) -> None:
        self.repository = repository
        self.anchor = anchor

    def _artifacts(self, scan: ScanResult) -> tuple[_Artifacts, str]:
        """Where paths start (``SRCROOT``) and how they and the anchor are written."""
        if self.repository is None:
            return _Artifacts(anchor=self.anchor), _root_uri(scan)
        repository = self.repository.resolve()
        base = repository.as_uri().rstrip("/") + "/"
        if not Path(scan.root).is_absolute():
            # A probe's root is the target URL: its results have no file but the anchor,
            # which is a file of the repository.
            return _Artifacts(anchor=self.anchor), base
        try:
            inside = Path(scan.root).resolve().relative_to(repository)
        except ValueError:
            # Outside the repository: paths stay relative to the scanned root; the anchor is
            # written relative to the repository (no base), as code scanning reads it.
            return _Artifacts(anchor=self.anchor, anchor_base=None), _root_uri(scan)
        prefix = "" if inside == Path() else inside.as_posix() + "/"
        return _Artifacts(prefix, self.anchor), base

    def render(self, report: Assessment) -> str:
        """Return the SARIF log as indented JSON with a trailing newline."""
        scan = report.result
        findings = ordered_findings(scan.findings)
        suppressed = list(report.suppressed)
        everything = findings + [s.finding for s in suppressed]
        descriptors, index = _rule_descriptors(report.rules, everything)
        artifacts, root_uri = self._artifacts(scan)
        results = []
        for finding in findings:
            entry = _result(finding, index[finding.rule_id], artifacts)
            parts = report.parts_of(finding)
            if parts is not None:
                entry["relatedLocations"] = _related(parts, artifacts)
                properties = entry["properties"]
                assert isinstance(properties, dict)
                properties["merged"] = {
                    "static": [f.rule_id for f in parts.static],
                    "dynamic": [f.rule_id for f in parts.dynamic],
                }
            results.append(entry)
        for item in suppressed:
            entry = _result(item.finding, index[item.finding.rule_id], artifacts)
            entry["suppressions"] = [{"kind": "inSource", "justification": item.reason}]
            results.append(entry)
        notifications = [
            {
                "level": "warning",
                "message": {"text": f"{error.path}: {error.message}"},
                "locations": [
                    {"physicalLocation": {"artifactLocation": artifacts.location(error.path)}}
                ],
            }
            for error in scan.errors
        ]
        notifications += [
            {"level": "warning", "message": {"text": f"unresolved {item.describe()}"}}
            for item in scan.unresolved
        ]
        run: dict[str, object] = {
            "tool": {
                "driver": {
                    "name": "mtlsguard",
                    "version": __version__,
                    "semanticVersion": __version__,
                    "rules": descriptors,
                }
            },
            "originalUriBaseIds": {SOURCE_ROOT_ID: {"uri": root_uri}},
            "invocations": [
                {
                    "executionSuccessful": report.successful,
                    "toolExecutionNotifications": notifications,
                }
            ],
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": {
                "filesScanned": scan.files_scanned,
                "linesScanned": scan.lines_scanned,
                "baselined": report.baselined,
                **({"resolution": resolution_data(scan)} if has_resolution(scan) else {}),
                **{name: dict(section) for name, section in report.sections.items()},
            },
        }
        document = {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
