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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote

from mtlsguard import __version__
from mtlsguard.findings.assessment import Assessment, MergedParts, ordered_findings
from mtlsguard.findings.model import Finding, Location, ScanResult, Severity
from mtlsguard.findings.registry import DOCUMENTATION_URL, Rule, RuleKind
from mtlsguard.report.interface import ScanFormat
from mtlsguard.report.markdown import docstring_to_markdown
from mtlsguard.report.wording import readable_route, sentence

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
#: 4.0-6.9 medium, 0.1-3.9 low (0.0 is out of its range). One fixed score per severity keeps
#: the mapping lossless; info shares GitHub's "low".
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
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


def _descriptor(rule: Rule, severity: Severity) -> dict[str, object]:
    """The descriptor of ``rule``, at the ``severity`` its results in this run show."""
    descriptor: dict[str, object] = {
        "id": rule.rule_id,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": _first_paragraph(rule.doc, rule.title)},
        "defaultConfiguration": {"level": sarif_level(severity)},
        "properties": {
            "tags": _cwe_tags([rule.cwe, *rule.cwes]),
            "precision": rule.precision,
            "security-severity": SECURITY_SEVERITY[severity],
        },
    }
    if rule.help_uri is not None:
        descriptor["helpUri"] = rule.help_uri
    if rule.doc.strip():
        descriptor["help"] = {
            "text": rule.doc.strip(),
            "markdown": docstring_to_markdown(rule.doc),
        }
    return descriptor


def _finding_rule(finding: Finding) -> Rule:
    """A rule that is not in the metadata (a third-party rule), described by its finding."""
    return Rule(
        rule_id=finding.rule_id,
        title=finding.title,
        cwe=finding.cwe,
        severity=finding.severity,
        confidence=finding.confidence,
        kind=RuleKind.STATIC,
        doc="",
        module="",
        cwes=finding.cwes,
    )


def _rule_descriptors(
    rules: Sequence[Rule], findings: Sequence[Finding]
) -> tuple[list[dict[str, object]], dict[str, int]]:
    """One descriptor per rule id, and the index of each.

    A rule's level and security-severity are those of the most severe of its results: a
    finding the merged scan raised to critical shows as critical.
    """
    shown: dict[str, Severity] = {}
    for finding in findings:
        shown[finding.rule_id] = max(finding.severity, shown.get(finding.rule_id, Severity.INFO))
    described: dict[str, Rule] = {}
    for rule in sorted(rules, key=lambda r: r.rule_id):
        described.setdefault(rule.rule_id, rule)
    # A finding whose rule is not in the metadata still gets exactly one descriptor.
    for finding in findings:
        described.setdefault(finding.rule_id, _finding_rule(finding))
    descriptors: list[dict[str, object]] = []
    index: dict[str, int] = {}
    for rule_id, rule in described.items():
        index[rule_id] = len(descriptors)
        descriptors.append(_descriptor(rule, shown.get(rule_id, rule.severity)))
    return descriptors, index


def _message(finding: Finding) -> str:
    parts = [sentence(finding.title)]
    if finding.route:
        methods = f" ({', '.join(finding.methods)})" if finding.methods else ""
        parts.append(f"Route: {readable_route(finding.route)}{methods}.")
    if finding.evidence:
        # before: "... check Fix: ..." (the evidence had no full stop)
        parts.append(f"Evidence: {sentence(finding.evidence)}")
    if finding.remediation:
        parts.append(f"Fix: {sentence(finding.remediation)}")
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
    views: Mapping[str, Location] = field(default_factory=dict)
    """Route pattern to the location of its view (the route inventory), for probe findings."""

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

    def physical(self, finding: Finding) -> dict[str, object]:
        """Where ``finding`` is: its own location, else its view's, else a stable artifact.

        Code scanning rejects an upload with a result that has no physical location, so a
        probe finding on a route whose view is unknown gets the anchor (a file of the
        repository) or an artifact named after the route, relative to the probed target.
        """
        location = finding.location
        if location is None and finding.route is not None:
            location = self.views.get(finding.route)
        if location is not None:
            region: dict[str, object] = {"startLine": max(1, location.line)}
            if location.column > 1:
                region["startColumn"] = location.column
            return {"artifactLocation": self.location(location.path), "region": region}
        anchored = self.anchored()
        if anchored is not None:
            return anchored
        route = quote((finding.route or "").lstrip("/"), safe="/")
        return {
            "artifactLocation": {"uri": self.prefix + (route or "./"), "uriBaseId": SOURCE_ROOT_ID},
            "region": {"startLine": 1},
        }


def _result(finding: Finding, rule_index: int, artifacts: _Artifacts) -> dict[str, object]:
    location: dict[str, object] = {"physicalLocation": artifacts.physical(finding)}
    if finding.view:
        logical: dict[str, object] = {"fullyQualifiedName": finding.view}
        logical["name"] = finding.view.rsplit(".", 1)[-1]
        if finding.view_kind in {"function", "type"}:
            logical["kind"] = finding.view_kind
        location["logicalLocations"] = [logical]
    properties: dict[str, object] = {
        "severity": finding.severity.label,
        "security-severity": SECURITY_SEVERITY[finding.severity],
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
            item["physicalLocation"] = artifacts.physical(finding)
            if finding.location is None and finding.route:
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
        views = {r.pattern: r.location for r in scan.routes if r.location is not None}
        artifacts = replace(artifacts, views=views)
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
        run: dict[str, object] = {
            "tool": {
                "driver": {
                    "name": "mtlsguard",
                    "informationUri": DOCUMENTATION_URL,
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
                **{name: dict(section) for name, section in report.sections.items()},
            },
        }
        document = {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
