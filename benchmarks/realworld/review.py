"""Hand review of the error/warning findings on the large real projects (issue 12 acceptance).

Run from the repository root with the development virtualenv::

    .venv/bin/python benchmarks/realworld/review.py
    .venv/bin/python benchmarks/realworld/review.py --trees OTHER/benchmarks/.cache/src
    .venv/bin/python benchmarks/realworld/review.py --python OTHER/.venv/bin/python --only wagtail
    .venv/bin/python benchmarks/realworld/review.py --list --json /tmp/review.json
    .venv/bin/python benchmarks/realworld/review.py --trees /work/holdout-trees \
        --only netbox --only healthchecks --only misago --only archery

``--declarations benchmarks/realworld/declarations`` scans each project that has a
``<project>.toml`` there with it as its configuration (``--config``): the ``guards`` and
``public`` views a maintainer declared after reading the first report (the second-run measure).

``--only NAME`` takes any subdirectory of ``--trees`` (default: the six projects of
``projects.py``), so held-out trees exported from other projects are reviewed the same way;
their verdicts live in ``review.json`` under the same NAME.

What it does:

1. Scans each project tree ``TREES/<project>`` (the unpacked wheels ``projects.py install``
   writes to ``benchmarks/.cache/src``) with ``PYTHON -m mtlsguard scan TREE --allow-partial
   --format json`` (``--python``, default: the interpreter running this script, so the same
   command measures any branch's venv).
2. Keeps the findings whose SARIF level is ``error`` or ``warning``, by the scanner's own
   mapping (:func:`mtlsguard.report.sarif.sarif_level`: critical/high -> error, medium ->
   warning, low/info -> note).
3. Joins them with the committed verdicts, ``review.json`` beside this file: per project, a
   verdict per finding keyed by the finding's ``fingerprint`` (rule, view -- or file for a
   finding without a view -- and route; no line numbers, so unrelated code changes keep the
   key). Several findings with one fingerprint are told apart by ``#2``, ``#3``... in
   (file, line) order. A finding whose route changed is still matched when the reviewed route
   is one of the routes the same code serves (``also_routes``). Each verdict is ``true``,
   ``defensible`` or ``false`` with a one-line reason citing the code that decides it.
4. Prints per project and in total: routes, all findings, findings per route, the most findings
   at one code location (file:line), the error/warning findings, true / defensible / false /
   unreviewed, and the share that is true or defensible *of all error/warning findings* (an
   unreviewed finding is never counted as good); then every UNREVIEWED finding (rule,
   severity, file:line, view, route, evidence), every verdict whose finding is no longer an
   error/warning finding, and with ``--list`` every reviewed finding with its verdict.

Exit status: 0 when every error/warning finding has a verdict, 1 when one has none (a scanner
change that adds findings forces their review), 2 when a tree is missing or a scan failed.
Nothing here is hard-coded: every number comes from the scans of this run and the verdict file.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_TREES = HERE.parent / ".cache" / "src"
VERDICTS = HERE / "review.json"
PROJECTS = ("pretix", "weblate", "label-studio", "wagtail", "pretalx", "nautobot")
VERDICT_VALUES = ("true", "defensible", "false")
REVIEWED_LEVELS = ("error", "warning")

try:
    from mtlsguard.findings.model import Severity
    from mtlsguard.report.sarif import sarif_level
except ImportError:  # pragma: no cover - run without the development install
    sys.path.insert(0, str(REPO / "src"))
    from mtlsguard.findings.model import Severity
    from mtlsguard.report.sarif import sarif_level


def where(finding: dict[str, Any]) -> str:
    """``file:line`` of a finding (a file of an installed package shown from ``site-packages/``)."""
    loc = finding.get("location") or {}
    path = str(loc.get("path", "?"))
    if "/site-packages/" in path:
        path = "site-packages/" + path.split("/site-packages/", 1)[1]
    return f"{path}:{loc.get('line', '?')}"


def level_of(severity: str) -> str:
    """The SARIF level of a JSON report's severity label (``"high"`` -> ``"error"``)."""
    return sarif_level(Severity.parse(severity))


@dataclass
class Reviewed:
    """One error/warning finding of a scan, with its key and (when reviewed) its verdict."""

    key: str
    finding: dict[str, Any]
    verdict: str | None = None
    reason: str = ""
    matched_by: str = ""
    """The verdict key when it differs from :attr:`key` (matched through ``also_routes``)."""
    reviewed_severity: str = ""

    @property
    def where(self) -> str:
        return where(self.finding)


