"""Published access-control advisories: does ``mtlsguard scan`` find them, and do they go away?

Run from the repository root with the development virtualenv::

    .venv/bin/python benchmarks/realworld/advisories.py [--only ID ...] [--json OUT]
        [--mtlsguard PYTHON] [--offline]

For every advisory of ``advisories.json`` the script obtains the vulnerable and the fixed tree
(``advisories_trees``: cached under ``benchmarks/.cache/realworld/``, from the ``fetch``
mirrors in ``/work/.mirror`` or a clone), runs ``PYTHON -m mtlsguard scan TREE --format json``
on each (with ``--allow-partial`` when that interpreter's scanner has the option: a benchmark
wants the findings of what *could* be read) and decides with ``advisories_match``:

* **detected** -- the vulnerable tree's report has a counted finding pointing at a vulnerable
  view (by file and enclosing definition, by the finding's view path, or by route);
* **gone** -- the fixed tree's report has no finding of those same rules pointing at the
  vulnerable views (looked up again in the fixed tree) or at the advisory's ``fixed_views``
  (not judged when the advisory says ``"fix_changes_code": false``: a documentation-only fix).

Each raw report is kept beside the trees, ``benchmarks/.cache/realworld/<id>/<side>.json``, for
whoever analyses a miss.

"Detected" counts only findings whose rule fits the advisory's bug class (an authentication
rule for a missing login, an authorization rule for an IDOR...); the same numbers for findings
of any rule are printed beside them ("any rule"), since a finding on the right view for the
wrong reason does not survive a fix any better than noise. Totals: detection rate over the
in-scope advisories whose trees were obtained and scanned, gone-at-fixed rate over the detected
ones. A counted finding may be ``low`` (a SARIF note, which a CI gate on high or medium does not
stop for): ``detected_at_error_warning`` counts the advisories detected by a ``medium`` or
higher finding. Nothing is compared with a stored answer: every
number comes from the scans of this run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from advisories_match import ViewSpan, consistent, locate, matching_findings, routed
from advisories_trees import TreeUnavailable, link, obtain

HERE = Path(__file__).resolve().parent
ADVISORIES = HERE / "advisories.json"
SCAN_TIMEOUT = 900
Json = Mapping[str, Any]


@dataclass
class SideResult:
    """One tree (vulnerable or fixed) of one advisory."""

    ref: str
    tree: str = ""
    unavailable: str = ""
    """Why the tree could not be obtained (empty when it was)."""
    scan_error: str = ""
    """Why the scan gave no report (empty when it did)."""
    exit_code: int | None = None
    seconds: float = 0.0
    findings: int = 0
    routes: int = 0
    report_errors: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    settings: str = ""
    urlconf: str = ""
    views_found: list[str] = field(default_factory=list)
    views_missing: list[str] = field(default_factory=list)
    view_routes: int = 0
    """Routes of the inventory that lead to a vulnerable view."""
    matched: list[dict[str, Any]] = field(default_factory=list)
    """Counted findings pointing at a vulnerable view: rule, severity, file, line, route."""


@dataclass
class AdvisoryResult:
    """The outcome for one advisory."""

    id: str
    project: str
    bug_class: str
    in_scope: bool
    published: bool
    """A GHSA/CVE advisory (False for a security release note or pull request)."""
    vulnerable: SideResult
    fixed: SideResult
    detected: bool | None = None
    """A finding of a rule consistent with the bug class points at a vulnerable view.

    None when the vulnerable tree was not scanned."""
    detected_any: bool | None = None
    """A finding of any rule points at a vulnerable view (possibly for a wrong reason)."""
    gone: bool | None = None
    """None unless detected and the fixed tree was scanned."""
    gone_any: bool | None = None
    """Like ``gone`` for the findings counted by ``detected_any``."""


class Scanner:
    """Runs one interpreter's ``mtlsguard scan`` and remembers reports per tree."""

    def __init__(self, python: str) -> None:
        self.python = python
        self._reports: dict[str, tuple[Json | None, int | None, float, str]] = {}
        self.extra = ["--allow-partial"] if self._supports("--allow-partial") else []
        self.version = self._version()

    def _supports(self, option: str) -> bool:
        done = subprocess.run(
            [self.python, "-m", "mtlsguard", "scan", "--help"],
            capture_output=True,
            text=True,
            check=False,
        )
        return option in done.stdout

    def _version(self) -> str:
        done = subprocess.run(
            [self.python, "-m", "mtlsguard", "--version"],
            capture_output=True,
            text=True,
            check=False,
        )
        return (done.stdout or done.stderr).strip()

    def scan(self, root: Path) -> tuple[Json | None, int | None, float, str]:
        """(report, exit code, seconds, error) of a static scan of ``root``."""
        key = str(root.resolve())
        if key in self._reports:
            return self._reports[key]
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "report.json"
            command = [self.python, "-m", "mtlsguard", "scan", str(root), "--format", "json"]
            command += ["--output", str(out), "--no-progress", *self.extra]
            started = time.perf_counter()
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=SCAN_TIMEOUT, check=False
                )
            except subprocess.TimeoutExpired:
                result: tuple[Json | None, int | None, float, str] = (
                    None,
                    None,
                    time.perf_counter() - started,
                    f"timed out after {SCAN_TIMEOUT} s",
                )
            else:
                seconds = time.perf_counter() - started
                report = json.loads(out.read_text()) if out.is_file() else None
                error = "" if report else (done.stderr.strip().splitlines() or ["no report"])[-1]
                result = (report, done.returncode, seconds, error)
        self._reports[key] = result
        return result


