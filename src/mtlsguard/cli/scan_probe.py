"""``mtlsguard scan PATH --probe URL``: the static scan and the probe in one merged report.

The static scan's route inventory is the probe's discovery; the probe's findings are merged
into the static ones per route (:mod:`mtlsguard.app.merge`) before config, inline
suppressions and the baseline apply, so ``--fail-on`` and ``--baseline`` act on the merged
set. Every format carries both sides: the evidence line of a merged entry names the static
rule and location and the probe rule; JSON adds ``static``/``dynamic`` lists to each merged
finding and the probe's score under ``probe``; SARIF adds ``relatedLocations`` (the static
location, the probed route) and ``properties.merged``, and the score under
``runs[0].properties.probe``; text prints the score; HTML shows the grade and notes.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mtlsguard.findings.model import ScanResult

if TYPE_CHECKING:
    from mtlsguard.app.merge import MergedFinding
    from mtlsguard.findings.model import Finding
    from mtlsguard.probe.runner import ProbeResult
    from mtlsguard.report.interface import ScanReport

__all__ = [
    "MergedScan",
    "add_scan_probe_arguments",
    "below_grade",
    "decorate",
    "merge_probe",
    "probe_project",
    "with_probe",
]


def add_scan_probe_arguments(scan: argparse.ArgumentParser) -> None:
    """Register ``--probe URL`` and the probe's target options on ``scan``."""
    from mtlsguard.cli.probe import add_target_arguments

    scan.add_argument(
        "--probe",
        metavar="URL",
        help="also probe the running application at URL over mTLS with the scanned routes and "
        "merge the findings per route; needs --cert and --key (the probe's options below)",
    )
    add_target_arguments(scan, cert_required=False)
    scan.add_argument("--fail-under", metavar="GRADE", help="exit 1 below this probe grade (A-F)")


def _fail(message: str) -> Any:
    print(f"mtlsguard: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def probe_project(args: argparse.Namespace, static: ScanResult) -> ProbeResult:
    """Probe ``args.probe`` with the static inventory's routes; usage errors exit 2."""
    from mtlsguard.cli.probe import probe_config
    from mtlsguard.probe.client import ProbeSetupError
    from mtlsguard.probe.discovery import endpoints_from_routes
    from mtlsguard.probe.runner import run_probe
    from mtlsguard.probe.scoring import grade_rank

    if args.cert is None or args.key is None:
        _fail("--probe needs --cert and --key (the client certificate of identity A)")
    if args.fail_under:
        try:
            grade_rank(args.fail_under)
        except ValueError as exc:
            _fail(str(exc))
    config = probe_config(args, args.probe)
    try:
        result = run_probe(config, endpoints_from_routes(static.routes))
    except ProbeSetupError as exc:
        _fail(str(exc))
    for error in result.errors[:20]:
        print(f"mtlsguard: probe: {error.path}: {error.message}", file=sys.stderr)
    if result.reached == 0:
        _fail(f"no response from {args.probe} with A's certificate")
    return result


@dataclass(frozen=True, slots=True)
class MergedScan:
    """The raw merged result and what each entry was made of."""

    raw: ScanResult
    """Static findings with the probe's merged in, the static routes, both sides' errors."""
    entries: tuple[MergedFinding, ...]
    """Each entry and its static and dynamic parts."""


def merge_probe(static: ScanResult, probe: ProbeResult) -> MergedScan:
    """Merge ``probe``'s findings into the raw static ``static`` result."""
    from mtlsguard.app.merge import merge_findings

    entries = merge_findings(static.findings, static.routes, probe.findings)
    raw = replace(static, findings=tuple(e.finding for e in entries))
    return MergedScan(raw, tuple(entries))


def with_probe(report: ScanReport, probe: ProbeResult) -> ScanReport:
    """``report`` with the probe's rules, errors (``probe: ...``), grade and notes added."""
    from mtlsguard.findings.model import ScanError
    from mtlsguard.probe.rules import probe_rules

    errors = tuple(ScanError(e.path, f"probe: {e.message}") for e in probe.errors)
    result = replace(report.result, errors=(*report.result.errors, *errors))
    return replace(
        report,
        result=result,
        rules=[*report.rules, *probe_rules()],
        grade=probe.score,
        notes=(*report.notes, *probe.notes),
    )


def below_grade(args: argparse.Namespace, probe: ProbeResult) -> bool:
    """``--fail-under`` was given and the probe's grade is worse."""
    from mtlsguard.probe.scoring import grade_rank

    return bool(args.fail_under) and grade_rank(probe.score.grade) > grade_rank(args.fail_under)


def _parts(merged: MergedScan, shown: Sequence[Finding]) -> dict[str, MergedFinding]:
    """Fingerprint → the confirmed entry of each reported finding."""
    keep = {f.fingerprint for f in shown}
    return {
        e.finding.fingerprint: e
        for e in merged.entries
        if e.confirmed and e.finding.fingerprint in keep
    }


def _related(entry: MergedFinding) -> list[dict[str, object]]:
    from mtlsguard.report.sarif import SOURCE_ROOT_ID

    related: list[dict[str, object]] = []
    for side, findings in (("static", entry.static), ("dynamic", entry.dynamic)):
        for finding in findings:
            item: dict[str, object] = {
                "id": len(related) + 1,
                "message": {"text": f"{side} {finding.rule_id}: {finding.evidence}"},
            }
            if finding.location is not None:
                item["physicalLocation"] = {
                    "artifactLocation": {
                        "uri": quote(finding.location.path, safe="/"),
                        "uriBaseId": SOURCE_ROOT_ID,
                    },
                    "region": {"startLine": max(1, finding.location.line)},
                }
            elif finding.route:
                item["logicalLocations"] = [
                    {"fullyQualifiedName": finding.route, "kind": "resource"}
                ]
            related.append(item)
    return related


def decorate(
    text: str, fmt: str, merged: MergedScan, shown: Sequence[Finding], probe: ProbeResult
) -> str:
    """Add the merged parts and the probe's score to a rendered report."""
    from mtlsguard.cli.probe import score_lines
    from mtlsguard.report.json_report import finding_dict

    parts = _parts(merged, shown)
    if fmt == "json":
        document = json.loads(text)
        for item in document.get("findings", []):
            entry = parts.get(item.get("fingerprint"))
            if entry is not None:
                item["static"] = [finding_dict(f) for f in entry.static]
                item["dynamic"] = [finding_dict(f) for f in entry.dynamic]
        document["probe"] = probe.summary()
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "sarif":
        document = json.loads(text)
        run = document["runs"][0]
        for result in run.get("results", []):
            fingerprint = result.get("partialFingerprints", {}).get("mtlsguardFingerprint/v1")
            entry = parts.get(fingerprint)
            if entry is not None:
                result["relatedLocations"] = _related(entry)
                result.setdefault("properties", {})["merged"] = {
                    "static": [f.rule_id for f in entry.static],
                    "dynamic": [f.rule_id for f in entry.dynamic],
                }
        run.setdefault("properties", {})["probe"] = probe.summary()
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "text":
        return text.rstrip("\n") + "\n" + "\n".join(score_lines(probe)) + "\n"
    return text  # html: the grade and notes travel in the ScanReport