@dataclass
class ProjectResult:
    """The numbers of one project."""

    name: str
    routes: int = 0
    findings: int = 0
    max_at_location: int = 0
    max_location: str = ""
    exit_code: int | None = None
    error: str = ""
    reviewed: list[Reviewed] = field(default_factory=list)
    stale: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def count(self, verdict: str | None) -> int:
        return sum(1 for r in self.reviewed if r.verdict == verdict)

    @property
    def per_route(self) -> float:
        return self.findings / self.routes if self.routes else 0.0


def scan(
    python: str, tree: Path, config: Path | None = None
) -> tuple[int, dict[str, Any] | None, str]:
    """Run the scanner on ``tree``: exit code, parsed JSON report (None on failure), stderr.

    ``config`` is a ``[tool.mtlsguard]`` file to scan with (``--config``), else the tree's own.
    """
    command = [python, "-m", "mtlsguard", "scan", str(tree), "--allow-partial"]
    command += ["--format", "json"]
    if config is not None:
        command += ["--config", str(config)]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    try:
        report = json.loads(proc.stdout) if proc.stdout.strip() else None
    except json.JSONDecodeError:
        report = None
    if not isinstance(report, dict) or "findings" not in report:
        report = None
    return proc.returncode, report, proc.stderr.strip()