def _describe(item: Any) -> str:
    if isinstance(item, Mapping):
        parts = [
            str(item.get(k))
            for k in ("kind", "item", "pattern", "path", "reason", "message")
            if item.get(k)
        ]
        return ": ".join(parts) or json.dumps(item, sort_keys=True)
    return str(item)


def _context(report: Json) -> tuple[str, str, list[str]]:
    """Settings module, URLconf and unresolved items, wherever this scanner version puts them."""
    places = [report, report.get("resolution") or {}, report.get("summary") or {}]
    places.append(report.get("project") or {})
    settings = urlconf = ""
    unresolved: list[str] = []
    for place in places:
        if not isinstance(place, Mapping):
            continue
        settings = settings or str(place.get("settings_module") or place.get("settings") or "")
        urlconf = urlconf or str(place.get("urlconf") or place.get("root_urlconf") or "")
        items = place.get("unresolved")
        if isinstance(items, list) and not unresolved:
            unresolved = [_describe(item) for item in items]
    return settings, urlconf, unresolved


def _view_label(span: ViewSpan) -> str:
    return f"{span.file}:{span.name or span.route}"


def run_side(
    scanner: Scanner, advisory: Json, side: str, views: Sequence[Json], *, offline: bool
) -> tuple[SideResult, list[ViewSpan]]:
    """Obtain and scan one tree of an advisory and match its findings to ``views``."""
    ref = str(advisory[side]["ref"])
    result = SideResult(ref=ref)
    try:
        tree = obtain(str(advisory["repo"]), ref, allow_network=not offline)
    except TreeUnavailable as exc:
        result.unavailable = str(exc)
        return result, []
    where = link(str(advisory["id"]), side, tree)
    result.tree = str(where)
    scan_root = str(advisory.get("scan_root", "."))
    spans = [locate(tree.path, view) for view in views]
    result.views_found = [_view_label(s) for s in spans if s.found]
    result.views_missing = [_view_label(s) for s in spans if not s.found]
    report, code, seconds, error = scanner.scan(tree.path / scan_root)
    result.exit_code, result.seconds, result.scan_error = code, round(seconds, 2), error
    if report is None:
        return result, spans
    (where.parent / f"{side}.json").write_text(json.dumps(report, indent=1) + "\n")
    result.findings = len(report.get("findings", []))
    result.routes = len(report.get("routes", []))
    result.report_errors = [_describe(e) for e in report.get("errors", [])]
    result.settings, result.urlconf, result.unresolved = _context(report)
    result.view_routes = routed(report, spans, scan_root)
    result.matched = [
        {
            "rule_id": f.get("rule_id"),
            "severity": f.get("severity"),
            "path": (f.get("location") or {}).get("path"),
            "line": (f.get("location") or {}).get("line"),
            "route": f.get("route"),
            "view": f.get("view"),
        }
        for f in matching_findings(report, spans, scan_root)
    ]
    return result, spans