def keyed(findings: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Each finding with its verdict key: the fingerprint, ``#n`` added to the n-th duplicate."""

    def order(f: dict[str, Any]) -> tuple[str, int, str]:
        loc = f.get("location") or {}
        return (str(loc.get("path", "")), int(loc.get("line") or 0), str(f.get("evidence", "")))

    seen: Counter[str] = Counter()
    out: list[tuple[str, dict[str, Any]]] = []
    for finding in sorted(findings, key=order):
        fingerprint = str(finding["fingerprint"])
        seen[fingerprint] += 1
        n = seen[fingerprint]
        out.append((fingerprint if n == 1 else f"{fingerprint}#{n}", finding))
    return out


def alternative_keys(finding: dict[str, Any]) -> list[str]:
    """The keys the same finding had with another of the routes its code serves."""
    anchor = finding.get("view") or (finding.get("location") or {}).get("path", "")
    return [f"{finding['rule_id']}:{anchor}:{r}" for r in finding.get("also_routes") or ()]


def sibling_keys(fingerprint: str, verdicts: dict[str, dict[str, Any]]) -> list[str]:
    """The verdict keys of one fingerprint: itself and its ``#n`` duplicates."""
    return [k for k in verdicts if k == fingerprint or k.startswith(fingerprint + "#")]


def location_counts(findings: list[dict[str, Any]]) -> Counter[str]:
    """How many findings point at each code location (file:line)."""
    return Counter(where(f) for f in findings)


def review_project(
    name: str, report: dict[str, Any], verdicts: dict[str, dict[str, Any]]
) -> ProjectResult:
    """Join one project's report with its verdicts."""
    findings = list(report.get("findings") or [])
    result = ProjectResult(name, routes=len(report.get("routes") or []), findings=len(findings))
    counts = location_counts(findings)
    if counts:
        result.max_location, result.max_at_location = counts.most_common(1)[0]
    used: set[str] = set()
    for key, finding in keyed(findings):
        if level_of(str(finding["severity"])) not in REVIEWED_LEVELS:
            continue
        item = Reviewed(key, finding)
        duplicate = key != finding["fingerprint"]
        candidates = [key] + ([] if duplicate else alternative_keys(finding))
        # When one fingerprint was reviewed at several locations (``#2``...), the verdict
        # written for this finding's own file:line wins: a sibling that disappears must not
        # hand its verdict to the one that stays.
        same_place = [
            k
            for k in sibling_keys(str(finding["fingerprint"]), verdicts)
            if verdicts[k].get("reviewed_at") == where(finding) and k not in used
        ]
        for candidate in same_place[:1] + candidates:
            entry = verdicts.get(candidate)
            if entry is not None and candidate not in used:
                used.add(candidate)
                item.verdict = str(entry["verdict"])
                item.reason = str(entry.get("reason", ""))
                item.reviewed_severity = str(entry.get("severity", ""))
                item.matched_by = "" if candidate == key else candidate
                break
        result.reviewed.append(item)
    result.stale = [(k, v) for k, v in verdicts.items() if k not in used]
    return result


def load_verdicts(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """The verdict file's ``projects`` mapping, checked for well-formed verdicts."""
    data = json.loads(path.read_text(encoding="utf-8"))
    projects: dict[str, dict[str, dict[str, Any]]] = data.get("projects", {})
    for project, entries in projects.items():
        for key, entry in entries.items():
            if entry.get("verdict") not in VERDICT_VALUES:
                raise SystemExit(f"{path}: {project} {key}: verdict not in {VERDICT_VALUES}")
            if not str(entry.get("reason", "")).strip():
                raise SystemExit(f"{path}: {project} {key}: a verdict needs a reason")
    return projects


def percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def table(results: list[ProjectResult]) -> list[str]:
    """The Markdown table of the run (one row per project and a total)."""
    head = (
        "| project | routes | findings | per route | most at one location | error/warning "
        "| true | defensible | false | unreviewed | true or defensible |"
    )
    lines = [head, "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    total = ProjectResult("total")
    for r in results:
        if r.error:
            lines.append(f"| {r.name} | scan failed: {r.error} |" + " |" * 9)
            continue
        total.routes += r.routes
        total.findings += r.findings
        total.reviewed += r.reviewed
        if r.max_at_location > total.max_at_location:
            total.max_at_location, total.max_location = r.max_at_location, r.max_location
        lines.append(row(r))
    lines.append(row(total, bold=True))
    return lines


def row(r: ProjectResult, *, bold: bool = False) -> str:
    reviewed = len(r.reviewed)
    good = r.count("true") + r.count("defensible")
    cells = [
        r.name,
        str(r.routes),
        str(r.findings),
        f"{r.per_route:.3f}",
        f"{r.max_at_location} (`{r.max_location}`)" if r.max_at_location else "0",
        str(reviewed),
        str(r.count("true")),
        str(r.count("defensible")),
        str(r.count("false")),
        str(r.count(None)),
        f"{good}/{reviewed} = {percent(good, reviewed)}",
    ]
    if bold:
        cells = [f"**{c}**" for c in cells]
    return "| " + " | ".join(cells) + " |"


def describe(project: str, item: Reviewed) -> str:
    """One finding on a line: what a reviewer needs to open the code."""
    f = item.finding
    methods = ",".join(f.get("methods") or ()) or "*"
    also = f.get("also_routes") or ()
    extra = f" (also {', '.join(also)})" if also else ""
    return (
        f"  {project} {f['rule_id']} {f['severity']}/{f.get('confidence', '?')} {item.where}\n"
        f"    view: {f.get('view') or '-'}  route: {f.get('route') or '-'} [{methods}]{extra}\n"
        f"    key: {item.key}\n"
        f"    evidence: {f.get('evidence', '')}"
    )


def report_lines(results: list[ProjectResult], *, listing: bool) -> list[str]:
    """Everything printed after the table."""
    out: list[str] = []
    unreviewed = [(r.name, i) for r in results for i in r.reviewed if i.verdict is None]
    out.append(f"\nUNREVIEWED error/warning findings: {len(unreviewed)}")
    out += [describe(name, item) for name, item in unreviewed]
    notes = [
        f"  {r.name} {i.key}: reviewed at {i.reviewed_severity}, now {i.finding['severity']}"
        for r in results
        for i in r.reviewed
        if i.verdict and i.reviewed_severity and i.reviewed_severity != i.finding["severity"]
    ]
    notes += [
        f"  {r.name} {i.key}: verdict found under the route key {i.matched_by}"
        for r in results
        for i in r.reviewed
        if i.matched_by
    ]
    if notes:
        out.append("\nVerdicts matched with a difference (still counted, check the reason):")
        out += notes
    stale = [(r.name, k, v) for r in results for k, v in r.stale]
    if stale:
        out.append(
            f"\nVerdicts without an error/warning finding in this run (fixed, lowered, or "
            f"re-keyed): {len(stale)}"
        )
        out += [f"  {name} {key}: was {v.get('verdict')}" for name, key, v in stale]
    if listing:
        out.append("\nReviewed findings:")
        for r in results:
            for i in r.reviewed:
                if i.verdict:
                    f = i.finding
                    out.append(
                        f"  {r.name} {f['rule_id']} {f['severity']} {i.where} "
                        f"{f.get('view') or '-'} -> {i.verdict}: {i.reason}"
                    )
    return out


def sampled(results: list[ProjectResult], size: int, seed: int) -> list[ProjectResult]:
    """Each project cut to a seeded random sample of ``size`` of its error/warning findings.

    ``random.Random(seed).sample(sorted(keys), size)`` over the verdict keys, as the held-out
    reviews define their measure; a project with ``size`` or fewer is kept whole.
    """
    out = []
    for r in results:
        cut = ProjectResult(r.name, routes=r.routes, findings=r.findings, error=r.error)
        cut.max_location, cut.max_at_location = r.max_location, r.max_at_location
        keys = sorted(i.key for i in r.reviewed)
        chosen = set(random.Random(seed).sample(keys, size)) if len(keys) > size else set(keys)
        cut.reviewed = [i for i in r.reviewed if i.key in chosen]
        out.append(cut)
    return out


def as_json(results: list[ProjectResult]) -> dict[str, Any]:
    """The run as JSON (numbers per project and every error/warning finding with its verdict)."""
    projects = {}
    for r in results:
        projects[r.name] = {
            "error": r.error,
            "exit_code": r.exit_code,
            "routes": r.routes,
            "findings": r.findings,
            "findings_per_route": round(r.per_route, 4),
            "max_findings_at_one_location": r.max_at_location,
            "max_location": r.max_location,
            "error_warning": len(r.reviewed),
            **{v: r.count(v) for v in VERDICT_VALUES},
            "unreviewed": r.count(None),
            "reviewed": [
                {"key": i.key, "verdict": i.verdict, "reason": i.reason, "finding": i.finding}
                for i in r.reviewed
            ],
            "stale_verdicts": [k for k, _ in r.stale],
        }
    return {"projects": projects}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", type=Path, default=DEFAULT_TREES, help="dir of project trees")
    parser.add_argument("--python", default=sys.executable, help="interpreter running mtlsguard")
    parser.add_argument("--verdicts", type=Path, default=VERDICTS, help="verdict file")
    parser.add_argument("--only", action="append", help="project = subdir of --trees (repeatable)")
    parser.add_argument("--list", action="store_true", help="also list every reviewed finding")
    parser.add_argument("--json", type=Path, help="write the run as JSON here")
    parser.add_argument("--keep", type=Path, help="write each raw report to DIR/<project>.json")
    parser.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="also print the measure on a seeded sample of N error/warning findings per project",
    )
    parser.add_argument("--seed", type=int, default=12, help="seed of --sample (default 12)")
    parser.add_argument(
        "--declarations",
        type=Path,
        metavar="DIR",
        help="scan a project with DIR/<project>.toml as its [tool.mtlsguard] (--config) when "
        "that file exists: the guards and public views its maintainers would declare",
    )
    args = parser.parse_args(argv)

    verdicts = load_verdicts(args.verdicts)
    failed = False
    results: list[ProjectResult] = []
    for name in args.only or PROJECTS:
        tree = args.trees / name
        if not tree.is_dir():
            results.append(ProjectResult(name, error=f"no tree at {tree}"))
            failed = True
            continue
        declared = args.declarations / f"{name}.toml" if args.declarations else None
        config = declared if declared is not None and declared.is_file() else None
        code, report, stderr = scan(args.python, tree, config)
        if report is None or code not in (0, 1):
            tail = stderr.splitlines()[-1] if stderr else "no JSON report"
            results.append(ProjectResult(name, exit_code=code, error=f"exit {code}: {tail}"))
            failed = True
            continue
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            (args.keep / f"{name}.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
        result = review_project(name, report, verdicts.get(name, {}))
        result.exit_code = code
        results.append(result)

    print(f"mtlsguard scan TREE --allow-partial --format json, run by {args.python}")
    print(f"trees: {args.trees}; verdicts: {args.verdicts}\n")
    print("\n".join(table(results)))
    if args.sample:
        print(f"\nMeasure: a seeded sample (seed {args.seed}) of {args.sample} per project\n")
        print("\n".join(table(sampled(results, args.sample, args.seed))))
    print("\n".join(report_lines(results, listing=args.list)))
    if args.json:
        args.json.write_text(json.dumps(as_json(results), indent=1), encoding="utf-8")
    if failed:
        return 2
    return 1 if any(i.verdict is None for r in results for i in r.reviewed) else 0


if __name__ == "__main__":
    sys.exit(main())