def run_advisory(scanner: Scanner, advisory: Json, *, offline: bool) -> AdvisoryResult:
    """Both trees of one advisory, scanned and judged."""
    views = list(advisory["views"])
    vulnerable, _ = run_side(scanner, advisory, "vulnerable", views, offline=offline)
    fixed_views = views + list(advisory.get("fixed_views", []))
    fixed, _ = run_side(scanner, advisory, "fixed", fixed_views, offline=offline)
    result = AdvisoryResult(
        id=str(advisory["id"]),
        project=str(advisory["project"]),
        bug_class=str(advisory["bug_class"]),
        in_scope=bool(advisory["in_scope"]),
        published="advisory_kind" not in advisory,
        vulnerable=vulnerable,
        fixed=fixed,
    )
    if vulnerable.unavailable or vulnerable.scan_error:
        return result
    right = {m["rule_id"] for m in vulnerable.matched if consistent(m["rule_id"], result.bug_class)}
    every = {m["rule_id"] for m in vulnerable.matched}
    result.detected, result.detected_any = bool(right), bool(every)
    if not advisory.get("fix_changes_code", True) or fixed.unavailable or fixed.scan_error:
        return result
    left = {m["rule_id"] for m in fixed.matched}
    if right:
        result.gone = not right & left
    if every:
        result.gone_any = not every & left
    return result


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def print_result(result: AdvisoryResult) -> None:
    """One advisory's lines of the text report."""
    v, f = result.vulnerable, result.fixed
    scope = "in-scope" if result.in_scope else "out-of-scope"
    print(f"{result.id}  {result.project}  {result.bug_class}  {scope}")
    for name, side in (("vulnerable", v), ("fixed", f)):
        if side.unavailable:
            print(f"  {name:<10} {side.ref}: tree unavailable: {side.unavailable}")
            continue
        rules = sorted({f"{m['rule_id']}@{m['path']}:{m['line']}" for m in side.matched})
        print(
            f"  {name:<10} {side.ref}: exit {side.exit_code}, {side.seconds:.2f} s, "
            f"{side.routes} routes ({side.view_routes} to the views), {side.findings} findings, "
            f"{len(side.report_errors)} errors, {len(side.unresolved)} unresolved"
            + (f"; scan failed: {side.scan_error}" if side.scan_error else "")
        )
        if side.settings or side.urlconf:
            print(f"  {'':<10} settings {side.settings or '?'}, URLconf {side.urlconf or '?'}")
        for item in side.unresolved[:3]:
            print(f"  {'':<10} unresolved: {item[:150]}")
        if len(side.unresolved) > 3:
            print(f"  {'':<10} ... and {len(side.unresolved) - 3} more unresolved")
        if side.views_missing:
            print(f"  {'':<10} views not in this tree: {', '.join(side.views_missing)}")
        if rules:
            print(
                f"  {'':<10} matching: {', '.join(rules[:6])}" + (" ..." if len(rules) > 6 else "")
            )
    print(
        f"  detected at vulnerable: {_yes_no(result.detected)} "
        f"(any rule: {_yes_no(result.detected_any)}); gone at fixed: {_yes_no(result.gone)} "
        f"(any rule: {_yes_no(result.gone_any)})"
    )


def _rate(part: Sequence[object], whole: Sequence[object]) -> float | None:
    return round(len(part) / len(whole), 3) if whole else None


_ERROR_WARNING = frozenset({"critical", "high", "medium"})
"""Severities SARIF reports as ``error``/``warning`` (``low``/``info`` are notes)."""


def totals(results: Sequence[AdvisoryResult]) -> dict[str, Any]:
    """Detection and gone-at-fixed rates over the in-scope advisories that were scanned."""
    in_scope = [r for r in results if r.in_scope]
    scanned = [r for r in in_scope if r.detected is not None]
    detected = [r for r in scanned if r.detected]
    judged = [r for r in detected if r.gone is not None]
    gone = [r for r in judged if r.gone]
    detected_any = [r for r in scanned if r.detected_any]
    judged_any = [r for r in detected_any if r.gone_any is not None]
    gone_any = [r for r in judged_any if r.gone_any]
    out_detected = [r for r in results if not r.in_scope and r.detected_any]
    published = [r for r in scanned if r.published]
    published_detected = [r for r in published if r.detected]
    # what a CI gate on error/warning (high or medium) sees: a low matching finding is a note
    loud = [
        r
        for r in detected
        if any(m.get("severity") in _ERROR_WARNING for m in r.vulnerable.matched)
    ]
    return {
        "advisories": len(results),
        "in_scope": len(in_scope),
        "in_scope_scanned": len(scanned),
        "detected": len(detected),
        "detection_rate": _rate(detected, scanned),
        "detected_at_error_warning": len(loud),
        "detection_rate_at_error_warning": _rate(loud, scanned),
        "gone_judged": len(judged),
        "gone": len(gone),
        "gone_rate": _rate(gone, judged),
        "detected_any_rule": len(detected_any),
        "detection_rate_any_rule": _rate(detected_any, scanned),
        "gone_any_rule_judged": len(judged_any),
        "gone_any_rule": len(gone_any),
        "gone_rate_any_rule": _rate(gone_any, judged_any),
        "out_of_scope_detected_any_rule": len(out_detected),
        "published_in_scope_scanned": len(published),
        "published_detected": len(published_detected),
        "published_detection_rate": _rate(published_detected, published),
        "unobtainable": [r.id for r in results if r.vulnerable.unavailable or r.fixed.unavailable],
        "scan_failed": [r.id for r in results if r.vulnerable.scan_error or r.fixed.scan_error],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit 0 when it ran (whatever the rates), 2 on a usage error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", metavar="ID", help="advisory id (repeatable)")
    parser.add_argument("--json", metavar="OUT", help="also write every result as JSON to OUT")
    parser.add_argument(
        "--mtlsguard",
        metavar="PYTHON",
        default=sys.executable,
        help="interpreter whose mtlsguard runs the scans (default: this one)",
    )
    parser.add_argument("--offline", action="store_true", help="never clone; use caches/mirrors")
    parser.add_argument("--advisories", default=str(ADVISORIES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    advisories = json.loads(Path(args.advisories).read_text())["advisories"]
    if args.only:
        known = {a["id"] for a in advisories}
        unknown = sorted(set(args.only) - known)
        if unknown:
            parser.error(f"unknown advisory id(s): {', '.join(unknown)}")
        advisories = [a for a in advisories if a["id"] in set(args.only)]
    scanner = Scanner(args.mtlsguard)
    print(
        f"scanner: {args.mtlsguard} ({scanner.version}); extra options: {scanner.extra or 'none'}"
    )
    started = time.perf_counter()
    results = []
    for advisory in advisories:
        result = run_advisory(scanner, advisory, offline=args.offline)
        print_result(result)
        results.append(result)
    summary = totals(results)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    print("\ntotals:", json.dumps(summary, indent=1))
    if args.json:
        payload = {
            "scanner": {
                "python": args.mtlsguard,
                "version": scanner.version,
                "extra": scanner.extra,
            },
            "totals": summary,
            "results": [asdict(r) for r in results],
        }
        Path(args.json).write_text(json.dumps(payload, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
